"""Run time: materializing a whole real dbt project through the plugin, against plain dbt.

Projects (benchmarks/_dbt_project.py, DuckDB, 1,000 rows per model, a ``not_null`` test on every
tenth model) are parsed once, then every case runs in its own process, interleaved, and each is
warmed up once untimed (so every one of them starts from dbt's partial-parse state, as a
scheduled run does):

- plain dbt: ``dbt build`` (one target), or one ``dbt build --select path:models/<target>
  --target <target>`` per target, in dependency order (two targets): wall time of the commands;
- floe: the plugin with its defaults (``DagsterOrchestratorPlugin.create_definitions`` on the
  product's ``compiled_artifacts.json``, lineage sent to a loopback OpenLineage receiver, whatever
  runtime metadata and observers the plugin adds), the product's scheduled job executed in process
  on a Dagster instance storing its events in memory (``--storage sqlite``: in SQLite files, as
  ``dagster dev``): wall time of the run (loading the definitions is bench_load.py's subject);
- dagster-dbt: ``@dbt_assets`` running ``dbt build`` the same way (the peer; one target only).

Every floe run is checked: the run succeeded, every model was materialized, and dbt used its
partial parse in every wave (no "Unable to do partial parsing" in the waves' logs). Goals: floe
within 1.10x plain dbt at 300 models on one target, within 1.20x with two targets; at 2,000
models the ratio is reported.

    python benchmarks/bench_run.py [--quick] [--repeat N] [--json results.json]
"""

# No `from __future__ import annotations`: Dagster reads the decorated functions' hints.

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _dbt_project as projects  # noqa: E402
from _process_stats import cpu_seconds  # noqa: E402

# (models, targets, goal or None when the ratio is only reported)
PROJECTS = ((300, 1, 1.10), (300, 2, 1.20), (2_000, 1, None))
QUICK_PROJECTS = ((300, 1, 1.10), (300, 2, 1.20))
TIMEOUT_S = 3600


def worker(case: str, project: Path, instance_dir: Path) -> dict[str, Any]:
    """One timed run through Dagster, in this (fresh) process."""
    import dagster as dg

    if case == "floe":
        from floe_orchestrator_dagster import DagsterOrchestratorPlugin

        plugin = DagsterOrchestratorPlugin(dbt_project_dir=project)
        defs = plugin.create_definitions(project / "compiled_artifacts.json")
        # The product's scheduled job: what runs every day, with the plugin's lineage wiring.
        job = defs.resolve_job_def(projects.JOB)
    else:
        from dagster_dbt import DbtCliResource, dbt_assets

        @dbt_assets(manifest=project / "target" / "manifest.json")
        def peer(context: dg.AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
            yield from dbt.cli(["build"], context=context).stream()

        dbt = DbtCliResource(
            project_dir=str(project), profiles_dir=str(project), dbt_executable=projects.dbt()
        )
        defs = dg.Definitions(assets=[peer], resources={"dbt": dbt})
        job = defs.resolve_implicit_global_asset_job_def()
    instance_dir.mkdir(parents=True, exist_ok=True)
    storage = os.environ.get("FLOE_BENCH_STORAGE", "memory")
    if storage == "sqlite":
        instance_context = dg.DagsterInstance.local_temp(str(instance_dir))
    else:
        instance_context = dg.DagsterInstance.ephemeral(tempdir=str(instance_dir))
    with instance_context as instance:
        started, cpu = time.perf_counter(), cpu_seconds()
        result = job.execute_in_process(instance=instance, raise_on_error=False)
        seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
        materialized = len(result.get_asset_materialization_events())
    if case == "floe":
        plugin.shutdown()  # delivers the lineage events still queued
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "success": result.success,
        "materialized": materialized,
    }


