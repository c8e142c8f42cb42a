"""``OpenLineageObserver``: what a dbt run reports (the contract's ``RunObserver``) as OpenLineage
events, whichever way the run was launched.

Jobs live in the lineage namespace of the configuration (the artifacts' ``lineage_namespace``):
the Dagster run is reported under the product's job (``RunContext.job_name``, never
``__ASSET_JOB``) with the Dagster run id as its run id, and each dbt node is a job of its own,
``<product>.<model>`` (``<product>.<package>.<model>`` for a node of another dbt package), whose
runs point at the Dagster run through a ``ParentRunFacet``. Datasets are named as OpenLineage's
naming spec says (see ``_naming``), so they join with openlineage-dbt and every other producer.

A node's events: START when dbt starts it (its real time), then COMPLETE or FAIL when it ends
(with the compiled SQL, the schema as built, column lineage, the row count, the database's
error message), or ABORT alone when it never ran because something upstream failed. dbt tests
on a node are reported as openlineage-dbt reports them: a run of the job ``<node job>.test``
whose input is the node's dataset with a ``dataQualityAssertions`` facet, COMPLETE unless an
error-severity test failed.

Every method queues and returns (no network on the caller's thread) and never raises;
``run_finished`` flushes, bounded as :meth:`LineageEmitter.flush` is, and reports anything
not delivered once, at WARNING.
"""

from __future__ import annotations

import logging
import threading
import uuid
import weakref
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from floe_orchestrator_contract import (
    DataTestOutcome,
    NodeResult,
    NodeRun,
    Relation,
    RunContext,
    Warehouse,
)

from . import _facets as facets
from ._config import LineageConfig
from ._emitter import LineageEmitter, LineageStats, shared_emitter
from ._events import run_event
from ._naming import dataset_namespace

if TYPE_CHECKING:
    from floe_orchestrator_contract import ObservabilityConfig

__all__ = ["OpenLineageObserver", "node_job_name", "observer_active"]

logger = logging.getLogger(__name__)

_RUN_ID_NAMESPACE = uuid.UUID("0b7c4a52-1f53-4c86-9a0e-5d8e7f6a2c31")
_MAX_TRACKED_RUNS = 64
_JOB_TYPES = {"model": "MODEL", "seed": "SEED", "snapshot": "SNAPSHOT"}
_ACTIVE: weakref.WeakSet[OpenLineageObserver] = weakref.WeakSet()

Dataset = tuple[str, str, Mapping[str, Any], Mapping[str, Any]]


def observer_active() -> bool:
    """Whether an observer with active settings exists in this process (the Dagster logger and
    handler then leave floe's dbt assets, which it reports, alone)."""
    return any(observer.config.active for observer in list(_ACTIVE))


def node_job_name(run: RunContext, node: NodeRun) -> str:
    """The job of a dbt node: ``<product>.<model>``, stable across runs, targets and schemas.

    The model part is the node's unique id without its resource type and package (so versioned
    models keep their ``v2``); a node of another dbt package than the product's own dbt project
    (``run.dbt_project``) keeps its package.
    """
    parts = node.unique_id.split(".", 2)
    package, model = (parts[1], parts[2]) if len(parts) == 3 else (None, node.name)
    product = run.product or package
    if product is None:
        return model
    if package is None or package in (product, run.dbt_project):
        return f"{product}.{model}"
    return f"{product}.{package}.{model}"


@dataclass
class _RunState:
    started: bool = False
    nodes: set[str] = field(default_factory=set)


