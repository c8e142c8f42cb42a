"""The parts of ``CompiledArtifacts``, shaped as floe-core 0.10.0 writes them.

Field names, types and allowed values follow ``floe_core.schemas`` (compiled_artifacts,
telemetry, quality_score) so a file floe wrote reads back unchanged. Every part keeps keys it
does not know (``extra="allow"``): whether such a key is a mistake or a newer floe's addition is
decided by the loader from the file's version, not here. A part's ``repr`` never shows a secret.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from enum import Enum
from typing import Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from ._redact import redact
from ._validation import check_transform_name

__all__ = [
    "BatchSpanProcessorConfig",
    "CompilationMetadata",
    "DefaultSchedule",
    "DeploymentMode",
    "EnforcementResultSummary",
    "LoggingConfig",
    "ManifestRef",
    "ObservabilityConfig",
    "OrchestratorConfig",
    "OrchestratorPluginRef",
    "PluginRef",
    "ProductIdentity",
    "QualityCheck",
    "ResolvedGovernance",
    "ResolvedModel",
    "ResolvedPlugins",
    "ResolvedTransforms",
    "ResourceAttributes",
    "SamplingConfig",
    "ScheduleSpec",
    "TelemetryAuth",
    "TelemetryConfig",
]

# floe's PRODUCT_NAME_PATTERN: the name also becomes Python code (definitions.py) and job names.
PRODUCT_NAME_PATTERN = r"^[a-zA-Z][a-zA-Z0-9_-]*$"
_SEMVER = r"^\d+\.\d+\.\d+$"
NAMES_CHECKED = "floe_names_checked"
Environment = Literal["dev", "staging", "prod"]


class Part(BaseModel):
    """Base of every part: frozen, keeps unknown keys, masks secrets in its repr."""

    model_config = ConfigDict(
        extra="allow", frozen=True, json_schema_extra={"additionalProperties": False}
    )
    # Parts whose unknown keys are normal (free-form plugin configuration): never reported.
    open_keys: ClassVar[bool] = False

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        for name, value in super().__repr_args__():
            yield name, value if isinstance(value, BaseModel) else redact(value)


class DeploymentMode(str, Enum):
    """How the product is deployed: alone, on a central platform, or in a data mesh."""

    SIMPLE = "simple"
    CENTRALIZED = "centralized"
    MESH = "mesh"


class CompilationMetadata(Part):
    compiled_at: datetime
    floe_version: str
    source_hash: str
    product_name: str = Field(min_length=1, max_length=128, pattern=PRODUCT_NAME_PATTERN)
    product_version: str


class ProductIdentity(Part):
    product_id: str = Field(min_length=1)
    domain: str = Field(min_length=1)
    repository: str
    namespace_registered: bool = False
    registration_timestamp: datetime | None = None


class ManifestRef(Part):
    """One manifest of the inheritance chain (enterprise, then domain)."""

    name: str
    version: str
    scope: Literal["enterprise", "domain"]
    ref: str


# -- plugins ---------------------------------------------------------------------------------
class PluginRef(Part):
    """A plugin floe resolved: its type (``duckdb``, ``polaris``...), version and configuration."""

    type: str = Field(min_length=1)
    version: str = Field(pattern=_SEMVER)
    config: dict[str, Any] | None = None


class ScheduleSpec(Part):
    """A schedule of a job over the product's assets."""

    job_name: str = Field(min_length=1)
    cron: str = Field(min_length=1)
    timezone: str = "UTC"


class DefaultSchedule(Part):
    """The product's own schedule: ``"0 6 * * *"`` or ``{cron, timezone, job_name}``.

    Without ``job_name`` it schedules the product's job (named after the product).
    """

    cron: str = Field(min_length=1)
    timezone: str = "UTC"
    job_name: str | None = Field(default=None, min_length=1)


class OrchestratorConfig(Part):
    """``plugins.orchestrator.config``: free-form for floe; ``default_schedule`` and
    ``schedules`` are read by this plugin (floe-core keeps them, it forbids unknown top-level
    keys)."""

    open_keys: ClassVar[bool] = True
    model_config = ConfigDict(json_schema_extra={"additionalProperties": True})

    default_schedule: DefaultSchedule | None = None
    schedules: list[ScheduleSpec] | None = None

    @field_validator("default_schedule", mode="before")
    @classmethod
    def _cron_alone(cls, value: Any) -> Any:
        return {"cron": value} if isinstance(value, str) else value


class OrchestratorPluginRef(PluginRef):
    config: OrchestratorConfig | None = None  # type: ignore[assignment]


class ResolvedPlugins(Part):
    compute: PluginRef
    orchestrator: OrchestratorPluginRef
    catalog: PluginRef | None = None
    storage: PluginRef | None = None
    ingestion: PluginRef | None = None
    semantic: PluginRef | None = None
    lineage_backend: PluginRef | None = None


# -- transforms ------------------------------------------------------------------------------
class QualityCheck(Part):
    """A quality check floe's quality gates attached to a model."""

    name: str = Field(min_length=1)
    type: str = Field(min_length=1)
    column: str | None = None
    dimension: Literal["completeness", "accuracy", "validity", "consistency", "timeliness"]
    severity: Literal["critical", "warning", "info"] = "warning"
    custom_weight: float | None = Field(default=None, ge=0.1, le=10.0)
    parameters: dict[str, Any] = Field(default_factory=dict)
    enabled: bool = True


