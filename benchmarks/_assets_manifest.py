"""Synthetic dbt manifests for bench_assets.py, cloned from a manifest dbt itself wrote.

dagster-dbt's ``@dbt_assets`` loads the manifest through dbt's own schema, so the synthetic nodes
are copies of a real model node (from ``dbt parse`` of a two-model project) with names, paths and
edges rewritten. Shapes: ``deep`` is one chain as long as the project; ``shallow`` is a tree ten
wide (model i refs model i // 10), the shape of staging -> intermediate -> marts projects.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

PROJECT = "synthetic"
PROFILES = {
    PROJECT: {
        "target": "duckdb",
        "outputs": {
            "duckdb": {"type": "duckdb", "path": "target/synthetic.duckdb"},
            "duckdb_heavy": {"type": "duckdb", "path": "target/synthetic.duckdb"},
        },
    }
}


def make_project(directory: Path) -> Path:
    """A two-model dbt project on DuckDB (what the template manifest is parsed from)."""
    (directory / "models").mkdir(parents=True, exist_ok=True)
    (directory / "dbt_project.yml").write_text(
        f"name: {PROJECT}\nversion: '1.0'\nconfig-version: 2\nprofile: {PROJECT}\n"
        "models:\n  synthetic:\n    +materialized: table\n"
    )
    (directory / "profiles.yml").write_text(json.dumps(PROFILES))
    (directory / "models" / "m0.sql").write_text("select 1 as id\n")
    (directory / "models" / "m1.sql").write_text("select id from {{ ref('m0') }}\n")
    return directory


def template_manifest(project: Path) -> dict[str, Any]:
    dbt = Path(sys.executable).with_name("dbt")
    subprocess.run(
        [str(dbt), "parse", "--project-dir", str(project), "--profiles-dir", str(project), "-q"],
        check=True,
        cwd=project,
        env={"DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "PATH": str(dbt.parent)},
    )
    return json.loads((project / "target" / "manifest.json").read_text())  # type: ignore[no-any-return]


def edges(n: int, shape: str) -> dict[str, list[str]]:
    if shape == "deep":
        return {f"m{i}": [f"m{i - 1}"] if i else [] for i in range(n)}
    return {f"m{i}": [f"m{i // 10}"] if i >= 10 else [] for i in range(n)}


def synthetic_manifest(template: dict[str, Any], graph: dict[str, list[str]]) -> dict[str, Any]:
    model = template["nodes"][f"model.{PROJECT}.m1"]
    manifest = {key: value for key, value in template.items() if key != "nodes"}
    nodes: dict[str, Any] = {}
    parent_map: dict[str, list[str]] = {}
    child_map: dict[str, list[str]] = {}
    for name in graph:
        child_map[f"model.{PROJECT}.{name}"] = []
    for name, deps in graph.items():
        uid = f"model.{PROJECT}.{name}"
        node = copy.deepcopy(model)
        node.update(
            unique_id=uid,
            name=name,
            alias=name,
            path=f"{name}.sql",
            original_file_path=f"models/{name}.sql",
            fqn=[PROJECT, name],
            relation_name=f'"synthetic"."main"."{name}"',
        )
        node["refs"] = [{"name": d, "package": None, "version": None} for d in deps]
        node["depends_on"] = {"macros": [], "nodes": [f"model.{PROJECT}.{d}" for d in deps]}
        node["raw_code"] = "select 1 as id" + "".join(
            f" union all select id from {{{{ ref('{d}') }}}}" for d in deps
        )
        node["checksum"] = {"name": "sha256", "checksum": name}
        nodes[uid] = node
        parent_map[uid] = list(node["depends_on"]["nodes"])
        for parent in parent_map[uid]:
            child_map[parent].append(uid)
    manifest["nodes"] = nodes
    manifest["parent_map"] = parent_map
    manifest["child_map"] = child_map
    return manifest
