"""``OpenLineageHandler``: lineage for every run of a Dagster instance, run config or not.

Dagster builds a custom logger only for runs whose run config names it, so runs of the implicit
``__ASSET_JOB`` (the UI's "Materialize", ``dagster asset materialize``) get no logger. Handlers
listed in the instance's ``dagster.yaml`` under ``python_logs.dagster_handler_config`` are
different: Dagster adds them to the log manager of every run, in every process that executes
it (run worker, step processes), and hands them the same structured records (``dagster_meta``
with its ``DagsterEvent``) as loggers get.

A handler is not given the run's job, so it looks for the run's code location through public
APIs (see ``_graph``): the run's record in the instance of ``DAGSTER_HOME`` names the module and
attribute it was loaded from (and the run's asset selection); otherwise the one ``Definitions``
this process has loaded that defines the run's job. Without either, lineage comes from the
events alone: each materialized asset, without inputs.

When the job carries :func:`~floe_dagster_lineage.openlineage_logger` with active settings, the
run is reported with exactly those settings and dbt manifest, i.e. as the logger would have.
Otherwise the handler's own settings (``dagster.yaml``, else OpenLineage's environment) apply.
A run that the logger reports in a process (it claims the run when Dagster builds it, before the
first event) is left alone there, so no run is reported twice.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import fields
from typing import Any

from ._config import LineageConfig, LineageConfigError
from ._dagster import lineage_spec_of
from ._dbt import DbtManifest
from ._emitter import shared_emitter
from ._graph import definitions_for_run, graph_of, job_of, run_record
from ._translate import RunTranslator, is_claimed, is_lineage_event, is_run_end

__all__ = ["HANDLER_CLASS", "OpenLineageHandler", "dagster_handler_config"]

logger = logging.getLogger(__name__)

HANDLER_CLASS = "floe_dagster_lineage.OpenLineageHandler"
_CONFIG_SETTINGS = tuple(f.name for f in fields(LineageConfig) if f.name != "api_key")
_SETTINGS = (*_CONFIG_SETTINGS, "dbt_manifest")
_MAX_TRACKED_RUNS = 64
_TRUE = {"1", "true", "yes", "on"}


def dagster_handler_config(name: str = "openlineage", **settings: Any) -> dict[str, Any]:
    """The ``python_logs.dagster_handler_config`` value of ``dagster.yaml`` (the Dagster Helm
    chart's ``pythonLogs.dagsterHandlerConfig``) that enables :class:`OpenLineageHandler`.

    ``settings`` are :class:`~floe_dagster_lineage.LineageConfig`'s fields except ``api_key``
    (``dagster.yaml`` is no place for a secret: set ``OPENLINEAGE_API_KEY`` where runs execute),
    plus ``dbt_manifest`` (a path, as seen where runs execute). Without settings the handler
    reads OpenLineage's environment in each process. Bad settings raise one
    :class:`~floe_dagster_lineage.LineageConfigError` naming every problem.
    """
    problems = _setting_problems(settings, values=True)
    if not isinstance(name, str) or not name.strip():
        problems.insert(0, f"name: {name!r} must be a non-empty string (the handler's key)")
    if problems:
        raise LineageConfigError(problems)
    return {"handlers": {name: {"class": HANDLER_CLASS, **settings}}}


class OpenLineageHandler(logging.Handler):
    """Sends OpenLineage events for every run of the Dagster instance whose ``dagster.yaml``
    lists it (``python_logs.dagster_handler_config.handlers``), except in processes where the
    run's :func:`~floe_dagster_lineage.openlineage_logger` already reports it.

    Keyword arguments are the handler's entries in ``dagster.yaml`` (see
    :func:`dagster_handler_config`). Never raises into Dagster: invalid settings are logged once
    per process as one error naming every problem, and the handler then sends nothing.
    """

    def __init__(self, **settings: Any) -> None:
        super().__init__(level=logging.NOTSET)
        self._settings = dict(settings)

    def setLevel(self, level: int | str) -> None:
        # A level would silently drop Dagster events logged at DEBUG (step starts among them),
        # leaving half a lineage graph: the handler reads every Dagster event, whatever the level.
        if level not in (logging.NOTSET, "NOTSET"):
            logger.debug("OpenLineageHandler ignores level %r: it needs every Dagster event", level)

    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", None)
        if not isinstance(meta, Mapping):
            return
        event = meta.get("dagster_event")
        run_id = meta.get("run_id")
        if event is None or not isinstance(run_id, str) or not is_lineage_event(event):
            return
        try:
            if not is_claimed(run_id):
                translator = self._translator_for(run_id, meta.get("job_name"))
                if translator is not None:
                    translator.handle(event, meta, record.created)
        except Exception:
            logger.debug("could not translate a Dagster event into lineage", exc_info=True)
        finally:
            if is_run_end(event):
                with _LOCK:
                    _TRANSLATORS.pop(run_id, None)

    # -- one translator per run and process --------------------------------------------------
    def _translator_for(self, run_id: str, job_name: Any) -> RunTranslator | None:
        with _LOCK:
            if run_id in _TRANSLATORS:
                return _TRANSLATORS[run_id]
        if getattr(_BUSY, "active", False):
            return None  # an event logged while resolving this very run: not ours to report
        _BUSY.active = True
        try:
            translator = self._new_translator(run_id, job_name if isinstance(job_name, str) else "")
        finally:
            _BUSY.active = False
        with _LOCK:
            _TRANSLATORS[run_id] = translator
            while len(_TRANSLATORS) > _MAX_TRACKED_RUNS:
                _TRANSLATORS.popitem(last=False)
        return translator

    def _new_translator(self, run_id: str, job_name: str) -> RunTranslator | None:
        run = run_record(run_id)
        defs = definitions_for_run(job_name, run)
        job_def = job_of(defs, job_name) if defs is not None else None
        spec = lineage_spec_of(job_def) if job_def is not None else None
        config: LineageConfig | None = None
        manifest = spec.manifest if spec is not None else None
        if spec is not None:
            try:
                declared = spec.resolve()
            except LineageConfigError as error:
                logger.debug("the job's lineage settings do not resolve here: %s", error)
            else:
                config = declared if declared.active else None
        if config is None:
            config, own_manifest = _own_settings(self._settings)
            manifest = manifest or own_manifest
        if not config.active:
            logger.debug("run %s: no active lineage settings, nothing is sent", run_id)
            return None
        # An unselected run records an empty selection: every asset of its steps.
        selection = (getattr(run, "asset_selection", None) or None) if run is not None else None
        graph = (spec.graph if spec is not None else None) or graph_of(defs)
        logger.debug(
            "run %s of %r: lineage by the instance handler (%s, %r)",
            run_id,
            job_name,
            "code location found" if graph is not None else "code location not found: events",
            config,
        )
        return RunTranslator(shared_emitter(config), graph, manifest, selection=selection)


_LOCK = threading.RLock()
_TRANSLATORS: OrderedDict[str, RunTranslator | None] = OrderedDict()
_BUSY = threading.local()


# -- the handler's own settings ------------------------------------------------------------------
_REPORTED: set[str] = set()
_MANIFESTS: dict[tuple[str, float], DbtManifest] = {}


def _own_settings(settings: Mapping[str, Any]) -> tuple[LineageConfig, DbtManifest | None]:
    """The handler's settings in this process, resolved per run (the environment may change
    between runs, as the logger's does); problems are logged once, and the handler is then off."""
    problems = _setting_problems(settings)
    config = LineageConfig.disabled()
    manifest = None
    try:
        config = _config_from_settings(_known(settings), os.environ)
    except LineageConfigError as error:
        problems.extend(error.problems)
    if not problems:
        try:
            manifest = _manifest(settings.get("dbt_manifest"))
        except ValueError as error:
            problems.append(f"dbt_manifest: {error}")
    if problems:
        message = str(LineageConfigError(problems))
        with _LOCK:
            first = message not in _REPORTED
            _REPORTED.add(message)
        if first:
            logger.error(
                "OpenLineageHandler (dagster.yaml, python_logs.dagster_handler_config) sends "
                "nothing from this process: %s",
                message,
            )
        return LineageConfig.disabled(), None
    return config, manifest


