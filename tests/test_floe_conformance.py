"""floe's plugin conformance suite against the Dagster plugin, then every member floe-core
calls, called the way floe-core calls it (compile.py, plugin_registry.py, plugins/lifecycle.py,
plugins/dependencies.py, telemetry/audit.py, and the generated definitions.py)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pytest
from _floe_product import (
    REFERENCE,
    copy_product,
    openlineage_problems,
    refusing_port,
)
from base_classes import (
    BaseHealthCheckTests,
    BasePluginDiscoveryTests,
    BasePluginLifecycleTests,
    BasePluginMetadataTests,
)
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from floe_dagster_lineage import LineageConfig
from floe_orchestrator_contract import (
    ContractValidationError,
    Dataset,
    HealthState,
    HealthStatus,
    OrchestratorPlugin,
    PluginRegistry,
    RunState,
)
from floe_orchestrator_dagster import DagsterOrchestratorPlugin

GROUP = "floe.orchestrators"


@pytest.fixture(scope="module")
def refused_url() -> Iterator[str]:
    with refusing_port() as port:
        yield f"http://127.0.0.1:{port}"


# -- floe's base classes -------------------------------------------------------------------
class TestMetadata(BasePluginMetadataTests):
    plugin_class = DagsterOrchestratorPlugin
    expected_name = "dagster"
    expected_entry_point_group = GROUP

    @pytest.fixture
    def plugin_instance(self, refused_url: str) -> DagsterOrchestratorPlugin:
        return DagsterOrchestratorPlugin(dagster_url=refused_url)


class TestLifecycle(BasePluginLifecycleTests):
    @pytest.fixture
    def plugin_instance(self, refused_url: str) -> DagsterOrchestratorPlugin:
        return DagsterOrchestratorPlugin(dagster_url=refused_url)


class TestDiscovery(BasePluginDiscoveryTests):
    entry_point_group = GROUP
    expected_name = "dagster"
    expected_module_prefix = "floe_orchestrator_dagster"
    expected_class_name = "DagsterOrchestratorPlugin"
    expected_plugin_abc = OrchestratorPlugin


class TestHealthCheck(BaseHealthCheckTests):
    @pytest.fixture
    def unconnected_plugin(self, refused_url: str) -> DagsterOrchestratorPlugin:
        return DagsterOrchestratorPlugin(dagster_url=refused_url)

    @pytest.fixture
    def connected_plugin(self, served_product: tuple[str, Path]) -> DagsterOrchestratorPlugin:
        return DagsterOrchestratorPlugin(dagster_url=served_product[0])


# -- every member floe calls ---------------------------------------------------------------
def test_floes_instrumentation_audit_finds_the_tracer() -> None:
    """telemetry/audit.py: verify_plugin_instrumentation warns for a None tracer_name."""
    (entry,) = [ep for ep in entry_points(group=GROUP) if ep.name == "dagster"]
    plugin = entry.load()()
    warnings = [
        f"Plugin '{plugin.name}' (type=ORCHESTRATOR) is not instrumented (tracer_name is None)"
        for plugin in [plugin]
        if plugin.tracer_name is None
    ]
    assert warnings == []
    assert plugin.tracer_name == "floe.orchestrator.dagster"


def test_floes_registry_configures_the_plugin(
    served_product: tuple[str, Path], refused_url: str
) -> None:
    """plugin_registry.py configure(): schema_class(**config), then plugin.configure(validated)."""
    plugin = DagsterOrchestratorPlugin(dagster_url=refused_url)
    assert not plugin.is_configured
    schema_class = plugin.get_config_schema()
    assert issubclass(schema_class, BaseModel)
    validated = schema_class(
        dagster_url=served_product[0],
        connection_timeout=5,
        workload_size="medium",
        dagster_token="tok-never-shown",
        default_schedule={"cron": "0 5 * * *", "timezone": "Europe/Berlin"},
    )
    plugin.configure(validated)
    assert plugin.is_configured
    assert plugin.health_check().state is HealthState.HEALTHY  # the configured URL is used
    assert plugin.get_resource_requirements(plugin.settings.workload_size).memory_limit == "4Gi"
    assert "tok-never-shown" not in repr(plugin) + repr(validated)
    plugin.configure(None)
    assert not plugin.is_configured
    assert plugin.health_check().state is HealthState.UNHEALTHY  # back to the constructor's
    with pytest.raises(ValidationError) as caught:
        schema_class(dagster_url="ftp://x", workload_size="huge", retries=3)
    fields = sorted(".".join(map(str, e["loc"])) for e in caught.value.errors())
    assert fields == ["dagster_url", "retries", "workload_size"]


def test_floes_lifecycle_checks_health_in_a_thread_with_a_timeout(
    served_product: tuple[str, Path],
) -> None:
    """plugins/lifecycle.py: executor.submit(plugin.health_check).result(timeout=...)."""
    plugin = DagsterOrchestratorPlugin(dagster_url=served_product[0])
    with ThreadPoolExecutor(max_workers=1) as executor:
        status = executor.submit(plugin.health_check).result(timeout=5.0)
    assert isinstance(status, HealthStatus)
    assert status.state is HealthState.HEALTHY
    assert status.message.startswith("Dagster 1.")


def test_floes_dependency_resolver_orders_the_plugin() -> None:
    """plugins/dependencies.py: Kahn's algorithm over each plugin's dependencies."""
    plugin = DagsterOrchestratorPlugin()
    known = {"duckdb", "polaris", "marquez", plugin.name}
    missing = [d for d in plugin.dependencies if d not in known]
    assert missing == []
    assert plugin.dependencies == []  # compute, catalog and lineage come from the artifacts


class LineageDataset(BaseModel):
    """floe_core.lineage.LineageDataset, field for field."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    namespace: str = Field(min_length=1)
    name: str = Field(min_length=1)
    facets: dict[str, Any] = Field(default_factory=dict)


