"""The rules the dagster chart's templates enforce with ``fail``, which no schema expresses.

Each mirrors one ``fail`` in the chart's templates (``helm template`` stops on it), checked on the
values coalesced over the chart's defaults. The real-Helm tests render every rule's probe to prove
the two agree.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["template_problems"]

_SUBCHART = "dagster-user-deployments"
_WIF_PROVIDERS = ("azure_wif", "gcp_wif", "aws_wif")


def _table(node: object, *path: str) -> Mapping[str, Any]:
    """The mapping at ``path`` under ``node``, or an empty one (a template sees nil as empty)."""
    for key in path:
        node = node.get(key) if isinstance(node, Mapping) else None
    return node if isinstance(node, Mapping) else {}


def template_problems(merged: Mapping[str, Any]) -> list[str]:
    """Problems ``helm template`` would stop on, for values coalesced over the chart defaults."""
    return [
        *_user_deployment_problems(merged),
        *_workspace_problems(merged),
        *_concurrency_problems(merged),
        *_postgres_auth_problems(merged),
    ]


def _user_deployment_problems(merged: Mapping[str, Any]) -> list[str]:
    user_code = _table(merged, _SUBCHART)
    problems = []
    if user_code.get("enableSubchart") and not user_code.get("enabled"):
        problems.append(
            f"{_SUBCHART}.enableSubchart: true while {_SUBCHART}.enabled is false, so no "
            "workspace.yaml is created (allowed: enabled: true with enableSubchart: true)"
        )
    if not user_code.get("enableSubchart"):
        return problems
    deployments = user_code.get("deployments")
    for index, deployment in enumerate(deployments if isinstance(deployments, list) else []):
        if not isinstance(deployment, Mapping) or not deployment.get("codeServerArgs"):
            continue
        replicas = deployment.get("replicaCount") or 1
        if isinstance(replicas, (int, float)) and not isinstance(replicas, bool) and replicas > 1:
            problems.append(
                f"{_SUBCHART}.deployments[{index}]: codeServerArgs with replicaCount {replicas} "
                "(allowed: replicaCount 1 with codeServerArgs, since a reloadable code server "
                "cannot be reloaded consistently across replicas; or dagsterApiGrpcArgs, i.e. "
                "code_server=False, for several replicas)"
            )
    return problems


def _workspace_problems(merged: Mapping[str, Any]) -> list[str]:
    if not _table(merged, _SUBCHART).get("enabled"):
        return []
    workspace = _table(merged, "dagsterWebserver", "workspace")
    if workspace.get("enabled") and workspace.get("servers") and workspace.get("externalConfigmap"):
        return [
            "dagsterWebserver.workspace: both servers and externalConfigmap are set "
            "(allowed: one of them)"
        ]
    return []


def _concurrency_problems(merged: Mapping[str, Any]) -> list[str]:
    concurrency = _table(merged, "concurrency")
    coordinator = _table(merged, "dagsterDaemon", "runCoordinator")
    if not concurrency.get("enabled") or not (
        coordinator.get("enabled") and coordinator.get("type") == "QueuedRunCoordinator"
    ):
        return []
    queued = _table(coordinator, "config", "queuedRunCoordinator")
    runs = _table(concurrency, "runs")
    pools = _table(concurrency, "pools")
    queued_path = "dagsterDaemon.runCoordinator.config.queuedRunCoordinator"
    problems = []
    if runs.get("maxConcurrentRuns") is not None and queued.get("maxConcurrentRuns") is not None:
        problems.append(
            f"concurrency.runs.maxConcurrentRuns and {queued_path}.maxConcurrentRuns are both set "
            "(allowed: one of them; concurrency.runs is the recommended one)"
        )
    if runs.get("tagConcurrencyLimits") and queued.get("tagConcurrencyLimits"):
        problems.append(
            f"concurrency.runs.tagConcurrencyLimits and {queued_path}.tagConcurrencyLimits are "
            "both set (allowed: one of them)"
        )
    block = queued.get("blockOpConcurrencyLimitedRuns")
    if (
        pools.get("opGranularityRunBuffer") is not None
        and block
        and _table(queued, "blockOpConcurrencyLimitedRuns").get("opConcurrencySlotBuffer")
        is not None
    ):
        problems.append(
            "concurrency.pools.opGranularityRunBuffer and "
            f"{queued_path}.blockOpConcurrencyLimitedRuns.opConcurrencySlotBuffer are both set "
            "(allowed: one of them)"
        )
    return problems


def _postgres_auth_problems(merged: Mapping[str, Any]) -> list[str]:
    if not _table(merged, "global").get("postgresqlAuthWifEnabled"):
        return []
    provider = _table(merged, "postgresql", "authProvider")
    kind = provider.get("type")
    if kind not in _WIF_PROVIDERS:
        return [
            f"postgresql.authProvider.type: {kind!r} with global.postgresqlAuthWifEnabled "
            f"(allowed: {', '.join(_WIF_PROVIDERS)})"
        ]
    if kind == "aws_wif" and not provider.get("awsRegion"):
        return [
            "postgresql.authProvider.awsRegion: empty with type aws_wif (allowed: the AWS region "
            "of the database, e.g. eu-west-1)"
        ]
    return []
