"""floe's Dagster orchestrator plugin: CompiledArtifacts to Dagster Definitions.

Importing this package is cheap (no dagster, dagster-dbt or openlineage): floe discovers and
instantiates plugins often.
"""

from .__about__ import __version__
from ._plugin import DagsterOrchestratorPlugin
from ._settings import DEFAULT_DAGSTER_URL, PluginSettings

__all__ = ["DEFAULT_DAGSTER_URL", "DagsterOrchestratorPlugin", "PluginSettings", "__version__"]
