"""What floe's artifacts mean to a Dagster deployment, beyond models and profiles.

- ``plugins.lineage_backend`` and ``observability.lineage_*`` say where lineage goes;
- ``quality_tier`` is an asset tag and metadata, ``quality_checks`` and ``governance`` are asset
  metadata (floe's quality provider and storage enforce them; Dagster shows them);
- the team of the product's data contract (ODCS ``team``) owns every model of the product;
- the rest (Iceberg export, ingestion, semantic sync, OpenTelemetry, quality gates, data
  contracts) is not run by this plugin, and :func:`ignored_parts` says so.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from floe_orchestrator_contract import CompiledArtifacts, ObservabilityConfig, redact

if TYPE_CHECKING:
    import dagster as dg

    from floe_dagster_lineage import LineageConfig

__all__ = [
    "ignored_parts",
    "lineage_config",
    "product_owners",
    "report_ignored",
    "with_floe_metadata",
]

logger = logging.getLogger(__name__)

_BACKEND_URL_KEYS = ("url", "endpoint")
_BACKEND_KEY_KEYS = ("api_key", "apiKey")
_LOCAL_TRANSPORTS = {"console": "console", "noop": "noop", "none": "noop", "file": "file"}


# -- lineage ---------------------------------------------------------------------------------
def lineage_config(compiled: CompiledArtifacts) -> LineageConfig:
    """Lineage settings: the artifacts' ``observability`` first, then ``plugins.lineage_backend``
    (its type, ``url``/``endpoint`` and ``api_key``), then OpenLineage's own environment."""
    from floe_dagster_lineage import LineageConfig

    observability = compiled.observability
    backend = compiled.plugins.lineage_backend if compiled.plugins is not None else None
    api_key = None
    if (
        backend is not None
        and observability.lineage
        and observability.lineage_transport is None
        and not observability.lineage_endpoint
    ):
        observability, api_key = _from_backend(observability, backend.type, backend.config or {})
    config = LineageConfig.from_observability(observability)
    if api_key and config.api_key is None and config.transport == "http":
        config = config.with_changes(api_key=api_key)
    return config


def _from_backend(
    observability: ObservabilityConfig, kind: str, config: Mapping[str, Any]
) -> tuple[ObservabilityConfig, str | None]:
    transport = _LOCAL_TRANSPORTS.get(kind.lower(), "http")
    endpoint = next((config[k] for k in _BACKEND_URL_KEYS if isinstance(config.get(k), str)), None)
    if transport == "file":
        endpoint = config.get("path") or config.get("log_file_path") or endpoint
    elif transport == "http" and endpoint is None:
        logger.debug("lineage backend %r has no url: OpenLineage's own settings decide", kind)
        return observability, None
    api_key = next((config[k] for k in _BACKEND_KEY_KEYS if isinstance(config.get(k), str)), None)
    update = {"lineage_transport": transport, "lineage_endpoint": endpoint}
    return observability.model_copy(update=update), api_key


# -- metadata on the assets --------------------------------------------------------------------
def with_floe_metadata(
    assets: Sequence[dg.AssetsDefinition], compiled: CompiledArtifacts
) -> list[dg.AssetsDefinition]:
    """``assets`` with each model's quality tier (tag + metadata) and quality checks, and the
    product's governance, as metadata, and the product's owners (:func:`product_owners`) after
    dbt's. Assets with nothing to add are returned as they are."""
    import dagster as dg

    models = {m.name: m for m in compiled.transforms.models} if compiled.transforms else {}
    governance = compiled.governance.model_dump(exclude_none=True) if compiled.governance else {}
    quality = {n for n, m in models.items() if m.quality_tier or m.quality_checks}
    owners = product_owners(compiled)
    if not governance and not quality and not owners:
        return list(assets)

    def add(spec: dg.AssetSpec) -> dg.AssetSpec:
        model = models.get(spec.key.path[-1])
        metadata: dict[str, Any] = {}
        tags: dict[str, str] = {}
        if model is not None and model.quality_tier:
            tags["floe/quality_tier"] = model.quality_tier
            metadata["floe/quality_tier"] = model.quality_tier
        if model is not None and model.quality_checks:
            checks = [redact(c.model_dump(mode="json")) for c in model.quality_checks]
            metadata["floe/quality_checks"] = dg.MetadataValue.json(checks)
        if governance:
            metadata["floe/governance"] = dg.MetadataValue.json(governance)
        if owners:
            spec = spec.merge_attributes(owners=[o for o in owners if o not in spec.owners])
        return spec.merge_attributes(metadata=metadata, tags=tags) if metadata else spec

    return [a.map_asset_specs(add) if a.is_executable else a for a in assets]


