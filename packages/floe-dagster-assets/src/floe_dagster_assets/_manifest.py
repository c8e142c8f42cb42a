"""dbt manifests: produced when missing, re-parsed when the project changed, read into an index.

Staleness is decided by a fingerprint (SHA-256) over every project file dbt could read (paths and
contents, outside ``target/``, ``dbt_packages/``, ``logs/`` and hidden folders) plus the profile
and target the manifest was parsed with. It is stored beside ``manifest.json``; a differing
fingerprint means ``dbt parse`` runs again, so an edited model is always seen.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from floe_orchestrator_contract import ContractValidationError, TransformConfig

from ._invocation import PARTIAL_PARSE_FILE, keep_parse_state
from ._profiles import ProfilesInfo, project_settings, resolve_profiles

__all__ = [
    "DbtNode",
    "DbtParseError",
    "DbtSource",
    "DbtTest",
    "ManifestIndex",
    "enrich_transforms",
    "ensure_manifest",
    "load_manifest",
    "transforms_from_manifest",
]

logger = logging.getLogger(__name__)

MANIFEST_FILE = "manifest.json"
FINGERPRINT_FILE = "floe_manifest.sha256"
_SKIPPED_DIRS = frozenset({"dbt_packages", "dbt_modules", "logs", "__pycache__", "node_modules"})
_REFABLE = frozenset({"model", "seed", "snapshot"})
_PARSE_TIMEOUT_S = 900


class DbtParseError(RuntimeError):
    """``dbt parse`` failed; the message carries dbt's own error lines."""


# -- manifest files ------------------------------------------------------------------------
def load_manifest(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a dbt ``manifest.json``; raise one error naming what is wrong with it."""
    manifest_path = Path(path)
    try:
        data = json.loads(manifest_path.read_bytes())
    except FileNotFoundError:
        raise ContractValidationError(
            "invalid dbt manifest",
            [f"{manifest_path}: no such file (allowed: a manifest.json written by dbt)"],
        ) from None
    except json.JSONDecodeError as error:
        raise ContractValidationError(
            "invalid dbt manifest", [f"{manifest_path}: not valid JSON: {error}"]
        ) from None
    _check_manifest_shape(data, str(manifest_path))
    return data  # type: ignore[no-any-return]


def _check_manifest_shape(data: object, where: str) -> None:
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


def ensure_manifest(
    project_dir: str | os.PathLike[str],
    *,
    profiles: Mapping[str, Any] | None = None,
    profiles_dir: str | os.PathLike[str] | None = None,
    target: str | None = None,
) -> Path:
    """The path of an up-to-date ``manifest.json`` for the project, running ``dbt parse`` if needed.

    ``dbt parse`` runs when the manifest is missing or the project's files (or the profile and
    target) changed since it was written. ``profiles`` is a profiles.yml mapping (for example
    ``CompiledArtifacts.dbt_profiles``), written privately under ``target/`` for dbt to read.
    """
    project = Path(project_dir).resolve()
    settings = project_settings(project)
    info = resolve_profiles(project, settings, profiles=profiles, profiles_dir=profiles_dir)
    # The target the waves pass for models without a compute: parsing with the same --target
    # lets their dbt reuse this parse (dbt's partial parsing compares the flag, not its value).
    target = target or info.default_target
    target_dir = project / str(settings.get("target-path") or "target")
    manifest_path = target_dir / MANIFEST_FILE
    fingerprint_path = target_dir / FINGERPRINT_FILE
    fingerprint = project_fingerprint(project, info, target)
    if manifest_path.is_file() and fingerprint_path.is_file():
        if fingerprint_path.read_text().strip() == fingerprint:
            logger.debug("dbt manifest %s is up to date", manifest_path)
            return manifest_path
        logger.info("dbt project %s changed since its manifest was written: re-parsing", project)
    else:
        logger.info("no dbt manifest for %s yet: running dbt parse", project)
    _run_dbt_parse(project, info, target, target_dir)
    keep_parse_state(target_dir / PARTIAL_PARSE_FILE, target_dir, target, copy=True)
    fingerprint_path.write_text(fingerprint + "\n")
    return manifest_path


def project_fingerprint(project: Path, info: ProfilesInfo, target: str | None) -> str:
    """SHA-256 over the project's files and the profile/target dbt would parse with."""
    digest = hashlib.sha256()
    digest.update(f"target={target}\nprofile={info.profile_name}\n".encode())
    digest.update(info.fingerprint.encode())
    settings = project_settings(project)
    skipped = {str(settings.get("target-path") or "target"), *_SKIPPED_DIRS}
    for relative in sorted(_project_files(project, skipped)):
        digest.update(relative.encode() + b"\0")
        digest.update(hashlib.sha256((project / relative).read_bytes()).digest())
    return digest.hexdigest()


