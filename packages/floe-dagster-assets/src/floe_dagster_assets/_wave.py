"""One dbt invocation, as it runs and once it ended: Dagster events, observer reports, metadata.

dbt's structured events give each node's real start and end (``LogStartLine``/``NodeStart``,
``Log*Result``/``LogNodeNoOpResult``/``NodeFinished``, ``SkippingDetails``); ``run_results.json``
gives the final status, the database's message and the compiled SQL. Starts reach observers as
they happen. Results are turned into materializations and check results when the invocation
ends, so each can carry what the warehouse then says about the relation (row count, column
types) and the column lineage of its compiled SQL, computed once for Dagster and observers alike.
Where the warehouse has nothing to tell (runtime metadata off, or not a DuckDB file) they are
yielded as dbt reports them instead, with column lineage from the compiled SQL dbt just wrote:
waiting costs Dagster's handling of every event after dbt ended rather than while it runs.

``no-op``, ``reused`` (dbt Fusion, state-aware runs), ``partial success`` (microbatch) and
``warn`` count as materialized, with dbt's status in the metadata.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import dagster as dg

from floe_orchestrator_contract import ColumnInfo, ColumnLineage, DataTestOutcome, NodeResult

from ._facts import WarehouseFacts, fetch_facts, gives_facts, relation_key
from ._report import RunReporter, parse_time
from ._sql_lineage import column_lineage

if TYPE_CHECKING:
    from ._execution import RunPlan

__all__ = ["FAILED", "MATERIALIZED", "Event", "Outcome", "Wave"]

logger = logging.getLogger(__name__)

Event = dg.MaterializeResult[Any] | dg.AssetCheckResult

MATERIALIZED = frozenset({"success", "no-op", "reused", "partial success", "warn"})
FAILED = frozenset({"error", "fail", "runtime error"})
_START_EVENTS = frozenset({"LogStartLine", "NodeStart"})
_RESULT_EVENTS = frozenset(
    {
        "LogModelResult",
        "LogSeedResult",
        "LogSnapshotResult",
        "LogTestResult",
        "LogNodeNoOpResult",
        "NodeFinished",
    }
)
_SKIP_EVENTS = frozenset({"SkippingDetails"})
# The database's words for a batch of a microbatch model (run_results only says "PARTIAL ...").
_ERROR_EVENTS = frozenset({"GenericExceptionOnRun"})
_HANDLED = _START_EVENTS | _RESULT_EVENTS | _SKIP_EVENTS | _ERROR_EVENTS
_PASSED = frozenset({"pass", "success"})
_EMPTY = ("", "None", None)
_WARN, _ERROR = dg.AssetCheckSeverity.WARN, dg.AssetCheckSeverity.ERROR
_LINEAGE_TYPES = frozenset({"model", "snapshot"})
_NOT_COUNTED = frozenset({"view", "ephemeral", "materialized_view"})


@dataclass
class Outcome:
    """What went wrong across the waves of a step (for the ``Failure`` and blocking)."""

    failures: list[str] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)
    blocked: set[str] = field(default_factory=set)
    skipped: list[str] = field(default_factory=list)

    def fail(self, text: str, **record: str) -> None:
        self.failures.append(text)
        self.errors.append(record)


@dataclass
class _Seen:
    """One node or test of the invocation, as its events and run_results describe it."""

    uid: str
    status: str = ""
    started_at: datetime | None = None
    finished_at: datetime | None = None
    execution_time: float | None = None
    invocation_id: str = ""
    failures: int | None = None
    message: str | None = None
    compiled_sql: str | None = None
    errors: list[str] = field(default_factory=list)
    failed_batches: list[Any] = field(default_factory=list)
    emitted: bool = False


@dataclass
class Wave:
    """Turns one dbt invocation into events; ``observe`` each raw event, then ``finish``."""

    plan: RunPlan
    reporter: RunReporter
    outcome: Outcome
    target: str | None
    nodes: Sequence[str]
    selected: set[str]
    runtime_metadata: bool = True
    #: The invocation's own target folder (its ``compiled/`` SQL), once dbt was started.
    target_dir: Path | None = None
    _seen: dict[str, _Seen] = field(default_factory=dict)
    _facts_of: dict[str, _NodeFacts] = field(default_factory=dict)
    _deferred: bool | None = None

    @property
    def deferred(self) -> bool:
        """Whether results wait for the end of dbt, to carry what the warehouse then says."""
        if self._deferred is None:
            self._deferred = self.runtime_metadata and gives_facts(
                self.reporter.warehouse(self.target)
            )
        return self._deferred

    # -- while dbt runs -----------------------------------------------------------------
    def observe(self, raw: Mapping[str, Any]) -> Iterator[Event]:
        info = raw.get("info") or {}
        name = info.get("name")
        if name not in _HANDLED:
            return
        data = raw.get("data") or {}
        node_info = data.get("node_info") or {}
        uid = str(node_info.get("unique_id") or data.get("unique_id") or "")
        node = self.plan.node_of_uid.get(uid)
        if node is None and uid not in self.plan.check_of_uid:
            return
        seen = self._seen.setdefault(uid, _Seen(uid))
        seen.invocation_id = seen.invocation_id or str(info.get("invocation_id") or "")
        if name in _START_EVENTS:
            at = parse_time(node_info.get("node_started_at")) or parse_time(info.get("ts"))
            seen.started_at = seen.started_at or at
            if node is not None and node in self.selected:
                self.reporter.started(node, self.target, at or datetime.now(timezone.utc))
            return
        if name in _SKIP_EVENTS:
            seen.status = seen.status or "skipped"
            return
        if name in _ERROR_EVENTS:
            if data.get("exc"):
                seen.errors.append(str(data["exc"]).strip())
            return
        status = _status(node_info, data)
        if status and not (seen.status and name == "NodeFinished"):
            seen.status = status
        seen.started_at = seen.started_at or parse_time(node_info.get("node_started_at"))
        seen.finished_at = seen.finished_at or parse_time(node_info.get("node_finished_at"))
        if data.get("execution_time") is not None and seen.execution_time is None:
            seen.execution_time = float(data["execution_time"])
        if data.get("num_failures") is not None:
            seen.failures = int(data["num_failures"])
        if not self.deferred:
            if self.runtime_metadata and node is not None and seen.status in MATERIALIZED:
                self._live_lineage(node, seen)
            yield from self._events(seen, None)

    # -- once dbt ended -----------------------------------------------------------------
    def finish(
        self, results: Sequence[Mapping[str, Any]], dbt_error: str | None
    ) -> Iterator[Event]:
        self._merge(results)
        built = [s for s in self._seen.values() if s.status in MATERIALIZED and self._node(s.uid)]
        facts = self._facts(built) if self.deferred and built else None
        tests: dict[str, list[DataTestOutcome]] = {}
        for seen in self._seen.values():
            yield from self._events(seen, facts)
            node = self._node(seen.uid)
            if node is not None:
                self._account(node, seen)
                self._report(node, seen)
            elif seen.status not in ("", "skipped"):
                check = self.plan.checks[self.plan.check_of_uid[seen.uid]]
                self._account_test(check.node, check.name, seen)
                tests.setdefault(check.node, []).append(self._test_outcome(seen, check.name))
        for node, outcomes in tests.items():
            self.reporter.tested(node, self.target, outcomes)
        if dbt_error is not None:
            # dbt ended without results (a compile or connection error, a crash): its words.
            self.outcome.fail(
                dbt_error, resource_type="dbt", target=self._target_name, message=dbt_error
            )
            self.outcome.blocked.update(self.nodes)
        uids = self.plan.uid_of_node
        unreported = [
            n
            for n in self.nodes
            if n in self.selected and not getattr(self._seen.get(uids[n]), "status", "")
        ]
        if unreported:
            self.reporter.aborted(
                unreported, self.target, dbt_error or "dbt reported no result for it"
            )

    def _merge(self, results: Sequence[Mapping[str, Any]]) -> None:
        for result in results:
            uid = str(result.get("unique_id") or "")
            if uid not in self.plan.node_of_uid and uid not in self.plan.check_of_uid:
                continue
            seen = self._seen.setdefault(uid, _Seen(uid))
            status = str(result.get("status") or "").lower()
            seen.status = status or seen.status
            message = str(result.get("message") or "").strip()
            seen.message = message or seen.message
            seen.compiled_sql = result.get("compiled_code") or seen.compiled_sql
            batches = result.get("batch_results") or {}
            if isinstance(batches, Mapping) and batches.get("failed"):
                seen.failed_batches = list(batches["failed"])
            if seen.status == "partial success" and seen.errors:
                seen.message = "; ".join([*([seen.message] if seen.message else []), *seen.errors])
            if result.get("failures") is not None and seen.failures is None:
                seen.failures = int(result["failures"])
            if seen.execution_time is None and result.get("execution_time") is not None:
                seen.execution_time = float(result["execution_time"])
            timing = [t for t in result.get("timing") or () if isinstance(t, Mapping)]
            if timing and seen.started_at is None:
                seen.started_at = parse_time(timing[0].get("started_at"))
            if timing and seen.finished_at is None:
                seen.finished_at = parse_time(timing[-1].get("completed_at"))

    # -- Dagster ------------------------------------------------------------------------
    def _events(self, seen: _Seen, facts: WarehouseFacts | None) -> Iterator[Event]:
        if seen.emitted or not seen.status:
            return
        node = self._node(seen.uid)
        if node is not None:
            if seen.status in MATERIALIZED:
                seen.emitted = True
                node_facts = self._node_facts(node, seen, facts)
                yield dg.MaterializeResult(
                    asset_key=self.plan.keys[node],
                    metadata=self._metadata(node, seen, node_facts),
                )
        elif seen.status != "skipped":
            seen.emitted = True
            check_key = self.plan.check_of_uid[seen.uid]
            metadata = self._base_metadata(seen)
            if seen.failures is not None:
                metadata["dbt/failed_row_count"] = seen.failures
            yield dg.AssetCheckResult(
                asset_key=check_key.asset_key,
                check_name=check_key.name,
                passed=seen.status in _PASSED,
                severity=_WARN if seen.status == "warn" else _ERROR,
                metadata=metadata,
            )

    def _base_metadata(self, seen: _Seen) -> dict[str, Any]:
        metadata: dict[str, Any] = {
            "dbt/unique_id": seen.uid,
            "dbt/status": seen.status,
            "dbt/invocation_id": seen.invocation_id,
            "floe/compute": self.target or "",
        }
        if seen.execution_time is not None:
            metadata["dbt/execution_time_s"] = seen.execution_time
        return metadata

    def _metadata(self, node: str, seen: _Seen, facts: _NodeFacts | None) -> dict[str, Any]:
        metadata = self._base_metadata(seen)
        if self.plan.tables.get(node):
            # Also on the event, so lineage listeners name the dataset without the spec.
            metadata["dagster/table_name"] = self.plan.tables[node]
        if seen.status not in ("success", "no-op", "reused") and seen.message:
            metadata["dbt/message"] = seen.message
        if seen.failed_batches:
            metadata["dbt/failed_batches"] = dg.MetadataValue.json(seen.failed_batches)
        if facts is None:
            return metadata
        if facts.row_count is not None:
            metadata["dagster/row_count"] = facts.row_count
        if facts.columns:
            documented = self._documented(node)
            metadata["dagster/column_schema"] = dg.TableSchema(
                columns=[
                    dg.TableColumn(
                        name=c.name,
                        type=c.data_type or "unknown",
                        description=documented.get(c.name.lower()) or None,
                    )
                    for c in facts.columns
                ]
            )
        if facts.lineage:
            keys = {relation_key(i.relation): i.asset_key for i in self.reporter.inputs(node)}
            metadata["dagster/column_lineage"] = dg.TableColumnLineage(
                deps_by_column={
                    item.column: [
                        dg.TableColumnDep(asset_key=key, column_name=column)
                        for relation, column in item.inputs
                        if (key := keys.get(relation_key(relation))) is not None
                    ]
                    for item in facts.lineage
                }
            )
        return metadata

    def _documented(self, node: str) -> dict[str, str]:
        index = self.plan.index
        dbt_node = (index.models.get(node) or index.others.get(node)) if index else None
        if dbt_node is None:
            return {}
        return {c.name.lower(): c.description for c in dbt_node.columns if c.description}

    # -- runtime facts ------------------------------------------------------------------
    def _facts(self, built: Sequence[_Seen]) -> WarehouseFacts:
        describe, count = {}, {}
        for seen in built:
            node = self._node(seen.uid)
            relation = self.reporter.relation(node) if node else None
            if node is None or relation is None:
                continue
            describe[relation_key(relation)] = relation
            if self._materialization(node) not in _NOT_COUNTED:
                count[relation_key(relation)] = relation
            if self.plan.kinds.get(node) in _LINEAGE_TYPES and seen.compiled_sql:
                for upstream in self.reporter.inputs(node):
                    describe.setdefault(relation_key(upstream.relation), upstream.relation)
        try:
            return fetch_facts(
                self.reporter.warehouse(self.target), describe.values(), count.values()
            )
        except Exception as error:  # metadata is never worth a failed run
            logger.warning("runtime metadata left out: %s: %s", type(error).__name__, error)
            return WarehouseFacts()

    def _live_lineage(self, node: str, seen: _Seen) -> None:
        """Column lineage from the SQL dbt compiled for ``node`` in this invocation, as it ends."""
        dbt_node = self.reporter.dbt_node(node)
        if self.target_dir is None or dbt_node is None or not dbt_node.path:
            return
        package = dbt_node.unique_id.split(".")[1]
        try:
            sql = (self.target_dir / "compiled" / package / dbt_node.path).read_text()
        except OSError:
            return  # seeds, and snapshots before dbt 1.12, have no compiled SQL
        seen.compiled_sql = seen.compiled_sql or sql
        self._facts_of[node] = self._compute(node, seen, WarehouseFacts())

    def _node_facts(
        self, node: str, seen: _Seen, facts: WarehouseFacts | None
    ) -> _NodeFacts | None:
        cached = self._facts_of.get(node)
        if cached is not None or facts is None:
            return cached
        result = self._compute(node, seen, facts)
        self._facts_of[node] = result
        return result

    def _compute(self, node: str, seen: _Seen, facts: WarehouseFacts) -> _NodeFacts:
        relation = self.reporter.relation(node)
        if relation is None:
            return _NodeFacts(None, (), ())
        key = relation_key(relation)
        columns = facts.columns.get(key, ())
        lineage: tuple[ColumnLineage, ...] = ()
        if seen.compiled_sql and self.plan.kinds.get(node) in _LINEAGE_TYPES:
            warehouse = self.reporter.warehouse(self.target)
            upstream = {
                relation_key(i.relation): (
                    i.relation,
                    facts.columns.get(relation_key(i.relation), ()),
                )
                for i in self.reporter.inputs(node)
            }
            lineage = column_lineage(
                seen.compiled_sql,
                dialect=(warehouse.adapter if warehouse else "") or self._adapter,
                output=columns,
                upstream=upstream,
                this=relation,
            )
        return _NodeFacts(facts.row_counts.get(key), columns, lineage)

    # -- observers and failures ---------------------------------------------------------
    def _report(self, node: str, seen: _Seen) -> None:
        if not self.reporter.observed or node not in self.selected:
            return
        if not seen.status:
            return  # reported with the other nodes dbt said nothing about
        if seen.status == "skipped":
            self.reporter.aborted([node], self.target, "an upstream node failed")
            return
        node_facts = self._facts_of.get(node)
        status = "success" if seen.status in MATERIALIZED else "failed"
        started = seen.started_at
        finished = seen.finished_at
        if finished is None and started is not None and seen.execution_time is not None:
            finished = started + timedelta(seconds=seen.execution_time)
        self.reporter.finished(
            node,
            self.target,
            NodeResult(
                status=status,  # type: ignore[arg-type]
                dbt_status=seen.status,
                started_at=started,
                finished_at=finished,
                message=None if seen.status == "success" else seen.message,
                row_count=node_facts.row_count if node_facts else None,
                columns=node_facts.columns if node_facts else (),
                column_lineage=node_facts.lineage if node_facts else (),
                compiled_sql=seen.compiled_sql,
            ),
        )

    def _test_outcome(self, seen: _Seen, name: str) -> DataTestOutcome:
        test = self.reporter.test(seen.uid)
        severity = test.severity if test else "error"
        return DataTestOutcome(
            unique_id=seen.uid,
            name=name,
            passed=seen.status in _PASSED,
            severity="warn" if seen.status == "warn" or severity == "warn" else "error",
            column=test.column if test else None,
            test_type=test.test_type if test else None,
            message=None if seen.status in _PASSED else seen.message,
            failures=seen.failures,
        )

    def _account(self, node: str, seen: _Seen) -> None:
        kind = self.plan.kinds.get(node, "node")
        # partial success: built, but some batches failed; dbt skips what depends on it.
        if seen.status in FAILED or seen.status == "partial success":
            what = "failed" if seen.status in FAILED else "built only partly"
            self.outcome.fail(
                f"dbt {kind} {node!r} {what} under target {self._target_name!r}: "
                f"{seen.message or ''}",
                node=node,
                resource_type=kind,
                target=self._target_name,
                message=seen.message or "",
            )
            self.outcome.blocked.add(node)
        elif seen.status == "skipped":
            self.outcome.blocked.add(node)
            if node in self.selected:
                self.outcome.skipped.append(node)

    def _account_test(self, node: str, name: str, seen: _Seen) -> None:
        if seen.status in FAILED:
            self.outcome.fail(
                f"dbt test {name!r} on {node!r} failed: {seen.message or ''}",
                test=name,
                node=node,
                resource_type="test",
                target=self._target_name,
                message=seen.message or "",
            )
            self.outcome.blocked.add(node)

    # -- lookups ------------------------------------------------------------------------
    @property
    def _adapter(self) -> str:
        return self.plan.index.adapter_type if self.plan.index else ""

    @property
    def _target_name(self) -> str:
        return self.target or "(default)"

    def _node(self, uid: str) -> str | None:
        return self.plan.node_of_uid.get(uid)

    def _materialization(self, node: str) -> str:
        index = self.plan.index
        dbt_node = (index.models.get(node) or index.others.get(node)) if index else None
        return dbt_node.materialization if dbt_node else ""


@dataclass(frozen=True)
class _NodeFacts:
    row_count: int | None
    columns: tuple[ColumnInfo, ...]
    lineage: tuple[ColumnLineage, ...]


def _status(node_info: Mapping[str, Any], data: Mapping[str, Any]) -> str:
    """dbt's status word; microbatch models leave ``node_status`` empty ("None")."""
    status = node_info.get("node_status")
    if status in _EMPTY:
        status = data.get("status") or (data.get("run_result") or {}).get("status")
    return str(status or "").lower()
