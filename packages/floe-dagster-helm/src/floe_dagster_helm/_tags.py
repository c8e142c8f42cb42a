"""The ``dagster-k8s/config`` tag that sizes one step's pod under the k8s executor."""

from __future__ import annotations

import json

from floe_orchestrator_contract import ResourceSpec

from ._presets import resources_dict, validate_resource_spec

__all__ = ["DAGSTER_K8S_CONFIG_TAG", "k8s_step_resources_tag"]

DAGSTER_K8S_CONFIG_TAG = "dagster-k8s/config"


def k8s_step_resources_tag(spec: ResourceSpec) -> dict[str, str]:
    """``{"dagster-k8s/config": <JSON>}`` giving a step's container ``spec``'s requests and limits.

    The value is the JSON that dagster-k8s reads from op tags (``container_config.resources``), so
    ``op_tags=k8s_step_resources_tag(get_resource_requirements("large"))`` on an asset or op makes
    the ``k8s_job_executor`` (and the run launcher) start its pod with that size. Use it as op
    tags, not asset ``tags``: Dagster limits asset tag values to 63 plain characters.

    ``spec`` is checked first (``validate_resource_spec``); a bad one raises ``ValueError``.
    """
    validate_resource_spec(spec)
    config = {"container_config": {"resources": resources_dict(spec)}}
    return {DAGSTER_K8S_CONFIG_TAG: json.dumps(config)}
