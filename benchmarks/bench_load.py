"""Code-location load on real dbt projects: time and peak memory to Definitions + resolved job.

Projects are written as ``.sql`` files and YAML (benchmarks/_dbt_project.py) and parsed by
``dbt parse`` (run by floe's ``ensure_manifest``, as the first load of a project would), then
every case loads them in a fresh interpreter; imports and the transforms (floe's input, from
``compiled_artifacts.json``) are not timed, everything after is:

- floor: a bare Dagster ``multi_asset`` (default options) over AssetSpecs and AssetCheckSpecs
  with the same keys, deps, descriptions (with the SQL), groups, kinds, tags, owners, code
  versions and metadata (text, column schema, code references) as floe's, built in a plain loop
  from plain values;
- floe, repeated load: ``create_assets_from_transforms`` on the project, as every code-location
  reload and run worker does (the manifest's index is cached beside it);
- floe, first load: the same with no index cached yet, so ``manifest.json`` is read;
- dagster-dbt: ``@dbt_assets`` on the same manifest file (the peer), "crashed: ..." if it fails.

Peak memory is the process's peak RSS growth over its RSS just before the timed part; CPU time
includes child processes (floe reads a manifest without a cached index in one, whose own peak RSS
is reported apart). Goals: within 1.1x the floor's time and 1.2x its peak memory.

    python benchmarks/bench_load.py [--quick] [--repeat N] [--json results.json]
"""

# No `from __future__ import annotations`: Dagster reads the decorated functions' hints.

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _dbt_project as projects  # noqa: E402
from _process_stats import cpu_seconds, peak_rss_mb, rss_mb  # noqa: E402

CASES = ("floor", "floe repeated", "floe first", "dagster-dbt")
PROJECTS = ((5_000, "chain"), (20_000, "tree"))
QUICK_PROJECTS = ((500, "tree"), (5_000, "chain"))
GOAL_TIME = 1.1
GOAL_MEMORY = 1.2
TIMEOUT_S = 1800


def _children_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def worker(case: str, project: Path, floor_input: Path) -> dict[str, Any]:
    """One measurement, in this (fresh) process."""
    import dagster as dg
    import dagster_dbt

    import floe_dagster_assets
    from floe_orchestrator_contract import CompiledArtifacts

    artifacts = CompiledArtifacts.from_file(project / "compiled_artifacts.json")
    transforms = artifacts.to_transform_configs()
    plain = json.loads(floor_input.read_text()) if case == "floor" else None
    none = dg.ResourceDefinition.none_resource()
    before = rss_mb()
    # Importing dagster starts a child process of its own: only a bigger one later is ours.
    children_before = _children_peak_mb()
    started, cpu_started = time.perf_counter(), cpu_seconds()
    try:
        if case == "floor":
            assert plain is not None
            specs = [
                dg.AssetSpec(
                    key=spec["key"],
                    deps=spec["deps"],
                    description=spec["description"],
                    metadata={
                        **spec["metadata"],
                        **(
                            {
                                "dagster/column_schema": dg.TableSchema(
                                    columns=[
                                        dg.TableColumn(name=n, type=t, description=d)
                                        for n, t, d in spec["columns"]
                                    ]
                                )
                            }
                            if spec["columns"]
                            else {}
                        ),
                        **(
                            {
                                "dagster/code_references": dg.CodeReferencesMetadataValue(
                                    code_references=[
                                        dg.LocalFileCodeReference(file_path=spec["code_file"])
                                    ]
                                )
                            }
                            if spec["code_file"]
                            else {}
                        ),
                    },
                    owners=spec["owners"],
                    group_name=spec["group"],
                    code_version=spec["code_version"],
                    tags=spec["tags"],
                    kinds=set(spec["kinds"]),
                    skippable=True,
                )
                for spec in plain["specs"]
            ]
            checks = [
                dg.AssetCheckSpec(
                    name=c["name"],
                    asset=c["asset"],
                    description=c["description"],
                    metadata=c["metadata"],
                    blocking=c["blocking"],
                )
                for c in plain["checks"]
            ]

            @dg.multi_asset(specs=specs, check_specs=checks or None, name="floor")
            def floor(context):  # type: ignore[no-untyped-def]  # Dagster reads hints
                raise NotImplementedError

            assets: list[Any] = [floor]
            resources: dict[str, Any] = {}
        elif case.startswith("floe"):
            assets = floe_dagster_assets.create_assets_from_transforms(
                transforms,
                project_dir=project,
                profiles=artifacts.dbt_profiles,
                default_compute=artifacts.transforms.default_compute,
            )
            resources = {"dbt": none, floe_dagster_assets.RUN_OBSERVERS_RESOURCE_KEY: none}
        else:
            manifest_path = project / "target" / "manifest.json"

            @dagster_dbt.dbt_assets(manifest=manifest_path)
            def peer(context, dbt: dagster_dbt.DbtCliResource):  # type: ignore[no-untyped-def]
                yield from dbt.cli(["build"], context=context).stream()

            assets = [peer]
            resources = {"dbt": none}
        defs = dg.Definitions(assets=assets, resources=resources)
        job = defs.resolve_implicit_global_asset_job_def()
        count = len(job.asset_layer.asset_graph.get_all_asset_keys())
        error = None
    except RecursionError:
        count, error = 0, "RecursionError"
    except Exception as exc:  # the peer failing is a result, not a crash of the benchmark
        count, error = 0, f"{type(exc).__name__}: {str(exc)[:200]}"
    seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu_started
    peak = peak_rss_mb()
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "peak_mb": peak - before,
        "child_peak_mb": children if (children := _children_peak_mb()) > children_before else 0,
        "assets": count,
        "error": error,
    }


