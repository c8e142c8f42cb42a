"""floe's orchestrator contract: the seed's entities, ``CompiledArtifacts``, rules and registry.

``CompiledArtifacts`` and its models are imported on first use: they need pydantic, which costs
more to import than everything else here, and plugin discovery should not pay for it.
"""

from typing import TYPE_CHECKING, Any

from .__about__ import __version__
from ._documents import (
    MAX_JSON_DEPTH,
    check_json_document,
    parse_json_document,
    read_json_file,
)
from ._entities import Dataset, ResourceSpec, TransformConfig, ValidationResult
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
from ._plugin import (
    HealthState,
    HealthStatus,
    OrchestratorPlugin,
    PluginMetadata,
    RunState,
    seed_call_datasets,
)
from ._redact import redact
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
from ._versions import ARTIFACTS_VERSION_HISTORY, ArtifactsWarning, classify_version

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

_LAZY = {
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
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from . import _artifacts

        value = getattr(_artifacts, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "ARTIFACTS_VERSION",
    "ARTIFACTS_VERSION_HISTORY",
    "FLOE_API_VERSION",
    "MATERIALIZATIONS",
    "MAX_JSON_DEPTH",
    "ORCHESTRATOR_GROUP",
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
