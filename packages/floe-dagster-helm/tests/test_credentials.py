"""Anything that looks like a credential, by name or inside a URL, is treated as a password is:
refused in values, and never quoted in an error or a log."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from floe_dagster_helm import ExternalPostgres, build_helm_values, validate_helm_values
from floe_orchestrator_contract import ContractValidationError

SECRET = "s3cr3t-Pa55w0rd"


def _refused(product: dict[str, Any], caplog: pytest.LogCaptureFixture, **kwargs: Any) -> str:
    caplog.set_level(logging.DEBUG)
    with pytest.raises(ContractValidationError, match=r"postgresql|plain-text") as caught:
        build_helm_values(**product, **kwargs)
    message = str(caught.value)
    assert SECRET not in message
    assert SECRET not in caplog.text
    return message


def test_a_dict_given_as_postgresql_is_refused_without_quoting_it(
    product: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    message = _refused(product, caplog, postgresql={"host": "pg", "password": SECRET})
    assert "postgresql: a dict (allowed: ExternalPostgres(" in message


@pytest.mark.parametrize("host", [f"u:{SECRET}@pg", f"{SECRET}@pg.internal"])
def test_credentials_in_the_postgres_host_are_refused_unquoted(
    host: str, product: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    postgres = ExternalPostgres(host=host, existing_secret="pg")
    message = _refused(product, caplog, postgresql=postgres)
    assert "postgresql.host: holds credentials (user:password@)" in message


@pytest.mark.parametrize("host", ["pg", "orders-pg.data.svc.cluster.local", "10.0.0.7", "fd00::7"])
def test_plain_postgres_hosts_are_accepted(host: str, product: dict[str, Any]) -> None:
    values = build_helm_values(
        postgresql=ExternalPostgres(host=host, existing_secret="pg"), **product
    )
    assert values["postgresql"]["postgresqlHost"] == host


@pytest.mark.parametrize("host", ["pg:5432", "pg/db", "postgres://pg", "", "p g"])
def test_hosts_with_a_port_path_or_scheme_are_refused(host: str, product: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"postgresql\.host: .* is not a host name"):
        build_helm_values(postgresql=ExternalPostgres(host=host, existing_secret="pg"), **product)


CREDENTIAL_NAMES = [
    "DB_PASSWD",
    "DB_PASS",
    "AWS_SECRET_ACCESS_KEY",
    "GITHUB_TOKEN",
    "STRIPE_KEY",
    "API_KEY",
    "SERVICE_CREDENTIALS",
    "dbPassword",
    "SMTP_PASSWORD",
]


@pytest.mark.parametrize("name", CREDENTIAL_NAMES)
@pytest.mark.parametrize("where", ["webserver-env-list", "daemon-env-map", "user-code-env"])
def test_env_entries_named_like_credentials_are_refused_with_literal_values(
    name: str, where: str, product: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    if where == "webserver-env-list":
        kwargs: dict[str, Any] = {
            "overrides": {"dagsterWebserver": {"env": [{"name": name, "value": SECRET}]}}
        }
        path = "dagsterWebserver.env[0].value"
    elif where == "daemon-env-map":
        kwargs = {"overrides": {"dagsterDaemon": {"env": {name: SECRET}}}}
        path = f"dagsterDaemon.env.{name}"
    else:
        kwargs = {"deployment_overrides": {"env": [{"name": name, "value": SECRET}]}}
        path = "dagster-user-deployments.deployments[0].env[0].value"
    message = _refused(product, caplog, **kwargs)
    assert f"{path}: a plain-text password is not allowed" in message


@pytest.mark.parametrize(
    "entry",
    [
        "DB_PASSWORD=" + SECRET,
        "AWS_SECRET_ACCESS_KEY=" + SECRET,
        f"DATABASE_URL=pg://u:{SECRET}@db",
    ],
)
def test_run_launcher_env_vars_with_literal_credentials_are_refused(
    entry: str, product: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    overrides = {"runLauncher": {"config": {"k8sRunLauncher": {"envVars": ["LOG=1", entry]}}}}
    message = _refused(product, caplog, overrides=overrides)
    assert "runLauncher.config.k8sRunLauncher.envVars[1]: a plain-text password" in message


@pytest.mark.parametrize(
    "overrides",
    [
        {
            "dagsterWebserver": {
                "env": [{"name": "DATABASE_URL", "value": f"postgresql://u:{SECRET}@db/x"}]
            }
        },
        {"postgresql": {"postgresqlHost": f"dagster:{SECRET}@pg"}},
        {"dagsterDaemon": {"annotations": {"backup": f"s3://key:{SECRET}@bucket/path"}}},
    ],
    ids=["url-in-env", "credentials-in-a-host", "url-in-an-annotation"],
)
def test_a_password_inside_a_url_is_refused(
    overrides: dict[str, Any], product: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    message = _refused(product, caplog, overrides=overrides)
    assert "a plain-text password is not allowed" in message


def test_references_and_non_secrets_are_not_credentials(product: dict[str, Any]) -> None:
    env = [
        {
            "name": "AWS_SECRET_ACCESS_KEY",
            "valueFrom": {"secretKeyRef": {"name": "aws", "key": "k"}},
        },
        {"name": "DB_PASSWORD_FILE", "value": "/var/run/secrets/db/password"},
        {"name": "GOOGLE_APPLICATION_CREDENTIALS", "value": "/var/run/secrets/gcp/key.json"},
        {"name": "AWS_ACCESS_KEY_ID", "value": "AKIAEXAMPLE"},
        {"name": "OAUTH_TOKEN_URL", "value": "https://login.example.com/token"},
        {"name": "SECRET_NAME", "value": "orders-db"},
        {"name": "DATABASE_URL", "value": "postgresql://orders@db:5432/orders"},
    ]
    overrides = {
        "dagsterWebserver": {
            "env": env,
            "annotations": {"vault.hashicorp.com/agent-inject-secret-db": "secret/data/db"},
        },
        "runLauncher": {"config": {"k8sRunLauncher": {"envVars": ["DB_PASSWORD", "LOG=debug"]}}},
        "postgresql": {"existingSecretPasswordKey": "postgresql-password"},
        "global": {"postgresqlSecretName": "orders-pg"},
    }
    values = build_helm_values(overrides=overrides, **product)
    assert values["dagsterWebserver"]["env"] == env


def test_validate_names_every_credential_and_quotes_none() -> None:
    problems = validate_helm_values(
        {
            "dagsterWebserver": {"env": [{"name": "API_TOKEN", "value": SECRET}]},
            "runLauncher": {"config": {"k8sRunLauncher": {"envVars": [f"DB_PASSWD={SECRET}"]}}},
        }
    )
    assert [p.split(":")[0] for p in problems] == [
        "dagsterWebserver.env[0].value",
        "runLauncher.config.k8sRunLauncher.envVars[0]",
    ]
    assert SECRET not in " ".join(problems)
