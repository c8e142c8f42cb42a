"""Transforms + a dbt manifest -> one subsettable multi-asset per dbt project (and source assets).

The specs are built here, in one pass over the transforms in dependency order, instead of by
``@dbt_assets``: that keeps the cost close to a bare ``multi_asset`` and never recurses, so a chain
of 20,000 models builds like 20,000 independent ones.
"""

# No `from __future__ import annotations`: Dagster reads the `context` annotation at runtime.

import json
import logging
import os
import re
import warnings
from collections.abc import Collection, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import dagster as dg
from dagster import AssetExecutionContext

from floe_orchestrator_contract import ArtifactsWarning, ContractValidationError, TransformConfig

from ._execution import CheckTarget, RunPlan, run_selection
from ._graph import ProjectGraph, resolve_through_ephemerals
from ._manifest import (
    DbtColumn,
    DbtNode,
    ManifestIndex,
    enrich_transforms,
    ensure_manifest,
    load_manifest,
)
from ._observers import RUN_OBSERVERS_RESOURCE_KEY
from ._profiles import (
    DBT_RESOURCE_KEY,
    ProfilesInfo,
    project_settings,
    resolve_profiles,
    route_compute,
)
from ._validation import collect_problems, dependency_differences

__all__ = ["create_assets_from_transforms"]

logger = logging.getLogger(__name__)

_NAME = re.compile(r"[^A-Za-z0-9_]")


def create_assets_from_transforms(
    transforms: Sequence[TransformConfig],
    *,
    project_dir: str | os.PathLike[str],
    profiles: Mapping[str, Any] | None = None,
    profiles_dir: str | os.PathLike[str] | None = None,
    default_compute: str | None = None,
    manifest_path: str | os.PathLike[str] | None = None,
    manifest: Mapping[str, Any] | None = None,
    name: str | None = None,
    op_tags: Mapping[str, str] | None = None,
    compute_plugins: Collection[str] = (),
    runtime_metadata: bool = True,
) -> list[dg.AssetsDefinition]:
    """Dagster assets that run the dbt project at ``project_dir``, one asset per transform.

    Returns the project's multi-asset (models, seeds and snapshots; dbt tests as asset checks;
    subsettable) followed, when the project declares dbt sources, by their external assets. The
    assets need the resources of :func:`dbt_resources` (key ``"dbt"``).

    The manifest is ``manifest`` (already loaded), else ``manifest_path``, else the project's own,
    produced or refreshed by ``dbt parse`` when missing or stale (:func:`ensure_manifest`).
    ``profiles`` is a profiles.yml mapping (e.g. ``CompiledArtifacts.dbt_profiles``); without it
    ``profiles_dir`` or dbt's own search finds the profile. Each model runs under the target named
    by its ``compute``, else ``default_compute``, else the profile's default target; a compute
    that is no target names a compute plugin (``compute_plugins``, floe's ``plugins.compute.type``)
    and runs under the profile's target for this environment (see :func:`route_compute`).
    ``op_tags`` go on the step that runs dbt (e.g. the ``dagster-k8s/config`` tag sizing its pod).
    ``runtime_metadata`` puts the row count, the column types as built and the column lineage
    on every materialization.

    dbt's refs decide the graph; a declared ``depends_on`` that disagrees with them is reported
    in one :class:`~floe_orchestrator_contract.ArtifactsWarning`. Raises
    ``ContractValidationError`` listing every problem (contract rules, computes with no target,
    manifest mismatches) before anything is built.
    """
    project = Path(project_dir).resolve()
    settings = project_settings(project)
    info = resolve_profiles(project, settings, profiles=profiles, profiles_dir=profiles_dir)
    default_target, unroutable = route_compute(info, default_compute, compute_plugins)
    if manifest is None and manifest_path is None and (info.problems or unroutable):
        # dbt cannot parse with this profile: report what can be judged without a manifest.
        raise ContractValidationError(
            "invalid transforms",
            collect_problems(transforms, None, info, default_compute, compute_plugins),
        )
    if manifest is None:
        if manifest_path is None:
            manifest_path = ensure_manifest(
                project, profiles=profiles, profiles_dir=profiles_dir, target=default_target
            )
        manifest = load_manifest(manifest_path)
    index = ManifestIndex.from_manifest(manifest)
    problems = collect_problems(transforms, index, info, default_compute, compute_plugins)
    if problems:
        raise ContractValidationError("invalid transforms", problems)
    differences = dependency_differences(transforms, index)
    if differences:
        warnings.warn(
            f"depends_on of {len(differences)} model(s) disagrees with the refs in their dbt "
            f"SQL; dbt's refs decide the order: {'; '.join(differences)}",
            ArtifactsWarning,
            stacklevel=2,
        )
    target_path = str(settings.get("target-path") or "target")
    return _build(
        enrich_transforms(transforms, index),
        index=index,
        info=info,
        default_compute=default_compute,
        compute_plugins=compute_plugins,
        name=name,
        target_path=target_path,
        op_tags=op_tags,
        runtime_metadata=runtime_metadata,
    )


