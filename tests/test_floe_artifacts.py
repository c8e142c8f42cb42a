"""The artifacts floe writes load, and the artifacts in this repository are ones floe accepts.

Before this work, floe's golden fixtures failed with 5 to 7 problems each and a 0.10.0 file with
19 (customer-360); now each loads with none (measured figures are in the compat report).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest
from _floe_product import CUSTOMER_360, REFERENCE, floe_schema_problems
from conftest import EXAMPLE

from floe_orchestrator_contract import CompiledArtifacts, ContractValidationError

GOLDEN = sorted((REFERENCE / "floe-core").glob("v0.*_compiled_artifacts*.json"))
OURS = [CUSTOMER_360 / "compiled_artifacts.json", EXAMPLE / "compiled_artifacts.json"]


def _load(path: Path) -> CompiledArtifacts:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a version this plugin knows: not even a warning
        return CompiledArtifacts.from_file(path)


@pytest.mark.parametrize("path", GOLDEN, ids=lambda p: p.name)
def test_floes_golden_fixtures_load_whole(path: Path) -> None:
    artifacts = _load(path)
    assert artifacts.model_dump(mode="json", exclude_unset=True) == json.loads(path.read_text())


@pytest.mark.parametrize("path", OURS, ids=lambda p: p.parent.name)
def test_our_artifacts_are_what_floe_core_0_10_accepts_and_load(path: Path) -> None:
    data = json.loads(path.read_text())
    assert data["version"] == "0.10.0"
    assert floe_schema_problems(data) == []
    artifacts = _load(path)
    # What the contract writes back is still floe's shape (no key floe-core would refuse).
    assert floe_schema_problems(artifacts.model_dump(mode="json")) == []


def test_the_schema_check_is_real() -> None:
    data = json.loads((CUSTOMER_360 / "compiled_artifacts.json").read_text())
    data["schedules"] = [{"job_name": "daily", "cron": "0 6 * * *", "timezone": "UTC"}]
    data["observability"]["lineage_transport"] = "file"
    problems = floe_schema_problems(data)
    assert len(problems) == 2, problems
    # This contract still accepts both (the seed's shape), without ever writing them itself.
    assert CompiledArtifacts.from_dict(data).schedule_specs()[0].job_name == "daily"


def test_a_typo_in_the_0_10_product_is_one_error_naming_each() -> None:
    data = json.loads((CUSTOMER_360 / "compiled_artifacts.json").read_text())
    data["plugins"]["lineage_backend"]["confg"] = {}
    data["transforms"]["models"][3]["quality_tier"] = "diamond"
    data["governance"]["snapshot_keep_last"] = 0
    with pytest.raises(ContractValidationError) as caught:
        CompiledArtifacts.from_dict(data)
    assert len(caught.value.problems) == 3
    text = str(caught.value)
    assert (
        "plugins.lineage_backend.confg: unknown key 'confg' (allowed: type, version, config)"
        in text
    )
    assert "transforms.models[3].quality_tier: 'diamond' is not allowed" in text
    assert "governance.snapshot_keep_last: 0" in text
