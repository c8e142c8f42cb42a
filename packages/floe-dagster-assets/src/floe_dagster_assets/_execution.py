"""Running a selection of the project: ``dbt build`` per (wave, target), events back to Dagster.

Each wave is one ``dbt build --select <nodes and tests> --target <compute>`` through
dagster-dbt's ``DbtCliResource``. Results stream back as ``MaterializeResult`` per model, seed or
snapshot and ``AssetCheckResult`` per dbt test; failures are read from dbt's ``run_results.json``
(which carries the database's message) once the wave ends. A failed node, or a node whose
error-severity test failed, blocks everything downstream of it in later waves, as dbt does
within one invocation; the step then fails naming each failure and what did not run.
"""

from __future__ import annotations

import json
from collections.abc import Generator, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dagster as dg

from ._graph import ProjectGraph
from ._invocation import PARTIAL_PARSE_FILE, keep_parse_state, start_dbt
from ._profiles import DBT_RESOURCE_KEY

__all__ = ["CheckTarget", "RunPlan", "run_selection"]

_RESULT_EVENTS = frozenset(
    {"LogModelResult", "LogSeedResult", "LogSnapshotResult", "LogTestResult"}
)
_FAILED = frozenset({"error", "fail", "runtime error"})
_WARN, _ERROR = dg.AssetCheckSeverity.WARN, dg.AssetCheckSeverity.ERROR
# One --select argument must stay under the kernel's per-argument limit (128 KiB on Linux).
_MAX_SELECT_CHARS = 100_000

Event = dg.MaterializeResult[Any] | dg.AssetCheckResult


@dataclass(frozen=True)
class CheckTarget:
    """A dbt test behind an asset check."""

    unique_id: str
    name: str
    selector: str
    node: str


@dataclass
class RunPlan:
    """What execution needs to know about the project, fixed when the assets are built."""

    graph: ProjectGraph
    keys: dict[str, dg.AssetKey]
    selectors: dict[str, str]
    kinds: dict[str, str]
    node_of_uid: dict[str, str]
    checks: dict[dg.AssetCheckKey, CheckTarget]
    tables: dict[str, str] = field(default_factory=dict)
    target_path: str = "target"
    node_of_key: dict[dg.AssetKey, str] = field(init=False)
    check_of_uid: dict[str, dg.AssetCheckKey] = field(init=False)

    def __post_init__(self) -> None:
        self.node_of_key = {key: node for node, key in self.keys.items()}
        self.check_of_uid = {check.unique_id: key for key, check in self.checks.items()}


@dataclass
class _Outcome:
    failures: list[str] = field(default_factory=list)
    blocked: set[str] = field(default_factory=set)
    skipped: list[str] = field(default_factory=list)


def run_selection(context: dg.AssetExecutionContext, plan: RunPlan) -> Iterator[Event]:
    """Run the selected assets and checks; raise ``dagster.Failure`` if anything failed."""
    dbt = getattr(context.resources, DBT_RESOURCE_KEY)
    pinned = getattr(dbt, "target", None)
    if pinned:
        raise dg.Failure(
            description=(
                f"the {DBT_RESOURCE_KEY!r} resource pins dbt target {pinned!r}, but each model "
                "runs under its own compute target (allowed: DbtCliResource with target unset)"
            )
        )
    selected = {plan.node_of_key[k] for k in context.selected_asset_keys if k in plan.node_of_key}
    tests: dict[str, list[str]] = {}
    for key in sorted(context.selected_asset_check_keys, key=str):
        check = plan.checks.get(key)
        if check is not None:
            tests.setdefault(check.node, []).append(check.selector)
    waves = plan.graph.plan(selected | set(tests))
    context.log.info(
        f"dbt: {len(selected)} node(s) and {sum(map(len, tests.values()))} test(s) "
        f"in {len(waves)} wave(s): "
        + ", ".join(f"{w.target or '(default target)'} x{len(w.nodes)}" for w in waves)
    )
    outcome = _Outcome()
    doomed: set[str] = set()
    for number, wave in enumerate(waves, start=1):
        for part, nodes in enumerate(_chunks(wave.nodes, plan, selected, tests), start=1):
            if outcome.blocked:
                doomed = plan.graph.downstream_of(outcome.blocked)
            runnable = [n for n in nodes if n not in doomed]
            outcome.skipped += [n for n in nodes if n in doomed and n in selected]
            selectors = [s for n in runnable for s in _selectors(n, plan, selected, tests)]
            if not selectors:
                continue
            label = f"{number}" if part == 1 else f"{number}.{part}"
            yield from _invoke(
                context,
                dbt,
                plan,
                wave.target,
                nodes=runnable,
                selectors=selectors,
                label=label,
                outcome=outcome,
            )
    if outcome.failures or outcome.skipped:
        raise dg.Failure(
            description=_describe(outcome),
            metadata={
                "failures": dg.MetadataValue.json(outcome.failures),
                "not_run": dg.MetadataValue.json(sorted(set(outcome.skipped))),
            },
        )


