"""What the assets say about each model: graph, metadata, tags, kinds, groups, checks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from floe_dagster_assets import create_assets_from_transforms
from floe_orchestrator_contract import TransformConfig


def _specs(assets: list[Any]) -> dict[str, dg.AssetSpec]:
    return {spec.key.to_user_string(): spec for ad in assets for spec in ad.specs}


def _tags(spec: dg.AssetSpec) -> dict[str, str]:
    return {k: v for k, v in spec.tags.items() if not k.startswith("dagster/kind/")}


def _deps(spec: dg.AssetSpec) -> set[str]:
    return {dep.asset_key.to_user_string() for dep in spec.deps}


def test_the_asset_graph_equals_the_transform_graph_edge_for_edge(greenhouse: Any) -> None:
    transforms = {t.name: t for t in greenhouse.transforms()}
    specs = _specs(greenhouse.create_assets())
    # The ephemeral model is no asset; whoever depends on it depends on its upstreams.
    assert "int_daily_climate" not in specs
    for name, transform in transforms.items():
        if name == "int_daily_climate":
            continue
        expected: set[str] = set()
        for dep in transform.depends_on:
            expected |= set(transforms[dep].depends_on) if dep == "int_daily_climate" else {dep}
        model_deps = {d for d in _deps(specs[name]) if d in transforms}
        assert model_deps == expected, name


def test_seeds_snapshots_and_sources_sit_upstream_of_the_models_that_use_them(
    greenhouse: Any,
) -> None:
    assets = greenhouse.create_assets()
    specs = _specs(assets)
    assert _deps(specs["stg_harvests"]) == {"raw_harvests"}
    assert _deps(specs["fct_daily_climate"]) == {
        "stg_sensor_readings",  # through the ephemeral int_daily_climate
        "stg_greenhouses",
        "stg_weather",
    }
    assert _deps(specs["greenhouses_snapshot"]) == {"raw_greenhouses"}
    assert "greenhouses_snapshot" in _deps(specs["rpt_greenhouse_scorecard"])
    assert _deps(specs["stg_weather"]) == {"weather/daily_weather"}
    source = next(ad for ad in assets if dg.AssetKey(["weather", "daily_weather"]) in ad.keys)
    assert not source.is_executable  # an external asset: dbt reads it, nobody builds it


def test_the_step_takes_an_input_per_source_only_and_the_resolved_job_keeps_every_edge(
    greenhouse: Any,
) -> None:
    assets = greenhouse.create_assets()
    project = next(ad for ad in assets if ad.is_executable)
    # No input per model another model depends on (Dagster's subset inputs, 4,999 on a
    # 5,000-model chain): only the dbt source gets one.
    assert set(project.keys_by_input_name.values()) == {dg.AssetKey(["weather", "daily_weather"])}
    defs = dg.Definitions(assets=assets, resources=greenhouse.resources())
    graph = defs.resolve_implicit_global_asset_job_def().asset_layer.asset_graph
    for spec in project.specs:
        parents = graph.get(spec.key).parent_keys
        assert parents == {dep.asset_key for dep in spec.deps}, spec.key


def test_metadata_tags_kinds_and_groups_come_from_the_transform_and_dbt(greenhouse: Any) -> None:
    specs = _specs(greenhouse.create_assets())
    harvests = specs["fct_harvests"]
    metadata = harvests.metadata
    assert metadata["floe/compute"] == "duckdb"
    assert metadata["floe/schema"] == "marts"
    assert metadata["floe/materialization"] == "table"
    assert metadata["floe/path"] == "models/marts/fct_harvests.sql"
    assert metadata["floe/meta"] == dg.MetadataValue.json({"owner": "growers"})
    assert metadata["dagster/table_name"] == "greenhouse.marts.fct_harvests"
    assert _tags(harvests) == {"marts": ""}
    assert harvests.kinds == {"dbt", "duckdb"}
    assert harvests.group_name == "marts"
    assert (harvests.description or "").startswith(
        "Harvests with the greenhouse's area, so yields compare across houses.\n\n#### Raw SQL:"
    )
    assert harvests.code_version  # dbt's checksum of the model
    climate = specs["fct_daily_climate"]
    assert climate.metadata["floe/compute"] == "duckdb_heavy"
    assert climate.metadata["floe/materialization"] == "incremental"
    columns = specs["stg_greenhouses"].metadata["dagster/column_schema"].columns
    assert [(c.name, c.type) for c in columns] == [
        ("greenhouse_id", "varchar"),
        ("greenhouse_name", "varchar"),
        ("region", "varchar"),
        ("area_m2", "integer"),
    ]
    assert _tags(specs["stg_harvests"]) == {"staging": "", "harvest": ""}
    assert specs["raw_harvests"].kinds == {"dbt", "duckdb", "seed"}
    assert specs["raw_harvests"].group_name == "raw"


def test_dbt_tests_become_checks_on_their_model(greenhouse: Any) -> None:
    (project,) = [ad for ad in greenhouse.create_assets() if ad.is_executable]
    checks = {(c.asset_key.to_user_string(), c.name) for c in project.check_specs}
    assert len(checks) == 13
    assert ("fct_harvests", "assert_harvest_weight_positive") in checks
    assert ("fct_daily_climate", "assert_climate_in_plausible_range") in checks
    assert ("stg_sensor_readings", "unique_stg_sensor_readings_reading_id") in checks


def test_the_project_profiles_file_works_as_well_as_the_artifacts_profiles(
    greenhouse: Any,
) -> None:
    # No profiles given: dbt's search finds the project's own profiles.yml (same targets).
    assets = create_assets_from_transforms(
        greenhouse.transforms(), project_dir=greenhouse.project, default_compute="duckdb"
    )
    assert _specs(assets)["mart_yield_vs_climate"].metadata["floe/compute"] == "duckdb_heavy"


def test_definitions_resolve_the_job(greenhouse: Any) -> None:
    assets = greenhouse.create_assets()
    defs = dg.Definitions(assets=assets, resources=greenhouse.resources())
    job = defs.resolve_implicit_global_asset_job_def()
    keys = {k.to_user_string() for k in job.asset_layer.asset_graph.get_all_asset_keys()}
    assert {"fct_harvests", "raw_harvests", "weather/daily_weather"} <= keys


@pytest.mark.parametrize("fallback", ["duckdb", None])
def test_models_without_compute_run_on_the_default(
    synthetic_project: Path, make_manifest: Any, make_profiles: Any, fallback: str | None
) -> None:
    assets = create_assets_from_transforms(
        [TransformConfig("a"), TransformConfig("b", depends_on=["a"], compute="duckdb_heavy")],
        project_dir=synthetic_project,
        manifest=make_manifest({"a": [], "b": ["a"]}),
        profiles=make_profiles(),
        default_compute=fallback,
    )
    specs = _specs(assets)
    # Without default_compute the profile's own default target (the first here) applies.
    assert specs["a"].metadata["floe/compute"] == "duckdb"
    assert specs["b"].metadata["floe/compute"] == "duckdb_heavy"


def test_op_tags_go_on_the_step_that_runs_dbt(greenhouse: Any) -> None:
    tag = {"dagster-k8s/config": '{"container_config": {"resources": {}}}'}
    (project, *_) = greenhouse.create_assets(op_tags=tag)
    assert project.op.tags == tag
    defs = dg.Definitions(assets=[project], resources=greenhouse.resources())
    job = defs.resolve_implicit_global_asset_job_def()
    node = job.graph.node_dict[project.op.name]
    assert node.tags == tag
