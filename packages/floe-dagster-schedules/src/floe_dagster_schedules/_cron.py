"""Cron verdicts equal to Dagster's, and error messages that say which field is wrong.

The verdict is Dagster's own check (see ``_dagster``). When it refuses, we find out why by asking
the same check about each field alone (the others set to ``*``), then about pairs of fields: so
the field named in the message is one Dagster itself refuses, whatever its version accepts.
"""

from __future__ import annotations

import functools
import itertools
import re
from dataclasses import dataclass

from ._errors import InvalidCronError

__all__ = ["CRON_FIELDS", "CronField", "accepted_macros", "check_cron", "validate_cron"]


@dataclass(frozen=True)
class CronField:
    """One of the five fields: its name, its range, what it allows, and examples Dagster takes."""

    name: str
    low: int
    high: int
    allowed: str
    examples: tuple[str, ...]


CRON_FIELDS: tuple[CronField, ...] = (
    CronField("minute", 0, 59, "0-59", ("0", "30", "*/15", "0,30", "0-29/10")),
    CronField("hour", 0, 23, "0-23", ("2", "9-17", "*/6", "0,12")),
    CronField(
        "day-of-month",
        1,
        31,
        "1-31, or L for the last day of the month",
        ("1", "15", "L", "1,15", "1-7", "*/2"),
    ),
    CronField("month", 1, 12, "1-12 or JAN-DEC", ("1", "12", "JAN", "JAN-MAR", "*/3")),
    CronField(
        "day-of-week",
        0,
        7,
        "0-7 or SUN-SAT (0 and 7 are Sunday), or 5#2 for the second Friday of the month",
        ("0", "7", "1-5", "MON-FRI", "SAT,SUN", "5#2"),
    ),
)
_MACRO_CANDIDATES = (
    "@yearly",
    "@annually",
    "@monthly",
    "@weekly",
    "@daily",
    "@midnight",
    "@hourly",
    "@reboot",
)
_DAY_OF_MONTH, _MONTH, _DAY_OF_WEEK = 2, 3, 4
_NTH_WEEKDAY_MAX = 5
_DIGITS = re.compile(r"\d+")


def dagster_accepts_cron(cron: str) -> bool:
    # Imported on first use: importing dagster takes about a second, and timezone checks,
    # errors and ``import floe_dagster_schedules`` itself do not need it.
    from ._dagster import dagster_accepts_cron as accepts

    return accepts(cron)


@functools.cache
def accepted_macros() -> tuple[str, ...]:
    """The ``@`` macros the installed Dagster accepts (``@reboot`` has no fire time: never)."""
    return tuple(m for m in _MACRO_CANDIDATES if dagster_accepts_cron(m))


def check_cron(cron: object) -> list[str]:
    """Problems with ``cron`` as a Dagster schedule (empty when Dagster accepts it)."""
    if not isinstance(cron, str):
        return [f"cron must be a string, got {type(cron).__name__} {cron!r}"]
    if dagster_accepts_cron(cron):
        return []
    return _diagnose(cron)


def validate_cron(cron: str) -> str:
    """Return ``cron`` unchanged if Dagster's ``ScheduleDefinition`` accepts it.

    Raises :class:`InvalidCronError` (a ``ValueError``) naming the wrong field(s), what each
    allows, and the 5-field format with an example.
    """
    problems = check_cron(cron)
    if problems:
        raise InvalidCronError(f"invalid cron {cron!r}", problems, cron_help=True)
    return cron


def _accepts_fields(fields: dict[int, str]) -> bool:
    probe = [fields.get(i, "*") for i in range(len(CRON_FIELDS))]
    return dagster_accepts_cron(" ".join(probe))


def _diagnose(cron: str) -> list[str]:
    text = cron.strip()
    if not text:
        return ["cron is empty"]
    if text.startswith("@"):
        return [_macro_problem(text)]
    fields = text.split()
    if len(fields) != len(CRON_FIELDS):
        return [_field_count_problem(fields)]
    problems = [
        _field_problem(index, token)
        for index, token in enumerate(fields)
        if not _accepts_fields({index: token})
    ]
    if problems:
        return problems
    for first, second in itertools.combinations(range(len(fields)), 2):
        if not _accepts_fields({first: fields[first], second: fields[second]}):
            problems.append(_pair_problem(first, second, fields))
    if problems:
        return problems
    return [f"the fields {fields} are each valid but Dagster refuses them together"]


def _macro_problem(text: str) -> str:
    allowed = ", ".join(accepted_macros())
    if text.lower() in accepted_macros():
        return f"the macro {text!r} must be the whole cron, without spaces around it"
    return f"{text.split(maxsplit=1)[0]!r} is not a macro Dagster accepts (allowed: {allowed})"


def _field_count_problem(fields: list[str]) -> str:
    problem = (
        f"{len(fields)} field{'s' if len(fields) != 1 else ''} found, Dagster needs exactly 5 "
        "(no seconds and no year field)"
    )
    if len(fields) == len(CRON_FIELDS) + 1:
        without_seconds = " ".join(fields[1:])
        without_year = " ".join(fields[:-1])
        if dagster_accepts_cron(without_seconds):
            problem += f"; without the leading seconds field it would be {without_seconds!r}"
        elif dagster_accepts_cron(without_year):
            problem += f"; without the trailing year field it would be {without_year!r}"
    return problem


def _field_problem(index: int, token: str) -> str:
    field = CRON_FIELDS[index]
    hint = _hint(index, token)
    return (
        f"{field.name} (field {index + 1}) is {token!r}"
        + (f": {hint}" if hint else "")
        + f"; allowed: {field.allowed}"
    )


def _pair_problem(first: int, second: int, fields: list[str]) -> str:
    a, b = CRON_FIELDS[first], CRON_FIELDS[second]
    problem = (
        f"{a.name} (field {first + 1}) {fields[first]!r} and {b.name} (field {second + 1}) "
        f"{fields[second]!r} are each valid but Dagster refuses them together"
    )
    if (first, second) == (_DAY_OF_MONTH, _MONTH):
        problem += ": that day never occurs in that month (such as February 30)"
    return problem


def _hint(index: int, token: str) -> str:
    """A more precise reason for a refused field, when one is easy to see."""
    upper = token.upper()
    if index == _DAY_OF_MONTH and "W" in upper:
        return "W (nearest weekday) is not supported by Dagster"
    if index == _DAY_OF_WEEK and "L" in upper:
        return "L (last weekday of the month, such as 5L) is not supported by Dagster"
    if "H" in upper and not re.search(r"[A-Z]{3}", upper):
        return "H (hashed values) is not supported by Dagster"
    return next(filter(None, (_item_hint(index, item) for item in token.split(","))), "")


def _item_hint(index: int, item: str) -> str:
    field = CRON_FIELDS[index]
    base, _, step = item.partition("/")
    if step == "0":
        return "a step of 0 never advances"
    if index == _DAY_OF_WEEK and "#" in base:
        base, _, nth = base.partition("#")
        if nth.isdigit() and not 1 <= int(nth) <= _NTH_WEEKDAY_MAX:
            return f"#{nth} is not a week of the month, which are #1 to #5"
    for number in _DIGITS.findall(base):
        if not field.low <= int(number) <= field.high:
            return f"{number} is outside {field.low}-{field.high}"
    return ""
