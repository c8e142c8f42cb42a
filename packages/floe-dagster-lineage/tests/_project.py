"""A small Dagster project of our own: plain assets, multi-assets, a failing multi-asset.

``build_defs(config)`` wraps it with ``with_openlineage``; the module-level ``defs`` (config from
the environment) is what a multiprocess run reconstructs in each step process.
"""

from __future__ import annotations

from typing import Any

import dagster as dg

from floe_dagster_lineage import LineageConfig, with_openlineage

ORDERS_SCHEMA = dg.TableSchema(
    columns=[
        dg.TableColumn("order_id", "INTEGER", description="primary key"),
        dg.TableColumn("amount", "DOUBLE"),
    ]
)


@dg.asset(
    key=["raw", "orders"],
    metadata={"dagster/table_name": "warehouse.raw.orders", "dagster/column_schema": ORDERS_SCHEMA},
)
def raw_orders() -> None:
    return None


@dg.asset(deps=[raw_orders])
def stg_orders() -> None:
    return None


@dg.multi_asset(
    specs=[dg.AssetSpec("orders", deps=[stg_orders]), dg.AssetSpec("customers", deps=[stg_orders])]
)
def marts() -> Any:
    yield dg.MaterializeResult(
        asset_key="orders",
        metadata={
            "dagster/column_schema": dg.TableSchema(
                columns=[dg.TableColumn("order_id", "INTEGER"), dg.TableColumn("total", "DOUBLE")]
            )
        },
    )
    yield dg.MaterializeResult(asset_key="customers")


@dg.multi_asset(
    specs=[dg.AssetSpec("revenue", deps=["orders"]), dg.AssetSpec("margin", deps=["orders"])]
)
def finance() -> Any:
    yield dg.MaterializeResult(asset_key="revenue")
    raise RuntimeError("margin source is unreachable")


@dg.asset(deps=["margin"])
def margin_report() -> None:
    return None


ASSETS = [raw_orders, stg_orders, marts, finance, margin_report]
ALL = dg.define_asset_job("all_assets", selection=dg.AssetSelection.all())
HEALTHY = dg.define_asset_job(
    "healthy_assets", selection=dg.AssetSelection.assets(raw_orders, stg_orders, marts)
)
# Two independent steps, so a multiprocess run starts two step processes side by side.
SPLIT = dg.define_asset_job("split_steps", selection=dg.AssetSelection.assets(raw_orders, finance))


def build_defs(config: LineageConfig | None = None, **options: Any) -> dg.Definitions:
    return with_openlineage(
        dg.Definitions(assets=ASSETS, jobs=[ALL, HEALTHY, SPLIT]), config, **options
    )


defs = build_defs()


def healthy_job() -> dg.JobDefinition:
    return defs.resolve_job_def("healthy_assets")


def all_job() -> dg.JobDefinition:
    return defs.resolve_job_def("all_assets")


def split_job() -> dg.JobDefinition:
    return defs.resolve_job_def("split_steps")
