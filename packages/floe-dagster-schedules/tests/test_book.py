"""ScheduleBook: one schedule per job, the latest request wins, bad requests change nothing."""

from __future__ import annotations

import logging
import threading

import pytest
from dagster import Definitions, asset, define_asset_job

from floe_dagster_schedules import (
    InvalidTimezoneError,
    ScheduleBook,
    ScheduleValidationError,
)
from floe_orchestrator_contract import ScheduleSpec

LOGGER = "floe_dagster_schedules"


@asset
def orders() -> None:
    """A stand-in asset for the jobs below."""


def _defs(book: ScheduleBook, *jobs: str) -> Definitions:
    return Definitions(
        assets=[orders],
        jobs=[define_asset_job(job, selection="*") for job in jobs],
        schedules=book.definitions(),
    )


def test_added_schedules_reach_loadable_definitions() -> None:
    book = ScheduleBook()
    book.add("nightly", "30 1 * * *", "America/New_York")
    book.add("hourly", "@hourly", "UTC")
    assert len(book) == 2
    assert "nightly" in book
    assert book.job_names() == ["nightly", "hourly"]
    defs = _defs(book, "nightly", "hourly")
    Definitions.validate_loadable(defs)
    repository = defs.get_repository_def()
    assert {s.name: s.job_name for s in repository.schedule_defs} == {
        "nightly_schedule": "nightly",
        "hourly_schedule": "hourly",
    }


def test_scheduling_a_job_again_replaces_its_schedule(caplog: pytest.LogCaptureFixture) -> None:
    book = ScheduleBook()
    book.add("nightly", "30 1 * * *", "America/New_York")
    with caplog.at_level(logging.INFO, logger=LOGGER):
        replaced = book.add("nightly", "0 2 * * *", "Europe/London")
    assert [s.cron_schedule for s in book.definitions()] == ["0 2 * * *"]
    assert book.definitions() == [replaced]
    entry = book.get("nightly")
    assert entry is not None
    assert (entry.cron, entry.timezone) == ("0 2 * * *", "Europe/London")
    (record,) = [r for r in caplog.records if r.levelno == logging.INFO]
    message = record.getMessage()
    assert "replaced the schedule of job 'nightly'" in message
    assert "0 2 * * * in Europe/London" in message
    assert "was 30 1 * * * in America/New_York" in message
    Definitions.validate_loadable(_defs(book, "nightly"))


def test_the_same_request_again_changes_nothing(caplog: pytest.LogCaptureFixture) -> None:
    book = ScheduleBook()
    first = book.add("nightly", "@daily", "UTC", selection=["orders"], tags={"team": "data"})
    with caplog.at_level(logging.INFO, logger=LOGGER):
        again = book.add("nightly", "@daily", "UTC", selection=["orders"], tags={"team": "data"})
    assert again is first
    assert book.definitions() == [first]
    assert [r for r in caplog.records if r.levelno >= logging.INFO] == []


def test_a_bad_request_leaves_the_book_as_it_was() -> None:
    book = ScheduleBook()
    kept = book.add("nightly", "@daily", "UTC")
    with pytest.raises(InvalidTimezoneError):
        book.add("nightly", "@hourly", "Europe/Londn")
    assert book.definitions() == [kept]


def test_two_jobs_cannot_share_a_schedule_name() -> None:
    book = ScheduleBook()
    book.add("nightly", "@daily", "UTC", name="main")
    with pytest.raises(ScheduleValidationError, match=r"'main' .* already the schedule of job"):
        book.add("hourly", "@hourly", "UTC", name="main")
    assert book.job_names() == ["nightly"]


def test_add_all_takes_the_contracts_schedule_specs_and_mappings() -> None:
    book = ScheduleBook()
    definitions = book.add_all(
        [
            ScheduleSpec(job_name="nightly", cron="30 1 * * *", timezone="Europe/London"),
            {"job_name": "hourly", "cron": "@hourly", "timezone": "UTC", "running": False},
        ]
    )
    assert [d.name for d in definitions] == ["nightly_schedule", "hourly_schedule"]
    Definitions.validate_loadable(_defs(book, "nightly", "hourly"))


def test_entries_of_one_book_can_be_added_to_another() -> None:
    first = ScheduleBook()
    first.add("nightly", "30 1 * * *", "Europe/London", tags={"team": "ops"}, running=False)
    second = ScheduleBook()
    second.add_all(first.entries())
    assert second.entries() == first.entries()
    (definition,) = second.definitions()
    assert definition.tags == {"team": "ops"}


