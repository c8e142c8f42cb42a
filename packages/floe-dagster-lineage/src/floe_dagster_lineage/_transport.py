"""Transports built from a ``LineageConfig``, and which failures are worth a retry.

The HTTP transport never retries by itself: the emitter's sender owns retries and backoff, so that
a dead backend costs one attempt per event instead of five, and one warning describes the episode.
"""

from __future__ import annotations

import http.client
import logging
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from ._config import LineageConfig

__all__ = ["describe_failure", "is_transient", "make_transport"]

logger = logging.getLogger(__name__)

# Statuses that say "try again later"; any other 4xx means this event will never be accepted.
_TRANSIENT_STATUS = frozenset({408, 425, 429})


def make_transport(config: LineageConfig) -> Any:
    """The openlineage-python transport for ``config`` (http, console, file or noop)."""
    if not config.active:
        from openlineage.client.transport.noop import NoopConfig, NoopTransport

        return NoopTransport(NoopConfig())
    if config.transport == "console":
        from openlineage.client.transport.console import ConsoleConfig, ConsoleTransport

        return ConsoleTransport(ConsoleConfig())
    if config.transport == "file":
        from openlineage.client.transport.file import FileConfig, FileTransport

        assert config.endpoint is not None
        # append=True: one JSON document per line in one file, rather than a file per event.
        return FileTransport(FileConfig(log_file_path=config.endpoint, append=True))
    return _http_transport(config)


def _http_transport(config: LineageConfig) -> Any:
    from openlineage.client.transport.http import ApiKeyTokenProvider, HttpConfig, TokenProvider

    from ._http import KeepAliveHttpTransport

    assert config.endpoint is not None
    parts = urlsplit(config.endpoint)
    base = urlunsplit((parts.scheme, parts.netloc, "", "", ""))
    path = urlunsplit(("", "", parts.path.lstrip("/"), parts.query, ""))
    auth = ApiKeyTokenProvider({"apiKey": config.api_key}) if config.api_key else TokenProvider({})
    return KeepAliveHttpTransport(
        HttpConfig(url=base, endpoint=path, timeout=config.timeout, auth=auth)
    )


def is_transient(error: BaseException) -> bool:
    """Whether sending again later may succeed (connection trouble, timeouts, 5xx, 408/429)."""
    from ._http import HttpStatusError

    if isinstance(error, HttpStatusError):
        return error.status >= 500 or error.status in _TRANSIENT_STATUS
    return isinstance(error, (OSError, http.client.HTTPException))


def describe_failure(error: BaseException, secret: str | None) -> str:
    """A one-line description of ``error`` that never contains ``secret``."""
    from ._http import HttpStatusError

    if isinstance(error, HttpStatusError):
        text = str(error)
    elif isinstance(error, TimeoutError):
        text = "timed out"
    elif isinstance(error, ConnectionRefusedError):
        text = "connection refused"
    elif isinstance(error, (OSError, http.client.HTTPException)):
        text = f"connection failed ({type(error).__name__}: {error})"
    else:
        text = f"{type(error).__name__}: {error}"
    text = text[:300]
    if secret:
        text = text.replace(secret, "***")
    return text
