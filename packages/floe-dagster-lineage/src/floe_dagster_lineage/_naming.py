"""Dataset identity as OpenLineage's naming spec defines it, the same one openlineage-dbt uses.

A dbt relation is named ``database.schema.table`` in a namespace that says where the warehouse
is: ``duckdb:///abs/path/file.duckdb``, ``postgres://host:port``, ``snowflake://account``,
``bigquery``, ... So a model built by floe joins with what dbt-ol, Spark, Airflow or any other
producer reports for the same table, and two runs of the same product (CLI, UI, schedule,
Kubernetes pod) name it identically.

Where we differ from openlineage-dbt on purpose: a DuckDB file is named by its absolute path
(dbt-ol writes the profile's ``path`` as given, so a relative path names a different dataset
depending on the directory dbt ran in); an adapter dbt-ol does not know is named
``<adapter>://host[:port]`` instead of failing; a missing port is left out instead of failing.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from floe_orchestrator_contract import Dataset, Relation, Warehouse

__all__ = ["dataset_for", "dataset_namespace", "warehouse_from_profile"]

# Profile keys copied into Warehouse.extra: identifying, never secret (no user, password,
# token, keyfile, private key, ...).
_EXTRA_KEYS = ("method", "region_name", "region", "account_id", "role_arn", "http_path", "catalog")
# Spark's default ports per connection method, as openlineage-dbt assumes them.
_SPARK_PORTS = {"http": 443, "odbc": 443, "thrift": 10001}
# Host:port schemes whose adapter name is the scheme (openlineage-dbt's list).
_HOST_PORT = {
    "postgres": "postgres",
    "redshift": "redshift",
    "trino": "trino",
    "clickhouse": "clickhouse",
    "presto": "presto",
    "watsonx_presto": "presto",
    "sqlserver": "mssql",
    "dremio": "dremio",
}
_IN_MEMORY = ":memory:"


def dataset_namespace(warehouse: Warehouse) -> str:
    """The OpenLineage dataset namespace of relations in ``warehouse``."""
    adapter = (warehouse.adapter or "").strip().lower()
    if adapter in _HOST_PORT:
        return _host_port(_HOST_PORT[adapter], warehouse.host, warehouse.port)
    special = _SPECIAL.get(adapter)
    if special is not None:
        return special(warehouse)
    if warehouse.host:
        return _host_port(adapter, warehouse.host, warehouse.port)
    if warehouse.path:
        return f"{adapter}://{warehouse.path}"
    return adapter


def _duckdb(warehouse: Warehouse) -> str:
    return f"duckdb://{warehouse.path or _IN_MEMORY}"


def _snowflake(warehouse: Warehouse) -> str:
    return f"snowflake://{_snowflake_account(warehouse.account or warehouse.host or '')}"


def _databricks(warehouse: Warehouse) -> str:
    return f"databricks://{warehouse.host or ''}"


def _fabric(warehouse: Warehouse) -> str:
    return _host_port("fabric-warehouse", warehouse.host, warehouse.port)


def _athena(warehouse: Warehouse) -> str:
    return f"awsathena://athena.{warehouse.extra.get('region_name', '')}.amazonaws.com"


def _glue(warehouse: Warehouse) -> str:
    extra = warehouse.extra
    account = extra.get("account_id") or _account_of_arn(extra.get("role_arn", ""))
    return f"arn:aws:glue:{extra.get('region', '')}:{account}"


def _spark(warehouse: Warehouse) -> str:
    port = warehouse.port
    if port is None:
        port = _SPARK_PORTS.get(str(warehouse.extra.get("method", "")).lower())
    return _host_port("spark", warehouse.host, port)


_SPECIAL: dict[str, Callable[[Warehouse], str]] = {
    "duckdb": _duckdb,
    "snowflake": _snowflake,
    "bigquery": lambda _: "bigquery",
    "databricks": _databricks,
    "fabric": _fabric,
    "athena": _athena,
    "glue": _glue,
    "spark": _spark,
}


def dataset_for(
    warehouse: Warehouse, relation: Relation, facets: Mapping[str, Any] | None = None
) -> Dataset:
    """The contract's ``Dataset`` for ``relation`` in ``warehouse`` (``database.schema.table``)."""
    return Dataset(dataset_namespace(warehouse), relation.name, dict(facets or {}))


def warehouse_from_profile(
    output: Mapping[str, Any], *, project_dir: str | os.PathLike[str] | None = None
) -> Warehouse:
    """The :class:`Warehouse` of a dbt profile *output* (one target, its values rendered).

    Only identifying values are read (adapter, host, port, path, account, project, database and
    a few adapter-specific ones such as a Spark ``method``); never a user, password or token. A
    relative DuckDB ``path`` is made absolute against ``project_dir`` (where dbt runs), else the
    current directory. Raises ``ValueError`` when the output has no ``type``.
    """
    adapter = output.get("type")
    if not isinstance(adapter, str) or not adapter.strip():
        raise ValueError("dbt profile output: 'type' (the adapter, e.g. duckdb) is missing")
    adapter = adapter.strip().lower()
    host = _text(output.get("host")) or _text(output.get("server"))
    host = host or _text(output.get("software_host"))
    path = None
    if adapter == "duckdb":
        path = _duckdb_path(_text(output.get("path")) or _IN_MEMORY, project_dir)
    database = _text(output.get("database")) or _text(output.get("dbname"))
    return Warehouse(
        adapter=adapter,
        host=host,
        port=_port(output.get("port")),
        path=path,
        account=_text(output.get("account")),
        project=_text(output.get("project")) or (database if adapter == "bigquery" else None),
        database=database,
        extra={key: str(output[key]) for key in _EXTRA_KEYS if _text(output.get(key))},
    )


def _host_port(scheme: str, host: str | None, port: int | None) -> str:
    return f"{scheme}://{host or ''}" + (f":{port}" if port is not None else "")


def _snowflake_account(name: str) -> str:
    """OpenLineage's Snowflake account form: ``org-account`` as is; a legacy locator completed
    with its region and cloud (``xy12345`` → ``xy12345.us-west-1.aws``), as openlineage-dbt does."""
    parts = name.split(".")
    if "-" in parts[0] or not parts[0]:
        return parts[0]
    if len(parts) == 1:
        return f"{parts[0]}.us-west-1.aws"
    if len(parts) == 2:
        return f"{parts[0]}.{parts[1]}.aws"
    return name


def _account_of_arn(arn: str) -> str:
    parts = arn.split(":")
    return parts[4] if len(parts) > 4 else ""


def _duckdb_path(path: str, project_dir: str | os.PathLike[str] | None) -> str:
    # In-memory databases, MotherDuck (md:) and remote URLs have no local file to anchor.
    if path == _IN_MEMORY or ":" in path.split("/", 1)[0]:
        return path
    anchored = Path(path).expanduser()
    if not anchored.is_absolute():
        anchored = Path(project_dir if project_dir is not None else os.getcwd()) / anchored
    return os.path.abspath(anchored)


def _port(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(value) if value is not None and str(value).strip() else None
    except (TypeError, ValueError):
        return None


def _text(value: Any) -> str | None:
    return str(value).strip() or None if value is not None else None
