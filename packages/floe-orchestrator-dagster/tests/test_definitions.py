"""create_definitions on the example product: what a Dagster user finds in the Definitions."""

from __future__ import annotations

import copy
import logging
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from floe_orchestrator_contract import CompiledArtifacts, ContractValidationError
from floe_orchestrator_dagster import DagsterOrchestratorPlugin

pytestmark = pytest.mark.usefixtures("clean_env")


def _model_graph(artifacts: dict[str, Any]) -> dict[str, set[str]]:
    return {m["name"]: set(m["depends_on"] or []) for m in artifacts["transforms"]["models"]}


def test_definitions_hold_the_models_schedules_dbt_and_lineage(
    greenhouse: Path, artifacts: dict[str, Any]
) -> None:
    plugin = DagsterOrchestratorPlugin(dbt_project_dir=greenhouse)
    plugin.schedule_job("greenhouse_hourly_refresh", "15 * * * *", "Europe/London")
    defs = plugin.create_definitions(artifacts)
    dg.Definitions.validate_loadable(defs)

    graph = defs.resolve_asset_graph()
    keys = {k.path[-1] for k in graph.get_all_asset_keys()}
    assert {k.path[0] for k in graph.get_all_asset_keys()} == {"greenhouse"}  # the product
    models = _model_graph(artifacts)
    materialized_models = {name for name in models if name != "int_daily_climate"}  # ephemeral
    assert materialized_models <= keys
    assert "int_daily_climate" not in keys
    assert {"raw_greenhouses", "raw_harvests", "raw_sensor_readings"} <= keys  # seeds
    # Upstreams in Dagster are the model's depends_on, the ephemeral model passed through.
    parents = {
        p.path[-1] for p in graph.get(dg.AssetKey(["greenhouse", "fct_daily_climate"])).parent_keys
    }
    assert {"stg_greenhouses", "stg_weather", "stg_sensor_readings"} <= parents

    schedules = {s.name: s for s in defs.schedules or []}
    assert set(schedules) == {"greenhouse_daily_schedule", "greenhouse_hourly_refresh_schedule"}
    daily = schedules["greenhouse_daily_schedule"]
    assert (daily.cron_schedule, daily.execution_timezone) == ("0 6 * * *", "Europe/Amsterdam")
    repository = defs.get_repository_def()
    for schedule in schedules.values():
        job = repository.get_job(schedule.job_name)
        assert {k.path[-1] for k in job.asset_layer.executable_asset_keys} >= (materialized_models)
    assert set(defs.resources or {}) == {"dbt_greenhouse", "floe_run_observers_greenhouse"}
    # The artifacts configure lineage: every run of the dbt assets reports to its observer.
    with dg.build_resources(
        {"observers": defs.resources["floe_run_observers_greenhouse"]}
    ) as built:
        observers = built.observers.observers
    assert [type(o).__name__ for o in observers] == ["OpenLineageObserver"]
    assert "openlineage_greenhouse" in (defs.loggers or {})


def test_a_schedule_job_call_replaces_the_artifacts_schedule_of_that_job(
    greenhouse: Path, artifacts: dict[str, Any]
) -> None:
    plugin = DagsterOrchestratorPlugin(dbt_project_dir=greenhouse)
    plugin.schedule_job("greenhouse_daily", "30 5 * * 1-5", "America/New_York")
    (schedule,) = plugin.create_definitions(artifacts).schedules or []
    assert (schedule.cron_schedule, schedule.execution_timezone) == (
        "30 5 * * 1-5",
        "America/New_York",
    )


