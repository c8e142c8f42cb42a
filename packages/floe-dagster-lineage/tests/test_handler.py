"""The instance-level ``OpenLineageHandler``: lineage for runs launched without the logger in
their run config (the implicit ``__ASSET_JOB``), checked with real Dagster instances built from a
``dagster.yaml``, in process, with the multiprocess executor and through Dagster's CLI.

The handler is given no job: it finds the run's code location through the run's record (its
code origin, where ``DAGSTER_HOME`` names the instance) or as the one ``Definitions`` its process
loaded. This test process loads several, as no code location's process does, so runs here that
need the graph go through a real code origin (``execute_job`` of a module's job, as ``dagster
asset materialize`` and a run worker do)."""

from __future__ import annotations

import copy
import json
import logging
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import _project
import dagster as dg
import pytest
import yaml
from _helpers import SpecValidator, reference_dir
from _receiver import Receiver, refused_port
from dagster._core.definitions.reconstruct import ReconstructableRepository
from test_dagster import by_job, config_for, names

from floe_dagster_lineage import (
    LineageConfigError,
    dagster_handler_config,
    lineage_run_config,
    with_openlineage,
)
from floe_dagster_lineage._dagster import lineage_spec_of
from floe_dagster_lineage._graph import definitions_for_run, job_of

TESTS_DIR = Path(__file__).resolve().parent
OPENLINEAGE_ENV = (
    "OPENLINEAGE_URL",
    "OPENLINEAGE_ENDPOINT",
    "OPENLINEAGE_NAMESPACE",
    "OPENLINEAGE_CONFIG",
    "OPENLINEAGE_DISABLED",
    "OPENLINEAGE_API_KEY",
)


def write_dagster_yaml(directory: Path, handlers: Mapping[str, Any], **instance: Any) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    document = {"python_logs": {"dagster_handler_config": dict(handlers)}, **instance}
    (directory / "dagster.yaml").write_text(yaml.safe_dump(document))
    return directory


