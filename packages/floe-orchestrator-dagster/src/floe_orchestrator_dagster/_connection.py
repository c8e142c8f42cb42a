"""Does a Dagster webserver answer? One GraphQL query, one deadline, one actionable message.

The check asks the webserver for ``{ version }`` over GraphQL: only Dagster answers that with a
version string, so a proxy's HTML page or another service on the port is told apart from Dagster.
Everything (name resolution, connect, TLS, the answer) shares one total deadline: the request runs
in a worker thread that is abandoned when the deadline passes, because a DNS lookup cannot be
given a timeout of its own.

Credentials never reach a message: a ``user:password@`` in the URL is sent as HTTP basic
authentication and shown as ``user:***@``; a token or header holding a line break (a header
injection) is refused before anything is sent, without quoting it.
"""

from __future__ import annotations

import base64
import json
import math
import socket
import ssl
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import SplitResult, unquote, urlsplit, urlunsplit

from floe_orchestrator_contract import ValidationResult

from ._settings import redact_url

__all__ = ["check_dagster_connection", "connection_problems"]

_QUERY = b'{"query": "{ version }"}'
_MAX_BODY = 1 << 20


@dataclass
class _Outcome:
    result: ValidationResult | None = None


def check_dagster_connection(
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    verify_tls: bool | str = True,
    deadline: float = 10.0,
) -> ValidationResult:
    """Query ``{url}/graphql`` for Dagster's version within ``deadline`` seconds in total."""
    problems = _problems(url, headers, deadline)
    if problems:
        return ValidationResult(
            success=False,
            message="; ".join(message for _, message in problems),
            errors=sorted({error for error, _ in problems}),
        )
    parts = _parts(url)
    assert parts is not None  # _problems checked it
    endpoint = _graphql_endpoint(parts)
    request_headers = dict(headers or {})
    if parts.username is not None and not any(
        k.lower() == "authorization" for k in request_headers
    ):
        credentials = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        request_headers["Authorization"] = "Basic " + base64.b64encode(
            credentials.encode("utf-8")
        ).decode("ascii")
    outcome = _Outcome()
    started = time.monotonic()

    def run() -> None:
        try:
            outcome.result = _query(endpoint, request_headers, verify_tls, started + deadline)
        except Exception as error:
            # Never a thread traceback or a false timeout; only the type, as the text may quote
            # a header.
            outcome.result = _failure(
                f"could not query {endpoint}: {type(error).__name__}",
                "connection error",
                "check the URL, the headers and the TLS settings",
            )

    worker = threading.Thread(target=run, name="floe-dagster-connection", daemon=True)
    worker.start()
    worker.join(deadline)
    if outcome.result is None:
        return _timeout(endpoint, deadline)
    return outcome.result


def connection_problems(
    url: object, headers: Mapping[str, str] | None = None, deadline: object = 10.0
) -> list[str]:
    """What is wrong with these connection settings, without quoting any secret."""
    return [message for _, message in _problems(url, headers, deadline)]


def _problems(
    url: object, headers: Mapping[str, str] | None, deadline: object
) -> list[tuple[str, str]]:
    """(error, message) per problem."""
    problems: list[tuple[str, str]] = []
    if not isinstance(url, str) or _parts(url) is None:
        shown = redact_url(url) if isinstance(url, str) else type(url).__name__
        message = (
            f"dagster_url: {shown!r} is not an http(s) URL of a Dagster webserver (allowed: "
            "the webserver's base URL with a numeric port, e.g. http://localhost:3000; "
            "DAGSTER_URL)"
        )
        problems.append(("invalid URL", message))
    for name, value in (headers or {}).items():
        if _clean(name) and _clean(value):
            continue
        label = "a header name"
        if isinstance(name, str) and name.lower() == "authorization":
            label = "Authorization (dagster_token, FLOE_DAGSTER_TOKEN)"
        elif _clean(name):
            label = repr(name)
        message = (
            f"headers: {label} contains a line break or control character (allowed: "
            "printable text on one line; CR and LF would inject headers)"
        )
        problems.append(("invalid header", message))
    if (
        isinstance(deadline, bool)
        or not isinstance(deadline, (int, float))
        or not math.isfinite(deadline)
        or deadline <= 0
    ):
        message = f"connection_timeout: {deadline!r} is not a number of seconds (allowed: > 0)"
        problems.append(("invalid timeout", message))
    return problems


