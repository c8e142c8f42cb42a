"""Our cron verdict against Dagster's ScheduleDefinition, on thousands of generated crons."""

from __future__ import annotations

import os
from collections import Counter

import pytest
from croniter import croniter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from floe_dagster_schedules import CRON_FIELDS, CRON_FORMAT_HELP, InvalidCronError, validate_cron

from ._oracle import dagster_accepts

EXAMPLES = int(os.environ.get("FLOE_HYPOTHESIS_EXAMPLES", "3000"))

_numbers = st.integers(0, 99).map(str)
_names = st.sampled_from(
    ["jan", "FEB", "Mar", "dec", "mon", "TUE", "sun", "sat", "thu", "foo", "janu", "x"]
)
_specials = st.sampled_from(
    ["*", "?", "L", "l", "W", "LW", "H", "H(0-5)", "5L", "15W", "1#2", "5#5", "1#6", "mon#2"]
)
# Feb 30/31 and friends: the combinations croniter accepts and Dagster refuses.
_february = st.sampled_from(["2", "feb", "2/12", "*/12", "2,2", "2-2", "1-2", "2,3"])
_late_days = st.sampled_from(["28", "29", "30", "31", "30,31", "L", "31/5"])
_atoms = st.one_of(_numbers, _names, _specials, _late_days)
_ranges = st.builds("{}-{}".format, _atoms, _atoms)
_steps = st.builds(
    "{}/{}".format, st.one_of(st.just("*"), _atoms, _ranges), st.integers(0, 100).map(str)
)
_fields = st.lists(st.one_of(_atoms, _ranges, _steps), min_size=1, max_size=3).map(",".join)


def _weighted(*choices: tuple[int, st.SearchStrategy[str]]) -> st.SearchStrategy[str]:
    """One of ``choices``, each drawn in proportion to its weight."""
    slots = [strategy for weight, strategy in choices for _ in range(weight)]
    return st.integers(0, len(slots) - 1).flatmap(lambda i: slots[i])


def _field(index: int) -> st.SearchStrategy[str]:
    """Mostly well-formed values of one field (in range, names, ranges, steps, lists)."""
    spec = CRON_FIELDS[index]
    number = st.integers(spec.low, spec.high).map(str)
    item = st.one_of(
        number,
        st.builds("{}-{}".format, number, number),
        st.builds("{}/{}".format, st.sampled_from(["*", *spec.examples[:2]]), st.integers(1, 70)),
        st.sampled_from(spec.examples),
    )
    extra = {2: _late_days, 3: _february}.get(index, st.nothing())
    wellformed = st.lists(item, min_size=1, max_size=3).map(",".join)
    # About one field in fifteen is odd, so roughly half the crons are valid.
    return _weighted((13, wellformed), (1, extra), (1, _fields))


_plausible = st.tuples(*(_field(i) for i in range(len(CRON_FIELDS)))).map(" ".join)
_any_count = st.lists(_fields, min_size=0, max_size=8).map(" ".join)
_seconds_or_years = st.builds(
    "{} {}".format, _plausible, st.sampled_from(["0", "*", "2030", "*/5"])
) | st.builds("{} {}".format, st.sampled_from(["0", "*/10", "30"]), _plausible)
_macros = st.sampled_from(
    [
        *("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"),
        *("@reboot", "@every 5m", "@DAILY", "@Hourly", " @daily", "@daily ", "@dayly", "@"),
        "daily",
    ]
)
_junk = st.text(alphabet="0123456789*/,-#?LWHlw@jamon \t", max_size=24)
CRONS = _weighted(
    (6, _plausible), (1, _any_count), (1, _seconds_or_years), (1, _macros), (1, _junk)
)


def _our_verdict(cron: str) -> bool:
    try:
        result = validate_cron(cron)
    except InvalidCronError as caught:
        error = caught
    else:
        assert result == cron
        return True
    # A refusal always explains itself: at least one problem, the format, the cron.
    assert error.problems
    assert CRON_FORMAT_HELP in str(error)
    assert repr(cron) in str(error)
    return False


