"""IANA timezone names that pytz lists and Dagster can load, with suggestions for typos."""

from __future__ import annotations

import difflib
import functools
import zoneinfo

import pytz

from ._errors import InvalidTimezoneError

__all__ = ["check_timezone", "closest_timezones", "validate_timezone"]

_ALLOWED = (
    "allowed: an IANA tz database name as listed by pytz.all_timezones, "
    "such as 'UTC', 'Europe/London' or 'America/New_York'"
)
_SUGGESTIONS = 3
_CUTOFF = 0.6


def check_timezone(timezone: object) -> list[str]:
    """Problems with ``timezone`` as a schedule's execution timezone (empty when valid).

    Valid means listed, with this exact spelling, in ``pytz.all_timezones`` (the seed's rule)
    and loadable by ``zoneinfo``, which is what Dagster's ``ScheduleDefinition`` checks. Other
    spellings that one of them tolerates (``utc``, or ``america/new_york`` on a
    case-insensitive file system) are refused with the canonical name as suggestion, so a
    schedule that validates here loads the same way on every machine.
    """
    if not isinstance(timezone, str):
        return [f"timezone must be a string, got {type(timezone).__name__} {timezone!r}"]
    if timezone in pytz.all_timezones_set:
        if _zoneinfo_loads(timezone):
            return []
        return [
            f"timezone {timezone!r} is an IANA name, but this system's tz database (used by "
            "Dagster through zoneinfo) does not have it; install or upgrade the tzdata package"
        ]
    canonical = _lowercase_names().get(timezone.lower())
    if canonical is not None and _zoneinfo_loads(canonical):
        return [f"timezone {timezone!r} is spelled {canonical!r} in the IANA tz database"]
    suggestions = closest_timezones(timezone)
    did_you_mean = f"; did you mean {', '.join(map(repr, suggestions))}?" if suggestions else ""
    return [f"timezone {timezone!r} is not an IANA timezone name{did_you_mean} ({_ALLOWED})"]


def validate_timezone(timezone: str) -> str:
    """Return ``timezone`` unchanged if it is a valid IANA name; raise with the closest ones."""
    problems = check_timezone(timezone)
    if problems:
        raise InvalidTimezoneError(f"invalid timezone {timezone!r}", problems)
    return timezone


def closest_timezones(name: str, limit: int = _SUGGESTIONS) -> list[str]:
    """Up to ``limit`` valid names closest to ``name``, best first.

    A case or spacing variant of a real name comes first (``america/new york``), then names
    similar as a whole (``America/New_Yrok``), then names whose city alone is similar
    (``New_Yrok``).
    """
    names = _lowercase_names()
    wanted = "_".join(name.strip().split()).lower()
    found: list[str] = []
    if wanted in names:
        found.append(names[wanted])
    found += [names[m] for m in difflib.get_close_matches(wanted, names, limit, _CUTOFF)]
    if "/" not in wanted:
        cities = _cities()
        for city in difflib.get_close_matches(wanted, cities, limit, _CUTOFF):
            found += cities[city]
    return list(dict.fromkeys(n for n in found if _zoneinfo_loads(n)))[:limit]


@functools.cache
def _lowercase_names() -> dict[str, str]:
    return {name.lower(): name for name in pytz.all_timezones}


@functools.cache
def _cities() -> dict[str, list[str]]:
    cities: dict[str, list[str]] = {}
    for name in pytz.all_timezones:
        if "/" in name:
            cities.setdefault(name.rsplit("/", 1)[1].lower(), []).append(name)
    return cities


@functools.cache
def _zoneinfo_loads(name: str) -> bool:
    try:
        zoneinfo.ZoneInfo(name)
    except Exception:
        # ZoneInfoNotFoundError for unknown keys, ValueError for malformed ones: Dagster wraps
        # any exception into "invalid execution timezone" alike.
        return False
    return True
