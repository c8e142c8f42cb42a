"""``LineageConfig``: where events go, resolved from floe's artifacts or OpenLineage's own settings.

Precedence, most specific first: ``CompiledArtifacts.observability`` when given; otherwise the
configuration an OpenLineage user already has (``OPENLINEAGE_CONFIG`` / ``openlineage.yml``, then
``OPENLINEAGE_URL``). ``OPENLINEAGE_DISABLED=true`` switches lineage off in every case. When nothing
is configured the result is a disabled config: emitting is a silent no-op (one debug line).
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, get_args
from urllib.parse import urlsplit, urlunsplit

if TYPE_CHECKING:
    from floe_orchestrator_contract import ObservabilityConfig

__all__ = ["TRANSPORTS", "LineageConfig", "LineageConfigError", "TransportName", "redact_url"]

logger = logging.getLogger(__name__)

TransportName = Literal["http", "console", "file", "noop"]
TRANSPORTS: tuple[str, ...] = get_args(TransportName)
DEFAULT_ENDPOINT_PATH = "api/v1/lineage"
_TRUE = {"1", "true", "yes", "on"}


class LineageConfigError(ValueError):
    """Invalid lineage settings; ``problems`` lists every one found (never the API key)."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("invalid lineage configuration:\n  - " + "\n  - ".join(self.problems))


