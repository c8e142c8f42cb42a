"""Column lineage from the SQL dbt compiled, with sqlglot, as dagster-dbt derives it.

The query is qualified once against the column types of its upstream relations (so ``select *``
expands) and every output column is traced to the upstream columns it is computed from. Ephemeral
models are CTEs in the compiled SQL, so the trace goes through them to real relations. Whatever
sqlglot cannot parse or trace yields no lineage for that node or column, never an error.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from floe_orchestrator_contract import ColumnInfo, ColumnLineage, Relation

from ._facts import RelationKey, relation_key

__all__ = ["column_lineage"]

logger = logging.getLogger(__name__)


def column_lineage(
    sql: str,
    *,
    dialect: str,
    output: Sequence[ColumnInfo],
    upstream: Mapping[RelationKey, tuple[Relation, Sequence[ColumnInfo]]],
    this: Relation | None = None,
) -> tuple[ColumnLineage, ...]:
    """For each column of ``output`` (as built), the ``upstream`` columns it comes from.

    ``upstream`` maps each relation the node reads to its columns as built (empty when unknown:
    then ``select *`` cannot be expanded); ``this`` (with ``output``) lets incremental models
    that read themselves be qualified too. With no ``output`` (the warehouse was not asked),
    every named column of the query is traced.
    """
    try:
        return _trace(sql, dialect, output, upstream, this)
    except Exception as error:  # sqlglot raises many kinds; lineage is best effort
        logger.debug("no column lineage: %s: %s", type(error).__name__, error)
        return ()


def _trace(
    sql: str,
    dialect: str,
    output: Sequence[ColumnInfo],
    upstream: Mapping[RelationKey, tuple[Relation, Sequence[ColumnInfo]]],
    this: Relation | None,
) -> tuple[ColumnLineage, ...]:
    from sqlglot import MappingSchema, exp, parse_one
    from sqlglot.lineage import lineage
    from sqlglot.optimizer.qualify import qualify
    from sqlglot.optimizer.scope import build_scope

    dialect = _DIALECTS.get(dialect, dialect)
    schema = MappingSchema(dialect=dialect)
    tables = dict(upstream)
    if this is not None and output:
        tables.setdefault(relation_key(this), (this, output))
    for relation, columns in tables.values():
        if columns:  # a relation with unknown columns still matches, it just cannot expand *
            schema.add_table(
                _table(relation),
                {c.name: c.data_type or "unknown" for c in columns},
                dialect=dialect,
            )
    query = qualify(
        parse_one(sql, dialect=dialect),
        dialect=dialect,
        schema=schema,
        validate_qualify_columns=False,
        identify=False,
    )
    scope = build_scope(query)
    if scope is None or not isinstance(query, exp.Query):
        return ()
    named = [s.alias_or_name for s in query.selects if s.alias_or_name and s.alias_or_name != "*"]
    built = {c.name.lower(): c.name for c in output} or {n.lower(): n for n in named}
    wanted = [name for name in named if name.lower() in built]
    traced = []
    roots = _roots(wanted, query, schema=schema, dialect=dialect, scope=scope, lineage=lineage)
    for name, root in roots.items():
        inputs: dict[tuple[RelationKey, str], tuple[Relation, str]] = {}
        for node in root.walk():
            if node.downstream:
                continue  # only leaves name upstream columns
            table = node.expression.find(exp.Table) if node.expression else None
            if table is None:
                continue
            key = _key(table)
            if key in upstream:
                column = exp.to_column(node.name).name
                relation = upstream[key][0]
                inputs[(key, column.lower())] = (relation, _as_built(column, upstream[key][1]))
        traced.append(
            ColumnLineage(
                column=built[name.lower()],
                inputs=tuple(inputs[k] for k in sorted(inputs)),
                transformation="DIRECT" if inputs else None,
            )
        )
    return tuple(traced)


def _roots(
    names: Sequence[str], query: Any, *, schema: Any, dialect: str, scope: Any, lineage: Any
) -> dict[str, Any]:
    """sqlglot's lineage graph of each output column, sharing one walk where sqlglot can.

    Recent sqlglot traces every column in one call (``column=None``) over the already qualified
    scope without copying the query (about half the time); older releases take one column per
    call.
    """
    try:
        every = lineage(None, query, schema=schema, dialect=dialect, scope=scope, copy=False)
        return {name: every[name] for name in names if name in every}
    except Exception:
        pass
    roots = {}
    for name in names:
        try:
            roots[name] = lineage(name, query, schema=schema, dialect=dialect, scope=scope)
        except Exception as error:
            logger.debug("no lineage for column %s: %s", name, error)
    return roots


# dbt adapter types whose sqlglot dialect has another name.
_DIALECTS = {"sqlserver": "tsql", "synapse": "tsql", "fabric": "tsql", "spark": "spark"}


def _table(relation: Relation) -> Any:
    from sqlglot import exp

    def part(name: str | None) -> Any:
        return exp.to_identifier(name, quoted=True) if name else None

    return exp.Table(
        this=part(relation.identifier), db=part(relation.schema), catalog=part(relation.database)
    )


def _key(table: Any) -> RelationKey:
    return (
        str(getattr(table, "catalog", "") or "").lower(),
        str(getattr(table, "db", "") or "").lower(),
        str(getattr(table, "name", "") or "").lower(),
    )


def _as_built(column: str, columns: Sequence[ColumnInfo]) -> str:
    """The upstream column's name as the warehouse spells it."""
    lowered = column.lower()
    return next((c.name for c in columns if c.name.lower() == lowered), column)
