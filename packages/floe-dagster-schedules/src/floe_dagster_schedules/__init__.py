"""Cron and IANA timezone validation that agrees with Dagster, DST included."""

from .__about__ import __version__

__all__ = ["__version__"]
