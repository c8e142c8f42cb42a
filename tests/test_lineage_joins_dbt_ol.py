"""Our lineage joins openlineage-dbt's: the same dataset identity (namespace, name) for every
model, checked against dbt-ol's own naming code for many adapters, against a real ``dbt-ol build``
of a copy of the example product, and against our plugin's own events after a real run.

The last test needs the dbt execution (floe-dagster-assets) to report each node to the
``OpenLineageObserver`` that the facade wires in through a Dagster resource: it launches the
implicit asset job with no run config and no instance handler, as the UI's "Materialize" does.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import EXAMPLE, REFERENCE, ROOT

from floe_dagster_lineage import dataset_for, dataset_namespace, warehouse_from_profile
from floe_orchestrator_contract import Relation


def _spec_validator() -> Any:
    """The lineage package's validator of events against the vendored OpenLineage spec."""
    import importlib.util

    path = ROOT / "packages" / "floe-dagster-lineage" / "tests" / "_helpers.py"
    spec = importlib.util.spec_from_file_location("floe_lineage_test_helpers", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.SpecValidator(REFERENCE / "openlineage-spec")


# Profile outputs of many adapters, as users write them (secrets included: they must not matter).
PROFILES: list[dict[str, Any]] = [
    {"type": "duckdb", "path": "/data/warehouse.duckdb", "threads": 4},
    {"type": "postgres", "host": "db", "port": 5432, "user": "u", "password": "p", "dbname": "d"},
    {"type": "snowflake", "account": "myorg-myaccount", "user": "u", "password": "p"},
    {"type": "snowflake", "account": "xy12345", "user": "u", "password": "p"},
    {"type": "snowflake", "account": "xy12345.us-east-2", "user": "u", "password": "p"},
    {"type": "bigquery", "project": "acme", "method": "oauth", "dataset": "sales"},
    {"type": "redshift", "host": "c1.abc.eu-west-1.redshift.amazonaws.com", "port": 5439},
    {"type": "trino", "host": "trino", "port": 8080, "user": "u"},
    {"type": "presto", "host": "presto", "port": 8889},
    {"type": "clickhouse", "host": "ch", "port": 8123},
    {"type": "databricks", "host": "adb-1.azuredatabricks.net", "token": "dapi", "http_path": "/x"},
    {"type": "spark", "host": "spark", "port": 10000, "method": "thrift"},
    {"type": "spark", "host": "spark", "method": "thrift"},
    {"type": "spark", "host": "spark.cloud", "method": "http"},
    {"type": "sqlserver", "server": "mssql", "port": 1433},
    {"type": "fabric", "server": "fab.net", "port": 1433},
    {"type": "fabric", "server": "fab.net"},
    {"type": "dremio", "software_host": "dremio", "port": 9047},
    {"type": "athena", "region_name": "eu-west-1", "s3_staging_dir": "s3://x"},
    {"type": "glue", "region": "eu-west-1", "role_arn": "arn:aws:iam::123456789012:role/x"},
    {"type": "glue", "region": "us-east-1", "account_id": "42"},
]


@pytest.mark.parametrize("output", PROFILES, ids=lambda o: f"{o['type']}-{len(o)}")
def test_our_namespace_is_openlineage_dbts_for_each_adapter(output: dict[str, Any]) -> None:
    from openlineage.common.provider.dbt.processor import DbtArtifactProcessor

    class Naming(DbtArtifactProcessor):  # only its naming: nothing to read, nothing to run
        def get_dbt_metadata(self) -> None:
            return None

        def dbt_run_run_facet(self) -> dict[str, Any]:
            return {}

    theirs = Naming(producer="test", job_namespace="dbt")
    theirs.extract_adapter_type(output)
    assert dataset_namespace(warehouse_from_profile(output)) == theirs.extract_namespace(output)


# -- a real dbt-ol build of the example ----------------------------------------------------------
@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the example product whose DuckDB file has an absolute path."""
    root = tmp_path_factory.mktemp("lineage")
    copy = root / "greenhouse"
    shutil.copytree(EXAMPLE, copy, ignore=shutil.ignore_patterns("target", "logs", "*.duckdb*"))
    return copy


@pytest.fixture(scope="module")
def database(project: Path) -> Path:
    return project.parent / "greenhouse.duckdb"


def _environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENLINEAGE", "DBT_"))}
    # dbt-ol runs `dbt` from PATH: the one of this interpreter's environment.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def dbt_ol_events(project: Path, database: Path) -> list[dict[str, Any]]:
    events_file = project.parent / "dbt-ol.jsonl"
    config = project.parent / "openlineage.yml"
    config.write_text(
        yaml.safe_dump(
            {"transport": {"type": "file", "log_file_path": str(events_file), "append": True}}
        )
    )
    dbt_ol = Path(sys.executable).parent / "dbt-ol"
    env = _environment(OPENLINEAGE_CONFIG=str(config), GREENHOUSE_DUCKDB_PATH=str(database))
    done = subprocess.run(
        [str(dbt_ol), "build", "--project-dir", str(project), "--profiles-dir", str(project)],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return [json.loads(line) for line in events_file.read_text().splitlines()]


def _rendered_profile(project: Path, database: Path) -> Mapping[str, Any]:
    """The example's profile output as dbt renders it (its env_var() with the run's value)."""
    import jinja2

    environment = {"GREENHOUSE_DUCKDB_PATH": str(database)}

    def env_var(name: str, default: str | None = None) -> str:
        value = environment.get(name, default)
        assert value is not None, name
        return value

    jinja = jinja2.Environment(autoescape=False)
    jinja.globals["env_var"] = env_var
    profile = yaml.safe_load((project / "profiles.yml").read_text())["greenhouse"]
    output = profile["outputs"][profile["target"]]
    return {
        k: jinja.from_string(v).render() if isinstance(v, str) else v for k, v in output.items()
    }


def _manifest_nodes(project: Path) -> dict[str, dict[str, Any]]:
    manifest = json.loads((project / "target" / "manifest.json").read_text())
    return {
        uid: node
        for uid, node in manifest["nodes"].items()
        if node["resource_type"] in ("model", "snapshot")
        and node["config"].get("materialized") != "ephemeral"
    }


def _outputs_by_node(events: list[dict[str, Any]], id_of: Any) -> dict[str, tuple[str, str]]:
    found = {}
    for event in events:
        if event["eventType"] == "COMPLETE" and event["outputs"]:
            [output] = event["outputs"]
            found[id_of(event)] = (output["namespace"], output["name"])
    return found


def _dbt_ol_node(event: dict[str, Any]) -> str | None:
    node = event["job"]["facets"].get("dbt_node")
    return node["unique_id"] if node else None


def test_every_models_dataset_is_named_as_dbt_ol_names_it(
    project: Path, database: Path, dbt_ol_events: list[dict[str, Any]]
) -> None:
    theirs = _outputs_by_node(dbt_ol_events, _dbt_ol_node)
    warehouse = warehouse_from_profile(_rendered_profile(project, database), project_dir=project)
    nodes = _manifest_nodes(project)
    ours = {
        uid: (dataset.namespace, dataset.name)
        for uid, node in nodes.items()
        for dataset in [
            dataset_for(warehouse, Relation(node["database"], node["schema"], node["alias"]))
        ]
    }
    assert set(theirs) == set(nodes)  # every model and the snapshot, nothing else
    assert ours == theirs
    assert {namespace for namespace, _ in ours.values()} == {f"duckdb://{database}"}


# -- our plugin's own events after a real run ----------------------------------------------------
class _Receiver:
    """An OpenLineage HTTP receiver on 127.0.0.1 that keeps every event and request path."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.paths: list[str] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.paths.append(self.path)
                receiver.events.append(json.loads(body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def our_events(
    project: Path, database: Path, dbt_ol_events: list[dict[str, Any]]
) -> Iterator[list[dict[str, Any]]]:
    """The implicit asset job of the example, launched with no run config and no dagster.yaml
    handler, lineage configured only in the artifacts (a bare endpoint)."""
    import dagster as dg

    from floe_orchestrator_contract import CompiledArtifacts, ObservabilityConfig
    from floe_orchestrator_dagster import DagsterOrchestratorPlugin

    receiver = _Receiver()
    saved = dict(os.environ)
    try:
        os.environ.clear()
        os.environ.update(_environment(GREENHOUSE_DUCKDB_PATH=str(database)))
        os.environ.pop("DAGSTER_HOME", None)
        artifacts = CompiledArtifacts.from_file(project / "compiled_artifacts.json")
        artifacts = artifacts.model_copy(
            update={
                "observability": ObservabilityConfig(
                    lineage_namespace="greenhouse", lineage_endpoint=receiver.url
                )
            }
        )
        plugin = DagsterOrchestratorPlugin(dbt_project_dir=str(project))
        defs = plugin.create_definitions(artifacts.model_dump(mode="json"))
        job = defs.resolve_implicit_global_asset_job_def()
        with dg.DagsterInstance.ephemeral() as instance:
            result = job.execute_in_process(instance=instance, raise_on_error=False)
        assert result.success
        yield list(receiver.events)
    finally:
        os.environ.clear()
        os.environ.update(saved)
        receiver.stop()


def _our_node(nodes: Mapping[str, dict[str, Any]]) -> Any:
    by_job = {f"greenhouse.{node['name']}": uid for uid, node in nodes.items()}
    return lambda event: by_job.get(event["job"]["name"])


def test_a_run_launched_without_run_config_reports_each_model(
    project: Path, our_events: list[dict[str, Any]]
) -> None:
    nodes = _manifest_nodes(project)
    kinds = {(e["job"]["name"], e["eventType"]) for e in our_events}
    for node in nodes.values():
        assert (f"greenhouse.{node['name']}", "START") in kinds
        assert (f"greenhouse.{node['name']}", "COMPLETE") in kinds
    _spec_validator().check(our_events)


def test_our_datasets_equal_dbt_ols_and_our_inputs_join_our_outputs(
    project: Path, our_events: list[dict[str, Any]], dbt_ol_events: list[dict[str, Any]]
) -> None:
    nodes = _manifest_nodes(project)
    ours = _outputs_by_node(our_events, _our_node(nodes))
    theirs = _outputs_by_node(dbt_ol_events, _dbt_ol_node)
    assert {uid: ours.get(uid) for uid in theirs} == theirs
    # Every input is an upstream output of the same run, or a dbt source (which no node builds).
    manifest = json.loads((project / "target" / "manifest.json").read_text())
    outputs = {
        (d["namespace"], d["name"])
        for e in our_events
        if e["eventType"] == "COMPLETE"
        for d in e["outputs"]
    }
    namespace = next(iter(theirs.values()))[0]
    sources = {
        (namespace, ".".join(filter(None, [s["database"], s["schema"], s["identifier"]])))
        for s in manifest["sources"].values()
    }
    inputs = {(d["namespace"], d["name"]) for e in our_events for d in e["inputs"]}
    assert inputs <= outputs | sources
    assert inputs & outputs
