"""Several floe products in one Dagster deployment: the example and a copy of it under another
product name share every model name, and each materializes only its own tables."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import pytest

from floe_orchestrator_contract import ContractValidationError
from floe_orchestrator_dagster import DagsterOrchestratorPlugin
from floe_orchestrator_dagster.loader import load_product_definitions

pytestmark = pytest.mark.usefixtures("clean_env")

# A model of greenhouse_east reads greenhouse's fct_harvests, declared as a dbt source.
CROSS_PRODUCT_SOURCE = """\
sources:
  - name: greenhouse_marts
    meta:
      floe:
        product: greenhouse
    tables:
      - name: fct_harvests
"""
CROSS_PRODUCT_MODEL = "select greenhouse_id, count(*) as harvests "
CROSS_PRODUCT_MODEL += "from {{ source('greenhouse_marts', 'fct_harvests') }} group by 1\n"


def _product(greenhouse: Path, folder: Path, name: str) -> Path:
    """A copy of the example compiled as product ``name`` (same dbt project, own DuckDB file)."""
    shutil.copytree(greenhouse, folder, ignore=shutil.ignore_patterns("*.duckdb*"))
    path = folder / "compiled_artifacts.json"
    artifacts = json.loads(path.read_text())
    artifacts["metadata"]["product_name"] = name
    artifacts["observability"]["lineage_namespace"] = name
    path.write_text(json.dumps(artifacts))
    return path


def _tables(artifacts: Path) -> set[str]:
    database = artifacts.parent / "target" / "greenhouse.duckdb"
    if not database.exists():
        return set()
    with duckdb.connect(str(database), read_only=True) as connection:
        rows = connection.execute(
            "select table_schema, table_name from information_schema.tables"
        ).fetchall()
    return {f"{schema}.{name}" for schema, name in rows}


@pytest.fixture
def two_products(greenhouse: Path, tmp_path: Path) -> tuple[Path, Path]:
    return (
        _product(greenhouse, tmp_path / "greenhouse", "greenhouse"),
        _product(greenhouse, tmp_path / "greenhouse-east", "greenhouse-east"),
    )


def test_two_products_with_overlapping_model_names_materialize_only_their_own_tables(
    two_products: tuple[Path, Path],
) -> None:
    west, east = two_products
    defs = DagsterOrchestratorPlugin().create_definitions([west, east])
    dg.Definitions.validate_loadable(defs)

    keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    assert {"greenhouse/stg_harvests", "greenhouse-east/stg_harvests"} <= keys
    assert {"greenhouse/weather/daily_weather", "greenhouse-east/weather/daily_weather"} <= keys
    assert not {k for k in keys if "/" not in k}
    assert set(defs.resources or {}) == {
        "dbt_greenhouse",
        "floe_run_observers_greenhouse",
        "dbt_greenhouse_east",
        "floe_run_observers_greenhouse_east",
    }
    schedules = {s.name: s.job_name for s in defs.schedules or []}
    assert schedules == {
        "greenhouse_daily_schedule": "greenhouse_daily",
        "greenhouse_east_greenhouse_daily_schedule": "greenhouse_east_greenhouse_daily",
    }
    east_job = defs.resolve_job_def("greenhouse_east_greenhouse_daily")
    assert {k.path[0] for k in east_job.asset_layer.executable_asset_keys} == {"greenhouse-east"}

    job = defs.resolve_implicit_global_asset_job_def()
    east_only = [dg.AssetKey(["greenhouse-east", n]) for n in ("raw_harvests", "stg_harvests")]
    with dg.DagsterInstance.ephemeral() as instance:
        assert job.execute_in_process(instance=instance, asset_selection=east_only).success
        assert _tables(east) == {"raw.raw_harvests", "staging.stg_harvests"}
        assert _tables(west) == set()
        west_only = [dg.AssetKey(["greenhouse", "raw_greenhouses"])]
        assert job.execute_in_process(instance=instance, asset_selection=west_only).success
    assert _tables(west) == {"raw.raw_greenhouses"}
    assert _tables(east) == {"raw.raw_harvests", "staging.stg_harvests"}


def test_separately_built_products_merge(two_products: tuple[Path, Path]) -> None:
    """Two code-location files of floe (definitions.py each) merge into one Definitions."""
    west, east = two_products
    merged = dg.Definitions.merge(
        load_product_definitions("greenhouse", west.parent),
        load_product_definitions("greenhouse-east", east.parent),
    )
    dg.Definitions.validate_loadable(merged)
    loggers = set(merged.loggers or {})
    assert {"openlineage_greenhouse", "openlineage_greenhouse_east"} <= loggers


def test_bare_keys_keep_a_single_products_names(two_products: tuple[Path, Path]) -> None:
    west, east = two_products
    plugin = DagsterOrchestratorPlugin(namespace_by_product=False)
    defs = plugin.create_definitions(west)
    keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    assert {"stg_harvests", "weather/daily_weather"} <= keys
    assert set(defs.resources or {}) == {"dbt", "floe_run_observers"}
    assert "openlineage" in (defs.loggers or {})
    with pytest.raises(ContractValidationError, match="namespace_by_product=False with 2"):
        plugin.create_definitions([west, east])


def test_a_source_marked_with_a_product_depends_on_its_model(
    two_products: tuple[Path, Path],
) -> None:
    west, east = two_products
    (east.parent / "models" / "staging" / "_greenhouse.yml").write_text(CROSS_PRODUCT_SOURCE)
    (east.parent / "models" / "marts" / "east_harvest_counts.sql").write_text(CROSS_PRODUCT_MODEL)
    artifacts: dict[str, Any] = json.loads(east.read_text())
    artifacts["transforms"]["models"].append(
        {"name": "east_harvest_counts", "compute": "duckdb", "tags": [], "depends_on": []}
    )
    east.write_text(json.dumps(artifacts))

    defs = DagsterOrchestratorPlugin().create_definitions([west, east])
    dg.Definitions.validate_loadable(defs)
    graph = defs.resolve_asset_graph()
    counts = graph.get(dg.AssetKey(["greenhouse-east", "east_harvest_counts"]))
    assert set(counts.parent_keys) == {dg.AssetKey(["greenhouse", "fct_harvests"])}
    # The other product defines that asset: no external asset stands in for it.
    assert dg.AssetKey(["greenhouse-east", "greenhouse_marts", "fct_harvests"]) not in set(
        graph.get_all_asset_keys()
    )
