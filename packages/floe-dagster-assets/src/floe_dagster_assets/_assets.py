"""Transforms + a dbt manifest -> one subsettable multi-asset per dbt project (and source assets).

The specs are built here, in one pass over the transforms in dependency order, instead of by
``@dbt_assets``: that keeps the cost close to a bare ``multi_asset`` and never recurses, so a chain
of 20,000 models builds like 20,000 independent ones.
"""

# No `from __future__ import annotations`: Dagster reads the `context` annotation at runtime.

import gc
import json
import logging
import os
import re
import warnings
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dagster as dg
from dagster import AssetExecutionContext

from floe_orchestrator_contract import ArtifactsWarning, ContractValidationError, TransformConfig

from ._execution import CheckTarget, RunPlan, run_selection
from ._graph import ProjectGraph, resolve_through_ephemerals
from ._index import DbtColumn, DbtNode, ManifestIndex, read_index
from ._manifest import ensure_manifest
from ._names import Naming
from ._node_metadata import (
    code_references,
    describe,
    node_owners,
    table_metadata,
    without_beta_warnings,
)
from ._profiles import (
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
    product: str | None = None,
    namespace_by_product: bool = True,
    code_references: bool = True,
) -> list[dg.AssetsDefinition]:
    """Dagster assets that run the dbt project at ``project_dir``, one asset per transform.

    Returns the project's multi-asset (models, seeds and snapshots; dbt tests as asset checks;
    subsettable) followed, when the project declares dbt sources, by their external assets. The
    assets need the resources of :func:`dbt_resources` (keys ``"dbt"`` and
    ``"floe_run_observers"``; with a namespaced ``product``, ``dbt_<product>`` and
    ``floe_run_observers_<product>``: pass the same ``product`` to :func:`dbt_resources`).

    ``product`` (floe's product name) is what runs are reported under, and with
    ``namespace_by_product`` (the default) it starts every asset key (``[product, model]``), the
    op's name (``dbt_<product>``), the groups (``<product>_<schema>``) and the resource keys, so
    several products live in one deployment. A dbt source whose ``meta`` names the asset that
    produces it (``floe: {product: other}``, or dagster-dbt's ``dagster: {asset_key: ...}``)
    depends on that asset instead of becoming one of its own.

    Each node shows dbt's description (else ``dbt <type> <name>``) followed by its SQL, its file
    as a code reference (``code_references``; "Open in editor"), the adapter as storage kind, its
    relation, and its owners (``meta.dagster.owners``, ``meta.owner``, its dbt group's owner).
    dbt tests become asset checks, blocking for error severity.

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
    with _collector_paused():
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
        if manifest is not None:
            index = ManifestIndex.from_manifest(manifest)
        else:
            if manifest_path is None:
                manifest_path = ensure_manifest(
                    project, profiles=profiles, profiles_dir=profiles_dir, target=default_target
                )
            index = read_index(manifest_path)
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
            transforms,
            index=index,
            info=info,
            default_compute=default_compute,
            compute_plugins=compute_plugins,
            name=name,
            target_path=target_path,
            op_tags=op_tags,
            runtime_metadata=runtime_metadata,
            naming=Naming(product, namespace_by_product),
            project=project if code_references else None,
        )


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Keep Python's cyclic garbage collector off while the definitions are built.

    The build allocates hundreds of thousands of objects that stay alive (the index, specs,
    metadata), and every few hundred allocations the collector runs; its full passes walk every
    object the process holds, Dagster's own included. On a 5,000-model project that was about a
    third of the build. Reference counting still frees what is dropped; the collector picks up
    anything cyclic once it is back on (as it was: a caller's choice to disable it is kept).
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


class _Model:
    """A transform with what dbt knows filled in (as ``enrich_transforms``, without copies)."""

    __slots__ = ("compute", "materialization", "meta", "path", "schema", "tags")

    def __init__(self, transform: TransformConfig, node: DbtNode) -> None:
        self.compute = transform.compute
        self.tags = transform.tags
        self.path = transform.path or node.path
        self.schema = transform.schema_name or node.schema
        materialization = transform.materialization
        self.materialization = (
            node.materialization if materialization == "table" else materialization
        )
        self.meta = {**node.meta, **transform.meta} if transform.meta else node.meta


def _build(
    transforms: Sequence[TransformConfig],
    *,
    index: ManifestIndex,
    info: ProfilesInfo,
    default_compute: str | None,
    name: str | None,
    target_path: str,
    op_tags: Mapping[str, str] | None = None,
    compute_plugins: Collection[str] = (),
    runtime_metadata: bool = True,
    naming: Naming,
    project: Path | None = None,
) -> list[dg.AssetsDefinition]:
    by_name = {t.name: _Model(t, index.models[t.name]) for t in transforms}
    ephemeral = [n for n, m in by_name.items() if m.materialization == "ephemeral"]
    sources = {uid: naming.source_key(s) for uid, s in index.sources.items()}

    # Upstreams of every node by name, as dbt's refs say (models, seeds, snapshots, sources).
    direct: dict[str, list[str]] = {}
    for other in index.others.values():
        direct[other.name] = _manifest_parents(other, index, sources)
    for model_name in by_name:
        direct[model_name] = _manifest_parents(index.models[model_name], index, sources)
    source_names = {_source_ref(key): key for key in sources.values()}
    upstream = resolve_through_ephemerals(direct, ephemeral) if ephemeral else direct

    skipped = set(ephemeral)
    nodes = {n: index.others[n] for n in index.others}
    nodes.update((n, index.models[n]) for n in by_name if n not in skipped)
    # floe's compute names a compute plugin; the graph runs dbt targets (validated routable).
    compute: dict[str, str | None] = {
        n: (by_name[n].compute if n in by_name else None) or default_compute for n in nodes
    }
    routes = {c: route_compute(info, c, compute_plugins)[0] for c in set(compute.values())}
    target = {n: routes[c] for n, c in compute.items()}
    keys = {n: naming.key(n) for n in nodes}
    graph = ProjectGraph(
        upstream={n: [u for u in upstream[n] if u in keys] for n in nodes}, compute=target
    )

    adapters = info.targets or {}
    tables = {n: node.table_name for n, node in nodes.items()}
    specs = []
    with without_beta_warnings():
        for node_name in graph.order:
            node = nodes[node_name]
            deps = [keys.get(u) or source_names[u] for u in upstream[node_name]]
            specs.append(
                _spec(
                    node,
                    by_name.get(node_name),
                    key=keys[node_name],
                    deps=deps,
                    compute=compute[node_name],
                    target=target[node_name],
                    adapter=adapters.get(target[node_name] or "") or index.adapter_type,
                    table_name=tables[node_name],
                    naming=naming,
                    owners=node_owners(node.meta, index.groups.get(node.group)),
                    project=project,
                )
            )
        source_specs = _source_specs(index, sources, info, naming, project)
    check_specs, checks = _checks(index, keys)
    plan = RunPlan(
        graph=graph,
        keys=keys,
        selectors={n: node.selector for n, node in nodes.items()},
        kinds={n: node.resource_type for n, node in nodes.items()},
        node_of_uid={node.unique_id: n for n, node in nodes.items()},
        checks=checks,
        tables=tables,
        target_path=target_path,
        index=index,
        source_keys=sources,
        runtime_metadata=runtime_metadata,
        product=naming.product,
        dbt_key=naming.dbt_key,
        observers_key=naming.observers_key,
    )
    assets: list[dg.AssetsDefinition] = []
    if specs:
        op_name = name or naming.op_name(index.project_name)
        assets.append(
            _project_asset(
                plan,
                specs,
                check_specs,
                op_name=op_name,
                op_tags=op_tags,
                description=f"dbt project {index.project_name!r}, one asset per model",
            )
        )
    if source_specs:
        assets.append(dg.AssetsDefinition(specs=source_specs))
    logger.debug(
        "dbt project %r: %d assets, %d checks, %d sources",
        index.project_name,
        len(specs),
        len(check_specs),
        len(index.sources),
    )
    return assets


def _project_asset(
    plan: RunPlan,
    specs: list[dg.AssetSpec],
    check_specs: list[dg.AssetCheckSpec],
    *,
    op_name: str,
    op_tags: Mapping[str, str] | None,
    description: str,
) -> dg.AssetsDefinition:
    """One subsettable multi-asset over ``specs``, whose step runs the selection with dbt.

    Built from an op rather than ``@multi_asset(can_subset=True)``, which gives the op a
    ``__subset_input__`` ``In`` for every asset that another asset of the same multi-asset
    depends on (4,999 on a 5,000-model chain, costing about as much as the assets themselves to
    define and to resolve into a job). Those inputs only order the copies Dagster makes of a
    multi-asset when a job would otherwise have a cycle through another definition (asset A ->
    someone's asset -> asset B of the same multi-asset). A dbt model depends only on nodes of
    this multi-asset and on dbt sources, which are external assets here (never materialized, and
    Dagster refuses a second definition of their keys), so no such cycle and no copy can arise.
    Every dependency stays on the specs: the asset graph, lineage and subset selection are
    unchanged, and the sources keep their inputs.
    """
    keys_by_output: dict[str, dg.AssetKey] = {}
    outs: dict[str, dg.Out] = {}
    for spec in specs:
        output = spec.key.to_python_identifier()
        keys_by_output[output] = spec.key
        outs[output] = dg.Out(
            dg.Nothing,
            is_required=False,
            description=spec.description,
            code_version=spec.code_version,
        )
    checks_by_output: dict[str, dg.AssetCheckSpec] = {}
    for check in check_specs:
        output = _unique(f"{check.asset_key.to_python_identifier()}_{check.name}", outs)
        checks_by_output[output] = check
        outs[output] = dg.Out(is_required=False)
    keys_by_input: dict[str, dg.AssetKey] = {}
    for key in dict.fromkeys(d.asset_key for spec in specs for d in spec.deps):
        if key not in plan.node_of_key:
            keys_by_input[_unique(_NAME.sub("_", "_".join(key.path)), keys_by_input)] = key

    @dg.op(
        name=op_name,
        description=description,
        ins={name: dg.In(dg.Nothing) for name in keys_by_input},
        out=outs,
        required_resource_keys={plan.dbt_key, plan.observers_key},
        tags=dict(op_tags) if op_tags else None,
    )
    def _dbt_project(
        context: AssetExecutionContext,
    ) -> Iterator[dg.MaterializeResult[Any] | dg.AssetCheckResult]:
        yield from run_selection(context, plan)

    return dg.AssetsDefinition(
        node_def=_dbt_project,
        keys_by_input_name=keys_by_input,
        keys_by_output_name=keys_by_output,
        check_specs_by_output_name=checks_by_output or None,
        can_subset=True,
        specs=specs,
    )


def _unique(name: str, taken: Mapping[str, Any]) -> str:
    candidate, suffix = name, 1
    while candidate in taken:
        suffix += 1
        candidate = f"{name}_{suffix}"
    return candidate


def _source_ref(key: dg.AssetKey) -> str:
    return "source:" + ".".join(key.path)


def _manifest_parents(
    node: DbtNode, index: ManifestIndex, sources: Mapping[str, dg.AssetKey]
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
    model: _Model | None,
    *,
    key: dg.AssetKey,
    deps: list[dg.AssetKey],
    compute: str | None,
    target: str | None,
    adapter: str,
    table_name: str,
    naming: Naming,
    owners: list[str],
    project: Path | None,
) -> dg.AssetSpec:
    schema = model.schema if model else node.schema
    meta = model.meta if model else node.meta
    metadata: dict[str, Any] = {
        "floe/compute": compute or target or "",
        "dbt/target": target or "",
        "floe/schema": schema,
        "floe/materialization": model.materialization if model else node.materialization,
        "floe/path": model.path if model else node.path,
        "dbt/unique_id": node.unique_id,
        **table_metadata(adapter, table_name),
        **(code_references(project, node.path) if project is not None else {}),
    }
    if meta:
        metadata["floe/meta"] = _json_metadata(meta)
    if node.columns:
        metadata["dagster/column_schema"] = _table_schema(node.columns)
    kinds = {"dbt", adapter} if adapter else {"dbt"}
    if node.resource_type != "model":
        kinds.add(node.resource_type)
    return dg.AssetSpec(
        key=key,
        deps=deps,
        description=describe(
            node.resource_type,
            node.name,
            node.description,
            sql=node.compiled_code or node.raw_code,
            compiled=bool(node.compiled_code),
        ),
        metadata=metadata,
        group_name=naming.group(schema),
        owners=owners or None,
        code_version=node.checksum or None,
        tags=dict.fromkeys(model.tags, "") if model else None,
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
                metadata={"dbt/unique_id": test.unique_id, "dbt/severity": test.severity},
                # dbt build skips what is downstream of a failing error-severity test.
                blocking=test.severity != "warn",
            )
        )
        targets[check_key] = CheckTarget(test.unique_id, test.name, test.selector, node.name)
    return specs, targets


def _source_specs(
    index: ManifestIndex,
    sources: Mapping[str, dg.AssetKey],
    info: ProfilesInfo,
    naming: Naming,
    project: Path | None,
) -> list[dg.AssetSpec]:
    """External assets for the dbt sources no other asset produces (per their ``meta``)."""
    adapter = index.adapter_type or next(iter((info.targets or {}).values()), "")
    specs = []
    for uid, source in index.sources.items():
        if naming.upstream_asset(source) is not None:
            continue  # another product's asset: the dependency points at it
        metadata: dict[str, Any] = {
            "dbt/unique_id": uid,
            **table_metadata(adapter, source.table_name),
            **(code_references(project, source.path) if project is not None else {}),
        }
        if source.columns:
            metadata["dagster/column_schema"] = _table_schema(source.columns)
        specs.append(
            dg.AssetSpec(
                key=sources[uid],
                description=source.description or source.source_description or None,
                metadata=metadata,
                owners=node_owners(source.meta) or None,
                group_name=naming.group(source.schema or source.source_name),
                kinds={"dbt", "source", *([adapter] if adapter else [])},
            )
        )
    return specs
