"""floe-dagster materialize with dbt's selection syntax: what runs is what dbt would build."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from floe_orchestrator_dagster._cli import main

pytestmark = pytest.mark.usefixtures("clean_env")


def _tables(project: Path) -> set[str]:
    database = project / "target" / "greenhouse.duckdb"
    if not database.exists():
        return set()
    with duckdb.connect(str(database), read_only=True) as connection:
        rows = connection.execute(
            "select table_schema, table_name from information_schema.tables"
        ).fetchall()
    return {f"{schema}.{name}" for schema, name in rows}


@pytest.fixture
def project(greenhouse: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "greenhouse"
    shutil.copytree(greenhouse, copy, ignore=shutil.ignore_patterns("*.duckdb*"))
    return copy


def test_select_plus_model_builds_exactly_it_and_its_ancestors(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    artifacts = str(project / "compiled_artifacts.json")
    assert main(["materialize", artifacts, "--select", "+fct_harvests"]) == 0
    out = capsys.readouterr().out
    assert "materializing +fct_harvests (5 assets, 6 checks)" in out
    assert _tables(project) == {
        "raw.raw_greenhouses",
        "raw.raw_harvests",
        "staging.stg_greenhouses",
        "staging.stg_harvests",
        "marts.fct_harvests",
    }
    # Keys carry the product; the summary lists exactly the selection.
    summary = out[out.index("\nasset ") + 1 :].splitlines()[1:6]
    assert sorted(line.split()[0] for line in summary) == [
        "greenhouse/fct_harvests",
        "greenhouse/raw_greenhouses",
        "greenhouse/raw_harvests",
        "greenhouse/stg_greenhouses",
        "greenhouse/stg_harvests",
    ]


def test_intersections_exclusions_and_no_tests(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    artifacts = str(project / "compiled_artifacts.json")
    code = main(
        [
            "materialize",
            artifacts,
            "--select",
            "tag:staging,tag:harvest",
            "resource_type:seed",
            "--exclude",
            "raw_sensor_readings",
            "resource_type:test",
        ]
    )
    assert code == 0
    assert "(3 assets, 0 checks)" in capsys.readouterr().out
    assert _tables(project) == {
        "raw.raw_greenhouses",
        "raw.raw_harvests",
        "staging.stg_harvests",
    }


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--select", "stg_wether"], "--select 'stg_wether' matches nothing in dbt project"),
        (["--select", "int_daily_climate"], "names only ephemeral model(s) int_daily_climate"),
        (["--select", "tag:staging", "--exclude", "tag:nope"], "--exclude 'tag:nope' matches"),
        (["--vars", "[1, 2]"], "dbt vars: list is not a mapping"),
    ],
)
def test_a_selector_that_cannot_run_is_one_line_and_exit_2(
    project: Path, capsys: pytest.CaptureFixture[str], args: list[str], expected: str
) -> None:
    assert main(["materialize", str(project / "compiled_artifacts.json"), *args]) == 2
    captured = capsys.readouterr()
    (line,) = captured.err.strip().splitlines()
    assert line.startswith("floe-dagster: error: ")
    assert expected in line
    assert "Traceback" not in captured.err
    assert _tables(project) == set()
