"""``--select`` / ``--exclude``: dbt's selectors, resolved against the product's manifest, as
the asset keys and asset check keys of its Definitions (whatever their namespace)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import dagster as dg

__all__ = ["RunSelection", "resolve_run_selection"]

_UNIQUE_ID = "dbt/unique_id"


@dataclass(frozen=True)
class RunSelection:
    """The assets and checks a run materializes and evaluates."""

    assets: frozenset[dg.AssetKey]
    checks: frozenset[dg.AssetCheckKey]


def resolve_run_selection(
    defs: dg.Definitions,
    manifest: str | os.PathLike[str],
    select: Sequence[str],
    exclude: Sequence[str],
    *,
    project_dir: str | os.PathLike[str] | None = None,
) -> RunSelection:
    """What dbt would build for ``select``/``exclude``, as Dagster keys of ``defs``' assets.

    Raises :class:`~floe_dagster_assets.DbtSelectionError` for a selector that matches nothing,
    names only ephemeral models or sources, or that dbt would not parse.
    """
    from floe_dagster_assets import DbtSelectionError, select_dbt_nodes

    chosen = select_dbt_nodes(manifest, select, exclude, project_dir=project_dir)
    assets, checks = _keys_by_unique_id(defs)
    found = frozenset(assets[uid] for uid in chosen.nodes if uid in assets)
    tests = frozenset(checks[uid] for uid in chosen.tests if uid in checks)
    if not found and not tests:
        # Tests of sources, or of several models, are no asset checks (floe-dagster-assets).
        raise DbtSelectionError(
            [f"--select {' '.join(select)!r} selects only dbt tests that are no asset checks"]
        )
    return RunSelection(found, tests)


def _keys_by_unique_id(
    defs: dg.Definitions,
) -> tuple[dict[str, dg.AssetKey], dict[str, dg.AssetCheckKey]]:
    import dagster as dg

    assets: dict[str, dg.AssetKey] = {}
    checks: dict[str, dg.AssetCheckKey] = {}
    for definition in defs.assets or []:
        if not isinstance(definition, dg.AssetsDefinition) or not definition.is_executable:
            continue
        for spec in definition.specs:
            uid = _text(spec.metadata.get(_UNIQUE_ID))
            if uid:
                assets[uid] = spec.key
        for check in definition.check_specs:
            uid = _text(check.metadata.get(_UNIQUE_ID))
            if uid:
                checks[uid] = check.key
    return assets, checks


def _text(value: Any) -> str | None:
    value = getattr(value, "value", value)
    return value if isinstance(value, str) else None
