"""A Dagster logger that prints one line per asset as a run progresses (used by the CLI)."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TextIO

from floe_orchestrator_contract import clip_text

if TYPE_CHECKING:
    import dagster as dg

__all__ = ["RunProgress", "progress_logger"]


@dataclass
class RunProgress:
    """What the progress logger saw: per asset, its status, duration and check results.

    The duration is dbt's execution time of the model where the asset says so, else the time
    since the previous event of its step. ``planned`` holds every asset the run means to
    materialize (the caller sets it). A failed step's ``dagster.Failure`` adds its description
    to ``errors``; the floe dbt assets' ``failures`` metadata (one line per failed model or test,
    with the database's message) and ``not_run`` (models skipped because something upstream
    failed) extend the lists of the same names.
    """

    stream: TextIO = field(default_factory=lambda: sys.stdout)
    started: dict[str, float] = field(default_factory=dict)
    done: dict[str, tuple[str, float]] = field(default_factory=dict)
    checks: dict[str, list[tuple[str, bool]]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    planned: set[str] = field(default_factory=set)
    failures: list[str] = field(default_factory=list)
    not_run: list[str] = field(default_factory=list)

    def on_event(self, event: Any) -> None:
        kind = event.event_type_value
        now = time.monotonic()
        if kind == "STEP_START":
            self.started.setdefault(event.step_key or "", now)
        elif kind == "ASSET_MATERIALIZATION":
            key = event.asset_key.to_user_string() if event.asset_key else "?"
            step = event.step_key or ""
            elapsed = _execution_time(event)
            if elapsed is None:  # not a dbt asset: time since the step's previous event
                elapsed = now - self.started.get(step, now)
            self.started[step] = now
            self.done[key] = ("materialized", elapsed)
            self._line("✓", key, f"{elapsed:6.2f}s")
        elif kind == "ASSET_CHECK_EVALUATION":
            data = event.event_specific_data
            evaluation = getattr(data, "evaluation", data)
            key = evaluation.asset_key.to_user_string()
            passed = bool(evaluation.passed)
            self.checks.setdefault(key, []).append((evaluation.check_name, passed))
            if not passed:
                self._line("!", key, f"check {evaluation.check_name} failed")
        elif kind == "STEP_FAILURE":
            self._on_failure(event)

    def _on_failure(self, event: Any) -> None:
        data = event.event_specific_data
        user = getattr(data, "user_failure_data", None)
        description = getattr(user, "description", None)
        if not description:  # not a dagster.Failure: the exception's own first line
            description = getattr(getattr(data, "error", None), "message", None)
        lines = str(description or "").strip().splitlines()
        self.errors.append(lines[0] if lines else "step failed")
        metadata = getattr(user, "metadata", None) or {}
        self.failures += [str(f) for f in _json_list(metadata.get("failures"))]
        self.not_run += [str(n) for n in _json_list(metadata.get("not_run"))]
        self._line("✗", event.step_key or "step", self.errors[-1][:160])
        for failure in _json_list(metadata.get("failures")):
            self._line(" ", "", clip_text(failure, 200))

    def _line(self, mark: str, key: str, detail: str) -> None:
        print(f"  {mark} {key:<40} {detail}", file=self.stream, flush=True)


def _json_list(entry: Any) -> list[Any]:
    value = getattr(entry, "value", entry)
    return list(value) if isinstance(value, (list, tuple)) else []


def _execution_time(event: Any) -> float | None:
    """dbt's own execution time of the node, which the floe dbt assets attach as metadata."""
    materialization = getattr(event.event_specific_data, "materialization", None)
    entry = getattr(materialization, "metadata", {}).get("dbt/execution_time_s")
    value = getattr(entry, "value", None)
    return float(value) if isinstance(value, (int, float)) else None


class _Handler(logging.Handler):
    def __init__(self, sink: Callable[[Any], None]) -> None:
        super().__init__(logging.DEBUG)
        self._sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        event = getattr(record, "dagster_event", None)
        if event is not None:
            self._sink(event)


def progress_logger(progress: RunProgress) -> dg.LoggerDefinition:
    """A logger definition feeding ``progress`` with the run's structured events."""
    import dagster as dg

    def build(_: dg.InitLoggerContext) -> logging.Logger:
        log = logging.Logger("floe_dagster.progress", logging.DEBUG)
        log.addHandler(_Handler(progress.on_event))
        return log

    return dg.LoggerDefinition(build, description="floe-dagster progress lines")