class OpenLineageObserver:
    """A :class:`~floe_orchestrator_contract.RunObserver` that sends OpenLineage events.

    ``config`` says where events go and the job namespace (``None``: OpenLineage's own settings
    from the environment, as :meth:`LineageConfig.from_observability` reads them). Observers of
    one configuration share the process's emitter, its queue and its sender thread. Build one
    when the code location loads, not per run: it costs nothing until the first event.
    """

    def __init__(
        self, config: LineageConfig | None = None, *, emitter: LineageEmitter | None = None
    ) -> None:
        if emitter is not None:
            config = emitter.config
        self.config = config if config is not None else LineageConfig.from_observability(None)
        self.emitter = emitter if emitter is not None else shared_emitter(self.config)
        self._lock = threading.Lock()
        self._runs: OrderedDict[str, _RunState] = OrderedDict()
        _ACTIVE.add(self)

    @classmethod
    def from_observability(
        cls,
        observability: ObservabilityConfig | None = None,
        *,
        environ: Mapping[str, str] | None = None,
        cwd: str | Path | None = None,
    ) -> OpenLineageObserver:
        """An observer for floe's ``CompiledArtifacts.observability`` (else OpenLineage's own
        settings); see :meth:`LineageConfig.from_observability`."""
        return cls(LineageConfig.from_observability(observability, environ=environ, cwd=cwd))

    def __repr__(self) -> str:
        return f"OpenLineageObserver({self.config!r})"

    @property
    def stats(self) -> LineageStats:
        """Delivery counts of the emitter behind this observer."""
        return self.emitter.stats

    def flush(self, timeout: float | None = None) -> bool:
        """Wait for queued events (bounded, see :meth:`LineageEmitter.flush`)."""
        return self.emitter.flush(timeout)

    def close(self, timeout: float | None = None) -> None:
        """Flush within ``timeout`` and stop the emitter (interpreter exit does this too)."""
        self.emitter.close(timeout)

    # -- RunObserver -----------------------------------------------------------------------------
    def run_started(self, run: RunContext) -> None:
        self._guard(self._run_started, run)

    def node_started(self, run: RunContext, node: NodeRun, at: datetime) -> None:
        self._guard(self._node_started, run, node, at)

    def node_finished(self, run: RunContext, node: NodeRun, result: NodeResult) -> None:
        self._guard(self._node_finished, run, node, result)

    def node_tested(
        self, run: RunContext, node: NodeRun, tests: tuple[DataTestOutcome, ...]
    ) -> None:
        self._guard(self._node_tested, run, node, tests)

    def run_finished(self, run: RunContext, *, failed: bool, message: str | None = None) -> None:
        self._guard(self._run_finished, run, failed, message)

    def _guard(self, method: Callable[..., None], *args: Any) -> None:
        if not self.config.active:
            return
        try:
            method(*args)
        except Exception:
            # Lineage never breaks a run: a record we cannot translate is skipped, not raised.
            logger.debug("could not report a dbt run's progress as lineage", exc_info=True)

    # -- the run ---------------------------------------------------------------------------------
    def _state(self, run: RunContext) -> _RunState:
        with self._lock:
            state = self._runs.get(run.run_id)
            if state is None:
                state = self._runs[run.run_id] = _RunState()
                while len(self._runs) > _MAX_TRACKED_RUNS:
                    self._runs.popitem(last=False)
            return state

    def _run_started(self, run: RunContext) -> None:
        state = self._state(run)
        if state.started:
            return  # another step of the same run, in this process: one START per run
        state.started = True
        self._emit(
            "START",
            run.job_name,
            run_id=_run_uuid(run.run_id),
            at=run.started_at,
            run_facets=self._run_facets(run),
            job_facets=_dagster_job_facets(),
        )

    def _run_finished(self, run: RunContext, failed: bool, message: str | None) -> None:
        with self._lock:
            self._runs.pop(run.run_id, None)
        run_facets = self._run_facets(run)
        if failed:
            run_facets["errorMessage"] = facets.error_message(message or "run failed", "python")
        self._emit(
            "FAIL" if failed else "COMPLETE",
            run.job_name,
            run_id=_run_uuid(run.run_id),
            at=None,
            run_facets=run_facets,
            job_facets=_dagster_job_facets(),
        )
        # The end of a run: deliver (bounded) and report what could not be delivered, once.
        self.emitter.flush()

    def _run_facets(self, run: RunContext) -> dict[str, Any]:
        found: dict[str, Any] = {}
        if run.versions.get("dagster"):
            found["processing_engine"] = facets.processing_engine(
                "dagster", run.versions["dagster"]
            )
        if run.versions:
            found["tags"] = facets.tags_run(
                {f"{name}.version": version for name, version in sorted(run.versions.items())},
                "FLOE",
            )
        return found

    # -- each node -------------------------------------------------------------------------------
    def _node_started(self, run: RunContext, node: NodeRun, at: datetime) -> None:
        self._state(run).nodes.add(node.unique_id)
        self._emit_node("START", run, node, at=at, sql=_compiled(node, None))

    def _node_finished(self, run: RunContext, node: NodeRun, result: NodeResult) -> None:
        state = self._state(run)
        sql = _compiled(node, result)
        if result.status == "aborted":
            error = facets.error_message(result.message, "sql") if result.message else None
            self._emit_node("ABORT", run, node, at=result.finished_at, sql=sql, error=error)
            return
        if node.unique_id not in state.nodes:
            # No node_started came (or it came to another process): START at dbt's own time.
            state.nodes.add(node.unique_id)
            self._emit_node("START", run, node, at=result.started_at, sql=sql)
        if result.status == "failed":
            text = result.message or f"dbt reported {result.dbt_status or 'an error'}"
            error = facets.error_message(text, "sql")
            self._emit_node("FAIL", run, node, at=result.finished_at, sql=sql, error=error)
        else:
            self._emit_node("COMPLETE", run, node, at=result.finished_at, sql=sql, result=result)

    def _emit_node(
        self,
        event_type: str,
        run: RunContext,
        node: NodeRun,
        *,
        at: datetime | None,
        sql: str | None,
        error: dict[str, Any] | None = None,
        result: NodeResult | None = None,
    ) -> None:
        run_facets: dict[str, Any] = {"parent": self._parent(run)}
        if run.versions.get("dbt"):
            run_facets["processing_engine"] = facets.processing_engine("dbt", run.versions["dbt"])
        if error is not None:
            run_facets["errorMessage"] = error
        job_facets: dict[str, Any] = {
            "jobType": facets.job_type("DBT", _JOB_TYPES.get(node.resource_type, "MODEL"))
        }
        if sql:
            dialect = node.warehouse.adapter if node.warehouse else None
            job_facets["sql"] = facets.sql(sql, dialect)
        if node.description:
            job_facets["documentation"] = facets.documentation_job(node.description)
        warehouse = node.warehouse
        inputs = [_dataset(warehouse, relation) for relation in node.inputs] if warehouse else []
        outputs = []
        if warehouse is not None and node.relation is not None:
            outputs.append(_output(warehouse, node, result))
        self._emit(
            event_type,
            node_job_name(run, node),
            run_id=_node_uuid(run, node.unique_id),
            at=at,
            run_facets=run_facets,
            job_facets=job_facets,
            inputs=inputs,
            outputs=outputs,
        )

    def _node_tested(
        self, run: RunContext, node: NodeRun, tests: tuple[DataTestOutcome, ...]
    ) -> None:
        if not tests or node.warehouse is None or node.relation is None:
            return
        assertions = [_assertion(test) for test in tests]
        facet = facets.data_quality_assertions(assertions)
        namespace = dataset_namespace(node.warehouse)
        # As openlineage-dbt: in inputFacets (where the spec puts it) and in facets (where
        # lineage backends of its time read it).
        tested: Dataset = (
            namespace,
            node.relation.name,
            {"dataSource": facets.data_source(namespace), "dataQualityAssertions": facet},
            {"dataQualityAssertions": facet},
        )
        blocking = [t for t in tests if not t.passed and t.severity == "error"]
        run_facets: dict[str, Any] = {"parent": self._parent(run)}
        if run.versions.get("dbt"):
            run_facets["processing_engine"] = facets.processing_engine("dbt", run.versions["dbt"])
        job = f"{node_job_name(run, node)}.test"
        job_facets = {"jobType": facets.job_type("DBT", "TEST")}
        run_id = _node_uuid(run, f"{node.unique_id}/test")
        now = datetime.now(timezone.utc)
        self._emit(
            "START",
            job,
            run_id=run_id,
            at=now,
            run_facets=run_facets,
            job_facets=job_facets,
            inputs=[tested],
        )
        if blocking:
            lines = [f"{t.name}: {t.message or 'failed'}" for t in blocking]
            run_facets = {
                **run_facets,
                "errorMessage": facets.error_message("\n".join(lines), "sql"),
            }
        self._emit(
            "FAIL" if blocking else "COMPLETE",
            job,
            run_id=run_id,
            at=now,
            run_facets=run_facets,
            job_facets=job_facets,
            inputs=[tested],
        )

    # -- helpers ---------------------------------------------------------------------------------
    def _parent(self, run: RunContext) -> dict[str, Any]:
        return facets.parent_run(_run_uuid(run.run_id), self.config.namespace, run.job_name)

    def _emit(
        self,
        event_type: str,
        job: str,
        *,
        run_id: str,
        at: datetime | None,
        run_facets: Mapping[str, Any],
        job_facets: Mapping[str, Any],
        inputs: Sequence[Dataset] = (),
        outputs: Sequence[Dataset] = (),
    ) -> None:
        when = at if at is None or at.tzinfo is not None else at.replace(tzinfo=timezone.utc)
        event = run_event(
            event_type,
            job_namespace=self.config.namespace,
            job_name=job,
            run_id=run_id,
            event_time=when,
            run_facets=run_facets,
            job_facets=job_facets,
            inputs=inputs,
            outputs=outputs,
        )
        self.emitter.emit_run_event(event)


