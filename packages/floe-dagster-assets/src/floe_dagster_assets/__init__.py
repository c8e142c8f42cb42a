"""dbt models as Dagster assets that really run dbt, per-model compute routing, at any scale."""

from .__about__ import __version__

__all__ = ["__version__"]
