"""The package stands alone: its bundled chart is the reference one, and it brings no Dagster."""

from __future__ import annotations

import importlib.metadata
import json
import re
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest

import floe_dagster_helm

BUNDLED = [
    "values.yaml",
    "values.schema.json",
    "charts/dagster-user-deployments/values.yaml",
    "charts/dagster-user-deployments/values.schema.json",
]


@pytest.mark.parametrize("relative", BUNDLED)
def test_bundled_chart_files_are_the_reference_files(relative: str, chart_dir: Path) -> None:
    bundled = resources.files("floe_dagster_helm").joinpath("chart")
    for part in relative.split("/"):
        bundled = bundled.joinpath(part)
    assert bundled.read_bytes() == (chart_dir / relative).read_bytes()


FORBIDDEN = {"dagster", "dagster_dbt", "dagster_k8s", "dbt", "openlineage"}


def test_no_dagster_dbt_or_openlineage_is_required() -> None:
    requirements = importlib.metadata.requires("floe-dagster-helm") or []
    names = set()
    for requirement in requirements:
        match = re.match(r"[A-Za-z0-9._-]+", requirement)
        assert match is not None, requirement
        names.add(match.group().lower().replace("_", "-"))
    assert "floe-orchestrator-contract" in names
    assert not names & {"dagster", "dagster-dbt", "dagster-k8s", "dbt-core", "openlineage-python"}


# A finder that records every attempt to import a forbidden top-level module, installed or not.
_SCRIPT = """
import json, sys

attempts = []


class Recorder:
    @staticmethod
    def find_spec(name, path=None, target=None):
        if name.split(".")[0] in FORBIDDEN:
            attempts.append(name)
        return None


sys.meta_path.insert(0, Recorder)
import floe_dagster_helm as helm

values = helm.build_helm_values(
    workload_size="large", image="orders:1.0", definitions_module="orders.defs"
)
helm.render_values_yaml(values)
helm.k8s_step_resources_tag(helm.get_resource_requirements("medium"))
print(json.dumps(attempts))
"""


def test_rendering_values_never_tries_to_import_dagster_or_dbt() -> None:
    script = f"FORBIDDEN = {sorted(FORBIDDEN)!r}\n{_SCRIPT}"
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert json.loads(result.stdout) == []


def test_public_names_resolve() -> None:
    for name in floe_dagster_helm.__all__:
        assert getattr(floe_dagster_helm, name) is not None
    assert floe_dagster_helm.__version__ == importlib.metadata.version("floe-dagster-helm")