def product_owners(compiled: CompiledArtifacts) -> list[str]:
    """floe's owner of the product, as Dagster owners: the team of its data contracts.

    floe carries no owner field of its own; a product's ODCS data contract (``data_contracts``,
    those naming this product in ``dataProduct`` or naming none) has a ``team``: its members
    whose role is an owner's (``owner``, ``data owner``, ``product owner``...) by their
    ``username`` (an address stays one), then the team itself as ``team:<name>``. ODCS 3.0's
    list of members is read as 3.1's ``team.members``.
    """
    from floe_dagster_assets import dagster_owners

    product = compiled.metadata.product_name
    found: list[Any] = []
    for contract in compiled.data_contracts:
        if not isinstance(contract, Mapping) or contract.get("dataProduct") not in (None, product):
            continue
        team = contract.get("team")
        members = team.get("members") if isinstance(team, Mapping) else team
        for member in members if isinstance(members, list) else []:
            if isinstance(member, Mapping) and "owner" in str(member.get("role") or "").lower():
                found.append(member.get("username") or member.get("name"))
        if isinstance(team, Mapping):
            found.append(team.get("name"))
    return dagster_owners(*found)


# -- what is not run -------------------------------------------------------------------------
def ignored_parts(compiled: CompiledArtifacts) -> list[str]:
    """The parts of the artifacts this plugin does not act on, each with what that means."""
    parts: list[str] = []
    plugins = compiled.plugins
    if plugins is not None:
        if plugins.orchestrator.type != "dagster":
            parts.append(
                f"plugins.orchestrator is {plugins.orchestrator.type!r}: compiled for another "
                "orchestrator, run on Dagster anyway"
            )
        config = plugins.orchestrator.config
        extra = sorted((config.model_extra or {}).keys() - {"$comment"}) if config else []
        if extra:
            parts.append(
                f"plugins.orchestrator.config {', '.join(extra)}: not settings of this plugin"
            )
        if plugins.catalog is not None or plugins.storage is not None:
            named = [f"{n} ({p.type})" for n, p in _present(plugins, "catalog", "storage")]
            parts.append(f"plugins.{' and plugins.'.join(named)}: no Iceberg export")
        for name, meaning in (("ingestion", "no ingestion"), ("semantic", "no semantic sync")):
            plugin = getattr(plugins, name)
            if plugin is not None:
                parts.append(f"plugins.{name} ({plugin.type}): {meaning}")
    telemetry = compiled.observability.telemetry
    if telemetry is not None and telemetry.enabled:
        parts.append("observability.telemetry: no OpenTelemetry traces (lineage is emitted)")
    if compiled.governance is not None and compiled.governance.model_dump(exclude_none=True):
        parts.append("governance: shown as asset metadata, not enforced")
    checks = sum(len(m.quality_checks or []) for m in _models(compiled))
    if checks:
        parts.append(
            f"quality_checks ({checks}): shown as asset metadata, not run (dbt tests are checks)"
        )
    if compiled.quality_config is not None:
        parts.append("quality_config: no quality gates or scores")
    if compiled.data_contracts:
        parts.append(f"data_contracts ({len(compiled.data_contracts)}): not validated")
    return parts


def report_ignored(compiled: CompiledArtifacts) -> None:
    """One warning naming everything :func:`ignored_parts` finds (nothing when it finds none).

    A deployment that knows can quiet it like any logger: ``floe_orchestrator_dagster._floe``.
    """
    parts = ignored_parts(compiled)
    if not parts:
        return
    logger.warning(
        "%s: not acted on by the Dagster plugin: %s",
        compiled.metadata.product_name,
        "; ".join(parts),
    )


def _present(plugins: Any, *names: str) -> list[tuple[str, Any]]:
    return [(n, getattr(plugins, n)) for n in names if getattr(plugins, n) is not None]


def _models(compiled: CompiledArtifacts) -> list[Any]:
    return list(compiled.transforms.models) if compiled.transforms else []