def _floor_input(project: Path, path: Path) -> None:
    """floe's specs as plain values, for the floor to rebuild in its timed loop."""
    import dagster as dg

    import floe_dagster_assets
    from floe_orchestrator_contract import CompiledArtifacts

    artifacts = CompiledArtifacts.from_file(project / "compiled_artifacts.json")
    assets = floe_dagster_assets.create_assets_from_transforms(
        artifacts.to_transform_configs(),
        project_dir=project,
        profiles=artifacts.dbt_profiles,
        default_compute=artifacts.transforms.default_compute,
    )
    specs, checks = [], []
    for spec in assets[0].specs:
        metadata = dict(spec.metadata)
        schema = metadata.pop("dagster/column_schema", None)
        columns = [[c.name, c.type, c.description] for c in schema.columns] if schema else []
        references = metadata.pop("dagster/code_references", None)
        code_file = references.code_references[0].file_path if references else None
        specs.append(
            {
                "key": spec.key.to_user_string(),
                "deps": [d.asset_key.to_user_string() for d in spec.deps],
                "description": spec.description,
                "metadata": {k: v for k, v in metadata.items() if isinstance(v, str)},
                "columns": columns,
                "group": spec.group_name,
                "code_version": spec.code_version,
                "tags": {k: v for k, v in spec.tags.items() if not k.startswith("dagster/kind/")},
                "kinds": sorted(spec.kinds),
                "code_file": code_file,
                "owners": list(spec.owners),
            }
        )
    for check in assets[0].check_specs:
        checks.append(
            {
                "name": check.name,
                "asset": check.asset_key.to_user_string(),
                "description": check.description,
                "metadata": {k: v for k, v in check.metadata.items() if isinstance(v, str)},
                "blocking": check.blocking,
            }
        )
    assert all(isinstance(s, dg.AssetsDefinition) for s in assets)
    path.write_text(json.dumps({"specs": specs, "checks": checks}))


def _failed(error: str) -> dict[str, Any]:
    return {
        "seconds": None,
        "cpu_seconds": None,
        "peak_mb": None,
        "child_peak_mb": None,
        "assets": 0,
        "error": error,
    }


