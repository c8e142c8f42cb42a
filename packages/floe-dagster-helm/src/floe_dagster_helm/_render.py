"""The values file: YAML that Helm reads and that loads back to the same dict."""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from floe_orchestrator_contract import ContractValidationError

from .__about__ import __version__
from ._chart import validate_helm_values
from ._merge import plain_tree

__all__ = ["render_values_yaml", "write_values_file"]

_HEADER = (
    f"# Values for the dagster/dagster Helm chart, rendered by floe-dagster-helm {__version__}.\n"
    "# Use: helm upgrade --install dagster dagster/dagster -f <this file>\n"
)


def render_values_yaml(values: Mapping[str, Any]) -> str:
    """``values`` as a YAML values file, after checking them as :func:`validate_helm_values` does.

    ``yaml.safe_load`` of the text gives back ``values`` (mappings as dicts, sequences as lists).
    Invalid values raise one ``ContractValidationError`` (a ``ValueError``) listing every problem.
    """
    problems = validate_helm_values(values)
    if problems:
        raise ContractValidationError("invalid Helm values for the dagster/dagster chart", problems)
    import yaml

    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    body = yaml.dump(
        plain_tree(values),
        Dumper=dumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=100,
    )
    return _HEADER + body


def write_values_file(values: Mapping[str, Any], path: str | os.PathLike[str]) -> Path:
    """Write :func:`render_values_yaml` of ``values`` to ``path`` and return that path.

    Values are checked before anything touches the disk, and the file is written next to its
    destination then renamed over it, so ``path`` holds either the old file or the whole new one.
    Missing parent directories are created.
    """
    text = render_values_yaml(values)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    try:
        with temporary.open("x", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    return target