class ResolvedModel(Part):
    """One dbt model; ``compute`` names the compute plugin it runs on (never None)."""

    name: str
    compute: str = Field(min_length=1)
    tags: list[str] | None = None
    depends_on: list[str] | None = None
    quality_checks: list[QualityCheck] | None = None
    quality_tier: Literal["bronze", "silver", "gold"] | None = None

    @field_validator("name")
    @classmethod
    def _name_is_identifier(cls, value: str) -> str:
        problems = check_transform_name(value, "name")
        if problems:
            raise ValueError(problems[0].partition(": ")[2])
        return value


class ResolvedTransforms(Part):
    models: list[ResolvedModel] = Field(default_factory=list)
    default_compute: str = Field(min_length=1)

    @model_validator(mode="after")
    def _names_are_unique(self, info: ValidationInfo) -> ResolvedTransforms:
        if info.context and info.context.get(NAMES_CHECKED):
            return self  # the loader checked the raw data already, naming each path
        seen: dict[str, int] = {}
        problems = []
        for index, model in enumerate(self.models):
            if model.name in seen:
                problems.append(
                    f"models[{index}].name: {model.name!r} duplicates models[{seen[model.name]}] "
                    "(allowed: each name once)"
                )
            seen.setdefault(model.name, index)
        if problems:
            raise ValueError("; ".join(problems))
        return self


# -- governance and enforcement --------------------------------------------------------------
class ResolvedGovernance(Part):
    pii_encryption: Literal["required", "optional"] | None = None
    audit_logging: Literal["enabled", "disabled"] | None = None
    policy_enforcement_level: Literal["off", "warn", "strict"] | None = None
    data_retention_days: int | None = Field(default=None, ge=1)
    default_ttl_hours: int | None = Field(default=None, ge=1, le=8760)
    snapshot_keep_last: int | None = Field(default=None, ge=1, le=100)
    stale_table_recovery_mode: Literal["strict", "repair"] | None = None


class EnforcementResultSummary(Part):
    passed: bool
    error_count: int = Field(ge=0)
    warning_count: int = Field(ge=0)
    policy_types_checked: list[str]
    models_validated: int = Field(ge=0)
    enforcement_level: Literal["off", "warn", "strict"]
    rbac_principal: str | None = None
    secrets_scanned: int = Field(default=0, ge=0)


# -- observability ---------------------------------------------------------------------------
class ResourceAttributes(Part):
    service_name: str = Field(min_length=1, max_length=128)
    service_version: str = Field(pattern=r"^\d+\.\d+\.\d+.*$")
    deployment_environment: Environment
    floe_namespace: str = Field(min_length=1, max_length=128)
    floe_product_name: str = Field(min_length=1, max_length=128)
    floe_product_version: str
    floe_mode: Environment


class TelemetryAuth(Part):
    """Credentials for the OTLP collector; never shown (``SecretStr``)."""

    auth_type: Literal["api_key", "bearer"]
    api_key: SecretStr | None = None
    bearer_token: SecretStr | None = None
    header_name: str = "Authorization"

    @model_validator(mode="after")
    def _credentials_present(self) -> TelemetryAuth:
        if self.auth_type == "api_key" and not self.api_key:
            raise ValueError("api_key is required when auth_type is 'api_key'")
        if self.auth_type == "bearer" and not self.bearer_token:
            raise ValueError("bearer_token is required when auth_type is 'bearer'")
        return self


class SamplingConfig(Part):
    dev: float = Field(default=1.0, ge=0.0, le=1.0)
    staging: float = Field(default=0.5, ge=0.0, le=1.0)
    prod: float = Field(default=0.1, ge=0.0, le=1.0)


class BatchSpanProcessorConfig(Part):
    max_queue_size: int = Field(default=2048, gt=0)
    max_export_batch_size: int = Field(default=512, gt=0)
    schedule_delay_millis: int = Field(default=5000, gt=0)
    export_timeout_millis: int = Field(default=30000, gt=0)


class LoggingConfig(Part):
    log_level: str = Field(default="INFO", pattern=r"(?i)^(DEBUG|INFO|WARNING|ERROR|CRITICAL)$")
    json_output: bool = True


class TelemetryConfig(Part):
    """OpenTelemetry settings floe compiles for every product."""

    enabled: bool = True
    otlp_endpoint: str = "http://localhost:4317"
    otlp_protocol: Literal["grpc", "http"] = "grpc"
    sampling: SamplingConfig = Field(default_factory=SamplingConfig)
    resource_attributes: ResourceAttributes
    authentication: TelemetryAuth | None = None
    batch_processor: BatchSpanProcessorConfig = Field(default_factory=BatchSpanProcessorConfig)
    logging: LoggingConfig = Field(default_factory=LoggingConfig)
    backend: str = "console"


class ObservabilityConfig(Part):
    """Telemetry and lineage settings.

    ``lineage_endpoint`` is a URL for ``http`` and a path for ``file`` (``file`` is this
    contract's addition; floe writes ``http``, ``console``, ``noop`` or nothing). With no
    transport, an endpoint means ``http`` and no endpoint means OpenLineage's own settings.
    """

    telemetry: TelemetryConfig | None = None
    lineage: bool = True
    lineage_namespace: str = Field(default="floe", min_length=1)
    lineage_endpoint: str | None = None
    lineage_transport: Literal["http", "console", "file", "noop"] | None = None
