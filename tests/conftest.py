from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = Path(os.environ.get("FLOE_REFERENCE_DIR", ROOT / "tests" / "reference"))
EXAMPLE = ROOT / "examples" / "greenhouse"


def load_json(path: Path) -> Any:
    return json.loads(path.read_text())


@pytest.fixture(scope="session")
def served_product(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """customer-360 with the definitions.py the plugin generates for floe, served by a real
    dagster-webserver on 127.0.0.1: (its URL, the product folder)."""
    from _floe_product import copy_product, dagster_env, dagster_webserver

    from floe_orchestrator_dagster import DagsterOrchestratorPlugin

    product = copy_product(tmp_path_factory.mktemp("served") / "customer-360")
    definitions = DagsterOrchestratorPlugin().generate_entry_point_code(
        "customer-360", str(product), lineage_enabled=True
    )
    env = dagster_env(product / ".dagster", OPENLINEAGE_DISABLED="true")
    with dagster_webserver(Path(definitions), env) as url:
        yield url, product