def test_floes_emit_lineage_event_and_the_seeds_call(tmp_path: Path) -> None:
    events_file = tmp_path / "events.jsonl"
    config = LineageConfig(namespace="sales", transport="file", endpoint=str(events_file))
    plugin = DagsterOrchestratorPlugin(lineage=config)
    raw = LineageDataset(namespace="duckdb://warehouse", name="raw.customers")
    staged = LineageDataset(namespace="duckdb://warehouse", name="staging.stg_customers")
    # floe's keyword call, the run id generated and returned, then reused by COMPLETE.
    run_id = plugin.emit_lineage_event(
        event_type=RunState.START, job_name="dbt_run_stg_customers", inputs=[raw], outputs=[staged]
    )
    assert isinstance(run_id, uuid.UUID)
    same = plugin.emit_lineage_event(
        RunState.COMPLETE,
        "dbt_run_stg_customers",
        run_id=run_id,
        outputs=[staged],
        run_facets={"floe_run": {"attempt": 1}},
        producer="floe",
    )
    assert same == run_id
    # floe's positional call with its own namespace and run id.
    given = uuid.uuid4()
    assert plugin.emit_lineage_event(RunState.FAIL, "export", "exports", given, [raw], []) == given
    # The seed's four positional arguments: START and COMPLETE pair up by job.
    seed_run = plugin.emit_lineage_event("START", "seed_job", [Dataset("floe", "a")], [])
    assert plugin.emit_lineage_event("COMPLETE", "seed_job", [], [Dataset("floe", "b")]) == seed_run
    with pytest.raises(ValueError, match="run_id: 'nope' is not a UUID"):
        plugin.emit_lineage_event(RunState.START, "x", run_id="nope")
    plugin.shutdown()  # flushes
    events = [json.loads(line) for line in events_file.read_text().splitlines()]
    assert openlineage_problems(events) == []
    # Two namespaces are two emitters: each keeps its own order, not the order between them.
    by_kind = {(e["eventType"], e["job"]["namespace"], e["job"]["name"]): e for e in events}
    assert len(events) == len(by_kind) == 5
    assert {kind: event["run"]["runId"] for kind, event in by_kind.items()} == {
        ("START", "sales", "dbt_run_stg_customers"): str(run_id),
        ("COMPLETE", "sales", "dbt_run_stg_customers"): str(run_id),
        ("FAIL", "exports", "export"): str(given),
        ("START", "sales", "seed_job"): str(seed_run),
        ("COMPLETE", "sales", "seed_job"): str(seed_run),
    }
    start = by_kind[("START", "sales", "dbt_run_stg_customers")]
    assert [(i["namespace"], i["name"]) for i in start["inputs"]] == [
        ("duckdb://warehouse", "raw.customers")
    ]
    complete = by_kind[("COMPLETE", "sales", "dbt_run_stg_customers")]
    assert complete["run"]["facets"]["floe_run"]["attempt"] == 1


