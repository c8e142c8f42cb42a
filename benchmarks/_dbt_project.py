"""Real dbt projects for the benchmarks: ``.sql`` files and YAML written here, parsed by dbt.

Shapes: ``chain`` is one line of models, each reading the one before; ``tree`` is ten roots and
every other model reads model ``i // 10`` (staging -> intermediate -> marts, ten wide). Every
model has a described ``id`` and ``value`` column in a properties file; every tenth model has a
``not_null`` test on ``id``. Models are DuckDB tables of 1,000 rows.

Two compute targets (``duckdb`` and ``duckdb_heavy``) write the same DuckDB file. Models live in
a folder named after the target they run on (``models/<target>/``). With ``split=True`` the first
half of the models (which only read each other, in a tree) runs on ``duckdb`` and the second half
on ``duckdb_heavy``: two dbt invocations, in that order, as ``dbt build --select
path:models/<target> --target <target>`` runs them by hand.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

PROJECT = "bench"
JOB = "bench_daily"  # the product's scheduled job
TARGETS = ("duckdb", "duckdb_heavy")
TEST_EVERY = 10


def parents(i: int, shape: str) -> list[int]:
    if shape == "chain":
        return [i - 1] if i else []
    return [i // 10] if i >= 10 else []


def name(i: int) -> str:
    return f"m{i:05d}"


def compute(i: int, n: int, split: bool) -> str:
    return TARGETS[1] if split and i >= n // 2 else TARGETS[0]


def profiles(database: Path) -> dict[str, Any]:
    output = {"type": "duckdb", "path": str(database), "threads": 1}
    return {PROJECT: {"target": TARGETS[0], "outputs": {t: dict(output) for t in TARGETS}}}


def make_project(directory: Path, n: int, shape: str, *, split: bool = False) -> Path:
    """Write the project (models, properties, profiles.yml, compiled_artifacts.json)."""
    directory = directory.resolve()
    models = directory / "models"
    for target in TARGETS:
        (models / target).mkdir(parents=True, exist_ok=True)
    (directory / "dbt_project.yml").write_text(
        f"name: {PROJECT}\nversion: '1.0'\nconfig-version: 2\nprofile: {PROJECT}\n"
        f"models:\n  {PROJECT}:\n    +materialized: table\n"
    )
    database = directory / "target" / f"{PROJECT}.duckdb"
    (directory / "profiles.yml").write_text(json.dumps(profiles(database), indent=2))
    properties = []
    for i in range(n):
        ups = parents(i, shape)
        if ups:
            sql = f"select id, value + 1 as value from {{{{ ref('{name(ups[0])}') }}}}\n"
        else:
            sql = "select i as id, i * 7 % 13 as value from range(0, 1000) as t(i)\n"
        (models / compute(i, n, split) / f"{name(i)}.sql").write_text(sql)
        id_column: dict[str, Any] = {"name": "id", "description": "row number", "data_type": "int"}
        if i % TEST_EVERY == 0:
            id_column["data_tests"] = ["not_null"]
        properties.append(
            {
                "name": name(i),
                "description": f"model {i} of a {shape} of {n}",
                "columns": [
                    id_column,
                    {"name": "value", "description": "a number", "data_type": "int"},
                ],
            }
        )
    # JSON is YAML, and dbt reads it as such (much faster to write than YAML for 20,000 models).
    (models / "_models.yml").write_text(json.dumps({"version": 2, "models": properties}))
    artifacts = {
        "version": "0.2.0",
        "metadata": {
            "compiled_at": "2026-01-01T00:00:00Z",
            "floe_version": "0.3.0",
            "source_hash": f"sha256:{PROJECT}-{shape}-{n}",
            "product_name": PROJECT,
            "product_version": "0.1.0",
        },
        "identity": {"product_id": PROJECT, "domain": "benchmarks", "repository": PROJECT},
        "mode": "simple",
        "transforms": {
            "default_compute": TARGETS[0],
            "models": [
                {
                    "name": name(i),
                    "compute": compute(i, n, split),
                    "tags": [],
                    "depends_on": [name(p) for p in parents(i, shape)],
                }
                for i in range(n)
            ],
        },
        "dbt_profiles": profiles(database),
        "observability": {"lineage": False, "lineage_namespace": PROJECT},
        "schedules": [{"job_name": JOB, "cron": "0 6 * * *", "timezone": "UTC"}],
    }
    (directory / "compiled_artifacts.json").write_text(json.dumps(artifacts, indent=1))
    return directory


def dbt() -> str:
    return str(Path(sys.executable).with_name("dbt"))


def dbt_env() -> dict[str, str]:
    return {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DBT_USE_COLORS": "false"}


def dbt_parse(project: Path) -> float:
    """``dbt parse`` of the project as a user runs it; returns its wall time in seconds."""
    started = time.perf_counter()
    subprocess.run(
        [dbt(), "parse", "--project-dir", str(project), "--profiles-dir", str(project), "-q"],
        check=True,
        cwd=project,
        env=dbt_env(),
    )
    return time.perf_counter() - started


def enable_lineage(project: Path, url: str) -> None:
    """Send the product's lineage to ``url`` (an OpenLineage HTTP receiver)."""
    artifacts = artifacts_dict(project)
    artifacts["observability"] = {
        "lineage": True,
        "lineage_namespace": PROJECT,
        "lineage_transport": "http",
        "lineage_endpoint": url,
    }
    (project / "compiled_artifacts.json").write_text(json.dumps(artifacts, indent=1))


def artifacts_dict(project: Path) -> dict[str, Any]:
    return json.loads((project / "compiled_artifacts.json").read_text())  # type: ignore[no-any-return]
