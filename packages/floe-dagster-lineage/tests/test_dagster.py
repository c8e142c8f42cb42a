from __future__ import annotations

import json
import logging
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import _project
import dagster as dg
import pytest
from _helpers import SpecValidator, warnings_from_us
from _receiver import Receiver, refused_port

from floe_dagster_lineage import LineageConfig, lineage_run_config, with_openlineage

ASSET_JOBS = {"raw.orders", "stg_orders", "orders", "customers", "revenue", "margin"}


def config_for(url: str, namespace: str = "shop") -> LineageConfig:
    return LineageConfig(namespace=namespace, transport="http", endpoint=url, backoff=0.02)


@pytest.fixture(scope="session")
def example_run() -> Iterator[tuple[dg.ExecuteInProcessResult, list[dict[str, Any]]]]:
    """The example project's full job, run in process once, with a healthy receiver."""
    with Receiver() as receiver:
        defs = _project.build_defs(config_for(receiver.url))
        result = defs.resolve_job_def("all_assets").execute_in_process(raise_on_error=False)
        yield result, list(receiver.events)


def by_job(events: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for event in events:
        grouped[event["job"]["name"]].append(event)
    return grouped


def names(datasets: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(d["namespace"], d["name"]) for d in datasets]


def test_every_event_of_the_example_run_validates(
    example_run: tuple[dg.ExecuteInProcessResult, list[dict[str, Any]]], spec: SpecValidator
) -> None:
    _, events = example_run
    spec.check(events)
    used = {name for e in events for name in e["run"]["facets"]} | {
        name for e in events for name in e["job"]["facets"]
    }
    # Every facet we emit has a schema in the spec, so none escaped facet validation.
    assert used <= {name for _, name in spec.facets}


def test_each_asset_starts_then_completes_or_fails(
    example_run: tuple[dg.ExecuteInProcessResult, list[dict[str, Any]]],
) -> None:
    result, events = example_run
    assert result.success is False  # finance fails by design
    grouped = by_job(events)
    assert set(grouped) == ASSET_JOBS | {"all_assets"}
    outcomes = {job: [e["eventType"] for e in evs] for job, evs in grouped.items()}
    assert outcomes == {
        "all_assets": ["START", "FAIL"],
        "raw.orders": ["START", "COMPLETE"],
        "stg_orders": ["START", "COMPLETE"],
        "orders": ["START", "COMPLETE"],
        "customers": ["START", "COMPLETE"],
        "revenue": ["START", "COMPLETE"],
        "margin": ["START", "FAIL"],
    }
    for job in ASSET_JOBS:
        run_ids = {e["run"]["runId"] for e in grouped[job]}
        assert len(run_ids) == 1, job
        for event in grouped[job]:
            parent = event["run"]["facets"]["parent"]
            assert parent["run"]["runId"] == result.run_id
            assert (parent["job"]["namespace"], parent["job"]["name"]) == ("shop", "all_assets")
            assert event["job"]["facets"]["jobType"]["jobType"] == "ASSET"
            assert event["job"]["facets"]["jobType"]["processingType"] == "BATCH"
    dagster_run = grouped["all_assets"]
    assert {e["run"]["runId"] for e in dagster_run} == {result.run_id}
    assert dagster_run[0]["job"]["facets"]["jobType"]["jobType"] == "JOB"
    # margin_report never ran (its upstream failed): no events pretend it did.
    assert "margin_report" not in grouped


def test_failures_carry_the_users_error(
    example_run: tuple[dg.ExecuteInProcessResult, list[dict[str, Any]]],
) -> None:
    _, events = example_run
    grouped = by_job(events)
    error = grouped["margin"][-1]["run"]["facets"]["errorMessage"]
    assert error["message"] == "RuntimeError: margin source is unreachable"
    assert error["programmingLanguage"] == "python"
    assert "_project.py" in error["stackTrace"]
    assert "in finance" in error["stackTrace"]
    # The run's own FAIL: Dagster 1.13 attaches the step's error, 1.12 only its summary.
    run_error = grouped["all_assets"][-1]["run"]["facets"]["errorMessage"]
    assert run_error["message"] in (
        "RuntimeError: margin source is unreachable",
        "Execution of run for \"all_assets\" failed. Steps failed: ['finance'].",
    )


def test_inputs_and_outputs_join_into_one_graph(
    example_run: tuple[dg.ExecuteInProcessResult, list[dict[str, Any]]],
) -> None:
    _, events = example_run
    grouped = by_job(events)
    output_of = {job: names(grouped[job][0]["outputs"]) for job in ASSET_JOBS}
    assert output_of["raw.orders"] == [("shop", "warehouse.raw.orders")]  # dagster/table_name
    assert output_of["orders"] == [("shop", "orders")]  # from the asset key
    upstream = {
        "raw.orders": [],
        "stg_orders": ["raw.orders"],
        "orders": ["stg_orders"],
        "customers": ["stg_orders"],
        "revenue": ["orders"],
        "margin": ["orders"],
    }
    for job, parents in upstream.items():
        expected = [dataset for parent in parents for dataset in output_of[parent]]
        for event in grouped[job]:
            assert names(event["inputs"]) == expected, job
            assert names(event["outputs"]) == output_of[job], job


def test_schema_facets_come_from_column_metadata(
    example_run: tuple[dg.ExecuteInProcessResult, list[dict[str, Any]]],
) -> None:
    _, events = example_run
    grouped = by_job(events)
    declared = grouped["raw.orders"][0]["outputs"][0]["facets"]["schema"]["fields"]
    assert [(f["name"], f["type"], f.get("description")) for f in declared] == [
        ("order_id", "INTEGER", "primary key"),
        ("amount", "DOUBLE", None),
    ]
    at_runtime = grouped["orders"][-1]["outputs"][0]["facets"]["schema"]["fields"]
    assert [(f["name"], f.get("type")) for f in at_runtime] == [
        ("order_id", "INTEGER"),
        ("total", "DOUBLE"),
    ]
    # The input side names the same dataset as its producer's output, schema included.
    stg_input = grouped["stg_orders"][0]["inputs"][0]
    assert [f["name"] for f in stg_input["facets"]["schema"]["fields"]] == ["order_id", "amount"]


def test_a_subset_run_only_reports_the_selected_assets(
    receiver: Receiver, spec: SpecValidator
) -> None:
    defs = _project.build_defs(config_for(receiver.url))
    job = defs.resolve_job_def("all_assets")
    result = job.execute_in_process(asset_selection=[dg.AssetKey("stg_orders")])
    assert result.success
    spec.check(receiver.events)
    assert [(e["job"]["name"], e["eventType"]) for e in receiver.events] == [
        ("all_assets", "START"),
        ("stg_orders", "START"),
        ("stg_orders", "COMPLETE"),
        ("all_assets", "COMPLETE"),
    ]


def test_an_optional_output_not_produced_is_aborted(
    receiver: Receiver, spec: SpecValidator
) -> None:
    @dg.multi_asset(
        outs={"kept": dg.AssetOut(is_required=False), "skipped": dg.AssetOut(is_required=False)}
    )
    def maybe() -> Any:
        yield dg.Output(1, output_name="kept")

    defs = with_openlineage(
        dg.Definitions(assets=[maybe], jobs=[dg.define_asset_job("maybe_job")]),
        config_for(receiver.url),
    )
    assert defs.resolve_job_def("maybe_job").execute_in_process().success
    spec.check(receiver.events)
    outcomes = {job: [e["eventType"] for e in evs] for job, evs in by_job(receiver.events).items()}
    assert outcomes == {
        "maybe_job": ["START", "COMPLETE"],
        "kept": ["START", "COMPLETE"],
        "skipped": ["START", "ABORT"],
    }


def test_dbt_manifest_names_datasets_and_adds_sql(
    receiver: Receiver, spec: SpecValidator, tmp_path: Path
) -> None:
    manifest = {
        "metadata": {"adapter_type": "duckdb"},
        "nodes": {
            "model.shop.orders": {
                "resource_type": "model",
                "name": "orders",
                "relation_name": '"warehouse"."main"."orders"',
                "columns": {"order_id": {"name": "order_id", "data_type": "integer"}},
                "compiled_code": "select order_id, sum(amount) as total from stg_orders group by 1",
            },
            "model.shop.customers": {
                "resource_type": "model",
                "name": "customers",
                "database": "warehouse",
                "schema": "main",
                "alias": "dim_customers",
                "columns": {"customer_id": {"name": "customer_id", "data_type": "bigint"}},
                "raw_code": "select distinct customer_id from {{ ref('stg_orders') }}",
            },
            "test.shop.not_null": {"resource_type": "test", "name": "not_null"},
        },
    }
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(manifest))
    defs = _project.build_defs(config_for(receiver.url), dbt_manifest=path)
    assert defs.resolve_job_def("healthy_assets").execute_in_process().success
    spec.check(receiver.events)
    grouped = by_job(receiver.events)
    orders, customers = grouped["orders"][-1], grouped["customers"][-1]
    assert names(orders["outputs"]) == [("shop", "warehouse.main.orders")]
    assert names(customers["outputs"]) == [("shop", "warehouse.main.dim_customers")]
    assert orders["job"]["facets"]["sql"]["query"].startswith("select order_id")
    assert "{{ ref('stg_orders') }}" in customers["job"]["facets"]["sql"]["query"]
    # Runtime column metadata wins over the manifest; the manifest fills in where there is none.
    assert [f["name"] for f in orders["outputs"][0]["facets"]["schema"]["fields"]] == [
        "order_id",
        "total",
    ]
    customer_fields = customers["outputs"][0]["facets"]["schema"]["fields"]
    assert [(f["name"], f["type"]) for f in customer_fields] == [("customer_id", "bigint")]
    assert "sql" not in grouped["stg_orders"][0]["job"]["facets"]


