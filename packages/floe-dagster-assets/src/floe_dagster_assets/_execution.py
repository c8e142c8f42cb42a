"""Running a selection of the project: ``dbt build`` per (wave, target), events back to Dagster.

Each wave is one ``dbt build --select <nodes and tests> --target <compute>`` through
dagster-dbt's ``DbtCliResource``. Its events become ``MaterializeResult`` per model, seed or
snapshot and ``AssetCheckResult`` per dbt test, with runtime metadata, and reports to the run's
observers (see ``_wave``). A failed node, or a node whose error-severity test failed, blocks
everything downstream of it in later waves, as dbt does within one invocation; the step then
fails naming each failure, the database's message and what did not run.
"""

from __future__ import annotations

import json
from collections.abc import Generator, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import dagster as dg

from ._graph import ProjectGraph
from ._invocation import PARTIAL_PARSE_FILE, keep_parse_state, start_dbt
from ._manifest import ManifestIndex
from ._observers import RUN_OBSERVERS_RESOURCE_KEY, as_run_observers
from ._profiles import DBT_RESOURCE_KEY
from ._report import RunReporter
from ._run_options import dbt_args_from_tags
from ._wave import Event, Outcome, Wave

__all__ = ["CheckTarget", "RunPlan", "run_selection"]

# One --select argument must stay under the kernel's per-argument limit (128 KiB on Linux).
_MAX_SELECT_CHARS = 100_000


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
    #: The manifest's index: relations, upstreams and documented columns for run-time reports.
    index: ManifestIndex | None = None
    #: Asset keys of dbt sources by unique_id (column lineage names them).
    source_keys: dict[str, dg.AssetKey] = field(default_factory=dict)
    #: floe's product name: the implicit asset job is reported under it.
    product: str | None = None
    #: The resource keys the step reads (per product when names carry it).
    dbt_key: str = DBT_RESOURCE_KEY
    observers_key: str = RUN_OBSERVERS_RESOURCE_KEY
    #: Row counts, column types and column lineage on every materialization.
    runtime_metadata: bool = True
    node_of_key: dict[dg.AssetKey, str] = field(init=False)
    check_of_uid: dict[str, dg.AssetCheckKey] = field(init=False)
    uid_of_node: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self.node_of_key = {key: node for node, key in self.keys.items()}
        self.check_of_uid = {check.unique_id: key for key, check in self.checks.items()}
        self.uid_of_node = {node: uid for uid, node in self.node_of_uid.items()}

    @cached_property
    def executables(self) -> list[str]:
        """Selectors of everything ``dbt build`` runs with no ``--select`` (empty: unknown)."""
        index = self.index
        if index is None:
            return []
        return [
            *(s.selector for s in index.by_uid.values() if s.materialization != "ephemeral"),
            *(t.selector for t in index.tests),
            *index.other_executables,
        ]


