"""``DagsterOrchestratorPlugin``: floe's orchestrator, composed from the capability packages.

Importing this module (what floe's discovery does) costs almost nothing: dagster, dagster-dbt,
openlineage and pydantic are imported inside the methods that need them, never at module import.
Every member floe-core calls is here: the seed's seven operations, and ``tracer_name``,
``get_config_schema``/``configure``, ``dependencies``, ``health_check(timeout)``, floe's
``emit_lineage_event``, ``get_lineage_emitter``, ``sensor_definition`` and
``generate_entry_point_code``.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union, cast

from floe_orchestrator_contract import OrchestratorPlugin

from .__about__ import __version__
from ._entry_point import write_entry_point
from ._settings import PluginSettings

if TYPE_CHECKING:
    import datetime
    import uuid

    from dagster import AssetsDefinition, Definitions, LoggerDefinition
    from pydantic import BaseModel

    from floe_dagster_lineage import LineageConfig, LineageEmitter
    from floe_dagster_schedules import ScheduleBook
    from floe_orchestrator_contract import (
        CompiledArtifacts,
        HealthStatus,
        ResourceSpec,
        RunState,
        TransformConfig,
        ValidationResult,
    )

__all__ = ["IMAGE_APP_DIR", "TRACER_NAME", "DagsterOrchestratorPlugin"]

# One product's compiled artifacts, as create_definitions takes them.
_Artifacts = Union["Mapping[str, Any]", "CompiledArtifacts", str, "os.PathLike[str]"]

# The OpenTelemetry tracer name floe's instrumentation audit reads (floe's own Dagster plugin
# reports "floe.orchestrator.dagster" too, so dashboards keep their name).
TRACER_NAME = "floe.orchestrator.dagster"
# floe's bounds for a health check's timeout (its conformance tests: 0.1 s to 10 s).
_HEALTH_TIMEOUT_RANGE = (0.1, 10.0)
_TERMINAL = frozenset({"COMPLETE", "FAIL", "ABORT"})

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
    environment (``OPENLINEAGE_URL``, ``openlineage.yml``, ...). ``namespace_by_product``
    (the default) names asset keys ``[product, model]`` and the product's op, jobs, schedules
    and resources after it, so several products share a deployment; ``False`` keeps bare names
    for a single product.
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
        namespace_by_product: bool = True,
    ) -> None:
        super().__init__()
        self._keywords: dict[str, Any] = {
            "dbt_project_dir": dbt_project_dir,
            "dbt_profiles_dir": dbt_profiles_dir,
            "dagster_url": dagster_url,
            "dagster_token": dagster_token,
            "dagster_headers": dagster_headers,
            "verify_tls": verify_tls,
            "connection_timeout": connection_timeout,
            "workload_size": workload_size,
            "image": image,
        }
        self.settings = PluginSettings.resolve(**self._keywords)
        self._lineage_config = lineage
        self.namespace_by_product = namespace_by_product
        self._emitter: LineageEmitter | None = None
        self._namespaced: dict[str, LineageEmitter] = {}
        self._open_runs: dict[tuple[str, str], uuid.UUID] = {}
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

    @property
    def tracer_name(self) -> str:
        return TRACER_NAME

    @property
    def dependencies(self) -> list[str]:
        """None: the compute, catalog and lineage plugins are read from the artifacts."""
        return []

    def __repr__(self) -> str:
        return f"DagsterOrchestratorPlugin(version={self.version!r}, settings={self.settings!r})"

    # -- configuration ---------------------------------------------------------------------
    def get_config_schema(self) -> type[BaseModel]:
        """:class:`~floe_orchestrator_dagster.DagsterPluginConfig`, what floe validates with."""
        from ._config import DagsterPluginConfig

        return DagsterPluginConfig

    def configure(self, config: BaseModel | Mapping[str, Any] | None) -> None:
        """Apply floe's validated configuration (a dict is validated first); ``None`` goes back
        to the constructor's settings. Settings it leaves unset keep the constructor's value."""
        from ._config import DagsterPluginConfig

        if config is not None and not isinstance(config, DagsterPluginConfig):
            raw = config.model_dump() if hasattr(config, "model_dump") else dict(config)
            config = DagsterPluginConfig.model_validate(raw)
        keywords = dict(self._keywords)
        if config is not None:
            for name in config.model_fields_set & keywords.keys():
                value = getattr(config, name)
                if name == "dagster_token" and value is not None:
                    value = value.get_secret_value()
                keywords[name] = value
        self.settings = PluginSettings.resolve(**keywords)
        super().configure(config)

    # -- lifecycle -------------------------------------------------------------------------
    def shutdown(self) -> None:
        """Deliver queued lineage events (bounded) and stop the senders."""
        with self._lock:
            emitters = [e for e in (self._emitter, *self._namespaced.values()) if e is not None]
            self._emitter = None
            self._namespaced.clear()
            self._open_runs.clear()
        for emitter in emitters:
            emitter.close()

    def health_check(self, timeout: float | None = None) -> HealthStatus:
        """Whether the Dagster webserver answers, as floe's ``HealthStatus``.

        ``timeout`` (0.1 to 10 seconds; default ``connection_timeout``) bounds the whole check.
        ``details`` holds ``dagster_url``, ``response_time_ms`` and ``checked_at``; a failure is
        reported as unhealthy with the reason, never raised.
        """
        low, high = _HEALTH_TIMEOUT_RANGE
        if timeout is not None and not low <= timeout <= high:
            raise ValueError(
                f"timeout: {timeout!r} seconds is out of range (allowed: {low:g} to {high:g})"
            )
        from floe_orchestrator_contract import HealthState, HealthStatus

        from ._connection import check_dagster_connection

        started = time.perf_counter()
        result = check_dagster_connection(
            self.settings.dagster_url,
            headers=self.settings.request_headers(),
            verify_tls=self.settings.verify_tls,
            deadline=self.settings.connection_timeout if timeout is None else timeout,
        )
        details: dict[str, Any] = {
            "dagster_url": self.settings.dagster_url,
            "response_time_ms": round((time.perf_counter() - started) * 1000, 1),
            "checked_at": _now(),
        }
        if result.errors:
            details["errors"] = list(result.errors)
        state = HealthState.HEALTHY if result.success else HealthState.UNHEALTHY
        return HealthStatus(state=state, message=result.message, details=details)

    # -- definitions -----------------------------------------------------------------------
    def create_definitions(
        self,
        artifacts: _Artifacts | Sequence[_Artifacts],
        *,
        loggers: Mapping[str, LoggerDefinition] | None = None,
    ) -> Definitions:
        """Validate ``artifacts``, then build Definitions: assets, dbt, schedules, lineage.

        ``artifacts`` is the compiled artifacts as a dict (what floe passes), a
        ``CompiledArtifacts``, the path of ``compiled_artifacts.json`` (a ``Path``, or a ``str``
        naming an existing file) or JSON text; or a list of them, several products in one code
        location (each path's dbt project is its folder, or that folder's parent). Zero models
        give empty Definitions. ``loggers`` are extra Dagster loggers to add.
        """
        from ._definitions import build_definitions

        return build_definitions(
            [_as_path(a) for a in cast("Sequence[Any]", artifacts)]
            if _is_list(artifacts)
            else _as_path(artifacts),
            settings=self.settings,
            schedules=self._schedule_book(),
            lineage=self._lineage_config,
            loggers=loggers,
            namespace_by_product=self.namespace_by_product,
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
    def emit_lineage_event(  # noqa: PLR0917 - floe's signature, positional as floe calls it
        self,
        event_type: RunState | str,
        job_name: str,
        job_namespace: str | Sequence[Any] | None = None,
        run_id: uuid.UUID | str | Sequence[Any] | None = None,
        inputs: Sequence[Any] | None = None,
        outputs: Sequence[Any] | None = None,
        run_facets: Mapping[str, Any] | None = None,
        job_facets: Mapping[str, Any] | None = None,
        producer: str | None = None,
        *,
        error: BaseException | str | None = None,
    ) -> uuid.UUID:
        """Queue an OpenLineage event; return its run id. Never blocks, never raises for
        delivery problems (bad arguments raise, naming each).

        floe's signature, and the seed's ``emit_lineage_event(type, job, inputs, outputs)``.
        Without ``run_id`` a START opens a run of ``job_name`` and the next COMPLETE, FAIL or
        ABORT of that job closes it with the same id. ``job_namespace`` defaults to the lineage
        namespace (the artifacts' ``lineage_namespace`` or ``OPENLINEAGE_NAMESPACE``).
        ``inputs``/``outputs`` take floe's ``LineageDataset`` or the seed's ``Dataset``.
        ``producer`` is accepted for floe's signature; events name this plugin as producer, a
        URI as OpenLineage requires.
        """
        from floe_orchestrator_contract import RunState, seed_call_datasets

        job_namespace, run_id, inputs, outputs = seed_call_datasets(
            job_namespace, run_id, inputs, outputs
        )
        kind = str(event_type.value if isinstance(event_type, RunState) else event_type)
        emitter = self._lineage_emitter(job_namespace if isinstance(job_namespace, str) else None)
        chosen = self._run_id_for(kind.upper(), job_name, emitter.config.namespace, run_id)
        emitter.emit(
            kind,
            job_name,
            _datasets(inputs),
            _datasets(outputs),
            run_id=str(chosen),
            error=error,
            job_facets=job_facets,
            run_facets=run_facets,
        )
        return chosen

    def _run_id_for(self, kind: str, job: str, namespace: str, given: object) -> uuid.UUID:
        import uuid  # here, not at module import: it brings platform, and discovery pays that

        key = (namespace, job)
        with self._lock:
            if given is not None:
                chosen = _as_uuid(given)
                if kind in _TERMINAL and self._open_runs.get(key) == chosen:
                    del self._open_runs[key]
            elif kind == "START":
                chosen = self._open_runs[key] = uuid.uuid4()
            elif kind in _TERMINAL:
                chosen = self._open_runs.pop(key) if key in self._open_runs else uuid.uuid4()
            else:
                chosen = self._open_runs.get(key) or uuid.uuid4()
            return chosen

    def get_lineage_emitter(self) -> LineageEmitter:
        """The emitter behind :meth:`emit_lineage_event` (floe-dagster-lineage's)."""
        return self._lineage_emitter()

    def _lineage_emitter(self, namespace: str | None = None) -> LineageEmitter:
        with self._lock:
            if self._emitter is None:
                from floe_dagster_lineage import LineageConfig, LineageEmitter

                config = self._lineage_config or LineageConfig.from_observability(None)
                self._emitter = LineageEmitter(config)
            if namespace is None or namespace == self._emitter.config.namespace:
                return self._emitter
            emitter = self._namespaced.get(namespace)
            if emitter is None:
                from floe_dagster_lineage import LineageEmitter

                config = self._emitter.config.with_changes(namespace=namespace)
                emitter = self._namespaced[namespace] = LineageEmitter(config)
            return emitter

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

    def sensor_definition(self) -> Any | None:
        """None: runs start from schedules and the UI; this plugin defines no sensor."""
        return None

    # -- code generation -------------------------------------------------------------------
    def generate_entry_point_code(
        self,
        product_name: str,
        output_dir: str,
        *,
        lineage_enabled: bool = False,
        iceberg_enabled: bool = False,
    ) -> str:
        """Write ``definitions.py`` into ``output_dir``: it loads the product beside it
        (``compiled_artifacts.json``, and the dbt project there or one folder up) through
        :func:`floe_orchestrator_dagster.loader.load_product_definitions`. Returns its path.

        Lineage follows the artifacts at load time, so ``lineage_enabled`` changes nothing in
        the file; ``iceberg_enabled`` is logged as not supported (dbt writes to its target).
        """
        # Imported here: logging costs discovery (which imports this module) a few milliseconds.
        import logging

        logger = logging.getLogger(__name__)
        if iceberg_enabled:
            logger.warning(
                "%s: Iceberg export (plugins.catalog + plugins.storage) is not run by this "
                "plugin; dbt writes to its own target",
                product_name,
            )
        path = write_entry_point(product_name, Path(output_dir), plugin_version=__version__)
        logger.info("wrote %s (lineage %s)", path, "on" if lineage_enabled else "per artifacts")
        return str(path)


def _is_list(artifacts: object) -> bool:
    return isinstance(artifacts, Sequence) and not isinstance(artifacts, (str, bytes))


def _as_path(artifacts: Any) -> Any:
    return Path(artifacts) if isinstance(artifacts, os.PathLike) else artifacts


def _datasets(values: Sequence[Any] | None) -> list[Any]:
    """floe's ``LineageDataset`` (anything with namespace, name, facets) as seed ``Dataset``s;
    anything else is passed on for the emitter to reject by name."""
    from floe_orchestrator_contract import Dataset

    out: list[Any] = []
    for value in values or []:
        namespace, name = getattr(value, "namespace", None), getattr(value, "name", None)
        if isinstance(value, Dataset) or not (isinstance(namespace, str) and isinstance(name, str)):
            out.append(value)
        else:
            out.append(Dataset(namespace, name, dict(getattr(value, "facets", None) or {})))
    return out


def _as_uuid(value: object) -> uuid.UUID:
    import uuid

    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise ValueError(f"run_id: {value!r} is not a UUID (allowed: a UUID or None)") from None


def _now() -> datetime.datetime:
    # Imported here: on Python 3.13 nothing has imported datetime when floe discovers plugins.
    import datetime

    return datetime.datetime.now(datetime.timezone.utc)
