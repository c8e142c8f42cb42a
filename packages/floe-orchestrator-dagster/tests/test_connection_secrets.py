"""Credentials in the URL, the token or a header never reach a message, a repr or the terminal."""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from floe_orchestrator_dagster import DagsterOrchestratorPlugin
from floe_orchestrator_dagster._cli import main

from ._servers import refusing_port

pytestmark = pytest.mark.usefixtures("clean_env")

PASSWORD = "s3cret-Pa55"
INJECTED = "abc\r\nX-Evil: 1"


@contextlib.contextmanager
def fake_dagster() -> Iterator[tuple[int, list[dict[str, str]]]]:
    """Answers ``{ version }`` as Dagster does, and records each request's headers."""
    seen: list[dict[str, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            seen.append(dict(self.headers.items()))
            body = json.dumps({"data": {"version": "1.13.27"}}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield int(server.server_address[1]), seen
    finally:
        server.shutdown()
        server.server_close()


def test_url_credentials_are_sent_as_basic_auth_and_never_shown(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    with fake_dagster() as (port, seen):
        plugin = DagsterOrchestratorPlugin(dagster_url=f"http://ops:{PASSWORD}@127.0.0.1:{port}")
        result = plugin.validate_connection()
    assert result.success, result.message
    assert result.message == f"Dagster 1.13.27 answers at http://127.0.0.1:{port}"
    (headers,) = seen
    expected = base64.b64encode(f"ops:{PASSWORD}".encode()).decode()
    assert headers["Authorization"] == f"Basic {expected}"
    shown = f"{plugin!r} {plugin.settings!r} {result} {caplog.text}"
    assert PASSWORD not in shown
    assert f"http://ops:***@127.0.0.1:{port}" in repr(plugin)


def test_the_host_of_a_url_with_credentials_is_the_host() -> None:
    with refusing_port() as port:
        plugin = DagsterOrchestratorPlugin(dagster_url=f"http://u:{PASSWORD}@127.0.0.1:{port}")
        result = plugin.validate_connection()
    assert result.errors == ["connection refused"]
    assert f"connection refused by 127.0.0.1:{port}" in result.message
    assert PASSWORD not in result.message
    assert "unknown host" not in result.message


def test_a_token_alone_in_the_user_part_is_hidden_too() -> None:
    plugin = DagsterOrchestratorPlugin(dagster_url=f"https://{PASSWORD}@dagster.example:3000")
    assert PASSWORD not in repr(plugin)
    assert "https://***@dagster.example:3000" in repr(plugin)


def test_check_connection_never_prints_the_url_password() -> None:
    script = Path(sys.executable).parent / "floe-dagster"
    with refusing_port() as port:
        completed = subprocess.run(
            [str(script), "check-connection", "--url", f"http://u:{PASSWORD}@127.0.0.1:{port}"],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert completed.returncode == 1
    assert f"connection refused by 127.0.0.1:{port}" in completed.stdout
    assert PASSWORD not in completed.stdout + completed.stderr


@pytest.mark.parametrize(
    "kwargs",
    [
        {"dagster_token": INJECTED},
        {"dagster_headers": {"X-Api-Key": INJECTED}},
        {"dagster_headers": {"X-Api-Key\nX-Evil": "1"}},
    ],
    ids=["token", "header-value", "header-name"],
)
def test_line_breaks_in_a_token_or_header_are_refused_unquoted(kwargs: dict[str, object]) -> None:
    # filterwarnings=error turns an exception escaping the worker thread into a test error.
    with refusing_port() as port:
        plugin = DagsterOrchestratorPlugin(dagster_url=f"http://127.0.0.1:{port}", **kwargs)  # type: ignore[arg-type]
        started = time.monotonic()
        result = plugin.validate_connection()
    assert time.monotonic() - started < 1.0
    assert result.errors == ["invalid header"]
    assert "line break" in result.message
    assert "timeout" not in result.message
    assert "abc" not in result.message
    assert "X-Evil" not in result.message


def test_check_connection_refuses_an_injected_token_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FLOE_DAGSTER_TOKEN", INJECTED)
    with refusing_port() as port:
        assert main(["check-connection", "--url", f"http://127.0.0.1:{port}"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    (line,) = captured.err.strip().splitlines()
    assert "Authorization (dagster_token, FLOE_DAGSTER_TOKEN) contains a line break" in line
    assert "abc" not in line
    assert "X-Evil" not in line
