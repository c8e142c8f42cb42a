from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from floe_orchestrator_contract import (
    CompiledArtifacts,
    ContractValidationError,
    DeploymentMode,
    TransformConfig,
)


def test_loads_from_a_dict_a_json_string_and_a_file(
    artifacts_dict: dict[str, Any], tmp_path: Path
) -> None:
    path = tmp_path / "compiled_artifacts.json"
    path.write_text(json.dumps(artifacts_dict))
    loaded = [
        CompiledArtifacts.from_dict(artifacts_dict),
        CompiledArtifacts.from_json(json.dumps(artifacts_dict)),
        CompiledArtifacts.from_file(path),
    ]
    assert loaded[0] == loaded[1] == loaded[2]
    artifacts = loaded[0]
    assert artifacts.mode is DeploymentMode.SIMPLE
    assert artifacts.identity.domain == "sales"
    assert artifacts.observability.lineage_transport == "console"


def test_round_trips_through_json(artifacts_dict: dict[str, Any]) -> None:
    artifacts = CompiledArtifacts.from_dict(artifacts_dict)
    assert CompiledArtifacts.from_json(artifacts.model_dump_json()) == artifacts


def test_three_mistakes_are_named_in_one_message(artifacts_dict: dict[str, Any]) -> None:
    artifacts_dict["identity"]["owner_team"] = "x"
    artifacts_dict["mode"] = "hybrid"
    artifacts_dict["transforms"]["models"][0]["name"] = "stg-orders"
    with pytest.raises(ContractValidationError) as caught:
        CompiledArtifacts.from_dict(artifacts_dict)
    error = caught.value
    assert len(error.problems) == 3  # `orders` depending on a missing model is dbt's to judge
    text = str(error)
    assert (
        "identity.owner_team: unknown key 'owner_team' (allowed: product_id, domain, repository, "
        "namespace_registered, registration_timestamp)"
    ) in text
    assert "mode: 'hybrid' is not allowed (allowed: 'simple', 'centralized' or 'mesh')" in text
    assert "transforms.models[0].name: 'stg-orders' is not a valid name" in text


def test_duplicates_are_reported_beside_shape_problems(artifacts_dict: dict[str, Any]) -> None:
    models = artifacts_dict["transforms"]["models"]
    models[0]["depends_on"] = ["orders"]  # a cycle in depends_on: dbt's refs decide, not this
    models.append({"name": "orders", "compute": ""})
    with pytest.raises(ContractValidationError) as caught:
        CompiledArtifacts.from_dict(artifacts_dict)
    problems = caught.value.problems
    assert any(p.startswith("transforms.models[2].compute") for p in problems)
    assert "transforms.models[2].name: 'orders' duplicates models[1] (allowed: each name once)" in (
        problems
    )
    assert len(problems) == 2


def test_model_validate_is_as_strict(artifacts_dict: dict[str, Any]) -> None:
    artifacts_dict["transforms"]["models"][0]["depends_on"] = ["nope"]  # fine: dbt decides
    assert CompiledArtifacts.model_validate(artifacts_dict).transforms is not None
    artifacts_dict["transforms"]["models"][0]["tgas"] = ["x"]
    with pytest.raises(ValueError, match=r"transforms.models\[0\].tgas: unknown key 'tgas'"):
        CompiledArtifacts.model_validate(artifacts_dict)
    artifacts_dict["transforms"]["models"][0].pop("tgas")
    artifacts_dict["transforms"]["models"].append({"name": "orders", "compute": "duckdb"})
    with pytest.raises(ValueError, match=r"'orders' duplicates models\[1\]"):
        CompiledArtifacts.model_validate(artifacts_dict)


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d.pop("metadata"), "metadata: required key is missing"),
        (
            lambda d: d.update(version="1.0.0"),
            "version: '1.0.0' is not supported (allowed: 0.1.0 to 0.10.x, or a newer 0.x)",
        ),
        (
            lambda d: d["observability"].update(lineage_transport="kafka"),
            "observability.lineage_transport: 'kafka' is not allowed",
        ),
        (lambda d: d["transforms"]["models"][1].pop("compute"), "models[1].compute: required"),
    ],
)
def test_each_rule_names_its_field(
    artifacts_dict: dict[str, Any], mutate: Any, expected: str
) -> None:
    mutate(artifacts_dict)
    with pytest.raises(
        ContractValidationError,
        match=expected.replace("[", r"\[").replace("(", r"\(").replace(")", r"\)"),
    ):
        CompiledArtifacts.from_dict(artifacts_dict)


def test_bad_json_and_non_objects_are_one_clear_error() -> None:
    with pytest.raises(ContractValidationError, match="not valid JSON"):
        CompiledArtifacts.from_json("{nope")
    with pytest.raises(ContractValidationError, match="expected a JSON object, got list"):
        CompiledArtifacts.from_dict([])


def test_empty_models_and_no_transforms_are_valid(artifacts_dict: dict[str, Any]) -> None:
    artifacts_dict["transforms"]["models"] = []
    assert CompiledArtifacts.from_dict(artifacts_dict).to_transform_configs() == []
    artifacts_dict["transforms"] = None
    assert CompiledArtifacts.from_dict(artifacts_dict).to_transform_configs() == []


def test_models_become_transform_configs(artifacts_dict: dict[str, Any]) -> None:
    configs = CompiledArtifacts.from_dict(artifacts_dict).to_transform_configs()
    assert configs == [
        TransformConfig(name="stg_orders", tags=["staging"], compute="duckdb"),
        TransformConfig(name="orders", depends_on=["stg_orders"], compute="duckdb_large"),
    ]


def test_json_schema_is_exported_and_rejects_unknown_keys() -> None:
    schema = CompiledArtifacts.json_schema()
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == {"metadata", "identity"}
    assert {"ResolvedModel", "ObservabilityConfig", "DeploymentMode"} <= set(schema["$defs"])
    json.dumps(schema)
