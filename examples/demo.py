"""The greenhouse data product, end to end, through floe's plugin API.

plugin discovery -> create_definitions -> materialize every asset (dbt on DuckDB) -> OpenLineage
events to a local file, each validated against the spec -> a summary.

    nox -s demo                     (installs everything, then runs this file)
    python examples/demo.py [--workdir .demo] [--json summary.json]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = ROOT / "examples" / "greenhouse"
SPEC = ROOT / "tests" / "reference" / "openlineage-spec"


def step(text: str) -> None:
    print(f"\n== {text}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=ROOT / ".demo")
    parser.add_argument("--json", type=Path, help="also write the summary as JSON here")
    args = parser.parse_args(argv)
    workdir = args.workdir.resolve()
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    database = workdir / "greenhouse.duckdb"
    lineage_file = workdir / "openlineage.jsonl"
    # The example's profiles.yml reads its DuckDB path from here; the dbt project stays as is.
    os.environ["GREENHOUSE_DUCKDB_PATH"] = str(database)
    os.environ["FLOE_DBT_PROJECT_DIR"] = str(PRODUCT)
    # The user-code image named in the Helm values (a deployment builds it from this project).
    os.environ.setdefault("FLOE_DAGSTER_IMAGE", "ghcr.io/floe-examples/greenhouse:0.1.0")
    started = time.monotonic()

    step("1. discover the orchestrator plugin (entry point group floe.orchestrators)")
    from floe_orchestrator_contract import CompiledArtifacts, ObservabilityConfig, PluginRegistry

    registry = PluginRegistry()
    for info in registry.discover_all():
        print(f"   found {info.name!r}: {info.distribution} {info.version} ({info.value})")
    plugin = registry.activate("dagster")
    print(f"   activated {plugin.name} {plugin.version} (floe API {plugin.floe_api_version})")

    step("2. load the compiled artifacts and build Dagster Definitions")
    artifacts = CompiledArtifacts.from_file(PRODUCT / "compiled_artifacts.json")
    # Lineage to a local file for the demo; a deployment would point at Marquez or similar.
    artifacts = artifacts.model_copy(
        update={
            "observability": ObservabilityConfig(
                lineage_namespace=artifacts.observability.lineage_namespace,
                lineage_transport="file",
                lineage_endpoint=str(lineage_file),
            )
        }
    )
    plugin.schedule_job("greenhouse_hourly_refresh", "15 * * * *", "Europe/London")
    defs = plugin.create_definitions(artifacts.model_dump(mode="json"))
    graph = defs.resolve_asset_graph()
    keys = sorted(k.to_user_string() for k in graph.get_all_asset_keys())
    print(
        f"   {len(keys)} assets, {len(list(defs.schedules or []))} schedules, resources: "
        f"{', '.join(sorted(defs.resources or {}))}"
    )

    step("3. materialize every asset (dbt on DuckDB, each model under its compute target)")
    import dagster as dg

    job = defs.resolve_implicit_global_asset_job_def()
    dbt_log = workdir / "dbt-output.log"  # dagster-dbt echoes dbt's log lines to stdout
    with (
        dg.DagsterInstance.ephemeral() as instance,
        dbt_log.open("w") as sink,
        contextlib.redirect_stdout(sink),
    ):
        result = job.execute_in_process(
            # Only the lineage logger (openlineage_<product>): Dagster's console logger would
            # print every event.
            run_config={"loggers": {k: {} for k in defs.loggers if k.startswith("openlineage")}},
            instance=instance,
            raise_on_error=False,
        )
    materialized = sorted(
        e.asset_key.to_user_string()
        for e in result.get_asset_materialization_events()
        if e.asset_key is not None
    )
    checks = [
        e.event_specific_data
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    ]
    print(f"   dbt's own output: {dbt_log}")
    print(
        f"   run {'succeeded' if result.success else 'FAILED'}: {len(materialized)} assets "
        f"materialized, {sum(c.passed for c in checks)}/{len(checks)} dbt tests passed"
    )
    plugin.shutdown()  # delivers the queued lineage events
    registry.shutdown()

    step("4. validate every OpenLineage event against the spec")
    events = [json.loads(line) for line in lineage_file.read_text().splitlines() if line.strip()]
    problems = validate_events(events)
    kinds: dict[str, int] = {}
    for event in events:
        kinds[event["eventType"]] = kinds.get(event["eventType"], 0) + 1
    print(
        f"   {len(events)} events in {lineage_file}: "
        + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
        + f"; {len(events) - len(problems)} valid, {len(problems)} invalid"
    )
    for problem in problems[:5]:
        print(f"   INVALID: {problem}")

    step("5. what is in DuckDB now")
    import duckdb

    with duckdb.connect(str(database), read_only=True) as con:
        tables = con.execute(
            "select table_schema, table_name, table_type from information_schema.tables "
            "order by table_schema, table_name"
        ).fetchall()
        rows = {
            f"{schema}.{name}": (
                kind,
                con.execute(f'select count(*) from "{schema}"."{name}"').fetchone()[0],
            )
            for schema, name, kind in tables
        }
    for name, (kind, count) in rows.items():
        print(f"   {name:<40}{kind.lower():<12}{count:>6} rows")

    step("6. when the schedules fire next")
    from floe_dagster_schedules import preview_fire_times

    fire_times: dict[str, list[str]] = {}
    now = datetime.now(timezone.utc)
    for schedule in defs.schedules or []:
        tz = schedule.execution_timezone or "UTC"
        times = preview_fire_times(schedule.cron_schedule, tz, 3, start=now)
        fire_times[schedule.name] = [t.isoformat() for t in times]
        print(f"   {schedule.name} ({schedule.cron_schedule}, {tz}) -> job {schedule.job_name}")
        for moment in times:
            print(f"      {moment.isoformat()}")

    step("7. Helm values for the official dagster/dagster chart")
    values_path = plugin.write_helm_values(workdir / "values.yaml")
    spec = plugin.get_resource_requirements(plugin.settings.workload_size)
    print(
        f"   wrote {values_path} (preset {plugin.settings.workload_size}: cpu "
        f"{spec.cpu_request}/{spec.cpu_limit}, memory {spec.memory_request}/{spec.memory_limit})"
    )

    summary: dict[str, Any] = {
        "success": bool(result.success) and not problems,
        "assets": keys,
        "materialized": materialized,
        "dbt_tests": {"passed": sum(c.passed for c in checks), "total": len(checks)},
        "tables": {name: {"type": kind, "rows": count} for name, (kind, count) in rows.items()},
        "lineage": {
            "file": str(lineage_file),
            "events": len(events),
            "by_type": kinds,
            "invalid": problems,
        },
        "schedules": fire_times,
        "helm_values": str(values_path),
        "seconds": round(time.monotonic() - started, 1),
    }
    step(f"done in {summary['seconds']}s: {'all good' if summary['success'] else 'PROBLEMS above'}")
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2))
    return 0 if summary["success"] else 1


def validate_events(events: list[dict[str, Any]]) -> list[str]:
    """Problems of each event against the OpenLineage core schema and every facet's schema."""
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource

    schemas = [
        json.loads(p.read_text())
        for p in [SPEC / "OpenLineage.json", *sorted((SPEC / "facets").glob("*.json"))]
    ]
    registry: Registry[Any] = Registry().with_resources(
        (schema["$id"], Resource.from_contents(schema)) for schema in schemas
    )
    core = Draft202012Validator(schemas[0], registry=registry)
    facet_schemas = {}
    for schema in schemas[1:]:
        for name in schema.get("properties", {}):
            facet_schemas[name] = Draft202012Validator(
                {"$ref": f"{schema['$id']}#/properties/{name}"}, registry=registry
            )
    problems = []
    for index, event in enumerate(events):
        errors = [e.message for e in core.iter_errors(event)]
        for where in _facets(event):
            for name, facet in where.items():
                validator = facet_schemas.get(name)
                if validator is not None:
                    errors += [f"{name}: {e.message}" for e in validator.iter_errors(facet)]
        problems += [f"event {index} ({event.get('eventType')}): {e}" for e in errors]
    return problems


def _facets(event: dict[str, Any]) -> list[dict[str, Any]]:
    found = [event.get("run", {}).get("facets") or {}, event.get("job", {}).get("facets") or {}]
    for dataset in [*event.get("inputs", []), *event.get("outputs", [])]:
        found.append(dataset.get("facets") or {})
    return found


if __name__ == "__main__":
    sys.exit(main())
