"""Lineage for Dagster runs: a Dagster logger that turns the run's structured events into
OpenLineage events, in whichever process each event happens (the translation itself lives in
``_translate``, shared with the instance-level :class:`~floe_dagster_lineage.OpenLineageHandler`).

Why a logger: Dagster hands every ``@logger`` the ``DagsterEvent`` behind each log record
(``record.dagster_meta``) in the process where it happens: the run worker for run events, each
step's process for step and materialization events (checked with ``execute_in_process`` and the
multiprocess executor). :func:`with_openlineage` gives the logger the asset graph of its
``Definitions`` (read through Dagster's public API, see ``_graph``); the run's job
(``InitLoggerContext.job_def``) gives the run's asset selection.

Dagster instantiates a custom logger only when the run config names it (``loggers:
{openlineage: {}}``), so :func:`with_openlineage` puts that into every asset job's default config
and :func:`lineage_run_config` gives it for anything launched otherwise. Runs launched without it
(the implicit ``__ASSET_JOB`` behind the UI's "Materialize") are reported by the instance handler
with the logger's own settings, which the logger function carries (:class:`LineageSpec`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._config import LineageConfig
from ._dbt import DbtManifest
from ._emitter import shared_emitter
from ._graph import definitions_for_run, graph_of, register_definitions, run_record
from ._translate import LineageSpec, RunTranslator, claim_run

if TYPE_CHECKING:
    import dagster as dg

__all__ = [
    "LOGGER_KEY",
    "lineage_run_config",
    "lineage_spec_of",
    "openlineage_logger",
    "with_openlineage",
]

logger = logging.getLogger(__name__)

LOGGER_KEY = "openlineage"
_SPEC_ATTRIBUTE = "floe_lineage_spec"


# -- the public API ------------------------------------------------------------------------------
def openlineage_logger(
    config: LineageConfig | None = None,
    *,
    dbt_manifest: str | Path | Mapping[str, Any] | None = None,
) -> dg.LoggerDefinition:
    """A Dagster logger that emits OpenLineage events for the runs it is attached to.

    ``config=None`` resolves :meth:`LineageConfig.from_observability` (OpenLineage's standard
    settings) in each process, so Kubernetes step pods read their own environment. With a
    ``dbt_manifest`` (path or parsed ``manifest.json``), assets that are dbt models get the
    model's relation as dataset name, its columns as schema facet and its SQL as job facet.
    """
    manifest = DbtManifest.load(dbt_manifest) if dbt_manifest is not None else None
    return _logger_definition(LineageSpec(config, manifest))


def _logger_definition(spec: LineageSpec) -> dg.LoggerDefinition:
    import dagster as dg

    def _openlineage_logger(init_context: dg.InitLoggerContext) -> logging.Logger:
        resolved = spec.resolve()
        run_id = init_context.run_id
        if resolved.active and run_id:
            claim_run(run_id)
        job_def = init_context.job_def
        graph = spec.graph
        if graph is None and resolved.active and job_def is not None:
            # A logger attached by hand: the run's code location, as the handler finds it.
            graph = graph_of(definitions_for_run(job_def.name, run_record(run_id or "")))
        selection = getattr(job_def, "asset_selection", None)
        translator = RunTranslator(
            shared_emitter(resolved), graph, spec.manifest, selection=selection
        )
        out = logging.Logger("floe_dagster_lineage.dagster_events", level=logging.DEBUG)
        out.addHandler(_DagsterEventHandler(translator))
        return out

    setattr(_openlineage_logger, _SPEC_ATTRIBUTE, spec)
    return dg.LoggerDefinition(
        _openlineage_logger,
        description="Sends OpenLineage events for each run and each materialized asset",
    )


def lineage_run_config(
    run_config: Mapping[str, Any] | None = None, *, logger_key: str = LOGGER_KEY
) -> dict[str, Any]:
    """``run_config`` with the lineage logger switched on (and Dagster's console logger kept,
    which naming any logger would otherwise switch off)."""
    merged = dict(run_config or {})
    loggers = dict(merged.get("loggers") or {})
    loggers.setdefault("console", {})
    loggers.setdefault(logger_key, {})
    merged["loggers"] = loggers
    return merged


def with_openlineage(
    defs: dg.Definitions,
    config: LineageConfig | None = None,
    *,
    dbt_manifest: str | Path | Mapping[str, Any] | None = None,
    logger_key: str = LOGGER_KEY,
) -> dg.Definitions:
    """``defs`` with the lineage logger added and switched on in every asset job's default config.

    Jobs whose config is a ``ConfigMapping``/``PartitionedConfig`` and op jobs keep theirs: launch
    those with ``run_config=lineage_run_config(...)``, or enable
    :class:`~floe_dagster_lineage.OpenLineageHandler` on the instance, which reports every run
    that no logger reports (the implicit asset job's included) with these same settings.
    """
    import inspect

    import dagster as dg
    from dagster import colored_console_logger

    loggers = dict(defs.loggers or {})
    if logger_key in loggers:
        raise ValueError(f"with_openlineage: logger key {logger_key!r} is already used in defs")
    loggers.setdefault("console", colored_console_logger)
    manifest = DbtManifest.load(dbt_manifest) if dbt_manifest is not None else None
    loggers[logger_key] = _logger_definition(LineageSpec(config, manifest, graph_of(defs)))
    jobs = [_with_lineage_config(job, logger_key) for job in defs.jobs or []]
    parameters = [p for p in inspect.signature(dg.Definitions.__new__).parameters if p != "cls"]
    arguments = {name: getattr(defs, name) for name in parameters if hasattr(defs, name)}
    arguments.update(loggers=loggers, jobs=jobs)
    wrapped = dg.Definitions(**arguments)
    # The instance handler finds this code location's graph and settings for runs that carry
    # no logger (the implicit asset job), without being told where the code location is.
    register_definitions(wrapped)
    return wrapped


def lineage_spec_of(job_def: Any) -> LineageSpec | None:
    """The lineage settings of ``job_def``'s :func:`openlineage_logger`, if it has one."""
    for logger_def in (getattr(job_def, "loggers", None) or {}).values():
        spec = getattr(getattr(logger_def, "logger_fn", None), _SPEC_ATTRIBUTE, None)
        if isinstance(spec, LineageSpec):
            return spec
    return None


def _with_lineage_config(job: Any, logger_key: str) -> Any:
    import inspect

    import dagster as dg

    # define_asset_job's result type, taken from the public function, not a private import.
    if not isinstance(job, type(dg.define_asset_job("floe_lineage_probe"))):
        return job
    if job.config is not None and not isinstance(job.config, Mapping):
        logger.debug("job %r keeps its own config: add lineage_run_config() to it", job.name)
        return job
    parameters = inspect.signature(dg.define_asset_job).parameters
    arguments = {name: getattr(job, name) for name in parameters if hasattr(job, name)}
    arguments["config"] = lineage_run_config(job.config, logger_key=logger_key)
    return dg.define_asset_job(**arguments)


# -- the logger's end of the translation ---------------------------------------------------------
class _DagsterEventHandler(logging.Handler):
    def __init__(self, translator: RunTranslator) -> None:
        super().__init__(level=logging.NOTSET)
        self._translator = translator

    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", None)
        if not isinstance(meta, Mapping) or meta.get("dagster_event") is None:
            return
        event = meta["dagster_event"]
        try:
            self._translator.handle(event, meta, record.created)
        except Exception:
            logger.debug("could not translate a Dagster event into lineage", exc_info=True)