def test_zero_models_give_empty_definitions(
    greenhouse: Path, artifacts: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    artifacts["transforms"]["models"] = []
    caplog.set_level(logging.WARNING)
    defs = DagsterOrchestratorPlugin(dbt_project_dir=greenhouse).create_definitions(artifacts)
    assert not list(defs.assets or [])
    assert not list(defs.schedules or [])
    assert "has no models" in caplog.text
    artifacts["transforms"] = None
    assert not list(DagsterOrchestratorPlugin().create_definitions(artifacts).assets or [])


def test_bad_artifacts_are_one_error_and_nothing_is_built(
    greenhouse: Path, artifacts: dict[str, Any]
) -> None:
    bad = copy.deepcopy(artifacts)
    bad["mode"] = "hybrid"
    bad["transforms"]["models"][0]["name"] = "stg-greenhouses"
    bad["schedules"] = [{"job_name": "x", "cron": "* * *", "timezone": "Mars/Olympus"}]
    bad["owner"] = "someone"
    plugin = DagsterOrchestratorPlugin(dbt_project_dir=greenhouse)
    with pytest.raises(ContractValidationError) as caught:
        plugin.create_definitions(bad)
    text = str(caught.value)
    assert "mode: 'hybrid' is not allowed" in text
    assert "'stg-greenhouses' is not a valid name" in text
    assert "unknown key 'owner'" in text


def test_bad_schedules_in_the_artifacts_are_rejected_before_dbt_runs(
    greenhouse: Path, artifacts: dict[str, Any], tmp_path: Path
) -> None:
    artifacts["schedules"] = [{"job_name": "x", "cron": "0 0 30 2 *", "timezone": "Mars/Olympus"}]
    project = tmp_path / "never-parsed"
    with pytest.raises(ValueError, match="Mars/Olympus") as caught:
        DagsterOrchestratorPlugin(dbt_project_dir=project).create_definitions(artifacts)
    assert "day-of-month" in str(caught.value) or "30" in str(caught.value)
    assert not project.exists()


def test_no_dbt_project_is_a_clear_error(artifacts: dict[str, Any], tmp_path: Path) -> None:
    with pytest.raises(ContractValidationError, match="FLOE_DBT_PROJECT_DIR"):
        DagsterOrchestratorPlugin().create_definitions(artifacts)


def test_artifacts_as_model_path_or_dict_give_the_same_assets(
    greenhouse: Path, artifacts: dict[str, Any]
) -> None:
    plugin = DagsterOrchestratorPlugin(dbt_project_dir=greenhouse)
    path = greenhouse / "compiled_artifacts.json"
    given = (artifacts, CompiledArtifacts.from_file(path), path, str(path), path.read_text())
    keysets = [
        set(plugin.create_definitions(a).resolve_asset_graph().get_all_asset_keys()) for a in given
    ]
    assert all(keys == keysets[0] for keys in keysets)
    with pytest.raises(ContractValidationError) as caught:
        plugin.create_definitions("compiled_artifacts.jsn")
    assert str(caught.value).endswith(
        "'compiled_artifacts.jsn' is neither a file (no such file) nor JSON text (it does not "
        "start with '{') (allowed: the path of compiled_artifacts.json, its JSON text, or a dict)"
    )
    with pytest.raises(ContractValidationError, match=r"\(root\): not valid JSON"):
        plugin.create_definitions('{"version": ')


def test_create_assets_from_transforms_uses_the_configured_project(greenhouse: Path) -> None:
    artifacts = CompiledArtifacts.from_file(greenhouse / "compiled_artifacts.json")
    assets = DagsterOrchestratorPlugin(dbt_project_dir=greenhouse).create_assets_from_transforms(
        artifacts.to_transform_configs()
    )
    keys = {k.to_user_string() for a in assets for k in a.keys}
    assert "mart_yield_vs_climate" in keys


def test_the_dbt_step_is_sized_for_kubernetes_by_the_workload_size(
    greenhouse: Path, artifacts: dict[str, Any]
) -> None:
    import json

    defs = DagsterOrchestratorPlugin(
        dbt_project_dir=greenhouse, workload_size="medium"
    ).create_definitions(artifacts)
    job = defs.resolve_implicit_global_asset_job_def()
    (dbt_step,) = [n for n in job.graph.nodes if n.name.startswith("dbt_")]
    config = json.loads(dbt_step.tags["dagster-k8s/config"])
    assert config["container_config"]["resources"] == {
        "requests": {"cpu": "500m", "memory": "1Gi"},
        "limits": {"cpu": "2000m", "memory": "4Gi"},
    }
