"""Resource presets and Helm values that the official Dagster chart accepts (no Dagster needed)."""

from .__about__ import __version__

__all__ = ["__version__"]
