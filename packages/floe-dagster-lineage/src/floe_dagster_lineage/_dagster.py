"""Lineage for Dagster runs: a Dagster logger that turns the run's structured events into
OpenLineage events, in whichever process each event happens.

Why a logger: Dagster hands every ``@logger`` the ``DagsterEvent`` behind each log record
(``record.dagster_meta``) in the process where it happens: the run worker for run events, each
step's process for step and materialization events (checked with ``execute_in_process`` and the
multiprocess executor). The logger is built with the run's job (``InitLoggerContext.job_def``), so
it knows the asset graph of exactly what runs, subsets included, without being told.

Dagster instantiates a custom logger only when the run config names it (``loggers:
{openlineage: {}}``), so :func:`with_openlineage` puts that into every asset job's default config
and :func:`lineage_run_config` gives it for anything launched otherwise.

Events: the Dagster run gives job START / COMPLETE / FAIL / ABORT (job type ``JOB``); each asset
gives START when its step starts, COMPLETE at its materialization, FAIL when its step fails
before materializing it, ABORT when its step succeeds without materializing it (optional outputs).
Per-asset events have their own run id (a UUIDv5 of the Dagster run id and the asset key, so that
every process derives the same one) and a ``ParentRunFacet`` pointing at the Dagster run.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from floe_orchestrator_contract import Dataset

from ._config import LineageConfig
from ._dbt import DbtManifest, DbtModel
from ._emitter import LineageEmitter, shared_emitter
from ._events import PRODUCER, ParentRun, error_facet

if TYPE_CHECKING:
    import dagster as dg

__all__ = ["LOGGER_KEY", "lineage_run_config", "openlineage_logger", "with_openlineage"]

logger = logging.getLogger(__name__)

LOGGER_KEY = "openlineage"
_RUN_ID_NAMESPACE = uuid.UUID("6f2a3c1e-5d4b-4f7a-9c8e-0b1d2e3f4a5b")
_WRAPPER_ERRORS = frozenset({"DagsterExecutionStepExecutionError", "DagsterUserCodeExecutionError"})
_MAX_TRACKED_RUNS = 64


# -- the public API ------------------------------------------------------------------------------
def openlineage_logger(
    config: LineageConfig | None = None,
    *,
    dbt_manifest: str | Path | Mapping[str, Any] | None = None,
) -> dg.LoggerDefinition:
    """A Dagster logger that emits OpenLineage events for the runs it is attached to.

    ``config=None`` resolves :meth:`LineageConfig.from_observability` (OpenLineage's standard
    settings) in each process, so Kubernetes step pods read their own environment. With a
    ``dbt_manifest`` (path or parsed ``manifest.json``), assets that are dbt models get the
    model's relation as dataset name, its columns as schema facet and its SQL as job facet.
    """
    import dagster as dg

    manifest = DbtManifest.load(dbt_manifest) if dbt_manifest is not None else None

    def _openlineage_logger(init_context: dg.InitLoggerContext) -> logging.Logger:
        resolved = config if config is not None else LineageConfig.from_observability(None)
        translator = RunTranslator(shared_emitter(resolved), init_context.job_def, manifest)
        out = logging.Logger("floe_dagster_lineage.dagster_events", level=logging.DEBUG)
        out.addHandler(_DagsterEventHandler(translator))
        return out

    return dg.LoggerDefinition(
        _openlineage_logger,
        description="Sends OpenLineage events for each run and each materialized asset",
    )


def lineage_run_config(
    run_config: Mapping[str, Any] | None = None, *, logger_key: str = LOGGER_KEY
) -> dict[str, Any]:
    """``run_config`` with the lineage logger switched on (and Dagster's console logger kept,
    which naming any logger would otherwise switch off)."""
    merged = dict(run_config or {})
    loggers = dict(merged.get("loggers") or {})
    loggers.setdefault("console", {})
    loggers.setdefault(logger_key, {})
    merged["loggers"] = loggers
    return merged


def with_openlineage(
    defs: dg.Definitions,
    config: LineageConfig | None = None,
    *,
    dbt_manifest: str | Path | Mapping[str, Any] | None = None,
    logger_key: str = LOGGER_KEY,
) -> dg.Definitions:
    """``defs`` with the lineage logger added and switched on in every asset job's default config.

    Jobs whose config is a ``ConfigMapping``/``PartitionedConfig`` and op jobs keep theirs: launch
    those (and ad-hoc materializations of the implicit asset job) with
    ``run_config=lineage_run_config(...)``.
    """
    import inspect

    import dagster as dg
    from dagster import colored_console_logger

    loggers = dict(defs.loggers or {})
    if logger_key in loggers:
        raise ValueError(f"with_openlineage: logger key {logger_key!r} is already used in defs")
    loggers.setdefault("console", colored_console_logger)
    loggers[logger_key] = openlineage_logger(config, dbt_manifest=dbt_manifest)
    jobs = [_with_lineage_config(job, logger_key) for job in defs.jobs or []]
    parameters = [p for p in inspect.signature(dg.Definitions.__new__).parameters if p != "cls"]
    arguments = {name: getattr(defs, name) for name in parameters if hasattr(defs, name)}
    arguments.update(loggers=loggers, jobs=jobs)
    return dg.Definitions(**arguments)


def _with_lineage_config(job: Any, logger_key: str) -> Any:
    import inspect

    import dagster as dg
    from dagster._core.definitions.unresolved_asset_job_definition import (
        UnresolvedAssetJobDefinition,
    )

    if not isinstance(job, UnresolvedAssetJobDefinition):
        return job
    if job.config is not None and not isinstance(job.config, Mapping):
        logger.debug("job %r keeps its own config: add lineage_run_config() to it", job.name)
        return job
    parameters = inspect.signature(dg.define_asset_job).parameters
    arguments = {name: getattr(job, name) for name in parameters if hasattr(job, name)}
    arguments["config"] = lineage_run_config(job.config, logger_key=logger_key)
    return dg.define_asset_job(**arguments)


# -- from Dagster events to OpenLineage events -------------------------------------------------
class _DagsterEventHandler(logging.Handler):
    def __init__(self, translator: RunTranslator) -> None:
        super().__init__(level=logging.NOTSET)
        self._translator = translator

    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", None)
        if not isinstance(meta, Mapping) or meta.get("dagster_event") is None:
            return
        event = meta["dagster_event"]
        try:
            self._translator.handle(event, meta, record.created)
        except Exception:
            logger.debug("could not translate a Dagster event into lineage", exc_info=True)


@dataclass
class _RunState:
    saw_run_start: bool = False
    planned: dict[str, list[Any]] = field(default_factory=dict)
    started: set[Any] = field(default_factory=set)
    finished: set[Any] = field(default_factory=set)


_RUNS: OrderedDict[str, _RunState] = OrderedDict()
_RUNS_LOCK = threading.Lock()


def _run_state(run_id: str) -> _RunState:
    # Shared by every logger instance of the process: Dagster may build the logger more than
    # once per run and process (the in-process executor does, for two contexts).
    with _RUNS_LOCK:
        state = _RUNS.get(run_id)
        if state is None:
            state = _RUNS[run_id] = _RunState()
            while len(_RUNS) > _MAX_TRACKED_RUNS:
                _RUNS.popitem(last=False)
        return state


class RunTranslator:
    """Turns one run's ``DagsterEvent``s into OpenLineage events through ``emitter``."""

    def __init__(
        self, emitter: LineageEmitter, job_def: Any, manifest: DbtManifest | None = None
    ) -> None:
        self.emitter = emitter
        self.namespace = emitter.config.namespace
        self._job_def = job_def
        self._manifest = manifest
        self._datasets: dict[Any, Dataset] = {}

    # -- graph knowledge -----------------------------------------------------------------------
    @property
    def _asset_layer(self) -> Any:
        return getattr(self._job_def, "asset_layer", None)

    def _node(self, key: Any) -> Any:
        layer = self._asset_layer
        try:
            return layer.get(key) if layer is not None and layer.has(key) else None
        except Exception:
            return None

    def _planned_keys(self, step_key: str) -> list[Any]:
        from dagster import AssetKey
        from dagster._core.definitions.dependency import NodeHandle

        layer = self._asset_layer
        if layer is None:
            return []
        root = step_key.split("[", 1)[0].split(".", 1)[0]
        keys = layer.get_selected_entity_keys_for_node(NodeHandle(root, None))
        return sorted((k for k in keys if isinstance(k, AssetKey)), key=lambda k: k.path)

    def _model(self, key: Any, metadata: Mapping[str, Any]) -> DbtModel | None:
        return self._manifest.find(tuple(key.path), metadata) if self._manifest else None

    def dataset(self, key: Any, runtime_metadata: Mapping[str, Any] | None = None) -> Dataset:
        """The dataset of asset ``key``: same namespace and name as output and as input."""
        if runtime_metadata is None and key in self._datasets:
            return self._datasets[key]
        node = self._node(key)
        metadata: dict[str, Any] = dict(getattr(node, "metadata", None) or {})
        model = self._model(key, metadata)
        name = (
            _text(metadata.get("dagster/table_name"))
            or _text(metadata.get("dagster/relation_identifier"))
            or (model.relation if model else None)
            or ".".join(key.path)
        )
        facets: dict[str, Any] = {}
        columns = _columns(dict(runtime_metadata or {}).get("dagster/column_schema"))
        columns = columns or _columns(metadata.get("dagster/column_schema"))
        if not columns and model is not None and model.columns:
            columns = list(model.columns)
        if columns:
            facets["schema"] = _schema_facet(columns)
        dataset = Dataset(namespace=self.namespace, name=name, facets=facets)
        if runtime_metadata is None:
            self._datasets[key] = dataset
        return dataset

    def _inputs(self, key: Any) -> list[Dataset]:
        node = self._node(key)
        parents = sorted(getattr(node, "parent_keys", None) or (), key=lambda k: k.path)
        return [self.dataset(parent) for parent in parents]

    def _job_facets(self, key: Any) -> dict[str, Any]:
        node = self._node(key)
        model = self._model(key, dict(getattr(node, "metadata", None) or {}))
        if model is None or not model.sql:
            return {}
        return {"sql": _sql_facet(model.sql, model.dialect)}

    # -- events --------------------------------------------------------------------------------
    def handle(self, event: Any, meta: Mapping[str, Any], created: float) -> None:
        from dagster import DagsterEventType as T

        run_id = meta.get("run_id")
        job_name = meta.get("job_name") or "dagster_job"
        if not isinstance(run_id, str):
            return
        kind = event.event_type
        at = datetime.fromtimestamp(created, tz=timezone.utc)
        state = _run_state(run_id)
        if kind == T.RUN_START:
            state.saw_run_start = True
            self._emit_run("START", job_name, run_id, at)
        elif kind in (T.RUN_SUCCESS, T.RUN_FAILURE, T.RUN_CANCELED):
            outcome = {T.RUN_SUCCESS: "COMPLETE", T.RUN_FAILURE: "FAIL"}.get(kind, "ABORT")
            error = _run_error(event) if kind == T.RUN_FAILURE else None
            self._emit_run(outcome, job_name, run_id, at, error)
            with _RUNS_LOCK:
                _RUNS.pop(run_id, None)
            self.emitter.flush()
        elif kind == T.STEP_START and event.step_key:
            planned = self._planned_keys(event.step_key)
            state.planned[event.step_key] = planned
            for key in planned:
                self._start_asset(state, key, job_name, run_id, at)
        elif kind == T.ASSET_MATERIALIZATION:
            key = event.asset_key
            if key is None or key in state.finished:
                return
            self._start_asset(state, key, job_name, run_id, at)
            materialization = event.step_materialization_data.materialization
            state.finished.add(key)
            metadata = dict(materialization.metadata or {})
            self._emit_asset("COMPLETE", key, job_name, run_id, at, runtime_metadata=metadata)
        elif kind in (T.STEP_FAILURE, T.STEP_SUCCESS) and event.step_key:
            failed = kind == T.STEP_FAILURE
            # A graph-backed asset runs several steps; only a failure ends it before its output.
            if failed or "." not in event.step_key:
                error = _step_error(event) if failed else None
                for key in state.planned.get(event.step_key, []):
                    if key in state.started and key not in state.finished:
                        state.finished.add(key)
                        outcome = "FAIL" if failed else "ABORT"
                        self._emit_asset(outcome, key, job_name, run_id, at, error=error)
            if not state.saw_run_start:
                # A step process of its own (multiprocess, k8s): deliver before it exits.
                self.emitter.flush()

    def _start_asset(
        self, state: _RunState, key: Any, job_name: str, run_id: str, at: datetime
    ) -> None:
        if key in state.started:
            return
        state.started.add(key)
        self._emit_asset("START", key, job_name, run_id, at)

    def _emit_run(
        self,
        event_type: str,
        job_name: str,
        run_id: str,
        at: datetime,
        error: tuple[str, str | None] | None = None,
    ) -> None:
        self.emitter.emit(
            event_type,
            job_name,
            [],
            [],
            run_id=_as_uuid(run_id),
            run_facets=_error_facets(error),
            event_time=at,
            job_type="JOB",
        )

    def _emit_asset(
        self,
        event_type: str,
        key: Any,
        job_name: str,
        run_id: str,
        at: datetime,
        *,
        runtime_metadata: Mapping[str, Any] | None = None,
        error: tuple[str, str | None] | None = None,
    ) -> None:
        self.emitter.emit(
            event_type,
            ".".join(key.path),
            self._inputs(key),
            [self.dataset(key, runtime_metadata)],
            run_id=str(uuid.uuid5(_RUN_ID_NAMESPACE, f"{run_id}/{key.to_user_string()}")),
            parent=ParentRun(job=job_name, run_id=_as_uuid(run_id), namespace=self.namespace),
            run_facets=_error_facets(error),
            job_facets=self._job_facets(key),
            event_time=at,
            job_type="ASSET",
        )


