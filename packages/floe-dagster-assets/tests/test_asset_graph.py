"""The asset graph a dagster-dbt user expects, on the example: descriptions with SQL, code
references, storage kind and relation, owners, blocking checks, and one product's names."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import pytest

from floe_dagster_assets import (
    DBT_VARS_TAG,
    FULL_REFRESH_TAG,
    dbt_resources,
    dbt_run_tags,
    transforms_from_manifest,
)

# A dbt group with an owner, and fct_harvests in it.
GROUPS = """\
groups:
  - name: yields
    owner:
      name: Yield analysts
      email: yields@example.com
"""
# A failing test of each severity: the error one on stg_harvests, the warn one on
# stg_greenhouses (fct_daily_climate reads stg_greenhouses but not stg_harvests).
FAILING_ERROR_TEST = "select * from {{ ref('stg_harvests') }}\n"
FAILING_WARN_TEST = "{{ config(severity='warn') }}\nselect * from {{ ref('stg_greenhouses') }}\n"


def _specs(assets: list[Any]) -> dict[str, dg.AssetSpec]:
    return {spec.key.to_user_string(): spec for a in assets for spec in a.specs}


def test_descriptions_name_seeds_snapshots_and_sources_and_show_the_sql(greenhouse: Any) -> None:
    specs = _specs(greenhouse.create_assets())
    harvests = specs["fct_harvests"].description or ""
    assert harvests.startswith("Harvests with the greenhouse's area")
    assert "#### Raw SQL:\n```sql\n" in harvests
    assert "ref('stg_harvests')" in harvests
    # Never the multi-asset's own description.
    assert (specs["raw_harvests"].description or "").startswith("dbt seed raw_harvests")
    snapshot = specs["greenhouses_snapshot"].description or ""
    assert snapshot.startswith("dbt snapshot greenhouses_snapshot")
    assert "ref('raw_greenhouses')" in snapshot
    # The source's own description, where its table has none.
    weather = specs["weather/daily_weather"].description
    assert weather == "Daily weather per region, delivered as a CSV file next to the project."
    assert not any("one asset per model" in (s.description or "") for s in specs.values())


def test_code_references_point_at_the_sql_files(greenhouse: Any) -> None:
    specs = _specs(greenhouse.create_assets())
    expected = {
        "fct_harvests": "models/marts/fct_harvests.sql",
        "raw_harvests": "seeds/raw_harvests.csv",
        "greenhouses_snapshot": "snapshots/greenhouses_snapshot.sql",
        "weather/daily_weather": "models/staging/_sources.yml",
    }
    for key, path in expected.items():
        (reference,) = specs[key].metadata["dagster/code_references"].code_references
        assert reference.file_path == str((greenhouse.project / path).resolve())
        assert Path(reference.file_path).is_file()


def test_storage_kind_and_relation_identifier(greenhouse: Any) -> None:
    specs = _specs(greenhouse.create_assets())
    for key, relation in {
        "fct_harvests": "greenhouse.marts.fct_harvests",
        "raw_harvests": "greenhouse.raw.raw_harvests",
        "weather/daily_weather": "greenhouse.weather.daily_weather",
    }.items():
        metadata = specs[key].metadata
        assert metadata["dagster/storage_kind"] == "duckdb"
        assert metadata["dagster/relation_identifier"] == relation
        assert metadata["dagster/table_name"] == relation


def test_owners_come_from_meta_owner_and_dbt_groups(greenhouse: Any) -> None:
    project: Path = greenhouse.project
    (project / "models" / "_groups.yml").write_text(GROUPS)
    marts = project / "models" / "marts" / "_marts.yml"
    marts.write_text(
        marts.read_text().replace(
            "      meta:\n        owner: growers\n",
            "      group: yields\n      meta:\n        owner: growers\n",
        )
    )
    specs = _specs(greenhouse.create_assets())
    assert list(specs["fct_harvests"].owners) == ["team:growers", "yields@example.com"]
    assert list(specs["fct_daily_climate"].owners) == ["team:climate-team"]
    assert not specs["stg_harvests"].owners


def test_error_severity_tests_are_blocking_checks(greenhouse: Any) -> None:
    (greenhouse.project / "tests" / "assert_greenhouses_warn.sql").write_text(FAILING_WARN_TEST)
    (project_assets,) = [a for a in greenhouse.create_assets() if a.is_executable]
    checks = {check.name: check for check in project_assets.check_specs}
    assert checks["unique_fct_harvests_harvest_id"].blocking
    assert checks["assert_harvest_weight_positive"].blocking
    assert not checks["assert_greenhouses_warn"].blocking


def test_a_failing_error_test_stops_downstream_models(greenhouse: Any) -> None:
    tests = greenhouse.project / "tests"
    (tests / "assert_harvests_error.sql").write_text(FAILING_ERROR_TEST)
    (tests / "assert_greenhouses_warn.sql").write_text(FAILING_WARN_TEST)
    assets = greenhouse.create_assets()
    defs = dg.Definitions(assets=assets, resources=greenhouse.resources())
    selection = dg.AssetSelection.assets("fct_harvests", "fct_daily_climate").upstream()
    result = defs.resolve_implicit_global_asset_job_def().execute_in_process(
        asset_selection=list(selection.resolve(defs.resolve_asset_graph())),
        raise_on_error=False,
    )
    assert not result.success
    built = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert "stg_harvests" in built
    assert "fct_harvests" not in built  # its upstream failed an error-severity test
    assert "fct_daily_climate" in built  # a failing warn-severity test blocks nothing
    tables = greenhouse.tables()
    assert "marts.fct_harvests" not in tables
    assert tables["marts.fct_daily_climate"] == 24
    evaluations = {
        e.event_specific_data.check_name: e.event_specific_data
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    }
    assert not evaluations["assert_harvests_error"].passed
    assert evaluations["assert_harvests_error"].severity == dg.AssetCheckSeverity.ERROR
    assert not evaluations["assert_greenhouses_warn"].passed
    assert evaluations["assert_greenhouses_warn"].severity == dg.AssetCheckSeverity.WARN


def test_a_products_keys_op_groups_and_resources_carry_its_name(greenhouse: Any) -> None:
    assets = greenhouse.create_assets(product="greenhouse-east")
    (multi,) = [a for a in assets if a.is_executable]
    specs = _specs(assets)
    assert {"greenhouse-east/fct_harvests", "greenhouse-east/weather/daily_weather"} <= set(specs)
    assert multi.node_def.name == "dbt_greenhouse_east"
    assert specs["greenhouse-east/stg_harvests"].group_name == "greenhouse_east_staging"
    assert multi.required_resource_keys >= {
        "dbt_greenhouse_east",
        "floe_run_observers_greenhouse_east",
    }
    parents = {d.asset_key for d in specs["greenhouse-east/stg_weather"].deps}
    assert parents == {dg.AssetKey(["greenhouse-east", "weather", "daily_weather"])}
    resources = dbt_resources(
        greenhouse.project, profiles=greenhouse.artifacts.dbt_profiles, product="greenhouse-east"
    )
    result = dg.materialize(
        assets, resources=resources, selection=["greenhouse-east/raw_greenhouses"]
    )
    assert result.success
    assert greenhouse.tables() == {"raw.raw_greenhouses": 6}
    # Bare keys, as before, when asked.
    bare = _specs(greenhouse.create_assets(product="greenhouse-east", namespace_by_product=False))
    assert "fct_harvests" in bare


def test_full_refresh_and_vars_reach_dbt(greenhouse: Any) -> None:
    project: Path = greenhouse.project
    (project / "models" / "marts" / "vars_probe.sql").write_text(
        'select \'{{ var("probe", "unset") }}\' as probe\n'
    )
    from floe_dagster_assets import ensure_manifest, load_manifest

    manifest = load_manifest(
        ensure_manifest(project, profiles=greenhouse.artifacts.dbt_profiles, target="duckdb")
    )
    assets = greenhouse.create_assets(transforms_from_manifest(manifest, default_compute="duckdb"))
    defs = dg.Definitions(assets=assets, resources=greenhouse.resources())
    job = defs.resolve_implicit_global_asset_job_def()
    climate = dg.AssetSelection.from_string("+key:fct_daily_climate").resolve(
        defs.resolve_asset_graph()
    )
    tags = dbt_run_tags(dbt_vars="{probe: 2024-01-01}")
    assert tags == {DBT_VARS_TAG: '{"probe": "2024-01-01"}'}
    first = job.execute_in_process(
        asset_selection=[*climate, dg.AssetKey("vars_probe")], tags=tags, raise_on_error=False
    )
    assert first.success
    assert greenhouse.query("select probe from marts.vars_probe") == [("2024-01-01",)]
    # An incremental model keeps what it has: rows deleted stay deleted without a full refresh.
    with duckdb.connect(str(greenhouse.database)) as connection:
        connection.execute(
            "delete from marts.fct_daily_climate "
            "where reading_date < (select max(reading_date) from marts.fct_daily_climate)"
        )
    kept = greenhouse.query("select count(*) from marts.fct_daily_climate")[0][0]
    assert kept < 24
    only = [dg.AssetKey("fct_daily_climate")]
    assert job.execute_in_process(asset_selection=only).success
    assert greenhouse.query("select count(*) from marts.fct_daily_climate") == [(kept,)]
    refresh = dbt_run_tags(full_refresh=True)
    assert refresh == {FULL_REFRESH_TAG: "true"}
    assert job.execute_in_process(asset_selection=only, tags=refresh).success
    assert greenhouse.query("select count(*) from marts.fct_daily_climate") == [(24,)]


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ({FULL_REFRESH_TAG: "sometimes"}, "is not a yes or no"),
        ({DBT_VARS_TAG: "{not json"}, "not JSON"),
    ],
)
def test_run_tags_dbt_cannot_take_fail_before_dbt_runs(
    greenhouse: Any, tags: dict[str, str], expected: str
) -> None:
    result = dg.materialize(
        greenhouse.create_assets(),
        resources=greenhouse.resources(),
        selection=["raw_greenhouses"],
        tags=tags,
        raise_on_error=False,
    )
    assert not result.success
    (failure,) = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert expected in str(failure.event_specific_data.error or failure.message)
    assert greenhouse.tables() == {}
