"""dbt's other node statuses: ``partial success`` (real), ``no-op`` and ``reused`` (replayed).

``partial success`` is what dbt-core reports for a microbatch model some of whose batches fail:
the test builds one for real. dbt-core never reports ``no-op`` or ``reused`` for a model (``no-op``
is for exposures and saved queries; ``reused`` comes from dbt Fusion's state-aware runs), so that
test records the real dbt-core event stream and ``run_results.json`` of the example, rewrites the
two nodes' statuses to those words, and replays it through a stand-in ``dbt`` executable: the
same ``DbtCliResource`` subprocess and the same code path as every run. The same recording, cut
after a node started, stands for a dbt that dies mid-run.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from floe_orchestrator_contract import TransformConfig

MICROBATCH = """
{{ config(
    materialized='incremental',
    incremental_strategy='microbatch',
    event_time='read_at',
    batch_size='year',
    begin='2025-01-01',
) }}
{# The batch of 2025 holds every reading; later batches read a feed that does not exist. #}
{% if model.batch and model.batch.event_time_start.year > 2025 %}
select * from {{ this.schema }}.readings_feed_of_{{ model.batch.event_time_start.year }}
{% else %}
select reading_id, read_at, reading_value from {{ ref('raw_sensor_readings') }}
{% endif %}
"""


def _materializations(result: Any) -> dict[str, dict[str, Any]]:
    out = {}
    for event in result.get_asset_materialization_events():
        materialization = event.step_materialization_data.materialization
        out[materialization.asset_key.to_user_string()] = {
            key: value.value for key, value in materialization.metadata.items()
        }
    return out


def test_a_partly_built_microbatch_model_is_materialized_and_its_failed_batches_reported(
    greenhouse: Any,
) -> None:
    (greenhouse.project / "models" / "marts" / "readings_by_year.sql").write_text(MICROBATCH)
    # Batches filter the seed by its event time.
    (greenhouse.project / "seeds" / "_event_time.yml").write_text(
        "seeds:\n  - name: raw_sensor_readings\n    config:\n      event_time: read_at\n"
    )
    transforms = [*greenhouse.transforms(), TransformConfig("readings_by_year", compute="duckdb")]
    assets = greenhouse.create_assets(transforms)
    result = greenhouse.materialize(assets, selection=["raw_sensor_readings", "readings_by_year"])

    metadata = _materializations(result)["readings_by_year"]
    assert metadata["dbt/status"] == "partial success"
    assert metadata["dagster/row_count"] == 48  # the batch of 2025, built
    assert metadata["dbt/failed_batches"][0][0].startswith("2026-01-01")
    # The run fails (dbt would skip what depends on it) and says why, in DuckDB's words.
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    description = failure.step_failure_data.user_failure_data.description
    assert "dbt model 'readings_by_year' built only partly under target 'duckdb'" in description
    assert "readings_feed_of_2026 does not exist" in description
    node_result = greenhouse.observer.results()["readings_by_year"]
    assert node_result.status == "success"
    assert node_result.dbt_status == "partial success"
    assert node_result.row_count == 48
    assert "readings_feed_of_2026 does not exist" in node_result.message


@pytest.fixture(scope="module")
def recorded(greenhouse_copy: Callable[[str], Any], tmp_path_factory: Any) -> tuple[Any, Any]:
    """A copy of the example, and a real dbt-core build of two of its nodes there."""
    greenhouse = greenhouse_copy("recorded")
    dbt = greenhouse.resources()["dbt"]
    return greenhouse, _record(greenhouse.project, dbt, tmp_path_factory.mktemp("recording"))


def _replay(
    greenhouse: Any, recording: dict[str, Any], directory: Path, profiles_dir: Path | None = None
) -> Any:
    """Materialize the two nodes with a dbt that replays ``recording``; a fresh observer."""
    from dagster_dbt import DbtCliResource

    from floe_dagster_assets import RUN_OBSERVERS_RESOURCE_KEY

    greenhouse.observer = type(greenhouse.observer)()
    resources = greenhouse.resources()
    # A bare observer in a plain resource works too (as floe-dagster-lineage documents it).
    resources[RUN_OBSERVERS_RESOURCE_KEY] = dg.ResourceDefinition.hardcoded_resource(
        greenhouse.observer
    )
    dbt = resources["dbt"]
    resources["dbt"] = DbtCliResource(
        project_dir=dbt.project_dir,
        profiles_dir=str(profiles_dir or dbt.profiles_dir),
        dbt_executable=str(_replaying_dbt(recording, directory)),
    )
    return dg.materialize(
        greenhouse.create_assets(),
        resources=resources,
        selection=["raw_harvests", "stg_harvests"],
        raise_on_error=False,
    )


def test_nodes_dbt_reports_as_no_op_or_reused_are_materialized(
    recorded: tuple[Any, Any], tmp_path: Path
) -> None:
    greenhouse, recording = recorded
    statuses = {"seed.greenhouse.raw_harvests": "no-op", "model.greenhouse.stg_harvests": "reused"}
    result = _replay(greenhouse, _rewritten(recording, statuses), tmp_path)
    assert result.success
    metadata = _materializations(result)
    assert metadata["raw_harvests"]["dbt/status"] == "no-op"
    assert metadata["stg_harvests"]["dbt/status"] == "reused"
    # Up to date, and its facts are the warehouse's: the recorded run built them.
    assert metadata["raw_harvests"]["dagster/row_count"] == 30
    assert metadata["stg_harvests"]["dagster/row_count"] == 30
    results = greenhouse.observer.results()
    assert (results["raw_harvests"].status, results["raw_harvests"].dbt_status) == (
        "success",
        "no-op",
    )
    assert results["stg_harvests"].dbt_status == "reused"


def test_a_dbt_that_dies_mid_run_fails_the_step_and_no_node_is_left_unreported(
    recorded: tuple[Any, Any], tmp_path: Path
) -> None:
    greenhouse, recording = recorded
    # The stream up to the second node's start, then dbt is gone: no results, no run_results.
    starts = [i for i, line in enumerate(recording["lines"]) if '"LogStartLine"' in line]
    cut = {**recording, "lines": recording["lines"][: starts[1] + 1], "run_results": None}
    result = _replay(greenhouse, cut, tmp_path)
    assert not result.success
    # What dbt reported built before it died is materialized; the rest is not.
    assert set(_materializations(result)) == {"raw_harvests"}
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert "dbt: 1 failure(s)" in failure.step_failure_data.user_failure_data.description
    results = greenhouse.observer.results()
    # The seed had its result line before the cut; the model started and never finished.
    assert results["raw_harvests"].dbt_status == "success"
    assert results["stg_harvests"].status == "failed"
    assert greenhouse.observer.calls[-1][2] is True  # run_finished(failed=True)


def test_where_the_warehouse_tells_nothing_results_stream_with_lineage_from_the_sql(
    recorded: tuple[Any, Any], tmp_path: Path
) -> None:
    greenhouse, recording = recorded
    # The same targets on MotherDuck: no file here to ask for row counts and column types.
    profiles = json.loads(
        (Path(greenhouse.resources()["dbt"].profiles_dir) / "profiles.yml").read_text()
    )
    for output in profiles["greenhouse"]["outputs"].values():
        output["path"] = "md:greenhouse"
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "profiles.yml").write_text(json.dumps(profiles))
    result = _replay(greenhouse, recording, tmp_path, profiles_dir=tmp_path / "profiles")
    assert result.success
    metadata = _materializations(result)["stg_harvests"]
    assert "dagster/row_count" not in metadata
    lineage = metadata["dagster/column_lineage"].deps_by_column
    assert [(d.asset_key.to_user_string(), d.column_name) for d in lineage["weight_kg"]] == [
        ("raw_harvests", "weight_kg")
    ]
    node_result = greenhouse.observer.results()["stg_harvests"]
    assert node_result.row_count is None
    assert {c.column for c in node_result.column_lineage} >= {"harvest_id", "weight_kg"}


def _record(project: Path, dbt: Any, target_path: Path) -> dict[str, Any]:
    """A real dbt-core build of two nodes: its JSON event lines and run_results.json."""
    env = {
        **os.environ,
        "DBT_LOG_FORMAT": "json",
        "DBT_TARGET_PATH": str(target_path),
        "DBT_LOG_PATH": str(target_path),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    command = [dbt.dbt_executable, "build", "--select", "raw_harvests stg_harvests"]
    command += ["--target", "duckdb", "--profiles-dir", str(dbt.profiles_dir)]
    completed = subprocess.run(
        command, cwd=project, env=env, capture_output=True, text=True, check=True
    )
    return {
        "lines": [line for line in completed.stdout.splitlines() if line.startswith("{")],
        "run_results": json.loads((target_path / "run_results.json").read_text()),
        "compiled": {
            str(path.relative_to(target_path)): path.read_text()
            for path in (target_path / "compiled").rglob("*.sql")
        },
    }


def _rewritten(recording: dict[str, Any], statuses: dict[str, str]) -> dict[str, Any]:
    lines = []
    for line in recording["lines"]:
        event = json.loads(line)
        node_info = event.get("data", {}).get("node_info") or {}
        new = statuses.get(node_info.get("unique_id"))
        if new and node_info.get("node_status") == "success":
            node_info["node_status"] = new
        lines.append(json.dumps(event))
    run_results = recording["run_results"]
    for result in run_results["results"]:
        result["status"] = statuses.get(result["unique_id"], result["status"])
    return {**recording, "lines": lines, "run_results": run_results}


def _replaying_dbt(recording: dict[str, Any], directory: Path) -> Path:
    """A ``dbt`` executable that prints the recording and writes its run_results.json."""
    (directory / "recording.json").write_text(json.dumps(recording))
    script = directory / "dbt"
    script.write_text(
        f"#!{sys.executable}\n"
        "import json, os, pathlib, sys\n"
        f"if '--version' in sys.argv:\n    print('Core: {version('dbt-core')}')\n"
        "    raise SystemExit(0)\n"
        f"recording = json.loads(pathlib.Path({str(directory / 'recording.json')!r}).read_text())\n"
        "target = pathlib.Path(os.environ['DBT_TARGET_PATH'])\n"
        "target.mkdir(parents=True, exist_ok=True)\n"
        "for name, text in recording.get('compiled', {}).items():\n"
        "    (target / name).parent.mkdir(parents=True, exist_ok=True)\n"
        "    (target / name).write_text(text)\n"
        "for line in recording['lines']:\n    print(line, flush=True)\n"
        "if recording['run_results'] is None:\n    raise SystemExit(2)\n"
        "(target / 'run_results.json').write_text(json.dumps(recording['run_results']))\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script