@contextmanager
def instance_with(directory: Path, handlers: Mapping[str, Any]) -> Iterator[dg.DagsterInstance]:
    """A real instance from a dagster.yaml in ``directory`` (DAGSTER_HOME is left unset)."""
    with dg.DagsterInstance.from_config(str(write_dagster_yaml(directory, handlers))) as instance:
        yield instance


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in (*OPENLINEAGE_ENV, "DAGSTER_HOME"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def of_run(events: list[dict[str, Any]], run_id: str) -> list[dict[str, Any]]:
    """The events of one Dagster run: its own and its assets' (whose parent it is)."""
    return [
        e
        for e in events
        if run_id
        in (e["run"]["runId"], e["run"]["facets"].get("parent", {}).get("run", {}).get("runId"))
    ]


def shape(events: list[dict[str, Any]], dagster_job: str) -> list[dict[str, Any]]:
    """Events without what differs between two runs of the same assets: ids, times, job name."""
    shaped = []
    for original in events:
        event = copy.deepcopy(original)
        del event["eventTime"], event["run"]["runId"]
        facets = event["run"]["facets"]
        if event["job"]["name"] == dagster_job:
            event["job"]["name"] = "<dagster job>"
        if "parent" in facets:
            del facets["parent"]["run"]["runId"]
            facets["parent"]["job"]["name"] = "<dagster job>"
        if "errorMessage" in facets:
            message = facets["errorMessage"]["message"].replace(dagster_job, "<dagster job>")
            facets["errorMessage"] = message
        shaped.append(event)
    return shaped


def outcomes(events: list[dict[str, Any]]) -> dict[str, list[str]]:
    return {job: [e["eventType"] for e in evs] for job, evs in by_job(events).items()}


def wait_for(predicate: Any, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.05)


# -- in process ----------------------------------------------------------------------------------
def implicit_job(module: str) -> Any:
    """The implicit asset job of a module's ``defs``, reconstructable in any process."""
    repository = ReconstructableRepository.for_module(
        module, "defs", working_directory=str(TESTS_DIR)
    )
    return repository.get_reconstructable_job("__ASSET_JOB")


# Steps in the run's own process (the default executor's in-process mode): quick, and the run
# still carries its code origin, as a launched run does.
IN_PROCESS = {"execution": {"config": {"in_process": {}}}}


@contextmanager
def home_instance(handlers: Mapping[str, Any]) -> Iterator[dg.DagsterInstance]:
    """An instance from a dagster.yaml, which DAGSTER_HOME names (as on a deployment)."""
    with dg.instance_for_test(
        overrides={"python_logs": {"dagster_handler_config": dict(handlers)}},
        set_dagster_home=True,
    ) as instance:
        yield instance


def test_the_implicit_asset_job_without_run_config_reports_the_loggers_graph(
    receiver: Receiver, spec: SpecValidator, clean_env: pytest.MonkeyPatch
) -> None:
    """No run config: the handler from dagster.yaml reports the implicit job's run exactly as
    the logger reports the same assets through an explicit job."""
    clean_env.setenv("OPENLINEAGE_URL", receiver.url)
    clean_env.setenv("OPENLINEAGE_NAMESPACE", "shop")
    # The instance's own settings point at a dead port: the code location's settings win. The
    # `level` a copied handler snippet may carry must not filter Dagster's DEBUG events.
    handlers = dagster_handler_config(
        namespace="elsewhere", endpoint=f"http://127.0.0.1:{refused_port()}"
    )
    handlers["handlers"]["openlineage"]["level"] = "INFO"
    with (
        home_instance(handlers) as instance,
        dg.execute_job(implicit_job("_project"), instance, run_config=IN_PROCESS) as by_handler,
    ):
        handler_run, handler_ok = by_handler.run_id, by_handler.success
    by_logger = _project.defs.resolve_job_def("all_assets").execute_in_process(raise_on_error=False)
    assert not handler_ok  # finance fails by design
    handler_events = of_run(receiver.events, handler_run)
    logger_events = of_run(receiver.events, by_logger.run_id)
    assert len(handler_events) + len(logger_events) == len(receiver.events)
    spec.check(handler_events)
    assert outcomes(handler_events) == {
        "__ASSET_JOB": ["START", "FAIL"],
        "raw.orders": ["START", "COMPLETE"],
        "stg_orders": ["START", "COMPLETE"],
        "orders": ["START", "COMPLETE"],
        "customers": ["START", "COMPLETE"],
        "revenue": ["START", "COMPLETE"],
        "margin": ["START", "FAIL"],
    }
    assert shape(handler_events, "__ASSET_JOB") == shape(logger_events, "all_assets")


def test_a_run_with_both_the_logger_and_the_handler_is_reported_once(
    receiver: Receiver, tmp_path: Path, clean_env: pytest.MonkeyPatch
) -> None:
    defs = _project.build_defs(config_for(receiver.url))
    with instance_with(tmp_path, dagster_handler_config(endpoint=receiver.url)) as instance:
        implicit = defs.resolve_implicit_global_asset_job_def().execute_in_process(
            instance=instance,
            run_config=lineage_run_config(),
            asset_selection=[dg.AssetKey("stg_orders")],
        )
        named = defs.resolve_job_def("healthy_assets").execute_in_process(instance=instance)
    assert implicit.success
    assert named.success
    assert [
        (e["job"]["name"], e["eventType"]) for e in of_run(receiver.events, implicit.run_id)
    ] == [
        ("__ASSET_JOB", "START"),
        ("stg_orders", "START"),
        ("stg_orders", "COMPLETE"),
        ("__ASSET_JOB", "COMPLETE"),
    ]
    assert outcomes(of_run(receiver.events, named.run_id)) == {
        job: ["START", "COMPLETE"]
        for job in ("healthy_assets", "raw.orders", "stg_orders", "orders", "customers")
    }
    assert len(receiver.events) == 4 + 10


def test_a_subset_of_a_multi_asset_reports_only_the_selected_asset(
    receiver: Receiver, spec: SpecValidator, tmp_path: Path, clean_env: pytest.MonkeyPatch
) -> None:
    """As a dbt selection does: one model of a subsettable multi-asset, by handler and logger."""

    @dg.multi_asset(specs=[dg.AssetSpec("left"), dg.AssetSpec("right")], can_subset=True)
    def pair(context) -> Any:  # type: ignore[no-untyped-def]  # dagster reads the bare name
        for key in sorted(context.selected_asset_keys, key=lambda k: k.path):
            yield dg.MaterializeResult(asset_key=key)

    defs = with_openlineage(dg.Definitions(assets=[pair]), config_for(receiver.url))
    job = defs.resolve_implicit_global_asset_job_def()
    left = [dg.AssetKey("left")]
    # In process, among this test process's many Definitions: the handler knows only the events
    # (and its own settings), yet reports the selected asset alone, as the logger does.
    handlers = dagster_handler_config(namespace="shop", endpoint=receiver.url)
    with instance_with(tmp_path, handlers) as instance:
        by_handler = job.execute_in_process(instance=instance, asset_selection=left)
    by_logger = job.execute_in_process(run_config=lineage_run_config(), asset_selection=left)
    assert by_handler.success
    assert by_logger.success
    expected = [
        ("__ASSET_JOB", "START"),
        ("left", "START"),
        ("left", "COMPLETE"),
        ("__ASSET_JOB", "COMPLETE"),
    ]
    for run in (by_handler, by_logger):
        events = of_run(receiver.events, run.run_id)
        spec.check(events)
        assert [(e["job"]["name"], e["eventType"]) for e in events] == expected


def test_a_project_without_the_logger_is_reported_with_the_handlers_settings(
    receiver: Receiver, spec: SpecValidator, tmp_path: Path, clean_env: pytest.MonkeyPatch
) -> None:
    import _plain_project

    assert lineage_spec_of(_plain_project.defs.resolve_implicit_global_asset_job_def()) is None
    handlers = dagster_handler_config(namespace="plain", endpoint=receiver.url)
    job = implicit_job("_plain_project")
    with (
        home_instance(handlers) as instance,
        dg.execute_job(job, instance, run_config=IN_PROCESS) as result,
    ):
        assert result.success
    spec.check(receiver.events)
    assert {e["job"]["namespace"] for e in receiver.events} == {"plain"}
    grouped = by_job(receiver.events)
    assert outcomes(receiver.events) == {
        "__ASSET_JOB": ["START", "COMPLETE"],
        "raw.orders": ["START", "COMPLETE"],
        "stg_orders": ["START", "COMPLETE"],
    }
    assert names(grouped["stg_orders"][0]["inputs"]) == [("plain", "warehouse.raw.orders")]


def test_invalid_handler_settings_leave_runs_green_with_one_error(
    receiver: Receiver, tmp_path: Path, clean_env: pytest.MonkeyPatch, lineage_logs: Any
) -> None:
    import _plain_project

    clean_env.setenv("OPENLINEAGE_URL", receiver.url)  # would be used, were the settings valid
    handlers = {
        "handlers": {
            "openlineage": {
                "class": "floe_dagster_lineage.OpenLineageHandler",
                "transport": "htp",
                "endpiont": receiver.url,
                "api_key": "s3cr3t-value",
            }
        }
    }
    job = _plain_project.defs.resolve_implicit_global_asset_job_def()
    with instance_with(tmp_path, handlers) as instance:
        assert job.execute_in_process(instance=instance).success
        assert job.execute_in_process(instance=instance).success
    assert receiver.events == []
    errors = [
        r
        for r in lineage_logs.records
        if r.levelno >= logging.ERROR and r.name.startswith("floe_dagster_lineage")
    ]
    assert len(errors) == 1  # once per process, not once per run
    message = errors[0].getMessage()
    assert "transport: 'htp' is not allowed" in message
    assert "endpiont: not a setting of OpenLineageHandler" in message
    assert "api_key: not allowed here" in message
    assert "s3cr3t-value" not in message


def test_dagster_handler_config_names_every_problem() -> None:
    assert dagster_handler_config() == {
        "handlers": {"openlineage": {"class": "floe_dagster_lineage.OpenLineageHandler"}}
    }
    with pytest.raises(LineageConfigError) as raised:
        dagster_handler_config(
            "",
            namespace="",
            transport="htp",
            api_key="s3cr3t-value",
            dbt_manifest=3,
            queue_size=0,
            url="http://x",
        )
    assert raised.value.problems == [
        "name: '' must be a non-empty string (the handler's key)",
        "api_key: not allowed here, dagster.yaml is no place for a secret "
        "(set OPENLINEAGE_API_KEY where runs execute)",
        "url: not a setting of OpenLineageHandler (allowed: namespace, transport, endpoint, "
        "timeout, flush_timeout, queue_size, max_retries, backoff, enabled, dbt_manifest)",
        "dbt_manifest: 3 must be the path of a manifest.json",
        "namespace: '' must be a non-empty string",
        "transport: 'htp' is not allowed (allowed: http, console, file, noop)",
        "queue_size: 0 must be an integer >= 1",
    ]
    assert "s3cr3t-value" not in str(raised.value)


def test_the_handler_config_is_valid_helm_values_for_the_chart() -> None:
    from jsonschema import Draft202012Validator

    chart = reference_dir() / "dagster-helm-chart"
    defaults = yaml.safe_load((chart / "values.yaml").read_text())
    validator = Draft202012Validator(json.loads((chart / "values.schema.offline.json").read_text()))
    handlers = dagster_handler_config(namespace="sales", endpoint="http://marquez:5000")
    merged = copy.deepcopy(defaults)
    merged["pythonLogs"] = {**(merged.get("pythonLogs") or {}), "dagsterHandlerConfig": handlers}
    assert [e.message for e in validator.iter_errors(merged)] == []
    # A wrong type where the chart expects the handler mapping is caught by the same check.
    merged["pythonLogs"]["dagsterHandlerConfig"] = ["not", "a", "mapping"]
    assert list(validator.iter_errors(merged))


def test_the_runs_code_origin_and_selection_come_from_its_record(
    receiver: Receiver, spec: SpecValidator, clean_env: pytest.MonkeyPatch
) -> None:
    """The run's record names its code location (a module here) and its asset selection."""
    clean_env.setenv("OPENLINEAGE_URL", receiver.url)
    clean_env.setenv("OPENLINEAGE_NAMESPACE", "shop")
    with home_instance(dagster_handler_config()) as instance:
        selection = [dg.AssetKey("stg_orders"), dg.AssetKey("left")]
        job = implicit_job("_launched_project")
        with dg.execute_job(job, instance=instance, asset_selection=selection) as result:
            assert result.success
    spec.check(receiver.events)
    # `right` shares left's step but was not selected: no START, no ABORT for it.
    assert outcomes(receiver.events) == {
        "__ASSET_JOB": ["START", "COMPLETE"],
        "stg_orders": ["START", "COMPLETE"],
        "left": ["START", "COMPLETE"],
    }
    stg = by_job(receiver.events)["stg_orders"][0]
    assert names(stg["inputs"]) == [("shop", "warehouse.raw.orders")]


def test_without_any_job_the_events_alone_give_each_materialized_asset(
    receiver: Receiver, spec: SpecValidator, tmp_path: Path, clean_env: pytest.MonkeyPatch
) -> None:
    """No code origin (an in-process run) and several Definitions loaded that could be the
    run's: the handler guesses none of them, and reports what the events say, validly."""
    import _plain_project

    handlers = dagster_handler_config(namespace="plain", endpoint=receiver.url)
    job = _plain_project.defs.resolve_implicit_global_asset_job_def()
    with instance_with(tmp_path, handlers) as instance:
        assert job.execute_in_process(instance=instance).success
    spec.check(receiver.events)
    assert outcomes(receiver.events) == {
        "__ASSET_JOB": ["START", "COMPLETE"],
        "raw.orders": ["START", "COMPLETE"],
        "stg_orders": ["START", "COMPLETE"],
    }
    assert [names(e["inputs"]) for e in receiver.events] == [[]] * 6
    assert names(by_job(receiver.events)["raw.orders"][0]["outputs"]) == [("plain", "raw.orders")]


# -- other processes -----------------------------------------------------------------------------
def test_a_multiprocess_run_of_the_implicit_job_reports_from_every_step_process(
    receiver: Receiver, spec: SpecValidator, clean_env: pytest.MonkeyPatch
) -> None:
    """Steps run in processes of their own; each builds the handler from the instance."""
    clean_env.setenv("OPENLINEAGE_URL", receiver.url)
    clean_env.setenv("OPENLINEAGE_NAMESPACE", "shop")
    python_logs = {"python_logs": {"dagster_handler_config": dagster_handler_config()}}
    with dg.instance_for_test(overrides=python_logs, set_dagster_home=False) as instance:
        # As `dagster asset materialize` does: the implicit job of the module's Definitions.
        job = ReconstructableRepository.for_module(
            "_project", "defs", working_directory=str(TESTS_DIR)
        ).get_reconstructable_job("__ASSET_JOB")
        selection = [dg.AssetKey(["raw", "orders"]), dg.AssetKey("revenue"), dg.AssetKey("margin")]
        with dg.execute_job(job, instance=instance, asset_selection=selection) as result:
            assert result.success is False  # finance fails by design
            run_id = result.run_id
    spec.check(receiver.events)
    assert outcomes(receiver.events) == {
        "__ASSET_JOB": ["START", "FAIL"],
        "raw.orders": ["START", "COMPLETE"],
        "revenue": ["START", "COMPLETE"],
        "margin": ["START", "FAIL"],
    }
    assert {e["job"]["namespace"] for e in receiver.events} == {"shop"}
    assert len(of_run(receiver.events, run_id)) == len(receiver.events)


def _dagster_cli(args: list[str], cwd: Path, env: Mapping[str, str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "dagster", *args],
        cwd=cwd,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]


def _subprocess_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in OPENLINEAGE_ENV and k != "DAGSTER_HOME"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(TESTS_DIR), env.get("PYTHONPATH")]))
    env.update(extra)
    return env


