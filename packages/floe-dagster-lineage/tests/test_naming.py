"""Dataset identity per OpenLineage's naming spec, from a dbt profile output.

The expected namespaces are those openlineage-dbt derives from the same profile outputs (its
``DbtArtifactProcessor.extract_namespace``); the root ``tests/test_lineage_naming.py`` holds our
function against that very code and against a real ``dbt-ol build``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from floe_dagster_lineage import dataset_for, dataset_namespace, warehouse_from_profile
from floe_orchestrator_contract import Relation, Warehouse

SECRETS = {"user": "alice", "password": "hunter2", "token": "dapi-secret", "keyfile": "/k.json"}

# (profile output, namespace), one or more per adapter.
PROFILES: list[tuple[dict[str, Any], str]] = [
    ({"type": "duckdb", "path": "/data/warehouse.duckdb"}, "duckdb:///data/warehouse.duckdb"),
    ({"type": "duckdb"}, "duckdb://:memory:"),
    ({"type": "duckdb", "path": "md:analytics"}, "duckdb://md:analytics"),
    (
        {"type": "postgres", "host": "db.internal", "port": 5432, "dbname": "shop"},
        "postgres://db.internal:5432",
    ),
    ({"type": "snowflake", "account": "myorg-myaccount"}, "snowflake://myorg-myaccount"),
    ({"type": "snowflake", "account": "xy12345"}, "snowflake://xy12345.us-west-1.aws"),
    ({"type": "snowflake", "account": "xy12345.us-east-2"}, "snowflake://xy12345.us-east-2.aws"),
    (
        {"type": "snowflake", "account": "xy12345.east-us-2.azure"},
        "snowflake://xy12345.east-us-2.azure",
    ),
    ({"type": "bigquery", "project": "acme-data", "method": "oauth"}, "bigquery"),
    (
        {"type": "redshift", "host": "c1.abc.eu-west-1.redshift.amazonaws.com", "port": 5439},
        "redshift://c1.abc.eu-west-1.redshift.amazonaws.com:5439",
    ),
    ({"type": "trino", "host": "trino.internal", "port": 8080}, "trino://trino.internal:8080"),
    ({"type": "presto", "host": "presto", "port": "8889"}, "presto://presto:8889"),
    ({"type": "clickhouse", "host": "ch", "port": 8123}, "clickhouse://ch:8123"),
    (
        {"type": "databricks", "host": "adb-1.azuredatabricks.net", "http_path": "/sql/1"},
        "databricks://adb-1.azuredatabricks.net",
    ),
    ({"type": "spark", "host": "spark", "port": 10000, "method": "thrift"}, "spark://spark:10000"),
    ({"type": "spark", "host": "spark", "method": "thrift"}, "spark://spark:10001"),
    ({"type": "spark", "host": "spark.cloud", "method": "http"}, "spark://spark.cloud:443"),
    ({"type": "sqlserver", "server": "mssql", "port": 1433}, "mssql://mssql:1433"),
    ({"type": "fabric", "server": "fab.net", "port": 1433}, "fabric-warehouse://fab.net:1433"),
    ({"type": "fabric", "server": "fab.net"}, "fabric-warehouse://fab.net"),
    ({"type": "dremio", "software_host": "dremio", "port": 9047}, "dremio://dremio:9047"),
    ({"type": "athena", "region_name": "eu-west-1"}, "awsathena://athena.eu-west-1.amazonaws.com"),
    (
        {"type": "glue", "region": "eu-west-1", "role_arn": "arn:aws:iam::123456789012:role/x"},
        "arn:aws:glue:eu-west-1:123456789012",
    ),
    ({"type": "glue", "region": "us-east-1", "account_id": "42"}, "arn:aws:glue:us-east-1:42"),
]


@pytest.mark.parametrize(("output", "namespace"), PROFILES, ids=lambda v: str(v)[:40])
def test_each_adapter_is_named_as_openlineage_names_it(
    output: dict[str, Any], namespace: str
) -> None:
    warehouse = warehouse_from_profile({**output, **SECRETS})
    assert dataset_namespace(warehouse) == namespace
    # Only what identifies the warehouse is kept: no user, password, token or key file.
    assert not {str(v) for v in SECRETS.values()} & {
        str(v) for v in (*vars(warehouse).values(), *warehouse.extra.values())
    }


def test_a_relative_duckdb_path_is_anchored_where_dbt_runs(tmp_path: Path) -> None:
    output = {"type": "duckdb", "path": "target/greenhouse.duckdb"}
    warehouse = warehouse_from_profile(output, project_dir=tmp_path)
    assert warehouse.path == str(tmp_path / "target" / "greenhouse.duckdb")
    assert dataset_namespace(warehouse) == f"duckdb://{tmp_path}/target/greenhouse.duckdb"
    in_cwd = warehouse_from_profile(output)
    assert in_cwd.path == os.path.join(os.getcwd(), "target", "greenhouse.duckdb")


def test_names_are_database_schema_table() -> None:
    postgres = Warehouse(adapter="postgres", host="db", port=5432)
    dataset = dataset_for(postgres, Relation("shop", "marts", "orders"))
    assert (dataset.namespace, dataset.name) == ("postgres://db:5432", "shop.marts.orders")
    bigquery = warehouse_from_profile({"type": "bigquery", "project": "acme"})
    assert bigquery.project == "acme"
    assert dataset_for(bigquery, Relation("acme", "sales", "t")).name == "acme.sales.t"
    # A relation without a database (e.g. a ClickHouse or Spark schema.table) drops the part.
    spark = Warehouse(adapter="spark", host="spark", port=10000)
    assert dataset_for(spark, Relation(None, "lake", "events")).name == "lake.events"


def test_an_adapter_openlineage_does_not_know_is_still_named() -> None:
    assert dataset_namespace(Warehouse("oracle", host="ora", port=1521)) == "oracle://ora:1521"
    assert dataset_namespace(Warehouse("sqlite", path="/db.sqlite")) == "sqlite:///db.sqlite"
    assert dataset_namespace(Warehouse("materialize")) == "materialize"


def test_a_profile_without_an_adapter_is_refused() -> None:
    with pytest.raises(ValueError, match="'type'"):
        warehouse_from_profile({"host": "db"})
