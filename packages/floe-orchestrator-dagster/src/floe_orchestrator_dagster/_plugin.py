"""``DagsterOrchestratorPlugin``: the seed's orchestrator, composed from the capability packages.

Importing this module (what floe's discovery does) costs almost nothing: dagster, dagster-dbt and
openlineage are imported inside the methods that need them, never at module import.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from floe_orchestrator_contract import OrchestratorPlugin

from .__about__ import __version__
from ._settings import PluginSettings

if TYPE_CHECKING:
    from dagster import AssetsDefinition, Definitions, LoggerDefinition

    from floe_dagster_lineage import LineageConfig, LineageEmitter
    from floe_dagster_schedules import ScheduleBook
    from floe_orchestrator_contract import (
        CompiledArtifacts,
        Dataset,
        ResourceSpec,
        TransformConfig,
        ValidationResult,
    )

__all__ = ["IMAGE_APP_DIR", "DagsterOrchestratorPlugin"]

# Where the user-code image holds the dbt project and compiled_artifacts.json (Helm values).
IMAGE_APP_DIR = "/opt/dagster/app"


class _ResourcePresets(Mapping[str, "ResourceSpec"]):
    """The seed's ``_RESOURCE_PRESETS``, read from floe-dagster-helm on first use."""

    def _presets(self) -> Mapping[str, ResourceSpec]:
        from floe_dagster_helm import RESOURCE_PRESETS

        return RESOURCE_PRESETS

    def __getitem__(self, size: str) -> ResourceSpec:
        return self._presets()[size]

    def __iter__(self) -> Iterator[str]:
        return iter(self._presets())

    def __len__(self) -> int:
        return len(self._presets())


