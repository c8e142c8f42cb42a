"""What the warehouse says about relations just built: exact row counts and column types.

Asked once per dbt invocation, after it ends, in two queries however many nodes it built: one
over ``information_schema.columns`` and one ``count(*)`` per table glued with ``union all``.
After, because DuckDB lets no other process open a file that dbt holds for writing (dbt-duckdb
keeps it open for the whole invocation), and batched so the cost does not grow with round trips.

Views are described but not counted: counting a view runs its query, which may cost as much as
the model itself (dagster-dbt skips them for the same reason).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from floe_orchestrator_contract import ColumnInfo, Relation, Warehouse

__all__ = ["RelationKey", "WarehouseFacts", "fetch_facts", "gives_facts", "relation_key"]

logger = logging.getLogger(__name__)

RelationKey = tuple[str, str, str]
# Keep one statement well inside what DuckDB parses quickly.
_COUNTS_PER_QUERY = 500


def relation_key(relation: Relation) -> RelationKey:
    """Case-insensitive identity of a relation (warehouses here fold unquoted names)."""
    return (
        (relation.database or "").lower(),
        (relation.schema or "").lower(),
        relation.identifier.lower(),
    )


@dataclass
class WarehouseFacts:
    columns: dict[RelationKey, tuple[ColumnInfo, ...]] = field(default_factory=dict)
    row_counts: dict[RelationKey, int] = field(default_factory=dict)


def gives_facts(warehouse: Warehouse | None) -> bool:
    """Whether :func:`fetch_facts` can ask this warehouse anything (a DuckDB file)."""
    # Local files only: the resolved path is absolute; md:, s3:, ... are left as written.
    return bool(
        warehouse is not None
        and warehouse.adapter == "duckdb"
        and warehouse.path
        and Path(warehouse.path).is_absolute()
        and not warehouse.host
    )


def fetch_facts(
    warehouse: Warehouse | None, describe: Iterable[Relation], count: Iterable[Relation]
) -> WarehouseFacts:
    """Columns of ``describe`` and row counts of ``count``; what cannot be read is left out."""
    describe, count = list(describe), list(count)
    if warehouse is None or not (describe or count):
        return WarehouseFacts()
    if gives_facts(warehouse) and warehouse.path:
        return _duckdb_facts(warehouse.path, describe, count)
    logger.debug("no runtime facts for %s relations (DuckDB files only)", warehouse.adapter)
    return WarehouseFacts()


def _duckdb_facts(path: str, describe: list[Relation], count: list[Relation]) -> WarehouseFacts:
    try:
        import duckdb
    except ImportError:
        logger.debug("duckdb is not importable: no runtime facts")
        return WarehouseFacts()
    facts = WarehouseFacts()
    try:
        connection = duckdb.connect(path, read_only=True)
    except Exception as error:
        logger.warning("runtime metadata left out: could not open %s read-only: %s", path, error)
        return facts
    # Closed before returning: the next dbt invocation needs the file for writing.
    with connection:
        try:
            facts.columns = _columns(connection, describe)
        except Exception as error:
            logger.warning("column types left out: %s", error)
        for start in range(0, len(count), _COUNTS_PER_QUERY):
            try:
                facts.row_counts.update(
                    _row_counts(connection, count[start : start + _COUNTS_PER_QUERY])
                )
            except Exception as error:
                logger.warning("row counts left out: %s", error)
    return facts


def _columns(
    connection: Any, relations: Sequence[Relation]
) -> dict[RelationKey, tuple[ColumnInfo, ...]]:
    wanted = {relation_key(r) for r in relations}
    schemas = sorted({schema for _, schema, _ in wanted})
    if not schemas:
        return {}
    placeholders = ", ".join("?" for _ in schemas)
    rows = connection.execute(
        "select table_catalog, table_schema, table_name, column_name, data_type "
        "from information_schema.columns "
        f"where lower(table_schema) in ({placeholders}) "
        "order by table_catalog, table_schema, table_name, ordinal_position",
        schemas,
    ).fetchall()
    found: dict[RelationKey, list[ColumnInfo]] = {}
    for catalog, schema, table, column, data_type in rows:
        key = (str(catalog).lower(), str(schema).lower(), str(table).lower())
        if key in wanted:
            found.setdefault(key, []).append(ColumnInfo(name=str(column), data_type=str(data_type)))
    return {key: tuple(columns) for key, columns in found.items()}


def _row_counts(connection: Any, relations: Sequence[Relation]) -> dict[RelationKey, int]:
    parts = [
        f"select {number} as n, count(*) as c from {_quoted(relation)}"
        for number, relation in enumerate(relations)
    ]
    try:
        rows = connection.execute(" union all ".join(parts)).fetchall()
    except Exception:
        if len(relations) == 1:
            raise
        # One unreadable relation must not cost the others their counts.
        counts: dict[RelationKey, int] = {}
        for relation in relations:
            try:
                counts.update(_row_counts(connection, [relation]))
            except Exception as error:
                logger.warning("row count of %s left out: %s", relation.name, error)
        return counts
    return {relation_key(relations[int(n)]): int(c) for n, c in rows}


def _quoted(relation: Relation) -> str:
    parts = (relation.database, relation.schema, relation.identifier)
    return ".".join('"' + part.replace('"', '""') + '"' for part in parts if part)
