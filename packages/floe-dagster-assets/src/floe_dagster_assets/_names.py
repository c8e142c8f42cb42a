"""Names of one product's Dagster objects, so several products live in one deployment.

Asset keys must be unique across a whole Dagster deployment, and op, job, schedule and resource
names within a code location: with a product, each starts with it (keys ``[product, model]``,
resource ``dbt_<product>``). Without one they are the bare names of a single dbt project.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import dagster as dg

from ._observers import RUN_OBSERVERS_RESOURCE_KEY
from ._profiles import DBT_RESOURCE_KEY

__all__ = [
    "Naming",
    "dbt_resource_key",
    "product_slug",
    "run_observers_resource_key",
]

_NOT_A_NAME = re.compile(r"[^A-Za-z0-9_]")


def product_slug(product: str) -> str:
    """``product`` as Dagster names ops, jobs, resources: ``customer-360`` -> ``customer_360``."""
    return _NOT_A_NAME.sub("_", product) or "product"


def dbt_resource_key(product: str | None = None) -> str:
    """The key of the dbt CLI resource: ``dbt``, or ``dbt_<product>`` for a product's assets."""
    return f"{DBT_RESOURCE_KEY}_{product_slug(product)}" if product else DBT_RESOURCE_KEY


def run_observers_resource_key(product: str | None = None) -> str:
    """The key of the run observers: ``floe_run_observers``, or ``floe_run_observers_<product>``."""
    if product:
        return f"{RUN_OBSERVERS_RESOURCE_KEY}_{product_slug(product)}"
    return RUN_OBSERVERS_RESOURCE_KEY


@dataclass(frozen=True)
class Naming:
    """How one product's assets, op, groups and resources are named (bare without a product)."""

    product: str | None = None
    namespaced: bool = True

    @property
    def prefix(self) -> tuple[str, ...]:
        return (self.product,) if self.product and self.namespaced else ()

    @property
    def scoped(self) -> str | None:
        """The product, when names carry it."""
        return self.product if self.prefix else None

    @property
    def dbt_key(self) -> str:
        return dbt_resource_key(self.scoped)

    @property
    def observers_key(self) -> str:
        return run_observers_resource_key(self.scoped)

    def key(self, *path: str) -> dg.AssetKey:
        return dg.AssetKey([*self.prefix, *path])

    def op_name(self, project: str) -> str:
        return f"dbt_{product_slug(self.scoped or project or 'project')}"

    def group(self, schema: str) -> str:
        name = _NOT_A_NAME.sub("_", schema) or "default"
        return f"{product_slug(self.scoped)}_{name}" if self.scoped else name

    def source_key(self, source: Any) -> dg.AssetKey:
        """A dbt source's key: another product's asset when its meta says so, else its own."""
        return self.upstream_asset(source) or self.key(source.source_name, source.name)

    def upstream_asset(self, source: Any) -> dg.AssetKey | None:
        """The asset another product (or anyone) defines for ``source``, per its ``meta``:
        dagster-dbt's ``dagster.asset_key``, or floe's ``floe.product`` (+ ``floe.model``,
        default the table's name), keyed as that product keys its models."""
        meta = source.meta if isinstance(source.meta, Mapping) else {}
        dagster_meta = meta.get("dagster")
        declared = dagster_meta.get("asset_key") if isinstance(dagster_meta, Mapping) else None
        if isinstance(declared, str) and declared:
            return dg.AssetKey.from_user_string(declared)
        if isinstance(declared, (list, tuple)) and declared:
            return dg.AssetKey([str(part) for part in declared])
        floe_meta = meta.get("floe")
        owner = floe_meta.get("product") if isinstance(floe_meta, Mapping) else None
        if not isinstance(owner, str) or not owner:
            return None
        model = str((floe_meta or {}).get("model") or source.name)
        return dg.AssetKey([owner, model] if self.namespaced else [model])
