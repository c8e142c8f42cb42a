"""What a user reads when a cron or timezone is wrong, and that the help it gives is true."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from floe_dagster_schedules import (
    CRON_FIELDS,
    CRON_FORMAT_HELP,
    InvalidCronError,
    InvalidTimezoneError,
    ScheduleValidationError,
    accepted_macros,
    closest_timezones,
    preview_fire_times,
    validate_cron,
    validate_schedule,
    validate_timezone,
)

from ._oracle import dagster_accepts


@pytest.mark.parametrize(
    ("cron", "expected"),
    [
        ("0 0 32 * *", "day-of-month (field 3) is '32': 32 is outside 1-31"),
        ("60 * * * *", "minute (field 1) is '60': 60 is outside 0-59"),
        ("0 24 * * *", "hour (field 2) is '24': 24 is outside 0-23"),
        ("0 0 * 13 *", "month (field 4) is '13': 13 is outside 1-12"),
        ("0 0 * * 8", "day-of-week (field 5) is '8': 8 is outside 0-7"),
        ("0 0 15W * *", "W (nearest weekday) is not supported by Dagster"),
        ("0 0 * * 5L", "L (last weekday of the month, such as 5L) is not supported"),
        ("0 0 * * 1#6", "#6 is not a week of the month"),
        ("*/0 * * * *", "a step of 0 never advances"),
        ("H * * * *", "H (hashed values) is not supported"),
        ("0 0 * * * *", "6 fields found, Dagster needs exactly 5"),
        ("0 0 * * *  2030", "without the trailing year field it would be '0 0 * * *'"),
        ("30 0 0 * * *", "without the leading seconds field it would be '0 0 * * *'"),
        ("0 0 * *", "4 fields found"),
        ("@dayly", "'@dayly' is not a macro Dagster accepts (allowed: @yearly"),
        (" @daily", "the macro '@daily' must be the whole cron"),
        ("   ", "cron is empty"),
    ],
)
def test_cron_error_says_what_is_wrong(cron: str, expected: str) -> None:
    with pytest.raises(InvalidCronError) as caught:
        validate_cron(cron)
    message = str(caught.value)
    assert expected in message
    assert message.startswith(f"invalid cron {cron!r}")
    assert message.endswith(CRON_FORMAT_HELP)
    assert isinstance(caught.value, ValueError)


def test_every_wrong_field_is_listed() -> None:
    with pytest.raises(InvalidCronError) as caught:
        validate_cron("61 25 0 13 9")
    names = [p.split(" (field")[0] for p in caught.value.problems]
    assert names == [f.name for f in CRON_FIELDS]


def test_a_cron_that_is_not_a_string() -> None:
    with pytest.raises(InvalidCronError, match="cron must be a string, got int 5"):
        validate_cron(5)  # type: ignore[arg-type]


@pytest.mark.parametrize("index", range(len(CRON_FIELDS)))
def test_the_examples_we_give_are_accepted_by_dagster(index: int) -> None:
    for example in CRON_FIELDS[index].examples:
        fields = ["*"] * len(CRON_FIELDS)
        fields[index] = example
        assert dagster_accepts(cron=" ".join(fields)), (CRON_FIELDS[index].name, example)


def test_the_format_example_means_what_the_help_says() -> None:
    # "'30 2 * * 1-5' runs at 02:30 Monday to Friday"
    assert "'30 2 * * 1-5' runs at 02:30 Monday to Friday" in CRON_FORMAT_HELP
    times = preview_fire_times(
        "30 2 * * 1-5", "UTC", 10, start=datetime(2024, 1, 1, tzinfo=timezone.utc)
    )
    assert {(t.hour, t.minute) for t in times} == {(2, 30)}
    assert {t.isoweekday() for t in times} == {1, 2, 3, 4, 5}


def test_listed_macros_are_exactly_those_dagster_accepts() -> None:
    candidates = ["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"]
    assert list(accepted_macros()) == [m for m in candidates if dagster_accepts(cron=m)]
    assert "@reboot" not in accepted_macros()
    assert not dagster_accepts(cron="@reboot")


@pytest.mark.parametrize(
    ("typo", "best"),
    [
        ("America/New_Yrok", "America/New_York"),
        ("america/new_york", "America/New_York"),
        ("America/New York", "America/New_York"),
        ("New_York", "America/New_York"),
        ("london", "Europe/London"),
        ("Europe/Londn", "Europe/London"),
        ("utc", "UTC"),
        ("Asia/Tokio", "Asia/Tokyo"),
    ],
)
def test_timezone_error_suggests_the_closest_names(typo: str, best: str) -> None:
    assert closest_timezones(typo)[0] == best
    with pytest.raises(InvalidTimezoneError) as caught:
        validate_timezone(typo)
    assert repr(best) in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_timezone_error_without_anything_close() -> None:
    with pytest.raises(InvalidTimezoneError) as caught:
        validate_timezone("Mars/Olympus_Mons")
    (problem,) = caught.value.problems
    assert "did you mean" not in problem
    assert "'Europe/London'" in problem  # says what is allowed


def test_timezone_that_is_not_a_string() -> None:
    with pytest.raises(InvalidTimezoneError, match="timezone must be a string, got NoneType"):
        validate_timezone(None)  # type: ignore[arg-type]


def test_both_problems_in_one_error() -> None:
    with pytest.raises(ScheduleValidationError) as caught:
        validate_schedule("0 0 30 2 *", "America/New_Yrok")
    error = caught.value
    assert not isinstance(error, (InvalidCronError, InvalidTimezoneError))
    assert len(error.problems) == 2
    assert "day-of-month (field 3)" in error.problems[0]
    assert "'America/New_York'" in error.problems[1]
    assert str(error).endswith(CRON_FORMAT_HELP)


def test_one_problem_raises_the_specific_error() -> None:
    with pytest.raises(InvalidCronError):
        validate_schedule("0 0 30 2 *", "UTC")
    with pytest.raises(InvalidTimezoneError):
        validate_schedule("0 0 * * *", "Europe/Londn")
    assert validate_schedule("@daily", "Europe/London") == ("@daily", "Europe/London")
