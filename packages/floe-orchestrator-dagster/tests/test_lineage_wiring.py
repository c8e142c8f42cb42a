"""Lineage is wired into the Definitions: a scheduled job's run emits events with no run config,
and the plugin's own emit_lineage_event reaches the configured transport."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from floe_dagster_lineage import LineageConfig
from floe_orchestrator_contract import Dataset
from floe_orchestrator_dagster import DagsterOrchestratorPlugin

pytestmark = pytest.mark.usefixtures("clean_env")


def _events(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_a_scheduled_jobs_run_emits_lineage_without_run_config(
    greenhouse: Path, artifacts: dict[str, Any], tmp_path: Path
) -> None:
    project = tmp_path / "greenhouse"
    shutil.copytree(greenhouse, project, ignore=shutil.ignore_patterns("*.duckdb*"))
    events_file = tmp_path / "lineage.jsonl"
    config = LineageConfig(namespace="greenhouse", transport="file", endpoint=str(events_file))
    plugin = DagsterOrchestratorPlugin(dbt_project_dir=project, lineage=config)
    defs = plugin.create_definitions(artifacts)
    (schedule,) = defs.schedules or []
    job = defs.resolve_job_def(schedule.job_name)
    result = job.execute_in_process(
        asset_selection=[
            dg.AssetKey(["greenhouse", "raw_greenhouses"]),
            dg.AssetKey(["greenhouse", "stg_greenhouses"]),
        ]
    )
    assert result.success
    plugin.shutdown()
    events = _events(events_file)
    # The dbt step reports each node (a job of the product's) to the lineage observer.
    per_asset = {(e["job"]["name"], e["eventType"]) for e in events if e["outputs"]}
    assert per_asset == {
        ("greenhouse.raw_greenhouses", "START"),
        ("greenhouse.raw_greenhouses", "COMPLETE"),
        ("greenhouse.stg_greenhouses", "START"),
        ("greenhouse.stg_greenhouses", "COMPLETE"),
    }
    stg = next(e for e in events if e["job"]["name"] == "greenhouse.stg_greenhouses")
    raw = next(e for e in events if e["job"]["name"] == "greenhouse.raw_greenhouses")
    joined = [(i["namespace"], i["name"]) for i in stg["inputs"]]
    assert joined == [(raw["outputs"][0]["namespace"], raw["outputs"][0]["name"])]


def test_emit_lineage_event_reaches_the_transport(tmp_path: Path) -> None:
    events_file = tmp_path / "lineage.jsonl"
    config = LineageConfig(namespace="floe", transport="file", endpoint=str(events_file))
    plugin = DagsterOrchestratorPlugin(lineage=config)
    raw = Dataset("floe", "raw.orders")
    orders = Dataset("floe", "marts.orders")
    plugin.emit_lineage_event("START", "build_orders", [raw], [orders])
    plugin.emit_lineage_event("FAIL", "build_orders", [raw], [orders], error="boom")
    plugin.shutdown()
    start, fail = _events(events_file)
    assert (start["eventType"], fail["eventType"]) == ("START", "FAIL")
    assert start["run"]["runId"] == fail["run"]["runId"]
    assert fail["run"]["facets"]["errorMessage"]["message"] == "boom"
    assert start["inputs"][0]["name"] == "raw.orders"