def _known(settings: Mapping[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in settings.items() if name in _SETTINGS}


def _manifest(path: Any) -> DbtManifest | None:
    if not isinstance(path, str):
        return None
    try:
        key = (path, os.stat(path).st_mtime)
    except OSError as error:
        raise ValueError(f"dbt manifest {path!r} cannot be read: {error}") from None
    with _LOCK:
        if key in _MANIFESTS:
            return _MANIFESTS[key]
    manifest = DbtManifest.load(path)
    with _LOCK:
        _MANIFESTS.clear()  # one manifest per handler setting in practice; keep memory flat
        _MANIFESTS[key] = manifest
    return manifest


def _setting_problems(settings: Mapping[str, Any], *, values: bool = False) -> list[str]:
    """Unknown or forbidden names and a bad ``dbt_manifest``; with ``values``, also each known
    setting's value, checked without the environment (as where the configuration is written)."""
    allowed = ", ".join(_SETTINGS)
    problems = []
    for name in settings:
        if name == "api_key":
            problems.append(
                "api_key: not allowed here, dagster.yaml is no place for a secret "
                "(set OPENLINEAGE_API_KEY where runs execute)"
            )
        elif name not in _SETTINGS:
            problems.append(f"{name}: not a setting of OpenLineageHandler (allowed: {allowed})")
    manifest = settings.get("dbt_manifest")
    if "dbt_manifest" in settings and (not isinstance(manifest, str) or not manifest.strip()):
        problems.append(f"dbt_manifest: {manifest!r} must be the path of a manifest.json")
    if values:
        try:
            _config_from_settings(_known(settings), {}, base=LineageConfig.disabled())
        except LineageConfigError as error:
            problems.extend(error.problems)
    return problems


def _config_from_settings(
    settings: Mapping[str, Any], env: Mapping[str, str], *, base: LineageConfig | None = None
) -> LineageConfig:
    """OpenLineage's environment (as :meth:`LineageConfig.from_observability`), overridden by
    the settings given; an ``endpoint`` alone implies ``http``. ``OPENLINEAGE_DISABLED`` wins."""
    given = {name: settings[name] for name in _CONFIG_SETTINGS if name in settings}
    if base is None:
        base = LineageConfig.from_observability(None, environ=env)
    if not given:
        return base
    namespace = (
        given["namespace"]
        if "namespace" in given
        else env.get("OPENLINEAGE_NAMESPACE") or base.namespace
    )
    if env.get("OPENLINEAGE_DISABLED", "").strip().lower() in _TRUE:
        return LineageConfig.disabled(namespace if isinstance(namespace, str) else "default")
    if "endpoint" in given and "transport" not in given:
        given["transport"] = "http"
    if "transport" in given:
        given.setdefault("enabled", True)
    merged = {f.name: getattr(base, f.name) for f in fields(LineageConfig)}
    merged.update(given)
    merged["namespace"] = namespace
    merged["api_key"] = base.api_key or env.get("OPENLINEAGE_API_KEY") or None
    return LineageConfig(**merged)
