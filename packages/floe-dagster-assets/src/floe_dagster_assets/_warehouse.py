"""Where a dbt target's relations live, as dbt reads the profile: never a secret.

The profile output is rendered as dbt renders it (Jinja with ``env_var`` and its defaults, the
``as_*`` filters, the profile's default target), so a DuckDB path is the file dbt really opens:
relative paths are resolved against the project directory, where dbt runs. Jinja beyond that is
left to dbt's own renderer, which costs a second or more to import, so it is only the fall-back.
Only identifying fields are kept (adapter, host, port, path, account, project, database and a
few adapter-specific ones); users, passwords, tokens and query strings of URLs never leave this
module.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from floe_orchestrator_contract import Warehouse

__all__ = ["resolve_warehouse"]

logger = logging.getLogger(__name__)

# Non-secret fields that identify a warehouse beyond host/port/path/account/project.
_EXTRA_FIELDS = ("http_path", "catalog", "region_name", "server", "cluster")
_IN_MEMORY = ":memory:"


def resolve_warehouse(
    project_dir: str | os.PathLike[str],
    profiles_dir: str | os.PathLike[str] | None,
    target: str | None,
) -> Warehouse | None:
    """The :class:`Warehouse` of ``target`` (None: the profile's default), or None if unknown."""
    project = Path(project_dir)
    output = _rendered_output(project, profiles_dir, target)
    if output is None:
        return None
    return _warehouse(output, project)


def _rendered_output(
    project: Path, profiles_dir: str | os.PathLike[str] | None, target: str | None
) -> Mapping[str, Any] | None:
    directory = _profiles_directory(project, profiles_dir)
    for render in (_rendered_here, _rendered_by_dbt):
        try:
            return render(project, directory, target)
        except Exception as error:  # a profile dbt itself would refuse, or Jinja we do not know
            logger.debug("%s could not render the profile: %s", render.__name__, error)
    return None


def _profiles_directory(project: Path, profiles_dir: str | os.PathLike[str] | None) -> Path:
    """dbt's search: the given folder, ``DBT_PROFILES_DIR``, the project, then ``~/.dbt``."""
    if profiles_dir is not None:
        return Path(profiles_dir)
    from_env = os.environ.get("DBT_PROFILES_DIR")
    for candidate in [*([Path(from_env)] if from_env else []), project]:
        if (candidate / "profiles.yml").is_file():
            return candidate
    return Path.home() / ".dbt"


def _rendered_here(project: Path, directory: Path, target: str | None) -> dict[str, Any]:
    settings = yaml.safe_load((project / "dbt_project.yml").read_text()) or {}
    profiles = yaml.safe_load((directory / "profiles.yml").read_text()) or {}
    name = _render(str(settings.get("profile") or settings.get("name")))
    profile = profiles[name]
    target = target or os.environ.get("DBT_TARGET") or _render(profile.get("target") or "default")
    output = profile["outputs"][target]
    if not isinstance(output, Mapping):
        raise TypeError(f"output {target!r} is not a mapping")
    return {str(k): _render(v) for k, v in output.items() if k in _KEPT}


# Only these are rendered: a user, password or token is never even read.
_KEPT = frozenset(
    {"type", "host", "port", "path", "account", "project", "database", "dbname", "remote"}
) | frozenset(_EXTRA_FIELDS)


def _render(value: Any) -> Any:
    if not isinstance(value, str) or ("{{" not in value and "{%" not in value):
        return value
    return _jinja().from_string(value).render()


def _jinja() -> Any:
    from jinja2 import StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    environment = SandboxedEnvironment(undefined=StrictUndefined)
    conversions = {
        "as_text": str,
        "as_number": _number,
        "as_bool": lambda v: str(v).strip().lower() in {"true", "1", "yes", "on"},
        "as_native": lambda v: v,
    }
    environment.globals.update(env_var=_env_var, **conversions)
    environment.filters.update(conversions)
    return environment


def _env_var(name: str, default: Any = None) -> Any:
    value = os.environ.get(name, default)
    if value is None:
        # dbt fails such a profile; so do we (dbt's renderer then gets its turn).
        raise KeyError(f"env var {name!r} is not set and has no default")
    return value


def _number(value: Any) -> Any:
    text = str(value).strip()
    return int(text) if text.lstrip("-").isdigit() else float(text)


def _rendered_by_dbt(project: Path, directory: Path, target: str | None) -> dict[str, Any]:
    from argparse import Namespace

    from dbt.config.runtime import load_profile
    from dbt.flags import set_from_args

    try:
        from dbt_common.context import set_invocation_context

        set_invocation_context(os.environ.copy())
    except ImportError:  # dbt-core before 1.8 reads os.environ directly
        pass
    set_from_args(Namespace(profiles_dir=str(directory)), None)
    profile = load_profile(str(project), {}, None, target)
    credentials = profile.credentials
    data = {
        key: getattr(credentials, key, None)
        for key in ("host", "port", "path", "account", "project", "database", *_EXTRA_FIELDS)
    }
    data["type"] = credentials.type
    remote = getattr(credentials, "remote", None)
    if remote is not None:  # dbt-duckdb's Buena Vista server
        data.update(host=getattr(remote, "host", None), port=getattr(remote, "port", None))
        data["path"] = None
    return data


def _warehouse(output: Mapping[str, Any], project: Path) -> Warehouse | None:
    adapter = str(output.get("type") or "")
    if not adapter:
        return None
    remote = output.get("remote")
    if isinstance(remote, Mapping):  # dbt-duckdb's Buena Vista server: no local file
        output = {**output, "host": remote.get("host"), "port": remote.get("port"), "path": None}
    path = _text(output.get("path"))
    database = _text(output.get("database")) or _text(output.get("dbname"))
    if adapter == "duckdb" and not output.get("host"):
        path = _duckdb_path(path, project)
        if database is None and path and path != _IN_MEMORY:
            # As dbt-duckdb names the catalog: the file's stem, or a MotherDuck database's name.
            database = Path(path.split(":", 1)[1] if path.startswith("md:") else path).stem
    return Warehouse(
        adapter=adapter,
        host=_host(output.get("host")),
        port=_port(output.get("port")),
        path=path,
        account=_text(output.get("account")),
        project=_text(output.get("project")),
        database=database,
        extra={k: str(output[k]) for k in _EXTRA_FIELDS if _text(output.get(k))},
    )


def _duckdb_path(path: str | None, project: Path) -> str:
    if not path or path == _IN_MEMORY:
        return _IN_MEMORY
    # A URL-like path (md:db?motherduck_token=...) may carry a token in its query string.
    path = path.split("?", 1)[0]
    if ":" in path.split("/", 1)[0] and not Path(path).drive:
        return path  # md:, s3:, ... are not files on this machine
    resolved = Path(path).expanduser()
    if not resolved.is_absolute():
        resolved = project / resolved
    return os.path.abspath(resolved)


def _text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def _host(value: Any) -> str | None:
    host = _text(value)
    if host is None:
        return None
    # user:password@host is a host to nobody but the driver.
    host = host.rsplit("@", 1)[-1]
    return host.split("://", 1)[-1].split("/", 1)[0] or None


def _port(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None
