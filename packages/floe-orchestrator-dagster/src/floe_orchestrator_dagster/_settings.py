"""The plugin's configuration: constructor keywords first, then the environment users know."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["DEFAULT_DAGSTER_URL", "PluginSettings", "redact_url"]

DEFAULT_DAGSTER_URL = "http://localhost:3000"
_FALSE = {"0", "false", "no", "off"}


class PluginSettings:
    """Resolved settings, immutable. Secrets (token, header values, a password in the URL) never
    appear in ``repr``.

    A plain class rather than a dataclass: floe instantiates the plugin on discovery, and
    ``dataclasses`` alone costs more to import than the rest of discovery.
    """

    __slots__ = (
        "connection_timeout",
        "dagster_headers",
        "dagster_token",
        "dagster_url",
        "dbt_profiles_dir",
        "dbt_project_dir",
        "image",
        "verify_tls",
        "workload_size",
    )
    dbt_project_dir: Path | None
    dbt_profiles_dir: Path | None
    dagster_url: str
    dagster_token: str | None
    dagster_headers: Mapping[str, str]
    verify_tls: bool | str
    connection_timeout: float
    workload_size: str
    image: str | None

    def __init__(
        self,
        *,
        dbt_project_dir: Path | None = None,
        dbt_profiles_dir: Path | None = None,
        dagster_url: str = DEFAULT_DAGSTER_URL,
        dagster_token: str | None = None,
        dagster_headers: Mapping[str, str] | None = None,
        verify_tls: bool | str = True,
        connection_timeout: float = 10.0,
        workload_size: str = "small",
        image: str | None = None,
    ) -> None:
        values = {
            "dbt_project_dir": dbt_project_dir,
            "dbt_profiles_dir": dbt_profiles_dir,
            "dagster_url": dagster_url,
            "dagster_token": dagster_token,
            "dagster_headers": dict(dagster_headers or {}),
            "verify_tls": verify_tls,
            "connection_timeout": connection_timeout,
            "workload_size": workload_size,
            "image": image,
        }
        for name, value in values.items():
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"PluginSettings is immutable: cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"PluginSettings is immutable: cannot delete {name!r}")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PluginSettings):
            return NotImplemented
        return all(getattr(self, name) == getattr(other, name) for name in self.__slots__)

    __hash__ = None  # type: ignore[assignment]  # mutable headers: unhashable, as before

    @classmethod
    def resolve(
        cls,
        *,
        dbt_project_dir: str | os.PathLike[str] | None = None,
        dbt_profiles_dir: str | os.PathLike[str] | None = None,
        dagster_url: str | None = None,
        dagster_token: str | None = None,
        dagster_headers: Mapping[str, str] | None = None,
        verify_tls: bool | str | None = None,
        connection_timeout: float = 10.0,
        workload_size: str = "small",
        image: str | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> PluginSettings:
        env = os.environ if environ is None else environ
        return cls(
            dbt_project_dir=_project_dir(dbt_project_dir, env),
            dbt_profiles_dir=_path(dbt_profiles_dir or env.get("DBT_PROFILES_DIR")),
            dagster_url=(dagster_url or env.get("DAGSTER_URL") or DEFAULT_DAGSTER_URL).rstrip("/"),
            dagster_token=dagster_token or env.get("FLOE_DAGSTER_TOKEN") or None,
            dagster_headers=dict(dagster_headers or {}),
            verify_tls=_verify(verify_tls, env.get("FLOE_DAGSTER_VERIFY_TLS")),
            connection_timeout=connection_timeout,
            workload_size=workload_size,
            image=image or env.get("FLOE_DAGSTER_IMAGE") or None,
        )

    def request_headers(self) -> dict[str, str]:
        headers = dict(self.dagster_headers)
        if self.dagster_token:
            headers.setdefault("Authorization", f"Bearer {self.dagster_token}")
        return headers

    def __repr__(self) -> str:
        headers = dict.fromkeys(self.dagster_headers, "***")
        token = "***" if self.dagster_token else None
        return (
            f"PluginSettings(dbt_project_dir={self.dbt_project_dir!r}, "
            f"dbt_profiles_dir={self.dbt_profiles_dir!r}, "
            f"dagster_url={redact_url(self.dagster_url)!r}, "
            f"dagster_token={token!r}, dagster_headers={headers!r}, "
            f"verify_tls={self.verify_tls!r}, connection_timeout={self.connection_timeout!r}, "
            f"workload_size={self.workload_size!r}, image={self.image!r})"
        )


def _path(value: str | os.PathLike[str] | None) -> Path | None:
    return Path(value).expanduser() if value else None


def _project_dir(explicit: str | os.PathLike[str] | None, env: Mapping[str, str]) -> Path | None:
    """Explicit, else FLOE_DBT_PROJECT_DIR, else the current directory if it is a dbt project."""
    chosen = _path(explicit) or _path(env.get("FLOE_DBT_PROJECT_DIR"))
    if chosen is not None:
        return chosen
    cwd = Path.cwd()
    return cwd if (cwd / "dbt_project.yml").is_file() else None


def _verify(explicit: bool | str | None, env_value: str | None) -> bool | str:
    if explicit is not None:
        return explicit
    if env_value is None or not env_value.strip():
        return True
    return False if env_value.strip().lower() in _FALSE else env_value.strip()


def redact_url(url: str) -> str:
    """``url`` with the password of a ``user:password@`` part replaced by ``***`` (a user name
    alone may be a token, so it is replaced too)."""
    # Imported here: discovery must not pay for urllib.parse (and ipaddress, which it imports).
    from urllib.parse import urlsplit, urlunsplit

    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable URL>" if "@" in url else url
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rpartition("@")[2]
    userinfo = f"{parts.username}:***" if parts.password is not None else "***"
    return urlunsplit(parts._replace(netloc=f"{userinfo}@{host}"))