def _clean(text: object) -> bool:
    return isinstance(text, str) and not any(ord(c) < 32 or ord(c) == 127 for c in text)


def _parts(url: str) -> SplitResult | None:
    """The URL's parts if it is an http(s) URL with a host and a valid port."""
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - raises ValueError for a non-numeric or out-of-range port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return parts


def _graphql_endpoint(parts: SplitResult) -> str:
    """The GraphQL endpoint, without the URL's credentials (they travel in a header)."""
    path = parts.path.rstrip("/")
    if not path.endswith("/graphql"):
        path += "/graphql"
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, host, path, "", ""))


def _query(
    endpoint: str, headers: dict[str, str], verify_tls: bool | str, deadline_at: float
) -> ValidationResult:
    request = urllib.request.Request(
        endpoint,
        data=_QUERY,
        method="POST",
        headers={"Content-Type": "application/json", "Accept": "application/json", **headers},
    )
    context = None
    if endpoint.startswith("https"):
        context = ssl.create_default_context(
            cafile=verify_tls if isinstance(verify_tls, str) else None
        )
        if verify_tls is False:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
    host = urlsplit(endpoint).netloc
    remaining = max(deadline_at - time.monotonic(), 0.001)
    try:
        with urllib.request.urlopen(request, timeout=remaining, context=context) as response:
            body = response.read(_MAX_BODY)
            content_type = response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as error:
        hint = (
            "check the credentials (dagster_token / headers)"
            if error.code in (401, 403)
            else "check the URL and that the webserver serves /graphql"
        )
        return _failure(
            f"{endpoint} answered HTTP {error.code} {error.reason}", f"HTTP {error.code}", hint
        )
    except TimeoutError:
        return _timeout(endpoint, None)
    except urllib.error.URLError as error:
        return _from_reason(endpoint, host, error.reason)
    except (ConnectionError, OSError) as error:
        return _from_reason(endpoint, host, error)
    return _interpret(endpoint, body, content_type)


def _from_reason(endpoint: str, host: str, reason: object) -> ValidationResult:
    if isinstance(reason, socket.gaierror):
        return _failure(
            f"unknown host: {host!r} could not be resolved",
            "unknown host",
            "check the host name in the URL (DAGSTER_URL) and DNS",
        )
    if isinstance(reason, ConnectionRefusedError):
        return _failure(
            f"connection refused by {host}: nothing listens there",
            "connection refused",
            "start the webserver (`dagster dev` or `dagster-webserver`) or fix the port",
        )
    if isinstance(reason, (TimeoutError, socket.timeout)):
        return _timeout(endpoint, None)
    if isinstance(reason, ssl.SSLError):
        return _failure(
            f"TLS handshake with {host} failed: {reason}",
            "TLS error",
            "check the certificate, or pass verify_tls=<CA bundle path>",
        )
    return _failure(f"could not reach {endpoint}: {reason}", "connection error", "check the URL")


def _interpret(endpoint: str, body: bytes, content_type: str) -> ValidationResult:
    not_dagster = _failure(
        f"{endpoint} answered, but not as Dagster ({_describe(body, content_type)})",
        "not a Dagster webserver",
        "point DAGSTER_URL at the Dagster webserver itself, not a proxy login or another service",
    )
    try:
        payload = json.loads(body)
    except ValueError:
        return not_dagster
    version = payload.get("data", {}).get("version") if isinstance(payload, dict) else None
    if not isinstance(version, str) or not version:
        return not_dagster
    return ValidationResult(
        success=True, message=f"Dagster {version} answers at {endpoint.removesuffix('/graphql')}"
    )


def _describe(body: bytes, content_type: str) -> str:
    kind = content_type.split(";", maxsplit=1)[0].strip() or "no content type"
    if b"<html" in body[:512].lower() or kind == "text/html":
        return f"an HTML page, {kind}"
    return f"{kind}, {len(body)} bytes without a Dagster version"


def _timeout(endpoint: str, deadline: float | None) -> ValidationResult:
    within = f" within {deadline:g}s" if deadline is not None else " in time"
    return _failure(
        f"timeout: {endpoint} did not answer{within}",
        "timeout",
        "the server accepted the connection but did not answer: is the webserver overloaded, "
        "or is something else listening on that port?",
    )


def _failure(message: str, error: str, hint: str) -> ValidationResult:
    return ValidationResult(success=False, message=f"{message}; {hint}", errors=[error])
