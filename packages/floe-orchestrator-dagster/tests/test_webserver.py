"""A real dagster-webserver on 127.0.0.1 loads the example's definitions; validate_connection
succeeds against it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from floe_orchestrator_contract import HealthState
from floe_orchestrator_dagster import DagsterOrchestratorPlugin

from ._servers import dagster_webserver, graphql

pytestmark = pytest.mark.usefixtures("clean_env")


@pytest.fixture(scope="module")
def webserver(greenhouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("dagster_home")
    with dagster_webserver(greenhouse / "definitions.py", home) as url:
        yield url


def _location(url: str) -> dict[str, Any]:
    payload = graphql(
        url,
        """{ workspaceOrError { ... on Workspace { locationEntries { name
              locationOrLoadError { __typename ... on PythonError { message } } } } } }""",
    )
    (entry,) = payload["data"]["workspaceOrError"]["locationEntries"]  # type: ignore[index]
    return entry  # type: ignore[no-any-return]


def test_the_webserver_loads_the_example_assets(webserver: str, artifacts: dict[str, Any]) -> None:
    location = _location(webserver)
    assert location["locationOrLoadError"]["__typename"] == "RepositoryLocation", location
    payload = graphql(webserver, "{ assetNodes { assetKey { path } isMaterializable } }")
    nodes = payload["data"]["assetNodes"]  # type: ignore[index]
    materializable = {"/".join(n["assetKey"]["path"]) for n in nodes if n["isMaterializable"]}
    models = {m["name"] for m in artifacts["transforms"]["models"]} - {"int_daily_climate"}
    seeds = {"raw_greenhouses", "raw_harvests", "raw_sensor_readings"}
    expected = models | seeds | {"greenhouses_snapshot"}
    assert materializable == {f"greenhouse/{name}" for name in expected}


def test_the_webserver_has_the_schedules_running_on_existing_jobs(webserver: str) -> None:
    payload = graphql(
        webserver,
        """{ repositoriesOrError { ... on RepositoryConnection { nodes {
              jobs { name }
              schedules { name cronSchedule executionTimezone pipelineName
                          scheduleState { status } } } } } }""",
    )
    (repository,) = payload["data"]["repositoriesOrError"]["nodes"]  # type: ignore[index]
    jobs = {job["name"] for job in repository["jobs"]}
    schedules = {s["name"]: s for s in repository["schedules"]}
    assert set(schedules) == {"greenhouse_daily_schedule", "greenhouse_hourly_refresh_schedule"}
    hourly = schedules["greenhouse_hourly_refresh_schedule"]
    assert (hourly["cronSchedule"], hourly["executionTimezone"]) == ("15 * * * *", "Europe/London")
    assert hourly["scheduleState"]["status"] == "RUNNING"
    assert {s["pipelineName"] for s in schedules.values()} <= jobs


def test_validate_connection_recognizes_dagster(webserver: str) -> None:
    result = DagsterOrchestratorPlugin(dagster_url=webserver).validate_connection()
    assert result.success, result.message
    assert result.message.startswith("Dagster 1.")
    assert result.errors == []
    status = DagsterOrchestratorPlugin(dagster_url=webserver).health_check(timeout=5.0)
    assert status.state is HealthState.HEALTHY, status.message
    assert status.message == result.message
    assert status.details["dagster_url"] == webserver
    assert 0 <= status.details["response_time_ms"] < 5000
