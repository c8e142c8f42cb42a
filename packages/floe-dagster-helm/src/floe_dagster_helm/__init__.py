"""Resource presets and Helm values that the official Dagster chart accepts (no Dagster needed)."""

from .__about__ import __version__
from ._chart import validate_helm_values
from ._merge import deep_merge
from ._presets import RESOURCE_PRESETS, get_resource_requirements, validate_resource_spec
from ._render import render_values_yaml, write_values_file
from ._tags import DAGSTER_K8S_CONFIG_TAG, k8s_step_resources_tag
from ._values import DEFAULT_CODE_LOCATION, ExternalPostgres, build_helm_values

__all__ = [
    "DAGSTER_K8S_CONFIG_TAG",
    "DEFAULT_CODE_LOCATION",
    "RESOURCE_PRESETS",
    "ExternalPostgres",
    "__version__",
    "build_helm_values",
    "deep_merge",
    "get_resource_requirements",
    "k8s_step_resources_tag",
    "render_values_yaml",
    "validate_helm_values",
    "validate_resource_spec",
    "write_values_file",
]
