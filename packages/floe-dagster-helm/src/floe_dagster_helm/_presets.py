"""Resource presets small / medium / large, and the checks every ResourceSpec goes through."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from fractions import Fraction

from floe_orchestrator_contract import (
    ContractValidationError,
    ResourceSpec,
    validate_workload_size,
)

from ._quantity import check_quantity, format_cpu, format_memory, parse_quantity

__all__ = [
    "RESOURCE_PRESETS",
    "check_resource_spec",
    "get_resource_requirements",
    "resources_dict",
    "scaled_spec",
    "validate_resource_spec",
]

# (cpu_request, cpu_limit, memory_request, memory_limit); small is ResourceSpec's own defaults.
_PRESETS: dict[str, tuple[str, str, str, str]] = {
    "small": ("100m", "500m", "256Mi", "512Mi"),
    "medium": ("500m", "2000m", "1Gi", "4Gi"),
    "large": ("1000m", "4000m", "2Gi", "8Gi"),
}


class _Presets(Mapping[str, ResourceSpec]):
    """A read-only mapping whose every lookup builds a new ResourceSpec.

    ResourceSpec is a mutable dataclass: handing out shared instances would let one caller's
    ``spec.cpu_limit = ...`` silently resize everybody else's pods.
    """

    def __getitem__(self, size: str) -> ResourceSpec:
        cpu_request, cpu_limit, memory_request, memory_limit = _PRESETS[size]
        return ResourceSpec(
            cpu_request=cpu_request,
            cpu_limit=cpu_limit,
            memory_request=memory_request,
            memory_limit=memory_limit,
        )

    def __iter__(self) -> Iterator[str]:
        return iter(_PRESETS)

    def __len__(self) -> int:
        return len(_PRESETS)

    def __repr__(self) -> str:
        return f"RESOURCE_PRESETS({dict(self.items())!r})"


RESOURCE_PRESETS: Mapping[str, ResourceSpec] = _Presets()


def get_resource_requirements(workload_size: str) -> ResourceSpec:
    """A fresh ResourceSpec for ``small``, ``medium`` or ``large``.

    Raises ``ContractValidationError`` (a ``ValueError``) naming the three allowed sizes otherwise.
    """
    return RESOURCE_PRESETS[validate_workload_size(workload_size)]


def check_resource_spec(spec: object, where: str = "resources") -> list[str]:
    """Problems with a ResourceSpec: every bad quantity, then every request above its limit."""
    if not isinstance(spec, ResourceSpec):
        return [f"{where}: {spec!r} is not a ResourceSpec (allowed: a ResourceSpec)"]
    problems: list[str] = []
    for field in dataclasses.fields(ResourceSpec):
        resource = field.name.split("_")[0]
        problems += check_quantity(getattr(spec, field.name), f"{where}.{field.name}", resource)
    for resource in ("cpu", "memory"):
        request = getattr(spec, f"{resource}_request")
        limit = getattr(spec, f"{resource}_limit")
        if (
            not check_quantity(request, "", resource)
            and not check_quantity(limit, "", resource)
            and _exact(request) > _exact(limit)
        ):
            problems.append(
                f"{where}: {resource}_request {request!r} is greater than {resource}_limit "
                f"{limit!r} (allowed: request <= limit)"
            )
    return problems


def validate_resource_spec(spec: ResourceSpec) -> None:
    """Raise one ``ContractValidationError`` (a ``ValueError``) listing every problem in ``spec``.

    Checked: each value is a valid Kubernetes quantity (CPU in whole millicores, memory in whole
    bytes), and each request is at most its limit.
    """
    problems = check_resource_spec(spec)
    if problems:
        raise ContractValidationError("invalid resource spec", problems)


def resources_dict(spec: ResourceSpec) -> dict[str, dict[str, str]]:
    """The Kubernetes ``resources`` object for a (valid) spec, with the spec's own spelling."""
    return {
        "requests": {"cpu": spec.cpu_request, "memory": spec.memory_request},
        "limits": {"cpu": spec.cpu_limit, "memory": spec.memory_limit},
    }


def scaled_spec(spec: ResourceSpec, factor: Fraction) -> ResourceSpec:
    """``spec`` times ``factor``, rounded up to whole millicores and whole bytes."""
    return ResourceSpec(
        cpu_request=format_cpu(_exact(spec.cpu_request) * factor),
        cpu_limit=format_cpu(_exact(spec.cpu_limit) * factor),
        memory_request=format_memory(_exact(spec.memory_request) * factor),
        memory_limit=format_memory(_exact(spec.memory_limit) * factor),
    )


def _exact(quantity: str) -> Fraction:
    value = parse_quantity(quantity)
    if value is None:  # pragma: no cover - callers check first
        raise ValueError(f"not a quantity: {quantity!r}")
    return value
