from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "greenhouse"
IGNORED = shutil.ignore_patterns("target", "logs", "dbt_packages", "*.duckdb*", "__pycache__")


@pytest.fixture(scope="session")
def greenhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of the example product (its dbt outputs land in the copy's target/)."""
    project = tmp_path_factory.mktemp("product") / "greenhouse"
    shutil.copytree(EXAMPLE, project, ignore=IGNORED)
    return project


@pytest.fixture
def artifacts(greenhouse: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((greenhouse / "compiled_artifacts.json").read_text())
    return data


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "DAGSTER_URL",
        "FLOE_DBT_PROJECT_DIR",
        "FLOE_DAGSTER_TOKEN",
        "FLOE_DAGSTER_VERIFY_TLS",
        "FLOE_DAGSTER_IMAGE",
        "DBT_PROFILES_DIR",
        "OPENLINEAGE_URL",
        "OPENLINEAGE_CONFIG",
        "OPENLINEAGE_DISABLED",
        "GREENHOUSE_DUCKDB_PATH",
    ):
        monkeypatch.delenv(name, raising=False)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark ``dbt`` every test that uses the example product (its Definitions run dbt parse).

    nox runs them on the floors, the default and the newest Python, and the rest everywhere.
    """
    for item in items:
        if "greenhouse" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.dbt)
