"""A loopback OpenLineage receiver for bench_lineage.py, run as its own process.

Its own process so that the receiver never competes with the measured caller for the GIL.
POST /api/v1/lineage stores nothing but a count (after ``--delay`` seconds); GET /count answers
with that count. Prints its port on stdout once listening; stops when stdin closes.

    python benchmarks/_lineage_receiver.py [--delay 0.2]
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--delay", type=float, default=0.0)
    args = parser.parse_args()
    count = [0]
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if args.delay:
                time.sleep(args.delay)
            with lock:
                count[0] += 1
            self._answer(200, b"")

        def do_GET(self) -> None:
            with lock:
                body = str(count[0]).encode()
            self._answer(200, body)

        def _answer(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(server.server_address[1], flush=True)
    sys.stdin.read()  # until the benchmark closes our stdin
    server.shutdown()


if __name__ == "__main__":
    main()
