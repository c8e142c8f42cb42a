from __future__ import annotations

import json

import pytest

from floe_dagster_helm import (
    DAGSTER_K8S_CONFIG_TAG,
    get_resource_requirements,
    k8s_step_resources_tag,
)
from floe_orchestrator_contract import ResourceSpec

# The keys dagster-k8s accepts in the tag's JSON (USER_DEFINED_K8S_JOB_CONFIG_SCHEMA in
# dagster_k8s/job.py); it json.loads the tag value, which must therefore be a string.
DAGSTER_K8S_CONFIG_KEYS = {
    "container_config",
    "pod_template_spec_metadata",
    "pod_spec_config",
    "job_config",
    "job_metadata",
    "job_spec_config",
    "merge_behavior",
}


@pytest.mark.parametrize("size", ["small", "medium", "large"])
def test_the_tag_carries_the_spec_as_container_resources(size: str) -> None:
    spec = get_resource_requirements(size)
    tags = k8s_step_resources_tag(spec)

    assert list(tags) == ["dagster-k8s/config"] == [DAGSTER_K8S_CONFIG_TAG]
    assert all(isinstance(value, str) for value in tags.values())
    config = json.loads(tags["dagster-k8s/config"])
    assert set(config) <= DAGSTER_K8S_CONFIG_KEYS
    assert config == {
        "container_config": {
            "resources": {
                "requests": {"cpu": spec.cpu_request, "memory": spec.memory_request},
                "limits": {"cpu": spec.cpu_limit, "memory": spec.memory_limit},
            }
        }
    }


def test_a_custom_spec_is_kept_as_written() -> None:
    spec = ResourceSpec(cpu_request="1.5", cpu_limit="3", memory_request="6G", memory_limit="12Gi")
    resources = json.loads(k8s_step_resources_tag(spec)[DAGSTER_K8S_CONFIG_TAG])[
        "container_config"
    ]["resources"]
    assert resources == {
        "requests": {"cpu": "1.5", "memory": "6G"},
        "limits": {"cpu": "3", "memory": "12Gi"},
    }


def test_a_bad_spec_gives_no_tag() -> None:
    with pytest.raises(ValueError, match="2 problems") as caught:
        k8s_step_resources_tag(
            ResourceSpec(cpu_request="lots", memory_request="9Gi", memory_limit="1Gi")
        )
    assert "cpu_request: 'lots'" in str(caught.value)
    assert "memory_request '9Gi' is greater than memory_limit '1Gi'" in str(caught.value)
