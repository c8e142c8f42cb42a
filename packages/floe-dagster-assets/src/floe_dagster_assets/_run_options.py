"""dbt's ``--full-refresh`` and ``--vars`` for one run, carried as Dagster run tags.

Tags rather than op config: they reach every dbt step of a run (several products' multi-assets
included), and they can be set wherever a run starts (the CLI, the launchpad, a schedule's
``tags``), without knowing the ops' names.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping
from typing import Any

__all__ = ["DBT_VARS_TAG", "FULL_REFRESH_TAG", "dbt_args_from_tags", "dbt_run_tags"]

#: ``"true"``: dbt rebuilds incremental models and reloads seeds from scratch.
FULL_REFRESH_TAG = "floe/dbt_full_refresh"
#: A JSON object: dbt's ``--vars`` for every dbt invocation of the run.
DBT_VARS_TAG = "floe/dbt_vars"
_TRUE = frozenset({"true", "1", "yes"})
_FALSE = frozenset({"", "false", "0", "no"})


def dbt_run_tags(
    *, full_refresh: bool = False, dbt_vars: Mapping[str, Any] | str | None = None
) -> dict[str, str]:
    """Run tags asking the dbt steps of a run for ``--full-refresh`` and ``--vars``.

    ``dbt_vars`` is a mapping, or YAML/JSON text as dbt's ``--vars`` takes it
    (``'{start_date: 2024-01-01}'``), with string keys and values JSON can carry; anything else
    raises ``ValueError`` naming what is wrong.
    """
    tags: dict[str, str] = {}
    if full_refresh:
        tags[FULL_REFRESH_TAG] = "true"
    if isinstance(dbt_vars, str):
        dbt_vars = _parse_yaml(dbt_vars)
    if dbt_vars:
        tags[DBT_VARS_TAG] = _vars_text(dbt_vars)
    return tags


def _parse_yaml(text: str) -> Any:
    import yaml

    try:
        return yaml.safe_load(text) if text.strip() else None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ValueError(
            f"dbt vars: {text!r} is not YAML{where} (allowed: a mapping such as "
            "'{start_date: 2024-01-01}')"
        ) from None


def _vars_text(dbt_vars: object) -> str:
    if not isinstance(dbt_vars, Mapping):
        raise ValueError(
            f"dbt vars: {type(dbt_vars).__name__} is not a mapping "
            "(allowed: a YAML or JSON object such as '{key: value}')"
        )
    bad_keys = [repr(key) for key in dbt_vars if not isinstance(key, str)]
    if bad_keys:
        raise ValueError(f"dbt vars: keys {', '.join(bad_keys)} are not strings")
    try:
        return json.dumps(dict(dbt_vars), sort_keys=True, allow_nan=False, default=_as_json)
    except (TypeError, ValueError) as error:
        raise ValueError(f"dbt vars: {error} (allowed: strings, numbers, lists, maps)") from None


def _as_json(value: object) -> Any:
    # YAML reads 2024-01-01 as a date; dbt would have read the same text as a string.
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} value {value!r} cannot be passed to dbt")


def dbt_args_from_tags(tags: Mapping[str, str]) -> list[str]:
    """The dbt arguments the run's tags ask for; ``ValueError`` for a tag dbt cannot take."""
    args: list[str] = []
    refresh = str(tags.get(FULL_REFRESH_TAG, "")).strip().lower()
    if refresh in _TRUE:
        args.append("--full-refresh")
    elif refresh not in _FALSE:
        raise ValueError(
            f"run tag {FULL_REFRESH_TAG}: {refresh!r} is not a yes or no (allowed: true, false)"
        )
    text = tags.get(DBT_VARS_TAG)
    if text:
        try:
            parsed = json.loads(text)
        except ValueError:
            raise ValueError(
                f"run tag {DBT_VARS_TAG}: not JSON (allowed: a JSON object such as "
                '\'{"start_date": "2024-01-01"}\')'
            ) from None
        args += ["--vars", _vars_text(parsed)]
    return args
