"""The run as observers see it: records built from the manifest, the profile and dbt's results.

One :class:`RunReporter` per dbt step. It keeps the contract's call order (``run_started``, per
node ``node_started`` -> ``node_finished`` -> ``node_tested``, ``run_finished``), builds each
:class:`NodeRun` once, and costs nothing beyond a few attribute reads when no observer is set.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
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

from ._observers import ObserverDispatch, RunObservers
from ._warehouse import resolve_warehouse

if TYPE_CHECKING:
    import dagster as dg

    from ._execution import RunPlan
    from ._manifest import DbtNode, DbtTest

__all__ = ["Input", "RunReporter", "parse_time"]

logger = logging.getLogger(__name__)

# Dagster's own jobs (`__ASSET_JOB`, `__ephemeral_asset_job__` of `materialize`) mean nothing
# to a user: runs of them are reported under the product's name.
_INTERNAL_JOB_PREFIX = "__"
_VERSIONED = ("dagster", "dagster-dbt", "floe-dagster-assets")


@dataclass(frozen=True)
class Input:
    """An upstream relation of a node, with the asset it is (None: not one of ours)."""

    relation: Relation
    asset_key: dg.AssetKey | None


@dataclass
class RunReporter:
    """Builds the records of one dbt step and hands them to the observers, guarded."""

    plan: RunPlan
    run: RunContext
    project_dir: Path
    profiles_dir: str | None
    dispatch: ObserverDispatch
    drain_timeout_s: float
    _warehouses: dict[str | None, Warehouse | None] = field(default_factory=dict)
    _node_runs: dict[str, NodeRun] = field(default_factory=dict)
    _inputs: dict[str, tuple[Input, ...]] = field(default_factory=dict)
    _started: set[str] = field(default_factory=set)
    _finished: set[str] = field(default_factory=set)
    _tests: dict[str, DbtTest] | None = None

    @classmethod
    def start(
        cls,
        context: dg.AssetExecutionContext,
        plan: RunPlan,
        dbt: Any,
        observers: RunObservers | None,
    ) -> RunReporter:
        dispatch = ObserverDispatch(observers.observers if observers else ())
        reporter = cls(
            plan=plan,
            run=_run_context(context, plan) if dispatch else _placeholder_run(context),
            project_dir=Path(str(getattr(dbt, "project_dir", "") or ".")),
            profiles_dir=getattr(dbt, "profiles_dir", None),
            dispatch=dispatch,
            drain_timeout_s=observers.drain_timeout_s if observers else 0.0,
        )
        if dispatch:
            dispatch.call("run_started", reporter.run)
        return reporter

    @property
    def observed(self) -> bool:
        return bool(self.dispatch)

    # -- what every part of a run needs ---------------------------------------------------
    def warehouse(self, target: str | None) -> Warehouse | None:
        if target not in self._warehouses:
            self._warehouses[target] = resolve_warehouse(
                self.project_dir, self.profiles_dir, target
            )
        return self._warehouses[target]

    def relation(self, node: str) -> Relation | None:
        dbt_node = self.dbt_node(node)
        if dbt_node is None:
            return None
        return Relation(dbt_node.database or None, dbt_node.schema or None, dbt_node.alias)

    def inputs(self, node: str) -> tuple[Input, ...]:
        """Upstream relations of ``node``: models, seeds, snapshots and sources, ephemerals
        resolved through to what they read."""
        if node not in self._inputs:
            self._inputs[node] = tuple(self._resolve_inputs(node))
        return self._inputs[node]

    def _resolve_inputs(self, node: str) -> Iterable[Input]:
        index = self.plan.index
        dbt_node = self.dbt_node(node)
        if index is None or dbt_node is None:
            return []
        seen: dict[str, Input] = {}
        pending = list(dbt_node.parents)
        visited: set[str] = set()
        while pending:
            uid = pending.pop(0)
            if uid in visited:
                continue
            visited.add(uid)
            parent = index.by_uid.get(uid)
            if parent is not None:
                if parent.materialization == "ephemeral":
                    pending.extend(parent.parents)
                    continue
                relation = Relation(parent.database or None, parent.schema or None, parent.alias)
                seen[uid] = Input(relation, self.plan.keys.get(parent.name))
            elif uid in index.sources:
                source = index.sources[uid]
                relation = Relation(
                    source.database or None, source.schema or None, source.identifier
                )
                seen[uid] = Input(relation, self.plan.source_keys.get(uid))
        return seen.values()

    def dbt_node(self, node: str) -> DbtNode | None:
        index = self.plan.index
        if index is None:
            return None
        return index.models.get(node) or index.others.get(node)

    def test(self, unique_id: str) -> DbtTest | None:
        if self._tests is None:
            index = self.plan.index
            self._tests = {t.unique_id: t for t in index.tests} if index else {}
        return self._tests.get(unique_id)

    # -- reports ------------------------------------------------------------------------
    def node_run(self, node: str, target: str | None) -> NodeRun:
        if node not in self._node_runs:
            dbt_node = self.dbt_node(node)
            self._node_runs[node] = NodeRun(
                unique_id=dbt_node.unique_id if dbt_node else node,
                name=node,
                resource_type=self.plan.kinds.get(node, "model"),
                relation=self.relation(node),
                warehouse=self.warehouse(target),
                inputs=tuple(i.relation for i in self.inputs(node)),
                materialization=dbt_node.materialization if dbt_node else None,
                compute=target,
                description=(dbt_node.description or None) if dbt_node else None,
                path=(dbt_node.path or None) if dbt_node else None,
                sql=self._raw_sql(dbt_node),
                sql_is_compiled=False,
            )
        return self._node_runs[node]

    def _raw_sql(self, dbt_node: DbtNode | None) -> str | None:
        if dbt_node is None or dbt_node.resource_type == "seed" or not dbt_node.path:
            return None
        try:
            return (self.project_dir / dbt_node.path).read_text(encoding="utf-8")
        except OSError:
            return None

    def started(self, node: str, target: str | None, at: datetime) -> None:
        if not self.observed or node in self._started or node in self._finished:
            return
        self._started.add(node)
        self.dispatch.call("node_started", self.run, self.node_run(node, target), at)

    def finished(self, node: str, target: str | None, result: NodeResult) -> None:
        if not self.observed or node in self._finished:
            return
        self._finished.add(node)
        self.dispatch.call("node_finished", self.run, self.node_run(node, target), result)

    def tested(self, node: str, target: str | None, outcomes: Iterable[DataTestOutcome]) -> None:
        outcomes = tuple(outcomes)
        # The contract promises node_tested after node_finished only.
        if not self.observed or not outcomes or node not in self._finished:
            return
        self.dispatch.call("node_tested", self.run, self.node_run(node, target), outcomes)

    def aborted(self, nodes: Iterable[str], target: str | None, message: str) -> None:
        for node in nodes:
            if node in self._started:
                # dbt started it and then stopped reporting: it did not end well.
                result = NodeResult(status="failed", dbt_status="error", message=message)
            else:
                result = NodeResult(status="aborted", dbt_status="skipped", message=message)
            self.finished(node, target, result)

    def close(self, *, failed: bool, message: str | None, log: Any = None) -> None:
        if not self.observed:
            return
        self.dispatch.call("run_finished", self.run, failed=failed, message=message)
        self.dispatch.close(self.drain_timeout_s, warn=getattr(log, "warning", None))


def parse_time(value: Any) -> datetime | None:
    """dbt's timestamps (ISO 8601, UTC, with or without ``Z``) as aware datetimes."""
    if not value or value in ("None",):
        return None
    text = str(value).strip()
    if text.endswith("Z"):
        text = text[:-1]
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _job_name(context: dg.AssetExecutionContext, plan: RunPlan) -> str:
    name = str(context.job_name or "")
    if not name or name.startswith(_INTERNAL_JOB_PREFIX):
        index_name = plan.index.project_name if plan.index else None
        return plan.product or index_name or name
    return name


