"""``LineageEmitter``: emit without blocking, deliver in the background, never break the caller.

``emit`` checks its arguments, builds the event and puts it on a bounded queue; one daemon thread
sends events in order through the configured openlineage-python transport. Transient failures are
retried with exponential backoff; once the backend has failed an event, later events get a single
attempt until one succeeds again (so a dead backend costs milliseconds, not seconds, per event).
An unhealthy episode is reported by ONE warning; counts are logged at every flush and readable
through ``stats``. Emitters are flushed at interpreter exit within ``flush_timeout``.
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import threading
import time
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from floe_orchestrator_contract import Dataset

from ._config import LineageConfig, redact_url
from ._events import TERMINAL, ParentRun, build_run_event, check_emit_arguments, new_run_id
from ._transport import describe_failure, is_transient, make_transport

__all__ = [
    "LineageEmitter",
    "LineageStats",
    "configure",
    "emit_lineage_event",
    "get_emitter",
    "shared_emitter",
]

logger = logging.getLogger(__name__)

_STOP = object()


@dataclass(frozen=True)
class LineageStats:
    """Delivery counts of one emitter: ``sent`` reached the backend, ``failed`` were given up
    after trying, ``dropped`` never left the process (queue full or closed), ``pending`` wait."""

    sent: int = 0
    failed: int = 0
    dropped: int = 0
    pending: int = 0


class LineageEmitter:
    """Sends OpenLineage events for one configuration, in the background, in emission order."""

    def __init__(self, config: LineageConfig | None = None) -> None:
        self.config = config if config is not None else LineageConfig.from_observability(None)
        self._lock = threading.Lock()
        self._reset_process_state()
        _LIVE.add(self)
        if not self.config.active:
            logger.debug("OpenLineage emitter is a no-op (%r)", self.config)

    def __repr__(self) -> str:
        return f"LineageEmitter({self.config!r}, stats={self.stats!r})"

    def _reset_process_state(self) -> None:
        # Called again in a forked child: the parent's thread and queue do not exist there.
        self._pid = os.getpid()
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=self.config.queue_size)
        self._thread: threading.Thread | None = None
        self._wake = threading.Event()
        self._closed = False
        self._sent = self._failed = self._dropped = 0
        self._unhealthy = False
        self._warned = False
        self._open_runs: dict[str, str] = {}
        self._transport: Any = None

    # -- the caller's side -------------------------------------------------------------------
    def emit(
        self,
        event_type: str,
        job: str,
        inputs: Sequence[Dataset],
        outputs: Sequence[Dataset],
        *,
        run_id: str | None = None,
        parent: ParentRun | None = None,
        error: BaseException | str | None = None,
        job_facets: Mapping[str, Any] | None = None,
        run_facets: Mapping[str, Any] | None = None,
        event_time: datetime | None = None,
        job_type: str = "JOB",
    ) -> None:
        """Queue one OpenLineage ``RunEvent``; never blocks and never raises for delivery.

        Bad arguments raise :class:`~floe_dagster_lineage.LineageEventError` naming each one.
        Without ``run_id``, a START opens a run for ``job`` and the next COMPLETE / FAIL / ABORT
        of the same job closes it, so the seed's four-argument calls pair up.
        """
        kind = check_emit_arguments(
            event_type,
            job,
            inputs,
            outputs,
            run_id=run_id,
            parent=parent,
            error=error,
            job_facets=job_facets,
            run_facets=run_facets,
            event_time=event_time,
        )
        if not self.config.active:
            return
        self._adopt_process()
        run_id = self._run_id_for(kind, job, run_id)
        try:
            event = build_run_event(
                kind,
                job,
                self.config.namespace,
                inputs,
                outputs,
                run_id=run_id,
                parent=parent,
                error=error,
                job_facets=job_facets,
                run_facets=run_facets,
                event_time=event_time,
                job_type=job_type,
            )
        except (TypeError, ValueError) as problem:
            # A facet the event classes reject: the run goes on, the event is counted as failed.
            self._count("failed", f"event for job {job!r} could not be built ({problem})")
            return
        if self._closed:
            self._count("dropped", "the emitter is closed")
            return
        try:
            self._queue.put_nowait(event)
        except queue.Full:
            self._count("dropped", f"queue full ({self.config.queue_size} events waiting)")
            return
        if self._thread is None:
            self._start_sender()

    emit_lineage_event = emit

    def _adopt_process(self) -> None:
        """In a forked child, start afresh: the parent's sender thread does not exist here and
        its queued events are the parent's to deliver."""
        if os.getpid() != self._pid:
            with self._lock:
                if os.getpid() != self._pid:
                    self._reset_process_state()

    def _run_id_for(self, kind: str, job: str, run_id: str | None) -> str:
        with self._lock:
            if run_id is None:
                if kind == "START":
                    run_id = self._open_runs[job] = new_run_id()
                elif kind in TERMINAL:
                    run_id = self._open_runs.pop(job, None) or new_run_id()
                else:
                    run_id = self._open_runs.get(job) or new_run_id()
            elif kind in TERMINAL and self._open_runs.get(job) == run_id:
                del self._open_runs[job]
            return run_id

    def _start_sender(self) -> None:
        with self._lock:
            if self._thread is not None:
                return
            self._thread = threading.Thread(
                target=self._send_loop, name="floe-openlineage-sender", daemon=True
            )
            self._thread.start()

    # -- flushing and closing ----------------------------------------------------------------
    @property
    def stats(self) -> LineageStats:
        with self._lock:
            return LineageStats(
                self._sent, self._failed, self._dropped, self._queue.unfinished_tasks
            )

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every queued event is sent or given up, at most ``timeout`` seconds
        (default ``config.flush_timeout``). Logs the counts; returns whether the queue drained."""
        if not self.config.active:
            return True
        self._adopt_process()
        limit = self.config.flush_timeout if timeout is None else max(0.0, timeout)
        deadline = time.monotonic() + limit
        done = self._queue.all_tasks_done
        with done:
            while self._queue.unfinished_tasks:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                done.wait(remaining)
            drained = self._queue.unfinished_tasks == 0
        stats = self.stats
        logger.info(
            "OpenLineage delivery to %s: sent=%d failed=%d dropped=%d pending=%d",
            self._target(),
            stats.sent,
            stats.failed,
            stats.dropped,
            stats.pending,
        )
        if not drained:
            self._report(f"{stats.pending} events still queued after a {limit:g} s flush")
        return drained

    def close(self, timeout: float | None = None) -> None:
        """Flush within ``timeout``, then stop the sender; events still queued count as dropped."""
        if self._closed:
            return
        self.flush(timeout)
        with self._lock:
            self._closed = True
        self._wake.set()
        left = 0
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            self._queue.task_done()
            if item is not _STOP:
                left += 1
        if left:
            self._count("dropped", "closed before delivery", amount=left)
        if self._thread is not None:
            self._queue.put(_STOP)
            self._thread.join(timeout=1.0)
        transport = self._transport
        if (
            transport is not None
            and hasattr(transport, "close")
            and not (self._thread is not None and self._thread.is_alive())
        ):
            try:
                transport.close()
            except Exception:
                logger.debug("closing the OpenLineage transport failed", exc_info=True)
        _LIVE.discard(self)

    # -- the sender's side -------------------------------------------------------------------
    def _send_loop(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is _STOP:
                    return
                self._deliver(item)
            except Exception:
                logger.debug("unexpected error while sending an OpenLineage event", exc_info=True)
            finally:
                self._queue.task_done()

    def _deliver(self, event: Any) -> None:
        if self._transport is None:
            try:
                self._transport = make_transport(self.config)
            except Exception as error:
                self._count("failed", describe_failure(error, self.config.api_key))
                return
        delay = self.config.backoff
        attempt = 0
        while True:
            try:
                self._transport.emit(event)
            except Exception as error:
                retry = (
                    is_transient(error)
                    and attempt < self.config.max_retries
                    and not self._unhealthy
                    and not self._closed
                )
                if not retry:
                    self._unhealthy = self._unhealthy or is_transient(error)
                    self._count("failed", describe_failure(error, self.config.api_key))
                    return
                attempt += 1
                logger.debug(
                    "OpenLineage send failed (%s); retry %d in %.2f s",
                    describe_failure(error, self.config.api_key),
                    attempt,
                    delay,
                )
                self._wake.wait(delay)
                delay *= 2
                continue
            self._record_success()
            return

    def _record_success(self) -> None:
        with self._lock:
            self._sent += 1
            recovered = self._unhealthy or self._warned
            self._unhealthy = False
            self._warned = False
        if recovered:
            logger.info("OpenLineage backend %s accepts events again", self._target())

    def _count(self, what: str, reason: str, amount: int = 1) -> None:
        with self._lock:
            setattr(self, f"_{what}", getattr(self, f"_{what}") + amount)
        self._report(f"{amount} event(s) {what}: {reason}")

    def _report(self, reason: str) -> None:
        with self._lock:
            first = not self._warned
            self._warned = True
        if first:
            logger.warning(
                "OpenLineage delivery to %s is failing (%s); the run is not affected and further "
                "problems are counted, not logged (see the counts at flush)",
                self._target(),
                reason,
            )
        else:
            logger.debug("OpenLineage delivery problem: %s", reason)

    def _target(self) -> str:
        endpoint = self.config.endpoint
        where = f" {redact_url(endpoint)}" if endpoint else ""
        return f"{self.config.transport}{where}"


# -- process-wide emitters -----------------------------------------------------------------------
_LIVE: weakref.WeakSet[LineageEmitter] = weakref.WeakSet()
_SHARED: dict[LineageConfig, LineageEmitter] = {}
_SHARED_LOCK = threading.Lock()
_DEFAULT: list[LineageEmitter] = []


def shared_emitter(config: LineageConfig) -> LineageEmitter:
    """The one emitter of this process for ``config`` (what Dagster loggers and hooks share)."""
    with _SHARED_LOCK:
        emitter = _SHARED.get(config)
        if emitter is None or emitter._closed:
            emitter = _SHARED[config] = LineageEmitter(config)
        return emitter


def configure(config: LineageConfig | None) -> LineageEmitter:
    """Set the emitter behind the module-level :func:`emit_lineage_event` (``None``: from the
    environment again). The previous default emitter is flushed and closed."""
    with _SHARED_LOCK:
        old = _DEFAULT[:]
        _DEFAULT[:] = [
            LineageEmitter(config if config is not None else LineageConfig.from_observability(None))
        ]
        new = _DEFAULT[0]
    for emitter in old:
        emitter.close()
    return new


def get_emitter() -> LineageEmitter:
    """The emitter behind :func:`emit_lineage_event` (from the environment on first use)."""
    with _SHARED_LOCK:
        if _DEFAULT and not _DEFAULT[0]._closed:
            return _DEFAULT[0]
    return configure(None)


def emit_lineage_event(
    event_type: str,
    job: str,
    inputs: Sequence[Dataset],
    outputs: Sequence[Dataset],
    **options: Any,
) -> None:
    """The seed's ``emit_lineage_event``, through the default emitter (see :func:`configure`).

    ``options`` are :meth:`LineageEmitter.emit`'s keyword-only arguments.
    """
    get_emitter().emit(event_type, job, inputs, outputs, **options)


@atexit.register
def _flush_at_exit() -> None:
    emitters = [e for e in list(_LIVE) if e.config.active and not e._closed]
    if not emitters:
        return
    budget = max(e.config.flush_timeout for e in emitters)
    deadline = time.monotonic() + budget
    for emitter in emitters:
        if emitter._pid != os.getpid():
            continue
        emitter.close(timeout=max(0.0, deadline - time.monotonic()))
