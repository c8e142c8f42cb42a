"""The ``CompiledArtifacts`` versions floe has written, and how a file's version is read.

No pydantic here: the registry and the warning class are imported eagerly.
"""

from __future__ import annotations

import re
from typing import Literal

__all__ = [
    "ARTIFACTS_VERSION",
    "ARTIFACTS_VERSION_HISTORY",
    "ArtifactsWarning",
    "VersionSupport",
    "classify_version",
]

# The newest version floe-core writes (floe_core.schemas.versions.COMPILED_ARTIFACTS_VERSION).
ARTIFACTS_VERSION = "0.10.0"

# floe's own history: what each version added. Every one of them loads.
ARTIFACTS_VERSION_HISTORY: dict[str, str] = {
    "0.1.0": "Initial version (metadata, identity, mode, observability)",
    "0.2.0": "Add plugins, transforms, dbt_profiles, governance (Epic 2B)",
    "0.3.0": "Add enforcement_result summary (Epic 3B)",
    "0.4.0": "Add quality_config, quality_checks/quality_tier to ResolvedModel",
    "0.5.0": "Add lineage_backend to ResolvedPlugins (Epic 6B)",
    "0.6.0": "Add ingestion to ResolvedPlugins (Epic 4F)",
    "0.7.0": "Add rbac_principal, secrets_scanned to EnforcementResultSummary (Epic 3E)",
    "0.8.0": "Add lineage_endpoint, lineage_transport to ObservabilityConfig",
    "0.9.0": "Add default_ttl_hours, snapshot_keep_last to ResolvedGovernance (Issue #165)",
    "0.10.0": "Add stale_table_recovery_mode to ResolvedGovernance",
}

_NEWEST_MINOR = int(ARTIFACTS_VERSION.split(".")[1])
_SEMVER = re.compile(r"(\d+)\.(\d+)\.(\d+)")
ALLOWED_VERSIONS = f"0.1.0 to {ARTIFACTS_VERSION.rsplit('.', 1)[0]}.x, or a newer 0.x"

VersionSupport = Literal["known", "newer", "unsupported"]


class ArtifactsWarning(UserWarning):
    """Compiled artifacts load, but part of them is not understood or disagrees with dbt.

    Raised as a warning (never an error) so a product keeps running; turn it into an error with
    ``-W error::floe_orchestrator_contract.ArtifactsWarning`` to make CI strict.
    """


def classify_version(version: object) -> VersionSupport:
    """``known`` (0.1 to 0.10: floe's history), ``newer`` (a later 0.x minor), else unsupported.

    floe bumps the minor for backward-compatible additions only, so a newer minor still holds
    everything this contract reads; a new major may have removed or changed fields.
    """
    if not isinstance(version, str):
        return "unsupported"
    match = _SEMVER.fullmatch(version)
    if match is None:
        return "unsupported"
    major, minor = int(match[1]), int(match[2])
    if major != 0 or minor == 0:
        return "unsupported"
    return "known" if minor <= _NEWEST_MINOR else "newer"
