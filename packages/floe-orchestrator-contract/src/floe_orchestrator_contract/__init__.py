"""floe's orchestrator contract: the seed's entities, ``CompiledArtifacts``, rules and registry.

Only the plugin ABCs are imported with the package: everything else is imported on first use.
Discovering a plugin needs nothing but ``OrchestratorPlugin``, and floe discovers plugins on every
call; the rest costs more to import than the ABCs (dataclasses, logging, and pydantic for
``CompiledArtifacts``).
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

from .__about__ import __version__
from ._plugin import OrchestratorPlugin, PluginMetadata

if TYPE_CHECKING:
    from ._artifacts import (
        ARTIFACTS_VERSION,
        BatchSpanProcessorConfig,
        CompilationMetadata,
        CompiledArtifacts,
        DefaultSchedule,
        DeploymentMode,
        EnforcementResultSummary,
        LoggingConfig,
        ManifestRef,
        ObservabilityConfig,
        OrchestratorConfig,
        OrchestratorPluginRef,
        PluginRef,
        ProductIdentity,
        QualityCheck,
        ResolvedGovernance,
        ResolvedModel,
        ResolvedPlugins,
        ResolvedTransforms,
        ResourceAttributes,
        SamplingConfig,
        ScheduleSpec,
        TelemetryAuth,
        TelemetryConfig,
    )
    from ._documents import (
        MAX_JSON_DEPTH,
        check_json_document,
        parse_json_document,
        read_json_file,
    )
    from ._entities import (
        Dataset,
        ResourceSpec,
        TransformConfig,
        ValidationResult,
    )
    from ._errors import FloeError
    from ._keys import (
        COMPUTE_KEY,
        DBT_EXECUTION_TIME_KEY,
        DBT_FULL_REFRESH_TAG,
        DBT_STATUS_KEY,
        DBT_TARGET_KEY,
        DBT_UNIQUE_ID_KEY,
        DBT_VARS_TAG,
        GOVERNANCE_KEY,
        OBSERVED_BY_KEY,
        QUALITY_CHECKS_KEY,
        QUALITY_TIER_KEY,
    )
    from ._observer import (
        ColumnInfo,
        ColumnLineage,
        DataTestOutcome,
        NodeResult,
        NodeRun,
        NodeStatus,
        Relation,
        RunContext,
        RunObserver,
        Warehouse,
    )
    from ._plugin_values import (
        HealthState,
        HealthStatus,
        RunState,
        seed_call_datasets,
    )
    from ._redact import (
        redact,
    )
    from ._registry import (
        FLOE_API_VERSION,
        ORCHESTRATOR_GROUP,
        PluginError,
        PluginIncompatibleError,
        PluginInfo,
        PluginNotFoundError,
        PluginRegistry,
        PluginState,
        is_api_compatible,
    )
    from ._validation import (
        MATERIALIZATIONS,
        WORKLOAD_SIZES,
        ContractValidationError,
        check_dependency_graph,
        check_materialization,
        check_transform_name,
        check_workload_size,
        clip_text,
        find_cycles,
        validate_transforms,
        validate_workload_size,
    )
    from ._versions import (
        ARTIFACTS_VERSION_HISTORY,
        ArtifactsWarning,
        classify_version,
    )

# The module each name is imported from on first use.
_LAZY = {
    "FloeError": "_errors",
    **dict.fromkeys(
        (
            "COMPUTE_KEY",
            "DBT_EXECUTION_TIME_KEY",
            "DBT_FULL_REFRESH_TAG",
            "DBT_STATUS_KEY",
            "DBT_TARGET_KEY",
            "DBT_UNIQUE_ID_KEY",
            "DBT_VARS_TAG",
            "GOVERNANCE_KEY",
            "OBSERVED_BY_KEY",
            "QUALITY_CHECKS_KEY",
            "QUALITY_TIER_KEY",
        ),
        "_keys",
    ),
    **dict.fromkeys(
        (
            "ARTIFACTS_VERSION",
            "BatchSpanProcessorConfig",
            "CompilationMetadata",
            "CompiledArtifacts",
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
        ),
        "_artifacts",
    ),
    **dict.fromkeys(
        (
            "MAX_JSON_DEPTH",
            "check_json_document",
            "parse_json_document",
            "read_json_file",
        ),
        "_documents",
    ),
    **dict.fromkeys(
        (
            "Dataset",
            "ResourceSpec",
            "TransformConfig",
            "ValidationResult",
        ),
        "_entities",
    ),
    **dict.fromkeys(
        (
            "ColumnInfo",
            "ColumnLineage",
            "DataTestOutcome",
            "NodeResult",
            "NodeRun",
            "NodeStatus",
            "Relation",
            "RunContext",
            "RunObserver",
            "Warehouse",
        ),
        "_observer",
    ),
    **dict.fromkeys(
        (
            "HealthState",
            "HealthStatus",
            "RunState",
            "seed_call_datasets",
        ),
        "_plugin_values",
    ),
    **dict.fromkeys(
        ("redact",),
        "_redact",
    ),
    **dict.fromkeys(
        (
            "FLOE_API_VERSION",
            "ORCHESTRATOR_GROUP",
            "PluginError",
            "PluginIncompatibleError",
            "PluginInfo",
            "PluginNotFoundError",
            "PluginRegistry",
            "PluginState",
            "is_api_compatible",
        ),
        "_registry",
    ),
    **dict.fromkeys(
        (
            "MATERIALIZATIONS",
            "WORKLOAD_SIZES",
            "ContractValidationError",
            "check_dependency_graph",
            "check_materialization",
            "check_transform_name",
            "check_workload_size",
            "clip_text",
            "find_cycles",
            "validate_transforms",
            "validate_workload_size",
        ),
        "_validation",
    ),
    **dict.fromkeys(
        (
            "ARTIFACTS_VERSION_HISTORY",
            "ArtifactsWarning",
            "classify_version",
        ),
        "_versions",
    ),
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


__all__ = [
    "ARTIFACTS_VERSION",
    "ARTIFACTS_VERSION_HISTORY",
    "COMPUTE_KEY",
    "DBT_EXECUTION_TIME_KEY",
    "DBT_FULL_REFRESH_TAG",
    "DBT_STATUS_KEY",
    "DBT_TARGET_KEY",
    "DBT_UNIQUE_ID_KEY",
    "DBT_VARS_TAG",
    "FLOE_API_VERSION",
    "GOVERNANCE_KEY",
    "MATERIALIZATIONS",
    "MAX_JSON_DEPTH",
    "OBSERVED_BY_KEY",
    "ORCHESTRATOR_GROUP",
    "QUALITY_CHECKS_KEY",
    "QUALITY_TIER_KEY",
    "WORKLOAD_SIZES",
    "ArtifactsWarning",
    "BatchSpanProcessorConfig",
    "ColumnInfo",
    "ColumnLineage",
    "CompilationMetadata",
    "CompiledArtifacts",
    "ContractValidationError",
    "DataTestOutcome",
    "Dataset",
    "DefaultSchedule",
    "DeploymentMode",
    "EnforcementResultSummary",
    "FloeError",
    "HealthState",
    "HealthStatus",
    "LoggingConfig",
    "ManifestRef",
    "NodeResult",
    "NodeRun",
    "NodeStatus",
    "ObservabilityConfig",
    "OrchestratorConfig",
    "OrchestratorPlugin",
    "OrchestratorPluginRef",
    "PluginError",
    "PluginIncompatibleError",
    "PluginInfo",
    "PluginMetadata",
    "PluginNotFoundError",
    "PluginRef",
    "PluginRegistry",
    "PluginState",
    "ProductIdentity",
    "QualityCheck",
    "Relation",
    "ResolvedGovernance",
    "ResolvedModel",
    "ResolvedPlugins",
    "ResolvedTransforms",
    "ResourceAttributes",
    "ResourceSpec",
    "RunContext",
    "RunObserver",
    "RunState",
    "SamplingConfig",
    "ScheduleSpec",
    "TelemetryAuth",
    "TelemetryConfig",
    "TransformConfig",
    "ValidationResult",
    "Warehouse",
    "__version__",
    "check_dependency_graph",
    "check_json_document",
    "check_materialization",
    "check_transform_name",
    "check_workload_size",
    "classify_version",
    "clip_text",
    "find_cycles",
    "is_api_compatible",
    "parse_json_document",
    "read_json_file",
    "redact",
    "seed_call_datasets",
    "validate_transforms",
    "validate_workload_size",
]
