"""Time to a Definitions with its implicit job resolved, for dbt projects of 500 to 20,000 models.

A quick scale check with no ``dbt parse`` (the goals are measured on real projects by
bench_load.py). Three ways over the same synthetic manifest, each case in a fresh interpreter
(imports and reading the manifest's file are not timed; building the assets, the Definitions and
the job are):

- floor: a bare Dagster ``multi_asset`` (default options) over AssetSpecs with the same keys,
  deps, groups, kinds and metadata, built in a plain loop: what any asset layer must at least
  cost;
- floe: ``floe_dagster_assets.create_assets_from_transforms`` (validation, manifest cross-check,
  metadata, compute routing included);
- dagster-dbt: ``@dbt_assets`` on the same manifest (the peer), "crashed: <error>" where it fails.

Peak memory is the process's peak RSS growth over the RSS just before the timed part.

    python benchmarks/bench_assets.py [--quick] [--repeat N] [--json results.json]
"""

# No `from __future__ import annotations`: Dagster reads the decorated functions' hints.

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _assets_manifest import PROFILES, edges, make_project, synthetic_manifest, template_manifest  # noqa: E402
from _process_stats import peak_rss_mb, rss_mb  # noqa: E402

IMPLEMENTATIONS = ("floor", "floe", "dagster-dbt")
SIZES = (500, 5_000, 20_000)
SHAPES = ("shallow", "deep")
GOAL_SIZE = 5_000
TIMEOUT_S = 900


def _compute(i: int) -> str:
    return "duckdb_heavy" if i % 3 == 0 else "duckdb"


def worker(implementation: str, manifest_path: Path, project: Path) -> dict[str, Any]:
    """One measurement, in this (fresh) process."""
    import dagster as dg
    import dagster_dbt

    import floe_dagster_assets
    from floe_orchestrator_contract import TransformConfig

    manifest = json.loads(manifest_path.read_text())
    models = {
        node["name"]: [d.rsplit(".", 1)[1] for d in node["depends_on"]["nodes"]]
        for node in manifest["nodes"].values()
    }
    transforms = [
        TransformConfig(name, depends_on=deps, compute=_compute(i))
        for i, (name, deps) in enumerate(models.items())
    ]
    none = dg.ResourceDefinition.none_resource()
    before = rss_mb()
    started = time.perf_counter()
    try:
        if implementation == "floor":
            specs = []
            for i, (name, deps) in enumerate(models.items()):
                specs.append(
                    dg.AssetSpec(
                        key=name,
                        deps=deps,
                        group_name="main",
                        kinds={"dbt", "duckdb"},
                        metadata={
                            "floe/compute": _compute(i),
                            "floe/schema": "main",
                            "floe/materialization": "table",
                            "floe/path": f"models/{name}.sql",
                            "dbt/unique_id": f"model.synthetic.{name}",
                            "dagster/table_name": f"synthetic.main.{name}",
                        },
                        code_version=name,
                        skippable=True,
                    )
                )

            @dg.multi_asset(specs=specs, name="floor")
            def floor(context):  # type: ignore[no-untyped-def]  # Dagster reads hints
                raise NotImplementedError

            assets: list[Any] = [floor]
            resources: dict[str, Any] = {}
        elif implementation == "floe":
            assets = floe_dagster_assets.create_assets_from_transforms(
                transforms, project_dir=project, manifest=manifest, profiles=PROFILES
            )
            resources = {
                "dbt": none,
                floe_dagster_assets.RUN_OBSERVERS_RESOURCE_KEY: (
                    floe_dagster_assets.run_observers_resource()
                ),
            }
        else:

            @dagster_dbt.dbt_assets(manifest=manifest)
            def peer(context, dbt: dagster_dbt.DbtCliResource):  # type: ignore[no-untyped-def]
                yield from dbt.cli(["build"], context=context).stream()

            assets = [peer]
            dbt = str(Path(sys.executable).with_name("dbt"))
            resources = {
                "dbt": dagster_dbt.DbtCliResource(project_dir=str(project), dbt_executable=dbt)
            }
        defs = dg.Definitions(assets=assets, resources=resources)
        job = defs.resolve_implicit_global_asset_job_def()
        count = len(job.asset_layer.asset_graph.get_all_asset_keys())
        error = None
    except RecursionError:
        count, error = 0, "RecursionError"
    except Exception as exc:  # the peer failing is a result, not a crash of the benchmark
        count, error = 0, f"{type(exc).__name__}: {str(exc)[:200]}"
    seconds = time.perf_counter() - started
    peak = peak_rss_mb()
    return {"seconds": seconds, "peak_mb": peak - before, "assets": count, "error": error}