def _selectors(
    node: str, plan: RunPlan, selected: set[str], tests: Mapping[str, list[str]]
) -> list[str]:
    own = [plan.selectors[node]] if node in selected else []
    return own + tests.get(node, [])


def _chunks(
    nodes: Iterable[str], plan: RunPlan, selected: set[str], tests: Mapping[str, list[str]]
) -> Iterator[list[str]]:
    """Consecutive runs of ``nodes`` (already in dependency order) whose selectors fit one arg."""
    chunk: list[str] = []
    size = 0
    for node in nodes:
        cost = sum(len(s) + 1 for s in _selectors(node, plan, selected, tests))
        if chunk and size + cost > _MAX_SELECT_CHARS:
            yield chunk
            chunk, size = [], 0
        chunk.append(node)
        size += cost
    if chunk:
        yield chunk


def _invoke(
    context: dg.AssetExecutionContext,
    dbt: Any,
    plan: RunPlan,
    target: str | None,
    *,
    nodes: list[str],
    selectors: list[str],
    label: str,
    outcome: _Outcome,
) -> Generator[Event, None, None]:
    args = ["build", "--select", " ".join(selectors), "--indirect-selection", "empty"]
    if target:
        args += ["--target", target]
    target_dir = Path(dbt.project_dir, plan.target_path).resolve()
    wave_dir = target_dir / f"floe-{context.run.run_id[:8]}-wave{label}"
    context.log.info(f"dbt wave {label}: target {target or '(default)'}, {len(selectors)} node(s)")
    invocation = start_dbt(dbt, args, target=target, target_dir=target_dir, wave_dir=wave_dir)
    for event in invocation.stream_raw_events():
        yield from _to_dagster(event.raw_event, plan, target)
    keep_parse_state(wave_dir / PARTIAL_PARSE_FILE, target_dir, target)
    results = _run_results(Path(invocation.target_path))
    for result in results:
        uid = str(result.get("unique_id", ""))
        status = str(result.get("status", "")).lower()
        message = str(result.get("message") or "").strip()
        if uid in plan.node_of_uid:
            node = plan.node_of_uid[uid]
            if status in _FAILED:
                kind = plan.kinds.get(node, "node")
                outcome.failures.append(
                    f"dbt {kind} {node!r} failed under target {target or '(default)'!r}: {message}"
                )
                outcome.blocked.add(node)
            elif status == "skipped":
                outcome.blocked.add(node)
                outcome.skipped.append(node)
        elif uid in plan.check_of_uid and status in _FAILED:
            check = plan.checks[plan.check_of_uid[uid]]
            outcome.failures.append(f"dbt test {check.name!r} on {check.node!r} failed: {message}")
            outcome.blocked.add(check.node)
    if not results and not invocation.is_successful():
        # dbt stopped before running anything (a compile or connection error): its own words.
        outcome.failures.append(str(invocation.get_error()))
        outcome.blocked.update(nodes)


def _to_dagster(raw: Mapping[str, Any], plan: RunPlan, target: str | None) -> Iterator[Event]:
    info = raw.get("info") or {}
    if info.get("name") not in _RESULT_EVENTS:
        return
    data = raw.get("data") or {}
    node_info = data.get("node_info") or {}
    uid = node_info.get("unique_id")
    status = str(node_info.get("node_status") or data.get("status") or "").lower()
    metadata: dict[str, Any] = {
        "dbt/unique_id": uid,
        "dbt/status": status,
        "dbt/invocation_id": str(info.get("invocation_id", "")),
        "floe/compute": target or "",
    }
    if data.get("execution_time") is not None:
        metadata["dbt/execution_time_s"] = float(data["execution_time"])
    if uid in plan.node_of_uid:
        if status == "success":
            node = plan.node_of_uid[uid]
            key = plan.keys[node]
            if plan.tables.get(node):
                # Also on the event, so lineage listeners name the dataset without the spec.
                metadata["dagster/table_name"] = plan.tables[node]
            yield dg.MaterializeResult(asset_key=key, metadata=metadata)
    elif uid in plan.check_of_uid and status != "skipped":
        check_key = plan.check_of_uid[uid]
        if data.get("num_failures") is not None:
            metadata["dbt/failed_row_count"] = int(data["num_failures"])
        yield dg.AssetCheckResult(
            asset_key=check_key.asset_key,
            check_name=check_key.name,
            passed=status == "pass",
            severity=_WARN if status == "warn" else _ERROR,
            metadata=metadata,
        )


def _run_results(target_path: Path) -> list[dict[str, Any]]:
    path = target_path / "run_results.json"
    if not path.is_file():
        return []
    results = json.loads(path.read_bytes()).get("results") or []
    return [r for r in results if isinstance(r, dict)]


def _describe(outcome: _Outcome) -> str:
    lines = [f"dbt: {len(outcome.failures)} failure(s)"]
    lines += [f"  - {failure}" for failure in outcome.failures]
    not_run = sorted(set(outcome.skipped))
    if not_run:
        lines.append(f"  not run because something upstream failed: {', '.join(not_run)}")
    return "\n".join(lines)
