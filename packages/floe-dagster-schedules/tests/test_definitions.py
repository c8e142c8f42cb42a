"""Schedules in Definitions: they load, target a job that exists, and that job runs."""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from pathlib import Path

import pytest
from dagster import (
    AssetKey,
    DagsterInstance,
    DagsterInvalidDefinitionError,
    DefaultScheduleStatus,
    Definitions,
    RunRequest,
    asset,
    build_schedule_context,
    define_asset_job,
)

from floe_dagster_schedules import (
    InvalidCronError,
    ScheduleValidationError,
    build_schedule,
    preview_fire_times,
    schedule_name,
)

from ._oracle import load_repository, loaded_fire_times


@pytest.fixture
def assets(tmp_path: Path) -> list[object]:
    """Two assets that leave a file behind when they run."""

    @asset
    def orders() -> None:
        (tmp_path / "orders").write_text("materialized")

    @asset(deps=[orders])
    def revenue() -> None:
        (tmp_path / "revenue").write_text("materialized")

    return [orders, revenue]


def test_schedule_name_is_predictable() -> None:
    assert schedule_name("nightly") == "nightly_schedule"
    assert build_schedule("nightly", "@daily", "UTC").name == "nightly_schedule"


def test_a_schedule_for_an_existing_job_loads_and_its_job_runs(
    assets: list[object], tmp_path: Path
) -> None:
    schedule = build_schedule("nightly", "30 1 * * *", "America/New_York")
    defs = Definitions(
        assets=assets,  # type: ignore[arg-type]
        jobs=[define_asset_job("nightly", selection="*")],
        schedules=[schedule],
    )
    Definitions.validate_loadable(defs)
    repository = defs.get_repository_def()
    loaded = repository.get_schedule_def("nightly_schedule")
    assert loaded.job_name == "nightly"
    assert loaded.cron_schedule == "30 1 * * *"
    assert loaded.execution_timezone == "America/New_York"
    assert loaded.default_status == DefaultScheduleStatus.RUNNING

    # What the webserver loads: the schedule, its job, its timezone.
    remote = load_repository(defs)
    remote_schedule = remote.get_schedule("nightly_schedule")
    assert remote_schedule.job_name == "nightly"
    assert remote_schedule.execution_timezone == "America/New_York"
    assert remote.has_job("nightly")
    start = datetime(2024, 11, 1, tzinfo=timezone.utc)
    assert loaded_fire_times(remote, "nightly_schedule", start, 5) == preview_fire_times(
        "30 1 * * *", "America/New_York", 5, start=start
    )

    # A tick asks for a run of the job, and that job materializes the assets.
    with DagsterInstance.ephemeral() as instance:
        context = build_schedule_context(
            instance=instance,
            scheduled_execution_time=preview_fire_times(
                "30 1 * * *", "America/New_York", 1, start=start
            )[0],
        )
        (request,) = loaded.evaluate_tick(context).run_requests or []
        assert isinstance(request, RunRequest)
        result = repository.get_job(loaded.job_name).execute_in_process(
            instance=instance, run_config=request.run_config, tags=request.tags
        )
    assert result.success
    assert (tmp_path / "orders").read_text() == "materialized"
    assert (tmp_path / "revenue").read_text() == "materialized"


def test_a_schedule_for_a_missing_job_does_not_load(assets: list[object]) -> None:
    defs = Definitions(assets=assets, schedules=[build_schedule("ghost", "@daily", "UTC")])  # type: ignore[arg-type]
    with pytest.raises(DagsterInvalidDefinitionError, match="ghost"):
        Definitions.validate_loadable(defs)


def test_a_schedule_over_a_selection_brings_its_job(assets: list[object]) -> None:
    schedule = build_schedule(
        "refresh_orders", "0 */6 * * *", "Europe/London", selection=["orders"]
    )
    defs = Definitions(assets=assets, schedules=[schedule])  # type: ignore[arg-type]
    Definitions.validate_loadable(defs)
    job = defs.get_repository_def().get_job("refresh_orders")
    assert job.asset_layer.selected_asset_keys == {AssetKey("orders")}
    assert defs.get_repository_def().get_schedule_def("refresh_orders_schedule").job_name == (
        "refresh_orders"
    )


def test_options_reach_the_definition() -> None:
    schedule = build_schedule(
        "nightly",
        "@daily",
        "UTC",
        name="nightly_at_midnight",
        description="The nightly build",
        tags={"team": "data"},
        running=False,
    )
    assert schedule.name == "nightly_at_midnight"
    assert schedule.description == "The nightly build"
    assert schedule.tags == {"team": "data"}
    assert schedule.default_status == DefaultScheduleStatus.STOPPED


def test_every_problem_in_one_error_and_nothing_built() -> None:
    with pytest.raises(ScheduleValidationError) as caught:
        build_schedule(
            "nightly job",
            "0 0 * * * *",
            "Europe/Londn",
            name="class",
            tags={"x": 1},  # type: ignore[dict-item]
        )
    problems = caught.value.problems
    assert [p.split(" ")[0] for p in problems] == ["job_name", "name", "tags", "6", "timezone"]
    assert "'Europe/London'" in problems[-1]
    assert not isinstance(caught.value, InvalidCronError)


def test_only_a_bad_cron_gives_the_cron_error() -> None:
    with pytest.raises(InvalidCronError):
        build_schedule("nightly", "0 0 30 2 *", "UTC")


@pytest.mark.parametrize(
    ("options", "reason"),
    [
        ({"tags": {"dagster/not_a_system_tag": "1"}}, "reserved system prefix"),
        ({"selection": 42}, "selection argument must be"),
    ],
)
def test_what_dagster_refuses_is_reported_the_same_way(
    options: dict[str, object], reason: str
) -> None:
    with pytest.raises(ScheduleValidationError, match=reason):
        build_schedule("nightly", "@daily", "UTC", **options)  # type: ignore[arg-type]


def test_a_schedule_that_never_fires_is_built_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="floe_dagster_schedules"):
        schedule = build_schedule("never", "0 0 31 4 *", "UTC")
    assert schedule.cron_schedule == "0 0 31 4 *"
    assert any("never fires" in r.getMessage() for r in caplog.records)
    with caplog.at_level(logging.WARNING, logger="floe_dagster_schedules"):
        caplog.clear()
        build_schedule("often", "@daily", "UTC")
    assert caplog.records == []


def test_dagsters_own_warning_for_a_step_wider_than_its_field_reaches_the_caller() -> None:
    # */90 minutes is accepted by Dagster, which warns that it fires hourly; so do we.
    with pytest.warns(UserWarning, match="interval greater than the expected range"):
        schedule = build_schedule("often", "*/90 * * * *", "UTC")
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    times = preview_fire_times(schedule.cron_schedule, "UTC", 3, start=start)  # type: ignore[arg-type]
    assert [t.minute for t in times] == [0, 0, 0]
    assert [t.hour for t in times] == [0, 1, 2]
