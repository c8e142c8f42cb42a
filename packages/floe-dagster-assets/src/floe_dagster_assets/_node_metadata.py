"""What a dbt node shows in Dagster besides its key and graph, as a dagster-dbt user expects it.

- the description: dbt's, else ``dbt <type> <name>`` (never the multi-asset's own), followed by
  the node's SQL (compiled when the manifest has it, else as written) like dagster-dbt's;
- ``dagster/code_references``: the node's file, absolute, so the UI's "Open in editor" opens it;
- ``dagster/storage_kind`` (the adapter) and ``dagster/relation_identifier`` beside
  ``dagster/table_name`` (``database.schema.identifier``);
- owners: ``meta.dagster.owners`` (dagster-dbt's), dbt's ``meta.owner``, and the owner of the
  node's dbt group, as Dagster owners (an address, else ``team:<name>``).
"""

from __future__ import annotations

import os
import textwrap
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dagster as dg

from ._owners import dagster_owners

__all__ = ["code_references", "describe", "node_owners", "table_metadata", "without_beta_warnings"]


@contextmanager
def without_beta_warnings() -> Iterator[None]:
    """Dagster marks code references beta and warns at each one: once around a whole build."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.BetaWarning)
        yield


def describe(
    resource_type: str,
    name: str,
    description: str,
    *,
    sql: str = "",
    compiled: bool = False,
) -> str:
    """dbt's description, else ``dbt <type> <name>``, then the SQL in a fenced block."""
    text = description.strip() or f"dbt {resource_type} {name}"
    if not sql.strip():
        return text
    title = "Compiled SQL" if compiled else "Raw SQL"
    return f"{text}\n\n#### {title}:\n```sql\n{textwrap.indent(sql.strip(), '    ')}\n```"


def code_references(project: Path, path: str) -> dict[str, Any]:
    """``dagster/code_references`` to ``project/path`` (nothing for a node without a file);
    ``project`` absolute and resolved.

    Call within :func:`without_beta_warnings`.
    """
    if not path:
        return {}
    # ``project`` is absolute and resolved: joining strings spares a resolve (a system call per
    # path component) for each of thousands of nodes.
    location = os.path.normpath(os.path.join(project, path))
    reference = dg.LocalFileCodeReference(file_path=location)
    return {"dagster/code_references": dg.CodeReferencesMetadataValue(code_references=[reference])}


def table_metadata(adapter: str, relation: str) -> dict[str, Any]:
    """Where the node lives: storage kind, and the relation under both of Dagster's names."""
    metadata: dict[str, Any] = {}
    if adapter:
        metadata["dagster/storage_kind"] = adapter
    if relation:
        metadata["dagster/table_name"] = relation
        metadata["dagster/relation_identifier"] = relation
    return metadata


def node_owners(meta: Mapping[str, Any], group_owner: Any = None) -> list[str]:
    """``meta.dagster.owners``, ``meta.owner`` (and ``meta.owners``), then the group's owner."""
    if not meta and not group_owner:
        return []  # most nodes: spares a project of thousands the work below
    dagster_meta = meta.get("dagster")
    declared = dagster_meta.get("owners") if isinstance(dagster_meta, Mapping) else None
    return dagster_owners(declared, meta.get("owner"), meta.get("owners"), group_owner)
