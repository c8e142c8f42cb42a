"""Test helpers: the OpenLineage spec validator and log filters."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

_DEFAULT_REFERENCE = Path(__file__).resolve().parents[3] / "tests" / "reference"


def reference_dir() -> Path:
    return Path(os.environ.get("FLOE_REFERENCE_DIR") or _DEFAULT_REFERENCE)


class SpecValidator:
    """Validates events against the vendored OpenLineage spec: the core schema for the event and
    each facet against the facet schema of its name for where it sits (run, job, dataset, input
    or output facets), else the schema of that name wherever it sits. ``unchecked`` collects the
    names of facets that no vendored schema describes (only the core schema checked them)."""

    def __init__(self, spec_dir: Path) -> None:
        from jsonschema import Draft202012Validator
        from referencing import Registry, Resource

        documents = [json.loads(p.read_text()) for p in sorted(spec_dir.rglob("*.json"))]
        schemas = [d for d in documents if isinstance(d, dict) and "$id" in d]
        registry: Registry[Any] = Registry().with_resources(
            (d["$id"], Resource.from_contents(d)) for d in schemas
        )
        core = next(d for d in schemas if d["$id"].endswith("/OpenLineage.json"))
        checker = Draft202012Validator.FORMAT_CHECKER
        self.event = Draft202012Validator(
            {"$ref": core["$id"] + "#/$defs/RunEvent"}, registry=registry, format_checker=checker
        )
        self.facets: dict[tuple[str, str], Any] = {}
        self.unchecked: set[str] = set()
        for schema in schemas:
            if schema is core:
                continue
            for name, ref in schema.get("properties", {}).items():
                validator = Draft202012Validator(schema, registry=registry, format_checker=checker)
                self.facets[_kind_of(schema, ref["$ref"]), name] = validator
        names = {name for _, name in self.facets}
        assert {"errorMessage", "parent", "jobType", "schema", "sql"} <= names

    def _validator(self, kind: str, name: str) -> Any:
        found = self.facets.get((kind, name))
        if found is None:
            found = next((v for (_, n), v in self.facets.items() if n == name), None)
        return found

    def problems(self, event: dict[str, Any]) -> list[str]:
        found = [f"event: {e.message}" for e in self.event.iter_errors(event)]
        try:
            datetime.fromisoformat(event["eventTime"].replace("Z", "+00:00"))
        except (KeyError, ValueError) as error:
            found.append(f"eventTime: {error}")
        for where, kind, facets in _facet_maps(event):
            for name, facet in facets.items():
                validator = self._validator(kind, name)
                if validator is None:
                    self.unchecked.add(name)
                    continue
                found += [
                    f"{where}.{name}: {e.message}" for e in validator.iter_errors({name: facet})
                ]
        return found

    def check(self, events: list[dict[str, Any]]) -> None:
        assert events, "no events to validate"
        problems = [f"event {i}: {p}" for i, e in enumerate(events) for p in self.problems(e)]
        assert problems == []


def _kind_of(schema: dict[str, Any], ref: str) -> str:
    """RunFacet, JobFacet, DatasetFacet, InputDatasetFacet or OutputDatasetFacet: the core
    definition a facet schema extends."""
    definition = schema["$defs"][ref.rsplit("/", 1)[-1]]
    for part in definition.get("allOf", []):
        if "$ref" in part and "OpenLineage.json" in part["$ref"]:
            return str(part["$ref"].rsplit("/", 1)[-1])
    return "Facet"


def _facet_maps(event: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    yield "run.facets", "RunFacet", event.get("run", {}).get("facets") or {}
    yield "job.facets", "JobFacet", event.get("job", {}).get("facets") or {}
    for side in ("inputs", "outputs"):
        for index, dataset in enumerate(event.get(side) or []):
            for key, kind in (
                ("facets", "DatasetFacet"),
                ("inputFacets", "InputDatasetFacet"),
                ("outputFacets", "OutputDatasetFacet"),
            ):
                yield f"{side}[{index}].{key}", kind, dataset.get(key) or {}


def warnings_from_us(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [
        r
        for r in caplog.records
        if r.levelno >= logging.WARNING and r.name.startswith("floe_dagster_lineage")
    ]