def _plain(project: Path, targets: int) -> dict[str, Any]:
    commands = [[projects.dbt(), "build", "--profiles-dir", str(project)]]
    if targets == 2:
        commands = [
            [*commands[0], "--select", f"path:models/{target}", "--target", target]
            for target in projects.TARGETS
        ]
    started, cpu = time.perf_counter(), cpu_seconds()
    for command in commands:
        # As a user runs it (dbt's usual console output), the output thrown away.
        subprocess.run(
            command,
            check=True,
            cwd=project,
            env=projects.dbt_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    return {"seconds": time.perf_counter() - started, "cpu_seconds": cpu_seconds() - cpu}


def _through_dagster(case: str, project: Path, instance_dir: Path) -> dict[str, Any]:
    command = [sys.executable, __file__, "--worker", case, str(project), str(instance_dir)]
    waves_before = set(project.glob("target/floe-*"))
    completed = subprocess.run(
        command, capture_output=True, text=True, timeout=TIMEOUT_S, check=False
    )
    lines = [line for line in completed.stdout.splitlines() if line.startswith("{")]
    if completed.returncode != 0 or not lines:
        tail = (completed.stderr or completed.stdout).strip().splitlines()[-3:]
        raise RuntimeError(f"{case} run crashed: {' | '.join(tail)}")
    result: dict[str, Any] = json.loads(lines[-1])
    waves = sorted(set(project.glob("target/floe-*")) - waves_before)
    result["waves"] = len(waves)
    result["full_parses"] = sum(
        "Unable to do partial parsing" in (w / "dbt.log").read_text(errors="replace")
        for w in waves
        if (w / "dbt.log").is_file()
    )
    return result


@contextmanager
def _lineage_receiver() -> Iterator[tuple[str, subprocess.Popen[str]]]:
    receiver = subprocess.Popen(
        [sys.executable, str(HERE / "_lineage_receiver.py")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert receiver.stdout is not None
        port = int(receiver.stdout.readline())
        yield f"http://127.0.0.1:{port}", receiver
    finally:
        assert receiver.stdin is not None
        receiver.stdin.close()
        receiver.wait(timeout=30)


def _received(url: str) -> int:
    import urllib.request

    with urllib.request.urlopen(f"{url}/count", timeout=10) as response:
        return int(response.read())


def run(cases: tuple[tuple[int, int, float | None], ...], repeat: int) -> list[dict[str, Any]]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench_run_") as tmp, _lineage_receiver() as (url, _):
        for size, targets, goal in cases:
            project = projects.make_project(
                Path(tmp) / f"p{size}x{targets}", size, "tree", split=targets == 2
            )
            projects.enable_lineage(project, url)
            projects.dbt_parse(project)
            names = ["plain dbt", "floe", *(["dagster-dbt"] if targets == 1 else [])]
            samples: dict[str, list[dict[str, Any]]] = {n: [] for n in names}
            for attempt in range(repeat + 1):  # the first round warms up, untimed
                for name in names:  # interleaved, so drift hits every case alike
                    instance = Path(tmp) / f"instance-{size}x{targets}-{name}-{attempt}"
                    if name == "plain dbt":
                        sample = _plain(project, targets)
                    else:
                        before = _received(url)
                        sample = _through_dagster(name.split()[0], project, instance)
                        sample["lineage_events"] = _received(url) - before
                        if not sample["success"] or sample["materialized"] < size:
                            raise RuntimeError(f"{name} did not materialize everything: {sample}")
                    if attempt:
                        samples[name].append(sample)
            row: dict[str, Any] = {"models": size, "targets": targets, "goal": goal}
            for name, results in samples.items():
                row[name] = {
                    "seconds": statistics.median(r["seconds"] for r in results),
                    "cpu_seconds": statistics.median(r["cpu_seconds"] for r in results),
                    "samples_s": [round(r["seconds"], 2) for r in results],
                    **{
                        key: results[-1][key]
                        for key in ("waves", "full_parses", "lineage_events", "materialized")
                        if key in results[-1]
                    },
                }
            rows.append(row)
            _print_row(row)
    return rows


def _print_row(row: dict[str, Any]) -> None:
    plain = row["plain dbt"]
    line = (
        f"{row['models']:>6} models, {row['targets']} target(s): plain dbt "
        f"{plain['seconds']:.1f}s (CPU {plain['cpu_seconds']:.1f}s)"
    )
    for name in ("floe", "dagster-dbt"):
        if name in row:
            mine = row[name]
            line += (
                f"; {name} {mine['seconds']:.1f}s = {mine['seconds'] / plain['seconds']:.2f}x "
                f"(CPU {mine['cpu_seconds']:.1f}s = "
                f"{mine['cpu_seconds'] / plain['cpu_seconds']:.2f}x)"
            )
    print(line, flush=True)
    floe = row["floe"]
    print(
        f"{'':>8}floe: {floe['waves']} wave(s) per run, {floe['full_parses']} full dbt parse(s), "
        f"{floe['lineage_events']} lineage events, {floe['materialized']} materializations; "
        f"samples {floe['samples_s']} vs plain {plain['samples_s']}",
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="300 models only")
    parser.add_argument("--repeat", type=int, help="timed runs of each case (default 3; quick 1)")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--projects", help="e.g. 300x1,2000x1 (models x targets, 1 or 2)")
    parser.add_argument(
        "--storage",
        choices=("memory", "sqlite"),
        default="memory",
        help="where the Dagster instance stores events: memory, or SQLite files (dagster dev)",
    )
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        case, project, instance = args.worker
        os.environ.setdefault("DAGSTER_HOME", instance)
        print(json.dumps(worker(case, Path(project), Path(instance))))
        return 0
    cases = QUICK_PROJECTS if args.quick else PROJECTS
    if args.projects:
        goals = {(size, targets): goal for size, targets, goal in PROJECTS}
        chosen = [tuple(map(int, item.split("x"))) for item in args.projects.split(",")]
        cases = tuple((size, targets, goals.get((size, targets))) for size, targets in chosen)
    repeat = args.repeat or (1 if args.quick else 3)
    os.environ["FLOE_BENCH_STORAGE"] = args.storage  # read by the workers
    print(
        "wall time to materialize everything (median of interleaved runs; CPU incl. dbt); "
        f"Dagster instance storage: {args.storage}"
    )
    rows = run(cases, repeat)
    verdicts = []
    for row in rows:
        ratio = row["floe"]["seconds"] / row["plain dbt"]["seconds"]
        goal = row["goal"]
        if goal is None:
            print(f"{row['models']:,} models, {row['targets']} target(s): floe {ratio:.2f}x plain")
            continue
        verdicts.append(ratio <= goal and row["floe"]["full_parses"] == 0)
        print(
            f"{row['models']:,} models, {row['targets']} target(s): floe {ratio:.2f}x plain dbt "
            f"({'meets' if verdicts[-1] else 'MISSES'} the {goal:.2f}x goal"
            f"{'' if row['floe']['full_parses'] == 0 else '; dbt re-parsed the project'})"
        )
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "storage": args.storage,
                    "rows": rows,
                    "meets_goal": bool(verdicts) and all(verdicts),
                },
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
