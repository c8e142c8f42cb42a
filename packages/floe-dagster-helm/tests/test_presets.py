from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from floe_dagster_helm import (
    RESOURCE_PRESETS,
    build_helm_values,
    get_resource_requirements,
    validate_resource_spec,
)
from floe_orchestrator_contract import ResourceSpec

# The table (request / limit).
EXPECTED = {
    "small": ResourceSpec("100m", "500m", "256Mi", "512Mi"),
    "medium": ResourceSpec("500m", "2000m", "1Gi", "4Gi"),
    "large": ResourceSpec("1000m", "4000m", "2Gi", "8Gi"),
}


@pytest.mark.parametrize("size", ["small", "medium", "large"])
def test_each_size_returns_its_preset(size: str) -> None:
    assert get_resource_requirements(size) == EXPECTED[size]
    assert RESOURCE_PRESETS[size] == EXPECTED[size]
    validate_resource_spec(get_resource_requirements(size))


def test_small_is_the_resource_spec_defaults() -> None:
    assert get_resource_requirements("small") == ResourceSpec()


def test_presets_are_exactly_small_medium_large() -> None:
    assert list(RESOURCE_PRESETS) == ["small", "medium", "large"]
    assert len(RESOURCE_PRESETS) == 3


def test_every_call_returns_a_fresh_spec() -> None:
    first = get_resource_requirements("medium")
    first.cpu_limit = "64"
    assert get_resource_requirements("medium").cpu_limit == "2000m"
    assert get_resource_requirements("medium") is not get_resource_requirements("medium")

    from_mapping = RESOURCE_PRESETS["large"]
    from_mapping.memory_limit = "1Ti"
    assert RESOURCE_PRESETS["large"].memory_limit == "8Gi"
    assert RESOURCE_PRESETS["large"] is not RESOURCE_PRESETS["large"]


def test_presets_mapping_is_read_only() -> None:
    with pytest.raises(TypeError):
        RESOURCE_PRESETS["huge"] = ResourceSpec()  # type: ignore[index]
    with pytest.raises(TypeError):
        del RESOURCE_PRESETS["small"]  # type: ignore[attr-defined]


def test_mutating_a_preset_does_not_leak_into_helm_values(product: dict[str, Any]) -> None:
    get_resource_requirements("small").cpu_limit = "99"
    values = build_helm_values(workload_size="small", **product)
    deployment = values["dagster-user-deployments"]["deployments"][0]
    assert deployment["resources"]["limits"]["cpu"] == "500m"


@pytest.mark.parametrize("size", ["xl", "Small", "", " small", None, 2])
def test_unknown_size_is_a_value_error_listing_the_sizes(size: object) -> None:
    with pytest.raises(ValueError, match="workload size") as caught:
        get_resource_requirements(size)  # type: ignore[arg-type]
    message = str(caught.value)
    assert "small, medium, large" in message
    assert repr(size) in message


@pytest.mark.parametrize(
    "quantity",
    ["100m", "0.5", ".5", "2", "1e3", "250m", "1.5", "2000m", "3k"],
)
def test_valid_cpu_quantities_pass(quantity: str) -> None:
    validate_resource_spec(ResourceSpec(cpu_request="0", cpu_limit=quantity))


@pytest.mark.parametrize(
    "quantity",
    ["128974848", "129e6", "129M", "123Mi", "1.5Gi", "1Gi", "512Ki", "0"],
)
def test_valid_memory_quantities_pass(quantity: str) -> None:
    validate_resource_spec(ResourceSpec(memory_request="0", memory_limit=quantity))


@pytest.mark.parametrize(
    ("field", "quantity", "reason"),
    [
        ("cpu_limit", "abc", "not a valid quantity"),
        ("cpu_limit", "1.5.0", "not a valid quantity"),
        ("cpu_limit", "1 cpu", "not a valid quantity"),
        ("cpu_limit", "", "not a valid quantity"),
        ("cpu_limit", "-1", "negative"),
        ("cpu_limit", "0.0001", "finer than 1m"),
        ("memory_limit", "Mi", "not a valid quantity"),
        ("memory_limit", "1 Gi", "not a valid quantity"),
        ("memory_limit", "4GB", "not a valid quantity"),
        ("memory_limit", "512m", "fraction of a byte"),
    ],
)
def test_invalid_quantities_are_named(field: str, quantity: str, reason: str) -> None:
    spec = dataclasses.replace(
        ResourceSpec(cpu_request="0", memory_request="0"), **{field: quantity}
    )
    with pytest.raises(ValueError, match="invalid resource spec") as caught:
        validate_resource_spec(spec)
    message = str(caught.value)
    assert f"resources.{field}: {quantity!r}" in message
    assert reason in message


def test_every_problem_is_reported_at_once() -> None:
    spec = ResourceSpec(cpu_request="x", cpu_limit="-2", memory_request="1 Gi", memory_limit="?")
    with pytest.raises(ValueError, match="4 problems") as caught:
        validate_resource_spec(spec)
    for field in ("cpu_request", "cpu_limit", "memory_request", "memory_limit"):
        assert f"resources.{field}" in str(caught.value)


def test_requests_above_limits_are_reported_across_units() -> None:
    # 1 CPU > 999m and 1Gi (1073741824 B) > 1000Mi (1048576000 B): only exact arithmetic sees both.
    spec = ResourceSpec(
        cpu_request="1", cpu_limit="999m", memory_request="1Gi", memory_limit="1000Mi"
    )
    with pytest.raises(ValueError, match="2 problems") as caught:
        validate_resource_spec(spec)
    message = str(caught.value)
    assert "cpu_request '1' is greater than cpu_limit '999m'" in message
    assert "memory_request '1Gi' is greater than memory_limit '1000Mi'" in message


def test_request_equal_to_limit_in_other_units_passes() -> None:
    validate_resource_spec(
        ResourceSpec(
            cpu_request="1", cpu_limit="1000m", memory_request="1Gi", memory_limit="1024Mi"
        )
    )


def test_not_a_spec_is_rejected() -> None:
    with pytest.raises(ValueError, match="not a ResourceSpec"):
        validate_resource_spec({"cpu_request": "1"})  # type: ignore[arg-type]


def test_custom_spec_sizes_the_code_location_and_run_pods(product: dict[str, Any]) -> None:
    custom = ResourceSpec(
        cpu_request="1500m", cpu_limit="3", memory_request="3Gi", memory_limit="6Gi"
    )
    values = build_helm_values(resources=custom, **product)
    expected = {
        "requests": {"cpu": "1500m", "memory": "3Gi"},
        "limits": {"cpu": "3", "memory": "6Gi"},
    }
    assert values["dagster-user-deployments"]["deployments"][0]["resources"] == expected
    assert values["runLauncher"]["config"]["k8sRunLauncher"]["resources"] == expected
    assert values["dagsterWebserver"]["resources"] == {
        "requests": {"cpu": "750m", "memory": "1536Mi"},
        "limits": {"cpu": "1500m", "memory": "3Gi"},
    }


def test_bad_custom_spec_is_rejected_before_values_exist(product: dict[str, Any]) -> None:
    custom = ResourceSpec(cpu_request="4", cpu_limit="2")
    with pytest.raises(ValueError, match="cpu_request '4' is greater than cpu_limit '2'"):
        build_helm_values(resources=custom, **product)