def test_add_all_is_all_or_nothing_and_lists_every_problem() -> None:
    book = ScheduleBook()
    with pytest.raises(ScheduleValidationError) as caught:
        book.add_all(
            [
                ScheduleSpec(job_name="nightly", cron="30 1 * * *", timezone="Europe/London"),
                ScheduleSpec(job_name="weekly", cron="0 0 * * 8", timezone="UTC"),
                {"job_name": "hourly", "cron": "@hourly", "timezone": "Mars/Base"},
                {"job_name": "incomplete"},
            ]
        )
    problems = caught.value.problems
    assert len(problems) == 3
    assert problems[0].startswith("schedules[1] (job 'weekly'): day-of-week (field 5)")
    assert problems[1].startswith("schedules[2] (job 'hourly'): timezone 'Mars/Base'")
    assert problems[2] == "schedules[3]: missing cron, timezone"
    assert "A cron has 5 fields" in str(caught.value)
    assert len(book) == 0


def test_two_schedules_for_one_job_in_one_batch_are_refused_like_duplicate_names() -> None:
    book = ScheduleBook()
    book.add("nightly", "0 2 * * *", "UTC")
    with pytest.raises(ScheduleValidationError) as caught:
        book.add_all(
            [
                ScheduleSpec(job_name="nightly", cron="30 1 * * *", timezone="Europe/London"),
                ScheduleSpec(job_name="hourly", cron="@hourly", timezone="UTC"),
                ScheduleSpec(job_name="nightly", cron="0 3 * * *", timezone="UTC"),
            ]
        )
    assert caught.value.problems == (
        "schedules[2].job_name: 'nightly' duplicates schedules[0] (allowed: one schedule per job)",
    )
    # Nothing changed: the earlier schedule of the job stays, the valid one was not added.
    assert [(e.job_name, e.cron) for e in book.entries()] == [("nightly", "0 2 * * *")]


def test_remove() -> None:
    book = ScheduleBook()
    book.add("nightly", "@daily", "UTC")
    assert book.remove("nightly")
    assert not book.remove("nightly")
    assert book.definitions() == []


def test_concurrent_requests_leave_one_schedule_per_job() -> None:
    book = ScheduleBook()
    crons = ["@daily", "@hourly", "0 3 * * *", "*/15 * * * *"]

    def schedule(worker: int) -> None:
        for i in range(20):
            book.add(f"job_{i % 5}", crons[(worker + i) % len(crons)], "UTC")

    threads = [threading.Thread(target=schedule, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(book.job_names()) == [f"job_{i}" for i in range(5)]
    assert len(book.definitions()) == 5
    assert all(e.definition.cron_schedule == e.cron for e in book)


def test_namespaced_books_of_two_products_merge_into_one_definitions() -> None:
    """Each product's jobs and schedules carry its name, so two products' Definitions merge;
    a name that already starts with the product (floe's `<product>_job`) is kept."""
    book = ScheduleBook()
    book.add("daily", "0 6 * * *", "Europe/Amsterdam")
    book.add("greenhouse_job", "@hourly", "UTC", name="greenhouse_hourly")
    book.add("weekly", "0 7 * * 1", "UTC", name="weekly_report", tags={"team": "growers"})

    greenhouse = book.namespaced("greenhouse")
    customers = book.namespaced("customer_360")

    assert greenhouse.job_names() == ["greenhouse_daily", "greenhouse_job", "greenhouse_weekly"]
    assert customers.job_names() == [
        "customer_360_daily",
        "customer_360_greenhouse_job",
        "customer_360_weekly",
    ]
    weekly = customers.get("customer_360_weekly")
    assert weekly is not None
    assert (weekly.name, weekly.cron, weekly.timezone) == (
        "customer_360_weekly_report",
        "0 7 * * 1",
        "UTC",
    )
    assert dict(weekly.tags) == {"team": "growers"}
    assert book.job_names() == ["daily", "greenhouse_job", "weekly"]  # the original is unchanged

    merged = Definitions.merge(
        _defs(greenhouse, *greenhouse.job_names()), _defs(customers, *customers.job_names())
    )
    Definitions.validate_loadable(merged)
    schedules = {s.name: s.job_name for s in merged.schedules or []}
    assert schedules == {
        "greenhouse_daily_schedule": "greenhouse_daily",
        "greenhouse_hourly": "greenhouse_job",
        "greenhouse_weekly_report": "greenhouse_weekly",
        "customer_360_daily_schedule": "customer_360_daily",
        "customer_360_greenhouse_hourly": "customer_360_greenhouse_job",
        "customer_360_weekly_report": "customer_360_weekly",
    }
