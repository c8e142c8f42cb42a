"""What a run reports while dbt runs: runtime metadata on materializations, reports to observers.

Everything here reads the example's one shared run (the ``materialized`` fixture: three dbt
invocations, real DuckDB) and compares it with what DuckDB and dbt's own artifacts say.
"""

from __future__ import annotations

import json
from datetime import datetime
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


def _lineage(metadata: dict[str, Any]) -> dict[str, set[tuple[str, str]]]:
    lineage: dg.TableColumnLineage = metadata["dagster/column_lineage"]
    return {
        column: {(dep.asset_key.to_user_string(), dep.column_name) for dep in deps}
        for column, deps in lineage.deps_by_column.items()
    }


def _run_results(project: Path) -> dict[str, dict[str, Any]]:
    """Every node's result in dbt's own run_results.json, across the run's invocations."""
    results = {}
    for path in sorted((project / "target").glob("floe-*/run_results.json")):
        for result in json.loads(path.read_text())["results"]:
            results[result["unique_id"]] = result
    return results


def test_row_counts_are_exact_for_every_table_and_left_out_for_views(
    materialized: Any, expected_rows: dict[str, int]
) -> None:
    greenhouse, result = materialized
    metadata = _materializations(result)
    counted = {name: data.get("dagster/row_count") for name, data in metadata.items()}
    tables = greenhouse.tables()
    for relation, rows in expected_rows.items():
        schema, name = relation.split(".")
        kind = greenhouse.query(
            f"select table_type from information_schema.tables "
            f"where table_schema = '{schema}' and table_name = '{name}'"
        )[0][0]
        if kind == "VIEW":
            assert counted[name] is None, name  # counting a view would run its query
        else:
            assert counted[name] == rows == tables[relation], name
    assert counted["fct_harvests"] == 30


def test_column_schema_is_the_schema_as_built_with_warehouse_types(materialized: Any) -> None:
    greenhouse, result = materialized
    metadata = _materializations(result)
    for name, schema in (("fct_harvests", "marts"), ("stg_sensor_readings", "staging")):
        built = greenhouse.query(
            "select column_name, data_type from information_schema.columns "
            f"where table_schema = '{schema}' and table_name = '{name}' order by ordinal_position"
        )
        table_schema: dg.TableSchema = metadata[name]["dagster/column_schema"]
        assert [(c.name, c.type) for c in table_schema.columns] == built
    columns = {c.name: c.type for c in metadata["fct_harvests"]["dagster/column_schema"].columns}
    # Types nobody documented: DuckDB's own (the seed casts harvested_on to a date).
    assert columns["harvested_on"] == "DATE"
    assert columns["weight_kg_per_m2"] == "DOUBLE"


def test_column_lineage_names_the_upstream_columns(materialized: Any) -> None:
    _, result = materialized
    metadata = _materializations(result)
    harvests = _lineage(metadata["fct_harvests"])
    assert harvests["weight_kg_per_m2"] == {
        ("stg_harvests", "weight_kg"),
        ("stg_greenhouses", "area_m2"),
    }
    assert harvests["greenhouse_name"] == {("stg_greenhouses", "greenhouse_name")}
    assert harvests["built_by_target"] == set()  # a literal reads no column
    # Through the ephemeral int_daily_climate to the relation it reads.
    climate = _lineage(metadata["fct_daily_climate"])
    assert climate["avg_temperature_c"] == {
        ("stg_sensor_readings", "reading_value"),
        ("stg_sensor_readings", "sensor"),
    }
    assert climate["sunshine_hours"] == {("stg_weather", "sunshine_hours")}
    # A model reading a snapshot and a CTE-built mart.
    scorecard = _lineage(metadata["rpt_greenhouse_scorecard"])
    assert scorecard["harvested_kg_per_m2"] == {
        ("mart_yield_vs_climate", "harvested_kg"),
        ("greenhouses_snapshot", "area_m2"),
    }
    mart = _lineage(metadata["mart_yield_vs_climate"])
    assert mart["harvested_kg"] == {("fct_harvests", "weight_kg")}


def test_observers_hear_every_node_start_then_finish_with_dbts_own_times(
    materialized: Any,
) -> None:
    greenhouse, result = materialized
    observer = greenhouse.observer
    kinds = [call[0] for call in observer.calls]
    assert kinds[0] == "run_started"
    assert kinds[-1] == "run_finished"
    assert kinds.count("run_started") == kinds.count("run_finished") == 1
    assert observer.calls[-1][2] is False  # not failed
    started = {
        call[1].name: (index, call[2])
        for index, call in enumerate(observer.calls)
        if call[0] == "node_started"
    }
    finished = {
        call[1].name: (index, call[2])
        for index, call in enumerate(observer.calls)
        if call[0] == "node_finished"
    }
    built = set(_materializations(result))
    assert set(started) == set(finished) == built
    dbt_results = _run_results(greenhouse.project)
    for name, (index, at) in started.items():
        end_index, node_result = finished[name]
        assert index < end_index
        assert node_result.status == "success"
        assert node_result.started_at == at
        # dbt's own clock: the node's start precedes its compile step, its end follows execute.
        node = next(c[1] for c in observer.of("node_started") if c[1].name == name)
        timing = dbt_results[node.unique_id]["timing"]
        assert at <= _utc(timing[0]["started_at"]) < _utc(timing[-1]["completed_at"])
        assert _utc(timing[-1]["completed_at"]) <= node_result.finished_at
    # Real, distinct times, in dbt's order: each wave starts after the one before ended.
    assert len({at for _, at in started.values()}) == len(started)
    assert finished["stg_sensor_readings"][1].finished_at < started["fct_daily_climate"][1]
    assert finished["mart_yield_vs_climate"][1].finished_at < started["rpt_greenhouse_scorecard"][1]
    # Never on the run's thread.
    assert observer.threads
    assert all(t.startswith("floe-observer-") for t in observer.threads)


