"""A Dagster project that knows nothing of lineage: no logger, no ``with_openlineage``.

Runs of it get lineage only from the instance's ``OpenLineageHandler``, with its own settings.
Its assets are its own (it imports no other test project), as a code location's are: a process
that loads it alone has one ``Definitions``, which the handler finds without being told.
"""

from __future__ import annotations

import dagster as dg

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


defs = dg.Definitions(assets=[raw_orders, stg_orders])
