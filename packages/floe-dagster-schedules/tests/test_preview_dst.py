"""Fire-time previews across DST, against the schedule as Dagster's webserver loads it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from croniter import croniter
from dagster import Definitions, asset
from dagster._core.remote_representation.external import RemoteRepository
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from floe_dagster_schedules import (
    ScheduleValidationError,
    build_schedule,
    preview_fire_times,
    schedule_name,
)

from ._oracle import load_repository, loaded_fire_times

# (zone, cron, start in UTC, expected fire times). Dagster's documented DST policy: a time that
# spring-forward skips fires at the end of the gap; a time that fall-back repeats fires once,
# at its second (standard-time) occurrence; schedules that fire every hour fire at both.
DST_CASES = [
    pytest.param(
        "America/New_York",
        "30 1 * * *",
        "2024-11-01T12:00:00+00:00",
        ["2024-11-02T01:30:00-04:00", "2024-11-03T01:30:00-05:00", "2024-11-04T01:30:00-05:00"],
        id="new-york-fall-back-daily-0130-once",
    ),
    pytest.param(
        "America/New_York",
        "0 * * * *",
        "2024-11-03T04:30:00+00:00",
        [
            "2024-11-03T01:00:00-04:00",
            "2024-11-03T01:00:00-05:00",
            "2024-11-03T02:00:00-05:00",
            "2024-11-03T03:00:00-05:00",
        ],
        id="new-york-fall-back-hourly-both",
    ),
    pytest.param(
        "America/New_York",
        "*/30 1-2 * * *",
        "2024-11-02T12:00:00+00:00",
        [
            "2024-11-03T01:00:00-05:00",
            "2024-11-03T01:30:00-05:00",
            "2024-11-03T02:00:00-05:00",
            "2024-11-03T02:30:00-05:00",
        ],
        id="new-york-fall-back-half-hourly-in-the-repeated-hour",
    ),
    pytest.param(
        "America/New_York",
        "30 2 * * *",
        "2024-03-08T12:00:00+00:00",
        ["2024-03-09T02:30:00-05:00", "2024-03-10T03:00:00-04:00", "2024-03-11T02:30:00-04:00"],
        id="new-york-spring-forward-daily-0230-at-0300",
    ),
    pytest.param(
        "America/New_York",
        "30 * * * *",
        "2024-03-10T05:00:00+00:00",
        ["2024-03-10T00:30:00-05:00", "2024-03-10T01:30:00-05:00", "2024-03-10T03:30:00-04:00"],
        id="new-york-spring-forward-hourly-skips",
    ),
    pytest.param(
        "Europe/London",
        "30 1 * * *",
        "2024-10-25T12:00:00+00:00",
        ["2024-10-26T01:30:00+01:00", "2024-10-27T01:30:00+00:00", "2024-10-28T01:30:00+00:00"],
        id="london-fall-back-daily-0130-once",
    ),
    pytest.param(
        "Europe/London",
        "0 * * * *",
        "2024-10-26T23:30:00+00:00",
        ["2024-10-27T01:00:00+01:00", "2024-10-27T01:00:00+00:00", "2024-10-27T02:00:00+00:00"],
        id="london-fall-back-hourly-both",
    ),
    pytest.param(
        "Europe/London",
        "30 1 * * *",
        "2024-03-29T12:00:00+00:00",
        ["2024-03-30T01:30:00+00:00", "2024-03-31T02:00:00+01:00", "2024-04-01T01:30:00+01:00"],
        id="london-spring-forward-daily-0130-at-0200",
    ),
    pytest.param(
        "Europe/London",
        "30 * * * *",
        "2024-03-31T00:00:00+00:00",
        ["2024-03-31T00:30:00+00:00", "2024-03-31T02:30:00+01:00", "2024-03-31T03:30:00+01:00"],
        id="london-spring-forward-hourly-skips",
    ),
]


@pytest.fixture(scope="module")
def dst_repository() -> RemoteRepository:
    """One schedule per DST case, loaded once as the webserver would."""
    schedules = [
        build_schedule(f"dst_{i}", str(case.values[1]), str(case.values[0]), selection="*")
        for i, case in enumerate(DST_CASES)
    ]
    return load_repository(Definitions(assets=[_asset], schedules=schedules))


@asset
def _asset() -> None:
    """A stand-in asset: the schedules' asset jobs need one to select."""


