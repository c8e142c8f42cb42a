from __future__ import annotations

import sys

import pytest

from floe_orchestrator_contract import (
    ContractValidationError,
    TransformConfig,
    check_transform_name,
    find_cycles,
    validate_transforms,
    validate_workload_size,
)


@pytest.mark.parametrize("name", ["stg_orders", "_private", "A1", "x"])
def test_valid_names(name: str) -> None:
    assert check_transform_name(name) == []


@pytest.mark.parametrize("name", ["", "1orders", "my-model", "has space", "semi;colon", "ümlaut"])
def test_invalid_names_say_what_is_allowed(name: str) -> None:
    (problem,) = check_transform_name(name)
    assert repr(name) in problem
    assert "letters, digits and underscores" in problem


def test_one_error_lists_every_problem() -> None:
    transforms = [
        TransformConfig(name="bad-name"),
        TransformConfig(name="a", materialization="snapshot", depends_on=["missing"]),
        TransformConfig(name="a"),
        TransformConfig(name="b", depends_on=["c"]),
        TransformConfig(name="c", depends_on=["d"]),
        TransformConfig(name="d", depends_on=["b"]),
    ]
    with pytest.raises(ContractValidationError) as caught:
        validate_transforms(transforms)
    error = caught.value
    assert len(error.problems) == 5
    text = str(error)
    assert "'bad-name' is not a valid name" in text
    assert (
        "'snapshot' is not a materialization (allowed: table, view, incremental, ephemeral)" in text
    )
    assert "unknown model 'missing'" in text
    assert "'a' duplicates transforms[1]" in text
    assert "dependency cycle: b -> c -> d -> b" in text
    assert isinstance(error, ValueError)


def test_external_sources_satisfy_dependencies() -> None:
    transforms = [TransformConfig(name="stg", depends_on=["raw_orders"])]
    with pytest.raises(ContractValidationError, match="unknown model 'raw_orders'"):
        validate_transforms(transforms)
    validate_transforms(transforms, external={"raw_orders"})


def test_self_dependency_is_a_cycle() -> None:
    with pytest.raises(ContractValidationError, match="dependency cycle: a -> a"):
        validate_transforms([TransformConfig(name="a", depends_on=["a"])])


def test_all_materializations_and_an_empty_list_are_valid() -> None:
    validate_transforms([])
    validate_transforms(
        [
            TransformConfig(name=f"m_{m}", materialization=m)
            for m in ("table", "view", "incremental", "ephemeral")
        ]
    )


def test_a_20000_long_chain_validates_without_recursion() -> None:
    n = 20_000
    assert n > sys.getrecursionlimit()
    chain = [TransformConfig(name="m0")] + [
        TransformConfig(name=f"m{i}", depends_on=[f"m{i - 1}"]) for i in range(1, n)
    ]
    validate_transforms(chain)
    # ... and a cycle through all 20,000 is found and shown whole.
    chain[0] = TransformConfig(name="m0", depends_on=[f"m{n - 1}"])
    with pytest.raises(ContractValidationError) as caught:
        validate_transforms(chain)
    (problem,) = caught.value.problems
    assert problem.count(" -> ") == n


def test_find_cycles_reports_each_independent_cycle() -> None:
    graph = {"a": ["b"], "b": ["a"], "c": ["d"], "d": ["c"], "e": []}
    assert sorted(map(tuple, find_cycles(graph))) == [("a", "b", "a"), ("c", "d", "c")]


def test_long_error_lists_are_truncated_in_the_message_but_kept_whole() -> None:
    transforms = [TransformConfig(name=f"{i}bad") for i in range(120)]
    with pytest.raises(ContractValidationError) as caught:
        validate_transforms(transforms)
    assert len(caught.value.problems) == 120
    assert "... and 100 more" in str(caught.value)


def test_a_2000_model_cycle_gives_a_short_message_and_keeps_the_whole_path() -> None:
    n = 2000
    ring = [TransformConfig(name=f"m{i}", depends_on=[f"m{(i + 1) % n}"]) for i in range(n)]
    with pytest.raises(ContractValidationError) as caught:
        validate_transforms(ring)
    (problem,) = caught.value.problems
    assert problem.count(" -> ") == n
    assert len(str(caught.value)) < 1_200
    assert len(caught.value.one_line()) < 400
    # Start and end survive the clipping: where the cycle begins, and what is allowed.
    assert "dependency cycle: m0 -> m1" in str(caught.value)
    assert str(caught.value).endswith("(allowed: an acyclic graph)")


def test_300000_unknown_models_give_a_short_message_and_a_count() -> None:
    transforms = [TransformConfig(name="orders", depends_on=[f"gone_{i}" for i in range(300_000)])]
    with pytest.raises(ContractValidationError) as caught:
        validate_transforms(transforms)
    assert len(caught.value.problems) == 300_000
    assert len(str(caught.value)) < 10_000
    assert "... and 299980 more (see .problems)" in str(caught.value)
    line = caught.value.one_line()
    assert "\n" not in line
    assert len(line) < 1_500
    assert line.endswith("and 299997 more problems")


def test_one_line_is_the_subject_and_every_problem_when_few() -> None:
    error = ContractValidationError("bad", ["a:\n  one", "b: two"])
    assert error.one_line() == "bad: a: one; b: two"
    assert error.problems == ("a:\n  one", "b: two")


@pytest.mark.parametrize("size", ["small", "medium", "large"])
def test_workload_sizes(size: str) -> None:
    assert validate_workload_size(size) == size


def test_unknown_workload_size_lists_the_allowed_ones() -> None:
    with pytest.raises(
        ValueError, match=r"'huge' is not a workload size \(allowed: small, medium, large\)"
    ):
        validate_workload_size("huge")
