"""What the assets need from a dbt manifest, read once, and cached beside the manifest.

Reading ``manifest.json`` is the largest part of loading a big project (about 0.5 s and several
times the file's size in memory at 5,000 models), and the assets need a small part of it: this
index. It is written beside the manifest (``floe_manifest_index.json``) under the manifest's
name, size and modification time, so every later load of an unchanged project (each
code-location reload, each run worker, including from an image that carries ``target/``) reads
the index and never parses the manifest again. Any dbt command that rewrites the manifest
changes its modification time, and the index is rebuilt from it.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple

from floe_orchestrator_contract import ContractValidationError

__all__ = [
    "INDEX_FILE",
    "DbtColumn",
    "DbtNode",
    "DbtSource",
    "DbtTest",
    "ManifestIndex",
    "cache_index",
    "check_manifest_shape",
    "paused_gc",
    "read_index",
    "read_manifest",
]

logger = logging.getLogger(__name__)

INDEX_FILE = "floe_manifest_index.json"
# Bumped whenever the index's content changes, so an older cache is never read.
FORMAT = 4
_CHILD_TIMEOUT_S = 900
_REFABLE = frozenset({"model", "seed", "snapshot"})
# Node kinds in a manifest's "nodes" that ``dbt build`` never executes.
_NEVER_BUILT = frozenset({"analysis", "operation", "sql_operation", "rpc", "sql"})
# One empty meta for every node without one (most of them); never mutated.
_NO_META: Mapping[str, Any] = MappingProxyType({})


def _selector(fqn: Iterable[str]) -> str:
    """dbt's selector for exactly the node whose fully qualified name is ``fqn``."""
    return "fqn:" + ".".join(fqn)


class DbtColumn(NamedTuple):
    name: str
    data_type: str
    description: str


class DbtNode(NamedTuple):
    """A model, seed or snapshot of the root project, as the manifest describes it."""

    unique_id: str
    resource_type: str
    name: str
    fqn: tuple[str, ...]
    path: str
    schema: str
    database: str
    alias: str
    materialization: str
    tags: tuple[str, ...]
    meta: Mapping[str, Any]
    description: str
    columns: tuple[DbtColumn, ...]
    parents: tuple[str, ...]
    checksum: str
    #: The dbt group the node belongs to ("" for none).
    group: str = ""
    raw_code: str = ""
    #: The SQL dbt compiled, when the manifest has it (after ``dbt compile``/``run``).
    compiled_code: str = ""

    @property
    def selector(self) -> str:
        return _selector(self.fqn)

    @property
    def table_name(self) -> str:
        return ".".join(p for p in (self.database, self.schema, self.alias) if p)


class DbtSource(NamedTuple):
    unique_id: str
    source_name: str
    name: str
    schema: str
    database: str
    identifier: str
    description: str
    columns: tuple[DbtColumn, ...]
    meta: Mapping[str, Any] = _NO_META
    #: The YAML file that declares the source, relative to the project.
    path: str = ""
    #: The description of the whole source (the table's own is ``description``).
    source_description: str = ""

    @property
    def table_name(self) -> str:
        return ".".join(p for p in (self.database, self.schema, self.identifier) if p)


class DbtTest(NamedTuple):
    unique_id: str
    name: str
    fqn: tuple[str, ...]
    attached_to: str | None
    description: str
    column: str | None = None
    severity: str = "error"
    #: A generic test's name (``unique``, ``not_null``, ...), or ``singular`` for a SQL file.
    test_type: str = "singular"

    @property
    def selector(self) -> str:
        return _selector(self.fqn)


