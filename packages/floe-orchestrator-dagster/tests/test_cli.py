"""floe-dagster: each command's output, and user mistakes as one line without a traceback."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from floe_orchestrator_dagster._cli import main

from ._servers import refusing_port

pytestmark = pytest.mark.usefixtures("clean_env")


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    """The installed console script, as a user runs it."""
    script = Path(sys.executable).parent / "floe-dagster"
    return subprocess.run(
        [str(script), *args], capture_output=True, text=True, timeout=300, check=False
    )


def test_plugins_lists_the_dagster_plugin(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plugins"]) == 0
    out = capsys.readouterr().out
    assert "dagster" in out
    assert "floe-orchestrator-dagster" in out


def test_check_schedule_shows_fire_times_with_offsets(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["check-schedule", "30 1 * * *", "--timezone", "America/New_York", "--next", "3"]) == 0
    )
    lines = capsys.readouterr().out.splitlines()
    assert "valid" in lines[0]
    assert len(lines) == 4
    assert all(line.strip()[19:25] in {"-05:00", "-04:00"} for line in lines[1:])


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["check-schedule", "61 * * * *"], "minute"),
        (["check-schedule", "0 6 * * *", "--timezone", "America/New_Yrok"], "America/New_York"),
        (["materialize", "does-not-exist.json"], "no such file: does-not-exist.json"),
    ],
)
def test_user_mistakes_are_one_line_and_exit_2(args: list[str], expected: str) -> None:
    completed = _cli(*args)
    assert completed.returncode == 2
    assert completed.stdout == ""
    lines = completed.stderr.strip().splitlines()
    assert len(lines) == 1, completed.stderr
    assert lines[0].startswith("floe-dagster: error: ")
    assert expected in lines[0]
    assert "Traceback" not in completed.stderr


def test_invalid_artifacts_name_every_problem_on_one_line(
    tmp_path: Path, artifacts: dict[str, Any]
) -> None:
    artifacts["mode"] = "hybrid"
    artifacts["owner"] = "x"
    path = tmp_path / "compiled_artifacts.json"
    path.write_text(json.dumps(artifacts))
    completed = _cli("inspect", str(path))
    assert completed.returncode == 2
    (line,) = completed.stderr.strip().splitlines()
    assert "'hybrid' is not allowed" in line
    assert "unknown key 'owner'" in line


def test_check_connection_failure_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    with refusing_port() as port:
        assert main(["check-connection", "--url", f"http://127.0.0.1:{port}"]) == 1
    assert "connection refused" in capsys.readouterr().out


def test_helm_values_writes_a_values_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "values.yaml"
    assert (
        main(["helm-values", "--size", "medium", "--image", "ghcr.io/x/y:1.0", "-o", str(target)])
        == 0
    )
    values = yaml.safe_load(target.read_text())
    (deployment,) = values["dagster-user-deployments"]["deployments"]
    assert deployment["image"]["repository"] == "ghcr.io/x/y"
    assert deployment["resources"]["limits"] == {"cpu": "2000m", "memory": "4Gi"}
    assert "floe_orchestrator_dagster.definitions" in deployment["dagsterApiGrpcArgs"]
    assert "medium" in capsys.readouterr().out


def test_inspect_summarizes_the_graph(greenhouse: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inspect", str(greenhouse / "compiled_artifacts.json")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("13 assets, 1 schedules")
    assert "mart_yield_vs_climate" in out
    assert "greenhouse_daily_schedule" in out


def test_materialize_a_subset_prints_progress_and_a_summary(
    greenhouse: Path, tmp_path: Path
) -> None:
    project = tmp_path / "greenhouse"
    shutil.copytree(greenhouse, project, ignore=shutil.ignore_patterns("*.duckdb*"))
    lineage = tmp_path / "lineage.jsonl"
    completed = _cli(
        "materialize",
        str(project / "compiled_artifacts.json"),
        "--select",
        "raw_greenhouses",
        "stg_greenhouses",
        "--lineage-file",
        str(lineage),
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    progress = [line for line in completed.stdout.splitlines() if line.startswith("  ✓ ")]
    assert sorted(line.split()[1] for line in progress) == [
        "greenhouse/raw_greenhouses",
        "greenhouse/stg_greenhouses",
    ]
    assert "run succeeded" in completed.stdout
    with duckdb.connect(str(project / "target" / "greenhouse.duckdb"), read_only=True) as con:
        tables = {
            row[0]
            for row in con.execute("select table_name from information_schema.tables").fetchall()
        }
        count = con.execute("select count(*) from staging.stg_greenhouses").fetchone()
    assert tables == {"raw_greenhouses", "stg_greenhouses"}
    assert count == (6,)
    events = [json.loads(line) for line in lineage.read_text().splitlines()]
    assert {e["eventType"] for e in events} == {"START", "COMPLETE"}


def test_helm_values_enable_lineage_for_every_run(tmp_path: Path) -> None:
    target = tmp_path / "values.yaml"
    assert main(["helm-values", "--image", "ghcr.io/x/y:1.0", "-o", str(target)]) == 0
    handlers = yaml.safe_load(target.read_text())["pythonLogs"]["dagsterHandlerConfig"]["handlers"]
    assert handlers == {"openlineage": {"class": "floe_dagster_lineage.OpenLineageHandler"}}
