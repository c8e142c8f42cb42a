"""A floe-compiled product for the cross-package tests, and the real servers around it.

``tests/products/customer-360`` is what a floe user has: a dbt project whose profile is
``customer_360``, and the ``compiled_artifacts.json`` floe-core 0.10.0 writes for product
``customer-360`` (dbt profile keyed by product name, environment target ``dev``, plugins with a
Polaris catalog and its client secret, governance, telemetry, quality checks).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = Path(os.environ.get("FLOE_REFERENCE_DIR", ROOT / "tests" / "reference"))
CUSTOMER_360 = ROOT / "tests" / "products" / "customer-360"
# Every secret the product's artifacts carry: none may show anywhere a person reads.
SECRETS = (
    "polaris-secret-7Hq2-never-shown",
    "minio-secret-9Xz-never-shown",
    "otlp-key-4Kd8-never-shown",
)
EXPECTED_ROWS = {
    "raw.raw_customers": 6,
    "raw.raw_orders": 10,
    "staging.stg_customers": 6,
    "staging.stg_orders": 10,
    "marts.customer_orders": 4,
    "marts.dim_customers": 6,
}


def copy_product(destination: Path, *, lineage_url: str | None = None) -> Path:
    """A private copy of customer-360; ``lineage_url`` replaces its Marquez backend's URL."""
    shutil.copytree(
        CUSTOMER_360, destination, ignore=shutil.ignore_patterns("target", "logs", "*.duckdb*")
    )
    if lineage_url is not None:
        path = destination / "compiled_artifacts.json"
        data = json.loads(path.read_text())
        data["plugins"]["lineage_backend"]["config"]["url"] = lineage_url
        path.write_text(json.dumps(data, indent=2))
    return destination


def row_counts(database: Path) -> dict[str, int]:
    import duckdb

    with duckdb.connect(str(database), read_only=True) as con:
        names = con.execute(
            "select table_schema || '.' || table_name from information_schema.tables"
        ).fetchall()
        return {
            name: con.execute(f"select count(*) from {name}").fetchone()[0]  # type: ignore[index]
            for (name,) in names
        }


def query(database: Path, sql: str) -> list[tuple[Any, ...]]:
    import duckdb

    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(sql).fetchall()


@contextlib.contextmanager
def lineage_receiver() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """An OpenLineage HTTP backend on 127.0.0.1 (what Marquez answers); yields (url, events)."""
    events: list[dict[str, Any]] = []
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with lock:
                events.append(json.loads(body))
            self.send_response(201)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", events
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def refusing_port() -> Iterator[int]:
    """A port bound but not listening: connecting to it is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield int(sock.getsockname()[1])


def dagster_env(home: Path, **extra: str) -> dict[str, str]:
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    return {**os.environ, "DAGSTER_HOME": str(home), **extra}


@contextlib.contextmanager
def dagster_webserver(definitions: Path, env: dict[str, str]) -> Iterator[str]:
    """A real ``dagster-webserver`` on 127.0.0.1 serving ``definitions``; yields its base URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    log_path = Path(env["DAGSTER_HOME"]) / "webserver.log"  # not in the dbt project
    command = [sys.executable, "-m", "dagster_webserver", "-h", "127.0.0.1", "-p", str(port)]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*command, "-f", str(definitions)],
            cwd=definitions.parent,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 180
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"webserver exited: {log_path.read_text()[-3000:]}")
                with (
                    contextlib.suppress(OSError),
                    urllib.request.urlopen(f"{url}/server_info", timeout=2) as answer,
                ):
                    if answer.status == 200:
                        break
                if time.monotonic() > deadline:
                    raise RuntimeError("dagster-webserver did not start within 180s")
                time.sleep(0.5)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def openlineage_problems(events: list[dict[str, Any]]) -> list[str]:
    """Problems of each event against the OpenLineage core schema and every facet's schema."""
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource

    spec = REFERENCE / "openlineage-spec"
    schemas = [
        json.loads(p.read_text())
        for p in [spec / "OpenLineage.json", *sorted((spec / "facets").glob("*.json"))]
    ]
    registry: Registry[Any] = Registry().with_resources(
        (schema["$id"], Resource.from_contents(schema)) for schema in schemas
    )
    core = Draft202012Validator(schemas[0], registry=registry)
    facets = {
        name: Draft202012Validator(
            {"$ref": f"{schema['$id']}#/properties/{name}"}, registry=registry
        )
        for schema in schemas[1:]
        for name in schema.get("properties", {})
    }
    problems = []
    for index, event in enumerate(events):
        errors = [e.message for e in core.iter_errors(event)]
        places = [event.get("run", {}).get("facets"), event.get("job", {}).get("facets")]
        places += [d.get("facets") for d in [*event.get("inputs", []), *event.get("outputs", [])]]
        for place in places:
            for name, facet in (place or {}).items():
                if name in facets:
                    errors += [f"{name}: {e.message}" for e in facets[name].iter_errors(facet)]
        problems += [f"event {index} ({event.get('eventType')}): {e}" for e in errors]
    return problems


def floe_schema_problems(data: Any) -> list[str]:
    """Problems of ``data`` against the JSON schema floe-core 0.10.0 exports for its artifacts."""
    from jsonschema import Draft202012Validator

    text = (REFERENCE / "floe-core" / "compiled_artifacts-0.10.0.schema.json").read_text()
    # Python's re wants the schema's one inline flag first: "^(?i)(A|B)$" -> "(?i)^(A|B)$".
    schema = json.loads(text.replace("^(?i)", "(?i)^"))
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
        for e in validator.iter_errors(data)
    ]


def graphql(url: str, query_text: str) -> dict[str, Any]:
    request = urllib.request.Request(
        f"{url}/graphql",
        data=json.dumps({"query": query_text}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=60) as answer:
        payload: dict[str, Any] = json.loads(answer.read())
    return payload
