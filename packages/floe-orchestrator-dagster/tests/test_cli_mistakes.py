"""Every mistake a user can make at the CLI is one short line and exit 2; a failed run says what
failed, why, and what did not run."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from floe_orchestrator_contract import ContractValidationError
from floe_orchestrator_dagster import DagsterOrchestratorPlugin
from floe_orchestrator_dagster._cli import main

from .conftest import EXAMPLE, IGNORED

pytestmark = pytest.mark.usefixtures("clean_env")

MAX_LINE = 600


def _write(path: Path, data: Any) -> str:
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return str(path)


def _deep(tmp: Path, _: dict[str, Any]) -> list[str]:
    return ["inspect", _write(tmp / "deep.json", "[" * 100_000 + "]" * 100_000)]


def _nan_profile(tmp: Path, artifacts: dict[str, Any]) -> list[str]:
    text = json.dumps(artifacts).replace('"threads": 1', '"threads": NaN', 1)
    assert "NaN" in text
    return ["inspect", _write(tmp / "nan.json", text)]


def _directory(tmp: Path, _: dict[str, Any]) -> list[str]:
    return ["materialize", str(tmp)]


def _fifo(tmp: Path, _: dict[str, Any]) -> list[str]:
    os.mkfifo(tmp / "fifo.json")
    return ["inspect", str(tmp / "fifo.json")]


def _duplicates(tmp: Path, artifacts: dict[str, Any]) -> list[str]:
    # A cycle in the declared depends_on is dbt's to settle (its refs decide); model names
    # declared twice are still a mistake, each one named.
    artifacts["transforms"]["models"] = [{"name": "m", "compute": "duckdb"}] * 2000
    return ["inspect", _write(tmp / "duplicates.json", artifacts)]


def _not_names(tmp: Path, artifacts: dict[str, Any]) -> list[str]:
    deps = list(range(30_000))  # numbers where model names belong
    artifacts["transforms"]["models"] = [{"name": "m", "compute": "duckdb", "depends_on": deps}]
    return ["inspect", _write(tmp / "not_names.json", artifacts)]


def _long_int(tmp: Path, artifacts: dict[str, Any]) -> list[str]:
    text = json.dumps(artifacts).replace('"threads": 1', '"threads": ' + "7" * 5000, 1)
    return ["inspect", _write(tmp / "long.json", text)]


def _two_schedules(tmp: Path, artifacts: dict[str, Any]) -> list[str]:
    config = artifacts["plugins"]["orchestrator"]["config"]
    config["schedules"] = [{**config["default_schedule"], "cron": "0 18 * * *"}]
    return ["inspect", _write(tmp / "schedules.json", artifacts)]


MISTAKES: dict[str, tuple[Callable[[Path, dict[str, Any]], list[str]], str]] = {
    "deeply-nested-json": (_deep, "nested too deeply"),
    "nan-in-dbt-profiles": (_nan_profile, "NaN is not a JSON number"),
    "5000-digit-integer": (_long_int, "longer than 4300 digits"),
    "directory-as-artifacts": (_directory, "is a directory"),
    "fifo-as-artifacts": (_fifo, "is a FIFO"),
    "2000-models-of-one-name": (_duplicates, "'m' duplicates models[0]"),
    "30000-numbers-as-model-names": (_not_names, "and 29997 more problems"),
    "two-schedules-for-one-job": (
        _two_schedules,
        "default_schedule.job_name: 'greenhouse_daily' duplicates "
        "plugins.orchestrator.config.schedules[0]",
    ),
}


@pytest.mark.parametrize("case", list(MISTAKES))
def test_bad_artifacts_are_one_short_line(
    case: str, tmp_path: Path, artifacts: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    make, expected = MISTAKES[case]
    args = make(tmp_path, artifacts)
    assert main(args) == 2
    captured = capsys.readouterr()
    _assert_one_line(captured.out, captured.err, expected)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["check-connection", "--url", "http://127.0.0.1:abc"], "numeric port"),
        (["check-connection", "--url", "http://127.0.0.1:9", "--timeout", "-5"], "-5.0 is not"),
        (["check-connection", "--url", "http://127.0.0.1:9", "--timeout", "nan"], "nan is not"),
        (["check-connection", "--timeout", "soon"], "invalid float value: 'soon'"),
        (["check-schedule", "0 0 31 4 *"], "never occurs"),
        (["materialize", "x.json", "--no-such-flag"], "unrecognized arguments: --no-such-flag"),
        (["helm-values", "--size", "huge"], "invalid choice: 'huge'"),
    ],
    ids=[
        "bad-port",
        "negative-timeout",
        "nan-timeout",
        "text-timeout",
        "never-fires",
        "flag",
        "size",
    ],
)
def test_bad_options_are_one_short_line(
    args: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _exit_status(args) == 2
    captured = capsys.readouterr()
    # Nothing on stdout: a cron that never fires is not first called "valid".
    _assert_one_line(captured.out, captured.err, expected)


def _exit_status(args: list[str]) -> int | str | None:
    """main's return value, or the status argparse exits with."""
    try:
        return main(args)
    except SystemExit as exited:
        return exited.code


def _assert_one_line(out: str, err: str, expected: str) -> None:
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err[:2000]
    assert lines[0].startswith("floe-dagster")
    assert ": error: " in lines[0]
    assert expected in lines[0]
    assert len(lines[0]) <= MAX_LINE, len(lines[0])
    assert "Traceback" not in err


