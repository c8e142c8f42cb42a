"""Timezone verdicts against Dagster's ScheduleDefinition: every IANA name, and near misses."""

from __future__ import annotations

import pytest
import pytz
from hypothesis import given, settings
from hypothesis import strategies as st

from floe_dagster_schedules import InvalidTimezoneError, closest_timezones, validate_timezone

from ._oracle import dagster_accepts


def _ours(name: str) -> bool:
    try:
        assert validate_timezone(name) == name
    except InvalidTimezoneError:
        return False
    return True


def test_every_pytz_name_gets_dagsters_verdict() -> None:
    names = list(pytz.all_timezones)
    assert len(names) > 400
    disagreements = [n for n in names if _ours(n) != dagster_accepts(timezone=n)]
    assert disagreements == []
    assert sum(map(_ours, names)) > 400
    # Case alone never tells two names apart, so a case variant has one canonical spelling.
    assert len({n.lower() for n in names}) == len(names)


_edits = st.sampled_from(["lower", "upper", "drop", "swap", "space", "prefix"])


def _mangle(name: str, edit: str, at: int) -> str:
    i = at % max(len(name), 1)
    return {
        "lower": name.lower(),
        "upper": name.upper(),
        "drop": name[:i] + name[i + 1 :],
        "swap": name[:i] + name[i + 1 : i + 2] + name[i : i + 1] + name[i + 2 :],
        "space": name.replace("_", " "),
        "prefix": "Etc/" + name,
    }[edit]


@settings(max_examples=600, deadline=None, database=None)
@given(name=st.sampled_from(sorted(pytz.all_timezones)), edit=_edits, at=st.integers(0, 40))
def test_what_we_accept_dagster_accepts(name: str, edit: str, at: int) -> None:
    candidate = _mangle(name, edit, at)
    if _ours(candidate):
        assert dagster_accepts(timezone=candidate), candidate
        assert candidate in pytz.all_timezones_set
        return
    # A refused near miss of a real name always offers real names, the original first when
    # only case or spacing differ.
    suggestions = closest_timezones(candidate)
    assert suggestions, candidate
    assert all(_ours(s) for s in suggestions)
    if edit in {"lower", "upper", "space"}:
        assert suggestions[0] == name
    with pytest.raises(InvalidTimezoneError) as caught:
        validate_timezone(candidate)
    assert repr(suggestions[0]) in caught.value.problems[0]


def test_the_one_documented_difference_utc_in_lowercase() -> None:
    # Dagster special-cases "utc"; we ask for the IANA spelling so the name means the same to
    # pytz, zoneinfo and Dagster on every platform.
    assert dagster_accepts(timezone="utc")
    assert not _ours("utc")
    assert _ours("UTC")