def test_verdict_equals_dagsters_on_generated_crons() -> None:
    verdicts: Counter[bool] = Counter()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(cron=CRONS)
    def agree(cron: str) -> None:
        theirs = dagster_accepts(cron=cron)
        assert _our_verdict(cron) == theirs, cron
        verdicts[theirs] += 1

    agree()
    print(f"verdicts: {dict(verdicts)}")
    # The generator must exercise both sides, or agreement would prove little.
    assert verdicts[True] >= EXAMPLES // 10, verdicts
    assert verdicts[False] >= EXAMPLES // 10, verdicts


# Forms the issue names, with the verdict Dagster 1.12 and 1.13 give and croniter's own.
KNOWN = [
    ("0 0 * * *", True, True),
    ("@daily", True, True),
    ("@hourly", True, True),
    ("@yearly", True, True),
    ("0 0 L * *", True, True),
    ("0 9 * * 1#2", True, True),
    ("0 9 * jan-mar mon-fri", True, True),
    ("0 0 ? * *", True, True),
    ("*/90 * * * *", True, True),
    ("0 0 29 2 *", True, True),
    ("0 0 * * * *", False, True),  # six fields (seconds): croniter takes it, Dagster does not
    ("0 0 15W * *", False, True),  # W: croniter takes it, Dagster does not
    ("0 0 30 2 *", False, True),  # February 30 never occurs: croniter takes it
    ("0 0 31 feb *", False, True),
    ("0 0 30 2 1", False, True),
    ("0 0 * * 5L", False, False),
    ("@reboot", False, False),
    ("60 * * * *", False, False),
    ("0 0 1 1 * 2030 1", False, False),
    ("", False, False),
]


@pytest.mark.parametrize(("cron", "dagster", "croniter_alone"), KNOWN)
def test_known_forms(cron: str, dagster: bool, croniter_alone: bool) -> None:
    assert dagster_accepts(cron=cron) is dagster
    assert _our_verdict(cron) is dagster
    assert croniter.is_valid(cron) is croniter_alone


_BAD_TOKENS = [
    ("minute", ["60", "99", "x", "1-", "*/0", "5#2", "L", "0-60"]),
    ("hour", ["24", "30", "x", "*/0", "H", "1-24"]),
    ("day-of-month", ["0", "32", "15W", "LW", "x", "1-32", "W"]),
    ("month", ["0", "13", "x", "janu", "*/0", "1-13"]),
    ("day-of-week", ["8", "5L", "L", "1#6", "x", "mon#9", "0-8"]),
]


@settings(max_examples=500, deadline=None, database=None)
@given(data=st.data())
def test_a_single_wrong_field_is_the_one_named(data: st.DataObject) -> None:
    fields = [data.draw(st.sampled_from(f.examples)) for f in CRON_FIELDS]
    index = data.draw(st.integers(0, len(CRON_FIELDS) - 1))
    name, tokens = _BAD_TOKENS[index]
    assert CRON_FIELDS[index].name == name
    fields[index] = data.draw(st.sampled_from(tokens))
    cron = " ".join(fields)
    assert not dagster_accepts(cron=cron)
    with pytest.raises(InvalidCronError) as caught:
        validate_cron(cron)
    assert len(caught.value.problems) == 1, caught.value.problems
    assert caught.value.problems[0].startswith(f"{name} (field {index + 1}) is ")


@pytest.mark.parametrize("cron", ["0 0 30 2 *", "15 3 31 feb *", "0 0 30 2/12 *", "0 0 31 2,2 1"])
def test_a_date_that_never_occurs_names_both_fields(cron: str) -> None:
    with pytest.raises(InvalidCronError) as caught:
        validate_cron(cron)
    (problem,) = caught.value.problems
    assert problem.startswith("day-of-month (field 3)")
    assert "month (field 4)" in problem
    assert "never occurs" in problem
