"""Lineage however a run is launched: the implicit asset job, no run config, no dagster.yaml.

The plugin's Definitions carry the lineage observer in a resource, so running Dagster's own
implicit asset job in process (what "Materialize" in the UI and ``dagster asset materialize``
launch) reports every model to a loopback OpenLineage receiver: each model's START and COMPLETE,
under the Dagster run, with what dbt and DuckDB said about it.
"""

from __future__ import annotations

import json
import shutil
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLE, ROOT

sys.path.insert(0, str(ROOT / "examples"))
from demo import validate_events

NODES = {
    "raw_greenhouses",
    "raw_sensor_readings",
    "raw_harvests",
    "greenhouses_snapshot",
    "stg_greenhouses",
    "stg_sensor_readings",
    "stg_harvests",
    "stg_weather",
    "fct_daily_climate",
    "fct_harvests",
    "mart_yield_vs_climate",
    "rpt_greenhouse_scorecard",
}


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    events: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            events.append(json.loads(body))
            self.send_response(200)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", events
    finally:
        server.shutdown()
        server.server_close()


def test_the_implicit_asset_job_reports_every_model_without_run_config_or_dagster_yaml(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    receiver: tuple[str, list[dict[str, Any]]],
) -> None:
    url, events = receiver
    for name in ("DAGSTER_HOME", "OPENLINEAGE_URL", "OPENLINEAGE_CONFIG", "OPENLINEAGE_DISABLED"):
        monkeypatch.delenv(name, raising=False)
    project = tmp_path / "greenhouse"
    shutil.copytree(
        EXAMPLE, project, ignore=shutil.ignore_patterns("target", "logs", "*.duckdb", "*.wal")
    )
    (project / "dagster.yaml").unlink(missing_ok=True)  # no instance handler to fall back on
    artifacts_path = project / "compiled_artifacts.json"
    artifacts = json.loads(artifacts_path.read_text())
    artifacts["observability"].update(lineage_transport="http", lineage_endpoint=url)
    artifacts_path.write_text(json.dumps(artifacts))

    from floe_orchestrator_dagster import DagsterOrchestratorPlugin

    defs = DagsterOrchestratorPlugin(dbt_project_dir=project).create_definitions(artifacts_path)
    result = defs.resolve_implicit_global_asset_job_def().execute_in_process()
    assert result.success

    assert validate_events(events) == []
    per_node: dict[str, dict[str, dict[str, Any]]] = {}
    for event in events:
        name = event["job"]["name"]
        per_node.setdefault(name, {})[event["eventType"]] = event
    node_jobs = {f"greenhouse.{node}" for node in NODES}
    assert node_jobs <= set(per_node)
    for job in node_jobs:
        start, complete = per_node[job]["START"], per_node[job]["COMPLETE"]
        assert start["eventTime"] < complete["eventTime"]
        parent = complete["run"]["facets"]["parent"]
        assert parent["run"]["runId"] == result.run_id
    # The run itself, under the product's name rather than Dagster's __ASSET_JOB.
    assert {"START", "COMPLETE"} <= set(per_node["greenhouse"])
    assert not any(name.startswith("__") for name in per_node)
    harvests = per_node["greenhouse.fct_harvests"]["COMPLETE"]["outputs"][0]
    assert harvests["outputFacets"]["outputStatistics"]["rowCount"] == 30
