"""The Dagster plugin honours floe's orchestrator contract: every abstract method (floe's
signatures), the seed's call shapes, and the seed's relationships (artifacts -> transforms ->
plugin -> Definitions, ResourceSpec, ValidationResult)."""

from __future__ import annotations

import inspect
from pathlib import Path

import dagster as dg
import pytest
from conftest import EXAMPLE

from floe_orchestrator_contract import (
    CompiledArtifacts,
    OrchestratorPlugin,
    PluginRegistry,
    ResourceSpec,
    TransformConfig,
    ValidationResult,
)
from floe_orchestrator_dagster import DagsterOrchestratorPlugin


def test_every_abstract_method_is_implemented_with_a_compatible_signature() -> None:
    assert not inspect.isabstract(DagsterOrchestratorPlugin)
    for name in sorted(OrchestratorPlugin.__abstractmethods__):
        ours = inspect.getattr_static(DagsterOrchestratorPlugin, name)
        theirs = inspect.getattr_static(OrchestratorPlugin, name)
        if isinstance(theirs, property):
            assert isinstance(ours, property), name
            continue
        required = list(inspect.signature(theirs).parameters.values())
        params = inspect.signature(ours).parameters
        for param in required:  # every parameter, same name, same position, same kind
            assert param.name in params, f"{name} lacks {param.name}"
            assert params[param.name].kind is param.kind, f"{name}: {param.name}"
        positional = [p.name for p in params.values() if p.kind is p.POSITIONAL_OR_KEYWORD]
        assert positional == [p.name for p in required if p.kind is p.POSITIONAL_OR_KEYWORD], name
        extras = [p for p in params.values() if p.name not in {q.name for q in required}]
        assert all(p.default is not p.empty for p in extras), f"{name}: extras need defaults"


def test_the_registry_finds_and_activates_the_plugin() -> None:
    registry = PluginRegistry()
    plugin = registry.activate("dagster")
    assert isinstance(plugin, OrchestratorPlugin)
    assert (plugin.name, plugin.floe_api_version) == ("dagster", "1.0")
    registry.shutdown()


def test_the_seeds_relationships(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DAGSTER_URL", raising=False)
    import shutil

    project = tmp_path / "greenhouse"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns("target", "logs"))
    artifacts = CompiledArtifacts.from_file(project / "compiled_artifacts.json")
    transforms = artifacts.to_transform_configs()  # ResolvedModel[] -> TransformConfig[]
    assert all(isinstance(t, TransformConfig) and t.compute for t in transforms)

    plugin = DagsterOrchestratorPlugin(dbt_project_dir=project, dagster_url="http://127.0.0.1:9")
    plugin.schedule_job("greenhouse_nightly", "0 2 * * *", "UTC")
    defs = plugin.create_definitions(artifacts.model_dump(mode="json"))  # seed: dict -> Any
    assert isinstance(defs, dg.Definitions)
    assert all(isinstance(a, dg.AssetsDefinition) for a in defs.assets or [])
    assert all(isinstance(s, dg.ScheduleDefinition) for s in defs.schedules or [])
    assets = plugin.create_assets_from_transforms(transforms)
    assert all(isinstance(a, dg.AssetsDefinition) for a in assets)
    spec = plugin.get_resource_requirements("medium")
    assert spec == ResourceSpec("500m", "2000m", "1Gi", "4Gi")
    result = plugin.validate_connection()  # nothing listens on port 9
    assert isinstance(result, ValidationResult)
    assert not result.success
    values = plugin.get_helm_values()
    assert {"dagsterWebserver", "dagsterDaemon", "dagster-user-deployments"} <= set(values)
    plugin.emit_lineage_event("START", "greenhouse", [], [])  # the seed's four-argument call
    plugin.shutdown()
