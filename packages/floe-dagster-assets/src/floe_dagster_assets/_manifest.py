"""dbt manifests: produced when missing, re-parsed when the project changed.

Staleness is decided by a fingerprint (SHA-256) over every project file dbt could read (paths and
contents, outside ``target/``, ``dbt_packages/``, ``logs/`` and hidden folders) plus the profile
and target the manifest was parsed with. It is stored beside ``manifest.json``; a differing
fingerprint means ``dbt parse`` runs again, so an edited model is always seen. Beside it goes a
second fingerprint over the files' paths, sizes and modification times: while that one matches,
no file was touched and nothing needs to be read (a project of 20,000 files is checked in tens
of milliseconds); when it differs, the contents decide.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from floe_orchestrator_contract import TransformConfig

from ._index import (
    DbtNode,
    DbtSource,
    DbtTest,
    ManifestIndex,
    read_manifest,
)
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
_PARSE_TIMEOUT_S = 900
_SETTLE_NS = 2_000_000_000


class DbtParseError(RuntimeError):
    """``dbt parse`` failed; the message carries dbt's own error lines."""


# -- manifest files ------------------------------------------------------------------------
def load_manifest(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a dbt ``manifest.json``; raise one error naming what is wrong with it."""
    return read_manifest(Path(path))


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
    files = _project_files(project, settings)
    # What was recorded: the content fingerprint, then the file stats it was computed from.
    recorded = fingerprint_path.read_text().split() if fingerprint_path.is_file() else []
    stats = _stats_fingerprint(files, info, target)
    if manifest_path.is_file() and recorded[1:2] == [stats]:
        logger.debug("dbt manifest %s is up to date (no project file touched)", manifest_path)
        return manifest_path
    fingerprint = _content_fingerprint(project, files, info, target)
    if manifest_path.is_file() and recorded[:1] == [fingerprint]:
        logger.debug("dbt manifest %s is up to date", manifest_path)
    else:
        if manifest_path.is_file() and recorded:
            logger.info(
                "dbt project %s changed since its manifest was written: re-parsing", project
            )
        else:
            logger.info("no dbt manifest for %s yet: running dbt parse", project)
        _run_dbt_parse(project, info, target, target_dir)
        keep_parse_state(target_dir / PARTIAL_PARSE_FILE, target_dir, target, copy=True)
    fingerprint_path.write_text(f"{fingerprint}\n{stats if _settled(files) else ''}\n")
    return manifest_path


def project_fingerprint(project: Path, info: ProfilesInfo, target: str | None) -> str:
    """SHA-256 over the project's files and the profile/target dbt would parse with."""
    files = _project_files(project, project_settings(project))
    return _content_fingerprint(project, files, info, target)


def _content_fingerprint(
    project: Path, files: list[tuple[str, int, int]], info: ProfilesInfo, target: str | None
) -> str:
    digest = _header(info, target)
    for relative, _, _ in files:
        digest.update(relative.encode() + b"\0")
        digest.update(hashlib.sha256((project / relative).read_bytes()).digest())
    return digest.hexdigest()


def _stats_fingerprint(
    files: list[tuple[str, int, int]], info: ProfilesInfo, target: str | None
) -> str:
    """Over paths, sizes and modification times: equal means no file was touched since.

    This is what makes an unchanged project cheap to check (one stat per file, nothing read).
    """
    digest = _header(info, target)
    digest.update(repr(files).encode())
    return digest.hexdigest()


def _header(info: ProfilesInfo, target: str | None) -> hashlib._Hash:
    digest = hashlib.sha256()
    digest.update(f"target={target}\nprofile={info.profile_name}\n".encode())
    digest.update(info.fingerprint.encode())
    return digest


def _settled(files: list[tuple[str, int, int]]) -> bool:
    """Whether every file is older than the file system's clock granularity.

    A file written within the same clock tick as our look at it could change again without its
    modification time changing; then only its content can tell, next time.
    """
    horizon = time.time_ns() - _SETTLE_NS
    return all(mtime < horizon for _, _, mtime in files)


def _project_files(project: Path, settings: Mapping[str, Any]) -> list[tuple[str, int, int]]:
    """Every file dbt could read, as (relative path, size, mtime_ns), sorted by path.

    Hidden files and folders are left out, and so are dbt's outputs (the target path), installed
    packages and logs at the project's root.
    """
    target_path = str(settings.get("target-path") or "target").strip("/")
    files = []
    pending = [(str(project), "")]
    while pending:
        directory, prefix = pending.pop()
        with os.scandir(directory) as entries:
            for entry in entries:
                name = entry.name
                if name.startswith("."):
                    continue
                relative = prefix + name
                if entry.is_dir(follow_symlinks=False):
                    if relative != target_path and not (not prefix and name in _SKIPPED_DIRS):
                        pending.append((entry.path, relative + "/"))
                elif not entry.is_dir():  # a link to a folder is not followed (as os.walk)
                    stat = entry.stat()
                    files.append((relative, stat.st_size, stat.st_mtime_ns))
    files.sort()
    return files


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
