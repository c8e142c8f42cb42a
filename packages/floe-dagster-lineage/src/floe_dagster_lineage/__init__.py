"""OpenLineage events for Dagster runs, delivered without ever breaking one."""

from .__about__ import __version__
from ._config import TRANSPORTS, LineageConfig, LineageConfigError
from ._dagster import LOGGER_KEY, lineage_run_config, openlineage_logger, with_openlineage
from ._emitter import (
    LineageEmitter,
    LineageStats,
    configure,
    emit_lineage_event,
    get_emitter,
    shared_emitter,
)
from ._events import EVENT_TYPES, PRODUCER, LineageEventError, ParentRun
from ._handler import OpenLineageHandler, dagster_handler_config
from ._naming import dataset_for, dataset_namespace, warehouse_from_profile
from ._observer import OpenLineageObserver, node_job_name

__all__ = [
    "EVENT_TYPES",
    "LOGGER_KEY",
    "PRODUCER",
    "TRANSPORTS",
    "LineageConfig",
    "LineageConfigError",
    "LineageEmitter",
    "LineageEventError",
    "LineageStats",
    "OpenLineageHandler",
    "OpenLineageObserver",
    "ParentRun",
    "__version__",
    "configure",
    "dagster_handler_config",
    "dataset_for",
    "dataset_namespace",
    "emit_lineage_event",
    "get_emitter",
    "lineage_run_config",
    "node_job_name",
    "openlineage_logger",
    "shared_emitter",
    "warehouse_from_profile",
    "with_openlineage",
]