def _build(
    transforms: list[TransformConfig],
    *,
    index: ManifestIndex,
    info: ProfilesInfo,
    default_compute: str | None,
    name: str | None,
    target_path: str,
    op_tags: Mapping[str, str] | None = None,
    compute_plugins: Collection[str] = (),
    runtime_metadata: bool = True,
) -> list[dg.AssetsDefinition]:
    by_name = {t.name: t for t in transforms}
    ephemeral = [t.name for t in transforms if t.materialization == "ephemeral"]
    sources = {uid: dg.AssetKey([s.source_name, s.name]) for uid, s in index.sources.items()}

    # Upstreams of every node by name, as dbt's refs say (models, seeds, snapshots, sources).
    direct: dict[str, list[str]] = {}
    for other in index.others.values():
        direct[other.name] = _manifest_parents(other, index, sources, by_name)
    for transform in transforms:
        node = index.models[transform.name]
        direct[transform.name] = _manifest_parents(node, index, sources, by_name)
    source_names = {_source_ref(key): key for key in sources.values()}
    upstream = resolve_through_ephemerals(direct, ephemeral)

    executable = [*index.others, *(t.name for t in transforms if t.name not in ephemeral)]
    # floe's compute names a compute plugin; the graph runs dbt targets (validated routable).
    compute: dict[str, str | None] = {
        n: (by_name[n].compute if n in by_name else None) or default_compute for n in executable
    }
    target = {n: route_compute(info, compute[n], compute_plugins)[0] for n in executable}
    keys = {n: dg.AssetKey([n]) for n in executable}
    graph = ProjectGraph(
        upstream={n: [u for u in upstream[n] if u in keys] for n in executable},
        compute=target,
    )

    specs = []
    for node_name in graph.order:
        node = index.models.get(node_name) or index.others[node_name]
        deps = [keys.get(u) or source_names[u] for u in upstream[node_name]]
        specs.append(
            _spec(
                node,
                by_name.get(node_name),
                key=keys[node_name],
                deps=deps,
                compute=compute[node_name],
                target=target[node_name],
                info=info,
                index=index,
            )
        )
    check_specs, checks = _checks(index, keys)
    plan = RunPlan(
        graph=graph,
        keys=keys,
        selectors={n: (index.models.get(n) or index.others[n]).selector for n in executable},
        kinds={n: (index.models.get(n) or index.others[n]).resource_type for n in executable},
        node_of_uid={(index.models.get(n) or index.others[n]).unique_id: n for n in executable},
        checks=checks,
        tables={n: (index.models.get(n) or index.others[n]).table_name for n in executable},
        target_path=target_path,
        index=index,
        source_keys=sources,
        runtime_metadata=runtime_metadata,
    )
    assets: list[dg.AssetsDefinition] = []
    if specs:
        op_name = name or f"dbt_{_NAME.sub('_', index.project_name or 'project')}"

        @dg.multi_asset(
            specs=specs,
            check_specs=check_specs or None,
            can_subset=True,
            name=op_name,
            op_tags=dict(op_tags) if op_tags else None,
            required_resource_keys={DBT_RESOURCE_KEY, RUN_OBSERVERS_RESOURCE_KEY},
            description=f"dbt project {index.project_name!r}, one asset per model",
        )
        def _dbt_project(
            context: AssetExecutionContext,
        ) -> Iterator[dg.MaterializeResult[Any] | dg.AssetCheckResult]:
            yield from run_selection(context, plan)

        assets.append(_dbt_project)
    if index.sources:
        assets.append(dg.AssetsDefinition(specs=_source_specs(index, sources, info)))
    logger.debug(
        "dbt project %r: %d assets, %d checks, %d sources",
        index.project_name,
        len(specs),
        len(check_specs),
        len(index.sources),
    )
    return assets


def _source_ref(key: dg.AssetKey) -> str:
    return "source:" + ".".join(key.path)


