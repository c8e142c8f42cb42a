"""What a dbt ``manifest.json`` tells lineage about a model: its relation, columns and SQL.

Read as plain JSON (no dbt, no dagster-dbt import) so that lineage stays light; the fields used
(``nodes.*.name/alias/schema/database/relation_name/columns/compiled_code/raw_code``, and the
``compiled_sql``/``raw_sql`` names of older manifests) are stable across manifest versions.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["DbtManifest", "DbtModel"]

_RESOURCE_TYPES = ("model", "seed", "snapshot")


@dataclass(frozen=True)
class DbtModel:
    """One dbt node, as lineage needs it."""

    unique_id: str
    name: str
    relation: str
    columns: tuple[tuple[str, str | None, str | None], ...]
    sql: str | None
    dialect: str | None


class DbtManifest:
    """Models of a manifest, found by unique id, relation name or model name."""

    def __init__(self, models: list[DbtModel]) -> None:
        self.models = models
        self._by_id = {m.unique_id: m for m in models}
        self._by_relation = {m.relation.lower(): m for m in models}
        by_name: dict[str, list[DbtModel]] = {}
        for model in models:
            by_name.setdefault(model.name, []).append(model)
        # A name shared by two nodes (e.g. a seed and a model in two packages) matches neither.
        self._by_name = {name: found[0] for name, found in by_name.items() if len(found) == 1}

    @classmethod
    def load(cls, source: str | Path | Mapping[str, Any]) -> DbtManifest:
        """From a ``manifest.json`` path or its parsed content; raise ``ValueError`` if unusable."""
        if isinstance(source, Mapping):
            document: Any = source
        else:
            path = Path(source)
            try:
                document = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as error:
                raise ValueError(f"dbt manifest {str(path)!r} cannot be read: {error}") from None
        nodes = document.get("nodes") if isinstance(document, Mapping) else None
        if not isinstance(nodes, Mapping):
            raise ValueError("dbt manifest: expected a JSON object with a 'nodes' object")
        metadata = document.get("metadata")
        dialect = metadata.get("adapter_type") if isinstance(metadata, Mapping) else None
        models = [
            _model(unique_id, node, dialect)
            for unique_id, node in nodes.items()
            if isinstance(node, Mapping) and node.get("resource_type") in _RESOURCE_TYPES
        ]
        return cls(models)

    def find(self, key_path: tuple[str, ...], metadata: Mapping[str, Any]) -> DbtModel | None:
        """The model behind an asset: by dbt unique id in its metadata, by relation, by name."""
        for field in ("dagster_dbt/unique_id", "dbt/unique_id", "unique_id"):
            unique_id = _text(metadata.get(field))
            if unique_id and unique_id in self._by_id:
                return self._by_id[unique_id]
        for field in ("dagster/table_name", "dagster/relation_identifier"):
            relation = _text(metadata.get(field))
            if relation and _unquote(relation).lower() in self._by_relation:
                return self._by_relation[_unquote(relation).lower()]
        return self._by_name.get(key_path[-1]) if key_path else None


def _model(unique_id: str, node: Mapping[str, Any], dialect: str | None) -> DbtModel:
    name = str(node.get("name") or unique_id.rsplit(".", 1)[-1])
    relation = node.get("relation_name")
    if isinstance(relation, str) and relation:
        relation = _unquote(relation)
    else:
        parts = [node.get("database"), node.get("schema"), node.get("alias") or name]
        relation = ".".join(str(p) for p in parts if p)
    columns_doc = node.get("columns")
    if not isinstance(columns_doc, Mapping):
        columns_doc = {}
    columns = tuple(
        (
            str(column.get("name") or column_name),
            column.get("data_type") or None,
            column.get("description") or None,
        )
        for column_name, column in columns_doc.items()
        if isinstance(column, Mapping)
    )
    sql = None
    for field in ("compiled_code", "compiled_sql", "raw_code", "raw_sql"):
        value = node.get(field)
        if isinstance(value, str) and value.strip():
            sql = value
            break
    return DbtModel(unique_id, name, relation, columns, sql, dialect)


def _unquote(relation: str) -> str:
    return ".".join(part.strip().strip('"`[]') for part in relation.split("."))


def _text(value: Any) -> str | None:
    value = getattr(value, "value", value)
    value = getattr(value, "text", value)
    return value if isinstance(value, str) and value else None