def redact_url(url: str) -> str:
    """The URL with any ``user:password@`` removed, fit for logs and reprs."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable url>"
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


@dataclass(frozen=True)
class LineageConfig:
    """Settings of a :class:`~floe_dagster_lineage.LineageEmitter`.

    ``endpoint`` is the backend URL for ``http`` (a bare ``scheme://host:port`` gets OpenLineage's
    ``/api/v1/lineage`` path; a URL with a path is used as given) and the JSON-lines file for
    ``file``. ``api_key`` is sent as a bearer token and never shown in ``repr``, logs or errors.
    Times are seconds: ``timeout`` per HTTP request, ``flush_timeout`` for the end-of-run and
    at-exit flushes. Transient failures are retried ``max_retries`` times, the first after
    ``backoff`` seconds, doubling each time.
    """

    namespace: str = "default"
    transport: TransportName = "noop"
    endpoint: str | None = None
    api_key: str | None = field(default=None, repr=False)
    timeout: float = 5.0
    flush_timeout: float = 10.0
    queue_size: int = 10_000
    max_retries: int = 3
    backoff: float = 0.1
    enabled: bool = True

    def __post_init__(self) -> None:
        problems = _problems(self)
        if problems:
            raise LineageConfigError(problems)
        if self.transport == "http" and self.endpoint:
            # Wherever the URL comes from (here, dagster.yaml, OPENLINEAGE_URL, openlineage.yml,
            # the artifacts), a bare scheme://host:port means OpenLineage's standard path, as
            # for every OpenLineage client: Marquez and others answer nothing useful at "/".
            object.__setattr__(self, "endpoint", _join_endpoint(self.endpoint, None))

    def __repr__(self) -> str:
        shown = []
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "api_key":
                shown.append(f"api_key={'***' if value else None}")
            elif f.name == "endpoint" and isinstance(value, str):
                shown.append(f"endpoint={redact_url(value)!r}")
            else:
                shown.append(f"{f.name}={value!r}")
        return f"LineageConfig({', '.join(shown)})"

    @property
    def active(self) -> bool:
        """Whether events are delivered anywhere (enabled and not the ``noop`` transport)."""
        return self.enabled and self.transport != "noop"

    def with_changes(self, **changes: Any) -> LineageConfig:
        """A copy with ``changes`` applied (validated again)."""
        return replace(self, **changes)

    # -- resolution --------------------------------------------------------------------------
    @classmethod
    def disabled(cls, namespace: str = "default") -> LineageConfig:
        return cls(namespace=namespace, transport="noop", enabled=False)

    @classmethod
    def from_observability(
        cls,
        observability: ObservabilityConfig | None = None,
        *,
        environ: Mapping[str, str] | None = None,
        cwd: str | Path | None = None,
    ) -> LineageConfig:
        """Settings from floe's ``ObservabilityConfig``, else from OpenLineage's standard ones.

        With ``observability``: its switch, namespace, transport and endpoint (an endpoint alone
        means ``http``; neither, as floe 0.8+ may write, leaves the place to OpenLineage's own
        settings below, in the artifacts' namespace); an ``http`` endpoint falls back to
        ``OPENLINEAGE_URL``, and the API key always comes from
        ``OPENLINEAGE_API_KEY`` (artifacts carry no secrets). Without it: ``OPENLINEAGE_CONFIG`` or
        ``openlineage.yml`` (current directory, then ``~/.openlineage/``), then ``OPENLINEAGE_URL``
        / ``OPENLINEAGE_ENDPOINT`` / ``OPENLINEAGE_API_KEY``; the namespace from
        ``OPENLINEAGE_NAMESPACE``. ``environ`` and ``cwd`` default to the process's own.
        """
        env = os.environ if environ is None else environ
        namespace = env.get("OPENLINEAGE_NAMESPACE") or "default"
        if observability is not None:
            namespace = observability.lineage_namespace
        if env.get("OPENLINEAGE_DISABLED", "").strip().lower() in _TRUE:
            logger.debug("OpenLineage disabled by OPENLINEAGE_DISABLED")
            return cls.disabled(namespace)
        api_key = env.get("OPENLINEAGE_API_KEY") or None
        if observability is not None and _says_where(observability):
            return _from_observability(cls, observability, env, api_key)
        from_file = _from_openlineage_yml(cls, env, cwd, namespace, api_key)
        if from_file is not None:
            return from_file
        url = env.get("OPENLINEAGE_URL")
        if url:
            return cls(
                namespace=namespace,
                transport="http",
                endpoint=_join_endpoint(url, env.get("OPENLINEAGE_ENDPOINT")),
                api_key=api_key,
            )
        logger.debug("no OpenLineage configuration found: lineage events are not sent")
        return cls.disabled(namespace)


def _from_observability(
    cls: type[LineageConfig],
    observability: ObservabilityConfig,
    env: Mapping[str, str],
    api_key: str | None,
) -> LineageConfig:
    namespace = observability.lineage_namespace
    if not observability.lineage:
        logger.debug("lineage switched off in the compiled artifacts")
        return cls.disabled(namespace)
    transport = observability.lineage_transport or "http"  # an endpoint without a transport
    endpoint = observability.lineage_endpoint
    if transport == "http":
        endpoint = endpoint or env.get("OPENLINEAGE_URL") or None
        if endpoint is None:
            logger.debug("http lineage transport without an endpoint or OPENLINEAGE_URL: no-op")
            return cls.disabled(namespace)
        endpoint = _join_endpoint(endpoint, env.get("OPENLINEAGE_ENDPOINT"))
    return cls(namespace=namespace, transport=transport, endpoint=endpoint, api_key=api_key)


def _says_where(observability: ObservabilityConfig) -> bool:
    """Whether the artifacts decide where events go; floe 0.8+ may leave transport and endpoint
    unset, and then OpenLineage's own settings do (in the artifacts' namespace)."""
    return (
        not observability.lineage
        or observability.lineage_transport is not None
        or bool(observability.lineage_endpoint)
    )


def _from_openlineage_yml(
    cls: type[LineageConfig],
    env: Mapping[str, str],
    cwd: str | Path | None,
    namespace: str,
    api_key: str | None,
) -> LineageConfig | None:
    path = _find_openlineage_yml(env, cwd)
    if path is None:
        return None
    import yaml  # openlineage-python depends on PyYAML

    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise LineageConfigError([f"{path}: cannot be read as YAML ({error})"]) from None
    if not isinstance(document, dict):
        raise LineageConfigError([f"{path}: expected a mapping at the top level"])
    transport = document.get("transport")
    if transport is None:
        return None
    if not isinstance(transport, dict):
        raise LineageConfigError([f"{path}: transport: expected a mapping"])
    kind = transport.get("type")
    problems: list[str] = []
    if kind not in TRANSPORTS:
        problems.append(
            f"{path}: transport.type: {kind!r} is not supported (allowed: {', '.join(TRANSPORTS)})"
        )
    settings: dict[str, Any] = {"namespace": namespace, "transport": kind}
    if kind == "http":
        url = transport.get("url")
        if not isinstance(url, str) or not url:
            problems.append(f"{path}: transport.url: required for the http transport")
        else:
            settings["endpoint"] = _join_endpoint(url, transport.get("endpoint"))
        auth = transport.get("auth") or {}
        key = auth.get("apiKey") or auth.get("api_key") if isinstance(auth, dict) else None
        settings["api_key"] = key or api_key
        if "timeout" in transport:
            settings["timeout"] = transport["timeout"]
    elif kind == "file":
        settings["endpoint"] = transport.get("log_file_path")
    if problems:
        raise LineageConfigError(problems)
    return cls(**settings)


def _find_openlineage_yml(env: Mapping[str, str], cwd: str | Path | None) -> Path | None:
    explicit = env.get("OPENLINEAGE_CONFIG")
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise LineageConfigError([f"OPENLINEAGE_CONFIG: {explicit!r} is not a file"])
        return path
    candidates = [Path(cwd) if cwd is not None else Path.cwd()]
    home = env.get("HOME")
    candidates.append((Path(home) if home else Path.home()) / ".openlineage")
    for directory in candidates:
        path = directory / "openlineage.yml"
        if path.is_file():
            return path
    return None


def _join_endpoint(url: str, endpoint: str | None) -> str:
    """OpenLineage's ``url`` + ``endpoint`` split, as one URL."""
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return url  # reported by the config's own checks
    if endpoint:
        path = f"{parts.path.rstrip('/')}/{endpoint.lstrip('/')}"
    elif parts.path in ("", "/"):
        path = f"/{DEFAULT_ENDPOINT_PATH}"
    else:
        return url
    return urlunsplit(parts._replace(path=path))