@pytest.fixture(scope="module")
def product(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of the example whose dbt manifest is parsed once for this module."""
    project = tmp_path_factory.mktemp("mistakes") / "greenhouse"
    shutil.copytree(EXAMPLE, project, ignore=IGNORED)
    return project


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["stg_weather", "no_such_model"], "--select 'no_such_model' matches nothing in dbt"),
        (["int_daily_climate"], "names only ephemeral model(s) int_daily_climate, which are no"),
        (["source:weather.daily_weather"], "names only dbt source(s) weather.daily_weather"),
    ],
    ids=["unknown", "ephemeral", "source"],
)
def test_a_bad_select_is_one_short_line(
    names: list[str], expected: str, product: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["materialize", str(product / "compiled_artifacts.json"), "--select", *names]
    assert main(args) == 2
    captured = capsys.readouterr()
    _assert_one_line(captured.out, captured.err, expected)
    assert not (product / "target" / "greenhouse.duckdb").exists()  # nothing ran


def test_artifacts_without_the_projects_dbt_profile_are_one_line(
    product: Path, artifacts: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    artifacts["dbt_profiles"] = {"elsewhere": artifacts["dbt_profiles"]["greenhouse"]}
    path = _write(tmp_path / "compiled_artifacts.json", artifacts)
    assert main(["inspect", path, "--project-dir", str(product)]) == 2
    captured = capsys.readouterr()
    _assert_one_line(captured.out, captured.err, "no profile 'greenhouse' with outputs")


def test_debug_still_shows_the_traceback(tmp_path: Path) -> None:
    with pytest.raises(ContractValidationError):
        main(["--debug", "inspect", _write(tmp_path / "deep.json", "[" * 10_000)])


@pytest.mark.parametrize(
    ("artifacts", "expected"),
    [
        ([], "an empty list of artifacts"),
        ([None], r"artifacts\[0\]: \(root\): expected a JSON object"),
        (None, "expected a JSON object"),
        ("[1, 2]", "expected a JSON object"),
    ],
    ids=["list", "list-of-none", "none", "json-list"],
)
def test_the_api_raises_a_contract_error_for_what_is_not_artifacts(
    artifacts: Any, expected: str
) -> None:
    plugin = DagsterOrchestratorPlugin(dbt_project_dir=EXAMPLE)
    with pytest.raises(ContractValidationError, match=expected):
        plugin.create_definitions(artifacts)


def test_the_api_raises_a_contract_error_for_a_5000_digit_integer(
    artifacts: dict[str, Any],
) -> None:
    artifacts["metadata"]["product_version"] = 10**5000
    plugin = DagsterOrchestratorPlugin(dbt_project_dir=EXAMPLE)
    with pytest.raises(ContractValidationError, match=r"integer of about 500[01] digits"):
        plugin.create_definitions(artifacts)
    with pytest.raises(ContractValidationError, match="longer than 4300 digits"):
        plugin.create_definitions('{"version": ' + "1" * 5000 + "}")


# -- a run that fails ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def failed_run(tmp_path_factory: pytest.TempPathFactory) -> subprocess.CompletedProcess[str]:
    """The example with one broken staging model, materialized once by the installed CLI."""
    project = tmp_path_factory.mktemp("failing") / "greenhouse"
    shutil.copytree(EXAMPLE, project, ignore=IGNORED)
    (project / "models" / "staging" / "stg_weather.sql").write_text(
        "select * from no_such_table_anywhere\n"
    )
    script = Path(sys.executable).parent / "floe-dagster"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DAGSTER_", "FLOE_"))}
    return subprocess.run(
        [str(script), "materialize", str(project / "compiled_artifacts.json")],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env=env,
    )


def test_a_failed_run_names_the_model_the_database_message_and_what_did_not_run(
    failed_run: subprocess.CompletedProcess[str],
) -> None:
    assert failed_run.returncode == 1, failed_run.stderr[-2000:]
    summary = failed_run.stdout.split("\nrun FAILED: ", 1)[1]
    assert summary.startswith("dbt: 1 failure(s)")
    (failure,) = [line for line in summary.splitlines() if line.startswith("  - ")]
    assert "'stg_weather'" in failure
    assert "no_such_table_anywhere does not exist" in failure  # DuckDB's own words
    (not_run,) = [line for line in summary.splitlines() if "not run because" in line]
    assert not_run.endswith("fct_daily_climate, mart_yield_vs_climate, rpt_greenhouse_scorecard")


def test_a_failed_run_keeps_failed_and_skipped_assets_in_the_table(
    failed_run: subprocess.CompletedProcess[str],
) -> None:
    table = failed_run.stdout.split("\nasset ", 1)[1].split("\nrun FAILED", 1)[0]
    rows = {line.split()[0]: line.split()[1:] for line in table.strip().splitlines()[1:]}
    assert rows["greenhouse/stg_weather"][0] == "failed"
    for name in ("fct_daily_climate", "mart_yield_vs_climate", "rpt_greenhouse_scorecard"):
        assert rows[f"greenhouse/{name}"][:2] == ["not", "run"]
    assert rows["greenhouse/stg_harvests"][0] == "materialized"
