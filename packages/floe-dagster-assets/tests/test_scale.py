"""Scale: 5,000-long chains and 20,000 models build and resolve their job (synthetic manifests)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from floe_dagster_assets import (
    RUN_OBSERVERS_RESOURCE_KEY,
    create_assets_from_transforms,
    run_observers_resource,
)
from floe_orchestrator_contract import ContractValidationError, TransformConfig


def _chain(n: int) -> dict[str, list[str]]:
    return {f"m{i}": [f"m{i - 1}"] if i else [] for i in range(n)}


def _wide(n: int) -> dict[str, list[str]]:
    # A tree ten wide: every model has one parent ten positions back, like staging -> marts.
    return {f"m{i}": [f"m{i // 10}"] if i >= 10 else [] for i in range(n)}


def _resolve(project: Path, models: dict[str, list[str]], manifest: dict[str, Any]) -> Any:
    transforms = [
        TransformConfig(name, depends_on=deps, compute="duckdb_heavy" if i % 3 == 0 else "duckdb")
        for i, (name, deps) in enumerate(models.items())
    ]
    profiles = {
        "synthetic": {
            "target": "duckdb",
            "outputs": {"duckdb": {"type": "duckdb"}, "duckdb_heavy": {"type": "duckdb"}},
        }
    }
    assets = create_assets_from_transforms(
        transforms, project_dir=project, manifest=manifest, profiles=profiles
    )
    defs = dg.Definitions(
        assets=assets,
        resources={
            "dbt": dg.ResourceDefinition.none_resource(),
            RUN_OBSERVERS_RESOURCE_KEY: run_observers_resource(),
        },
    )
    return defs.resolve_implicit_global_asset_job_def()


@pytest.mark.parametrize(("shape", "n"), [("chain", 5_000), ("wide", 20_000)])
def test_large_projects_build_and_resolve_their_job(
    synthetic_project: Path, make_manifest: Any, shape: str, n: int
) -> None:
    models = _chain(n) if shape == "chain" else _wide(n)
    assert sys.getrecursionlimit() < n  # a recursive walk of the chain would overflow
    job = _resolve(synthetic_project, models, make_manifest(models))
    graph = job.asset_layer.asset_graph
    keys = graph.get_all_asset_keys()
    assert len(keys) == n
    edges = sum(len(graph.get(key).parent_keys) for key in keys)
    assert edges == sum(len(deps) for deps in models.values())
    last = dg.AssetKey([f"m{n - 1}"])
    assert graph.get(last).parent_keys == {dg.AssetKey([models[f"m{n - 1}"][0]])}


def test_a_chain_through_thousands_of_ephemeral_models_keeps_its_endpoints_linked(
    synthetic_project: Path, make_manifest: Any
) -> None:
    n = 5_000
    models = _chain(n)
    ephemeral = {f"m{i}": "ephemeral" for i in range(1, n - 1)}
    manifest = make_manifest(models, materialized=ephemeral)
    transforms = [
        TransformConfig(name, depends_on=deps, materialization=ephemeral.get(name, "table"))
        for name, deps in models.items()
    ]
    assets = create_assets_from_transforms(
        transforms,
        project_dir=synthetic_project,
        manifest=manifest,
        profiles={"synthetic": {"target": "t", "outputs": {"t": {"type": "duckdb"}}}},
    )
    specs = {spec.key: spec for ad in assets for spec in ad.specs}
    assert set(specs) == {dg.AssetKey(["m0"]), dg.AssetKey([f"m{n - 1}"])}
    assert {d.asset_key for d in specs[dg.AssetKey([f"m{n - 1}"])].deps} == {dg.AssetKey(["m0"])}


@pytest.mark.parametrize("enabled", [True, False])
def test_building_leaves_the_garbage_collector_as_it_found_it(
    synthetic_project: Path, make_manifest: Any, enabled: bool
) -> None:
    # The build pauses the collector (its passes cost a third of a large build); the process's
    # own setting comes back, after a build and after a refused one.
    import gc

    models = _chain(3)
    profiles = {"synthetic": {"target": "t", "outputs": {"t": {"type": "duckdb"}}}}
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        assets = create_assets_from_transforms(
            [TransformConfig(name, depends_on=deps) for name, deps in models.items()],
            project_dir=synthetic_project,
            manifest=make_manifest(models),
            profiles=profiles,
        )
        assert len(assets[0].specs) == 3
        assert gc.isenabled() is enabled
        with pytest.raises(ContractValidationError):
            create_assets_from_transforms(
                [TransformConfig("not_in_the_manifest")],
                project_dir=synthetic_project,
                manifest=make_manifest(models),
                profiles=profiles,
            )
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()