def run_selection(context: dg.AssetExecutionContext, plan: RunPlan) -> Iterator[Event]:
    """Run the selected assets and checks; raise ``dagster.Failure`` if anything failed."""
    dbt = getattr(context.resources, plan.dbt_key)
    try:
        # --full-refresh and --vars asked for by the run's tags (dbt_run_tags), before dbt runs.
        run_args = dbt_args_from_tags(context.run.tags or {})
    except ValueError as error:
        raise dg.Failure(description=str(error)) from None
    pinned = getattr(dbt, "target", None)
    if pinned:
        raise dg.Failure(
            description=(
                f"the {plan.dbt_key!r} resource pins dbt target {pinned!r}, but each model "
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
    observers = as_run_observers(getattr(context.resources, plan.observers_key, None))
    reporter = RunReporter.start(context, plan, dbt, observers)
    outcome = Outcome()
    failure: str | None = "the dbt step stopped before it ended"
    try:
        doomed: set[str] = set()
        for number, wave in enumerate(waves, start=1):
            for part, nodes in enumerate(_chunks(wave.nodes, plan, selected, tests), start=1):
                if outcome.blocked:
                    doomed = plan.graph.downstream_of(outcome.blocked)
                runnable = [n for n in nodes if n not in doomed]
                not_run = [n for n in nodes if n in doomed and n in selected]
                outcome.skipped += not_run
                reporter.aborted(not_run, wave.target, "an upstream node failed")
                selectors = [s for n in runnable for s in _selectors(n, plan, selected, tests)]
                if not selectors:
                    continue
                label = f"{number}" if part == 1 else f"{number}.{part}"
                yield from _invoke(
                    context,
                    dbt,
                    Wave(
                        plan,
                        reporter,
                        outcome,
                        wave.target,
                        runnable,
                        selected,
                        runtime_metadata=plan.runtime_metadata,
                    ),
                    selectors=selectors,
                    label=label,
                    run_args=run_args,
                )
        failure = _describe(outcome) if outcome.failures or outcome.skipped else None
    finally:
        reporter.close(failed=failure is not None, message=failure, log=context.log)
    if failure is not None:
        raise dg.Failure(
            description=failure,
            metadata={
                "failures": dg.MetadataValue.json(outcome.failures),
                "failed_nodes": dg.MetadataValue.json(_failed(outcome, "node")),
                "failed_tests": dg.MetadataValue.json(_failed(outcome, "test")),
                "errors": dg.MetadataValue.json(outcome.errors),
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
    wave: Wave,
    *,
    selectors: list[str],
    label: str,
    run_args: list[str],
) -> Generator[Event, None, None]:
    target = wave.target
    args = ["build", *_selection(selectors, wave.plan), "--indirect-selection", "empty", *run_args]
    if target:
        args += ["--target", target]
    target_dir = Path(dbt.project_dir, wave.plan.target_path).resolve()
    wave_dir = target_dir / f"floe-{context.run.run_id[:8]}-wave{label}"
    context.log.info(f"dbt wave {label}: target {target or '(default)'}, {len(selectors)} node(s)")
    invocation = start_dbt(dbt, args, target=target, target_dir=target_dir, wave_dir=wave_dir)
    wave.target_dir = Path(invocation.target_path)
    for event in invocation.stream_raw_events():
        yield from wave.observe(event.raw_event)
    keep_parse_state(wave_dir / PARTIAL_PARSE_FILE, target_dir, target)
    results = _run_results(Path(invocation.target_path))
    # dbt stopped before running anything (a compile or connection error): its own words.
    error = None if results or invocation.is_successful() else str(invocation.get_error())
    yield from wave.finish(results, error)


def _selection(selectors: list[str], plan: RunPlan) -> list[str]:
    """dbt's arguments selecting exactly ``selectors``: ``--select`` them, or, when fewer, leave
    out the rest with ``--exclude`` (none at all when the wave runs the whole project).

    dbt matches every selector against every node, so a selection's cost grows with its length
    times the project's size: 330 selectors cost dbt about 3 s on a 300-model project, which is
    a sixth of a whole ``dbt build``. A run of everything, or of everything on one target, names
    what it leaves out instead, which is nothing or the other target's nodes.
    """
    everything = plan.executables
    wanted = set(selectors)
    if everything and len(wanted) > len(everything) // 2:
        known = set(everything)
        if wanted <= known:
            rest = [s for s in dict.fromkeys(everything) if s not in wanted]
            if len(rest) < len(wanted) and sum(len(s) + 1 for s in rest) <= _MAX_SELECT_CHARS:
                return ["--exclude", " ".join(rest)] if rest else []
    return ["--select", " ".join(selectors)]


def _run_results(target_path: Path) -> list[dict[str, Any]]:
    path = target_path / "run_results.json"
    if not path.is_file():
        return []
    results = json.loads(path.read_bytes()).get("results") or []
    return [r for r in results if isinstance(r, dict)]


def _failed(outcome: Outcome, what: str) -> list[str]:
    """Names of the failed models, seeds and snapshots (``node``) or dbt tests (``test``)."""
    if what == "node":
        names = (e.get("node") for e in outcome.errors if e.get("resource_type") != "test")
    else:
        names = (e.get("test") for e in outcome.errors)
    return list(dict.fromkeys(name for name in names if name))


def _describe(outcome: Outcome) -> str:
    lines = [f"dbt: {len(outcome.failures)} failure(s)"]
    lines += [f"  - {failure}" for failure in outcome.failures]
    not_run = sorted(set(outcome.skipped))
    if not_run:
        lines.append(f"  not run because something upstream failed: {', '.join(not_run)}")
    return "\n".join(lines)
