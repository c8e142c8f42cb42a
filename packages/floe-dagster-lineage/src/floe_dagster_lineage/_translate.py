"""From a Dagster run's structured events to OpenLineage events: the one translator behind both
the Dagster logger (:func:`~floe_dagster_lineage.openlineage_logger`) and the instance-level
:class:`~floe_dagster_lineage.OpenLineageHandler`, so a run reports the same graph whichever of
them is active.

Events: the Dagster run gives job START / COMPLETE / FAIL / ABORT (job type ``JOB``); each asset
gives START when its step starts, COMPLETE at its materialization, FAIL when its step fails
before materializing it, ABORT when its step succeeds without materializing it (optional outputs).
Per-asset events have their own run id (a UUIDv5 of the Dagster run id and the asset key, so that
every process derives the same one) and a ``ParentRunFacet`` pointing at the Dagster run.

floe's dbt assets (their metadata carries ``floe/compute``) are left to the
:class:`~floe_dagster_lineage.OpenLineageObserver` wherever one with active settings exists in
the process: it reports them with what dbt measured. A run of nothing else is left to it too.

Which path reports a run is decided per process: a logger whose settings are active *claims* the
run when Dagster builds it (before the run's first event reaches any handler), and the handler
leaves claimed runs alone. So a run with both the logger and the handler active is reported once.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import OrderedDict
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from floe_orchestrator_contract import Dataset

from ._config import LineageConfig
from ._dbt import DbtManifest, DbtModel
from ._emitter import LineageEmitter
from ._events import PRODUCER, ParentRun, error_facet
from ._graph import OBSERVED_MARKER, AssetGraph
from ._observer import observer_active

__all__ = [
    "LineageSpec",
    "RunTranslator",
    "claim_run",
    "is_claimed",
    "is_lineage_event",
    "is_run_end",
]

logger = logging.getLogger(__name__)

_RUN_ID_NAMESPACE = uuid.UUID("6f2a3c1e-5d4b-4f7a-9c8e-0b1d2e3f4a5b")
_WRAPPER_ERRORS = frozenset({"DagsterExecutionStepExecutionError", "DagsterUserCodeExecutionError"})
_MAX_TRACKED_RUNS = 64
_LINEAGE_EVENTS = frozenset(
    {
        "PIPELINE_START",
        "PIPELINE_SUCCESS",
        "PIPELINE_FAILURE",
        "PIPELINE_CANCELED",
        "STEP_START",
        "STEP_SUCCESS",
        "STEP_FAILURE",
        "ASSET_MATERIALIZATION",
    }
)
_RUN_ENDS = frozenset({"PIPELINE_SUCCESS", "PIPELINE_FAILURE", "PIPELINE_CANCELED"})


@dataclass(frozen=True)
class LineageSpec:
    """What a code location declared for its runs' lineage: settings (``None``: each process's
    own environment) and an optional dbt manifest. Carried by the logger definition, so the
    instance handler can report a run exactly as the logger would have."""

    config: LineageConfig | None = None
    manifest: DbtManifest | None = None
    graph: AssetGraph | None = field(default=None, compare=False)

    def resolve(self) -> LineageConfig:
        return self.config if self.config is not None else LineageConfig.from_observability(None)


def is_lineage_event(event: Any) -> bool:
    """Whether a ``DagsterEvent`` can produce lineage (cheap: by its type's value)."""
    return getattr(event, "event_type_value", None) in _LINEAGE_EVENTS


def is_run_end(event: Any) -> bool:
    return getattr(event, "event_type_value", None) in _RUN_ENDS


# -- which path reports a run, per process -----------------------------------------------------
_RUNS_LOCK = threading.RLock()
_CLAIMED: OrderedDict[str, None] = OrderedDict()


def claim_run(run_id: str) -> None:
    """The logger reports ``run_id`` in this process: the instance handler stays out of it."""
    with _RUNS_LOCK:
        _CLAIMED[run_id] = None
        _CLAIMED.move_to_end(run_id)
        while len(_CLAIMED) > _MAX_TRACKED_RUNS:
            _CLAIMED.popitem(last=False)


def is_claimed(run_id: str) -> bool:
    with _RUNS_LOCK:
        return run_id in _CLAIMED


# -- per-run state, shared by every logger and handler instance of the process ------------------
@dataclass
class _RunState:
    saw_run_start: bool = False
    planned: dict[str, list[Any]] = field(default_factory=dict)
    step_started: dict[str, datetime] = field(default_factory=dict)
    started: set[Any] = field(default_factory=set)
    finished: set[Any] = field(default_factory=set)


_RUNS: OrderedDict[str, _RunState] = OrderedDict()


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
    """Turns one run's ``DagsterEvent``s into OpenLineage events through ``emitter``.

    ``graph`` is the asset graph of the run's code location (each step's assets, their upstream
    assets and their metadata); ``None`` leaves only what the events say: an asset starts and
    completes at its materialization, without inputs. ``selection`` is the run's asset
    selection when known; without it, an op that can run a subset of its assets reports each
    of them from its materialization (started at the step's start).
    """

    def __init__(
        self,
        emitter: LineageEmitter,
        graph: AssetGraph | None,
        manifest: DbtManifest | None = None,
        *,
        selection: Set[Any] | None = None,
    ) -> None:
        self.emitter = emitter
        self.namespace = emitter.config.namespace
        self._graph = graph
        self._manifest = manifest
        self._selection = set(selection) if selection else None
        self._datasets: dict[Any, Dataset] = {}
        # Where an OpenLineageObserver reports floe's dbt nodes, they are its alone.
        self._leave_observed = observer_active()

    # -- graph knowledge -----------------------------------------------------------------------
    def _metadata(self, key: Any) -> dict[str, Any]:
        return dict(self._graph.metadata.get(key, {})) if self._graph is not None else {}

    def _ours(self, key: Any, runtime_metadata: Mapping[str, Any] | None = None) -> bool:
        """Whether this translator reports asset ``key`` (not an observer's dbt node)."""
        if not self._leave_observed:
            return True
        metadata = runtime_metadata if runtime_metadata is not None else self._metadata(key)
        return OBSERVED_MARKER not in metadata and OBSERVED_MARKER not in self._metadata(key)

    def reports_run(self) -> bool:
        """Whether the Dagster run itself is reported: not when every asset of the code location
        is an observer's (a floe product's run is the observer's to report)."""
        if not self._leave_observed or self._graph is None or not self._graph.metadata:
            return True
        keys = self._selection or set(self._graph.metadata)
        return any(self._ours(key) for key in keys)

    def _planned_keys(self, step_key: str) -> tuple[list[Any], bool]:
        """The assets step ``step_key`` is to materialize, and whether that list is complete."""
        if self._graph is None:
            return [], False
        root = step_key.split("[", 1)[0].split(".", 1)[0]
        keys = self._graph.keys_by_op.get(root, [])
        if self._selection is not None:
            return [k for k in keys if k in self._selection], True
        return list(keys), root not in self._graph.subsettable_ops

    def _model(self, key: Any, metadata: Mapping[str, Any]) -> DbtModel | None:
        return self._manifest.find(tuple(key.path), metadata) if self._manifest else None

    def dataset(self, key: Any, runtime_metadata: Mapping[str, Any] | None = None) -> Dataset:
        """The dataset of asset ``key``: same namespace and name as output and as input."""
        if runtime_metadata is None and key in self._datasets:
            return self._datasets[key]
        metadata = self._metadata(key)
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
        parents = self._graph.parents.get(key, []) if self._graph is not None else []
        return [self.dataset(parent) for parent in parents]

    def _job_facets(self, key: Any) -> dict[str, Any]:
        model = self._model(key, self._metadata(key))
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
            if self.reports_run():
                self._emit_run("START", job_name, run_id, at)
        elif kind in (T.RUN_SUCCESS, T.RUN_FAILURE, T.RUN_CANCELED):
            outcome = {T.RUN_SUCCESS: "COMPLETE", T.RUN_FAILURE: "FAIL"}.get(kind, "ABORT")
            error = _run_error(event) if kind == T.RUN_FAILURE else None
            if self.reports_run():
                self._emit_run(outcome, job_name, run_id, at, error)
            with _RUNS_LOCK:
                _RUNS.pop(run_id, None)
            self.emitter.flush()
        elif kind == T.STEP_START and event.step_key:
            planned, complete = self._planned_keys(event.step_key)
            state.step_started[event.step_key] = at
            state.planned[event.step_key] = planned if complete else []
            for key in state.planned[event.step_key]:
                self._start_asset(state, key, job_name, run_id, at)
        elif kind == T.ASSET_MATERIALIZATION:
            key = event.asset_key
            if key is None or key in state.finished:
                return
            materialization = event.step_materialization_data.materialization
            metadata = dict(materialization.metadata or {})
            if not self._ours(key, metadata):
                return
            # Started with its step, when the step's assets were not known in advance.
            started = state.step_started.get(event.step_key or "", at)
            self._start_asset(state, key, job_name, run_id, started)
            state.finished.add(key)
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
        if key in state.started or not self._ours(key):
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
