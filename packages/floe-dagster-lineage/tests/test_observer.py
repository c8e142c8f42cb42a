"""``OpenLineageObserver``: a dbt run's reports (the contract's ``RunObserver``) become
OpenLineage events on a real receiver on loopback, valid against the spec."""

from __future__ import annotations

import json
import logging
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from _helpers import SpecValidator, warnings_from_us
from _receiver import Receiver, refused_port

from floe_dagster_lineage import LineageConfig, OpenLineageObserver, node_job_name
from floe_orchestrator_contract import (
    ColumnInfo,
    ColumnLineage,
    DataTestOutcome,
    NodeResult,
    NodeRun,
    ObservabilityConfig,
    Relation,
    RunContext,
    RunObserver,
    Warehouse,
)

T0 = datetime(2026, 3, 1, 6, 0, 0, tzinfo=timezone.utc)
DUCKDB = Warehouse(adapter="duckdb", path="/data/greenhouse.duckdb", database="greenhouse")
NAMESPACE = "duckdb:///data/greenhouse.duckdb"
RUN = RunContext(
    run_id=str(uuid.uuid4()),
    job_name="greenhouse_daily",
    product="greenhouse",
    started_at=T0,
    versions={"dbt": "1.10.9", "dagster": "1.12.0", "dbt-duckdb": "1.10.0"},
)
RAW = Relation("greenhouse", "raw", "raw_harvests")
STG = Relation("greenhouse", "staging", "stg_harvests")
FCT = Relation("greenhouse", "marts", "fct_harvests")
RPT = Relation("greenhouse", "marts", "rpt_scorecard")
SEED = NodeRun("seed.greenhouse.raw_harvests", "raw_harvests", "seed", RAW, DUCKDB)
STAGING = NodeRun(
    "model.greenhouse.stg_harvests",
    "stg_harvests",
    "model",
    STG,
    DUCKDB,
    inputs=(RAW,),
    materialization="view",
    description="Harvests, typed.",
    path="models/staging/stg_harvests.sql",
    sql="select harvest_id, weight_kg from {{ ref('raw_harvests') }}",
)
FACT = NodeRun(
    "model.greenhouse.fct_harvests",
    "fct_harvests",
    "model",
    FCT,
    DUCKDB,
    inputs=(STG,),
    materialization="table",
)
REPORT = NodeRun(
    "model.greenhouse.rpt_scorecard", "rpt_scorecard", "model", RPT, DUCKDB, inputs=(FCT,)
)
COMPILED = 'select harvest_id, weight_kg from "greenhouse"."raw"."raw_harvests"'
DB_ERROR = 'Binder Error: Referenced column "weight" not found in FROM clause!'


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def http(url: str, namespace: str = "greenhouse") -> LineageConfig:
    return LineageConfig(
        namespace=namespace, transport="http", endpoint=url, timeout=2, flush_timeout=10
    )


def report_a_run(observer: RunObserver) -> None:
    """A dbt build as the runtime reports it: a seed, a model built and tested, a model that
    fails in the database, and one that never runs because of it."""
    observer.run_started(RUN)
    observer.node_started(RUN, SEED, at(1))
    observer.node_finished(RUN, SEED, NodeResult("success", "success", at(1), at(2), row_count=3))
    observer.node_started(RUN, STAGING, at(2))
    built = NodeResult(
        "success",
        "success",
        at(2),
        at(3.5),
        row_count=3,
        columns=(ColumnInfo("harvest_id", "INTEGER", "key"), ColumnInfo("weight_kg", "DOUBLE")),
        column_lineage=(
            ColumnLineage("harvest_id", ((RAW, "harvest_id"),), "DIRECT"),
            ColumnLineage("weight_kg", ((RAW, "weight_kg"),)),
        ),
        compiled_sql=COMPILED,
    )
    observer.node_finished(RUN, STAGING, built)
    observer.node_tested(
        RUN,
        STAGING,
        (
            DataTestOutcome(
                "test.greenhouse.unique_stg_harvests_harvest_id.1a",
                "unique_stg_harvests_harvest_id",
                passed=True,
                column="harvest_id",
                failures=0,
                test_type="unique",
            ),
            DataTestOutcome(
                "test.greenhouse.weight_positive.2b",
                "weight_positive",
                passed=False,
                severity="warn",
                failures=2,
                test_type="singular",
                message="Got 2 results, configured to warn if != 0",
            ),
        ),
    )
    observer.node_started(RUN, FACT, at(4))
    observer.node_finished(
        RUN, FACT, NodeResult("failed", "error", at(4), at(4.25), message=DB_ERROR)
    )
    observer.node_finished(RUN, REPORT, NodeResult("aborted", "skipped", finished_at=at(4.3)))
    observer.run_finished(RUN, failed=True, message="dbt: 1 failure(s)")


