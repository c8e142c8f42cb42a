"""dbt models as Dagster assets that really run dbt, per-model compute routing, at any scale."""

from .__about__ import __version__
from ._assets import create_assets_from_transforms
from ._manifest import (
    DbtParseError,
    enrich_transforms,
    ensure_manifest,
    load_manifest,
    transforms_from_manifest,
)
from ._profiles import DBT_RESOURCE_KEY, dbt_resources, target_for_compute

__all__ = [
    "DBT_RESOURCE_KEY",
    "DbtParseError",
    "__version__",
    "create_assets_from_transforms",
    "dbt_resources",
    "enrich_transforms",
    "ensure_manifest",
    "load_manifest",
    "target_for_compute",
    "transforms_from_manifest",
]
