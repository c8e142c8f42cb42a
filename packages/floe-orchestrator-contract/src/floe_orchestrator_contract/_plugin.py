"""The plugin ABCs: ``PluginMetadata`` and the seed's ``OrchestratorPlugin``."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._entities import Dataset, ResourceSpec, TransformConfig, ValidationResult

__all__ = ["OrchestratorPlugin", "PluginMetadata"]


class PluginMetadata(ABC):
    """What every floe plugin declares, and its lifecycle hooks.

    ``startup``/``shutdown`` are called by the registry on activation and shutdown; both default
    to doing nothing. ``health_check`` defaults to healthy; the registry bounds it with a timeout.
    """

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

    def startup(self) -> None:  # noqa: B027 - optional hook, intentionally empty
        """Acquire resources. Called once by ``PluginRegistry.activate``."""

    def shutdown(self) -> None:  # noqa: B027 - optional hook, intentionally empty
        """Release resources. Called in reverse activation order."""

    def health_check(self) -> bool:
        """Return whether the plugin can do its work now."""
        return True


class OrchestratorPlugin(PluginMetadata):
    """The seed's orchestrator contract: seven operations every orchestrator implements."""

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
    def emit_lineage_event(
        self,
        event_type: str,
        job: str,
        inputs: Sequence[Dataset],
        outputs: Sequence[Dataset],
    ) -> None:
        """Emit an OpenLineage event.

        Implementations may add keyword-only options with defaults (run id, error, facets): the
        seed's four-argument call keeps working.
        """

    @abstractmethod
    def schedule_job(self, job_name: str, cron: str, timezone: str) -> None:
        """Schedule ``job_name`` on a 5-field ``cron`` in an IANA ``timezone``."""
