"""Compose the capability packages into one ``Definitions`` (imported only when building).

Order matters for "nothing half-built": the artifacts, the schedules and the transforms are all
validated before any Dagster object exists.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from floe_orchestrator_contract import CompiledArtifacts, ContractValidationError, TransformConfig

if TYPE_CHECKING:
    import dagster as dg

    from floe_dagster_lineage import LineageConfig
    from floe_dagster_schedules import ScheduleBook

    from ._settings import PluginSettings

__all__ = ["build_assets", "build_definitions", "load_artifacts"]

logger = logging.getLogger(__name__)


def load_artifacts(
    artifacts: Mapping[str, Any] | CompiledArtifacts | str | Path,
) -> CompiledArtifacts:
    """A validated ``CompiledArtifacts`` from a dict, a model, a JSON string or a file path."""
    if isinstance(artifacts, CompiledArtifacts):
        return artifacts
    if isinstance(artifacts, Path):
        return CompiledArtifacts.from_file(artifacts)
    if isinstance(artifacts, str):
        return CompiledArtifacts.from_json(artifacts)
    # Anything else (a list, None) is refused by from_dict with a ContractValidationError.
    return CompiledArtifacts.from_dict(
        dict(artifacts) if isinstance(artifacts, Mapping) else artifacts
    )


def _project_dir(settings: PluginSettings) -> Path:
    if settings.dbt_project_dir is None:
        raise ContractValidationError(
            "no dbt project",
            [
                "dbt_project_dir: not set (allowed: the directory holding dbt_project.yml, given "
                "as dbt_project_dir=..., FLOE_DBT_PROJECT_DIR, or the current directory)"
            ],
        )
    return settings.dbt_project_dir


def build_assets(
    transforms: list[TransformConfig],
    *,
    settings: PluginSettings,
    profiles: Mapping[str, Any] | None = None,
    default_compute: str | None = None,
    manifest_path: Path | None = None,
) -> list[dg.AssetsDefinition]:
    """The dbt project's assets for ``transforms`` (validated against the manifest first).

    The step running dbt carries the ``dagster-k8s/config`` tag of the plugin's workload size,
    so on Kubernetes (K8sRunLauncher, k8s executor) its pod gets the preset's resources.
    """
    from floe_dagster_assets import create_assets_from_transforms
    from floe_dagster_helm import get_resource_requirements, k8s_step_resources_tag

    return create_assets_from_transforms(
        transforms,
        project_dir=_project_dir(settings),
        profiles=profiles,
        profiles_dir=settings.dbt_profiles_dir,
        default_compute=default_compute,
        manifest_path=manifest_path,
        op_tags=k8s_step_resources_tag(get_resource_requirements(settings.workload_size)),
    )


def build_definitions(
    artifacts: Mapping[str, Any] | CompiledArtifacts | str | Path,
    *,
    settings: PluginSettings,
    schedules: ScheduleBook,
    lineage: LineageConfig | None = None,
    loggers: Mapping[str, dg.LoggerDefinition] | None = None,
) -> dg.Definitions:
    """Assets, the dbt resource, schedules (artifacts' first, then ``schedule_job``'s), lineage.

    ``loggers`` are added beside the lineage logger (the CLI adds its progress logger).
    """
    import dagster as dg

    from floe_dagster_assets import dbt_resources, ensure_manifest
    from floe_dagster_lineage import LineageConfig, with_openlineage
    from floe_dagster_schedules import ScheduleBook

    compiled = load_artifacts(artifacts)
    transforms = compiled.to_transform_configs()
    # Schedules: the artifacts' own (two for one job are an error), then those of schedule_job(),
    # which replace the artifacts' for the same job.
    book = ScheduleBook()
    book.add_all(compiled.schedules)
    book.add_all(schedules.entries())
    if not transforms:
        if len(book):
            logger.warning(
                "%s has no models: its schedules (%s) are left out of the empty Definitions",
                compiled.metadata.product_name,
                ", ".join(book.job_names()),
            )
        return dg.Definitions()

    project = _project_dir(settings)
    default_compute = compiled.transforms.default_compute if compiled.transforms else None
    manifest = ensure_manifest(
        project,
        profiles=compiled.dbt_profiles,
        profiles_dir=settings.dbt_profiles_dir,
        target=default_compute,
    )
    assets = build_assets(
        transforms,
        settings=settings,
        profiles=compiled.dbt_profiles,
        default_compute=default_compute,
        manifest_path=manifest,
    )
    resources = dbt_resources(
        project, profiles=compiled.dbt_profiles, profiles_dir=settings.dbt_profiles_dir
    )
    # Jobs run what can run: dbt sources are external assets, observed but never materialized.
    floe_assets = dg.AssetSelection.assets(*(a for a in assets if a.is_executable))
    jobs = [
        dg.define_asset_job(entry.job_name, selection=floe_assets)
        for entry in book.entries()
        if entry.selection is None
    ]
    defs = dg.Definitions(
        assets=assets,
        jobs=jobs,
        schedules=book.definitions(),
        resources=resources,
        loggers=dict(loggers or {}) or None,
    )
    config = lineage or LineageConfig.from_observability(compiled.observability)
    return with_openlineage(defs, config, dbt_manifest=manifest)
