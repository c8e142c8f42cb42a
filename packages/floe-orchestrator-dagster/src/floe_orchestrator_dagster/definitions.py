"""A Dagster code location serving one floe data product.

    dagster api grpc -m floe_orchestrator_dagster.definitions      (what the Helm values run)
    dagster dev -m floe_orchestrator_dagster.definitions

It reads ``FLOE_COMPILED_ARTIFACTS`` (the path of ``compiled_artifacts.json``; default: that file
in the dbt project directory) and the plugin's usual environment (``FLOE_DBT_PROJECT_DIR``,
``OPENLINEAGE_URL``, ...), and exposes ``defs``. Several paths separated by ``os.pathsep``
(``:``) serve several products from one code location, each with the dbt project found beside
its artifacts.
"""

from __future__ import annotations

import os
from pathlib import Path

from ._plugin import DagsterOrchestratorPlugin

__all__ = ["defs"]


def _artifacts_paths(plugin: DagsterOrchestratorPlugin) -> Path | list[Path]:
    explicit = [
        Path(p) for p in os.environ.get("FLOE_COMPILED_ARTIFACTS", "").split(os.pathsep) if p
    ]
    if len(explicit) > 1:
        return explicit
    if explicit:
        return explicit[0]
    base = plugin.settings.dbt_project_dir or Path.cwd()
    return base / "compiled_artifacts.json"


_plugin = DagsterOrchestratorPlugin()
defs = _plugin.create_definitions(_artifacts_paths(_plugin))
