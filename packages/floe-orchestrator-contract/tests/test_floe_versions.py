"""Every CompiledArtifacts version floe has written loads, is kept whole, and a newer floe's
additions load with one warning; mistakes in a known version stay one error naming each."""

from __future__ import annotations

import copy
import json
import os
import warnings
from pathlib import Path
from typing import Any

import pytest

from floe_orchestrator_contract import (
    ARTIFACTS_VERSION,
    ARTIFACTS_VERSION_HISTORY,
    ArtifactsWarning,
    CompiledArtifacts,
    ContractValidationError,
    classify_version,
)

FLOE_CORE = (
    Path(os.environ.get("FLOE_REFERENCE_DIR") or Path(__file__).parents[3] / "tests" / "reference")
    / "floe-core"
)
GOLDEN = sorted(FLOE_CORE.glob("v0.*_compiled_artifacts*.json"))


def floe_0_10(**changes: Any) -> dict[str, Any]:
    """A product as floe-core 0.10.0 writes it (model_dump(mode="json"): every key present)."""
    data: dict[str, Any] = {
        "version": "0.10.0",
        "metadata": {
            "compiled_at": "2026-03-02T09:30:00Z",
            "floe_version": "0.3.0",
            "source_hash": "sha256:1f2e",
            "product_name": "customer-360",
            "product_version": "2.1.0",
        },
        "identity": {
            "product_id": "sales.customer_360",
            "domain": "sales",
            "repository": "github.com/acme/customer-360",
            "namespace_registered": True,
            "registration_timestamp": "2026-03-01T08:00:00Z",
        },
        "mode": "centralized",
        "inheritance_chain": [
            {
                "name": "acme-enterprise",
                "version": "3.0.0",
                "scope": "enterprise",
                "ref": "oci://registry.acme.dev/manifests/enterprise:3.0.0",
            }
        ],
        "observability": {
            "telemetry": {
                "enabled": True,
                "otlp_endpoint": "http://otel-collector:4317",
                "otlp_protocol": "grpc",
                "sampling": {"dev": 1.0, "staging": 0.5, "prod": 0.1},
                "resource_attributes": {
                    "service_name": "customer-360",
                    "service_version": "2.1.0",
                    "deployment_environment": "dev",
                    "floe_namespace": "sales",
                    "floe_product_name": "customer-360",
                    "floe_product_version": "2.1.0",
                    "floe_mode": "dev",
                },
                "authentication": {
                    "auth_type": "api_key",
                    "api_key": "otlp-key-do-not-show",
                    "bearer_token": None,
                    "header_name": "DD-API-KEY",
                },
                "batch_processor": {
                    "max_queue_size": 2048,
                    "max_export_batch_size": 512,
                    "schedule_delay_millis": 5000,
                    "export_timeout_millis": 30000,
                },
                "logging": {"log_level": "INFO", "json_output": True},
                "backend": "jaeger",
            },
            "lineage": True,
            "lineage_namespace": "sales",
            "lineage_endpoint": None,
            "lineage_transport": None,
        },
        "plugins": {
            "compute": {"type": "duckdb", "version": "1.1.0", "config": {"threads": 4}},
            "orchestrator": {
                "type": "dagster",
                "version": "0.1.0",
                "config": {"default_schedule": {"cron": "0 5 * * *", "timezone": "Europe/Berlin"}},
            },
            "catalog": {
                "type": "polaris",
                "version": "0.1.0",
                "config": {"uri": "http://polaris:8181", "client_secret": "polaris-do-not-show"},
            },
            "storage": None,
            "ingestion": None,
            "semantic": None,
            "lineage_backend": {
                "type": "marquez",
                "version": "0.1.0",
                "config": {"url": "http://marquez:5000"},
            },
        },
        "transforms": {
            "models": [
                {
                    "name": "stg_customers",
                    "compute": "duckdb",
                    "tags": ["staging"],
                    "depends_on": None,
                    "quality_checks": [
                        {
                            "name": "customer_id_not_null",
                            "type": "not_null",
                            "column": "customer_id",
                            "dimension": "completeness",
                            "severity": "critical",
                            "custom_weight": None,
                            "parameters": {},
                            "enabled": True,
                        }
                    ],
                    "quality_tier": "gold",
                }
            ],
            "default_compute": "duckdb",
        },
        "dbt_profiles": {
            "customer-360": {
                "target": "dev",
                "outputs": {"dev": {"type": "duckdb", "path": "x.duckdb", "password": "pw-hidden"}},
            }
        },
        "governance": {
            "pii_encryption": "required",
            "audit_logging": "enabled",
            "policy_enforcement_level": "strict",
            "data_retention_days": 90,
            "default_ttl_hours": 720,
            "snapshot_keep_last": 10,
            "stale_table_recovery_mode": "strict",
        },
        "enforcement_result": {
            "passed": True,
            "error_count": 0,
            "warning_count": 1,
            "policy_types_checked": ["naming"],
            "models_validated": 1,
            "enforcement_level": "strict",
            "rbac_principal": None,
            "secrets_scanned": 0,
        },
        "data_contracts": [],
        "quality_config": {"provider": "great_expectations", "enabled": True},
    }
    data.update(changes)
    return data


