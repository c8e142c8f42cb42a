"""The members floe-core calls beyond the seed's seven: configuration, health status, the
generated entry point and its loader, lineage from plugins.lineage_backend, and the one line
naming what the plugin does not act on."""

from __future__ import annotations

import copy
import json
import logging
import runpy
import shutil
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from pydantic import ValidationError

from floe_orchestrator_contract import CompiledArtifacts, HealthState
from floe_orchestrator_dagster import DagsterOrchestratorPlugin, DagsterPluginConfig
from floe_orchestrator_dagster._floe import ignored_parts, lineage_config

from ._servers import refusing_port

pytestmark = pytest.mark.usefixtures("clean_env")

NOT_NULL = {
    "name": "greenhouse_id_not_null",
    "type": "not_null",
    "column": "greenhouse_id",
    "dimension": "completeness",
    "severity": "critical",
}


@pytest.fixture
def refused_url() -> Iterator[str]:
    with refusing_port() as port:
        yield f"http://127.0.0.1:{port}"


def test_configure_takes_floes_validated_config(refused_url: str, tmp_path: Path) -> None:
    plugin = DagsterOrchestratorPlugin(workload_size="small")
    assert plugin.get_config_schema() is DagsterPluginConfig
    config = DagsterPluginConfig(
        dagster_url=refused_url, workload_size="large", dbt_project_dir=str(tmp_path)
    )
    plugin.configure(config)
    assert plugin.is_configured
    assert (plugin.settings.dagster_url, plugin.settings.workload_size) == (refused_url, "large")
    assert plugin.settings.dbt_project_dir == tmp_path
    plugin.configure({"dagster_token": "tok-never-shown"})  # a dict is validated first
    assert plugin.settings.request_headers() == {"Authorization": "Bearer tok-never-shown"}
    assert plugin.settings.workload_size == "small"  # unset: the constructor's again
    assert "tok-never-shown" not in repr(plugin)
    with pytest.raises(ValidationError, match="workload_size"):
        plugin.configure({"workload_size": "huge"})
    plugin.configure(None)
    assert not plugin.is_configured


def test_health_check_is_a_status_with_details(refused_url: str) -> None:
    plugin = DagsterOrchestratorPlugin(dagster_url=refused_url)
    before = datetime.now(timezone.utc)
    status = plugin.health_check(timeout=2.0)
    assert status.state is HealthState.UNHEALTHY
    assert "refused" in status.message
    assert status.details["dagster_url"] == refused_url
    assert before <= status.details["checked_at"] <= datetime.now(timezone.utc)
    assert status.details["response_time_ms"] >= 0
    for bad in (0.05, 15.0):
        with pytest.raises(ValueError, match=r"timeout: .* is out of range \(allowed: 0.1 to 10\)"):
            plugin.health_check(timeout=bad)


def test_the_generated_entry_point_loads_the_product(greenhouse: Path, tmp_path: Path) -> None:
    """floe's default layout: compiled_artifacts.json and definitions.py in the dbt project's
    target/ folder."""
    project = tmp_path / "greenhouse"
    shutil.copytree(greenhouse, project)  # with its manifest, if parsed: nothing to parse again
    (project / "target").mkdir(exist_ok=True)
    shutil.copy(project / "compiled_artifacts.json", project / "target" / "compiled_artifacts.json")
    path = DagsterOrchestratorPlugin().generate_entry_point_code(
        "greenhouse", str(project / "target"), lineage_enabled=True
    )
    assert path == str(project / "target" / "definitions.py")
    defs = runpy.run_path(path)["defs"]
    assert isinstance(defs, dg.Definitions)
    assert {s.name for s in defs.schedules or []} == {"greenhouse_daily_schedule"}
    assert dg.AssetKey(["greenhouse", "rpt_greenhouse_scorecard"]) in defs.resolve_all_asset_keys()


def test_quality_tier_and_checks_become_tags_and_metadata(
    greenhouse: Path, artifacts: dict[str, Any]
) -> None:
    data = copy.deepcopy(artifacts)
    (model,) = [m for m in data["transforms"]["models"] if m["name"] == "rpt_greenhouse_scorecard"]
    model["quality_checks"] = [NOT_NULL]
    defs = DagsterOrchestratorPlugin(dbt_project_dir=greenhouse).create_definitions(data)
    specs = {
        spec.key.to_user_string(): spec
        for assets in defs.assets or []
        if isinstance(assets, dg.AssetsDefinition)
        for spec in assets.specs
    }
    scorecard = specs["greenhouse/rpt_greenhouse_scorecard"]
    assert scorecard.tags["floe/quality_tier"] == "gold"
    (check,) = scorecard.metadata["floe/quality_checks"].value
    assert (check["name"], check["column"], check["dimension"]) == (
        "greenhouse_id_not_null",
        "greenhouse_id",
        "completeness",
    )
    assert specs["greenhouse/fct_harvests"].tags["floe/quality_tier"] == "silver"
    assert "floe/quality_tier" not in specs["greenhouse/stg_greenhouses"].tags
    assert "floe/governance" not in scorecard.metadata  # the example sets none


