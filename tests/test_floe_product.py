"""A product compiled by floe, used as a new floe user would: ``floe platform compile
--generate-definitions`` asks the plugin for ``definitions.py``, Dagster loads it and runs the
product's job. Exact rows in DuckDB, lineage at the backend the artifacts name, one line saying
what the plugin does not act on, and no secret anywhere a person reads."""

from __future__ import annotations

import json
import runpy
import shutil
import subprocess
import sys
import warnings
from collections.abc import Iterator
from decimal import Decimal
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from _floe_product import (
    EXPECTED_ROWS,
    REFERENCE,
    SECRETS,
    copy_product,
    dagster_env,
    graphql,
    lineage_receiver,
    openlineage_problems,
    query,
    row_counts,
)

from floe_orchestrator_contract import ArtifactsWarning, ContractValidationError
from floe_orchestrator_dagster import DagsterOrchestratorPlugin
from floe_orchestrator_dagster.loader import load_product_definitions

IGNORED = (
    "customer-360: not acted on by the Dagster plugin: plugins.catalog (polaris) and "
    "plugins.storage (s3): no Iceberg export; observability.telemetry: no OpenTelemetry traces "
    "(lineage is emitted); governance: shown as asset metadata, not enforced; quality_checks (3): "
    "shown as asset metadata, not run (dbt tests are checks); quality_config: no quality gates "
    "or scores; data_contracts (1): not validated"
)


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """customer-360 compiled by floe, its definitions.py generated as floe's compile asks, then
    ``dagster job execute`` of the product's job; its Marquez URL points at a loopback backend."""
    workdir = tmp_path_factory.mktemp("floe_user")
    with lineage_receiver() as (url, events):
        product = copy_product(workdir / "customer-360", lineage_url=url)
        (entry,) = [ep for ep in entry_points(group="floe.orchestrators") if ep.name == "dagster"]
        definitions = entry.load()().generate_entry_point_code(
            product_name="customer-360",
            output_dir=str(product),
            lineage_enabled=True,
            iceberg_enabled=False,
        )
        command = [sys.executable, "-m", "dagster", "job", "execute", "-f", definitions]
        completed = subprocess.run(
            [*command, "-j", "customer_360_job"],
            cwd=product,
            env=dagster_env(workdir / "home"),
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        output = completed.stdout + completed.stderr
        assert completed.returncode == 0, output[-4000:]
        yield {"product": product, "output": output, "events": list(events)}


def test_the_product_materializes_with_exact_rows(executed: dict[str, Any]) -> None:
    database = executed["product"] / "target" / "customer_360.duckdb"
    assert row_counts(database) == EXPECTED_ROWS
    # compute "duckdb" names the compute plugin: every model ran under the environment's target.
    for table in ("stg_customers", "stg_orders"):
        assert query(database, f"select distinct built_by_target from staging.{table}") == [
            ("dev",)
        ]
    for table in ("customer_orders", "dim_customers"):
        assert query(database, f"select distinct built_by_target from marts.{table}") == [("dev",)]
    assert query(database, "select sum(orders), sum(revenue_eur) from marts.dim_customers") == [
        (10, Decimal("777.49"))
    ]


def test_lineage_reaches_the_backend_the_artifacts_name(executed: dict[str, Any]) -> None:
    events = executed["events"]
    assert events, "plugins.lineage_backend (marquez) received nothing"
    assert openlineage_problems(events) == []
    assert {e["job"]["namespace"] for e in events} == {"sales"}  # observability.lineage_namespace
    built = {o["name"].rsplit(".", 1)[-1] for e in events for o in e.get("outputs", [])}
    assert {"dim_customers", "customer_orders", "stg_customers", "stg_orders"} <= built


def test_it_says_what_it_ignored_and_shows_no_secret(executed: dict[str, Any]) -> None:
    output = executed["output"]
    assert IGNORED in output
    shown = output + json.dumps(executed["events"])
    assert [s for s in SECRETS if s in shown] == []
    plugin = DagsterOrchestratorPlugin()
    plugin.configure({"image": "ghcr.io/acme/customer-360:2.1.0", "workload_size": "medium"})
    assert [s for s in SECRETS if s in json.dumps(plugin.get_helm_values())] == []


def test_floes_own_generated_definitions_keep_working(executed: dict[str, Any]) -> None:
    product = executed["product"]
    shim = product / "floe_generated_definitions.py"
    shutil.copy(REFERENCE / "floe-core" / "generated_definitions.py.example", shim)
    try:
        defs = runpy.run_path(str(shim))["defs"]
    finally:
        shim.unlink()
    assert isinstance(defs, dg.Definitions)
    assert defs.resolve_job_def("customer_360_job") is not None
    assert len(defs.resolve_all_asset_keys()) == 6


def test_the_loader_checks_the_product_and_finds_the_dbt_project(executed: dict[str, Any]) -> None:
    product = executed["product"]
    with pytest.raises(ContractValidationError) as caught:
        load_product_definitions("orders", product)
    assert "product_name: 'orders' is not the product compiled in" in str(caught.value)
    assert "('customer-360')" in str(caught.value)
    # floe's default output: target/compiled_artifacts.json, the dbt project one folder up.
    shutil.copy(product / "compiled_artifacts.json", product / "target" / "compiled_artifacts.json")
    defs = load_product_definitions("customer-360", product / "target")
    assert len(defs.resolve_all_asset_keys()) == 6
    with pytest.raises(ContractValidationError, match=r"compiled_artifacts.json: not found"):
        load_product_definitions("customer-360", product / "models")


def test_quality_and_governance_show_on_the_assets(
    executed: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    plugin = DagsterOrchestratorPlugin(dbt_project_dir=executed["product"])
    defs = plugin.create_definitions(executed["product"] / "compiled_artifacts.json")
    specs = {
        spec.key.to_user_string(): spec
        for assets in defs.assets or []
        if isinstance(assets, dg.AssetsDefinition)
        for spec in assets.specs
    }
    dim = specs["customer-360/dim_customers"]
    assert dim.tags["floe/quality_tier"] == "gold"
    assert dim.metadata["floe/quality_tier"] == "gold"
    checks = dim.metadata["floe/quality_checks"].value
    assert [(c["name"], c["severity"]) for c in checks] == [
        ("customer_id_not_null", "critical"),
        ("customer_id_unique", "critical"),
    ]
    assert dim.metadata["floe/governance"].value["snapshot_keep_last"] == 10
    assert specs["customer-360/stg_orders"].tags["floe/quality_tier"] == "bronze"
    assert "floe/quality_checks" not in specs["customer-360/stg_orders"].metadata
    assert dim.metadata["dbt/target"] == "dev"
    assert dim.metadata["floe/compute"] == "duckdb"
    warned = [r for r in caplog.records if r.levelname == "WARNING" and "not acted on" in r.message]
    assert [r.getMessage() for r in warned] == [IGNORED]


def test_a_disagreeing_depends_on_is_one_warning_and_dbt_decides(executed: dict[str, Any]) -> None:
    data = json.loads((executed["product"] / "compiled_artifacts.json").read_text())
    models = {m["name"]: m for m in data["transforms"]["models"]}
    models["dim_customers"]["depends_on"] = ["stg_customers"]  # floe.yaml forgot one
    models["customer_orders"]["depends_on"] = ["stg_orders", "stg_customers"]  # and added one
    plugin = DagsterOrchestratorPlugin(dbt_project_dir=executed["product"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        defs = plugin.create_definitions(data)
    assert [w.category for w in caught] == [ArtifactsWarning]
    assert str(caught[0].message) == (
        "depends_on of 2 model(s) disagrees with the refs in their dbt SQL; dbt's refs decide the "
        "order: 'customer_orders' declares ['stg_customers'] that dbt does not ref; "
        "'dim_customers' omits ['customer_orders'] that dbt refs"
    )
    deps = {
        spec.key.to_user_string(): {d.asset_key.to_user_string() for d in spec.deps}
        for assets in defs.assets or []
        if isinstance(assets, dg.AssetsDefinition)
        for spec in assets.specs
    }
    p = "customer-360/"
    assert deps[p + "dim_customers"] == {p + "stg_customers", p + "customer_orders"}
    assert deps[p + "customer_orders"] == {p + "stg_orders"}


def test_a_real_webserver_serves_the_generated_definitions(
    served_product: tuple[str, Path],
) -> None:
    url, _ = served_product
    payload = graphql(
        url,
        """{ repositoriesOrError { ... on RepositoryConnection { nodes {
              jobs { name }
              schedules { name cronSchedule executionTimezone pipelineName } } } }
            assetNodes { assetKey { path } isMaterializable tags { key value } } }""",
    )
    (repository,) = payload["data"]["repositoriesOrError"]["nodes"]
    (schedule,) = repository["schedules"]
    assert schedule == {
        "name": "customer_360_job_schedule",
        "cronSchedule": "0 5 * * *",
        "executionTimezone": "Europe/Berlin",
        "pipelineName": "customer_360_job",
    }
    nodes = {"/".join(n["assetKey"]["path"]): n for n in payload["data"]["assetNodes"]}
    assert {k for k, n in nodes.items() if n["isMaterializable"]} == {
        "customer-360/raw_customers",
        "customer-360/raw_orders",
        "customer-360/stg_customers",
        "customer-360/stg_orders",
        "customer-360/customer_orders",
        "customer-360/dim_customers",
    }
    tags = {t["key"]: t["value"] for t in nodes["customer-360/dim_customers"]["tags"]}
    assert tags["floe/quality_tier"] == "gold"