def _measure(implementation: str, manifest_path: Path, project: Path) -> dict[str, Any]:
    command = [
        sys.executable,
        __file__,
        "--worker",
        implementation,
        str(manifest_path),
        str(project),
    ]
    try:
        completed = subprocess.run(
            command, capture_output=True, text=True, timeout=TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired:
        return {"seconds": None, "peak_mb": None, "assets": 0, "error": f"timeout {TIMEOUT_S}s"}
    lines = [line for line in completed.stdout.splitlines() if line.startswith("{")]
    if completed.returncode != 0 or not lines:
        tail = (completed.stderr or completed.stdout).strip().splitlines()[-1:] or ["?"]
        return {"seconds": None, "peak_mb": None, "assets": 0, "error": f"crashed: {tail[0]}"}
    return json.loads(lines[-1])  # type: ignore[no-any-return]


def run(sizes: tuple[int, ...], repeat: int) -> list[dict[str, Any]]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench_assets_") as tmp:
        project = make_project(Path(tmp) / "project")
        template = template_manifest(project)
        for size in sizes:
            for shape in SHAPES:
                manifest_path = Path(tmp) / f"manifest-{size}-{shape}.json"
                manifest_path.write_text(
                    json.dumps(synthetic_manifest(template, edges(size, shape)))
                )
                samples: dict[str, list[dict[str, Any]]] = {i: [] for i in IMPLEMENTATIONS}
                for _ in range(repeat if size < 20_000 else 1):
                    for implementation in IMPLEMENTATIONS:  # interleaved against drift
                        samples[implementation].append(
                            _measure(implementation, manifest_path, project)
                        )
                row: dict[str, Any] = {"models": size, "shape": shape}
                for implementation, results in samples.items():
                    ok = [r for r in results if r["error"] is None]
                    row[implementation] = {
                        "seconds": statistics.median(r["seconds"] for r in ok) if ok else None,
                        "peak_mb": max(r["peak_mb"] for r in ok) if ok else None,
                        "error": None if ok else results[-1]["error"],
                        "assets": ok[0]["assets"] if ok else 0,
                    }
                rows.append(row)
                _print_row(row)
    return rows


def _cell(result: dict[str, Any]) -> str:
    if result["error"]:
        return f"{result['error'][:34]:>34}"
    return f"{result['seconds']:>8.2f}s {result['peak_mb']:>7.0f}MB {'':>15}"


def _ratio(row: dict[str, Any], implementation: str) -> str:
    mine, floor = row[implementation]["seconds"], row["floor"]["seconds"]
    return f"{mine / floor:>5.2f}x" if mine and floor else "    - "


def _print_row(row: dict[str, Any]) -> None:
    print(
        f"{row['models']:>7} {row['shape']:<8}"
        f"{_cell(row['floor'])}{_cell(row['floe'])} {_ratio(row, 'floe')}"
        f"{_cell(row['dagster-dbt'])} {_ratio(row, 'dagster-dbt')}",
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="500 and 5,000 models, once each")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        implementation, manifest_path, project = args.worker
        print(json.dumps(worker(implementation, Path(manifest_path), Path(project))))
        return 0
    sizes = SIZES[:2] if args.quick else SIZES
    repeat = 1 if args.quick else args.repeat
    print("time to Definitions + implicit job resolved (median), peak RSS growth; ratio vs floor")
    print(
        f"{'models':>7} {'shape':<8}{'floor (bare multi_asset)':>34}{'floe':>34} ratio"
        f"{'dagster-dbt @dbt_assets':>34} ratio"
    )
    rows = run(sizes, repeat)
    goal_rows = [
        r
        for r in rows
        if r["models"] == GOAL_SIZE and r["floe"]["seconds"] and r["floor"]["seconds"]
    ]
    worst = max((r["floe"]["seconds"] / r["floor"]["seconds"] for r in goal_rows), default=None)
    if worst is not None:
        print(f"\nfloe at {GOAL_SIZE:,} models: {worst:.2f}x the floor at worst")
    if args.json:
        args.json.write_text(
            json.dumps({"rows": rows, "worst_ratio_at_goal_size": worst}, indent=2)
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
