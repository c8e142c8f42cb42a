"""Cron and IANA timezone validation that agrees with Dagster, DST included.

Verdicts and fire times come from the installed Dagster's own schedule code, so what validates
here is what ``ScheduleDefinition`` accepts and what its scheduler runs.
"""

from .__about__ import __version__
from ._book import ScheduleBook, ScheduledJob
from ._cron import CRON_FIELDS, CronField, accepted_macros, check_cron, validate_cron
from ._errors import (
    CRON_FORMAT_HELP,
    InvalidCronError,
    InvalidTimezoneError,
    ScheduleValidationError,
)
from ._preview import MAX_PREVIEW, preview_fire_times
from ._schedule import build_schedule, schedule_name, validate_schedule
from ._timezone import check_timezone, closest_timezones, validate_timezone

__all__ = [
    "CRON_FIELDS",
    "CRON_FORMAT_HELP",
    "MAX_PREVIEW",
    "CronField",
    "InvalidCronError",
    "InvalidTimezoneError",
    "ScheduleBook",
    "ScheduleValidationError",
    "ScheduledJob",
    "__version__",
    "accepted_macros",
    "build_schedule",
    "check_cron",
    "check_timezone",
    "closest_timezones",
    "preview_fire_times",
    "schedule_name",
    "validate_cron",
    "validate_schedule",
    "validate_timezone",
]
