"""The plugin ABCs, as floe-core defines them today (``floe_core.plugin_metadata`` and
``floe_core.plugins.orchestrator``), without depending on floe-core.

floe-core discovers, configures, audits and drives a plugin through these members; mirroring them
lets it treat a plugin written against this contract exactly like its own. The seed's earlier
call shapes keep working where they differ: ``emit_lineage_event`` with four positional
arguments, and a ``health_check`` result read as a bool. The values these members exchange
(``HealthStatus``, ``RunState``, ...) live in ``_plugin_values``: floe imports this module to
discover every plugin, and those need ``dataclasses``, which costs more than everything here.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from uuid import UUID

    from pydantic import BaseModel

    from ._entities import Dataset, ResourceSpec, TransformConfig, ValidationResult
    from ._plugin_values import HealthStatus, RunState

__all__ = ["OrchestratorPlugin", "PluginMetadata"]


class PluginMetadata(ABC):
    """What every floe plugin declares, its configuration and its lifecycle hooks.

    ``startup``/``shutdown`` are called by the registry on activation and shutdown; both default
    to doing nothing. ``health_check`` defaults to healthy; registries bound it with a timeout.
    Subclasses that define ``__init__`` call ``super().__init__()`` (it starts unconfigured).
    """

    def __init__(self) -> None:
        self._config: BaseModel | None = None

    @property
    @abstractmethod
    def name(self) -> str:
        """Plugin identifier, e.g. ``"dagster"``."""

    @property
    @abstractmethod
    def version(self) -> str:
        """The plugin's own semantic version."""

    @property
    @abstractmethod
    def floe_api_version(self) -> str:
        """The floe plugin API version it was written against, ``"MAJOR.MINOR"``."""

    @property
    def description(self) -> str:
        return ""

    @property
    def dependencies(self) -> list[str]:
        """Names of plugins to activate before this one."""
        return []

    @property
    def tracer_name(self) -> str | None:
        """The OpenTelemetry tracer name floe's instrumentation audit reads (None: none)."""
        return None

    def get_config_schema(self) -> type[BaseModel] | None:
        """The pydantic model floe validates this plugin's configuration with (None: none)."""
        return None

    def configure(self, config: BaseModel | None) -> None:
        """Accept configuration validated against :meth:`get_config_schema` (None clears it)."""
        self._config = config

    @property
    def is_configured(self) -> bool:
        return getattr(self, "_config", None) is not None

    def startup(self) -> None:  # noqa: B027 - optional hook, intentionally empty
        """Acquire resources. Called once on activation."""

    def shutdown(self) -> None:  # noqa: B027 - optional hook, intentionally empty
        """Release resources. Called in reverse activation order."""

    def health_check(self, timeout: float | None = None) -> HealthStatus:
        """Whether the plugin can do its work now; ``timeout`` bounds the check in seconds."""
        from ._plugin_values import HealthState, HealthStatus

        return HealthStatus(state=HealthState.HEALTHY)


class OrchestratorPlugin(PluginMetadata):
    """An orchestrator: the seed's seven operations and floe's additions since."""

    @abstractmethod
    def create_definitions(self, artifacts: dict[str, Any]) -> Any:
        """Turn compiled artifacts into the orchestrator's definitions."""

    @abstractmethod
    def create_assets_from_transforms(self, transforms: list[TransformConfig]) -> list[Any]:
        """Turn transforms into the orchestrator's assets."""

    @abstractmethod
    def get_helm_values(self) -> dict[str, Any]:
        """Helm chart values to deploy the orchestrator."""

    @abstractmethod
    def validate_connection(self) -> ValidationResult:
        """Check that the orchestrator's service answers."""

    @abstractmethod
    def get_resource_requirements(self, workload_size: str) -> ResourceSpec:
        """Kubernetes resources for ``small``, ``medium`` or ``large`` workloads."""

    @abstractmethod
    def emit_lineage_event(  # noqa: PLR0917 - floe's signature, positional as floe calls it
        self,
        event_type: RunState | str,
        job_name: str,
        job_namespace: str | Sequence[Dataset] | None = None,
        run_id: UUID | str | Sequence[Dataset] | None = None,
        inputs: Sequence[Dataset] | None = None,
        outputs: Sequence[Dataset] | None = None,
        run_facets: Mapping[str, Any] | None = None,
        job_facets: Mapping[str, Any] | None = None,
        producer: str | None = None,
    ) -> UUID:
        """Emit an OpenLineage event; return its run id (the one given, else a new one).

        floe's signature. The seed's call ``emit_lineage_event(event_type, job, inputs,
        outputs)`` passes datasets where floe has ``job_namespace`` and ``run_id``: a sequence
        there is read as the seed's inputs and outputs (see :func:`seed_call_datasets`).
        """

    def get_lineage_emitter(self) -> Any | None:
        """The emitter behind :meth:`emit_lineage_event`, or None when there is none."""
        return None

    @abstractmethod
    def schedule_job(self, job_name: str, cron: str, timezone: str) -> None:
        """Schedule ``job_name`` on a 5-field ``cron`` in an IANA ``timezone``."""

    def sensor_definition(self) -> Any | None:
        """A sensor for event-driven runs, or None when the plugin provides none."""
        return None

    @abstractmethod
    def generate_entry_point_code(
        self,
        product_name: str,
        output_dir: str,
        *,
        lineage_enabled: bool = False,
        iceberg_enabled: bool = False,
    ) -> str:
        """Write the orchestrator's entry point for ``product_name`` into ``output_dir``;
        return its path (floe calls this on ``floe platform compile --generate-definitions``)."""