def _floe_product(artifacts: dict[str, Any]) -> dict[str, Any]:
    """The example with every plugin floe may resolve, telemetry on, governance and quality."""
    data = copy.deepcopy(artifacts)
    data["observability"]["telemetry"]["enabled"] = True
    data["observability"]["lineage_transport"] = None
    data["plugins"].update(
        catalog={"type": "polaris", "version": "0.1.0", "config": {"client_secret": "s3cr3t"}},
        storage={"type": "s3", "version": "0.1.0", "config": {}},
        ingestion={"type": "dlt", "version": "0.1.0", "config": {}},
        semantic={"type": "cube", "version": "0.1.0", "config": {}},
        lineage_backend={
            "type": "marquez",
            "version": "0.1.0",
            "config": {"url": "http://marquez:5000", "api_key": "ol-key-never-shown"},
        },
    )
    data["plugins"]["orchestrator"]["config"]["retries"] = 3
    data["governance"] = {"pii_encryption": "required", "data_retention_days": 30}
    data["quality_config"] = {"provider": "great_expectations"}
    data["data_contracts"] = [{"name": "a"}, {"name": "b"}]
    data["transforms"]["models"][-1]["quality_checks"] = [NOT_NULL]
    return data


def test_what_is_not_acted_on_is_named_once(
    greenhouse: Path, artifacts: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    assert ignored_parts(CompiledArtifacts.from_dict(artifacts)) == []
    compiled = CompiledArtifacts.from_dict(_floe_product(artifacts))
    assert ignored_parts(compiled) == [
        "plugins.orchestrator.config retries: not settings of this plugin",
        "plugins.catalog (polaris) and plugins.storage (s3): no Iceberg export",
        "plugins.ingestion (dlt): no ingestion",
        "plugins.semantic (cube): no semantic sync",
        "observability.telemetry: no OpenTelemetry traces (lineage is emitted)",
        "governance: shown as asset metadata, not enforced",
        "quality_checks (1): shown as asset metadata, not run (dbt tests are checks)",
        "quality_config: no quality gates or scores",
        "data_contracts (2): not validated",
    ]
    caplog.set_level(logging.DEBUG)
    DagsterOrchestratorPlugin(dbt_project_dir=greenhouse).create_definitions(compiled)
    lines = [r.getMessage() for r in caplog.records if "not acted on" in r.getMessage()]
    assert lines == [
        f"greenhouse: not acted on by the Dagster plugin: {'; '.join(parts)}"
        for parts in [ignored_parts(compiled)]
    ]
    assert "s3cr3t" not in caplog.text
    assert "ol-key-never-shown" not in caplog.text


def test_lineage_goes_where_the_lineage_backend_says(artifacts: dict[str, Any]) -> None:
    compiled = CompiledArtifacts.from_dict(_floe_product(artifacts))
    config = lineage_config(compiled)
    assert (config.transport, config.endpoint, config.namespace) == (
        "http",
        "http://marquez:5000/api/v1/lineage",
        "greenhouse",
    )
    assert config.api_key == "ol-key-never-shown"
    assert "ol-key-never-shown" not in repr(config)
    # observability.lineage_* decide when set; lineage off is off.
    explicit = _floe_product(artifacts)
    explicit["observability"]["lineage_transport"] = "console"
    assert lineage_config(CompiledArtifacts.from_dict(explicit)).transport == "console"
    explicit["observability"]["lineage"] = False
    assert not lineage_config(CompiledArtifacts.from_dict(explicit)).active
    console = _floe_product(artifacts)
    console["plugins"]["lineage_backend"] = {"type": "console", "version": "0.1.0"}
    assert lineage_config(CompiledArtifacts.from_dict(console)).transport == "console"


def test_default_schedule_schedules_the_products_job(
    greenhouse: Path, artifacts: dict[str, Any]
) -> None:
    data = copy.deepcopy(artifacts)
    data["plugins"]["orchestrator"]["config"] = {"default_schedule": "45 4 * * *"}
    defs = DagsterOrchestratorPlugin(dbt_project_dir=greenhouse).create_definitions(data)
    (schedule,) = defs.schedules or []
    assert (schedule.name, schedule.job_name, schedule.cron_schedule) == (
        "greenhouse_job_schedule",
        "greenhouse_job",
        "45 4 * * *",
    )
    job = defs.resolve_job_def("greenhouse_job")
    scorecard_key = dg.AssetKey(["greenhouse", "rpt_greenhouse_scorecard"])
    assert scorecard_key in job.asset_layer.executable_asset_keys
    bad = copy.deepcopy(artifacts)
    bad["plugins"]["orchestrator"]["config"] = {"default_schedule": "every morning"}
    with pytest.raises(ValueError, match="invalid schedules in the compiled artifacts") as caught:
        DagsterOrchestratorPlugin(dbt_project_dir=greenhouse).create_definitions(bad)
    assert "  - plugins.orchestrator.config.default_schedule (job 'greenhouse_job'): 2 fields" in (
        str(caught.value)
    )
    assert json.loads(json.dumps(artifacts)) == artifacts  # the fixture is untouched