def test_a_dead_backend_leaves_the_run_green_with_one_warning(
    lineage_logs: pytest.LogCaptureFixture,
) -> None:
    url = f"http://127.0.0.1:{refused_port()}"
    defs = _project.build_defs(config_for(url))
    result = defs.resolve_job_def("healthy_assets").execute_in_process()
    assert result.success
    warnings = warnings_from_us(lineage_logs)
    assert len(warnings) == 1
    assert "connection refused" in warnings[0].getMessage()
    counts = [
        r.getMessage() for r in lineage_logs.records if "failed=10 dropped=0" in r.getMessage()
    ]
    assert counts, "the run-end flush reports the 10 failed events"


def test_a_multiprocess_run_reports_from_every_step_process(
    receiver: Receiver, spec: SpecValidator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Step processes rebuild the logger from the environment (config=None), as in production."""
    for name in ("OPENLINEAGE_CONFIG", "OPENLINEAGE_DISABLED", "OPENLINEAGE_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OPENLINEAGE_URL", receiver.url)
    monkeypatch.setenv("OPENLINEAGE_NAMESPACE", "shop")
    with dg.instance_for_test() as instance:
        # Step processes import the project by module name from its own directory, whatever the
        # directory pytest runs from.
        job = dg.build_reconstructable_job(
            "_project",
            "split_job",
            reconstructor_working_directory=str(Path(_project.__file__).parent),
        )
        result = dg.execute_job(job, instance=instance)
    assert result.success is False  # finance fails by design
    spec.check(receiver.events)
    grouped = by_job(receiver.events)
    outcomes = {job: [e["eventType"] for e in evs] for job, evs in grouped.items()}
    assert outcomes == {
        "split_steps": ["START", "FAIL"],
        "raw.orders": ["START", "COMPLETE"],
        "revenue": ["START", "COMPLETE"],
        "margin": ["START", "FAIL"],
    }
    assert {
        e["run"]["facets"]["parent"]["run"]["runId"]
        for e in receiver.events
        if e["job"]["name"] != "split_steps"
    } == {result.run_id}


def test_with_openlineage_keeps_user_loggers_and_config() -> None:
    @dg.logger
    def mine(_: dg.InitLoggerContext) -> logging.Logger:
        return logging.getLogger("mine")

    job = dg.define_asset_job("configured", config={"loggers": {"mine": {}}}, tags={"team": "x"})
    defs = with_openlineage(
        dg.Definitions(assets=_project.ASSETS, jobs=[job], loggers={"mine": mine}),
        LineageConfig.disabled(),
    )
    assert set(defs.loggers or {}) == {"mine", "console", "openlineage"}
    resolved = defs.resolve_job_def("configured")
    assert resolved.tags.get("team") == "x"
    assert set(resolved.run_config["loggers"]) == {"mine", "console", "openlineage"}
    with pytest.raises(ValueError, match="logger key 'openlineage' is already used"):
        with_openlineage(defs, LineageConfig.disabled())


def test_lineage_run_config_switches_the_logger_on() -> None:
    assert lineage_run_config() == {"loggers": {"console": {}, "openlineage": {}}}
    merged = lineage_run_config(
        {"ops": {"x": {}}, "loggers": {"console": {"config": {"log_level": "INFO"}}}}
    )
    assert merged == {
        "ops": {"x": {}},
        "loggers": {"console": {"config": {"log_level": "INFO"}}, "openlineage": {}},
    }


def test_a_receiver_killed_mid_run_leaves_the_run_green(
    lineage_logs: pytest.LogCaptureFixture,
) -> None:
    receiver = Receiver()

    @dg.asset
    def before() -> None:
        return None

    @dg.asset(deps=[before])
    def kills_the_backend() -> None:
        for _ in range(500):  # until this step's START has arrived (at most 5 s)
            if len(receiver.events) >= 4:
                break
            time.sleep(0.01)
        receiver.stop()

    @dg.asset(deps=[kills_the_backend])
    def after() -> None:
        return None

    defs = with_openlineage(
        dg.Definitions(assets=[before, kills_the_backend, after], jobs=[dg.define_asset_job("k")]),
        config_for(receiver.url),
    )
    result = defs.resolve_job_def("k").execute_in_process()
    assert result.success
    got = [(e["job"]["name"], e["eventType"]) for e in receiver.events]
    assert got == [
        ("k", "START"),
        ("before", "START"),
        ("before", "COMPLETE"),
        ("kills_the_backend", "START"),
    ]
    assert len(warnings_from_us(lineage_logs)) == 1
    flushed = [r.getMessage() for r in lineage_logs.records if "sent=4 failed=4" in r.getMessage()]
    assert flushed  # COMPLETE of the killer, START/COMPLETE of `after`, the run's COMPLETE


def test_the_implicit_asset_job_reports_when_run_config_names_the_logger(
    receiver: Receiver, spec: SpecValidator
) -> None:
    defs = _project.build_defs(config_for(receiver.url))
    job = defs.resolve_implicit_global_asset_job_def()
    selection = [dg.AssetKey("stg_orders")]
    assert job.execute_in_process(asset_selection=selection).success
    assert receiver.events == []  # Dagster starts no custom logger the run config does not name
    result = job.execute_in_process(run_config=lineage_run_config(), asset_selection=selection)
    assert result.success
    spec.check(receiver.events)
    assert [(e["job"]["name"], e["eventType"]) for e in receiver.events] == [
        ("__ASSET_JOB", "START"),
        ("stg_orders", "START"),
        ("stg_orders", "COMPLETE"),
        ("__ASSET_JOB", "COMPLETE"),
    ]


def test_where_an_observer_reports_floes_dbt_nodes_the_logger_leaves_them_alone(
    receiver: Receiver, spec: SpecValidator
) -> None:
    """floe's dbt assets (they carry ``floe/compute``) are the OpenLineageObserver's to report,
    with more than Dagster's events say: the logger reports only the other assets, and a run of
    floe's assets alone is left to the observer entirely (no second Dagster run event)."""
    from floe_dagster_lineage import OpenLineageObserver

    @dg.asset(metadata={"floe/compute": "duckdb"}, kinds={"dbt"})
    def stg_weather() -> dg.MaterializeResult[Any]:
        return dg.MaterializeResult(metadata={"floe/compute": "duckdb"})

    @dg.asset(deps=[stg_weather])
    def weather_report() -> None:
        return None

    mixed = dg.define_asset_job("mixed", selection="*")
    dbt_only = dg.define_asset_job("dbt_only", selection=[stg_weather])
    defs = with_openlineage(
        dg.Definitions(assets=[stg_weather, weather_report], jobs=[mixed, dbt_only]),
        config_for(receiver.url),
    )
    observer = OpenLineageObserver(config_for(receiver.url))
    assert defs.resolve_job_def("mixed").execute_in_process().success
    mixed_events = list(receiver.events)
    assert [(e["job"]["name"], e["eventType"]) for e in mixed_events] == [
        ("mixed", "START"),
        ("weather_report", "START"),
        ("weather_report", "COMPLETE"),
        ("mixed", "COMPLETE"),
    ]
    spec.check(mixed_events)
    # Its input is still the dbt node's dataset.
    assert names(mixed_events[1]["inputs"]) == [("shop", "stg_weather")]
    # Without an active observer in the process, the logger reports every asset, as before.
    del observer
    assert defs.resolve_job_def("dbt_only").execute_in_process().success
    assert [(e["job"]["name"], e["eventType"]) for e in receiver.events[4:]] == [
        ("dbt_only", "START"),
        ("stg_weather", "START"),
        ("stg_weather", "COMPLETE"),
        ("dbt_only", "COMPLETE"),
    ]


def test_a_run_of_floes_dbt_nodes_alone_is_the_observers(receiver: Receiver) -> None:
    from floe_dagster_lineage import OpenLineageObserver

    @dg.asset(metadata={"floe/compute": "duckdb"})
    def stg_weather() -> None:
        return None

    defs = with_openlineage(
        dg.Definitions(assets=[stg_weather], jobs=[dg.define_asset_job("dbt_only")]),
        config_for(receiver.url),
    )
    observer = OpenLineageObserver(config_for(receiver.url))
    assert defs.resolve_job_def("dbt_only").execute_in_process().success
    assert observer.config.active
    assert receiver.events == []