def test_observers_get_relation_warehouse_inputs_and_sql(materialized: Any) -> None:
    greenhouse, _ = materialized
    observer = greenhouse.observer
    run = observer.calls[0][1]
    assert run.job_name == "greenhouse"  # not Dagster's internal job name
    assert run.product == "greenhouse"
    assert run.versions["dbt"]
    assert run.versions["dbt-duckdb"]
    assert run.versions["dagster"]
    nodes = {call[1].name: call[1] for call in observer.of("node_started")}
    climate = nodes["fct_daily_climate"]
    assert climate.relation.name == "greenhouse.marts.fct_daily_climate"
    assert climate.compute == "duckdb_heavy"
    warehouse = climate.warehouse
    assert warehouse.adapter == "duckdb"
    # The file dbt opened: the profile's relative path resolved against the project.
    assert warehouse.path == str(greenhouse.database.resolve())
    assert warehouse.database == "greenhouse"
    # The ephemeral int_daily_climate is resolved to what it reads.
    assert {r.name for r in climate.inputs} == {
        "greenhouse.staging.stg_sensor_readings",
        "greenhouse.staging.stg_greenhouses",
        "greenhouse.staging.stg_weather",
    }
    assert {r.name for r in nodes["stg_weather"].inputs} == {"greenhouse.weather.daily_weather"}
    assert "{{ ref('stg_harvests') }}" in nodes["fct_harvests"].sql
    assert not nodes["fct_harvests"].sql_is_compiled
    results = observer.results()
    compiled = results["fct_harvests"].compiled_sql
    assert '"greenhouse"."staging"."stg_harvests"' in compiled
    assert "{{" not in compiled
    assert nodes["raw_harvests"].resource_type == "seed"
    assert nodes["greenhouses_snapshot"].resource_type == "snapshot"


def test_observers_and_dagster_get_the_same_runtime_facts(materialized: Any) -> None:
    greenhouse, result = materialized
    metadata = _materializations(result)
    results = greenhouse.observer.results()
    for name, data in metadata.items():
        node_result = results[name]
        assert node_result.row_count == data.get("dagster/row_count"), name
        assert [(c.name, c.data_type) for c in node_result.columns] == [
            (c.name, c.type) for c in data["dagster/column_schema"].columns
        ], name
    lineage = {c.column: c for c in results["fct_harvests"].column_lineage}
    assert {(r.name, column) for r, column in lineage["weight_kg_per_m2"].inputs} == {
        ("greenhouse.staging.stg_harvests", "weight_kg"),
        ("greenhouse.staging.stg_greenhouses", "area_m2"),
    }
    assert lineage["weight_kg_per_m2"].transformation == "DIRECT"


def test_observers_hear_dbt_test_outcomes_after_the_node(materialized: Any) -> None:
    greenhouse, _ = materialized
    observer = greenhouse.observer
    finished_at = {c[1].name: i for i, c in enumerate(observer.calls) if c[0] == "node_finished"}
    tested = {c[1].name: (i, c[2]) for i, c in enumerate(observer.calls) if c[0] == "node_tested"}
    assert set(tested) == {
        "stg_greenhouses",
        "stg_harvests",
        "stg_sensor_readings",
        "fct_harvests",
        "fct_daily_climate",
        "mart_yield_vs_climate",
    }
    for name, (index, _) in tested.items():
        assert finished_at[name] < index
    outcomes = {t.name: t for t in tested["stg_harvests"][1]}
    unique = outcomes["unique_stg_harvests_harvest_id"]
    assert unique.passed
    assert unique.severity == "error"
    assert unique.column == "harvest_id"
    assert unique.failures == 0
    on_harvests = {t.name: t for t in tested["fct_harvests"][1]}
    assert set(on_harvests) == {"assert_harvest_weight_positive", "unique_fct_harvests_harvest_id"}
    assert on_harvests["assert_harvest_weight_positive"].passed
    assert on_harvests["assert_harvest_weight_positive"].column is None


def _utc(text: str) -> datetime:
    from floe_dagster_assets._report import parse_time

    moment = parse_time(text)
    assert moment is not None
    return moment
