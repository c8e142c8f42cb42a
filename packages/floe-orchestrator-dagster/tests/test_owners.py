"""Owners a Dagster user sees: dbt's (meta.owner, dbt groups) and floe's product owner."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from floe_orchestrator_dagster import DagsterOrchestratorPlugin

pytestmark = pytest.mark.usefixtures("clean_env")

CONTRACT = {
    "apiVersion": "v3.0.2",
    "kind": "DataContract",
    "id": "greenhouse-yields",
    "dataProduct": "greenhouse",
    "team": {
        "name": "agronomy",
        "members": [
            {"username": "ada@example.com", "role": "Data Owner"},
            {"username": "bo@example.com", "role": "engineer"},
        ],
    },
}


def test_the_data_contracts_team_owns_every_asset_of_the_product(
    greenhouse: Path, artifacts: dict[str, Any]
) -> None:
    artifacts["data_contracts"] = [CONTRACT, {**CONTRACT, "dataProduct": "another", "team": None}]
    defs = DagsterOrchestratorPlugin(dbt_project_dir=greenhouse).create_definitions(artifacts)
    specs = {spec.key.path[-1]: spec for spec in defs.resolve_all_asset_specs()}
    product = ["ada@example.com", "team:agronomy"]
    # dbt's meta.owner first (an address stays one, a name is a team), then the product's.
    assert list(specs["fct_harvests"].owners) == ["team:growers", *product]
    assert list(specs["raw_harvests"].owners) == product
    assert not specs["daily_weather"].owners  # a source: the product does not own its inputs
    dg.Definitions.validate_loadable(defs)