SECRETS = ("otlp-key-do-not-show", "polaris-do-not-show", "pw-hidden")


def load_quietly(data: dict[str, Any]) -> CompiledArtifacts:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return CompiledArtifacts.from_dict(data)


def test_the_history_is_floes() -> None:
    assert ARTIFACTS_VERSION == "0.10.0"
    assert list(ARTIFACTS_VERSION_HISTORY) == [f"0.{n}.0" for n in range(1, 11)]


@pytest.mark.parametrize("version", list(ARTIFACTS_VERSION_HISTORY))
def test_every_version_floe_wrote_loads(version: str) -> None:
    artifacts = load_quietly(floe_0_10(version=version))
    assert artifacts.version == version
    assert classify_version(version) == "known"


@pytest.mark.parametrize("fixture", GOLDEN, ids=lambda p: p.name)
def test_floes_golden_fixtures_load_and_keep_every_key(fixture: Path) -> None:
    data = json.loads(fixture.read_text())
    artifacts = load_quietly(data)
    assert artifacts.metadata.product_name.startswith("golden")
    # Nothing floe wrote is lost: the model writes back exactly what was read.
    assert artifacts.model_dump(mode="json", exclude_unset=True) == data


def test_the_golden_fixtures_are_there() -> None:
    assert len(GOLDEN) == 3, FLOE_CORE


def test_a_0_10_product_is_typed_where_the_plugin_reads_it() -> None:
    artifacts = load_quietly(floe_0_10())
    assert artifacts.plugins is not None
    assert artifacts.transforms is not None
    assert artifacts.plugins.compute.type == "duckdb"
    assert artifacts.plugins.lineage_backend is not None
    assert artifacts.observability.telemetry is not None
    assert artifacts.observability.telemetry.resource_attributes.deployment_environment == "dev"
    model = artifacts.transforms.models[0]
    assert model.quality_tier == "gold"
    assert model.quality_checks is not None
    assert model.quality_checks[0].severity == "critical"
    assert artifacts.governance is not None
    assert artifacts.governance.snapshot_keep_last == 10
    assert artifacts.compute_plugins == ["duckdb"]
    assert artifacts.quality_config == {"provider": "great_expectations", "enabled": True}
    (schedule,) = artifacts.schedule_specs()
    assert (schedule.job_name, schedule.cron, schedule.timezone) == (
        "customer_360_job",
        "0 5 * * *",
        "Europe/Berlin",
    )


def test_schedules_live_where_floe_keeps_them_and_are_never_written_top_level() -> None:
    data = floe_0_10()
    data["plugins"]["orchestrator"]["config"] = {
        "default_schedule": "30 2 * * *",
        "schedules": [{"job_name": "weekly", "cron": "0 3 * * 1"}],
        "retries": 3,  # the orchestrator's config is free-form for floe
    }
    artifacts = load_quietly(data)
    assert [(s.job_name, s.cron, s.timezone) for s in artifacts.schedule_specs()] == [
        ("weekly", "0 3 * * 1", "UTC"),
        ("customer_360_job", "30 2 * * *", "UTC"),
    ]
    assert "schedules" not in artifacts.model_dump(mode="json")
    seed_shaped = load_quietly(
        {**floe_0_10(), "schedules": [{"job_name": "daily", "cron": "0 6 * * *"}]}
    )
    assert [s.job_name for s in seed_shaped.schedule_specs()] == ["daily", "customer_360_job"]
    assert seed_shaped.model_dump(mode="json")["schedules"] == [
        {"job_name": "daily", "cron": "0 6 * * *", "timezone": "UTC"}
    ]


def test_a_bad_schedule_in_the_orchestrator_config_is_named() -> None:
    data = floe_0_10()
    data["plugins"]["orchestrator"]["config"] = {"default_schedule": {"timezone": "UTC"}}
    with pytest.raises(ContractValidationError) as caught:
        CompiledArtifacts.from_dict(data)
    assert caught.value.problems == (
        "plugins.orchestrator.config.default_schedule.cron: required key is missing",
    )


