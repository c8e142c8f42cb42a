"""OpenLineage events for Dagster runs, delivered without ever breaking one."""

from .__about__ import __version__

__all__ = ["__version__"]
