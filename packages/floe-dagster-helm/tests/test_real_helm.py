"""The values, checked by Helm itself: ``helm lint`` and ``helm template`` of the whole dagster
chart, then ``kubernetes-validate --strict`` on every rendered manifest.

Run by ``nox -s helm``, which provides the ``helm`` binary (``FLOE_HELM``) and kubernetes-validate;
other sessions deselect these tests (marker ``real_helm``). The chart is the repository's copy
(``FLOE_REFERENCE_DIR/dagster-helm-chart-full``); its schema's remote Kubernetes ``$ref``s are
pointed at Kubernetes' own definitions (kubernetes-validate's, not strict, as the remote ones are),
so Helm's schema check runs in full without a network.
"""

from __future__ import annotations

import copy
import functools
import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from floe_dagster_helm import ExternalPostgres, build_helm_values

from . import _kubernetes
from ._probes import PROBES, Probe
from .conftest import REFERENCE_DIR

pytestmark = pytest.mark.real_helm

Verdict = Callable[[dict[str, Any]], list[str]]

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
    "pythonLogs": {"dagsterHandlerConfig": {"handlers": {"lineage": {"class": "logging.Handler"}}}},
}
DEPLOYMENT_OVERRIDES: dict[str, Any] = {
    "envSecrets": [{"name": "orders-dbt"}],
    "labels": {"team": "sales"},
    "env": [{"name": "FLOE_DBT_PROJECT_DIR", "value": "/opt/dagster/app"}],
}
POSTGRES = ExternalPostgres(
    host="orders-pg.data.svc.cluster.local",
    existing_secret="orders-dagster-pg",
    params={"sslmode": "require"},
)


@pytest.fixture(scope="session")
def helm() -> str:
    binary = os.environ.get("FLOE_HELM", "")
    assert Path(binary).is_file(), "FLOE_HELM must name a helm binary (nox -s helm)"
    return binary


@pytest.fixture(scope="session")
def chart(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The reference chart, its remote Kubernetes schema replaced by a local file."""
    source = REFERENCE_DIR / "dagster-helm-chart-full" / "dagster"
    assert source.is_dir(), f"reference chart missing: {source}"
    root = tmp_path_factory.mktemp("chart")
    target = root / "dagster"
    shutil.copytree(source, target)
    schemas = [
        target / "values.schema.json",
        target / "charts" / "dagster-user-deployments" / "values.schema.json",
    ]
    definitions = _kubernetes.extract(
        _kubernetes.kubernetes_validate_definitions(strict=False),
        [path.read_text() for path in schemas],
    )
    local = root / "kubernetes-definitions.json"
    local.write_text(_kubernetes.render(definitions))
    for path in schemas:
        path.write_text(path.read_text().replace(_kubernetes.CHART_K8S_URL, local.as_uri()))
    return target


@pytest.fixture(scope="session")
def verdict(helm: str, chart: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Verdict]:
    """What Helm says of ``values``: an empty list when lint, template and the manifests pass."""
    import kubernetes_validate
    import kubernetes_validate.utils

    # kubernetes-validate re-reads its 1 MB definitions file for every manifest; reading each
    # schema file once changes nothing it checks and makes the session several times faster.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            kubernetes_validate.utils,
            "schema_contents",
            functools.cache(kubernetes_validate.utils.schema_contents),
        )
        yield _verdict(helm, chart, tmp_path_factory.mktemp("values"), kubernetes_validate)


def _verdict(helm: str, chart: Path, work: Path, kubernetes_validate: Any) -> Verdict:
    version = _kubernetes.KUBERNETES_VERSION

    validated: dict[str, str] = {}  # manifest JSON -> problem ("" when valid): most repeat

    def check(values: dict[str, Any]) -> list[str]:
        path = work / "values.yaml"
        path.write_text(yaml.safe_dump(values, sort_keys=False))
        common = ["-f", str(path), "--kube-version", version]
        # lint and template side by side: two processes, two cores.
        lint = _start([helm, "lint", str(chart), *common])
        template = _start([helm, "template", "floe", str(chart), "--namespace", "floe", *common])
        lint_out, lint_err = lint.communicate(timeout=120)
        out, err = template.communicate(timeout=120)
        if lint.returncode != 0:
            return [f"helm lint: {lint_out}{lint_err}"]
        if template.returncode != 0:
            return [f"helm template: {err}"]
        problems = []
        for manifest in yaml.safe_load_all(out):
            if not manifest:
                continue
            key = json.dumps(manifest, sort_keys=True)
            if key not in validated:
                validated[key] = ""
                try:
                    kubernetes_validate.validate(manifest, version, strict=True)
                except kubernetes_validate.ValidationError as error:
                    name = f"{manifest['kind']}/{manifest['metadata']['name']}"
                    validated[key] = f"kubernetes-validate --strict {name}: {error.message}"
            if validated[key]:
                problems.append(validated[key])
        return problems

    return check


def _start(command: list[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


# Every preset plain on the bundled PostgreSQL, and with the overrides on an external one.
CASES = [
    (size, variant, variant) for size in ("small", "medium", "large") for variant in (False, True)
]


@pytest.mark.parametrize(
    ("size", "with_overrides", "with_postgres"),
    CASES,
    ids=[
        f"{s}-{'overrides' if o else 'plain'}-{'external_pg' if p else 'bundled_pg'}"
        for s, o, p in CASES
    ],
)
def test_every_preset_passes_helm_and_kubernetes(
    size: str, with_overrides: bool, with_postgres: bool, verdict: Verdict
) -> None:
    values = build_helm_values(
        workload_size=size,
        image="ghcr.io/acme/orders:1.2.0",
        code_location_name="orders",
        definitions_module="orders.definitions",
        postgresql=POSTGRES if with_postgres else None,
        deployment_overrides=copy.deepcopy(DEPLOYMENT_OVERRIDES) if with_overrides else None,
        overrides=copy.deepcopy(OVERRIDES) if with_overrides else None,
    )
    assert verdict(values) == []


def test_the_code_server_variant_passes_helm_and_kubernetes(verdict: Verdict) -> None:
    values = build_helm_values(
        image="ghcr.io/acme/orders:1.2.0", definitions_file="/app/defs.py", code_server=True
    )
    assert verdict(values) == []


@pytest.mark.parametrize("probe", PROBES, ids=[p.id for p in PROBES])
def test_each_probe_gets_the_verdict_it_records(probe: Probe, verdict: Verdict) -> None:
    problems = verdict(probe.values())
    assert (problems == []) == probe.accepted, problems


def test_the_bundled_kubernetes_definitions_are_current() -> None:
    from importlib import resources

    chart = resources.files("floe_dagster_helm").joinpath("chart")
    subchart = chart.joinpath("charts").joinpath("dagster-user-deployments")
    schemas = [
        chart.joinpath("values.schema.json").read_text("utf-8"),
        subchart.joinpath("values.schema.json").read_text("utf-8"),
    ]
    expected = _kubernetes.extract(_kubernetes.kubernetes_validate_definitions(), schemas)
    bundled = json.loads(chart.joinpath("kubernetes").joinpath("definitions.json").read_text())
    assert bundled == expected