class DagsterOrchestratorPlugin(OrchestratorPlugin):
    """Dagster orchestrator for floe pipelines.

    Every keyword has an environment fall-back: ``dbt_project_dir`` (``FLOE_DBT_PROJECT_DIR``,
    else the current directory when it holds ``dbt_project.yml``), ``dbt_profiles_dir``
    (``DBT_PROFILES_DIR``), ``dagster_url`` (``DAGSTER_URL``, else ``http://localhost:3000``),
    ``dagster_token`` (``FLOE_DAGSTER_TOKEN``, sent as a bearer token), ``verify_tls``
    (``FLOE_DAGSTER_VERIFY_TLS``: ``false`` or a CA bundle path) and ``image``
    (``FLOE_DAGSTER_IMAGE``, the user-code image in Helm values). ``lineage`` overrides the
    lineage settings otherwise taken from the artifacts' ``observability`` or OpenLineage's own
    environment (``OPENLINEAGE_URL``, ``openlineage.yml``, ...).
    """

    _RESOURCE_PRESETS: Mapping[str, ResourceSpec] = _ResourcePresets()

    def __init__(
        self,
        *,
        dbt_project_dir: str | os.PathLike[str] | None = None,
        dbt_profiles_dir: str | os.PathLike[str] | None = None,
        dagster_url: str | None = None,
        dagster_token: str | None = None,
        dagster_headers: Mapping[str, str] | None = None,
        verify_tls: bool | str | None = None,
        connection_timeout: float = 10.0,
        workload_size: str = "small",
        image: str | None = None,
        lineage: LineageConfig | None = None,
    ) -> None:
        self.settings = PluginSettings.resolve(
            dbt_project_dir=dbt_project_dir,
            dbt_profiles_dir=dbt_profiles_dir,
            dagster_url=dagster_url,
            dagster_token=dagster_token,
            dagster_headers=dagster_headers,
            verify_tls=verify_tls,
            connection_timeout=connection_timeout,
            workload_size=workload_size,
            image=image,
        )
        self._lineage_config = lineage
        self._emitter: LineageEmitter | None = None
        self._schedules: ScheduleBook | None = None
        self._lock = threading.Lock()

    # -- metadata --------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return "dagster"

    @property
    def version(self) -> str:
        return __version__

    @property
    def floe_api_version(self) -> str:
        return "1.0"

    @property
    def description(self) -> str:
        return "Dagster orchestrator for floe pipelines"

    def __repr__(self) -> str:
        return f"DagsterOrchestratorPlugin(version={self.version!r}, settings={self.settings!r})"

    # -- lifecycle -------------------------------------------------------------------------
    def shutdown(self) -> None:
        """Deliver queued lineage events (bounded) and stop the sender."""
        with self._lock:
            emitter, self._emitter = self._emitter, None
        if emitter is not None:
            emitter.close()

    def health_check(self) -> bool:
        return self.validate_connection().success

    # -- definitions -----------------------------------------------------------------------
    def create_definitions(
        self,
        artifacts: Mapping[str, Any] | CompiledArtifacts | str | os.PathLike[str],
        *,
        loggers: Mapping[str, LoggerDefinition] | None = None,
    ) -> Definitions:
        """Validate ``artifacts``, then build Definitions: assets, dbt, schedules, lineage.

        ``artifacts`` is the compiled artifacts as a dict (the seed's call), a
        ``CompiledArtifacts``, a JSON string or the path of ``compiled_artifacts.json``. Zero
        models give empty Definitions. ``loggers`` are extra Dagster loggers to add.
        """
        from ._definitions import build_definitions

        return build_definitions(
            Path(artifacts) if isinstance(artifacts, os.PathLike) else artifacts,
            settings=self.settings,
            schedules=self._schedule_book(),
            lineage=self._lineage_config,
            loggers=loggers,
        )

    def create_assets_from_transforms(
        self, transforms: list[TransformConfig]
    ) -> list[AssetsDefinition]:
        """Assets for ``transforms`` in the configured dbt project (validated first)."""
        from ._definitions import build_assets

        return build_assets(transforms, settings=self.settings)

    # -- deployment ------------------------------------------------------------------------
    def get_helm_values(self) -> dict[str, Any]:
        """Values for the official ``dagster/dagster`` chart, sized by ``workload_size``.

        The user-code deployment serves :mod:`floe_orchestrator_dagster.definitions` from
        ``image``, which holds the dbt project and its ``compiled_artifacts.json`` at
        ``/opt/dagster/app`` (the environment variables below say where, so a differently laid
        out image only needs other values). The instance's ``pythonLogs`` enable
        floe-dagster-lineage's ``OpenLineageHandler``. Validated against the chart's schema.
        """
        from floe_dagster_helm import build_helm_values
        from floe_dagster_lineage import dagster_handler_config

        return build_helm_values(
            workload_size=self.settings.workload_size,
            image=self.settings.image,
            definitions_module="floe_orchestrator_dagster.definitions",
            working_directory=IMAGE_APP_DIR,
            deployment_overrides={
                "env": [
                    {"name": "FLOE_DBT_PROJECT_DIR", "value": IMAGE_APP_DIR},
                    {
                        "name": "FLOE_COMPILED_ARTIFACTS",
                        "value": f"{IMAGE_APP_DIR}/compiled_artifacts.json",
                    },
                ]
            },
            # Lineage for every run of the instance, UI-launched ones included; settings come
            # from the artifacts (through the definitions) or OPENLINEAGE_* where runs execute.
            overrides={"pythonLogs": {"dagsterHandlerConfig": dagster_handler_config()}},
        )

    def write_helm_values(self, path: str | os.PathLike[str]) -> Path:
        """Write :meth:`get_helm_values` as a values file (nothing is written if invalid)."""
        from floe_dagster_helm import write_values_file

        return write_values_file(self.get_helm_values(), path)

    def get_resource_requirements(self, workload_size: str) -> ResourceSpec:
        from floe_dagster_helm import get_resource_requirements

        return get_resource_requirements(workload_size)

    def validate_connection(self) -> ValidationResult:
        """Ask the webserver for its version over GraphQL, within ``connection_timeout``."""
        from ._connection import check_dagster_connection

        return check_dagster_connection(
            self.settings.dagster_url,
            headers=self.settings.request_headers(),
            verify_tls=self.settings.verify_tls,
            deadline=self.settings.connection_timeout,
        )

    # -- lineage ---------------------------------------------------------------------------
    def emit_lineage_event(
        self,
        event_type: str,
        job: str,
        inputs: Sequence[Dataset],
        outputs: Sequence[Dataset],
        *,
        run_id: str | None = None,
        error: BaseException | str | None = None,
        job_facets: Mapping[str, Any] | None = None,
        run_facets: Mapping[str, Any] | None = None,
    ) -> None:
        """Queue an OpenLineage event; never blocks and never raises for delivery problems."""
        self._lineage_emitter().emit(
            event_type,
            job,
            inputs,
            outputs,
            run_id=run_id,
            error=error,
            job_facets=job_facets,
            run_facets=run_facets,
        )

    def _lineage_emitter(self) -> LineageEmitter:
        with self._lock:
            if self._emitter is None:
                from floe_dagster_lineage import LineageConfig, LineageEmitter

                config = self._lineage_config or LineageConfig.from_observability(None)
                self._emitter = LineageEmitter(config)
            return self._emitter

    # -- schedules -------------------------------------------------------------------------
    def schedule_job(self, job_name: str, cron: str, timezone: str) -> None:
        """Validate and store a schedule; the next ``create_definitions`` contains it."""
        self._schedule_book().add(job_name, cron, timezone)

    def _schedule_book(self) -> ScheduleBook:
        with self._lock:
            if self._schedules is None:
                from floe_dagster_schedules import ScheduleBook

                self._schedules = ScheduleBook()
            return self._schedules
