"""Bad transforms and mismatches with dbt: one error naming every problem, nothing built."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from floe_dagster_assets import create_assets_from_transforms
from floe_orchestrator_contract import ContractValidationError, TransformConfig


def test_every_bad_transform_is_named_in_one_error(
    synthetic_project: Path, make_manifest: Any, make_profiles: Any
) -> None:
    manifest = make_manifest({"a": [], "b": ["a"], "c": ["b"], "d": ["c"], "e": ["a"]})
    transforms = [
        TransformConfig("a"),
        TransformConfig("b", depends_on=["a"]),
        TransformConfig("1bad"),  # bad name
        TransformConfig("c", depends_on=["b"]),
        TransformConfig("b", depends_on=["a"]),  # duplicate
        TransformConfig("d", depends_on=["c"]),
        TransformConfig("e", depends_on=["a"]),
        TransformConfig("a2", materialization="pivot"),  # unknown materialization
        TransformConfig("a3", compute="spark"),  # no target, no compute plugin
    ]
    with pytest.raises(ContractValidationError) as caught:
        create_assets_from_transforms(
            transforms, project_dir=synthetic_project, manifest=manifest, profiles=make_profiles()
        )
    problems = caught.value.problems
    message = str(caught.value)
    assert any("transforms[2].name: '1bad' is not a valid name" in p for p in problems)
    assert any("transforms[4].name: 'b' duplicates transforms[1]" in p for p in problems)
    assert any("'pivot' is not a materialization" in p and "ephemeral" in p for p in problems)
    assert any(
        "transforms[8].compute: 'a3': compute 'spark' is neither a target" in p
        and "(allowed: targets duckdb, duckdb_heavy; compute plugins none)" in p
        for p in problems
    )
    assert all(p in message for p in problems)
    assert message.startswith(f"invalid transforms: {len(problems)} problems")


def test_manifest_mismatches_and_unknown_targets_are_listed_together(
    synthetic_project: Path, make_manifest: Any, make_profiles: Any
) -> None:
    manifest = make_manifest(
        {"a": [], "b": ["a"], "c": ["b"], "orphan": []}, materialized={"c": "view"}
    )
    transforms = [
        TransformConfig("a", compute="spark"),  # no such target or compute plugin
        TransformConfig("b"),
        TransformConfig("c", depends_on=["b"], materialization="incremental"),
        TransformConfig("ghost", depends_on=["a"], tags=["has space"]),  # no dbt model, bad tag
    ]
    with pytest.raises(ContractValidationError) as caught:
        create_assets_from_transforms(
            transforms,
            project_dir=synthetic_project,
            manifest=manifest,
            profiles=make_profiles(),
            default_compute="duckdb",
            compute_plugins=["duckdb"],
        )
    problems = caught.value.problems
    assert any(
        "transforms[0].compute: 'a': compute 'spark' is neither" in p
        and "allowed: targets duckdb, duckdb_heavy; compute plugins duckdb" in p
        for p in problems
    )
    assert any(
        "transforms[2].materialization: 'c' says 'incremental' but dbt materializes it as 'view'"
        in p
        for p in problems
    )
    assert any("transforms[3].name: 'ghost' has no dbt model in 'synthetic'" in p for p in problems)
    assert any("transforms[3].tags: 'has space' cannot be a Dagster tag" in p for p in problems)
    assert any("dbt model 'orphan' (models/orphan.sql) has no transform" in p for p in problems)
    assert len(problems) == 5


def test_a_missing_profile_is_reported_before_dbt_runs(synthetic_project: Path) -> None:
    transforms = [TransformConfig("a", compute="duckdb"), TransformConfig("9", compute="")]
    with pytest.raises(ContractValidationError) as caught:
        # No manifest: dbt parse would be needed, but the profile cannot work, so it never runs.
        create_assets_from_transforms(
            transforms,
            project_dir=synthetic_project,
            profiles={"other_profile": {"outputs": {"x": {"type": "duckdb"}}}},
        )
    problems = caught.value.problems
    assert any(
        "no profile 'synthetic' with outputs" in p and "other_profile" in p for p in problems
    )
    assert any("transforms[1].name: '9' is not a valid name" in p for p in problems)
    assert any("transforms[1].compute: '' is empty" in p for p in problems)
    assert not (synthetic_project / "target" / "manifest.json").exists()


def test_a_folder_without_dbt_project_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ContractValidationError, match=r"has no dbt_project\.yml"):
        create_assets_from_transforms([TransformConfig("a")], project_dir=tmp_path)


def test_a_broken_manifest_file_is_named(synthetic_project: Path, tmp_path: Path) -> None:
    broken = tmp_path / "manifest.json"
    broken.write_text('{"nodes": []}')
    with pytest.raises(ContractValidationError) as caught:
        create_assets_from_transforms(
            [TransformConfig("a")], project_dir=synthetic_project, manifest_path=broken
        )
    assert len(caught.value.problems) == 2  # metadata missing, nodes not an object
    assert all(str(broken) in p for p in caught.value.problems)


def test_profiles_are_written_privately_and_never_logged(
    synthetic_project: Path,
    make_manifest: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    import logging

    from floe_dagster_assets import dbt_resources

    secret = "s3cr3t-token-value"
    profiles = {
        "synthetic": {
            "target": "duckdb",
            "outputs": {"duckdb": {"type": "duckdb", "path": ":memory:", "password": secret}},
        }
    }
    caplog.set_level(logging.DEBUG)
    create_assets_from_transforms(
        [TransformConfig("a")],
        project_dir=synthetic_project,
        manifest=make_manifest({"a": []}),
        profiles=profiles,
    )
    resources = dbt_resources(synthetic_project, profiles=profiles)
    written = Path(resources["dbt"].profiles_dir) / "profiles.yml"
    assert written.stat().st_mode & 0o777 == 0o600
    assert written.is_relative_to(synthetic_project / "target")
    assert secret in written.read_text()  # dbt needs it there...
    assert secret not in caplog.text  # ...and nowhere else
    assert secret not in repr(resources)
