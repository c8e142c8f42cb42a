"""A real OpenLineage HTTP receiver on 127.0.0.1, with the failure modes the tests need."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        # A connection cut by stop() (the "killed receiver") is expected, not worth a traceback.
        return


class Receiver:
    """Collects POSTed JSON bodies (and the path of every request). ``mode``: ok, slow, status,
    garbage (set at any time)."""

    def __init__(self, mode: str = "ok", delay: float = 0.0, status: int = 200) -> None:
        self.mode = mode
        self.delay = delay
        self.status = status
        self.events: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.paths: list[str] = []
        self.requests = 0
        # When set to an Event, every request waits for it (at most 10 s) before being answered.
        self.gate: threading.Event | None = None
        self._lock = threading.Lock()
        self._connections: list[socket.socket] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                with receiver._lock:
                    receiver._connections.append(self.connection)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with receiver._lock:
                    receiver.requests += 1
                    receiver.paths.append(self.path)
                gate = receiver.gate
                if gate is not None:
                    gate.wait(10)
                mode = receiver.mode
                if mode == "garbage":
                    self.wfile.write(b"\x00\xffnot http at all\r\n\r\n")
                    self.close_connection = True
                    return
                if mode == "slow":
                    time.sleep(receiver.delay)
                status = receiver.status if mode == "status" else 200
                if status < 300:
                    with receiver._lock:
                        receiver.events.append(json.loads(body))
                        receiver.headers.append(dict(self.headers))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = _QuietServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Like a killed process: stop listening and cut every open connection."""
        self.server.shutdown()
        self.server.server_close()
        with self._lock:
            connections, self._connections = self._connections, []
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
            connection.close()

    def __enter__(self) -> Receiver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def refused_port() -> int:
    """A loopback port with nothing listening (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