@pytest.fixture
def events(receiver: Receiver) -> list[dict[str, Any]]:
    observer = OpenLineageObserver(http(receiver.url))
    report_a_run(observer)
    assert observer.stats.pending == 0  # run_finished delivered the run before returning
    return receiver.events


def by_job(events: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for event in events:
        grouped.setdefault(event["job"]["name"], []).append(event)
    return grouped


def outputs(event: dict[str, Any]) -> list[tuple[str, str]]:
    return [(d["namespace"], d["name"]) for d in event["outputs"]]


def inputs(event: dict[str, Any]) -> list[tuple[str, str]]:
    return [(d["namespace"], d["name"]) for d in event["inputs"]]


def test_it_is_a_run_observer() -> None:
    assert isinstance(OpenLineageObserver(LineageConfig.disabled()), RunObserver)


def test_every_event_validates_against_the_spec(
    events: list[dict[str, Any]], spec: SpecValidator
) -> None:
    spec.unchecked.clear()
    spec.check(events)
    # Facets the vendored spec has no schema for: their fields are checked below against
    # openlineage-python's own classes instead.
    assert spec.unchecked <= {"dataSource", "outputStatistics", "tags"}
    from openlineage.client.generated.datasource_dataset import DatasourceDatasetFacet
    from openlineage.client.generated.output_statistics_output_dataset import (
        OutputStatisticsOutputDatasetFacet,
    )
    from openlineage.client.generated.tags_run import TagsRunFacet, TagsRunFacetFields

    def fields(facet: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in facet.items() if not k.startswith("_")}

    for event in events:
        for dataset in event["inputs"] + event["outputs"]:
            DatasourceDatasetFacet(**fields(dataset["facets"]["dataSource"]))
        for dataset in event["outputs"]:
            stats = dataset.get("outputFacets", {}).get("outputStatistics")
            if stats:
                OutputStatisticsOutputDatasetFacet(**fields(stats))
        tags = event["run"]["facets"].get("tags")
        if tags:
            TagsRunFacet(tags=[TagsRunFacetFields(**t) for t in tags["tags"]])


def test_the_run_and_each_node_in_order_with_real_times(events: list[dict[str, Any]]) -> None:
    assert [(e["job"]["name"], e["eventType"]) for e in events] == [
        ("greenhouse_daily", "START"),
        ("greenhouse.raw_harvests", "START"),
        ("greenhouse.raw_harvests", "COMPLETE"),
        ("greenhouse.stg_harvests", "START"),
        ("greenhouse.stg_harvests", "COMPLETE"),
        ("greenhouse.stg_harvests.test", "START"),
        ("greenhouse.stg_harvests.test", "COMPLETE"),  # the failing test only warns
        ("greenhouse.fct_harvests", "START"),
        ("greenhouse.fct_harvests", "FAIL"),
        ("greenhouse.rpt_scorecard", "ABORT"),  # never ran: no START
        ("greenhouse_daily", "FAIL"),
    ]
    assert {e["job"]["namespace"] for e in events} == {"greenhouse"}
    times = {
        (e["job"]["name"], e["eventType"]): datetime.fromisoformat(e["eventTime"]) for e in events
    }
    assert times["greenhouse_daily", "START"] == T0
    assert times["greenhouse.stg_harvests", "START"] == at(2)
    assert times["greenhouse.stg_harvests", "COMPLETE"] == at(3.5)
    assert times["greenhouse.fct_harvests", "FAIL"] == at(4.25)
    assert times["greenhouse.rpt_scorecard", "ABORT"] == at(4.3)
    # A node's START and its end are one run; every node run is a child of the Dagster run,
    # under the job's real name, and the Dagster run id is the run id of the job's own events.
    jobs = by_job(events)
    assert {e["run"]["runId"] for e in jobs["greenhouse_daily"]} == {RUN.run_id}
    for name in ("greenhouse.stg_harvests", "greenhouse.fct_harvests"):
        assert len({e["run"]["runId"] for e in jobs[name]}) == 1
    for event in events:
        if event["job"]["name"] != "greenhouse_daily":
            parent = event["run"]["facets"]["parent"]
            assert parent["run"]["runId"] == RUN.run_id
            assert parent["job"] == {"namespace": "greenhouse", "name": "greenhouse_daily"}
            assert parent["root"]["job"]["name"] == "greenhouse_daily"


def test_datasets_are_named_by_the_warehouse_and_join(events: list[dict[str, Any]]) -> None:
    jobs = by_job(events)
    seed_done, stg_done = jobs["greenhouse.raw_harvests"][1], jobs["greenhouse.stg_harvests"][1]
    assert outputs(seed_done) == [(NAMESPACE, "greenhouse.raw.raw_harvests")]
    assert outputs(stg_done) == [(NAMESPACE, "greenhouse.staging.stg_harvests")]
    # Inputs are the upstream nodes' outputs, same namespace and name: one graph.
    assert inputs(stg_done) == outputs(seed_done)
    assert inputs(jobs["greenhouse.fct_harvests"][0]) == outputs(stg_done)
    assert inputs(jobs["greenhouse.rpt_scorecard"][0]) == [
        (NAMESPACE, "greenhouse.marts.fct_harvests")
    ]
    source = stg_done["outputs"][0]["facets"]["dataSource"]
    assert (source["name"], source["uri"]) == (NAMESPACE, NAMESPACE)


def test_a_built_node_carries_what_dbt_measured(events: list[dict[str, Any]]) -> None:
    start, done = by_job(events)["greenhouse.stg_harvests"]
    # Raw Jinja is never sent as SQL: the START knew only the raw SQL, the end knows it compiled.
    assert "sql" not in start["job"]["facets"]
    assert done["job"]["facets"]["sql"]["query"] == COMPILED
    assert done["job"]["facets"]["sql"]["dialect"] == "duckdb"
    assert done["job"]["facets"]["jobType"]["integration"] == "DBT"
    assert done["job"]["facets"]["jobType"]["jobType"] == "MODEL"
    assert done["job"]["facets"]["documentation"]["description"] == "Harvests, typed."
    engine = done["run"]["facets"]["processing_engine"]
    assert (engine["name"], engine["version"]) == ("dbt", "1.10.9")
    output = done["outputs"][0]
    assert output["facets"]["schema"]["fields"] == [
        {"name": "harvest_id", "type": "INTEGER", "description": "key"},
        {"name": "weight_kg", "type": "DOUBLE"},
    ]
    assert output["outputFacets"]["outputStatistics"]["rowCount"] == 3
    lineage = output["facets"]["columnLineage"]["fields"]
    assert lineage["harvest_id"]["inputFields"] == [
        {
            "namespace": NAMESPACE,
            "name": "greenhouse.raw.raw_harvests",
            "field": "harvest_id",
            "transformations": [{"type": "DIRECT"}],
        }
    ]
    assert lineage["weight_kg"]["inputFields"][0]["field"] == "weight_kg"
    seed_job = by_job(events)["greenhouse.raw_harvests"][1]["job"]["facets"]["jobType"]
    assert seed_job["jobType"] == "SEED"


def test_the_dagster_run_carries_the_engine_versions(events: list[dict[str, Any]]) -> None:
    start = by_job(events)["greenhouse_daily"][0]
    engine = start["run"]["facets"]["processing_engine"]
    assert (engine["name"], engine["version"]) == ("dagster", "1.12.0")
    assert start["job"]["facets"]["jobType"]["integration"] == "DAGSTER"
    tags = {t["key"]: t["value"] for t in start["run"]["facets"]["tags"]["tags"]}
    assert tags == {
        "dagster.version": "1.12.0",
        "dbt-duckdb.version": "1.10.0",
        "dbt.version": "1.10.9",
    }
    failed = by_job(events)["greenhouse_daily"][1]
    assert failed["run"]["facets"]["errorMessage"]["message"] == "dbt: 1 failure(s)"


def test_failures_carry_the_database_message_and_aborts_say_why(
    events: list[dict[str, Any]],
) -> None:
    failed = by_job(events)["greenhouse.fct_harvests"][1]
    error = failed["run"]["facets"]["errorMessage"]
    assert (error["message"], error["programmingLanguage"]) == (DB_ERROR, "sql")
    aborted = by_job(events)["greenhouse.rpt_scorecard"][0]
    assert "errorMessage" not in aborted["run"]["facets"]
    assert outputs(aborted) == [(NAMESPACE, "greenhouse.marts.rpt_scorecard")]


def test_dbt_tests_are_data_quality_assertions_on_the_dataset(
    events: list[dict[str, Any]],
) -> None:
    start, done = by_job(events)["greenhouse.stg_harvests.test"]
    assert done["job"]["facets"]["jobType"]["jobType"] == "TEST"
    assert done["outputs"] == []
    [tested] = done["inputs"]
    assert (tested["namespace"], tested["name"]) == (NAMESPACE, "greenhouse.staging.stg_harvests")
    assertions = tested["inputFacets"]["dataQualityAssertions"]["assertions"]
    assert tested["facets"]["dataQualityAssertions"]["assertions"] == assertions
    assert assertions == [
        {
            "assertion": "unique",
            "success": True,
            "name": "unique_stg_harvests_harvest_id",
            "severity": "error",
            "column": "harvest_id",
            "actual": "0",
        },
        {
            "assertion": "singular",
            "success": False,
            "name": "weight_positive",
            "severity": "warn",
            "actual": "2",
        },
    ]
    assert start["run"]["runId"] == done["run"]["runId"]


def test_an_error_severity_test_failure_fails_the_test_run(receiver: Receiver) -> None:
    observer = OpenLineageObserver(http(receiver.url))
    observer.node_tested(
        RUN,
        FACT,
        (DataTestOutcome("test.greenhouse.nn.3c", "nn", passed=False, message="Got 1 result"),),
    )
    observer.flush(10)
    assert [e["eventType"] for e in receiver.events] == ["START", "FAIL"]
    assert receiver.events[1]["run"]["facets"]["errorMessage"]["message"] == "nn: Got 1 result"


def test_a_node_finished_without_its_start_starts_at_dbts_own_time(receiver: Receiver) -> None:
    """A node whose start was reported elsewhere (or not at all) still pairs START and end."""
    observer = OpenLineageObserver(http(receiver.url))
    observer.node_finished(RUN, STAGING, NodeResult("success", "success", at(7), at(9)))
    observer.flush(10)
    assert [(e["eventType"], e["eventTime"]) for e in receiver.events] == [
        ("START", at(7).isoformat()),
        ("COMPLETE", at(9).isoformat()),
    ]


def test_job_names_are_stable_and_meaningful() -> None:
    assert node_job_name(RUN, STAGING) == "greenhouse.stg_harvests"
    versioned = NodeRun("model.greenhouse.orders.v2", "orders", "model")
    assert node_job_name(RUN, versioned) == "greenhouse.orders.v2"
    from_package = NodeRun("model.dbt_utils.date_spine", "date_spine", "model")
    assert node_job_name(RUN, from_package) == "greenhouse.dbt_utils.date_spine"
    anonymous = RunContext(run_id=RUN.run_id, job_name="__ASSET_JOB")
    assert node_job_name(anonymous, STAGING) == "greenhouse.stg_harvests"
    # A product named unlike its dbt project keeps its own name, once.
    hyphenated = RunContext(RUN.run_id, "customer_360_job", "customer-360", dbt_project="crm")
    customers = NodeRun("model.crm.stg_customers", "stg_customers", "model")
    assert node_job_name(hyphenated, customers) == "customer-360.stg_customers"
    assert node_job_name(hyphenated, from_package) == "customer-360.dbt_utils.date_spine"


def test_a_second_start_of_the_same_run_is_not_reported_twice(receiver: Receiver) -> None:
    observer = OpenLineageObserver(http(receiver.url))
    observer.run_started(RUN)
    observer.run_started(RUN)  # another dbt step of the same run, in this process
    observer.run_finished(RUN, failed=False)
    assert [e["eventType"] for e in receiver.events] == ["START", "COMPLETE"]


def test_from_the_artifacts_a_bare_endpoint_posts_to_the_lineage_api(receiver: Receiver) -> None:
    observer = OpenLineageObserver.from_observability(
        ObservabilityConfig(lineage_namespace="greenhouse", lineage_endpoint=receiver.url),
        environ={},
    )
    observer.run_started(RUN)
    observer.run_finished(RUN, failed=False)
    assert receiver.paths == ["/api/v1/lineage", "/api/v1/lineage"]
    assert {e["job"]["namespace"] for e in receiver.events} == {"greenhouse"}


def test_nothing_configured_sends_nothing_and_bad_records_never_raise(
    receiver: Receiver, lineage_logs: pytest.LogCaptureFixture
) -> None:
    OpenLineageObserver.from_observability(None, environ={}, cwd="/nonexistent").run_started(RUN)
    observer = OpenLineageObserver(http(receiver.url))
    observer.node_started(RUN, None, at(1))  # type: ignore[arg-type]
    observer.node_finished(RUN, STAGING, "not a result")  # type: ignore[arg-type]
    observer.node_tested(RUN, STAGING, None)  # type: ignore[arg-type]
    observer.flush(10)
    assert receiver.requests == 0
    assert warnings_from_us(lineage_logs) == []


def test_an_unreachable_backend_is_reported_once_at_the_end_of_the_run_with_counts(
    lineage_logs: pytest.LogCaptureFixture,
) -> None:
    observer = OpenLineageObserver(http(f"http://127.0.0.1:{refused_port()}", namespace="down"))
    report_a_run(observer)
    warnings = warnings_from_us(lineage_logs)
    assert len(warnings) == 1, [w.getMessage() for w in warnings]
    message = warnings[0].getMessage()
    assert "11 event(s) not delivered" in message
    assert "sent=0 failed=11 dropped=0 queued=0" in message
    assert "connection refused" in message
    assert warnings[0].levelno == logging.WARNING
    observer.close()
    assert len(warnings_from_us(lineage_logs)) == 1  # nothing new at close: not said twice


def test_the_file_and_console_transports_write_the_same_valid_events(
    tmp_path: Path, spec: SpecValidator, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "lineage.jsonl"
    report_a_run(OpenLineageObserver(LineageConfig(transport="file", endpoint=str(path))))
    written = [json.loads(line) for line in path.read_text().splitlines()]
    assert len(written) == 11
    spec.check(written)
    caplog.set_level(logging.INFO, logger="openlineage")
    console = OpenLineageObserver(LineageConfig(namespace="console", transport="console"))
    report_a_run(console)
    printed = [
        json.loads(r.getMessage()) for r in caplog.records if r.name.startswith("openlineage")
    ]
    assert [e["eventType"] for e in printed] == [e["eventType"] for e in written]
    spec.check(printed)