def test_mistakes_in_a_known_version_are_one_error_naming_each() -> None:
    data = floe_0_10()
    data["plugins"]["compute"]["tpye"] = "duckdb"
    data["observability"]["telemetry"]["enabeld"] = False
    data["governance"]["data_retention_days"] = "ninety"
    data["transforms"]["models"][0]["quality_tier"] = "platinum"
    data["transforms"]["models"][0]["quality_checks"][0]["dimension"] = "beauty"
    with pytest.raises(ContractValidationError) as caught:
        CompiledArtifacts.from_dict(data)
    problems = caught.value.problems
    assert len(problems) == 5, problems
    assert any(
        p.startswith("plugins.compute.tpye: unknown key 'tpye' (allowed: type,") for p in problems
    )
    assert any(p.startswith("observability.telemetry.enabeld: unknown key") for p in problems)
    assert any(p.startswith("governance.data_retention_days: 'ninety'") for p in problems)
    assert any(
        "transforms.models[0].quality_tier: 'platinum' is not allowed (allowed: 'bronze'" in p
        for p in problems
    )
    assert any(p.startswith("transforms.models[0].quality_checks[0].dimension") for p in problems)


def test_comments_are_allowed_on_any_object_and_kept() -> None:
    data = floe_0_10()
    data["$comment"] = "compiled for the demo"
    data["plugins"]["$comment"] = "from the acme manifest"
    data["transforms"]["models"][0]["$comment"] = "gold since March"
    artifacts = load_quietly(data)
    dumped = artifacts.model_dump(mode="json")
    assert dumped["$comment"] == "compiled for the demo"
    assert dumped["transforms"]["models"][0]["$comment"] == "gold since March"


def test_a_newer_minor_loads_with_one_warning_naming_what_was_not_understood() -> None:
    data = floe_0_10(version="0.11.0", lineage_policy={"strict": True})
    data["observability"]["lineage_sampling"] = 0.5
    data["transforms"]["models"][0]["freshness"] = {"warn_after": "12h"}
    data["plugins"]["orchestrator"]["config"]["retries"] = 2  # free-form: understood
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        artifacts = CompiledArtifacts.from_dict(data)
    assert [w.category for w in caught] == [ArtifactsWarning]
    message = str(caught[0].message)
    assert "compiled artifacts 0.11.0 of 'customer-360' are newer than this plugin knows" in message
    assert "3 part(s) not understood" in message
    for path in (
        "lineage_policy",
        "observability.lineage_sampling",
        "transforms.models[0].freshness",
    ):
        assert path in message
    assert artifacts.not_understood == (
        "lineage_policy",
        "observability.lineage_sampling",
        "transforms.models[0].freshness",
    )
    dumped = artifacts.model_dump(mode="json")  # kept as they are
    assert dumped["lineage_policy"] == {"strict": True}
    assert dumped["transforms"]["models"][0]["freshness"] == {"warn_after": "12h"}


def test_a_newer_minor_still_needs_what_the_plugin_reads() -> None:
    data = floe_0_10(version="0.12.3")
    data["transforms"]["models"][0]["compute"] = 7
    with pytest.raises(ContractValidationError, match=r"transforms.models\[0\].compute: 7"):
        CompiledArtifacts.from_dict(data)
    assert load_quietly(floe_0_10(version="0.12.3")).version == "0.12.3"  # nothing new: silent


@pytest.mark.parametrize("version", ["1.0.0", "0.0.9", "0.10", "v0.10.0"])
def test_versions_floe_never_wrote_are_refused(version: str) -> None:
    with pytest.raises(ContractValidationError, match=f"version: '{version}' is not supported"):
        CompiledArtifacts.from_dict(floe_0_10(version=version))


def test_secrets_never_show_in_reprs_or_errors() -> None:
    data = floe_0_10()
    data["observability"]["lineage_endpoint"] = "https://lineage:url-pw-hidden@marquez:5000"
    artifacts = load_quietly(data)
    shown = repr(artifacts) + str(artifacts) + repr(artifacts.plugins)
    assert "polaris-do-not-show" not in shown
    assert "otlp-key-do-not-show" not in shown
    assert "pw-hidden" not in shown
    assert "client_secret='***'" in shown or "'client_secret': '***'" in shown
    # The secret is still there for whoever needs it (dbt reads the password from the profile).
    assert artifacts.dbt_profiles is not None
    assert artifacts.dbt_profiles["customer-360"]["outputs"]["dev"]["password"] == "pw-hidden"
    broken = copy.deepcopy(data)
    broken["plugins"]["catalog"]["config"] = "polaris-do-not-show"
    broken["observability"]["telemetry"]["authentication"]["api_key"] = 12345
    broken["dbt_profiles"] = ["pw-hidden"]
    with pytest.raises(ContractValidationError) as caught:
        CompiledArtifacts.from_dict(broken)
    assert len(caught.value.problems) == 3
    assert not any(secret in str(caught.value) for secret in (*SECRETS, "12345"))
    assert "plugins.catalog.config: a value of type str is not allowed" in str(caught.value)


def test_the_schema_is_strict_about_keys() -> None:
    schema = CompiledArtifacts.json_schema()
    assert schema["additionalProperties"] is False
    assert schema["$defs"]["ResolvedModel"]["additionalProperties"] is False
    assert schema["$defs"]["OrchestratorConfig"]["additionalProperties"] is True
