"""The example data product materialized through the assets: real dbt, real DuckDB."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import dagster as dg


def _materializations(result: Any) -> dict[str, dict[str, Any]]:
    out = {}
    for event in result.get_asset_materialization_events():
        materialization = event.step_materialization_data.materialization
        out[materialization.asset_key.to_user_string()] = {
            key: value.value for key, value in materialization.metadata.items()
        }
    return out


def test_materializing_everything_creates_every_table_with_its_rows(
    materialized: Any, expected_rows: dict[str, int]
) -> None:
    greenhouse, result = materialized
    assert result.success
    # Exactly the expected relations: the ephemeral model left no relation behind.
    assert greenhouse.tables() == expected_rows


def test_every_model_seed_and_snapshot_reports_one_materialization(materialized: Any) -> None:
    greenhouse, result = materialized
    transforms = greenhouse.transforms()
    expected = {t.name for t in transforms if t.name != "int_daily_climate"} | {
        "raw_greenhouses",
        "raw_sensor_readings",
        "raw_harvests",
        "greenhouses_snapshot",
    }
    events = [
        e.step_materialization_data.materialization.asset_key.to_user_string()
        for e in result.get_asset_materialization_events()
    ]
    assert sorted(events) == sorted(expected)


def test_each_model_ran_under_its_own_compute_target(materialized: Any) -> None:
    greenhouse, result = materialized
    for transform in greenhouse.transforms():
        if transform.materialization == "ephemeral" or transform.name == "int_daily_climate":
            continue
        schema = "staging" if transform.name.startswith("stg_") else "marts"
        rows = greenhouse.query(f"select distinct built_by_target from {schema}.{transform.name}")
        # Each model selects '{{ target.name }}': the target dbt really compiled it under.
        assert rows == [(transform.compute,)], transform.name
        event = _materializations(result)[transform.name]
        assert event["floe/compute"] == transform.compute
        assert event["dagster/table_name"] == f"greenhouse.{schema}.{transform.name}"


def test_a_run_spanning_targets_runs_them_in_dependency_order(materialized: Any) -> None:
    _, result = materialized
    metadata = _materializations(result)
    invocation = {name: data["dbt/invocation_id"] for name, data in metadata.items()}
    # duckdb (seeds, staging, fct_harvests) -> duckdb_heavy (climate, mart) -> duckdb (report):
    # three dbt invocations, each under one target.
    assert len(set(invocation.values())) == 3
    assert invocation["fct_daily_climate"] == invocation["mart_yield_vs_climate"]
    assert invocation["stg_harvests"] == invocation["fct_harvests"] == invocation["raw_harvests"]
    waves = [invocation["stg_weather"], invocation["fct_daily_climate"]]
    waves.append(invocation["rpt_greenhouse_scorecard"])
    assert len(set(waves)) == 3
    order = [
        e.step_materialization_data.materialization.asset_key.to_user_string()
        for e in result.get_asset_materialization_events()
    ]
    assert order.index("fct_daily_climate") > order.index("stg_sensor_readings")
    assert order.index("mart_yield_vs_climate") > order.index("fct_harvests")
    assert order[-1] == "rpt_greenhouse_scorecard"


def test_dbt_tests_are_asset_checks_with_results(materialized: Any) -> None:
    _, result = materialized
    evaluations = {
        (
            e.event_specific_data.asset_key.to_user_string(),
            e.event_specific_data.check_name,
        ): e.event_specific_data
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    }
    assert len(evaluations) == 13
    assert all(evaluation.passed for evaluation in evaluations.values())
    assert ("fct_harvests", "assert_harvest_weight_positive") in evaluations
    assert ("stg_greenhouses", "unique_stg_greenhouses_greenhouse_id") in evaluations
    evaluation = evaluations[("fct_daily_climate", "assert_climate_in_plausible_range")]
    assert evaluation.metadata["dbt/failed_row_count"].value == 0


def test_a_subset_run_touches_only_the_selected_models(greenhouse: Any) -> None:
    assets = greenhouse.create_assets()
    result = greenhouse.materialize(assets, selection=["raw_harvests", "stg_harvests"])
    assert result.success
    assert greenhouse.tables() == {"raw.raw_harvests": 30, "staging.stg_harvests": 30}
    assert set(_materializations(result)) == {"raw_harvests", "stg_harvests"}
    checks = {
        e.event_specific_data.check_name
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    }
    assert checks == {"unique_stg_harvests_harvest_id", "not_null_stg_harvests_harvest_id"}


def test_a_failing_model_fails_with_dbt_message_and_downstream_does_not_run(
    greenhouse: Any,
) -> None:
    from floe_orchestrator_contract import TransformConfig

    marts = greenhouse.project / "models" / "marts"
    (marts / "broken_yield.sql").write_text("select missing_column from {{ ref('fct_harvests') }}")
    (marts / "after_broken.sql").write_text("select * from {{ ref('broken_yield') }}")
    (marts / "skipped_by_dbt.sql").write_text("select * from {{ ref('broken_yield') }}")
    # A dbt test that finds rows at warn severity: a failed check that blocks nothing.
    (greenhouse.project / "tests" / "warn_every_greenhouse.sql").write_text(
        "{{ config(severity='warn') }} select * from {{ ref('stg_greenhouses') }}"
    )
    transforms = [
        *greenhouse.transforms(),
        TransformConfig("broken_yield", compute="duckdb", depends_on=["fct_harvests"]),
        # On the other target, so blocking must cross waves, not only dbt's own skipping.
        TransformConfig("after_broken", compute="duckdb_heavy", depends_on=["broken_yield"]),
        # Same target, same invocation: dbt itself skips it.
        TransformConfig("skipped_by_dbt", compute="duckdb", depends_on=["broken_yield"]),
    ]
    # The manifest was parsed before these files existed: it must be refreshed to see them.
    assets = greenhouse.create_assets(transforms)
    selection = [
        "raw_harvests",
        "raw_greenhouses",
        "stg_harvests",
        "stg_greenhouses",
        "fct_harvests",
        "broken_yield",
        "after_broken",
        "skipped_by_dbt",
    ]
    result = greenhouse.materialize(assets, selection=selection)
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    message = failure.step_failure_data.user_failure_data.description
    assert "dbt model 'broken_yield' failed under target 'duckdb'" in message
    assert 'Referenced column "missing_column" not found' in message  # DuckDB's own words
    assert "not run because something upstream failed: after_broken, skipped_by_dbt" in message
    # What a CLI prints without parsing the text: the failed nodes, the database's words.
    failure_metadata = {
        k: v.value for k, v in failure.step_failure_data.user_failure_data.metadata.items()
    }
    assert failure_metadata["failed_nodes"] == ["broken_yield"]
    assert failure_metadata["failed_tests"] == []  # the warn-severity test blocks nothing
    assert failure_metadata["not_run"] == ["after_broken", "skipped_by_dbt"]
    (error,) = failure_metadata["errors"]
    assert error["node"] == "broken_yield"
    assert error["target"] == "duckdb"
    assert 'Referenced column "missing_column" not found' in error["message"]
    # Observers: the failure with the database's message, ABORT-worthy for what never ran.
    observer = greenhouse.observer
    results = observer.results()
    assert results["broken_yield"].status == "failed"
    assert results["broken_yield"].dbt_status == "error"
    assert 'Referenced column "missing_column" not found' in results["broken_yield"].message
    assert results["after_broken"].status == results["skipped_by_dbt"].status == "aborted"
    never_started = {"after_broken", "skipped_by_dbt"}
    assert not never_started & {c[1].name for c in observer.of("node_started")}
    assert results["fct_harvests"].status == "success"
    assert observer.calls[-1][0] == "run_finished"
    assert observer.calls[-1][2] is True
    assert "broken_yield" in observer.calls[-1][3]
    materialized = set(_materializations(result))
    assert "broken_yield" not in materialized
    assert "after_broken" not in materialized
    assert {"fct_harvests", "stg_harvests"} <= materialized
    (warned,) = [
        e.event_specific_data
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
        and e.event_specific_data.check_name == "warn_every_greenhouse"
    ]
    assert not warned.passed
    assert warned.severity == dg.AssetCheckSeverity.WARN
    assert warned.metadata["dbt/failed_row_count"].value == 6
    tables = greenhouse.tables()
    assert "marts.fct_harvests" in tables
    assert "marts.broken_yield" not in tables
    assert "marts.after_broken" not in tables
    assert "marts.skipped_by_dbt" not in tables


def test_resources_pinning_a_target_are_refused(greenhouse: Any) -> None:
    from dagster_dbt import DbtCliResource

    assets = greenhouse.create_assets()
    resource = greenhouse.resources()["dbt"]
    pinned = DbtCliResource(
        project_dir=resource.project_dir,
        profiles_dir=resource.profiles_dir,
        target="duckdb_heavy",
        dbt_executable=resource.dbt_executable,
    )
    result = dg.materialize(
        assets,
        resources={**greenhouse.resources(), "dbt": pinned},
        selection=["raw_harvests"],
        raise_on_error=False,
    )
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert (
        "pins dbt target 'duckdb_heavy'" in failure.step_failure_data.user_failure_data.description
    )
    assert greenhouse.tables() == {}


def _parses(project: Path) -> dict[str, str]:
    """How dbt parsed in each wave's folder: "partial", or its reason not to."""
    found = {}
    for wave in sorted(project.glob("target/floe-*-wave*")):
        log = (wave / "dbt.log").read_text()
        reason = re.search(r"Unable to do partial parsing because ([^\"\n]+)", log)
        found[wave.name.split("-")[-1]] = reason.group(1) if reason else "partial"
        assert reason or "Partial parsing enabled" in log
        # dbt's own log format in the file (the console alone is JSON, for the assets to read)
        assert not log.lstrip().startswith("{")
    return found