@dataclass
class ManifestIndex:
    """What the assets need from a manifest, read once (linear in its size)."""

    project_name: str
    adapter_type: str
    models: dict[str, DbtNode] = field(default_factory=dict)
    others: dict[str, DbtNode] = field(default_factory=dict)
    sources: dict[str, DbtSource] = field(default_factory=dict)
    tests: list[DbtTest] = field(default_factory=list)
    by_uid: dict[str, DbtNode] = field(default_factory=dict)
    #: dbt groups by name: their owner as written (a mapping with ``name``/``email``).
    groups: dict[str, Any] = field(default_factory=dict)
    #: Selectors of what else ``dbt build`` would run with no ``--select``: models, seeds and
    #: snapshots of dbt packages, unit tests, and nodes of kinds this index does not know.
    #: With them, a wave can name what it leaves out instead of what it runs (dbt resolves
    #: each selector against every node, so 300 of them cost dbt about 3 s).
    other_executables: list[str] = field(default_factory=list)

    @classmethod
    def from_manifest(cls, manifest: Mapping[str, Any]) -> ManifestIndex:
        check_manifest_shape(manifest, "manifest")
        metadata = manifest["metadata"]
        project = str(metadata.get("project_name") or "")
        index = cls(project_name=project, adapter_type=str(metadata.get("adapter_type") or ""))
        shared: dict[str, str] = {}
        tests: list[Mapping[str, Any]] = []
        for uid, props in manifest["nodes"].items():
            kind = props.get("resource_type")
            if kind == "test":
                tests.append(props)
                continue
            if kind not in _REFABLE or (project and props.get("package_name") != project):
                if kind not in _NEVER_BUILT:
                    index.other_executables.append(_fqn_selector(uid, props))
                continue
            index._add(_node_from_row(_node_row(_node(uid, props)), shared))
        for uid, props in (manifest.get("sources") or {}).items():
            if project and props.get("package_name") != project:
                continue
            index.sources[uid] = DbtSource(
                unique_id=uid,
                source_name=str(props.get("source_name", "")),
                name=str(props.get("name", "")),
                schema=str(props.get("schema") or ""),
                database=str(props.get("database") or ""),
                identifier=str(props.get("identifier") or props.get("name", "")),
                description=str(props.get("description") or ""),
                columns=_columns(props),
                meta=dict((props.get("config") or {}).get("meta") or props.get("meta") or {})
                or _NO_META,
                path=str(props.get("original_file_path") or props.get("path") or ""),
                source_description=str(props.get("source_description") or ""),
            )
        for section in ("unit_tests", "saved_queries", "functions"):
            for uid, props in (manifest.get(section) or {}).items():
                if isinstance(props, Mapping):
                    index.other_executables.append(_fqn_selector(uid, props))
        for group in (manifest.get("groups") or {}).values():
            if isinstance(group, Mapping) and group.get("name"):
                index.groups[str(group["name"])] = group.get("owner") or {}
        for props in tests:
            attached = props.get("attached_node")
            if not attached:
                parents = [p for p in _parents(props) if p in index.by_uid]
                attached = parents[0] if len(parents) == 1 else None
            index.tests.append(
                DbtTest(
                    unique_id=str(props["unique_id"]),
                    name=str(props.get("name", "")),
                    fqn=tuple(props.get("fqn") or (props.get("name", ""),)),
                    attached_to=attached if attached in index.by_uid else None,
                    description=str(props.get("description") or ""),
                    column=str(props["column_name"]) if props.get("column_name") else None,
                    severity=str((props.get("config") or {}).get("severity") or "error").lower(),
                    test_type=str((props.get("test_metadata") or {}).get("name") or "singular"),
                )
            )
        return index

    def _add(self, node: DbtNode) -> None:
        self.by_uid[node.unique_id] = node
        if node.resource_type == "model":
            self.models[node.name] = node
        else:
            self.others[node.name] = node

    def external_names(self) -> list[str]:
        """Names a transform may depend on besides other transforms: seeds and snapshots."""
        return list(self.others)

    # -- the cached form: rows of plain JSON values, rebuilt without any per-field work ------
    def to_json(self) -> dict[str, Any]:
        return {
            "project_name": self.project_name,
            "adapter_type": self.adapter_type,
            "nodes": [_node_row(n) for n in self.by_uid.values()],
            "sources": [
                [*s[:7], [list(c) for c in s.columns], dict(s.meta), *s[9:]]
                for s in self.sources.values()
            ],
            "groups": self.groups,
            "other_executables": self.other_executables,
            "tests": [list(t) for t in self.tests],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ManifestIndex:
        """The index from :meth:`to_json`'s form; ``data`` is consumed (its rows are freed)."""
        index = cls(project_name=data["project_name"], adapter_type=data["adapter_type"])
        shared: dict[str, str] = {}
        rows = data.pop("nodes")
        for position, row in enumerate(rows):
            rows[position] = None
            index._add(_node_from_row(row, shared))
        index.groups = data.pop("groups")
        index.other_executables = data.pop("other_executables")
        for (uid, source_name, name, schema, database, identifier, text, columns, meta, path,
             source_text) in data.pop("sources"):  # fmt: skip
            index.sources[uid] = DbtSource(
                uid,
                source_name,
                name,
                schema,
                database,
                identifier,
                text,
                tuple(DbtColumn(*_shared(c, shared)) for c in columns),
                meta or _NO_META,
                path,
                source_text,
            )
        index.tests = [
            DbtTest(
                uid,
                name,
                tuple(_shared(fqn, shared)),
                shared.get(attached, attached),
                text,
                column,
                severity,
                test_type,
            )
            for uid, name, fqn, attached, text, column, severity, test_type in data.pop("tests")
        ]
        return index


def _fqn_selector(uid: str, props: Mapping[str, Any]) -> str:
    fqn = props.get("fqn") or [str(props.get("name") or uid.rsplit(".", 1)[-1])]
    return _selector(str(part) for part in fqn)


def _shared(values: list[str], shared: dict[str, str]) -> list[str]:
    """``values`` with each string replaced by an equal one seen before, if any.

    A project's nodes repeat the same few schemas, databases, column names and types thousands
    of times, and every parent id is some node's id: one copy of each saves a third of the
    index's memory.
    """
    return [shared.setdefault(v, v) for v in values]


def _node_row(node: DbtNode) -> list[Any]:
    return [
        *node[:3],
        list(node.fqn),
        *node[4:9],
        list(node.tags),
        dict(node.meta),
        node.description,
        [list(c) for c in node.columns],
        list(node.parents),
        node.checksum,
        node.group,
        node.raw_code,
        node.compiled_code,
    ]


def _node_from_row(row: list[Any], shared: dict[str, str]) -> DbtNode:
    (uid, kind, name, fqn, path, schema, database, alias, materialized, tags, meta, description,
     columns, parents, checksum, group, raw_code, compiled_code) = row  # fmt: skip
    uid, kind, name, schema, database, alias, materialized = _shared(
        [uid, kind, name, schema, database, alias, materialized], shared
    )
    return DbtNode(
        uid,
        kind,
        name,
        tuple(_shared(fqn, shared)),
        path,
        schema,
        database,
        alias,
        materialized,
        tuple(_shared(tags, shared)),
        meta or _NO_META,
        description,
        tuple(DbtColumn(*_shared(c, shared)) for c in columns),
        tuple(_shared(parents, shared)),
        checksum,
        shared.setdefault(group, group),
        raw_code,
        compiled_code,
    )


def check_manifest_shape(data: object, where: str) -> None:
    if not isinstance(data, dict):
        raise ContractValidationError(
            "invalid dbt manifest",
            [f"{where}: expected a JSON object, got {type(data).__name__}"],
        )
    problems = [
        f"{where}: key {key!r} is missing or not an object (allowed: a manifest written by dbt)"
        for key in ("metadata", "nodes")
        if not isinstance(data.get(key), dict)
    ]
    if problems:
        raise ContractValidationError("invalid dbt manifest", problems)


def _parents(props: Mapping[str, Any]) -> list[str]:
    depends_on = props.get("depends_on") or {}
    return [str(p) for p in depends_on.get("nodes") or ()]


def _columns(props: Mapping[str, Any]) -> tuple[DbtColumn, ...]:
    return tuple(
        DbtColumn(
            name=str(column.get("name") or name),
            data_type=str(column.get("data_type") or ""),
            description=str(column.get("description") or ""),
        )
        for name, column in (props.get("columns") or {}).items()
    )


def _node(uid: str, props: Mapping[str, Any]) -> DbtNode:
    config = props.get("config") or {}
    meta = config.get("meta") or props.get("meta") or {}
    checksum = props.get("checksum") or {}
    return DbtNode(
        unique_id=uid,
        resource_type=str(props["resource_type"]),
        name=str(props["name"]),
        fqn=tuple(props.get("fqn") or (props["name"],)),
        path=str(props.get("original_file_path") or props.get("path") or ""),
        schema=str(props.get("schema") or ""),
        database=str(props.get("database") or ""),
        alias=str(props.get("alias") or props["name"]),
        materialization=str(config.get("materialized") or props["resource_type"]),
        tags=tuple(str(t) for t in props.get("tags") or config.get("tags") or ()),
        meta=dict(meta),
        description=str(props.get("description") or ""),
        columns=_columns(props),
        parents=tuple(_parents(props)),
        checksum=str(checksum.get("checksum") or "") if isinstance(checksum, dict) else "",
        group=str(props.get("group") or config.get("group") or ""),
        raw_code=str(props.get("raw_code") or ""),
        compiled_code=str(props.get("compiled_code") or ""),
    )


# -- the cache -------------------------------------------------------------------------------
@contextmanager
def paused_gc() -> Iterator[None]:
    """Python's cycle collector paused while a manifest or its index becomes Python objects.

    Decoding JSON allocates hundreds of thousands of containers, none of them in a cycle; each
    allocation burst sets off a full collection that walks every object of the process (Dagster's
    included), which made reading a 5,000-model manifest three times slower. Collection resumes
    afterwards; nothing is lost, only postponed.
    """
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def read_index(manifest_path: str | os.PathLike[str]) -> ManifestIndex:
    """The index of the manifest at ``manifest_path``: cached beside it, else read and cached.

    A manifest without a current index is read in a short-lived child process, which writes the
    index beside it: the whole manifest (several times its file's size once in Python objects)
    never enters this process, which is often a long-lived code server. Raises
    ``ContractValidationError`` when the manifest is missing or not a dbt manifest.
    """
    path = Path(manifest_path)
    key = _key(path)
    cache = path.with_name(INDEX_FILE)
    index = _cached(cache, key)
    if index is None and _index_in_child(path):
        index = _cached(cache, key)
    if index is None:
        # No child process (or it failed): here, where a broken manifest becomes one clear error.
        with paused_gc():
            index = ManifestIndex.from_manifest(read_manifest(path))
        _write_cache(cache, {"key": key, "index": index.to_json()})
    return index


def cache_index(manifest_path: str | os.PathLike[str]) -> None:
    """Read the manifest and write its index beside it (what the child process runs)."""
    path = Path(manifest_path)
    key = _key(path)
    with paused_gc():
        index = ManifestIndex.from_manifest(read_manifest(path))
    _write_cache(path.with_name(INDEX_FILE), {"key": key, "index": index.to_json()})


def read_manifest(path: Path) -> dict[str, Any]:
    """A dbt ``manifest.json``, parsed; one error naming what is wrong with it."""
    try:
        with paused_gc():
            data = json.loads(path.read_bytes())
    except FileNotFoundError:
        raise ContractValidationError(
            "invalid dbt manifest",
            [f"{path}: no such file (allowed: a manifest.json written by dbt)"],
        ) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ContractValidationError(
            "invalid dbt manifest", [f"{path}: not valid JSON: {error}"]
        ) from None
    check_manifest_shape(data, str(path))
    return data  # type: ignore[no-any-return]


def _key(path: Path) -> list[Any]:
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise ContractValidationError(
            "invalid dbt manifest",
            [f"{path}: no such file (allowed: a manifest.json written by dbt)"],
        ) from None
    return [FORMAT, path.name, stat.st_size, stat.st_mtime_ns]


def _cached(cache: Path, key: list[Any]) -> ManifestIndex | None:
    try:
        with paused_gc():
            cached = json.loads(cache.read_bytes())
            if cached.get("key") == key:
                return ManifestIndex.from_json(cached["index"])
    except (OSError, ValueError, KeyError, TypeError):
        pass  # no cache, or one of another format
    return None


# This file, loaded on its own (not as part of the package, whose import pulls in Dagster).
_CHILD = (
    "import importlib.util, sys\n"
    "spec = importlib.util.spec_from_file_location('floe_manifest_index', sys.argv[1])\n"
    "module = importlib.util.module_from_spec(spec)\n"
    "sys.modules[spec.name] = module\n"
    "spec.loader.exec_module(module)\n"
    "module.cache_index(sys.argv[2])\n"
)


def _index_in_child(path: Path) -> bool:
    try:
        completed = subprocess.run(
            [sys.executable, "-c", _CHILD, __file__, str(path)],
            capture_output=True,
            text=True,
            timeout=_CHILD_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as error:
        logger.debug("could not index %s in a child process: %s", path, error)
        return False
    if completed.returncode != 0:
        logger.debug("indexing %s in a child process failed: %s", path, completed.stderr[-2000:])
    return completed.returncode == 0


def _write_cache(path: Path, content: Mapping[str, Any]) -> None:
    staging = path.with_name(f".{path.name}.{os.getpid()}")
    try:
        staging.write_text(json.dumps(content, separators=(",", ":")))
        os.replace(staging, path)
    except OSError as error:  # a read-only target folder only costs the next load its speed
        logger.debug("could not cache the manifest index at %s: %s", path, error)
        staging.unlink(missing_ok=True)
