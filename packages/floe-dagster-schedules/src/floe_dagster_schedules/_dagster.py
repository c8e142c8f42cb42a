"""The two Dagster functions this package defers to, kept in one place.

``is_valid_cron_schedule`` is the check ``ScheduleDefinition.__init__`` runs on its cron, and
``schedule_execution_time_iterator`` is what Dagster's scheduler and webserver iterate
(``RemoteSchedule.execution_time_iterator``). Deferring to them, rather than re-deriving their
rules from croniter, is what makes our verdicts and previews equal to the *installed* Dagster's:
both changed between 1.12 and 1.13 (its vendored croniter, its DST iteration). They are private,
which is why the dagster requirement has an upper bound and both ends of it are tested; the
differential test compares the verdict with the public ``ScheduleDefinition`` constructor.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from dagster._utils.schedules import is_valid_cron_schedule, schedule_execution_time_iterator

__all__ = ["dagster_accepts_cron", "dagster_fire_times"]


def dagster_accepts_cron(cron: str) -> bool:
    """Whether ``ScheduleDefinition(cron_schedule=cron, ...)`` passes its cron check."""
    try:
        return bool(is_valid_cron_schedule(cron))
    except Exception:
        # Anything the check raises also aborts ScheduleDefinition's constructor: a refusal.
        return False


def dagster_fire_times(cron: str, timezone: str, start: datetime) -> Iterator[datetime]:
    """Dagster's own fire times for a valid ``cron`` in ``timezone``, at or after ``start``."""
    return schedule_execution_time_iterator(start.timestamp(), cron, timezone)
