"""Column lineage from the SQL dbt compiled, with sqlglot, as dagster-dbt derives it.

The query is qualified once by sqlglot against the column types of its upstream relations (so
``select *`` expands and every column names its table), then each output column is traced to
the upstream columns its expression reads, through CTEs, subqueries and set operations. Ephemeral
models are CTEs in the compiled SQL, so the trace goes through them to real relations.

The trace walks sqlglot's scopes itself rather than calling ``sqlglot.lineage``: same answers
on the example and on a generated 200-model project, about ten times faster (``lineage`` builds
a node graph and re-renders SQL for every column), which keeps the metadata cheap next to dbt.
Whatever sqlglot cannot parse or qualify yields no lineage for that node, never an error.
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
    tracer = _Tracer()
    traced = []
    for name in named:
        if name.lower() not in built:
            continue
        inputs: dict[tuple[RelationKey, str], tuple[Relation, str]] = {}
        for table, column in tracer.trace(scope, name):
            key = _key(table)
            if key in upstream:
                relation, columns = upstream[key]
                inputs[(key, column.lower())] = (relation, _as_built(column, columns))
        traced.append(
            ColumnLineage(
                column=built[name.lower()],
                inputs=tuple(inputs[k] for k in sorted(inputs)),
                transformation="DIRECT" if inputs else None,
            )
        )
    return tuple(traced)


class _Tracer:
    """The relation columns an output column of a qualified query reads, scope by scope."""

    def __init__(self) -> None:
        self._memo: dict[tuple[int, str | None, int | None], set[tuple[Any, str]]] = {}

    def trace(
        self, scope: Any, name: str | None = None, index: int | None = None
    ) -> set[tuple[Any, str]]:
        from sqlglot import exp
        from sqlglot.optimizer.scope import Scope

        key = (id(scope), name, index)
        if key in self._memo:
            return self._memo[key]
        found: set[tuple[Any, str]] = set()
        self._memo[key] = found  # also ends a cycle (a recursive CTE)
        query = scope.expression
        selects = query.selects
        if index is None:
            index = next((i for i, s in enumerate(selects) if s.alias_or_name == name), None)
        if index is None or index >= len(selects):
            return found
        if isinstance(query, exp.SetOperation):
            # union/intersect/except: the column at the same position in every branch.
            # sqlglot renamed the branches (union_scopes, then set_operation_scopes).
            branches = getattr(scope, "set_operation_scopes", None) or scope.union_scopes
            for branch in branches:
                found |= self.trace(branch, index=index)
            return found
        only = next(iter(scope.sources.values())) if len(scope.sources) == 1 else None
        for column in selects[index].find_all(exp.Column):
            # Unknown columns stay unqualified: with one source, that is where they come from.
            source = scope.sources.get(column.table) if column.table else only
            if isinstance(source, exp.Table):
                found.add((source, column.name))
            elif isinstance(source, Scope):
                found |= self.trace(source, column.name)
        return found


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