# -- helpers -------------------------------------------------------------------------------------
def _as_uuid(run_id: str) -> str:
    try:
        return str(uuid.UUID(run_id))
    except ValueError:
        return str(uuid.uuid5(_RUN_ID_NAMESPACE, run_id))


def _error_facets(error: tuple[str, str | None] | None) -> dict[str, Any] | None:
    if error is None:
        return None
    message, stack = error
    return {"errorMessage": error_facet(message, stack)}


def _user_error(error: Any) -> tuple[str, str | None]:
    """The user's exception behind Dagster's wrappers: message and the full stack."""
    full = error.to_string() if hasattr(error, "to_string") else None
    inner = error
    while getattr(inner, "cls_name", None) in _WRAPPER_ERRORS and getattr(inner, "cause", None):
        inner = inner.cause
    message = str(getattr(inner, "message", "") or "").strip() or "step failed"
    return message, full


def _step_error(event: Any) -> tuple[str, str | None]:
    data = event.step_failure_data
    if data is None or data.error is None:
        return (event.message or "step failed", None)
    return _user_error(data.error)


def _run_error(event: Any) -> tuple[str, str | None]:
    data = getattr(event, "event_specific_data", None)
    error = getattr(data, "error", None)
    if error is not None:
        return _user_error(error)
    return (event.message or "run failed", None)