def _measure(case: str, project: Path, floor_input: Path) -> dict[str, Any]:
    if case == "floe first":
        (project / "target" / "floe_manifest_index.json").unlink(missing_ok=True)
    command = [sys.executable, __file__, "--worker", case, str(project), str(floor_input)]
    try:
        completed = subprocess.run(
            command, capture_output=True, text=True, timeout=TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired:
        return _failed(f"timeout {TIMEOUT_S}s")
    lines = [line for line in completed.stdout.splitlines() if line.startswith("{")]
    if completed.returncode != 0 or not lines:
        tail = (completed.stderr or completed.stdout).strip().splitlines()[-1:] or ["?"]
        return _failed(f"crashed: {tail[0]}")
    return json.loads(lines[-1])  # type: ignore[no-any-return]


def run(cases: tuple[tuple[int, str], ...], repeat: int) -> list[dict[str, Any]]:
    from floe_dagster_assets import ensure_manifest

    rows = []
    with tempfile.TemporaryDirectory(prefix="bench_load_") as tmp:
        for size, shape in cases:
            project = projects.make_project(Path(tmp) / f"{shape}{size}", size, shape)
            artifacts = projects.artifacts_dict(project)
            started = time.perf_counter()
            ensure_manifest(project, profiles=artifacts["dbt_profiles"], target="duckdb")
            parse_s = time.perf_counter() - started
            floor_input = Path(tmp) / f"floor-{shape}{size}.json"
            _floor_input(project, floor_input)
            samples: dict[str, list[dict[str, Any]]] = {c: [] for c in CASES}
            for _ in range(repeat):
                for case in CASES:  # interleaved, so drift hits every case alike
                    samples[case].append(_measure(case, project, floor_input))
            row: dict[str, Any] = {"models": size, "shape": shape, "dbt_parse_s": parse_s}
            for case, results in samples.items():
                ok = [r for r in results if r["error"] is None]
                row[case] = {
                    "seconds": statistics.median(r["seconds"] for r in ok) if ok else None,
                    "cpu_seconds": statistics.median(r["cpu_seconds"] for r in ok) if ok else None,
                    "peak_mb": statistics.median(r["peak_mb"] for r in ok) if ok else None,
                    "child_peak_mb": max((r["child_peak_mb"] for r in ok), default=None),
                    "samples_s": [r["seconds"] for r in results],
                    "error": None if ok else results[-1]["error"],
                    "assets": ok[0]["assets"] if ok else 0,
                }
            rows.append(row)
            _print_row(row)
            # The project's folder (manifest, DuckDB-free) is removed with tmp.
    return rows


def _ratio(row: dict[str, Any], case: str, field: str) -> float | None:
    mine, floor = row[case][field], row["floor"][field]
    return mine / floor if mine and floor else None


def _cell(row: dict[str, Any], case: str) -> str:
    result = row[case]
    if result["error"]:
        return f"{result['error'][:44]:>44}"
    ratios = [_ratio(row, case, f) for f in ("seconds", "cpu_seconds", "peak_mb")]
    shown = " ".join(f"{r:.2f}" for r in ratios if r is not None)
    return (
        f"{result['seconds']:>6.2f}s {result['cpu_seconds']:>6.2f}s {result['peak_mb']:>5.0f}MB"
        f" ({shown})"
    )


def _print_row(row: dict[str, Any]) -> None:
    print(
        f"{row['models']:>6} {row['shape']:<6}" + "".join(f"{_cell(row, c):>44}" for c in CASES),
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="500 and 5,000 models, once each")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--projects", help="e.g. 5000:chain,20000:tree (chain or tree)")
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        case, project, floor_input = args.worker
        print(json.dumps(worker(case, Path(project), Path(floor_input))))
        return 0
    cases = QUICK_PROJECTS if args.quick else PROJECTS
    if args.projects:
        cases = tuple(
            (int(size), shape)
            for size, shape in (item.split(":") for item in args.projects.split(","))
        )
    repeat = 1 if args.quick and not args.projects else args.repeat
    print("to Definitions + implicit job resolved, medians: wall time, CPU time, peak RSS growth;")
    print("in brackets: the same as multiples of the floor's")
    print(f"{'models':>13}" + "".join(f"{c:>44}" for c in CASES))
    rows = run(cases, repeat)
    verdicts = []
    for row in rows:
        for case in ("floe repeated", "floe first"):
            time_ratio = _ratio(row, case, "seconds")
            cpu_ratio = _ratio(row, case, "cpu_seconds")
            memory_ratio = _ratio(row, case, "peak_mb")
            if time_ratio is None or cpu_ratio is None or memory_ratio is None:
                continue
            ok = time_ratio <= GOAL_TIME and memory_ratio <= GOAL_MEMORY
            if case == "floe repeated":
                verdicts.append(ok)
            child = row[case]["child_peak_mb"]
            print(
                f"{row['models']:,} ({row['shape']}), {case} load: {time_ratio:.2f}x the floor's "
                f"time ({cpu_ratio:.2f}x its CPU time), {memory_ratio:.2f}x its memory "
                f"({'meets' if ok else 'MISSES'} the {GOAL_TIME}x / {GOAL_MEMORY}x goal)"
                + (
                    f"; the child process reading the manifest peaked at {child:.0f} MB"
                    if child
                    else ""
                )
            )
        print(f"  (dbt parse of that project took {row['dbt_parse_s']:.0f}s)")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "rows": rows,
                    "goal_time": GOAL_TIME,
                    "goal_memory": GOAL_MEMORY,
                    "meets_goal": bool(verdicts) and all(verdicts),
                },
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
