"""Fixtures: the example data product (copied, materialized once per session), synthetic projects.

The example lives at ``examples/greenhouse`` in the checkout (found from this file, or through
``FLOE_GREENHOUSE_DIR``). Every test works on a copy under pytest's temporary directory, so the
checkout is never written to and parallel runs on several Pythons do not share a DuckDB file.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

EXAMPLE = Path(
    os.environ.get(
        "FLOE_GREENHOUSE_DIR",
        Path(__file__).resolve().parents[3] / "examples" / "greenhouse",
    )
)
# Row counts the example's seeds and models must produce (the CSVs are fixed).
EXPECTED_ROWS = {
    "raw.raw_greenhouses": 6,
    "raw.raw_sensor_readings": 48,
    "raw.raw_harvests": 30,
    "snapshots.greenhouses_snapshot": 6,
    "staging.stg_greenhouses": 6,
    "staging.stg_sensor_readings": 48,
    "staging.stg_harvests": 30,
    "staging.stg_weather": 15,
    "marts.fct_daily_climate": 24,
    "marts.fct_harvests": 30,
    "marts.mart_yield_vs_climate": 6,
    "marts.rpt_greenhouse_scorecard": 6,
}
TWO_TARGETS = {"duckdb": "duckdb", "duckdb_heavy": "duckdb"}


def copy_project(source: Path, destination: Path, *, keep_target: bool = False) -> Path:
    """A copy of a dbt project; with ``keep_target`` its manifest comes along, not its data."""

    def ignore(directory: str, names: list[str]) -> Iterable[str]:
        if Path(directory) == source and not keep_target:
            return [n for n in names if n in {"target", "logs", "dbt_packages"}]
        return [n for n in names if n.endswith((".duckdb", ".wal")) or n.startswith("floe-")]

    shutil.copytree(source, destination, ignore=ignore)
    return destination


class RecordingObserver:
    """A RunObserver that keeps every report in arrival order, with the thread it arrived on."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.threads: set[str] = set()

    def _keep(self, *call: Any) -> None:
        self.threads.add(threading.current_thread().name)
        self.calls.append(call)

    def run_started(self, run: Any) -> None:
        self._keep("run_started", run)

    def node_started(self, run: Any, node: Any, at: Any) -> None:
        self._keep("node_started", node, at)

    def node_finished(self, run: Any, node: Any, result: Any) -> None:
        self._keep("node_finished", node, result)

    def node_tested(self, run: Any, node: Any, tests: Any) -> None:
        self._keep("node_tested", node, tests)

    def run_finished(self, run: Any, *, failed: bool, message: str | None = None) -> None:
        self._keep("run_finished", run, failed, message)

    def of(self, kind: str) -> list[tuple[Any, ...]]:
        return [call for call in self.calls if call[0] == kind]

    def results(self) -> dict[str, Any]:
        """Each node's NodeResult, by node name."""
        return {call[1].name: call[2] for call in self.of("node_finished")}


@dataclass
class Greenhouse:
    project: Path
    artifacts: Any
    observer: RecordingObserver = field(default_factory=RecordingObserver)

    @property
    def database(self) -> Path:
        return self.project / "target" / "greenhouse.duckdb"

    def transforms(self) -> list[Any]:
        return list(self.artifacts.to_transform_configs())

    def create_assets(self, transforms: Sequence[Any] | None = None, **kwargs: Any) -> list[Any]:
        from floe_dagster_assets import create_assets_from_transforms

        return create_assets_from_transforms(
            self.transforms() if transforms is None else transforms,
            project_dir=self.project,
            profiles=self.artifacts.dbt_profiles,
            default_compute=self.artifacts.transforms.default_compute,
            **kwargs,
        )

    def resources(self) -> dict[str, Any]:
        from floe_dagster_assets import dbt_resources

        return dbt_resources(
            self.project, profiles=self.artifacts.dbt_profiles, observers=[self.observer]
        )

    def materialize(self, assets: Sequence[Any], selection: Sequence[str] | None = None) -> Any:
        import dagster as dg

        return dg.materialize(
            assets, resources=self.resources(), selection=selection, raise_on_error=False
        )

    def tables(self) -> dict[str, int]:
        """Row count of every table and view in the DuckDB file (opened read-only)."""
        import duckdb

        if not self.database.exists():
            return {}
        with duckdb.connect(str(self.database), read_only=True) as connection:
            relations = connection.execute(
                "select table_schema, table_name from information_schema.tables "
                "where table_catalog = 'greenhouse'"
            ).fetchall()
            return {
                f"{schema}.{name}": connection.execute(
                    f'select count(*) from "{schema}"."{name}"'
                ).fetchone()[0]
                for schema, name in relations
            }

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        import duckdb

        with duckdb.connect(str(self.database), read_only=True) as connection:
            return connection.execute(sql).fetchall()


def load_artifacts(project: Path) -> Any:
    from floe_orchestrator_contract import CompiledArtifacts

    return CompiledArtifacts.from_file(project / "compiled_artifacts.json")


