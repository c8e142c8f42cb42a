"""validate_connection against loopback servers failing in each way, and a real webserver."""

from __future__ import annotations

import logging
import time

import pytest

from floe_orchestrator_dagster import DagsterOrchestratorPlugin

from ._servers import http_server, refusing_port, silent_server


def _check(
    url: str, *, timeout: float = 10.0, **kwargs: object
) -> tuple[bool, str, list[str], float]:
    plugin = DagsterOrchestratorPlugin(dagster_url=url, connection_timeout=timeout, **kwargs)  # type: ignore[arg-type]
    started = time.monotonic()
    result = plugin.validate_connection()
    return result.success, result.message, result.errors, time.monotonic() - started


def test_connection_refused() -> None:
    with refusing_port() as port:
        ok, message, errors, elapsed = _check(f"http://127.0.0.1:{port}")
    assert not ok
    assert errors == ["connection refused"]
    assert f"connection refused by 127.0.0.1:{port}" in message
    assert "start the webserver" in message
    assert elapsed < 10


def test_unknown_host() -> None:
    # glibc rejects a host name with '!' with the same EAI_NONAME an unknown name gets, without
    # sending a DNS query: the test stays on this machine.
    ok, message, errors, elapsed = _check("http://floe_no_such_host!.invalid:3000")
    assert not ok
    assert errors == ["unknown host"]
    assert "could not be resolved" in message
    assert elapsed < 10


def test_timeout_when_the_server_accepts_and_never_answers() -> None:
    with silent_server() as port:
        ok, message, errors, elapsed = _check(f"http://127.0.0.1:{port}", timeout=1.5)
    assert not ok
    assert errors == ["timeout"]
    assert "did not answer" in message
    assert 1.0 < elapsed < 3.0


def test_default_deadline_is_ten_seconds() -> None:
    assert DagsterOrchestratorPlugin().settings.connection_timeout == 10.0


@pytest.mark.parametrize(("status", "hint"), [(500, "serves /graphql"), (401, "credentials")])
def test_http_error(status: int, hint: str) -> None:
    with http_server(status, b"nope", "text/plain") as port:
        ok, message, errors, _ = _check(f"http://127.0.0.1:{port}")
    assert not ok
    assert errors == [f"HTTP {status}"]
    assert f"answered HTTP {status}" in message
    assert hint in message


def test_a_200_that_is_not_dagster() -> None:
    page = b"<!doctype html><html><body>Sign in</body></html>"
    with http_server(200, page, "text/html; charset=utf-8") as port:
        ok, message, errors, _ = _check(f"http://127.0.0.1:{port}")
    assert not ok
    assert errors == ["not a Dagster webserver"]
    assert "an HTML page" in message


def test_json_without_a_dagster_version_is_not_dagster() -> None:
    with http_server(200, b'{"data": {"hello": "world"}}', "application/json") as port:
        ok, _, errors, _ = _check(f"http://127.0.0.1:{port}")
    assert (ok, errors) == (False, ["not a Dagster webserver"])


def test_a_bad_url_is_reported_not_raised() -> None:
    ok, message, errors, _ = _check("localhost:3000")
    assert (ok, errors) == (False, ["invalid URL"])
    assert "http://localhost:3000" in message


def test_the_token_is_sent_but_never_shown(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with http_server(403, b"forbidden", "text/plain") as port:
        plugin = DagsterOrchestratorPlugin(
            dagster_url=f"http://127.0.0.1:{port}", dagster_token="s3cr3t-token"
        )
        result = plugin.validate_connection()
    assert result.errors == ["HTTP 403"]
    shown = f"{plugin!r} {plugin.settings!r} {result} {caplog.text}"
    assert "s3cr3t-token" not in shown
    assert plugin.settings.request_headers() == {"Authorization": "Bearer s3cr3t-token"}
