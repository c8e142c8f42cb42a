"""The next fire times of a schedule, as Dagster's scheduler computes them (DST included)."""

from __future__ import annotations

import itertools
from datetime import datetime
from datetime import timezone as _utc_module

from ._cron import check_cron
from ._schedule import raise_for_problems
from ._timezone import check_timezone

__all__ = ["MAX_PREVIEW", "preview_fire_times"]

MAX_PREVIEW = 10_000


def preview_fire_times(
    cron: str, timezone: str, count: int, *, start: datetime | None = None
) -> list[datetime]:
    """The first ``count`` fire times at or after ``start`` (default: now), in ``timezone``.

    Each is timezone-aware and carries its UTC offset, so the two 01:30s of a fall-back night
    are told apart. These are the times Dagster's own scheduler iterates, with its DST rules:
    a time skipped by spring-forward fires at the end of the gap (02:30 -> 03:00), a time
    repeated by fall-back fires once, at its second occurrence, except in schedules that fire
    every hour, which fire at both.

    Raises :class:`ScheduleValidationError` listing every problem with the arguments, and a
    ``ValueError`` when Dagster accepts the cron but it has no fire time (``0 0 31 4 *``).
    """
    other: list[str] = []
    if isinstance(count, bool) or not isinstance(count, int):
        other.append(f"count must be an int, got {type(count).__name__} {count!r}")
    elif not 0 <= count <= MAX_PREVIEW:
        other.append(f"count is {count}; allowed: 0 to {MAX_PREVIEW}")
    if start is not None and (not isinstance(start, datetime) or start.utcoffset() is None):
        other.append(
            f"start must be a timezone-aware datetime (such as datetime.now(timezone.utc)), "
            f"got {start!r}"
        )
    raise_for_problems(
        f"cannot preview schedule {cron!r} in {timezone!r}",
        cron=check_cron(cron),
        timezone=check_timezone(timezone),
        other=other,
    )

    from ._dagster import dagster_fire_times

    begin = start if start is not None else datetime.now(_utc_module.utc)
    times: list[datetime] = []
    fire_times = dagster_fire_times(cron, timezone, begin)
    try:
        times.extend(itertools.islice(fire_times, count))
    except (ValueError, OverflowError) as error:
        if times:
            raise ValueError(
                f"cron {cron!r} in {timezone!r} has only {len(times)} fire times after "
                f"{begin.isoformat()} before the end of the calendar Python can represent"
            ) from error
        raise ValueError(
            f"cron {cron!r} in {timezone!r} has no fire time after {begin.isoformat()}: it names "
            "a day that never occurs in its months; Dagster accepts it but never runs it"
        ) from error
    return times
