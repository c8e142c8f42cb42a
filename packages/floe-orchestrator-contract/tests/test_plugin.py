"""The ABCs mirror floe-core's plugin API, and the seed's call shapes keep working."""

from __future__ import annotations

import inspect
import uuid
from pathlib import Path
from typing import Any

import pytest

from floe_orchestrator_contract import (
    Dataset,
    HealthState,
    HealthStatus,
    OrchestratorPlugin,
    PluginMetadata,
    ResourceSpec,
    RunState,
    TransformConfig,
    ValidationResult,
    seed_call_datasets,
)


def test_floes_abstract_members_and_signatures() -> None:
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
        "generate_entry_point_code",
    }
    params = inspect.signature(OrchestratorPlugin.emit_lineage_event).parameters
    assert list(params) == [
        "self",
        "event_type",
        "job_name",
        "job_namespace",
        "run_id",
        "inputs",
        "outputs",
        "run_facets",
        "job_facets",
        "producer",
    ]
    assert all(params[p].default is None for p in list(params)[3:])
    generate = inspect.signature(OrchestratorPlugin.generate_entry_point_code).parameters
    assert [(p.name, p.kind.name) for p in generate.values()] == [
        ("self", "POSITIONAL_OR_KEYWORD"),
        ("product_name", "POSITIONAL_OR_KEYWORD"),
        ("output_dir", "POSITIONAL_OR_KEYWORD"),
        ("lineage_enabled", "KEYWORD_ONLY"),
        ("iceberg_enabled", "KEYWORD_ONLY"),
    ]
    assert list(inspect.signature(PluginMetadata.health_check).parameters) == ["self", "timeout"]
    assert [s.value for s in RunState] == ["START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER"]
    assert [s.value for s in HealthState] == ["healthy", "degraded", "unhealthy"]


class Recording(OrchestratorPlugin):
    """A minimal plugin written against floe's signature."""

    name = "recording"
    version = "0.0.1"
    floe_api_version = "1.0"

    def __init__(self) -> None:
        super().__init__()
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

    def emit_lineage_event(  # noqa: PLR0917
        self,
        event_type: RunState | str,
        job_name: str,
        job_namespace: Any = None,
        run_id: Any = None,
        inputs: Any = None,
        outputs: Any = None,
        run_facets: Any = None,
        job_facets: Any = None,
        producer: Any = None,
    ) -> uuid.UUID:
        job_namespace, run_id, inputs, outputs = seed_call_datasets(
            job_namespace, run_id, inputs, outputs
        )
        chosen = run_id or uuid.uuid4()
        self.events.append((str(event_type), job_name, job_namespace, inputs, outputs))
        return chosen  # type: ignore[no-any-return]

    def schedule_job(self, job_name: str, cron: str, timezone: str) -> None:
        return None

    def generate_entry_point_code(
        self,
        product_name: str,
        output_dir: str,
        *,
        lineage_enabled: bool = False,
        iceberg_enabled: bool = False,
    ) -> str:
        return str(Path(output_dir) / "definitions.py")


def test_the_seeds_four_argument_call_and_floes_call_both_work() -> None:
    plugin = Recording()
    raw, out = Dataset("floe", "raw.orders"), Dataset("floe", "orders")
    plugin.emit_lineage_event("START", "orders", [raw], [out])  # the seed's positional call
    run = uuid.uuid4()
    returned = plugin.emit_lineage_event(
        RunState.COMPLETE, "orders", "sales", run, inputs=[raw], outputs=[out]
    )
    assert returned == run
    assert plugin.events == [
        ("START", "orders", None, [raw], [out]),
        (str(RunState.COMPLETE), "orders", "sales", [raw], [out]),
    ]


def test_defaults_floe_relies_on() -> None:
    plugin = Recording()
    assert plugin.description == ""
    assert plugin.dependencies == []
    assert plugin.tracer_name is None
    assert plugin.get_config_schema() is None
    assert plugin.get_lineage_emitter() is None
    assert plugin.sensor_definition() is None
    status = plugin.health_check()
    assert status == HealthStatus(HealthState.HEALTHY)
    assert plugin.health_check(timeout=1.0).state is HealthState.HEALTHY


def test_configure_and_is_configured() -> None:
    from pydantic import BaseModel

    class Settings(BaseModel):
        url: str

    plugin = Recording()
    assert not plugin.is_configured
    plugin.configure(Settings(url="http://x"))
    assert plugin.is_configured
    plugin.configure(None)
    assert not plugin.is_configured


def test_a_health_status_reads_as_the_seeds_bool() -> None:
    assert HealthStatus(HealthState.HEALTHY)
    assert HealthStatus(HealthState.DEGRADED, "slow")
    assert not HealthStatus(HealthState.UNHEALTHY, "down")
    assert HealthStatus(HealthState.HEALTHY).details == {}


def test_an_incomplete_plugin_cannot_be_instantiated() -> None:
    class Incomplete(OrchestratorPlugin):
        name = "x"
        version = "0"
        floe_api_version = "1.0"

    with pytest.raises(TypeError, match="abstract"):
        Incomplete()  # type: ignore[abstract]