def _manifest_parents(
    node: DbtNode,
    index: ManifestIndex,
    sources: Mapping[str, dg.AssetKey],
    transforms: Mapping[str, TransformConfig],
) -> list[str]:
    """Parent names of ``node`` per dbt: refable nodes by name, sources as ``source:a.b``."""
    parents = []
    for uid in node.parents:
        parent = index.by_uid.get(uid)
        if parent is not None:
            parents.append(parent.name)
        elif uid in sources:
            parents.append(_source_ref(sources[uid]))
    return parents


def _spec(
    node: DbtNode,
    transform: TransformConfig | None,
    *,
    key: dg.AssetKey,
    deps: list[dg.AssetKey],
    compute: str | None,
    target: str | None,
    info: ProfilesInfo,
    index: ManifestIndex,
) -> dg.AssetSpec:
    schema = transform.schema_name if transform else node.schema
    materialization = transform.materialization if transform else node.materialization
    meta = transform.meta if transform else dict(node.meta)
    metadata: dict[str, Any] = {
        "floe/compute": compute or target or "",
        "dbt/target": target or "",
        "floe/schema": schema,
        "floe/materialization": materialization,
        "floe/path": transform.path if transform else node.path,
        "dbt/unique_id": node.unique_id,
        "dagster/table_name": node.table_name,
    }
    if meta:
        metadata["floe/meta"] = _json_metadata(meta)
    if node.columns:
        metadata["dagster/column_schema"] = _table_schema(node.columns)
    adapter = (info.targets or {}).get(target or "") or index.adapter_type
    kinds = {"dbt", *([adapter] if adapter else [])}
    if node.resource_type != "model":
        kinds.add(node.resource_type)
    return dg.AssetSpec(
        key=key,
        deps=deps,
        description=node.description or None,
        metadata=metadata,
        group_name=_NAME.sub("_", schema) or "default",
        code_version=node.checksum or None,
        tags=dict.fromkeys(transform.tags, "") if transform else None,
        kinds=kinds,
        skippable=True,
    )


def _json_metadata(value: Mapping[str, Any]) -> Any:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return dg.MetadataValue.text(repr(dict(value)))
    return dg.MetadataValue.json(dict(value))


def _table_schema(columns: Sequence[DbtColumn]) -> dg.TableSchema:
    return dg.TableSchema(
        columns=[
            dg.TableColumn(
                name=column.name,
                type=column.data_type or "unknown",
                description=column.description or None,
            )
            for column in columns
        ]
    )


def _checks(
    index: ManifestIndex, keys: Mapping[str, dg.AssetKey]
) -> tuple[list[dg.AssetCheckSpec], dict[dg.AssetCheckKey, CheckTarget]]:
    """One asset check per dbt test attached to exactly one model, seed or snapshot."""
    specs: list[dg.AssetCheckSpec] = []
    targets: dict[dg.AssetCheckKey, CheckTarget] = {}
    for test in index.tests:
        node = index.by_uid.get(test.attached_to or "")
        if node is None or node.name not in keys:
            continue  # tests of sources, of ephemeral models, or of several models
        base = _NAME.sub("_", test.name) or "dbt_test"
        check_name, suffix = base, 1
        while dg.AssetCheckKey(keys[node.name], check_name) in targets:
            suffix += 1
            check_name = f"{base}_{suffix}"
        check_key = dg.AssetCheckKey(keys[node.name], check_name)
        specs.append(
            dg.AssetCheckSpec(
                name=check_name,
                asset=keys[node.name],
                description=test.description or f"dbt test {test.name}",
                metadata={"dbt/unique_id": test.unique_id},
            )
        )
        targets[check_key] = CheckTarget(test.unique_id, test.name, test.selector, node.name)
    return specs, targets


def _source_specs(
    index: ManifestIndex, sources: Mapping[str, dg.AssetKey], info: ProfilesInfo
) -> list[dg.AssetSpec]:
    adapter = index.adapter_type or next(iter((info.targets or {}).values()), "")
    specs = []
    for uid, source in index.sources.items():
        metadata: dict[str, Any] = {"dbt/unique_id": uid, "dagster/table_name": source.table_name}
        if source.columns:
            metadata["dagster/column_schema"] = _table_schema(source.columns)
        specs.append(
            dg.AssetSpec(
                key=sources[uid],
                description=source.description or None,
                metadata=metadata,
                group_name=_NAME.sub("_", source.schema or source.source_name) or "default",
                kinds={"dbt", "source", *([adapter] if adapter else [])},
            )
        )
    return specs
