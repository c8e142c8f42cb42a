"""Runtime metadata: what row counts, column types and column lineage cost a dbt run.

A generated DuckDB project (default 200 models: 10 roots generating rows, then models reading one
to three earlier ones through joins, aggregates, CTEs and ``select *``; every fifth a view, every
tenth with a ``not_null`` test) is materialized through the assets, in the same process, as:

- ``off``: ``create_assets_from_transforms(..., runtime_metadata=False)``, no observer (baseline);
- ``on``: runtime metadata on (the default), no observer;
- ``on+observer``: runtime metadata on and a ``RunObserver`` recording every report;
- ``deferred``: runtime metadata on with its two computations (warehouse queries, column lineage)
  replaced by nothing: what reporting a wave's materializations at its end costs by itself
  (Dagster then handles them after dbt ends instead of while it runs).

The rounds alternate (off, on, on+observer, off, ...) on one fresh database per round, so the
machine's noise spreads over all three. Reported: median wall time of each, the ratio to ``off``,
and the added time per node. Plain ``dbt build`` of the same project is measured once beside them
for scale. Also run on the example product (examples/greenhouse) with ``--greenhouse``.

    python benchmarks/bench_runtime_metadata.py [--quick] [--models 200] [--rounds 3]
        [--greenhouse] [--json results.json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PROJECT = "runtime_bench"
ROOTS = 10
ROWS = 2_000


def make_project(directory: Path, n: int) -> Path:
    """A dbt project of ``n`` models on one DuckDB file (profiles.yml inside the project)."""
    models = directory / "models"
    models.mkdir(parents=True)
    (directory / "dbt_project.yml").write_text(
        f"name: {PROJECT}\nversion: '1.0'\nconfig-version: 2\nprofile: {PROJECT}\n"
        f"models:\n  {PROJECT}:\n    +materialized: table\n"
    )
    (directory / "profiles.yml").write_text(
        json.dumps(
            {
                PROJECT: {
                    "target": "duckdb",
                    "outputs": {
                        "duckdb": {"type": "duckdb", "path": "target/bench.duckdb", "threads": 1}
                    },
                }
            }
        )
    )
    properties = []
    for i in range(n):
        (models / f"{_name(i)}.sql").write_text(_sql(i))
        if i % 10 == 0:
            properties.append(
                {"name": _name(i), "columns": [{"name": "id", "data_tests": ["not_null"]}]}
            )
    (models / "_models.yml").write_text(json.dumps({"version": 2, "models": properties}))
    return directory


def _name(i: int) -> str:
    return f"m{i:04d}"


def _sql(i: int) -> str:
    view = "{{ config(materialized='view') }}\n" if i % 5 == 4 else ""
    if i < ROOTS:
        return (
            f"{view}select i as id, i % 17 as grp, i * {i + 3} % 101 as amount, "
            f"'r{i}' as label from range(0, {ROWS}) as t(i)\n"
        )
    a, b, c = _name(i // 2), _name(i - 1), _name(max(i - 7, 0))
    shape = i % 4
    if shape == 0:  # a join of two upstreams
        return (
            f"{view}select x.id, x.grp, x.amount + y.amount as amount, x.label\n"
            f"from {{{{ ref('{a}') }}}} as x join {{{{ ref('{b}') }}}} as y on y.id = x.id\n"
        )
    if shape == 1:  # an aggregate through a CTE
        return (
            f"{view}with base as (select id, grp, amount, label from {{{{ ref('{a}') }}}})\n"
            "select min(id) as id, grp, sum(amount) as amount, max(label) as label\n"
            "from base group by grp\n"
        )
    if shape == 2:  # select * with a filter
        return f"{view}select * from {{{{ ref('{b}') }}}} where amount >= 0\n"
    return (  # three upstreams, a window and a computed column
        f"{view}select x.id, x.grp, x.amount * 2 + coalesce(z.amount, 0) as amount,\n"
        f"  x.label || '-' || y.label as label,\n"
        f"  row_number() over (partition by x.grp order by x.id) as rn\n"
        f"from {{{{ ref('{a}') }}}} as x\n"
        f"join {{{{ ref('{b}') }}}} as y on y.id = x.id\n"
        f"left join {{{{ ref('{c}') }}}} as z on z.id = x.id\n"
    )


class Recorder:
    """A RunObserver that keeps every report (what a lineage observer receives)."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def run_started(self, run: Any) -> None:
        self.calls.append(("run_started", run))

    def node_started(self, run: Any, node: Any, at: Any) -> None:
        self.calls.append(("node_started", node, at))

    def node_finished(self, run: Any, node: Any, result: Any) -> None:
        self.calls.append(("node_finished", node, result))

    def node_tested(self, run: Any, node: Any, tests: Any) -> None:
        self.calls.append(("node_tested", node, tests))

    def run_finished(self, run: Any, *, failed: bool, message: str | None = None) -> None:
        self.calls.append(("run_finished", failed, message))


