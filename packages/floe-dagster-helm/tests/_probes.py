"""Values that probe where the real chart draws its lines, with the verdict Helm gives each.

Each probe changes one part of a valid product's values. ``accepted`` is what the real chart says:
``helm lint`` and ``helm template`` (its schema with Kubernetes' definitions, and the ``fail``s of
its templates), then ``kubernetes-validate --strict`` on the rendered manifests. The real-Helm
session (``nox -s helm``) proves each verdict against Helm itself; ``test_probes`` holds
``validate_helm_values`` to the same verdicts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from floe_dagster_helm import build_helm_values, deep_merge

USER_CODE = "dagster-user-deployments"


@dataclass(frozen=True)
class Probe:
    id: str
    where: str  # a top-level key, "user-code" (the code location's deployment) or "" (the root)
    patch: dict[str, Any]
    accepted: bool
    # For a rejected probe: words the package's problem must contain.
    because: str = ""
    code_server: bool = False
    tags: tuple[str, ...] = field(default=())

    def values(self) -> dict[str, Any]:
        values = build_helm_values(
            workload_size="small",
            image="ghcr.io/acme/orders:1.2.0",
            code_location_name="orders",
            definitions_module="orders.definitions",
            code_server=self.code_server,
        )
        if self.where == "user-code":
            deployments = values[USER_CODE]["deployments"]
            deployments[0] = deep_merge(deployments[0], self.patch)
            return values
        if self.where:
            return deep_merge(values, {self.where: self.patch})
        return deep_merge(values, self.patch)


WEB = "dagsterWebserver"
DAEMON = "dagsterDaemon"

PROBES = [
    # -- Kubernetes sub-objects: only the chart's remote Kubernetes schema checks them ------------
    Probe(
        "securityContext-type",
        WEB,
        {"securityContext": {"runAsUser": "root"}},
        False,
        "securityContext.runAsUser: 'root' is not of type",
    ),
    Probe(
        "securityContext-unknown-key",
        WEB,
        {"securityContext": {"runAsUserName": "app"}},
        False,
        "securityContext: unknown key 'runAsUserName'",
    ),
    Probe(
        "securityContext-capabilities",
        DAEMON,
        {"securityContext": {"capabilities": {"add": "NET_ADMIN"}}},
        False,
        "capabilities.add: 'NET_ADMIN' is not of type",
    ),
    Probe(
        "podSecurityContext-type",
        "user-code",
        {"podSecurityContext": {"fsGroup": "staff"}},
        False,
        "podSecurityContext.fsGroup: 'staff' is not of type",
    ),
    Probe(
        "readinessProbe-type",
        WEB,
        {"readinessProbe": {"periodSeconds": "ten"}},
        False,
        "readinessProbe.periodSeconds: 'ten' is not of type",
    ),
    Probe(
        "livenessProbe-without-port",
        "user-code",
        {"livenessProbe": {"tcpSocket": {"host": "localhost"}}},
        False,
        "livenessProbe.tcpSocket: 'port' is a required property",
    ),
    Probe(
        "env-entry-without-name",
        DAEMON,
        {"env": [{"value": "1"}]},
        False,
        "env[0]: 'name' is a required property",
    ),
    Probe(
        "env-map-number",
        WEB,
        {"env": {"WORKERS": 4}},
        False,
        "env.WORKERS: 4 is not of type 'string'",
    ),
    Probe(
        "volume-without-name",
        "user-code",
        {"volumes": [{"emptyDir": {}}]},
        False,
        "volumes[0]: 'name' is a required property",
    ),
    Probe(
        "volumeMount-without-path",
        "user-code",
        {
            "volumes": [{"name": "data", "emptyDir": {}}],
            "volumeMounts": [{"name": "data"}],
        },
        False,
        "volumeMounts[0]: 'mountPath' is a required property",
    ),
    Probe(
        "affinity-shape",
        DAEMON,
        {
            "affinity": {
                "nodeAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": "gpu"}
                }
            }
        },
        False,
        "nodeSelectorTerms: 'gpu' is not of type 'array'",
    ),
    Probe(
        "tolerations-type",
        WEB,
        {"tolerations": [{"key": "pool", "tolerationSeconds": "soon"}]},
        False,
        "tolerationSeconds: 'soon' is not of type",
    ),
    # -- rules the chart's templates enforce with `fail` ----------------------------------------
    Probe(
        "code-server-two-replicas",
        "user-code",
        {"replicaCount": 2},
        False,
        "codeServerArgs with replicaCount 2",
        code_server=True,
    ),
    Probe(
        "concurrency-set-twice",
        "",
        {
            "concurrency": {"enabled": True, "runs": {"maxConcurrentRuns": 5}},
            DAEMON: {
                "runCoordinator": {"config": {"queuedRunCoordinator": {"maxConcurrentRuns": 10}}}
            },
        },
        False,
        "maxConcurrentRuns are both set",
    ),
    Probe(
        "user-code-subchart-without-workspace",
        "",
        {USER_CODE: {"enabled": False}},
        False,
        "enableSubchart: true while dagster-user-deployments.enabled is false",
    ),
    Probe(
        "wif-auth-without-provider",
        "",
        {"global": {"postgresqlAuthWifEnabled": True}},
        False,
        "postgresql.authProvider.type: ''",
    ),
    # -- what must stay accepted ---------------------------------------------------------------
    Probe(
        "securityContext-hardened",
        WEB,
        {
            "securityContext": {
                "runAsUser": 1000,
                "runAsNonRoot": True,
                "allowPrivilegeEscalation": False,
                "capabilities": {"drop": ["ALL"]},
            }
        },
        True,
    ),
    Probe("readinessProbe-tuned", WEB, {"readinessProbe": {"periodSeconds": 30}}, True),
    Probe(
        "env-from-secret",
        DAEMON,
        {
            "env": [
                {
                    "name": "DB_PASSWORD",
                    "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}},
                }
            ]
        },
        True,
    ),
    Probe(
        "volume-and-mount",
        "user-code",
        {
            "volumes": [{"name": "data", "emptyDir": {"sizeLimit": "1Gi"}}],
            "volumeMounts": [{"name": "data", "mountPath": "/data"}],
        },
        True,
    ),
    Probe(
        "affinity-node-pool",
        DAEMON,
        {
            "affinity": {
                "nodeAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": {
                        "nodeSelectorTerms": [
                            {
                                "matchExpressions": [
                                    {"key": "pool", "operator": "In", "values": ["dbt"]}
                                ]
                            }
                        ]
                    }
                }
            }
        },
        True,
    ),
    Probe(
        "tolerations-taint",
        WEB,
        {
            "tolerations": [
                {"key": "pool", "operator": "Equal", "value": "dbt", "effect": "NoSchedule"}
            ]
        },
        True,
    ),
    Probe("code-server-one-replica", "user-code", {"replicaCount": 1}, True, code_server=True),
    Probe("grpc-two-replicas", "user-code", {"replicaCount": 2}, True),
    Probe(
        "concurrency-alone",
        "",
        {"concurrency": {"enabled": True, "runs": {"maxConcurrentRuns": 5}}},
        True,
    ),
]
