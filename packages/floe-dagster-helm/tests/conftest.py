"""The reference Dagster chart, and a check of values against it that owes nothing to the package.

The chart's schema and defaults come from ``FLOE_REFERENCE_DIR`` (the repository's verbatim copy
of the official chart); the merge below is written here, after Helm's documented coalescing, so a
bug in the package's own merge or validation cannot make its output look valid.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

SUBCHART = "dagster-user-deployments"

REFERENCE_DIR = Path(
    os.environ.get("FLOE_REFERENCE_DIR")
    or Path(__file__).resolve().parents[3] / "tests" / "reference"
)
CHART_DIR = REFERENCE_DIR / "dagster-helm-chart"
SUBCHART_DIR = CHART_DIR / "charts" / SUBCHART

Problems = Callable[[Mapping[str, Any]], list[str]]


def helm_coalesce(defaults: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """Helm's coalescing: tables merge, everything else (lists too) replaces, null deletes."""
    result = copy.deepcopy(dict(defaults))
    for key, value in values.items():
        if value is None:
            result.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(result.get(key), Mapping):
            result[key] = helm_coalesce(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


@pytest.fixture(scope="session")
def chart_dir() -> Path:
    assert CHART_DIR.is_dir(), f"reference chart missing: {CHART_DIR} (set FLOE_REFERENCE_DIR)"
    return CHART_DIR


@pytest.fixture(scope="session")
def reference_defaults(chart_dir: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((chart_dir / "values.yaml").read_text())
    return loaded


@pytest.fixture(scope="session")
def reference_subchart_defaults(chart_dir: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((SUBCHART_DIR / "values.yaml").read_text())
    return loaded


@pytest.fixture(scope="session")
def chart_validator(chart_dir: Path) -> Draft202012Validator:
    return Draft202012Validator(json.loads((chart_dir / "values.schema.offline.json").read_text()))


@pytest.fixture(scope="session")
def subchart_validator(chart_dir: Path) -> Draft202012Validator:
    return Draft202012Validator(
        json.loads((SUBCHART_DIR / "values.schema.offline.json").read_text())
    )


@pytest.fixture(scope="session")
def merged_over_reference(
    reference_defaults: dict[str, Any],
) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
    def merge(values: Mapping[str, Any]) -> dict[str, Any]:
        return helm_coalesce(reference_defaults, values)

    return merge


@pytest.fixture(scope="session")
def chart_problems(
    reference_defaults: dict[str, Any], chart_validator: Draft202012Validator
) -> Problems:
    """Schema errors of values coalesced over the reference chart's defaults, as path: message."""

    def problems(values: Mapping[str, Any]) -> list[str]:
        merged = helm_coalesce(reference_defaults, values)
        return [
            f"{'.'.join(map(str, e.absolute_path))}: {e.message}"
            for e in chart_validator.iter_errors(merged)
        ]

    return problems


@pytest.fixture(scope="session")
def subchart_problems(
    reference_defaults: dict[str, Any],
    reference_subchart_defaults: dict[str, Any],
    subchart_validator: Draft202012Validator,
) -> Problems:
    """Schema errors of the user-code subchart's values, built the way Helm hands them down."""

    def problems(values: Mapping[str, Any]) -> list[str]:
        parent = helm_coalesce(reference_defaults, values)
        sub = helm_coalesce(reference_subchart_defaults, parent[SUBCHART])
        sub["global"] = helm_coalesce(reference_subchart_defaults["global"], parent["global"])
        return [
            f"{'.'.join(map(str, e.absolute_path))}: {e.message}"
            for e in subchart_validator.iter_errors(sub)
        ]

    return problems


@pytest.fixture
def product() -> dict[str, Any]:
    """The arguments that name one data product's code location (a fresh dict per test)."""
    return {"image": "ghcr.io/acme/orders:1.2.0", "definitions_module": "orders.definitions"}