def _dagster_job_facets() -> dict[str, Any]:
    return {"jobType": facets.job_type("DAGSTER", "JOB")}


def _run_uuid(run_id: str) -> str:
    """The Dagster run id (a UUID) as OpenLineage's run id; anything else, a UUID derived from
    it, the same in every process."""
    try:
        return str(uuid.UUID(run_id))
    except ValueError:
        return str(uuid.uuid5(_RUN_ID_NAMESPACE, run_id))


def _node_uuid(run: RunContext, key: str) -> str:
    # Derived, not random: a node's START and its end may be reported by different processes.
    return str(uuid.uuid5(_RUN_ID_NAMESPACE, f"{_run_uuid(run.run_id)}/{key}"))


def _compiled(node: NodeRun, result: NodeResult | None) -> str | None:
    if result is not None and result.compiled_sql:
        return result.compiled_sql
    return node.sql if node.sql and node.sql_is_compiled else None


def _dataset(warehouse: Warehouse, relation: Relation) -> Dataset:
    namespace = dataset_namespace(warehouse)
    return (namespace, relation.name, {"dataSource": facets.data_source(namespace)}, {})


def _output(warehouse: Warehouse, node: NodeRun, result: NodeResult | None) -> Dataset:
    assert node.relation is not None
    namespace, name, base, _ = _dataset(warehouse, node.relation)
    found = dict(base)
    output_facets: dict[str, Any] = {}
    if node.description:
        found["documentation"] = facets.documentation_dataset(node.description)
    if result is not None:
        if result.columns:
            found["schema"] = facets.schema(
                (c.name, c.data_type, c.description) for c in result.columns
            )
        lineage = {
            item.column: [
                (namespace, relation.name, column, item.transformation)
                for relation, column in item.inputs
            ]
            for item in result.column_lineage
            if item.inputs
        }
        if lineage:
            found["columnLineage"] = facets.column_lineage(lineage)
        if result.row_count is not None and result.row_count >= 0:
            output_facets["outputStatistics"] = facets.output_statistics(result.row_count)
    return namespace, name, found, output_facets


def _assertion(test: DataTestOutcome) -> dict[str, Any]:
    found: dict[str, Any] = {
        "assertion": test.test_type or test.name,
        "success": test.passed,
        "name": test.name,
        "severity": test.severity,
    }
    if test.column:
        found["column"] = test.column
    if test.failures is not None:
        found["actual"] = str(test.failures)
    return found