class Stopwatch:
    """Wall and CPU time spent inside the run computing the metadata (wrapping two functions)."""

    def __init__(self) -> None:
        self.wall = {"facts": 0.0, "lineage": 0.0}
        self.cpu = {"facts": 0.0, "lineage": 0.0}

    skip = False

    def install(self) -> None:
        from floe_dagster_assets import _wave

        for part, attribute in (("facts", "fetch_facts"), ("lineage", "column_lineage")):
            setattr(_wave, attribute, self._timed(part, getattr(_wave, attribute)))

    def _timed(self, part: str, function: Any) -> Any:
        from floe_dagster_assets._facts import WarehouseFacts

        def timed(*args: Any, **kwargs: Any) -> Any:
            if self.skip:
                return WarehouseFacts() if part == "facts" else ()
            wall, cpu = time.perf_counter(), time.thread_time()
            try:
                return function(*args, **kwargs)
            finally:
                self.wall[part] += time.perf_counter() - wall
                self.cpu[part] += time.thread_time() - cpu

        return timed

    def reset(self) -> dict[str, float]:
        taken = {f"{k}_wall_s": v for k, v in self.wall.items()}
        taken.update({f"{k}_cpu_s": v for k, v in self.cpu.items()})
        self.wall = dict.fromkeys(self.wall, 0.0)
        self.cpu = dict.fromkeys(self.cpu, 0.0)
        return taken


STOPWATCH = Stopwatch()


def _fresh(project: Path) -> None:
    target = project / "target"
    for path in target.glob("*.duckdb*"):
        path.unlink()
    for path in target.glob("floe-*"):
        shutil.rmtree(path)


def _materialize(
    project: Path, transforms: Any, profiles: Any, default_compute: str | None, variant: str
) -> float:
    import dagster as dg

    from floe_dagster_assets import create_assets_from_transforms, dbt_resources

    recorder = Recorder()
    assets = create_assets_from_transforms(
        transforms,
        project_dir=project,
        profiles=profiles,
        default_compute=default_compute,
        runtime_metadata=variant != "off",
    )
    resources = dbt_resources(
        project, profiles=profiles, observers=[recorder] if variant == "on+observer" else ()
    )
    _fresh(project)
    STOPWATCH.skip = variant == "deferred"
    started = time.perf_counter()
    result = dg.materialize(assets, resources=resources, raise_on_error=False)
    elapsed = time.perf_counter() - started
    STOPWATCH.skip = False
    if not result.success:
        raise SystemExit(f"{variant}: the run failed")
    if variant == "on+observer" and not any(c[0] == "run_finished" for c in recorder.calls):
        raise SystemExit("the observer did not hear the end of the run")
    return elapsed