def test_dbt_reuses_its_parse_in_every_wave_once_a_target_has_run(
    materialized: Any, copy_greenhouse: Any
) -> None:
    greenhouse, _ = materialized
    # The first run: duckdb (waves 1 and 3) starts from the parse the manifest came from; the
    # first duckdb_heavy wave had no parse for its --target yet.
    first = _parses(greenhouse.project)
    assert first["wave1"] == first["wave3"] == "partial"
    assert "target have changed" in first["wave2"]
    # Any later run (a copy, with the data): every wave, both targets, parses partially.
    again = copy_greenhouse(greenhouse)
    selection = ["stg_weather", "fct_daily_climate"]  # one model on each target
    result = again.materialize(again.create_assets(), selection=selection)
    assert result.success
    assert _parses(again.project) == {"wave1": "partial", "wave2": "partial"}


def test_a_wave_running_most_of_the_project_names_what_it_leaves_out(materialized: Any) -> None:
    greenhouse, result = materialized
    waves = {}
    for wave in sorted(greenhouse.project.glob("target/floe-*-wave*")):
        run_results = json.loads((wave / "run_results.json").read_text())
        waves[wave.name.split("-")[-1]] = (
            run_results["args"],
            {r["unique_id"] for r in run_results["results"]},
        )
    # Wave 1 (duckdb: seeds, snapshot, staging, fct_harvests) is most of the project: dbt is
    # told what it leaves out, since every selector costs dbt a pass over the whole project.
    args, ran = waves["wave1"]
    assert not args.get("select")
    assert args["exclude"]
    assert "model.greenhouse.fct_daily_climate" not in ran
    # The two small waves name what they run.
    assert waves["wave2"][0]["select"]
    assert not waves["wave2"][0].get("exclude")
    # Whichever way a wave was selected, dbt ran exactly the assets and checks: no test of a
    # source, nothing twice.
    ran_everywhere = [uid for _, uids in waves.values() for uid in uids]
    assert len(ran_everywhere) == len(set(ran_everywhere))
    materialized_uids = {
        e.step_materialization_data.materialization.metadata["dbt/unique_id"].value
        for e in result.get_asset_materialization_events()
    }
    check_uids = {
        e.event_specific_data.metadata["dbt/unique_id"].value
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    }
    assert set(ran_everywhere) == materialized_uids | check_uids
