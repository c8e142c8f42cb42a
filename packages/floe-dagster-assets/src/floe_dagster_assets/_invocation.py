"""One dbt invocation per wave: started directly, with dbt's partial parsing kept across waves.

Why not ``DbtCliResource.cli``: before dbt starts it runs ``dbt --version`` in a subprocess (once
per resource, so once per run) and loads dbt and its adapter into this process, for column
metadata these assets never fetch; that is about 4 s per run before dbt's first line. The
subprocess, its environment and the event stream are the ones ``cli`` sets up
(``DbtCliInvocation.run``), from the resource's own settings.

Partial parsing: dbt reuses ``partial_parse.msgpack`` only if the ``--vars``, ``--profile`` and
``--target`` given *on the command line* are the ones it was written with (its ``vars_hash``),
the target's connection keys and the env vars of ``dbt_project.yml`` are unchanged too. A file
written by ``dbt parse`` without ``--target`` is therefore rejected by a wave that passes
``--target duckdb`` ("config vars, config profile, or config target have changed"), and every
wave writes its state into its own fresh target folder. So the state is kept per target under
``<target-path>/floe_partial_parse/``: seeded by ``dbt parse`` (:func:`keep_parse_state`), copied
into each wave's folder before dbt starts, and taken back when dbt rewrote it.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote

__all__ = [
    "PARTIAL_PARSE_FILE",
    "dbt_version",
    "keep_parse_state",
    "parse_state_path",
    "start_dbt",
]

PARTIAL_PARSE_FILE = "partial_parse.msgpack"
STATE_DIR = "floe_partial_parse"


def parse_state_path(target_dir: Path, target: str | None) -> Path:
    """Where the partial-parse state of ``target`` (None: no ``--target`` flag) is kept."""
    name = "no-target" if target is None else "target=" + quote(target, safe="")
    return target_dir / STATE_DIR / f"{name}.msgpack"


def keep_parse_state(
    written: Path, target_dir: Path, target: str | None, *, copy: bool = False
) -> None:
    """Keep the ``partial_parse.msgpack`` dbt wrote at ``written`` as the state of ``target``.

    Moved (``copy``: copied) into place atomically, so a concurrent run reads the old state or
    the new one, never half of one. Nothing happens when dbt did not rewrite the file.
    """
    state = parse_state_path(target_dir, target)
    try:
        mine = written.stat()
    except FileNotFoundError:
        return
    try:
        kept = state.stat()
        if (kept.st_size, kept.st_mtime_ns) == (mine.st_size, mine.st_mtime_ns):
            return  # the copy we seeded the wave with: dbt skipped parsing
    except FileNotFoundError:
        pass
    state.parent.mkdir(parents=True, exist_ok=True)
    if copy:
        staging = state.with_name(f".{state.name}.{os.getpid()}")
        shutil.copy2(written, staging)
        written = staging
    os.replace(written, state)


def _seed(wave_dir: Path, target_dir: Path, target: str | None) -> None:
    state = parse_state_path(target_dir, target)
    if state.is_file():
        wave_dir.mkdir(parents=True, exist_ok=True)
        # copy2 keeps the modification time: keep_parse_state tells dbt's rewrite by it.
        shutil.copy2(state, wave_dir / PARTIAL_PARSE_FILE)


def start_dbt(
    dbt: Any, args: list[str], *, target: str | None, target_dir: Path, wave_dir: Path
) -> Any:
    """Start ``dbt <args>`` as ``dbt`` (a ``DbtCliResource``) is configured; its invocation.

    ``target_dir`` is the project's target folder (absolute), ``wave_dir`` this invocation's own
    folder under it. Returns a ``dagster_dbt.DbtCliInvocation`` that does not raise on failure.
    """
    from dagster_dbt import DagsterDbtTranslator, DbtCliInvocation

    _seed(wave_dir, target_dir, target)
    project_dir = Path(dbt.project_dir).resolve()
    env = {
        "PYTHONLEGACYWINDOWSSTDIO": "1",
        **os.environ,
        "DAGSTER_DBT_CLI": "true",
        "PYTHONUNBUFFERED": "1",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        # Structured events are what the assets read; logs and artifacts go to the wave's folder.
        "DBT_LOG_FORMAT": "json",
        # The log file keeps dbt's own default format (unless the user chose one): written at
        # debug level, as JSON it costs dbt about 2 s of CPU per 300 models (a 15 % slower build).
        "DBT_LOG_FORMAT_FILE": os.environ.get("DBT_LOG_FORMAT_FILE") or "debug",
        "DBT_TARGET_PATH": os.fspath(wave_dir),
        "DBT_LOG_PATH": os.fspath(wave_dir),
        "DBT_PROJECT_DIR": os.fspath(project_dir),
        **({"DBT_PROFILES_DIR": os.fspath(dbt.profiles_dir)} if dbt.profiles_dir else {}),
    }
    profile = ["--profile", dbt.profile] if getattr(dbt, "profile", None) else []
    command = [dbt.dbt_executable, *(dbt.global_config_flags or []), *args, *profile]
    return DbtCliInvocation.run(
        args=command,
        env=env,
        manifest={},
        dagster_dbt_translator=DagsterDbtTranslator(),
        project_dir=project_dir,
        target_path=wave_dir,
        raise_on_error=False,
        context=None,
        adapter=None,
        cli_version=dbt_version(str(dbt.dbt_executable)),
    )


@functools.lru_cache(maxsize=8)
def dbt_version(executable: str) -> Any:
    """The version of the dbt at ``executable``: from this environment's metadata when it is the
    dbt installed beside this interpreter, else from ``dbt --version`` (once per process)."""
    from importlib.metadata import PackageNotFoundError, version

    from packaging.version import Version

    beside = Path(sys.executable).with_name(Path(executable).name)
    if Path(executable) == beside or shutil.which(executable) == str(beside):
        try:
            return Version(version("dbt-core"))
        except PackageNotFoundError:
            pass
    output = subprocess.run(
        [executable, "--version"], capture_output=True, text=True, check=True, timeout=120
    ).stdout
    found = re.search(r"(\d+\.\d+\.\d+)", output)
    if found is None:
        raise RuntimeError(f"cannot tell the version of dbt at {executable}: {output.strip()!r}")
    return Version(found.group(1))