def _run_context(context: dg.AssetExecutionContext, plan: RunPlan) -> RunContext:
    run = context.run
    return RunContext(
        run_id=run.run_id,
        job_name=_job_name(context, plan),
        product=plan.product or (plan.index.project_name if plan.index else None),
        started_at=_run_start(context),
        versions=_versions(plan),
        tags={str(k): str(v) for k, v in (run.tags or {}).items()},
        dbt_project=plan.index.project_name if plan.index else None,
    )


def _placeholder_run(context: dg.AssetExecutionContext) -> RunContext:
    return RunContext(run_id=context.run.run_id, job_name=str(context.job_name or ""))


def _run_start(context: dg.AssetExecutionContext) -> datetime:
    try:
        record = context.instance.get_run_record_by_id(context.run.run_id)
        start = record.start_time if record is not None else None
        if start:
            return datetime.fromtimestamp(float(start), tz=timezone.utc)
    except Exception:  # an instance without run records still runs
        pass
    return datetime.now(timezone.utc)


def _versions(plan: RunPlan) -> Mapping[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    adapter = plan.index.adapter_type if plan.index else ""
    names = {"dbt": "dbt-core", **({f"dbt-{adapter}": f"dbt-{adapter}"} if adapter else {})}
    names.update({name: name for name in _VERSIONED})
    found = {}
    for key, distribution in names.items():
        try:
            found[key] = version(distribution)
        except PackageNotFoundError:
            continue
    return found
