from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from floe_dagster_helm import (
    ExternalPostgres,
    build_helm_values,
    render_values_yaml,
    validate_helm_values,
    write_values_file,
)


@pytest.mark.parametrize("size", ["small", "medium", "large"])
@pytest.mark.parametrize("code_server", [False, True])
def test_yaml_round_trips_to_the_same_dict(
    size: str, code_server: bool, product: dict[str, Any]
) -> None:
    values = build_helm_values(
        workload_size=size,
        code_server=code_server,
        postgresql=ExternalPostgres(host="db", existing_secret="pg", params={"sslmode": "require"}),
        **product,
    )
    assert yaml.safe_load(render_values_yaml(values)) == values


def test_strings_that_look_like_other_types_stay_strings(product: dict[str, Any]) -> None:
    labels = {
        "version": "1.10",
        "flag": "true",
        "yes": "on",
        "nothing": "null",
        "zip": "0123",
        "empty": "",
    }
    values = build_helm_values(
        image="ghcr.io/acme/orders:1.10",
        definitions_module=product["definitions_module"],
        deployment_overrides={"labels": labels},
    )
    loaded = yaml.safe_load(render_values_yaml(values))
    assert loaded == values
    deployment = loaded["dagster-user-deployments"]["deployments"][0]
    assert deployment["labels"] == labels
    assert deployment["image"]["tag"] == "1.10"


def test_the_rendered_file_is_what_helm_reads(product: dict[str, Any], chart_problems: Any) -> None:
    text = render_values_yaml(build_helm_values(workload_size="large", **product))
    assert text.startswith("# Values for the dagster/dagster Helm chart")
    loaded = yaml.safe_load(text)
    assert list(loaded) == [
        "dagsterWebserver",
        "dagsterDaemon",
        "dagster-user-deployments",
        "runLauncher",
    ]
    assert chart_problems(loaded) == []


def test_write_values_file_writes_a_file_that_loads_back(
    tmp_path: Path, product: dict[str, Any]
) -> None:
    values = build_helm_values(workload_size="medium", **product)
    target = tmp_path / "deploy" / "orders" / "values.yaml"
    written = write_values_file(values, target)
    assert written == target
    assert yaml.safe_load(target.read_text(encoding="utf-8")) == values
    assert os.listdir(target.parent) == ["values.yaml"]  # no temporary file left behind


def test_a_wrong_override_is_reported_before_any_file_is_written(
    tmp_path: Path, product: dict[str, Any]
) -> None:
    target = tmp_path / "values.yaml"
    with pytest.raises(ValueError, match="unknown key 'replicas'"):
        write_values_file(
            build_helm_values(overrides={"dagsterWebserver": {"replicas": 3}}, **product), target
        )
    with pytest.raises(ValueError, match="'3 cores' is not a valid quantity"):
        write_values_file(
            build_helm_values(
                overrides={"dagsterWebserver": {"resources": {"limits": {"cpu": "3 cores"}}}},
                **product,
            ),
            target,
        )
    assert list(tmp_path.iterdir()) == []


def test_writing_invalid_values_leaves_the_existing_file_untouched(
    tmp_path: Path, product: dict[str, Any]
) -> None:
    target = tmp_path / "values.yaml"
    values = build_helm_values(**product)
    write_values_file(values, target)
    before = target.read_bytes()

    values["dagsterWebserver"]["replicas"] = 3  # edited by hand after building
    values["dagsterDaemon"]["resources"]["limits"]["memory"] = "lots"
    assert len(validate_helm_values(values)) == 2
    with pytest.raises(ValueError, match="2 problems"):
        write_values_file(values, target)
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["values.yaml"]


def test_render_accepts_read_only_mappings_and_tuples(product: dict[str, Any]) -> None:
    from types import MappingProxyType

    values = build_helm_values(**product)
    frozen = MappingProxyType({**values, "imagePullSecrets": ({"name": "ghcr"},)})
    loaded = yaml.safe_load(render_values_yaml(frozen))
    assert loaded["imagePullSecrets"] == [{"name": "ghcr"}]
    assert loaded["runLauncher"] == values["runLauncher"]