def test_a_launched_run_of_the_implicit_job_is_reported_with_the_code_locations_settings(
    receiver: Receiver, spec: SpecValidator, tmp_path: Path
) -> None:
    """What the UI's "Materialize" does: the instance's run launcher asks a code server to start
    a run worker for ``__ASSET_JOB``, with no run config."""
    run_id = str(uuid.uuid4())
    home = tmp_path / "home"
    with Receiver() as instance_receiver:
        write_dagster_yaml(
            home,
            dagster_handler_config(namespace="instance", endpoint=instance_receiver.url),
            run_coordinator={
                "module": "dagster.core.run_coordinator",
                "class": "DefaultRunCoordinator",
            },
        )
        env = _subprocess_env(
            DAGSTER_HOME=str(home), OPENLINEAGE_URL=receiver.url, OPENLINEAGE_NAMESPACE="shop"
        )
        project = str(TESTS_DIR / "_launched_project.py")
        launch = ["job", "launch", "-f", project, "-a", "defs", "-j", "__ASSET_JOB"]
        _dagster_cli([*launch, "--run-id", run_id], tmp_path, env)
        with dg.DagsterInstance.from_config(str(home)) as instance:
            wait_for(lambda: instance.get_run_by_id(run_id).is_finished)  # type: ignore[union-attr]
            run = instance.get_run_by_id(run_id)
        wait_for(lambda: len(receiver.events) >= 14, seconds=10)
        assert instance_receiver.events == []
    assert run is not None
    assert run.status == dg.DagsterRunStatus.SUCCESS
    spec.check(receiver.events)
    assert outcomes(receiver.events) == {
        job: ["START", "COMPLETE"]
        for job in (
            "__ASSET_JOB",
            "raw.orders",
            "stg_orders",
            "orders",
            "customers",
            "left",
            "right",
        )
    }
    assert {e["job"]["namespace"] for e in receiver.events} == {"shop"}
    assert {e["run"]["runId"] for e in by_job(receiver.events)["__ASSET_JOB"]} == {run_id}
    # The run's code origin (here a file) leads to the code location as this process imported
    # it (here, by this test): the same Definitions, with the same lineage settings.
    import _launched_project

    defs = definitions_for_run("__ASSET_JOB", run)
    assert defs is _launched_project.defs
    assert lineage_spec_of(job_of(defs, "__ASSET_JOB")) == lineage_spec_of(
        _launched_project.defs.resolve_implicit_global_asset_job_def()
    )


