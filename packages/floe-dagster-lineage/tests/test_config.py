from __future__ import annotations

import logging
from pathlib import Path

import pytest

from floe_dagster_lineage import LineageConfig, LineageConfigError, LineageEmitter
from floe_orchestrator_contract import Dataset, ObservabilityConfig

SECRET = "sk-live-7f3a9c1d2b"


@pytest.fixture
def empty_home(tmp_path: Path) -> dict[str, str]:
    """An environment with no OpenLineage settings and a HOME without ~/.openlineage."""
    (tmp_path / "home").mkdir()
    (tmp_path / "cwd").mkdir()
    return {"HOME": str(tmp_path / "home")}


def test_nothing_configured_is_a_silent_noop(
    empty_home: dict[str, str], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="floe_dagster_lineage")
    config = LineageConfig.from_observability(None, environ=empty_home, cwd=tmp_path / "cwd")
    assert (config.enabled, config.transport, config.active) == (False, "noop", False)
    emitter = LineageEmitter(config)
    emitter.emit("START", "job", [Dataset("ns", "a")], [])
    assert emitter.flush(1) is True
    assert emitter.stats.sent == emitter.stats.failed == emitter.stats.dropped == 0
    ours = [r for r in caplog.records if r.name.startswith("floe_dagster_lineage")]
    assert ours
    assert {r.levelname for r in ours} == {"DEBUG"}
    assert any("no OpenLineage configuration found" in r.getMessage() for r in ours)


def test_standard_environment_variables(empty_home: dict[str, str], tmp_path: Path) -> None:
    env = {
        **empty_home,
        "OPENLINEAGE_URL": "http://marquez:5000",
        "OPENLINEAGE_API_KEY": SECRET,
        "OPENLINEAGE_NAMESPACE": "analytics",
    }
    config = LineageConfig.from_observability(None, environ=env, cwd=tmp_path / "cwd")
    assert (config.transport, config.namespace) == ("http", "analytics")
    assert config.endpoint == "http://marquez:5000/api/v1/lineage"
    assert config.api_key == SECRET
    env["OPENLINEAGE_ENDPOINT"] = "/custom/lineage"
    config = LineageConfig.from_observability(None, environ=env, cwd=tmp_path / "cwd")
    assert config.endpoint == "http://marquez:5000/custom/lineage"
    env["OPENLINEAGE_DISABLED"] = "true"
    assert LineageConfig.from_observability(None, environ=env, cwd=tmp_path / "cwd").active is False


def test_openlineage_yml_in_the_working_directory_and_by_path(
    empty_home: dict[str, str], tmp_path: Path
) -> None:
    cwd = tmp_path / "cwd"
    (cwd / "openlineage.yml").write_text(
        "transport:\n  type: http\n  url: http://backend:8080\n  timeout: 2.5\n"
        f"  auth:\n    type: api_key\n    apiKey: {SECRET}\n"
    )
    config = LineageConfig.from_observability(None, environ=empty_home, cwd=cwd)
    assert (config.transport, config.endpoint, config.timeout, config.api_key) == (
        "http",
        "http://backend:8080/api/v1/lineage",
        2.5,
        SECRET,
    )
    other = tmp_path / "elsewhere.yml"
    other.write_text(f"transport:\n  type: file\n  log_file_path: {tmp_path / 'events.jsonl'}\n")
    env = {**empty_home, "OPENLINEAGE_CONFIG": str(other)}
    config = LineageConfig.from_observability(None, environ=env, cwd=cwd)
    assert (config.transport, config.endpoint) == ("file", str(tmp_path / "events.jsonl"))


def test_unsupported_transport_in_openlineage_yml_names_what_is_allowed(
    empty_home: dict[str, str], tmp_path: Path
) -> None:
    cwd = tmp_path / "cwd"
    (cwd / "openlineage.yml").write_text("transport:\n  type: kafka\n")
    with pytest.raises(LineageConfigError) as caught:
        LineageConfig.from_observability(None, environ=empty_home, cwd=cwd)
    assert "'kafka' is not supported (allowed: http, console, file, noop)" in str(caught.value)


def test_observability_config_wins_and_takes_the_key_from_the_environment(
    empty_home: dict[str, str], tmp_path: Path
) -> None:
    env = {**empty_home, "OPENLINEAGE_URL": "http://ignored:1", "OPENLINEAGE_API_KEY": SECRET}
    observability = ObservabilityConfig(
        lineage_namespace="sales",
        lineage_endpoint="https://lineage.example/",
        lineage_transport="http",
    )
    config = LineageConfig.from_observability(observability, environ=env, cwd=tmp_path / "cwd")
    assert (config.namespace, config.endpoint, config.api_key) == (
        "sales",
        "https://lineage.example/api/v1/lineage",
        SECRET,
    )
    # An http transport without an endpoint falls back to OPENLINEAGE_URL ...
    fallback = LineageConfig.from_observability(
        ObservabilityConfig(lineage_namespace="sales"), environ=env, cwd=tmp_path / "cwd"
    )
    assert fallback.endpoint == "http://ignored:1/api/v1/lineage"
    # ... and without either, lineage is a no-op rather than an error.
    quiet = LineageConfig.from_observability(
        ObservabilityConfig(), environ=empty_home, cwd=tmp_path / "cwd"
    )
    assert quiet.active is False
    off = LineageConfig.from_observability(
        ObservabilityConfig(lineage=False, lineage_transport="console"), environ=env
    )
    assert off.active is False
    console = LineageConfig.from_observability(
        ObservabilityConfig(lineage_transport="console"), environ=empty_home
    )
    assert (console.transport, console.active) == ("console", True)