def test_get_lineage_emitter_is_the_emitter_events_go_through(tmp_path: Path) -> None:
    config = LineageConfig(namespace="sales", transport="file", endpoint=str(tmp_path / "e.jsonl"))
    plugin = DagsterOrchestratorPlugin(lineage=config)
    emitter = plugin.get_lineage_emitter()
    assert emitter is plugin.get_lineage_emitter()
    plugin.emit_lineage_event(RunState.START, "job")
    assert emitter.flush(timeout=10)
    assert emitter.stats.sent == 1
    plugin.shutdown()


def test_sensor_definition_is_none_so_floe_builds_definitions_without_one() -> None:
    plugin = DagsterOrchestratorPlugin()
    sensors = [s for s in [plugin.sensor_definition()] if s]
    assert sensors == []


def test_floes_compile_generates_the_entry_point(tmp_path: Path) -> None:
    """compile.py _generate_orchestrator_entry_point: entry point -> plugin_cls() -> generate."""
    (entry,) = [ep for ep in entry_points(group=GROUP) if ep.name == "dagster"]
    plugin: OrchestratorPlugin = entry.load()()
    path = plugin.generate_entry_point_code(
        product_name="customer-360",
        output_dir=str(tmp_path / "target"),
        lineage_enabled=True,
        iceberg_enabled=True,
    )
    assert path == str(tmp_path / "target" / "definitions.py")
    ours = Path(path).read_text()
    floes = (REFERENCE / "floe-core" / "generated_definitions.py.example").read_text()
    # The same code as floe's own Dagster plugin writes; only the docstring names this plugin.
    assert ours.split('"""', 2)[2] == floes.split('"""', 2)[2]
    compile(ours, path, "exec")
    with pytest.raises(ValueError, match="product_name"):
        plugin.generate_entry_point_code('x")\nimport os\n("', str(tmp_path / "bad"))
    assert not (tmp_path / "bad" / "definitions.py").exists()


@pytest.fixture(scope="module")
def parsed_product(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of customer-360 whose dbt manifest exists (parsed once for this module)."""
    product = copy_product(tmp_path_factory.mktemp("conformance") / "customer-360")
    DagsterOrchestratorPlugin(dbt_project_dir=product).create_definitions(
        product / "compiled_artifacts.json"
    )
    return product


def _keys(defs: Any) -> set[str]:
    return {key.to_user_string() for key in defs.resolve_all_asset_keys()}


def test_create_definitions_takes_what_floe_passes(parsed_product: Path) -> None:
    """floe passes the artifacts dict; users pass a path (str or Path) or JSON text."""
    plugin = DagsterOrchestratorPlugin(dbt_project_dir=parsed_product)
    path = parsed_product / "compiled_artifacts.json"
    text = path.read_text()
    # Keys carry the product's name, so several products live in one deployment.
    models = ("raw_customers", "raw_orders", "stg_customers", "stg_orders", "customer_orders")
    expected = {f"customer-360/{name}" for name in (*models, "dim_customers")}
    for given in (json.loads(text), str(path), path, text):
        assert _keys(plugin.create_definitions(given)) == expected, type(given)
    with pytest.raises(ContractValidationError) as caught:
        plugin.create_definitions(str(parsed_product / "missing.json"))
    assert "is neither a file (no such file) nor JSON text" in str(caught.value)
    with pytest.raises(ContractValidationError, match=r"neither a file \(it is a directory\)"):
        plugin.create_definitions(str(parsed_product))


def test_the_registry_of_this_contract_reads_the_health_status(
    served_product: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DAGSTER_URL", served_product[0])
    registry = PluginRegistry()
    registry.activate("dagster")
    result = registry.health_check("dagster", timeout=5.0)
    registry.shutdown()
    assert result.success, result.message
    assert result.message.startswith("plugin 'dagster' is healthy: Dagster 1.")