@pytest.fixture(scope="session")
def parsed_greenhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the example whose manifest has been produced (dbt parse ran once)."""
    from floe_dagster_assets import ensure_manifest

    project = copy_project(EXAMPLE, tmp_path_factory.mktemp("parsed") / "greenhouse")
    ensure_manifest(project, profiles=load_artifacts(project).dbt_profiles, target="duckdb")
    return project


@pytest.fixture
def greenhouse(parsed_greenhouse: Path, tmp_path: Path) -> Greenhouse:
    """A fresh copy of the parsed example: manifest present and current, empty database."""
    project = copy_project(parsed_greenhouse, tmp_path / "greenhouse", keep_target=True)
    return Greenhouse(project, load_artifacts(project))


@pytest.fixture
def copy_greenhouse(tmp_path: Path) -> Callable[[Greenhouse], Greenhouse]:
    """Copies of a greenhouse project with its manifest, dbt's parse state and its data."""

    def copy(source: Greenhouse) -> Greenhouse:
        destination = tmp_path / f"copy{len(list(tmp_path.iterdir()))}" / "greenhouse"
        project = copy_project(source.project, destination, keep_target=True)
        copied = Greenhouse(project, load_artifacts(project))
        if source.database.exists():
            shutil.copy2(source.database, copied.database)
        return copied

    return copy


@pytest.fixture(scope="session")
def greenhouse_copy(
    parsed_greenhouse: Path, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str], Greenhouse]:
    """Makes fresh copies of the parsed example (for module-scoped runs)."""

    def make(name: str) -> Greenhouse:
        project = copy_project(
            parsed_greenhouse, tmp_path_factory.mktemp(name) / "greenhouse", keep_target=True
        )
        return Greenhouse(project, load_artifacts(project))

    return make


@pytest.fixture(scope="session")
def materialized(
    parsed_greenhouse: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Greenhouse, Any]:
    """The whole example materialized once through the assets: (project, execution result)."""
    project = copy_project(
        parsed_greenhouse, tmp_path_factory.mktemp("materialized") / "greenhouse", keep_target=True
    )
    greenhouse = Greenhouse(project, load_artifacts(project))
    result = greenhouse.materialize(greenhouse.create_assets())
    return greenhouse, result


# -- synthetic projects (no dbt run) ---------------------------------------------------------
def synthetic_manifest(
    models: Mapping[str, Sequence[str]],
    *,
    materialized: Mapping[str, str] | None = None,
    seeds: Sequence[str] = (),
    project: str = "synthetic",
) -> dict[str, Any]:
    """A manifest shaped like dbt's for ``models`` (name -> upstream names, models or seeds)."""
    materialized = materialized or {}
    seed_set = set(seeds)

    def uid(name: str) -> str:
        return f"{'seed' if name in seed_set else 'model'}.{project}.{name}"

    nodes: dict[str, Any] = {}
    for name in seeds:
        nodes[uid(name)] = _node(
            project, name=name, kind="seed", materialized="seed", upstream=[], uid=uid
        )
    for name, upstream in models.items():
        nodes[uid(name)] = _node(
            project,
            name=name,
            kind="model",
            materialized=materialized.get(name, "table"),
            upstream=upstream,
            uid=uid,
        )
    return {
        "metadata": {"project_name": project, "adapter_type": "duckdb"},
        "nodes": nodes,
        "sources": {},
    }


def _node(
    project: str,
    *,
    name: str,
    kind: str,
    materialized: str,
    upstream: Sequence[str],
    uid: Callable[[str], str],
) -> dict[str, Any]:
    folder = "seeds" if kind == "seed" else "models"
    return {
        "unique_id": uid(name),
        "resource_type": kind,
        "name": name,
        "package_name": project,
        "original_file_path": f"{folder}/{name}.{'csv' if kind == 'seed' else 'sql'}",
        "fqn": [project, name],
        "schema": "main",
        "database": project,
        "alias": name,
        "config": {"materialized": materialized, "meta": {}},
        "tags": [],
        "depends_on": {"nodes": [uid(u) for u in upstream]},
        "description": "",
        "columns": {},
        "checksum": {"name": "sha256", "checksum": name},
    }


@pytest.fixture
def synthetic_project(tmp_path: Path) -> Path:
    """A dbt project folder (dbt_project.yml only) for assets built from synthetic manifests."""
    (tmp_path / "dbt_project.yml").write_text(
        "name: synthetic\nversion: '1.0'\nconfig-version: 2\nprofile: synthetic\n"
    )
    return tmp_path


def synthetic_profiles(targets: Mapping[str, str] = TWO_TARGETS) -> dict[str, Any]:
    return {
        "synthetic": {
            "target": next(iter(targets)),
            "outputs": {name: {"type": kind, "path": ":memory:"} for name, kind in targets.items()},
        }
    }


@pytest.fixture
def make_manifest() -> Callable[..., dict[str, Any]]:
    return synthetic_manifest


@pytest.fixture
def make_profiles() -> Callable[..., dict[str, Any]]:
    return synthetic_profiles


@pytest.fixture
def expected_rows() -> dict[str, int]:
    return dict(EXPECTED_ROWS)


# -- markers ---------------------------------------------------------------------------------
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark ``dbt`` every test that uses the parsed example (dbt parse, most run dbt build).

    nox runs them on the floors, the default and the newest Python, and the rest everywhere.
    """
    for item in items:
        if "parsed_greenhouse" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.dbt)
