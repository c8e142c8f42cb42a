"""No password in plain text: not in the values, the YAML, the errors or the logs."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest
import yaml

from floe_dagster_helm import (
    ExternalPostgres,
    build_helm_values,
    render_values_yaml,
    validate_helm_values,
)

SECRET = "s3cr3t-Pa55w0rd"
POSTGRES = ExternalPostgres(host="db.internal", existing_secret="dagster-pg")


def _password_entries(node: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(node, Mapping):
        for key, value in node.items():
            child = f"{path}.{key}"
            if "password" in str(key).lower():
                yield child, value
            yield from _password_entries(value, child)
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _password_entries(item, f"{path}[{index}]")


@pytest.mark.parametrize("size", ["small", "medium", "large"])
@pytest.mark.parametrize("postgres", [None, POSTGRES], ids=["bundled_pg", "external_pg"])
def test_no_password_is_rendered(
    size: str, postgres: ExternalPostgres | None, product: dict[str, Any]
) -> None:
    values = build_helm_values(workload_size=size, postgresql=postgres, **product)
    for path, value in _password_entries(values):
        assert value in ("", None, False), path
    rendered = yaml.safe_load(render_values_yaml(values))
    for path, value in _password_entries(rendered):
        assert value in ("", None, False), path


def test_external_postgres_reads_its_password_from_the_existing_secret(
    product: dict[str, Any], merged_over_reference: Callable[[Mapping[str, Any]], dict[str, Any]]
) -> None:
    values = build_helm_values(postgresql=POSTGRES, **product)
    merged = merged_over_reference(values)
    # The chart then neither creates a password Secret nor runs its own database...
    assert merged["generatePostgresqlPasswordSecret"] is False
    assert merged["postgresql"]["enabled"] is False
    # ...and every Dagster pod reads `postgresql-password` from this Secret.
    assert merged["global"]["postgresqlSecretName"] == "dagster-pg"
    # The chart's default password ("test") is blanked, even in the coalesced values.
    assert merged["postgresql"]["postgresqlPassword"] == ""


def test_external_postgres_has_no_password_field() -> None:
    fields = [f.name for f in dataclasses.fields(ExternalPostgres)]
    assert not [name for name in fields if "password" in name.lower()]
    with pytest.raises(TypeError):
        ExternalPostgres(host="db", existing_secret="s", password=SECRET)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    "overrides",
    [
        {"postgresql": {"postgresqlPassword": SECRET}},
        {"redis": {"password": SECRET}},
        {"rabbitmq": {"rabbitmq": {"password": SECRET}}},
        {"dagsterWebserver": {"env": [{"name": "DB_PASSWORD", "value": SECRET}]}},
        {"dagsterDaemon": {"env": {"SMTP_PASSWORD": SECRET}}},
    ],
    ids=["postgresql", "redis", "rabbitmq", "env-list", "env-map"],
)
def test_a_password_in_overrides_is_refused_without_echoing_it(
    overrides: dict[str, Any], product: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with pytest.raises(ValueError, match="plain-text password is not allowed") as caught:
        build_helm_values(overrides=overrides, **product)
    assert SECRET not in str(caught.value)
    assert SECRET not in caplog.text


def test_references_to_secrets_are_allowed(product: dict[str, Any]) -> None:
    env = [
        {
            "name": "DB_PASSWORD",
            "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}},
        },
        {"name": "DB_PASSWORD_FILE", "value": "/var/run/secrets/db/password"},
    ]
    values = build_helm_values(
        overrides={
            "dagsterWebserver": {"env": env},
            "postgresql": {"existingSecretPasswordKey": "postgresql-password"},
        },
        **product,
    )
    assert values["dagsterWebserver"]["env"] == env


def test_a_password_never_reaches_a_schema_message() -> None:
    # A numeric password is also the wrong type, and the schema's message would quote it.
    problems = validate_helm_values({"postgresql": {"postgresqlPassword": 98765432123}})
    assert problems == [
        "postgresql.postgresqlPassword: a plain-text password is not allowed in values, nor any "
        "other credential (allowed: leave it empty and keep it in an existing Kubernetes Secret, "
        "e.g. ExternalPostgres(existing_secret=...), envSecrets or an env entry's "
        "valueFrom.secretKeyRef)"
    ]


def test_a_password_in_postgres_params_is_refused_without_echoing_it(
    product: dict[str, Any],
) -> None:
    for params in ({"password": SECRET}, {"password": 1234567, "sslmode": "require"}):
        postgres = ExternalPostgres(host="db", existing_secret="pg", params=params)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="postgresql") as caught:
            build_helm_values(postgresql=postgres, **product)
        assert str(params["password"]) not in str(caught.value)
        assert str(params["password"]) not in repr(postgres)


def test_validate_reports_where_a_password_sits() -> None:
    problems = validate_helm_values({"postgresql": {"postgresqlPassword": SECRET}})
    assert len(problems) == 1
    assert problems[0].startswith("postgresql.postgresqlPassword: a plain-text password")
    assert SECRET not in problems[0]


def test_render_refuses_values_with_a_password(product: dict[str, Any]) -> None:
    values = build_helm_values(**product)
    values["postgresql"] = {"postgresqlPassword": SECRET}
    with pytest.raises(ValueError, match="plain-text password") as caught:
        render_values_yaml(values)
    assert SECRET not in str(caught.value)
