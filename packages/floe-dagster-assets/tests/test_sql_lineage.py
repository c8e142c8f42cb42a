"""Column lineage from compiled SQL, with and without the warehouse's column types."""

from __future__ import annotations

from floe_dagster_assets._facts import relation_key
from floe_dagster_assets._sql_lineage import column_lineage
from floe_orchestrator_contract import ColumnInfo, Relation

ORDERS = Relation("shop", "raw", "orders")
CUSTOMERS = Relation("shop", "raw", "customers")
TYPES = {
    relation_key(ORDERS): (
        ORDERS,
        (ColumnInfo("order_id", "INTEGER"), ColumnInfo("customer_id", "INTEGER")),
    ),
    relation_key(CUSTOMERS): (
        CUSTOMERS,
        (ColumnInfo("customer_id", "INTEGER"), ColumnInfo("Name", "VARCHAR")),
    ),
}


def _traced(lineage: tuple) -> dict[str, set[tuple[str, str]]]:
    return {c.column: {(r.identifier, column) for r, column in c.inputs} for c in lineage}


def test_explicit_columns_are_traced_without_any_column_types() -> None:
    sql = (
        'select o.order_id, upper(c.name) as customer from "shop"."raw"."orders" as o '
        'join "shop"."raw"."customers" as c on c.customer_id = o.customer_id'
    )
    unknown = {key: (relation, ()) for key, (relation, _) in TYPES.items()}
    lineage = column_lineage(sql, dialect="postgres", output=(), upstream=unknown)
    assert _traced(lineage) == {
        "order_id": {("orders", "order_id")},
        "customer": {("customers", "name")},
    }


def test_select_star_expands_with_the_types_as_built_and_keeps_their_spelling() -> None:
    sql = 'with c as (select * from "shop"."raw"."customers") select * from c'
    output = (ColumnInfo("customer_id", "INTEGER"), ColumnInfo("Name", "VARCHAR"))
    lineage = column_lineage(sql, dialect="duckdb", output=output, upstream=TYPES)
    assert _traced(lineage) == {
        "customer_id": {("customers", "customer_id")},
        "Name": {("customers", "Name")},
    }


def test_what_sqlglot_cannot_parse_gets_no_lineage() -> None:
    assert column_lineage("select from where (", dialect="duckdb", output=(), upstream={}) == ()


def test_set_operations_trace_each_branch_by_position_and_count_star_reads_no_column() -> None:
    sql = (
        'select order_id as id, count(*) as n from "shop"."raw"."orders" group by 1 '
        'union all select customer_id, 0 from "shop"."raw"."customers"'
    )
    lineage = column_lineage(sql, dialect="duckdb", output=(), upstream=TYPES)
    assert _traced(lineage) == {
        "id": {("orders", "order_id"), ("customers", "customer_id")},
        "n": set(),
    }


def test_a_recursive_cte_ends() -> None:
    sql = (
        'with recursive r as (select customer_id as n from "shop"."raw"."customers" '
        "union all select n + 1 from r where n < 3) select n from r"
    )
    lineage = column_lineage(sql, dialect="duckdb", output=(), upstream=TYPES)
    assert _traced(lineage) == {"n": {("customers", "customer_id")}}
