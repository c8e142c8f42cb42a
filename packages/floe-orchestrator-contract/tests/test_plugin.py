from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any

import pytest

from floe_orchestrator_contract import (
    Dataset,
    OrchestratorPlugin,
    ResourceSpec,
    TransformConfig,
    ValidationResult,
)


def test_seed_call_shape_of_orchestrator_plugin() -> None:
    assert OrchestratorPlugin.__abstractmethods__ == {
        "name",
        "version",
        "floe_api_version",
        "create_definitions",
        "create_assets_from_transforms",
        "get_helm_values",
        "validate_connection",
        "get_resource_requirements",
        "emit_lineage_event",
        "schedule_job",
    }
    params = list(inspect.signature(OrchestratorPlugin.emit_lineage_event).parameters)
    assert params == ["self", "event_type", "job", "inputs", "outputs"]
    assert list(inspect.signature(OrchestratorPlugin.schedule_job).parameters) == [
        "self",
        "job_name",
        "cron",
        "timezone",
    ]


class Recording(OrchestratorPlugin):
    """A minimal plugin that adds keyword-only options to emit_lineage_event."""

    name = "recording"
    version = "0.0.1"
    floe_api_version = "1.0"

    def __init__(self) -> None:
        self.events: list[tuple[Any, ...]] = []

    def create_definitions(self, artifacts: dict[str, Any]) -> Any:
        return artifacts

    def create_assets_from_transforms(self, transforms: list[TransformConfig]) -> list[Any]:
        return list(transforms)

    def get_helm_values(self) -> dict[str, Any]:
        return {}

    def validate_connection(self) -> ValidationResult:
        return ValidationResult(success=True)

    def get_resource_requirements(self, workload_size: str) -> ResourceSpec:
        return ResourceSpec()

    def emit_lineage_event(
        self,
        event_type: str,
        job: str,
        inputs: Sequence[Dataset],
        outputs: Sequence[Dataset],
        *,
        run_id: str | None = None,
    ) -> None:
        self.events.append((event_type, job, list(inputs), list(outputs), run_id))

    def schedule_job(self, job_name: str, cron: str, timezone: str) -> None:
        return None


def test_the_seeds_call_works_on_a_plugin_with_extra_options() -> None:
    plugin = Recording()
    raw = Dataset("floe", "raw.orders")
    plugin.emit_lineage_event("START", "orders", [raw], [])
    plugin.emit_lineage_event("COMPLETE", "orders", inputs=[raw], outputs=[], run_id="r1")
    assert plugin.events == [
        ("START", "orders", [raw], [], None),
        ("COMPLETE", "orders", [raw], [], "r1"),
    ]
    assert plugin.health_check() is True
    assert plugin.description == ""


def test_an_incomplete_plugin_cannot_be_instantiated() -> None:
    class Incomplete(OrchestratorPlugin):
        name = "x"
        version = "0"
        floe_api_version = "1.0"

    with pytest.raises(TypeError, match="abstract"):
        Incomplete()  # type: ignore[abstract]
