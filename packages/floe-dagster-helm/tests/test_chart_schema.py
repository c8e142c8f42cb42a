"""Values for every size, with and without overrides and an external PostgreSQL, fit the real chart.

Each case is checked against the reference chart under FLOE_REFERENCE_DIR (defaults coalesced the
way Helm does, then its schema), and the user-code part against the subchart's schema.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable, Mapping
from typing import Any

import pytest

from floe_dagster_helm import ExternalPostgres, build_helm_values, validate_helm_values

Problems = Callable[[Mapping[str, Any]], list[str]]

# What a platform team typically changes: replicas, env, service type, queue limits, run secrets.
OVERRIDES: dict[str, Any] = {
    "dagsterWebserver": {
        "replicaCount": 2,
        "env": [{"name": "DAGSTER_LOG_FORMAT", "value": "json"}],
        "service": {"type": "LoadBalancer"},
    },
    "dagsterDaemon": {
        "runCoordinator": {"config": {"queuedRunCoordinator": {"maxConcurrentRuns": 10}}}
    },
    "runLauncher": {
        "config": {
            "k8sRunLauncher": {"envSecrets": [{"name": "orders-env"}], "jobNamespace": "orders"}
        }
    },
    "imagePullSecrets": [{"name": "ghcr"}],
    "telemetry": {"enabled": False},
}
DEPLOYMENT_OVERRIDES: dict[str, Any] = {
    "envSecrets": [{"name": "orders-dbt"}],
    "labels": {"team": "sales"},
}
POSTGRES = ExternalPostgres(
    host="orders-pg.data.svc.cluster.local",
    existing_secret="orders-dagster-pg",
    database="orders_dagster",
    username="orders",
    params={"sslmode": "require"},
)
# The system components get half the preset (request / limit), the code location all of it.
HALF = {
    "small": {
        "requests": {"cpu": "50m", "memory": "128Mi"},
        "limits": {"cpu": "250m", "memory": "256Mi"},
    },
    "medium": {
        "requests": {"cpu": "250m", "memory": "512Mi"},
        "limits": {"cpu": "1000m", "memory": "2Gi"},
    },
    "large": {
        "requests": {"cpu": "500m", "memory": "1Gi"},
        "limits": {"cpu": "2000m", "memory": "4Gi"},
    },
}
FULL = {
    "small": {
        "requests": {"cpu": "100m", "memory": "256Mi"},
        "limits": {"cpu": "500m", "memory": "512Mi"},
    },
    "medium": {
        "requests": {"cpu": "500m", "memory": "1Gi"},
        "limits": {"cpu": "2000m", "memory": "4Gi"},
    },
    "large": {
        "requests": {"cpu": "1000m", "memory": "2Gi"},
        "limits": {"cpu": "4000m", "memory": "8Gi"},
    },
}

CASES = list(itertools.product(["small", "medium", "large"], [False, True], [False, True]))


def _build(size: str, with_overrides: bool, with_postgres: bool) -> dict[str, Any]:
    return build_helm_values(
        workload_size=size,
        image="ghcr.io/acme/orders:1.2.0",
        code_location_name="orders",
        definitions_module="orders.definitions",
        postgresql=POSTGRES if with_postgres else None,
        deployment_overrides=copy.deepcopy(DEPLOYMENT_OVERRIDES) if with_overrides else None,
        overrides=copy.deepcopy(OVERRIDES) if with_overrides else None,
    )


@pytest.mark.parametrize(
    "case",
    CASES,
    ids=[
        f"{s}-{'overrides' if o else 'plain'}-{'external_pg' if p else 'bundled_pg'}"
        for s, o, p in CASES
    ],
)
def test_values_pass_the_reference_chart_and_subchart_schemas(
    case: tuple[str, bool, bool],
    chart_problems: Problems,
    subchart_problems: Problems,
    merged_over_reference: Callable[[Mapping[str, Any]], dict[str, Any]],
) -> None:
    size, with_overrides, with_postgres = case
    values = _build(size, with_overrides, with_postgres)

    assert chart_problems(values) == []
    assert subchart_problems(values) == []
    assert validate_helm_values(values) == []

    merged = merged_over_reference(values)
    deployments = merged["dagster-user-deployments"]["deployments"]
    assert [d["name"] for d in deployments] == ["orders"]
    assert deployments[0]["dagsterApiGrpcArgs"] == ["-m", "orders.definitions"]
    assert deployments[0]["image"] == {
        "repository": "ghcr.io/acme/orders",
        "tag": "1.2.0",
        "pullPolicy": "IfNotPresent",
    }
    assert deployments[0]["resources"] == FULL[size]
    assert merged["runLauncher"]["type"] == "K8sRunLauncher"
    assert merged["runLauncher"]["config"]["k8sRunLauncher"]["resources"] == FULL[size]
    assert merged["dagsterWebserver"]["resources"] == HALF[size]
    assert merged["dagsterDaemon"]["resources"] == HALF[size]

    if with_overrides:
        assert merged["dagsterWebserver"]["replicaCount"] == 2
        assert merged["dagsterWebserver"]["service"] == {
            "type": "LoadBalancer",
            "port": 80,
            "annotations": {},
        }
        assert merged["runLauncher"]["config"]["k8sRunLauncher"]["envSecrets"] == [
            {"name": "orders-env"}
        ]
        # Overrides land beside the preset, not instead of it.
        assert merged["runLauncher"]["config"]["k8sRunLauncher"]["loadInclusterConfig"] is True
        assert deployments[0]["envSecrets"] == [{"name": "orders-dbt"}]
        assert deployments[0]["labels"] == {"team": "sales"}
    if with_postgres:
        assert merged["postgresql"]["enabled"] is False
        assert merged["postgresql"]["postgresqlHost"] == "orders-pg.data.svc.cluster.local"
        assert merged["postgresql"]["postgresqlDatabase"] == "orders_dagster"
        assert merged["postgresql"]["postgresqlUsername"] == "orders"
        assert merged["postgresql"]["postgresqlParams"] == {"sslmode": "require"}
        assert merged["postgresql"]["service"]["port"] == 5432
        assert merged["generatePostgresqlPasswordSecret"] is False
        assert merged["global"]["postgresqlSecretName"] == "orders-dagster-pg"
    else:
        assert merged["postgresql"]["enabled"] is True


def test_code_server_values_pass_the_reference_schemas(
    chart_problems: Problems, subchart_problems: Problems, merged_over_reference: Callable[..., Any]
) -> None:
    values = build_helm_values(
        image="ghcr.io/acme/orders:1.2.0",
        definitions_file="/app/definitions.py",
        attribute="defs",
        working_directory="/app",
        code_server=True,
        port=4000,
    )
    assert chart_problems(values) == []
    assert subchart_problems(values) == []
    deployment = merged_over_reference(values)["dagster-user-deployments"]["deployments"][0]
    assert deployment["codeServerArgs"] == ["-f", "/app/definitions.py", "-a", "defs", "-d", "/app"]
    # The chart runs `dagster api grpc` whenever dagsterApiGrpcArgs is set, so it must be absent.
    assert "dagsterApiGrpcArgs" not in deployment
    assert deployment["port"] == 4000


def test_an_unknown_webserver_key_is_rejected_like_the_reference_schema_does(
    product: dict[str, Any], chart_problems: Problems
) -> None:
    bad = {"dagsterWebserver": {"replicas": 2}}
    # The reference schema itself refuses the key: the package is not stricter than the chart.
    assert any("replicas" in p for p in chart_problems(bad))
    with pytest.raises(ValueError, match="invalid Helm values") as caught:
        build_helm_values(overrides=bad, **product)
    message = str(caught.value)
    assert "dagsterWebserver: unknown key 'replicas'" in message
    assert "replicaCount" in message  # what is allowed is listed


def test_an_unknown_daemon_key_is_rejected(
    product: dict[str, Any], chart_problems: Problems
) -> None:
    bad = {"dagsterDaemon": {"replicaCount": 2}}
    assert chart_problems(bad) != []
    with pytest.raises(ValueError, match="dagsterDaemon: unknown key 'replicaCount'"):
        build_helm_values(overrides=bad, **product)


def test_a_wrong_type_is_rejected(product: dict[str, Any], chart_problems: Problems) -> None:
    bad = {"dagsterWebserver": {"replicaCount": "two"}}
    assert chart_problems(bad) != []
    with pytest.raises(ValueError, match=r"dagsterWebserver\.replicaCount: 'two' is not of type"):
        build_helm_values(overrides=bad, **product)


def test_an_invalid_run_launcher_type_is_rejected(
    product: dict[str, Any], chart_problems: Problems
) -> None:
    bad = {"runLauncher": {"type": "DockerRunLauncher"}}
    assert chart_problems(bad) != []
    with pytest.raises(ValueError, match=r"runLauncher\.type: 'DockerRunLauncher' is not one of"):
        build_helm_values(overrides=bad, **product)


def test_null_deletes_a_default_as_in_helm(
    product: dict[str, Any], chart_problems: Problems
) -> None:
    # Helm removes a default given as null; the daemon's runCoordinator is required.
    bad = {"dagsterDaemon": {"runCoordinator": None}}
    assert any("runCoordinator" in p for p in chart_problems(bad))
    with pytest.raises(ValueError, match="'runCoordinator' is a required property"):
        build_helm_values(overrides=bad, **product)


def test_a_bad_subchart_value_is_reported_for_the_subchart(
    product: dict[str, Any], subchart_problems: Problems
) -> None:
    bad = {"dagster-user-deployments": {"includeInstance": "yes"}}
    assert subchart_problems(bad) != []
    with pytest.raises(ValueError, match=r"dagster-user-deployments \(subchart\) includeInstance"):
        build_helm_values(overrides=bad, **product)


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        (
            {"dagsterWebserver": {"resources": {"limits": {"cpu": "two"}}}},
            "dagsterWebserver.resources.limits.cpu: 'two' is not a valid quantity",
        ),
        (
            {"dagsterDaemon": {"resources": {"requests": {"memory": "1Gb"}}}},
            "dagsterDaemon.resources.requests.memory: '1Gb' is not a valid quantity",
        ),
        (
            {
                "runLauncher": {
                    "config": {"k8sRunLauncher": {"resources": {"requests": {"cpu": "8"}}}}
                }
            },
            "cpu request '8' is greater than its limit '500m'",
        ),
        (
            {"dagsterWebserver": {"resources": {"limit": {"cpu": "1"}}}},
            "dagsterWebserver.resources: unknown key 'limit' (allowed: limits, requests, claims)",
        ),
        (
            {
                "runLauncher": {
                    "config": {
                        "k8sRunLauncher": {
                            "runK8sConfig": {
                                "containerConfig": {"resources": {"limits": {"memory": "-1Gi"}}}
                            }
                        }
                    }
                }
            },
            "runK8sConfig.containerConfig.resources.limits.memory: '-1Gi' is negative",
        ),
    ],
)
def test_a_bad_resource_quantity_in_overrides_is_rejected(
    product: dict[str, Any], override: dict[str, Any], expected: str
) -> None:
    # The chart's offline schema leaves `resources` open (its Kubernetes $ref was removed), so
    # these are the package's own checks, done with Kubernetes' quantity grammar.
    with pytest.raises(ValueError, match="invalid Helm values") as caught:
        build_helm_values(overrides=override, **product)
    assert expected in str(caught.value)


def test_every_problem_is_in_one_error(product: dict[str, Any]) -> None:
    bad = {
        "dagsterWebserver": {"replicas": 2, "resources": {"limits": {"cpu": "two"}}},
        "dagsterDaemon": {"heartbeatTolerance": "long"},
    }
    with pytest.raises(ValueError, match="3 problems") as caught:
        build_helm_values(workload_size="medium", overrides=bad, **product)
    message = str(caught.value)
    assert "unknown key 'replicas'" in message
    assert "'two' is not a valid quantity" in message
    assert "heartbeatTolerance" in message


def test_bundled_chart_defaults_alone_are_valid() -> None:
    assert validate_helm_values({}) == []


def test_validate_rejects_a_non_mapping() -> None:
    assert validate_helm_values(["dagsterWebserver"]) == [  # type: ignore[arg-type]
        "values: list given (allowed: a mapping of chart values)"
    ]