def _text(value: Any) -> str | None:
    value = getattr(value, "value", value)
    value = getattr(value, "text", value)
    return value if isinstance(value, str) and value else None


def _columns(value: Any) -> list[tuple[str, str | None, str | None]]:
    # A TableSchema as declared, or a TableSchemaMetadataValue as Dagster normalizes it.
    schema = value if hasattr(value, "columns") else getattr(value, "schema", None)
    columns = getattr(schema, "columns", None)
    if not columns:
        return []
    return [
        (str(c.name), getattr(c, "type", None) or None, getattr(c, "description", None) or None)
        for c in columns
    ]


def _schema_facet(columns: Sequence[tuple[str, str | None, str | None]]) -> Any:
    from openlineage.client.generated.schema_dataset import (
        SchemaDatasetFacet,
        SchemaDatasetFacetFields,
    )

    return SchemaDatasetFacet(
        fields=[
            SchemaDatasetFacetFields(name=name, type=kind, description=description)
            for name, kind, description in columns
        ],
        producer=PRODUCER,
    )


def _sql_facet(query: str, dialect: str | None) -> Any:
    from openlineage.client.generated.sql_job import SQLJobFacet

    if dialect:
        try:
            return SQLJobFacet(query=query, dialect=dialect, producer=PRODUCER)
        except TypeError:  # openlineage-python before dialect was added to the facet
            pass
    return SQLJobFacet(query=query, producer=PRODUCER)
