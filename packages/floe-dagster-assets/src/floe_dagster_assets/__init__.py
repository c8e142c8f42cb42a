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
from ._names import dbt_resource_key, product_slug, run_observers_resource_key
from ._observers import RUN_OBSERVERS_RESOURCE_KEY, RunObservers, run_observers_resource
from ._owners import dagster_owners
from ._profiles import DBT_RESOURCE_KEY, dbt_resources, target_for_compute
from ._run_options import DBT_VARS_TAG, FULL_REFRESH_TAG, dbt_run_tags
from ._selection import DbtSelection, DbtSelectionError, select_dbt_nodes

__all__ = [
    "DBT_RESOURCE_KEY",
    "DBT_VARS_TAG",
    "FULL_REFRESH_TAG",
    "RUN_OBSERVERS_RESOURCE_KEY",
    "DbtParseError",
    "DbtSelection",
    "DbtSelectionError",
    "RunObservers",
    "__version__",
    "create_assets_from_transforms",
    "dagster_owners",
    "dbt_resource_key",
    "dbt_resources",
    "dbt_run_tags",
    "enrich_transforms",
    "ensure_manifest",
    "load_manifest",
    "product_slug",
    "run_observers_resource",
    "run_observers_resource_key",
    "select_dbt_nodes",
    "target_for_compute",
    "transforms_from_manifest",
]
