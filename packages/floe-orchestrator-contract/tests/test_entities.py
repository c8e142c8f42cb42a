from __future__ import annotations

import dataclasses

import pytest

from floe_orchestrator_contract import Dataset, ResourceSpec, TransformConfig, ValidationResult


def _defaults(cls: type) -> dict[str, object]:
    out: dict[str, object] = {}
    for f in dataclasses.fields(cls):
        if f.default is not dataclasses.MISSING:
            out[f.name] = f.default
        elif f.default_factory is not dataclasses.MISSING:
            out[f.name] = f.default_factory()
        else:
            out[f.name] = "<required>"
    return out


@pytest.mark.parametrize(
    ("cls", "expected"),
    [
        (
            TransformConfig,
            {
                "name": "<required>",
                "path": "",
                "schema_name": "",
                "materialization": "table",
                "tags": [],
                "depends_on": [],
                "meta": {},
                "compute": None,
            },
        ),
        (ValidationResult, {"success": "<required>", "message": "", "errors": [], "warnings": []}),
        (Dataset, {"namespace": "<required>", "name": "<required>", "facets": {}}),
        (
            ResourceSpec,
            {
                "cpu_request": "100m",
                "cpu_limit": "500m",
                "memory_request": "256Mi",
                "memory_limit": "512Mi",
            },
        ),
    ],
)
def test_fields_and_defaults_are_the_seeds(cls: type, expected: dict[str, object]) -> None:
    assert _defaults(cls) == expected
    assert [f.name for f in dataclasses.fields(cls)] == list(expected)


def test_mutable_defaults_are_never_shared() -> None:
    a, b = TransformConfig(name="a"), TransformConfig(name="b")
    a.tags.append("x")
    a.depends_on.append("y")
    a.meta["k"] = 1
    assert (b.tags, b.depends_on, b.meta) == ([], [], {})
    r1, r2 = ValidationResult(success=True), ValidationResult(success=False)
    r1.errors.append("e")
    r1.warnings.append("w")
    assert (r2.errors, r2.warnings) == ([], [])
    d1, d2 = Dataset("ns", "a"), Dataset("ns", "b")
    d1.facets["f"] = {}
    assert d2.facets == {}
