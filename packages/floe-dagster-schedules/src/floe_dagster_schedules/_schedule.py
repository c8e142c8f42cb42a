"""Dagster ``ScheduleDefinition``s for floe jobs: validated first, named predictably."""

from __future__ import annotations

import keyword
import logging
import re
from collections.abc import Mapping
from datetime import datetime
from datetime import timezone as _datetime_timezone
from typing import TYPE_CHECKING, Any

from ._cron import check_cron
from ._errors import InvalidCronError, InvalidTimezoneError, ScheduleValidationError
from ._timezone import check_timezone

if TYPE_CHECKING:
    from dagster import ScheduleDefinition

__all__ = [
    "build_schedule",
    "check_name",
    "raise_for_problems",
    "schedule_name",
    "validate_schedule",
]

logger = logging.getLogger(__name__)

# Dagster's rule for definition names (dagster._core.definitions.utils.check_valid_name).
_NAME = re.compile(r"[A-Za-z0-9_]+")
_RESERVED = frozenset(
    [
        "context",
        "conf",
        "config",
        "meta",
        "arg_dict",
        "dict",
        "input_arg_dict",
        "output_arg_dict",
        "int",
        "str",
        "float",
        "bool",
        "input",
        "output",
        "type",
        *keyword.kwlist,
    ]
)
_NAME_RULE = "letters, digits and underscores, not a Python keyword or Dagster reserved name"


def schedule_name(job_name: str) -> str:
    """The name of the schedule of ``job_name``: ``<job_name>_schedule`` (Dagster's default)."""
    return f"{job_name}_schedule"


def check_name(value: object, what: str) -> list[str]:
    """Problems with ``value`` as a Dagster job or schedule name (empty when valid)."""
    if not isinstance(value, str):
        return [f"{what} must be a string, got {type(value).__name__} {value!r}"]
    if not _NAME.fullmatch(value) or value in _RESERVED:
        return [f"{what} {value!r} is not a valid Dagster name (allowed: {_NAME_RULE})"]
    return []


def validate_schedule(cron: str, timezone: str) -> tuple[str, str]:
    """Return ``(cron, timezone)`` if both are valid; otherwise raise listing every problem.

    Raises :class:`InvalidCronError` or :class:`InvalidTimezoneError` when only one is wrong,
    and :class:`ScheduleValidationError` (their base) when both are.
    """
    raise_for_problems(
        f"invalid schedule {cron!r} in {timezone!r}",
        cron=check_cron(cron),
        timezone=check_timezone(timezone),
    )
    return cron, timezone


def raise_for_problems(
    subject: str, *, cron: list[str], timezone: list[str], other: list[str] | None = None
) -> None:
    """Raise the most specific error that covers all the problems given, if there are any."""
    other = other or []
    if not (cron or timezone or other):
        return
    if cron and not (timezone or other):
        raise InvalidCronError(subject, cron, cron_help=True)
    if timezone and not (cron or other):
        raise InvalidTimezoneError(subject, timezone)
    raise ScheduleValidationError(subject, [*other, *cron, *timezone], cron_help=bool(cron))


def build_schedule(
    job_name: str,
    cron: str,
    timezone: str,
    *,
    selection: Any = None,
    name: str | None = None,
    description: str | None = None,
    tags: Mapping[str, str] | None = None,
    running: bool = True,
) -> ScheduleDefinition:
    """A ``ScheduleDefinition`` that runs ``job_name`` on ``cron`` in ``timezone``.

    Without ``selection`` the schedule targets the job named ``job_name``, which the
    ``Definitions`` it goes into must contain (Dagster refuses to load them otherwise). With
    ``selection`` (anything ``define_asset_job`` takes: asset keys, ``AssetSelection``, ``"*"``)
    the schedule brings its own asset job named ``job_name``. The schedule is named
    :func:`schedule_name` of the job unless ``name`` is given, and starts ``RUNNING`` unless
    ``running=False``: scheduling a job means it should run.

    Every problem with the arguments is reported in one :class:`ScheduleValidationError`.
    """
    problems = check_name(job_name, "job_name")
    if name is not None:
        problems += check_name(name, "name")
    given: object = description  # callers without type checking pass anything
    if given is not None and not isinstance(given, str):
        problems.append(f"description must be a string, got {type(given).__name__}")
    if tags is not None and not (
        isinstance(tags, Mapping)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in tags.items())
    ):
        problems.append(f"tags must map strings to strings, got {tags!r}")
    raise_for_problems(
        f"invalid schedule for job {job_name!r}",
        cron=check_cron(cron),
        timezone=check_timezone(timezone),
        other=problems,
    )

    from dagster import DagsterError, DefaultScheduleStatus, ScheduleDefinition, define_asset_job
    from dagster._check import CheckError

    status = DefaultScheduleStatus.RUNNING if running else DefaultScheduleStatus.STOPPED
    try:
        if selection is None:
            target: dict[str, Any] = {"job_name": job_name}
        else:
            target = {"job": define_asset_job(name=job_name, selection=selection)}
        schedule = ScheduleDefinition(
            name=name or schedule_name(job_name),
            cron_schedule=cron,
            execution_timezone=timezone,
            description=description,
            tags=dict(tags) if tags is not None else None,
            default_status=status,
            **target,
        )
    except (DagsterError, CheckError) as error:
        # What only Dagster knows how to judge: a bad selection, reserved tag keys, ...
        raise ScheduleValidationError(
            f"invalid schedule for job {job_name!r}", [f"Dagster refused it: {error}"]
        ) from error
    _warn_if_never_fires(cron, timezone)
    return schedule


def _warn_if_never_fires(cron: str, tz: str) -> None:
    """Dagster accepts crons such as ``0 0 31 4 *`` (April 31), whose scheduler finds no tick."""
    from ._dagster import dagster_fire_times

    try:
        next(dagster_fire_times(cron, tz, datetime.now(_datetime_timezone.utc)))
    except ValueError:
        logger.warning(
            "cron %r in %s never fires (a day that does not occur in its months); Dagster accepts "
            "it but its scheduler will find no tick",
            cron,
            tz,
        )