def _positive_number(value: object) -> bool:
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value > 0
    )


def _problems(config: LineageConfig) -> list[str]:
    # Values are read as ``object``: annotations do not stop a caller passing the wrong type.
    endpoint: object = config.endpoint
    api_key: object = config.api_key
    enabled: object = config.enabled
    problems: list[str] = []
    if not isinstance(config.namespace, str) or not config.namespace.strip():
        problems.append(f"namespace: {config.namespace!r} must be a non-empty string")
    if config.transport not in TRANSPORTS:
        problems.append(
            f"transport: {config.transport!r} is not allowed (allowed: {', '.join(TRANSPORTS)})"
        )
    if endpoint is not None and not isinstance(endpoint, str):
        problems.append(f"endpoint: expected a string, got {type(endpoint).__name__}")
    elif config.enabled and config.transport == "http":
        if not config.endpoint:
            problems.append("endpoint: the http transport needs a URL (e.g. http://host:5000)")
        else:
            parts = urlsplit(config.endpoint)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                problems.append(
                    f"endpoint: {redact_url(config.endpoint)!r} is not an http(s) URL "
                    "(allowed: http://host[:port][/path] or https://...)"
                )
    elif config.enabled and config.transport == "file" and not config.endpoint:
        problems.append("endpoint: the file transport needs a file path")
    if api_key is not None and not isinstance(api_key, str):
        problems.append("api_key: expected a string")
    for name in ("timeout", "flush_timeout", "backoff"):
        value = getattr(config, name)
        if not _positive_number(value):
            problems.append(f"{name}: {value!r} must be a positive number of seconds")
    if (
        not isinstance(config.queue_size, int)
        or isinstance(config.queue_size, bool)
        or config.queue_size < 1
    ):
        problems.append(f"queue_size: {config.queue_size!r} must be an integer >= 1")
    if (
        not isinstance(config.max_retries, int)
        or isinstance(config.max_retries, bool)
        or config.max_retries < 0
    ):
        problems.append(f"max_retries: {config.max_retries!r} must be an integer >= 0")
    if not isinstance(enabled, bool):
        problems.append(f"enabled: {enabled!r} must be true or false")
    return problems
