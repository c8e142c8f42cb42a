"""floe's meanings: profiles keyed by product name, computes that name compute plugins and run
under the environment's target, and dbt's refs deciding the graph over a declared depends_on."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from floe_dagster_assets import create_assets_from_transforms, dbt_resources, target_for_compute
from floe_orchestrator_contract import ArtifactsWarning, ContractValidationError, TransformConfig


def _specs(assets: list[Any]) -> dict[str, dg.AssetSpec]:
    return {spec.key.to_user_string(): spec for ad in assets for spec in ad.specs}


def _deps(spec: dg.AssetSpec) -> set[str]:
    return {dep.asset_key.to_user_string() for dep in spec.deps}


def _environment_profiles(key: str = "synthetic", default: str = "dev") -> dict[str, Any]:
    outputs = {
        "dev": {"type": "duckdb", "path": ":memory:"},
        "prod": {"type": "duckdb", "path": ":memory:"},
    }
    return {key: {"target": default, "outputs": outputs}}


def test_a_declared_depends_on_that_disagrees_is_one_warning_and_dbt_decides(
    synthetic_project: Path, make_manifest: Any, make_profiles: Any
) -> None:
    manifest = make_manifest(
        {"a": [], "b": ["a"], "c": ["b", "seed_s"], "d": ["c"]}, seeds=["seed_s"]
    )
    transforms = [
        TransformConfig("a"),
        TransformConfig("b", depends_on=["c"]),  # dbt: b refs a (and the two form a cycle)
        TransformConfig("c", depends_on=["b", "nowhere"]),  # seed omitted: fine; nowhere: not
        TransformConfig("d"),  # declares nothing: not compared
    ]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assets = create_assets_from_transforms(
            transforms, project_dir=synthetic_project, manifest=manifest, profiles=make_profiles()
        )
    assert [w.category for w in caught] == [ArtifactsWarning]
    message = str(caught[0].message)
    assert message.startswith("depends_on of 2 model(s) disagrees with the refs in their dbt SQL")
    assert "'b' declares ['c'] that dbt does not ref and omits ['a'] that dbt refs" in message
    assert "'c' declares ['nowhere'] that dbt does not ref" in message
    specs = _specs(assets)
    assert _deps(specs["b"]) == {"a"}
    assert _deps(specs["c"]) == {"b", "seed_s"}
    assert _deps(specs["d"]) == {"c"}


def test_agreeing_depends_on_give_no_warning(
    synthetic_project: Path, make_manifest: Any, make_profiles: Any
) -> None:
    manifest = make_manifest({"a": [], "b": ["a", "seed_s"]}, seeds=["seed_s"])
    transforms = [TransformConfig("a"), TransformConfig("b", depends_on=["a", "seed_s"])]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        create_assets_from_transforms(
            transforms, project_dir=synthetic_project, manifest=manifest, profiles=make_profiles()
        )


def test_a_profile_keyed_by_product_name_reaches_dbt_under_its_dbt_name(
    tmp_path: Path, make_manifest: Any
) -> None:
    (tmp_path / "dbt_project.yml").write_text(
        "name: customer_360\nversion: '1.0'\nconfig-version: 2\nprofile: customer_360\n"
    )
    profiles = _environment_profiles("customer-360")
    assets = create_assets_from_transforms(
        [TransformConfig("a", compute="duckdb")],
        project_dir=tmp_path,
        manifest=make_manifest({"a": []}, project="customer_360"),
        profiles=profiles,
        compute_plugins=["duckdb"],
    )
    assert _specs(assets)["a"].metadata["dbt/target"] == "dev"
    written = Path(dbt_resources(tmp_path, profiles=profiles)["dbt"].profiles_dir)
    on_disk = json.loads((written / "profiles.yml").read_text())  # JSON is YAML
    assert on_disk["customer_360"] == profiles["customer-360"]


def test_a_profile_under_another_name_is_still_an_error(tmp_path: Path) -> None:
    (tmp_path / "dbt_project.yml").write_text(
        "name: customer_360\nversion: '1.0'\nconfig-version: 2\nprofile: customer_360\n"
    )
    with pytest.raises(ContractValidationError, match="no profile 'customer_360' with outputs"):
        target_for_compute(tmp_path, "duckdb", profiles=_environment_profiles("orders"))


def test_computes_route_to_targets(
    synthetic_project: Path, make_manifest: Any, caplog: pytest.LogCaptureFixture
) -> None:
    profiles = _environment_profiles()
    assets = create_assets_from_transforms(
        [
            TransformConfig("a", compute="duckdb"),  # a compute plugin: the environment (dev)
            TransformConfig("b", compute="prod"),  # a target's own name
            TransformConfig("c"),  # default_compute: the plugin again
        ],
        project_dir=synthetic_project,
        manifest=make_manifest({"a": [], "b": ["a"], "c": ["b"]}),
        profiles=profiles,
        default_compute="duckdb",
        compute_plugins=["duckdb"],
    )
    specs = _specs(assets)
    routed = {n: (s.metadata["floe/compute"], s.metadata["dbt/target"]) for n, s in specs.items()}
    assert routed == {"a": ("duckdb", "dev"), "b": ("prod", "prod"), "c": ("duckdb", "dev")}
    assert all("duckdb" in spec.kinds for spec in specs.values())
    assert target_for_compute(synthetic_project, "duckdb", profiles=profiles) == "dev"
    # A compute plugin whose adapter no output has still runs in this environment: floe
    # resolved the profile for the product's compute plugins.
    assert (
        target_for_compute(
            synthetic_project, "motherduck", profiles=profiles, compute_plugins=["motherduck"]
        )
        == "dev"
    )


def test_an_unmappable_compute_lists_the_choices(synthetic_project: Path) -> None:
    templated = _environment_profiles(default="{{ env_var('DBT_TARGET', 'dev') }}")
    with pytest.raises(ContractValidationError) as caught:
        target_for_compute(synthetic_project, "duckdb", profiles=templated)
    assert (
        "compute 'duckdb' matches targets dev, prod of dbt profile 'synthetic' and none is its "
        "default target (allowed: a target name: dev, prod)"
    ) in str(caught.value)
    with pytest.raises(ContractValidationError) as caught:
        target_for_compute(
            synthetic_project, "spark", profiles=_environment_profiles(), compute_plugins=["duckdb"]
        )
    assert (
        "compute 'spark' is neither a target of dbt profile 'synthetic' nor a compute plugin of "
        "the product (allowed: targets dev, prod; compute plugins duckdb)"
    ) in str(caught.value)


def test_a_compute_plugin_really_runs_under_the_environment_target(greenhouse: Any) -> None:
    """The example re-keyed the way floe writes it: product-named profile, one ``dev`` target,
    every model on the ``duckdb`` compute plugin."""
    project = greenhouse.project
    settings = (project / "dbt_project.yml").read_text()
    (project / "dbt_project.yml").write_text(
        settings.replace("profile: greenhouse", "profile: green_house")
    )
    output = greenhouse.artifacts.dbt_profiles["greenhouse"]["outputs"]["duckdb"]
    profiles = {"green-house": {"target": "dev", "outputs": {"dev": output}}}
    transforms = [
        TransformConfig(t.name, tags=t.tags, depends_on=t.depends_on, compute="duckdb")
        for t in greenhouse.transforms()
    ]
    assets = create_assets_from_transforms(
        transforms,
        project_dir=project,
        profiles=profiles,
        default_compute="duckdb",
        compute_plugins=["duckdb"],
    )
    result = dg.materialize(
        assets,
        resources=dbt_resources(project, profiles=profiles),
        selection=["raw_greenhouses", "stg_greenhouses"],
    )
    assert result.success
    rows = greenhouse.query(
        "select built_by_target, count(*) from staging.stg_greenhouses group by 1"
    )
    assert rows == [("dev", 6)]