def test_dagster_asset_materialize_without_dagster_home_reports_a_plain_project(
    receiver: Receiver, spec: SpecValidator, tmp_path: Path
) -> None:
    """``dagster asset materialize`` with dagster.yaml in the working directory (Dagster's
    temporary instance, no DAGSTER_HOME), the multiprocess executor, a project without lineage."""
    write_dagster_yaml(tmp_path, dagster_handler_config(namespace="plain", endpoint=receiver.url))
    materialize = ["asset", "materialize", "-m", "_plain_project", "--select", "stg_orders"]
    _dagster_cli(materialize, tmp_path, _subprocess_env())
    wait_for(lambda: len(receiver.events) >= 4, seconds=10)
    spec.check(receiver.events)
    assert [(e["job"]["name"], e["eventType"]) for e in receiver.events] == [
        ("__ASSET_JOB", "START"),
        ("stg_orders", "START"),
        ("stg_orders", "COMPLETE"),
        ("__ASSET_JOB", "COMPLETE"),
    ]
    assert {e["job"]["namespace"] for e in receiver.events} == {"plain"}
    stg = receiver.events[1]
    assert names(stg["inputs"]) == [("plain", "warehouse.raw.orders")]
    assert [f["name"] for f in stg["inputs"][0]["facets"]["schema"]["fields"]] == [
        "order_id",
        "amount",
    ]
