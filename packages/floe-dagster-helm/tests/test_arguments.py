from __future__ import annotations

import logging
from typing import Any

import pytest

from floe_dagster_helm import DEFAULT_CODE_LOCATION, ExternalPostgres, build_helm_values

MODULE = "orders.definitions"


def _deployment(values: dict[str, Any]) -> dict[str, Any]:
    deployments = values["dagster-user-deployments"]["deployments"]
    assert len(deployments) == 1
    deployment: dict[str, Any] = deployments[0]
    return deployment


@pytest.mark.parametrize(
    ("kwargs", "arguments"),
    [
        ({"definitions_module": MODULE}, ["-m", MODULE]),
        ({"definitions_module": MODULE, "attribute": "defs"}, ["-m", MODULE, "-a", "defs"]),
        ({"definitions_file": "/app/definitions.py"}, ["-f", "/app/definitions.py"]),
        (
            {"definitions_file": "definitions.py", "working_directory": "/app"},
            ["-f", "definitions.py", "-d", "/app"],
        ),
    ],
)
def test_the_code_location_points_at_the_definitions(
    kwargs: dict[str, Any], arguments: list[str]
) -> None:
    values = build_helm_values(image="ghcr.io/acme/orders:1.2.0", **kwargs)
    deployment = _deployment(values)
    assert deployment["dagsterApiGrpcArgs"] == arguments
    assert "codeServerArgs" not in deployment

    served = _deployment(
        build_helm_values(image="ghcr.io/acme/orders:1.2.0", code_server=True, **kwargs)
    )
    assert served["codeServerArgs"] == arguments
    assert "dagsterApiGrpcArgs" not in served


def test_name_and_port_reach_the_deployment(product: dict[str, Any]) -> None:
    deployment = _deployment(
        build_helm_values(code_location_name="orders-eu", port=4100, **product)
    )
    assert deployment["name"] == "orders-eu"
    assert deployment["port"] == 4100
    assert deployment["includeConfigInLaunchedRuns"] == {"enabled": True}


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        (
            "ghcr.io/acme/orders:1.2.0",
            {"repository": "ghcr.io/acme/orders", "tag": "1.2.0", "pullPolicy": "IfNotPresent"},
        ),
        (
            "localhost:5000/orders:dev",
            {"repository": "localhost:5000/orders", "tag": "dev", "pullPolicy": "IfNotPresent"},
        ),
        ("orders:latest", {"repository": "orders", "tag": "latest", "pullPolicy": "Always"}),
        (
            "docker.io/acme/orders:1.2.0@sha256:" + "a" * 64,
            {
                "repository": "docker.io/acme/orders",
                "tag": "1.2.0",
                "pullPolicy": "IfNotPresent",
                "digest": "sha256:" + "a" * 64,
            },
        ),
    ],
)
def test_image_references_become_the_charts_image_object(
    image: str, expected: dict[str, str]
) -> None:
    deployment = _deployment(build_helm_values(image=image, definitions_module=MODULE))
    assert deployment["image"] == expected


def test_no_image_uses_the_location_name_and_says_so(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="floe_dagster_helm"):
        deployment = _deployment(build_helm_values(definitions_module=MODULE))
    assert deployment["image"] == {
        "repository": DEFAULT_CODE_LOCATION,
        "tag": "latest",
        "pullPolicy": "Always",
    }
    assert "no image given" in caplog.text


@pytest.mark.parametrize(
    ("image", "reason"),
    [
        ("ghcr.io/acme/orders", "has no tag"),
        ("Orders:1.0", "invalid repository"),
        ("orders:bad tag", "invalid tag"),
        ("orders:1.0@sha256:xyz", "invalid digest"),
        ("", "invalid repository"),
    ],
)
def test_bad_images_are_named(image: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason) as caught:
        build_helm_values(image=image, definitions_module=MODULE)
    assert f"image: {image!r}" in str(caught.value)


def test_every_bad_argument_is_listed_in_one_error() -> None:
    with pytest.raises(ValueError, match="7 problems") as caught:
        build_helm_values(
            workload_size="huge",
            image="orders",
            code_location_name="Orders_EU",
            definitions_module="orders-definitions",
            definitions_file="/app/definitions.py",
            port=70000,
            postgresql=ExternalPostgres(host="postgres://db", existing_secret="pg"),
        )
    message = str(caught.value)
    for expected in (
        "workload_size: 'huge' is not a workload size (allowed: small, medium, large)",
        "image: 'orders' has no tag",
        "code_location_name: 'Orders_EU' is not a valid name",
        "definitions: both of definitions_module and definitions_file given",
        "definitions_module: 'orders-definitions' is not a module name",
        "port: 70000 is not a port",
        "postgresql.host: 'postgres://db' is not a host name",
    ):
        assert expected in message


def test_the_definitions_must_be_named() -> None:
    with pytest.raises(ValueError, match="neither of definitions_module and definitions_file"):
        build_helm_values(image="orders:1.0")


@pytest.mark.parametrize(
    ("postgres", "expected"),
    [
        (
            ExternalPostgres(host="db", existing_secret="Bad_Secret"),
            "existing_secret: 'Bad_Secret'",
        ),
        (ExternalPostgres(host="", existing_secret="pg"), "postgresql.host: ''"),
        (ExternalPostgres(host="db", existing_secret="pg", port=0), "postgresql.port: 0"),
        (ExternalPostgres(host="db", existing_secret="pg", database=""), "postgresql.database: ''"),
        (
            ExternalPostgres(host="db", existing_secret="pg", params={"sslmode": 1}),  # type: ignore[dict-item]
            "postgresql.params",
        ),
    ],
)
def test_bad_external_postgres_is_named(
    postgres: ExternalPostgres, expected: str, product: dict[str, Any]
) -> None:
    with pytest.raises(ValueError, match="1 problem") as caught:
        build_helm_values(postgresql=postgres, **product)
    assert expected in str(caught.value)


@pytest.mark.parametrize("name", ["overrides", "deployment_overrides"])
def test_overrides_must_be_mappings(name: str, product: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=f"{name}: list given"):
        build_helm_values(**{name: ["dagsterWebserver"]}, **product)  # type: ignore[arg-type]