def _project_files(project: Path, skipped: set[str]) -> Iterator[str]:
    for root, dirs, files in os.walk(project):
        dirs[:] = [
            d
            for d in dirs
            if not d.startswith(".") and not (Path(root) == project and d in skipped)
        ]
        for name in files:
            if not name.startswith("."):
                yield Path(root, name).relative_to(project).as_posix()


def dbt_executable() -> str:
    """The ``dbt`` beside this interpreter (its virtualenv) or else the first on ``PATH``."""
    beside = Path(sys.executable).with_name("dbt.exe" if os.name == "nt" else "dbt")
    if beside.is_file():
        return str(beside)
    found = shutil.which("dbt")
    if found is None:
        raise DbtParseError(
            "dbt is not installed: install dbt-core and an adapter, e.g. "
            "pip install 'floe-dagster-assets[duckdb]'"
        )
    return found


def _run_dbt_parse(project: Path, info: ProfilesInfo, target: str | None, target_dir: Path) -> None:
    command = [dbt_executable(), "parse", "--project-dir", str(project)]
    if info.profiles_dir is not None:
        command += ["--profiles-dir", str(info.profiles_dir)]
    if target:
        command += ["--target", target]
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DBT_USE_COLORS": "false"}
    # Logs go beside the manifest so nothing is written outside the project's target/ folder.
    env["DBT_TARGET_PATH"] = str(target_dir)
    env["DBT_LOG_PATH"] = str(target_dir)
    env.pop("DBT_LOG_FORMAT", None)
    logger.debug("running %s", command)
    completed = subprocess.run(
        command,
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=_PARSE_TIMEOUT_S,
        check=False,
    )
    if completed.returncode != 0 or not (target_dir / MANIFEST_FILE).is_file():
        output = (completed.stdout + completed.stderr).strip().splitlines()
        # dbt's explanation follows its first error line; keep from there (bounded).
        first = next((i for i, line in enumerate(output) if "error" in line.lower()), None)
        errors = output[first:] if first is not None else output[-15:]
        raise DbtParseError(
            f"dbt parse failed for the project at {project} (exit code {completed.returncode}):\n"
            + "\n".join(f"  {line}" for line in errors[:30])
        )


# -- the index -----------------------------------------------------------------------------
@dataclass(frozen=True)
class DbtColumn:
    name: str
    data_type: str
    description: str


@dataclass(frozen=True)
class DbtNode:
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

    @property
    def selector(self) -> str:
        return "fqn:" + ".".join(self.fqn)

    @property
    def table_name(self) -> str:
        return ".".join(p for p in (self.database, self.schema, self.alias) if p)


@dataclass(frozen=True)
class DbtSource:
    unique_id: str
    source_name: str
    name: str
    schema: str
    database: str
    identifier: str
    description: str
    columns: tuple[DbtColumn, ...]

    @property
    def table_name(self) -> str:
        return ".".join(p for p in (self.database, self.schema, self.identifier) if p)


