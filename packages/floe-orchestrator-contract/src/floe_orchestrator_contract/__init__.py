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
from ._plugin import OrchestratorPlugin, PluginMetadata
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

if TYPE_CHECKING:
    from ._artifacts import (
        ARTIFACTS_VERSION,
        CompilationMetadata,
        CompiledArtifacts,
        DeploymentMode,
        ObservabilityConfig,
        ProductIdentity,
        ResolvedModel,
        ResolvedTransforms,
        ScheduleSpec,
    )

_LAZY = {
    "ARTIFACTS_VERSION",
    "CompilationMetadata",
    "CompiledArtifacts",
    "DeploymentMode",
    "ObservabilityConfig",
    "ProductIdentity",
    "ResolvedModel",
    "ResolvedTransforms",
    "ScheduleSpec",
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
    "FLOE_API_VERSION",
    "MATERIALIZATIONS",
    "MAX_JSON_DEPTH",
    "ORCHESTRATOR_GROUP",
    "WORKLOAD_SIZES",
    "ColumnInfo",
    "ColumnLineage",
    "CompilationMetadata",
    "CompiledArtifacts",
    "ContractValidationError",
    "DataTestOutcome",
    "Dataset",
    "DeploymentMode",
    "NodeResult",
    "NodeRun",
    "NodeStatus",
    "ObservabilityConfig",
    "OrchestratorPlugin",
    "PluginError",
    "PluginIncompatibleError",
    "PluginInfo",
    "PluginMetadata",
    "PluginNotFoundError",
    "PluginRegistry",
    "PluginState",
    "ProductIdentity",
    "Relation",
    "ResolvedModel",
    "ResolvedTransforms",
    "ResourceSpec",
    "RunContext",
    "RunObserver",
    "ScheduleSpec",
    "TransformConfig",
    "ValidationResult",
    "Warehouse",
    "__version__",
    "check_dependency_graph",
    "check_json_document",
    "check_materialization",
    "check_transform_name",
    "check_workload_size",
    "clip_text",
    "find_cycles",
    "is_api_compatible",
    "parse_json_document",
    "read_json_file",
    "validate_transforms",
    "validate_workload_size",
]
