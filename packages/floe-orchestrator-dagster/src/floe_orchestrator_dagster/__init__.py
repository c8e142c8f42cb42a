"""floe's Dagster orchestrator plugin: CompiledArtifacts to Dagster Definitions.

Importing this package is cheap (no dagster, dagster-dbt, openlineage or pydantic): floe
discovers and instantiates plugins often. ``DagsterPluginConfig`` (pydantic) loads on first use.
"""

from typing import TYPE_CHECKING, Any

from .__about__ import __version__
from ._plugin import TRACER_NAME, DagsterOrchestratorPlugin
from ._settings import DEFAULT_DAGSTER_URL, PluginSettings

if TYPE_CHECKING:
    from ._config import DagsterPluginConfig


def __getattr__(name: str) -> Any:
    if name == "DagsterPluginConfig":
        from ._config import DagsterPluginConfig

        globals()[name] = DagsterPluginConfig
        return DagsterPluginConfig
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DEFAULT_DAGSTER_URL",
    "TRACER_NAME",
    "DagsterOrchestratorPlugin",
    "DagsterPluginConfig",
    "PluginSettings",
    "__version__",
]
