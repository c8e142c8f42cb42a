"""Compose the capability packages into one ``Definitions`` (imported only when building).

Order matters for "nothing half-built": the artifacts, the schedules and the transforms are all
validated before any Dagster object exists.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

from floe_orchestrator_contract import CompiledArtifacts, ContractValidationError, TransformConfig

if TYPE_CHECKING:
    import dagster as dg

    from floe_dagster_lineage import LineageConfig
    from floe_dagster_schedules import ScheduleBook

    from ._settings import PluginSettings

__all__ = [
    "ArtifactsInput",
    "Product",
    "build_assets",
    "build_definitions",
    "load_artifacts",
    "load_products",
    "product_manifest",
]

logger = logging.getLogger(__name__)

_MAX_PATH = 4096
_INDEXED = re.compile(r"(?<![\w.])schedules\[(\d+)\]")
_NOT_A_NAME = re.compile(r"[^A-Za-z0-9_]")
#: What ``create_definitions`` takes for one product.
ArtifactsInput = Mapping[str, Any] | CompiledArtifacts | str | Path


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
    kind = _text_kind(text)
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
    project_dir: Path | None = None,
    product: str | None = None,
    namespace_by_product: bool = True,
) -> list[dg.AssetsDefinition]:
    """The dbt project's assets for ``transforms`` (validated against the manifest first).

    ``product`` names the product the assets report (lineage) and, with
    ``namespace_by_product``, prefixes their keys, op and resource keys.

    The step running dbt carries the ``dagster-k8s/config`` tag of the plugin's workload size,
    so on Kubernetes (K8sRunLauncher, k8s executor) its pod gets the preset's resources.
    """
    from floe_dagster_assets import create_assets_from_transforms
    from floe_dagster_helm import get_resource_requirements, k8s_step_resources_tag

    return create_assets_from_transforms(
        transforms,
        project_dir=project_dir or _project_dir(settings),
        profiles=profiles,
        profiles_dir=settings.dbt_profiles_dir,
        default_compute=default_compute,
        manifest_path=manifest_path,
        op_tags=k8s_step_resources_tag(get_resource_requirements(settings.workload_size)),
        compute_plugins=compute_plugins,
        product=product,
        namespace_by_product=namespace_by_product,
    )


@dataclass(frozen=True)
class Product:
    """One product to build: its artifacts, and its dbt project when found beside them."""

    compiled: CompiledArtifacts
    project: Path | None = None

    @property
    def name(self) -> str:
        return self.compiled.metadata.product_name

    def project_dir(self, settings: PluginSettings) -> Path:
        return self.project or _project_dir(settings)


def load_products(
    artifacts: ArtifactsInput | Sequence[ArtifactsInput], settings: PluginSettings
) -> list[Product]:
    """Every product of ``artifacts`` (one, or a list of several), validated, or one error.

    In a list, a path's dbt project is the folder holding it, or its parent (where floe writes
    to the project's ``target/``); any other item uses the configured ``dbt_project_dir``. One
    product uses the configured ``dbt_project_dir``, else, given as a path, the folder beside it.
    """
    if not _several(artifacts):
        single = cast("ArtifactsInput", artifacts)
        path = _artifacts_file(single) if settings.dbt_project_dir is None else None
        return [Product(load_artifacts(single), _beside(path) if path else None)]
    items = list(cast("Sequence[ArtifactsInput]", artifacts))
    if not items:
        raise ContractValidationError(
            "invalid compiled artifacts",
            [
                "(root): an empty list of artifacts (allowed: a JSON object, or a list of them "
                "for several products)"
            ],
        )
    products: list[Product] = []
    problems: list[str] = []
    for position, item in enumerate(items):
        try:
            path = _artifacts_file(item)
            if path is None:
                products.append(Product(load_artifacts(item)))
            else:
                products.append(Product(CompiledArtifacts.from_file(path), _beside(path)))
        except ContractValidationError as error:
            problems += [f"artifacts[{position}]: {p}" for p in error.problems]
    slugs: dict[str, str] = {}
    for product in products:
        slug = _slug(product.name)
        if slug in slugs:
            problems.append(
                f"product {product.name!r} and product {slugs[slug]!r} would share Dagster "
                f"names ({slug}_...) (allowed: products whose names differ in more than "
                "punctuation)"
            )
        slugs.setdefault(slug, product.name)
    if problems:
        raise ContractValidationError("invalid compiled artifacts", problems)
    return products


def _several(artifacts: object) -> bool:
    return isinstance(artifacts, Sequence) and not isinstance(artifacts, (str, bytes))


def _artifacts_file(item: object) -> Path | None:
    if isinstance(item, os.PathLike):
        return Path(item)
    if isinstance(item, str) and _text_kind(item) == "file":
        return Path(item)
    return None


def _text_kind(text: str) -> str:
    path = Path(text) if text and len(text) < _MAX_PATH and "\n" not in text else None
    return _kind(path) if path is not None else "not a path"


def _beside(artifacts_file: Path) -> Path:
    folder = artifacts_file.resolve().parent
    if not (folder / "dbt_project.yml").is_file() and (folder.parent / "dbt_project.yml").is_file():
        return folder.parent
    return folder


def _slug(product: str) -> str:
    return _NOT_A_NAME.sub("_", product)


def build_definitions(
    artifacts: ArtifactsInput | Sequence[ArtifactsInput],
    *,
    settings: PluginSettings,
    schedules: ScheduleBook,
    lineage: LineageConfig | None = None,
    loggers: Mapping[str, dg.LoggerDefinition] | None = None,
    namespace_by_product: bool = True,
) -> dg.Definitions:
    """Assets, the dbt resource, schedules (artifacts' first, then ``schedule_job``'s), lineage,
    of one product or of several (``artifacts`` a list), merged into one ``Definitions``.

    With ``namespace_by_product`` (the default) each product's asset keys, op, jobs, schedules,
    resources and lineage logger carry its name, so products live side by side; without it the
    names are bare, which only one product can have. ``loggers`` are added beside the lineage
    logger (the CLI adds its progress logger).
    """
    import dagster as dg

    products = load_products(artifacts, settings)
    if len(products) > 1 and not namespace_by_product:
        raise ContractValidationError(
            "several products in one Definitions",
            [
                f"namespace_by_product=False with {len(products)} products "
                f"({', '.join(p.name for p in products)}): their asset keys and resources would "
                "collide (allowed: namespace_by_product=True, or one product)"
            ],
        )
    # Every product's schedules first: nothing is built if any of them is wrong.
    books = dict(
        zip(
            (p.name for p in products),
            _each(products, lambda p: _schedule_book(p, schedules, namespace_by_product)),
            strict=True,
        )
    )
    parts = _each(
        products,
        lambda p: _product_definitions(
            p,
            books[p.name],
            settings=settings,
            lineage=lineage,
            namespace_by_product=namespace_by_product,
        ),
    )
    if loggers:
        parts.append(dg.Definitions(loggers=dict(loggers)))
    return parts[0] if len(parts) == 1 else dg.Definitions.merge(*parts)


_T = TypeVar("_T")


def _each(products: list[Product], build: Callable[[Product], _T]) -> list[_T]:
    """``build`` for every product; the problems of all of them in one error."""
    if len(products) == 1:
        return [build(products[0])]
    results: list[_T] = []
    problems: list[str] = []
    for product in products:
        try:
            results.append(build(product))
        except ContractValidationError as error:
            problems += [f"{product.name}: {p}" for p in error.problems]
    if problems:
        raise ContractValidationError("invalid products", problems)
    return results


def _schedule_book(
    product: Product, schedules: ScheduleBook, namespace_by_product: bool
) -> ScheduleBook:
    """The artifacts' schedules (plugins.orchestrator.config's default_schedule and schedules,
    a top-level schedules; two for one job are an error), then those of schedule_job(), which
    replace the artifacts' for the same job; named after the product when namespaced."""
    from floe_dagster_schedules import ScheduleBook

    book = ScheduleBook()
    _add_artifact_schedules(book, product.compiled)
    book.add_all(schedules.entries())
    return book.namespaced(_slug(product.name)) if namespace_by_product else book


