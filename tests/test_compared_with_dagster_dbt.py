"""The plain dagster-dbt column of the facade README's comparison, checked on the example.

The example product loaded the way the dagster-dbt docs show (`@dbt_assets` over the manifest,
the default `DagsterDbtTranslator`, one `DbtCliResource` under the key `dbt`). Only definitions
are built: nothing here runs dbt beyond the `dbt parse` that writes the manifest.
"""

# No `from __future__ import annotations`: Dagster reads the asset function's annotations.

import shutil
import sys
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from conftest import EXAMPLE
from dagster_dbt import DbtCliResource, dbt_assets

IGNORED = shutil.ignore_patterns("target", "logs", "*.duckdb*")


def _plain_assets(project: Path) -> tuple[Any, Any]:
    """`@dbt_assets` of the project (its manifest parsed first) and its `DbtCliResource`."""
    from floe_dagster_assets import ensure_manifest
    from floe_orchestrator_contract import CompiledArtifacts

    artifacts = CompiledArtifacts.from_file(project / "compiled_artifacts.json")
    manifest = ensure_manifest(project, profiles=artifacts.dbt_profiles)

    @dbt_assets(manifest=manifest, name=f"dbt_{project.name}")
    def plain(context: dg.AssetExecutionContext, dbt: DbtCliResource) -> Any:
        yield from dbt.cli(["build"], context=context).stream()

    # Told where dbt is: plain dagster-dbt looks on PATH only (a virtualenv not activated fails).
    dbt = str(Path(sys.executable).with_name("dbt"))
    return plain, DbtCliResource(project_dir=str(project), dbt_executable=dbt)


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Any]:
    project = tmp_path_factory.mktemp("plain") / "greenhouse"
    shutil.copytree(EXAMPLE, project, ignore=IGNORED)
    return _plain_assets(project)


def test_plain_dagster_dbt_specs(plain: tuple[Any, Any]) -> None:
    assets, _ = plain
    specs = {spec.key.to_user_string(): spec for spec in assets.specs}
    # Seeds, snapshots and models are assets keyed by their custom schema (dbt config `schema`)
    # and name; sources are deps, defined nowhere.
    assert {"raw/raw_harvests", "snapshots/greenhouses_snapshot", "marts/fct_harvests"} <= set(
        specs
    )
    assert "weather/daily_weather" not in specs
    # The description: dbt's, else "dbt <type> <name>", followed by the raw SQL.
    harvests = specs["marts/fct_harvests"]
    assert harvests.description is not None
    assert harvests.description.startswith("Harvests with the greenhouse's area")
    assert "#### Raw SQL:" in harvests.description
    seed = specs["raw/raw_harvests"].description
    assert seed is not None
    assert seed.startswith("dbt seed raw_harvests")
    # No code references unless enable_code_references (which needs a DbtProject).
    assert "dagster/code_references" not in harvests.metadata
    # The adapter as storage kind and the relation as dagster/table_name.
    assert harvests.metadata["dagster/storage_kind"] == "duckdb"
    assert str(harvests.metadata["dagster/table_name"]).endswith("marts.fct_harvests")
    assert "dagster/relation_identifier" not in harvests.metadata
    # meta.owner (the example's `owner: growers`) is not an owner; only meta.dagster.owners and
    # a dbt group's owner email are.
    assert not harvests.owners
    # Tests are checks, error severity blocking.
    checks = {check.name: check for check in assets.check_specs}
    assert checks["unique_fct_harvests_harvest_id"].blocking


def test_two_plain_projects_collide(
    plain: tuple[Any, Any], tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A second product built from the same dbt project (another copy, another product name):
    its keys and its `dbt` resource are the first one's."""
    project = tmp_path_factory.mktemp("plain_copy") / "greenhouse_east"
    shutil.copytree(EXAMPLE, project, ignore=IGNORED)
    first, first_dbt = plain
    second, second_dbt = _plain_assets(project)
    assert set(first.keys) & set(second.keys)
    with pytest.raises(dg.DagsterInvariantViolationError, match="same key 'dbt'"):
        dg.Definitions.merge(
            dg.Definitions(assets=[first], resources={"dbt": first_dbt}),
            dg.Definitions(assets=[second], resources={"dbt": second_dbt}),
        )
    with pytest.raises(dg.DagsterInvalidDefinitionError, match="Duplicate asset key"):
        dg.Definitions.validate_loadable(
            dg.Definitions(assets=[first, second], resources={"dbt": first_dbt})
        )
