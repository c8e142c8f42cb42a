from __future__ import annotations

import copy
from typing import Any

from floe_dagster_helm import build_helm_values, deep_merge


def test_mappings_merge_and_everything_else_replaces() -> None:
    base = {"a": {"b": 1, "c": [1, 2], "d": {"e": "x"}}, "f": "keep"}
    override = {"a": {"c": [3], "d": {"g": None}, "h": True}, "i": 0}
    assert deep_merge(base, override) == {
        "a": {"b": 1, "c": [3], "d": {"e": "x", "g": None}, "h": True},
        "f": "keep",
        "i": 0,
    }


def test_lists_are_replaced_not_concatenated() -> None:
    merged = deep_merge({"env": [{"name": "A"}, {"name": "B"}]}, {"env": [{"name": "C"}]})
    assert merged == {"env": [{"name": "C"}]}


def test_a_mapping_replaces_a_scalar_and_back() -> None:
    assert deep_merge({"a": 1, "b": {"c": 1}}, {"a": {"x": 1}, "b": "flat"}) == {
        "a": {"x": 1},
        "b": "flat",
    }


def test_inputs_are_never_mutated_nor_shared() -> None:
    base: dict[str, Any] = {"a": {"list": [1, {"deep": 1}]}, "b": {"c": 1}}
    override: dict[str, Any] = {"b": {"d": [1]}, "e": {"f": {"g": 1}}}
    base_before, override_before = copy.deepcopy(base), copy.deepcopy(override)

    merged = deep_merge(base, override)
    assert base == base_before
    assert override == override_before

    merged["a"]["list"][1]["deep"] = 2
    merged["a"]["list"].append(3)
    merged["b"]["d"].append(2)
    merged["e"]["f"]["g"] = 2
    assert base == base_before
    assert override == override_before


def test_build_never_mutates_or_shares_the_callers_overrides(product: dict[str, Any]) -> None:
    overrides: dict[str, Any] = {
        "dagsterWebserver": {"env": [{"name": "A", "value": "1"}], "labels": {"team": "sales"}},
        "runLauncher": {"config": {"k8sRunLauncher": {"envSecrets": [{"name": "s"}]}}},
    }
    deployment_overrides: dict[str, Any] = {
        "labels": {"team": "sales"},
        "env": [{"name": "B", "value": "2"}],
    }
    before = copy.deepcopy(overrides), copy.deepcopy(deployment_overrides)

    first = build_helm_values(
        overrides=overrides, deployment_overrides=deployment_overrides, **product
    )
    assert (overrides, deployment_overrides) == before

    first["dagsterWebserver"]["env"].append({"name": "C", "value": "3"})
    first["dagsterWebserver"]["labels"]["team"] = "ops"
    first["runLauncher"]["config"]["k8sRunLauncher"]["envSecrets"][0]["name"] = "changed"
    first["dagster-user-deployments"]["deployments"][0]["env"][0]["value"] = "9"
    assert (overrides, deployment_overrides) == before

    second = build_helm_values(
        overrides=overrides, deployment_overrides=deployment_overrides, **product
    )
    assert second["dagsterWebserver"]["env"] == [{"name": "A", "value": "1"}]
    assert second["runLauncher"]["config"]["k8sRunLauncher"]["envSecrets"] == [{"name": "s"}]


def test_an_overriding_deployments_list_replaces_the_generated_one(product: dict[str, Any]) -> None:
    other = {
        "name": "other-location",
        "image": {"repository": "ghcr.io/acme/other", "tag": "2.0.0", "pullPolicy": "IfNotPresent"},
        "dagsterApiGrpcArgs": ["-m", "other.definitions"],
        "port": 3031,
    }
    values = build_helm_values(
        overrides={"dagster-user-deployments": {"deployments": [other]}}, **product
    )
    assert values["dagster-user-deployments"]["deployments"] == [other]


def test_overrides_win_over_generated_values(product: dict[str, Any]) -> None:
    resources = {"requests": {"cpu": "2", "memory": "4Gi"}, "limits": {"cpu": "4", "memory": "8Gi"}}
    values = build_helm_values(
        overrides={"runLauncher": {"config": {"k8sRunLauncher": {"resources": resources}}}},
        **product,
    )
    assert values["runLauncher"]["config"]["k8sRunLauncher"]["resources"] == resources
