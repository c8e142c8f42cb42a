"""Compose the capability packages into one ``Definitions`` (imported only when building).

Order matters for "nothing half-built": the artifacts, the schedules and the transforms are all
validated before any Dagster object exists.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
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

_MAX_PATH = 4096
_INDEXED = re.compile(r"(?<![\w.])schedules\[(\d+)\]")


def load_artifacts(
    artifacts: Mapping[str, Any] | CompiledArtifacts | str | Path,
) -> CompiledArtifacts:
    """A validated ``CompiledArtifacts`` from a dict, a model, a path or JSON text.

    A ``str`` naming an existing file is read as that file; one starting like JSON is parsed as
    JSON text; anything else is an error saying both were tried.
    """
    if isinstance(artifacts, CompiledArtifacts):
        return artifacts
    if isinstance(artifacts, Path):
        return CompiledArtifacts.from_file(artifacts)
    if isinstance(artifacts, str):
        return _from_text_or_path(artifacts)
    # Anything else (a list, None) is refused by from_dict with a ContractValidationError.
    return CompiledArtifacts.from_dict(
        dict(artifacts) if isinstance(artifacts, Mapping) else artifacts
    )


def _from_text_or_path(text: str) -> CompiledArtifacts:
    path = Path(text) if text and len(text) < _MAX_PATH and "\n" not in text else None
    kind = _kind(path) if path is not None else "not a path"
    if kind == "file":
        return CompiledArtifacts.from_file(text)
    if text.lstrip().startswith(("{", "[")):
        return CompiledArtifacts.from_json(text)
    shown = text if len(text) <= 80 else f"{text[:77]}..."
    raise ContractValidationError(
        "invalid compiled artifacts",
        [
            f"(root): {shown!r} is neither a file ({kind}) nor JSON text (it does not start with "
            "'{') (allowed: the path of compiled_artifacts.json, its JSON text, or a dict)"
        ],
    )


def _kind(path: Path) -> str:
    try:
        if path.is_file():
            return "file"
        return "it is a directory" if path.is_dir() else "no such file"
    except OSError as error:  # e.g. a name too long for the file system
        return error.strerror or type(error).__name__


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
    compute_plugins: Sequence[str] = (),
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
        compute_plugins=compute_plugins,
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

    from floe_dagster_assets import dbt_resources, ensure_manifest, target_for_compute
    from floe_dagster_lineage import with_openlineage
    from floe_dagster_schedules import ScheduleBook

    from ._floe import lineage_config, report_ignored, with_floe_metadata

    compiled = load_artifacts(artifacts)
    transforms = compiled.to_transform_configs()
    # Schedules: the artifacts' own (plugins.orchestrator.config's default_schedule and
    # schedules, a top-level schedules; two for one job are an error), then those of
    # schedule_job(), which replace the artifacts' for the same job.
    book = ScheduleBook()
    _add_artifact_schedules(book, compiled)
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
    computes = compiled.compute_plugins
    manifest = ensure_manifest(
        project,
        profiles=compiled.dbt_profiles,
        profiles_dir=settings.dbt_profiles_dir,
        target=target_for_compute(
            project,
            default_compute,
            profiles=compiled.dbt_profiles,
            profiles_dir=settings.dbt_profiles_dir,
            compute_plugins=computes,
        ),
    )
    assets = build_assets(
        transforms,
        settings=settings,
        profiles=compiled.dbt_profiles,
        default_compute=default_compute,
        manifest_path=manifest,
        compute_plugins=computes,
    )
    assets = with_floe_metadata(assets, compiled)
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
    report_ignored(compiled)
    return with_openlineage(defs, lineage or lineage_config(compiled), dbt_manifest=manifest)


def _add_artifact_schedules(book: ScheduleBook, compiled: CompiledArtifacts) -> None:
    """Add the artifacts' schedules; a bad one is named by where it is in the artifacts."""
    from floe_dagster_schedules import CRON_FORMAT_HELP, ScheduleValidationError

    sources = compiled.schedule_sources()
    try:
        book.add_all([spec for _, spec in sources])
    except ScheduleValidationError as error:
        problems = [
            _INDEXED.sub(lambda m: sources[int(m[1])][0], problem) for problem in error.problems
        ]
        raise ScheduleValidationError(
            "invalid schedules in the compiled artifacts",
            problems,
            cron_help=CRON_FORMAT_HELP in str(error),
        ) from None