def _plain_dbt(project: Path) -> float:
    from floe_dagster_assets._manifest import dbt_executable

    _fresh(project)
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    started = time.perf_counter()
    subprocess.run(
        [dbt_executable(), "build", "--project-dir", str(project), "--profiles-dir", str(project)],
        cwd=project,
        env=env,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - started


def measure(
    project: Path,
    rounds: int,
    *,
    profiles: Any = None,
    transforms: Any = None,
    default_compute: str | None = None,
) -> dict[str, Any]:
    from floe_dagster_assets import ensure_manifest, load_manifest, transforms_from_manifest

    manifest_path = ensure_manifest(project, profiles=profiles, target=default_compute)
    manifest = load_manifest(manifest_path)
    if transforms is None:
        transforms = transforms_from_manifest(manifest)
    nodes = sum(
        1
        for n in manifest["nodes"].values()
        if n["resource_type"] in {"model", "seed", "snapshot"}
        and n["config"].get("materialized") != "ephemeral"
    )
    variants = ("off", "on", "on+observer", "deferred")
    times: dict[str, list[float]] = {v: [] for v in variants}
    inside: list[dict[str, float]] = []
    run = (project, transforms, profiles, default_compute)
    _materialize(*run, "on")  # warm-up: imports, dbt's partial parse
    STOPWATCH.reset()
    for _ in range(rounds):
        for variant in variants:
            times[variant].append(_materialize(*run, variant))
            taken = STOPWATCH.reset()
            if variant == "on":
                inside.append(taken)
    medians = {v: statistics.median(t) for v, t in times.items()}
    base = medians["off"]
    in_run = {k: statistics.median(t[k] for t in inside) for k in inside[0]}
    return {
        "nodes": nodes,
        "rounds": rounds,
        "seconds": times,
        "median_s": medians,
        "ratio_to_off": {v: medians[v] / base for v in variants},
        "added_ms_per_node": {v: (medians[v] - base) / nodes * 1000 for v in variants},
        "in_run_s": in_run,
        "in_run_ms_per_node": (in_run["facts_wall_s"] + in_run["lineage_wall_s"]) / nodes * 1000,
        "plain_dbt_build_s": _plain_dbt(project),
    }


def _greenhouse(workdir: Path, rounds: int) -> dict[str, Any]:
    """The example product as the facade runs it: its transforms, compute targets, profiles."""
    from floe_orchestrator_contract import CompiledArtifacts

    source = ROOT / "examples" / "greenhouse"
    project = workdir / "greenhouse"
    shutil.copytree(
        source, project, ignore=shutil.ignore_patterns("target", "logs", "*.duckdb", "*.wal")
    )
    artifacts = CompiledArtifacts.from_file(project / "compiled_artifacts.json")
    return measure(
        project,
        rounds,
        profiles=artifacts.dbt_profiles,
        transforms=artifacts.to_transform_configs(),
        default_compute=artifacts.transforms.default_compute,
    )


def _print(label: str, result: dict[str, Any]) -> None:
    print(f"{label}: {result['nodes']} nodes, {result['rounds']} round(s)")
    for variant, median in result["median_s"].items():
        print(
            f"  {variant:12} median {median:7.2f} s   x{result['ratio_to_off'][variant]:.3f}  "
            f"{result['added_ms_per_node'][variant]:+7.1f} ms/node"
        )
    taken = result["in_run_s"]
    print(
        f"  inside the run ('on'): warehouse queries {taken['facts_wall_s'] * 1000:.0f} ms, "
        f"column lineage {taken['lineage_wall_s'] * 1000:.0f} ms "
        f"(CPU {taken['lineage_cpu_s'] * 1000:.0f} ms): "
        f"{result['in_run_ms_per_node']:.2f} ms per node"
    )
    print(f"  plain dbt build      {result['plain_dbt_build_s']:7.2f} s (one run, for scale)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 models, 1 round")
    parser.add_argument("--models", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--greenhouse", action="store_true", help="also the example product")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    models, rounds = (100, 1) if args.quick else (args.models, args.rounds)
    results: dict[str, Any] = {}
    STOPWATCH.install()
    with tempfile.TemporaryDirectory(prefix="floe-bench-runtime-") as tmp:
        workdir = Path(tmp)
        project = make_project(workdir / PROJECT, models)
        results["generated"] = measure(project, rounds)
        _print(f"generated project ({models} models)", results["generated"])
        if args.greenhouse:
            results["greenhouse"] = _greenhouse(workdir, rounds)
            _print("examples/greenhouse", results["greenhouse"])
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
