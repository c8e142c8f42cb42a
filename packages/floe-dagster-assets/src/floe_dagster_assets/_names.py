"""Names of one product's Dagster objects, so several products live in one deployment.

Asset keys must be unique across a whole Dagster deployment, and op, job, schedule and resource
names within a code location: with a product, each starts with it (keys ``[product, model]``,
resource ``dbt_<product>``). Without one they are the bare names of a single dbt project.
"""

from __future__ import annotations

import re

from ._observers import RUN_OBSERVERS_RESOURCE_KEY
from ._profiles import DBT_RESOURCE_KEY

__all__ = [
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