def test_floe_without_a_transport_means_http_for_an_endpoint_else_openlineage_settings(
    empty_home: dict[str, str], tmp_path: Path
) -> None:
    # floe 0.8+ writes lineage_transport null unless the manifest sets one.
    endpoint_only = LineageConfig.from_observability(
        ObservabilityConfig(lineage_namespace="sales", lineage_endpoint="http://marquez:5000"),
        environ=empty_home,
    )
    assert (endpoint_only.transport, endpoint_only.endpoint) == (
        "http",
        "http://marquez:5000/api/v1/lineage",
    )
    cwd = tmp_path / "cwd"
    (cwd / "openlineage.yml").write_text("transport:\n  type: console\n")
    from_yml = LineageConfig.from_observability(
        ObservabilityConfig(lineage_namespace="sales"), environ=empty_home, cwd=cwd
    )
    assert (from_yml.transport, from_yml.namespace) == ("console", "sales")


def test_every_problem_is_named_once_and_the_key_never_shows(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    with pytest.raises(LineageConfigError) as caught:
        LineageConfig(
            namespace=" ",
            transport="kafka",  # type: ignore[arg-type]
            endpoint="ftp://host",
            api_key=SECRET,
            timeout=-1,
            queue_size=0,
            max_retries=-2,
        )
    error = caught.value
    assert len(error.problems) == 5
    text = str(error)
    for expected in (
        "namespace: ' ' must be a non-empty string",
        "transport: 'kafka' is not allowed (allowed: http, console, file, noop)",
        "timeout: -1 must be a positive number of seconds",
        "queue_size: 0 must be an integer >= 1",
        "max_retries: -2 must be an integer >= 0",
    ):
        assert expected in text
    with pytest.raises(LineageConfigError, match="is not an http\\(s\\) URL") as bad_url:
        LineageConfig(transport="http", endpoint="ftp://u:pw@host", api_key=SECRET)
    assert "pw" not in str(bad_url.value)
    config = LineageConfig(transport="http", endpoint="http://user:pw@host:1/x", api_key=SECRET)
    assert SECRET not in repr(config)
    assert "pw" not in repr(config)
    assert "api_key=***" in repr(config)
    assert SECRET not in str(error)
    assert all(SECRET not in r.getMessage() for r in caplog.records)


def test_file_transport_needs_a_path() -> None:
    with pytest.raises(LineageConfigError, match="the file transport needs a file path"):
        LineageConfig(transport="file")
    assert LineageConfig(transport="file", enabled=False).active is False


BARE = "http://marquez:5000"
LINEAGE_API = "http://marquez:5000/api/v1/lineage"


def test_a_bare_endpoint_gets_the_lineage_path_wherever_it_comes_from(
    empty_home: dict[str, str], tmp_path: Path
) -> None:
    """LineageConfig itself, dagster.yaml's handler settings, OPENLINEAGE_URL, openlineage.yml
    and the artifacts: a bare scheme://host:port posts to /api/v1/lineage; a path is kept."""
    from floe_dagster_lineage._handler import _config_from_settings

    cwd = tmp_path / "cwd"
    (tmp_path / "ol.yml").write_text(f"transport:\n  type: http\n  url: {BARE}\n")
    found = {
        "LineageConfig": LineageConfig(transport="http", endpoint=BARE),
        "LineageConfig with a slash": LineageConfig(transport="http", endpoint=BARE + "/"),
        "with_changes": LineageConfig(transport="http", endpoint=BARE + "/x").with_changes(
            endpoint=BARE
        ),
        "dagster.yaml": _config_from_settings({"endpoint": BARE}, empty_home),
        "OPENLINEAGE_URL": LineageConfig.from_observability(
            None, environ={**empty_home, "OPENLINEAGE_URL": BARE}, cwd=cwd
        ),
        "openlineage.yml": LineageConfig.from_observability(
            None, environ={**empty_home, "OPENLINEAGE_CONFIG": str(tmp_path / "ol.yml")}, cwd=cwd
        ),
        "artifacts": LineageConfig.from_observability(
            ObservabilityConfig(lineage_endpoint=BARE), environ=empty_home, cwd=cwd
        ),
    }
    assert {source: config.endpoint for source, config in found.items()} == dict.fromkeys(
        found, LINEAGE_API
    )
    kept = LineageConfig(transport="http", endpoint="https://lineage.example/v2/events?x=1")
    assert kept.endpoint == "https://lineage.example/v2/events?x=1"
    assert LineageConfig(transport="http", endpoint=LINEAGE_API).endpoint == LINEAGE_API


def test_the_readme_endpoint_reaches_the_lineage_api_of_a_receiver() -> None:
    from _receiver import Receiver

    with Receiver() as receiver:
        emitter = LineageEmitter(LineageConfig(transport="http", endpoint=receiver.url))
        emitter.emit("START", "job", [Dataset("ns", "a")], [])
        assert emitter.flush(10)
        emitter.close()
    assert receiver.paths == ["/api/v1/lineage"]
