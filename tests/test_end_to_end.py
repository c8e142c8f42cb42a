"""The example data product end to end, as the README's demo runs it: tables and rows in
DuckDB, each model under its compute target, every lineage event valid and joined into one
graph, Helm values the chart accepts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml
from conftest import EXAMPLE, REFERENCE, ROOT, load_json
from jsonschema import Draft202012Validator

from floe_dagster_helm import deep_merge

EXPECTED_ROWS = {
    "raw.raw_greenhouses": 6,
    "raw.raw_sensor_readings": 48,
    "raw.raw_harvests": 30,
    "snapshots.greenhouses_snapshot": 6,
    "staging.stg_greenhouses": 6,
    "staging.stg_sensor_readings": 48,
    "staging.stg_harvests": 30,
    "staging.stg_weather": 15,
    "marts.fct_daily_climate": 24,
    "marts.fct_harvests": 30,
    "marts.mart_yield_vs_climate": 6,
    "marts.rpt_greenhouse_scorecard": 6,
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    workdir = tmp_path_factory.mktemp("demo")
    summary = workdir / "summary.json"
    completed = subprocess.run(
        [
            sys.executable,
            str(ROOT / "examples" / "demo.py"),
            "--workdir",
            str(workdir / "out"),
            "--json",
            str(summary),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    data: dict[str, Any] = json.loads(summary.read_text())
    data["workdir"] = workdir / "out"
    data["stdout"] = completed.stdout
    return data


def test_tables_and_row_counts(demo: dict[str, Any]) -> None:
    with duckdb.connect(str(demo["workdir"] / "greenhouse.duckdb"), read_only=True) as con:
        tables = con.execute(
            "select table_schema || '.' || table_name from information_schema.tables"
        ).fetchall()
        counts = {
            name: con.execute(f"select count(*) from {name}").fetchone()[0]  # type: ignore[index]
            for (name,) in tables
        }
    assert counts == EXPECTED_ROWS
    assert demo["tables"] == {
        name: {"type": demo["tables"][name]["type"], "rows": rows}
        for name, rows in EXPECTED_ROWS.items()
    }
    assert demo["dbt_tests"] == {"passed": 13, "total": 13}


def test_each_model_ran_under_its_compute_target(demo: dict[str, Any]) -> None:
    artifacts = load_json(EXAMPLE / "compiled_artifacts.json")
    compute = {m["name"]: m["compute"] for m in artifacts["transforms"]["models"]}
    with duckdb.connect(str(demo["workdir"] / "greenhouse.duckdb"), read_only=True) as con:
        for table in EXPECTED_ROWS:
            name = table.split(".")[1]
            if name not in compute:
                continue
            built_by = {
                r[0]
                for r in con.execute(f"select distinct built_by_target from {table}").fetchall()
            }
            assert built_by == {compute[name]}, table
    assert {"duckdb", "duckdb_heavy"} <= set(compute.values())


def test_every_lineage_event_is_valid_and_the_graph_joins(demo: dict[str, Any]) -> None:
    assert demo["lineage"]["invalid"] == []
    events = [json.loads(line) for line in Path(demo["lineage"]["file"]).read_text().splitlines()]
    assert len(events) == demo["lineage"]["events"] > 0
    per_asset = [e for e in events if e["outputs"]]
    completes = {e["job"]["name"]: e for e in per_asset if e["eventType"] == "COMPLETE"}
    starts = {e["job"]["name"] for e in per_asset if e["eventType"] == "START"}
    assert starts == set(completes)
    assert len(completes) == len(demo["materialized"]) == 12
    outputs = {(o["namespace"], o["name"]) for e in completes.values() for o in e["outputs"]}
    inputs = {(i["namespace"], i["name"]) for e in completes.values() for i in e["inputs"]}
    # Every input is another asset's output, except the one dbt source (an external asset).
    unjoined = {name for _, name in inputs - outputs}
    assert len(unjoined) == 1, unjoined
    assert "daily_weather" in next(iter(unjoined))
    for event in completes.values():
        parent = event["run"]["facets"]["parent"]
        assert parent["run"]["runId"]


def test_helm_values_pass_the_charts_schema(demo: dict[str, Any]) -> None:
    chart = REFERENCE / "dagster-helm-chart"
    values = yaml.safe_load(Path(demo["helm_values"]).read_text())
    merged = deep_merge(yaml.safe_load((chart / "values.yaml").read_text()), values)
    schema = load_json(chart / "values.schema.offline.json")
    errors = sorted(e.message for e in Draft202012Validator(schema).iter_errors(merged))
    assert errors == []


def test_the_demo_prints_its_summary(demo: dict[str, Any]) -> None:
    out = demo["stdout"]
    for heading in (
        "discover",
        "Definitions",
        "materialize",
        "OpenLineage",
        "DuckDB",
        "schedules",
        "Helm values",
        "all good",
    ):
        assert heading in out