@pytest.mark.parametrize(("zone", "cron", "start", "expected"), DST_CASES)
def test_dst_preview(
    zone: str, cron: str, start: str, expected: list[str], dst_repository: RemoteRepository
) -> None:
    begin = datetime.fromisoformat(start)
    preview = preview_fire_times(cron, zone, len(expected), start=begin)
    assert [t.isoformat() for t in preview] == expected
    assert all(t.utcoffset() is not None for t in preview)
    # Wall-clock equal instants are told apart by their offsets, and time only moves forward.
    assert [t.timestamp() for t in preview] == sorted({t.timestamp() for t in preview})
    index = next(i for i, c in enumerate(DST_CASES) if c.values[:3] == (zone, cron, start))
    assert preview == loaded_fire_times(
        dst_repository, schedule_name(f"dst_{index}"), begin, len(expected)
    )


@pytest.mark.parametrize(
    ("zone", "night"),
    [("America/New_York", "2024-11-03"), ("Europe/London", "2024-10-27")],
)
def test_croniter_alone_runs_the_0130_schedule_twice_on_fall_back_night(
    zone: str, night: str
) -> None:
    start = datetime.fromisoformat(f"{night}T00:00:00").replace(tzinfo=ZoneInfo(zone))
    day_after = start + timedelta(days=1)
    alone = croniter("30 1 * * *", start)
    by_croniter = []
    while (tick := alone.get_next(datetime)) < day_after:
        by_croniter.append(tick)
    ours = [t for t in preview_fire_times("30 1 * * *", zone, 3, start=start) if t < day_after]
    assert len(by_croniter) == 2
    assert by_croniter[0].utcoffset() != by_croniter[1].utcoffset()
    assert len(ours) == 1
    assert ours[0].timestamp() == by_croniter[1].timestamp()  # the later, standard-time one


_ZONES = ["UTC", "America/New_York", "Europe/London", "Australia/Lord_Howe", "Asia/Kolkata"]
_CRONS = [
    "@daily",
    "@hourly",
    "@weekly",
    "@monthly",
    "0 0 L * *",
    "0 3 * * 0",
    "30 2 * * 1-5",
    "15,45 * * * *",
    "0 9-17/2 * * MON-FRI",
    "0 12 1,15 * *",
    "0 0 29 2 *",
    "0 2 * * 5#2",
    "*/20 1-3 * * *",
    "0 1 * JAN-MAR SAT,SUN",
]
_COMBOS = [(cron, zone) for cron in _CRONS for zone in _ZONES]


@pytest.fixture(scope="module")
def combo_repository() -> RemoteRepository:
    """Every cron of _CRONS in every zone of _ZONES, as one loaded repository."""
    schedules = [
        build_schedule(f"combo_{i}", cron, zone, selection="*")
        for i, (cron, zone) in enumerate(_COMBOS)
    ]
    return load_repository(Definitions(assets=[_asset], schedules=schedules))


@settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    index=st.integers(0, len(_COMBOS) - 1),
    start=st.datetimes(
        min_value=datetime(2020, 1, 1),
        max_value=datetime(2030, 12, 31),
        timezones=st.just(timezone.utc),
    ),
)
def test_preview_equals_the_loaded_schedule(
    index: int, start: datetime, combo_repository: RemoteRepository
) -> None:
    cron, zone = _COMBOS[index]
    preview = preview_fire_times(cron, zone, 8, start=start)
    assert len(preview) == 8
    assert preview[0] >= start
    assert preview == loaded_fire_times(combo_repository, schedule_name(f"combo_{index}"), start, 8)


def test_preview_starts_now_by_default() -> None:
    before = datetime.now(timezone.utc)
    (first,) = preview_fire_times("* * * * *", "UTC", 1)
    assert before - timedelta(minutes=1) < first <= before + timedelta(minutes=1)


def test_preview_reports_every_bad_argument() -> None:
    with pytest.raises(ScheduleValidationError) as caught:
        preview_fire_times("0 0 * * 8", "Europe/Londn", -1, start=datetime(2024, 1, 1))
    problems = caught.value.problems
    assert len(problems) == 4
    assert any(p.startswith("count is -1") for p in problems)
    assert any(p.startswith("start must be a timezone-aware datetime") for p in problems)
    assert any(p.startswith("day-of-week (field 5)") for p in problems)
    assert any("'Europe/London'" in p for p in problems)


def test_preview_of_nothing_is_empty_but_still_validated() -> None:
    assert preview_fire_times("@daily", "UTC", 0) == []
    with pytest.raises(ScheduleValidationError):
        preview_fire_times("@dayly", "UTC", 0)


def test_a_cron_dagster_accepts_but_never_fires() -> None:
    # April 31: Dagster's ScheduleDefinition accepts it, its scheduler finds no tick.
    with pytest.raises(ValueError, match="has no fire time") as caught:
        preview_fire_times("0 0 31 4 *", "UTC", 1, start=datetime(2024, 1, 1, tzinfo=timezone.utc))
    assert not isinstance(caught.value, ScheduleValidationError)