def product_manifest(product: Product, settings: PluginSettings) -> Path:
    """The product's up-to-date dbt manifest (``dbt parse`` when missing or stale)."""
    from floe_dagster_assets import ensure_manifest, target_for_compute

    compiled = product.compiled
    project = product.project_dir(settings)
    default_compute = compiled.transforms.default_compute if compiled.transforms else None
    return ensure_manifest(
        project,
        profiles=compiled.dbt_profiles,
        profiles_dir=settings.dbt_profiles_dir,
        target=target_for_compute(
            project,
            default_compute,
            profiles=compiled.dbt_profiles,
            profiles_dir=settings.dbt_profiles_dir,
            compute_plugins=compiled.compute_plugins,
        ),
    )


def _product_definitions(
    product: Product,
    book: ScheduleBook,
    *,
    settings: PluginSettings,
    lineage: LineageConfig | None,
    namespace_by_product: bool,
) -> dg.Definitions:
    import dagster as dg

    from floe_dagster_assets import dbt_resources
    from floe_dagster_lineage import LOGGER_KEY, OpenLineageObserver, with_openlineage

    from ._floe import lineage_config, report_ignored, with_floe_metadata

    compiled = product.compiled
    transforms = compiled.to_transform_configs()
    if not transforms:
        if len(book):
            logger.warning(
                "%s has no models: its schedules (%s) are left out of the empty Definitions",
                product.name,
                ", ".join(book.job_names()),
            )
        return dg.Definitions()

    project = product.project_dir(settings)
    manifest = product_manifest(product, settings)
    named = product.name if namespace_by_product else None
    assets = build_assets(
        transforms,
        settings=settings,
        profiles=compiled.dbt_profiles,
        default_compute=compiled.transforms.default_compute if compiled.transforms else None,
        manifest_path=manifest,
        compute_plugins=compiled.compute_plugins,
        project_dir=project,
        product=product.name,
        namespace_by_product=namespace_by_product,
    )
    assets = with_floe_metadata(assets, compiled)
    config = lineage or lineage_config(compiled)
    # Every run of the dbt assets reports to the observer, however it was launched.
    resources = dbt_resources(
        project,
        profiles=compiled.dbt_profiles,
        profiles_dir=settings.dbt_profiles_dir,
        observers=[OpenLineageObserver(config)] if config.active else (),
        product=named,
    )
    # Jobs run what can run: dbt sources are external assets, observed but never materialized.
    floe_assets = dg.AssetSelection.assets(*(a for a in assets if a.is_executable))
    jobs = [
        dg.define_asset_job(entry.job_name, selection=floe_assets)
        for entry in book.entries()
        if entry.selection is None
    ]
    defs = dg.Definitions(
        assets=assets, jobs=jobs, schedules=book.definitions(), resources=resources
    )
    report_ignored(compiled)
    logger_key = f"{LOGGER_KEY}_{_slug(product.name)}" if named else LOGGER_KEY
    return with_openlineage(defs, config, dbt_manifest=manifest, logger_key=logger_key)


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