@dataclass(frozen=True)
class DbtTest:
    unique_id: str
    name: str
    fqn: tuple[str, ...]
    attached_to: str | None
    description: str

    @property
    def selector(self) -> str:
        return "fqn:" + ".".join(self.fqn)


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

    @classmethod
    def from_manifest(cls, manifest: Mapping[str, Any]) -> ManifestIndex:
        _check_manifest_shape(manifest, "manifest")
        metadata = manifest["metadata"]
        project = str(metadata.get("project_name") or "")
        index = cls(project_name=project, adapter_type=str(metadata.get("adapter_type") or ""))
        tests: list[Mapping[str, Any]] = []
        for uid, props in manifest["nodes"].items():
            kind = props.get("resource_type")
            if kind == "test":
                tests.append(props)
                continue
            if kind not in _REFABLE or (project and props.get("package_name") != project):
                continue
            node = _node(uid, props)
            index.by_uid[uid] = node
            if kind == "model":
                index.models[node.name] = node
            else:
                index.others[node.name] = node
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
            )
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
                )
            )
        return index

    def external_names(self) -> list[str]:
        """Names a transform may depend on besides other transforms: seeds and snapshots."""
        return list(self.others)


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
    )


# -- transforms <-> manifest ---------------------------------------------------------------
def as_index(manifest: Mapping[str, Any] | ManifestIndex) -> ManifestIndex:
    if isinstance(manifest, ManifestIndex):
        return manifest
    return ManifestIndex.from_manifest(manifest)


def transforms_from_manifest(
    manifest: Mapping[str, Any] | ManifestIndex, *, default_compute: str | None = None
) -> list[TransformConfig]:
    """One ``TransformConfig`` per model of the root project, every field from dbt.

    ``compute`` comes from the model's ``meta`` key ``compute`` when set, else ``default_compute``.
    """
    index = as_index(manifest)
    transforms = []
    for node in index.models.values():
        compute = node.meta.get("compute")
        transforms.append(
            TransformConfig(
                name=node.name,
                path=node.path,
                schema_name=node.schema,
                materialization=node.materialization,
                tags=list(node.tags),
                depends_on=_model_parents(node, index),
                meta=dict(node.meta),
                compute=str(compute) if compute else default_compute,
            )
        )
    return transforms


def _model_parents(node: DbtNode, index: ManifestIndex) -> list[str]:
    names = []
    for uid in node.parents:
        parent = index.by_uid.get(uid)
        if parent is not None and parent.resource_type == "model":
            names.append(parent.name)
    return names


def enrich_transforms(
    transforms: Sequence[TransformConfig], manifest: Mapping[str, Any] | ManifestIndex
) -> list[TransformConfig]:
    """Copies of ``transforms`` with path, schema, materialization and meta filled from dbt.

    Meant for transforms built from ``CompiledArtifacts`` (name, compute, tags, depends_on only).
    A field already set keeps its value (``materialization`` counts as unset while it is the
    default ``"table"``); ``meta`` is dbt's meta updated with the transform's. Transforms with no
    dbt model are copied unchanged.
    """
    index = as_index(manifest)
    enriched = []
    for transform in transforms:
        node = index.models.get(transform.name) if isinstance(transform.name, str) else None
        if node is None:
            enriched.append(_copy(transform))
            continue
        materialization = transform.materialization
        if materialization == "table":
            materialization = node.materialization
        enriched.append(
            TransformConfig(
                name=transform.name,
                path=transform.path or node.path,
                schema_name=transform.schema_name or node.schema,
                materialization=materialization,
                tags=list(transform.tags),
                depends_on=list(transform.depends_on),
                meta={**node.meta, **transform.meta},
                compute=transform.compute,
            )
        )
    return enriched


def _copy(transform: TransformConfig) -> TransformConfig:
    return TransformConfig(
        name=transform.name,
        path=transform.path,
        schema_name=transform.schema_name,
        materialization=transform.materialization,
        tags=list(transform.tags),
        depends_on=list(transform.depends_on),
        meta=dict(transform.meta),
        compute=transform.compute,
    )
