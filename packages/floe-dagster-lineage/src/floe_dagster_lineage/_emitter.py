"""``LineageEmitter``: emit without blocking, deliver in the background, never break the caller.

``emit`` checks its arguments, builds the event and puts it on a bounded queue; one daemon thread
sends events in order through the configured openlineage-python transport. Transient failures are
retried with exponential backoff; once the backend has failed an event, later events get a single
attempt until one succeeds again (so a dead backend costs milliseconds, not seconds, per event).

What was not delivered is reported once, at WARNING, with the counts: at each ``flush`` (the end
of a run, of a step process) and at interpreter exit, one line covers every event that failed or
was dropped since the previous report. Waiting is bounded: a flush waits at most
``flush_timeout``, and not at all once a request has timed out (a backend that accepts
connections but never answers costs a run at most ``timeout`` seconds, once per process, not
one timeout per event); a refused connection or an error status costs milliseconds.
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
        # A request timed out: the backend may hold every request that long, so flushes stop
        # waiting for it until a request succeeds again.
        self._stalled = False
        self._progress = threading.Condition()
        # Reporting each undelivered event once: events are numbered as queued and sent in that
        # order, so those numbered from `_mark` on are the ones no report has mentioned yet.
        self._queued = 0  # events ever queued: the next one's number
        self._next = 0  # number of the next event the sender takes
        self._mark = 0
        self._drained = 0  # queued events removed unsent when the emitter closed
        self._new = {"failed": 0, "dropped": 0}
        self._first_problem: str | None = None
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
        self._enqueue(event)

    emit_lineage_event = emit

    def emit_run_event(self, event: Any) -> None:
        """Queue a complete ``RunEvent`` (openlineage-python's, or the JSON object of one), as
        :meth:`emit` does: never blocks, never raises for delivery."""
        if not self.config.active:
            return
        self._adopt_process()
        self._enqueue(event)

    def _enqueue(self, event: Any) -> None:
        if self._closed:
            self._count("dropped", "the emitter is closed")
            return
        try:
            with self._lock:
                self._queue.put_nowait((self._queued, event))
                self._queued += 1
        except queue.Full:
            self._count("dropped", f"queue full ({self.config.queue_size} events waiting)")
            return
        if self._thread is None:
            self._start_sender()

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
        (default ``config.flush_timeout``), and not at all while the backend leaves requests
        unanswered. Reports what was not delivered (one WARNING with the counts); returns
        whether the queue drained."""
        if not self.config.active:
            return True
        self._adopt_process()
        drained = self._wait(self.config.flush_timeout if timeout is None else timeout)
        self._report_undelivered()
        return drained

    def close(self, timeout: float | None = None) -> None:
        """Flush within ``timeout``, then stop the sender; events still queued count as dropped
        (and are reported with the rest, once)."""
        if self._closed:
            return
        if self.config.active:
            self._adopt_process()
            self._wait(self.config.flush_timeout if timeout is None else timeout)
        with self._lock:
            self._closed = True
        self._wake.set()
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            self._queue.task_done()
            if item is not _STOP:
                self._count("dropped", "not delivered before the emitter closed", seq=item[0])
                with self._lock:
                    self._drained += 1
        if self.config.active:
            self._report_undelivered()
        thread = self._thread
        if thread is not None:
            self._queue.put(_STOP)
            # A sender stuck on an unanswered request is a daemon: leave it, do not wait for it.
            if not self._stalled:
                thread.join(timeout=1.0)
        transport = self._transport
        if (
            transport is not None
            and hasattr(transport, "close")
            and not (thread is not None and thread.is_alive())
        ):
            try:
                transport.close()
            except Exception:
                logger.debug("closing the OpenLineage transport failed", exc_info=True)
        _LIVE.discard(self)

    def _wait(self, timeout: float) -> bool:
        deadline = time.monotonic() + max(0.0, timeout)
        with self._progress:
            while self._queue.unfinished_tasks and not self._stalled:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._progress.wait(remaining)
        return self._queue.unfinished_tasks == 0

    def _report_undelivered(self) -> None:
        """One WARNING for the events no report has mentioned yet that failed, were dropped or
        are still queued; otherwise the counts at DEBUG."""
        stats = self.stats
        with self._lock:
            failed, dropped = self._new["failed"], self._new["dropped"]
            queued = max(0, self._queued - self._drained - max(self._mark, self._next))
            self._mark = self._queued
            self._new = {"failed": 0, "dropped": 0}
            problem, self._first_problem = self._first_problem, None
        counts = (
            f"sent={stats.sent} failed={stats.failed} dropped={stats.dropped} "
            f"queued={stats.pending}"
        )
        if not (failed or dropped or queued):
            logger.debug("OpenLineage delivery to %s: %s", self._target(), counts)
            return
        logger.warning(
            "OpenLineage delivery to %s: %d event(s) not delivered (%d failed, %d dropped, %d "
            "still queued; first problem: %s); the run is not affected. Totals: %s",
            self._target(),
            failed + dropped + queued,
            failed,
            dropped,
            queued,
            problem or "the backend did not answer in time",
            counts,
        )

    # -- the sender's side -------------------------------------------------------------------
    def _send_loop(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is _STOP:
                    return
                seq, event = item
                self._deliver(event, seq)
            except Exception:
                logger.debug("unexpected error while sending an OpenLineage event", exc_info=True)
            finally:
                if item is not _STOP:
                    with self._lock:
                        self._next = item[0] + 1
                self._queue.task_done()
                with self._progress:
                    self._progress.notify_all()

    def _deliver(self, event: Any, seq: int) -> None:
        if self._transport is None:
            try:
                self._transport = make_transport(self.config)
            except Exception as error:
                self._count("failed", describe_failure(error, self.config.api_key), seq=seq)
                return
        delay = self.config.backoff
        attempt = 0
        while True:
            try:
                self._transport.emit(event)
            except Exception as error:
                if isinstance(error, TimeoutError):
                    self._mark_stalled()
                retry = (
                    is_transient(error)
                    and attempt < self.config.max_retries
                    and not self._unhealthy
                    and not self._closed
                )
                if not retry:
                    self._unhealthy = self._unhealthy or is_transient(error)
                    self._count("failed", describe_failure(error, self.config.api_key), seq=seq)
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

    def _mark_stalled(self) -> None:
        with self._lock:
            if self._first_problem is None:
                self._first_problem = f"no answer within {self.config.timeout:g} s"
        with self._progress:
            self._stalled = True
            self._progress.notify_all()

    def _record_success(self) -> None:
        with self._lock:
            self._sent += 1
            recovered = self._unhealthy or self._stalled
            self._unhealthy = False
            self._stalled = False
        if recovered:
            logger.info("OpenLineage backend %s accepts events again", self._target())

    def _count(self, what: str, reason: str, amount: int = 1, seq: int | None = None) -> None:
        # Counted now, reported at the next flush or at exit: one line for an episode, not one
        # per event. An event reported as still queued is not reported again when it fails.
        with self._lock:
            setattr(self, f"_{what}", getattr(self, f"_{what}") + amount)
            if seq is None or seq >= self._mark:
                self._new[what] += amount
            if self._first_problem is None:
                self._first_problem = reason
        logger.debug("OpenLineage: %d event(s) %s (%s)", amount, what, reason)

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
    # One deadline for all: the process waits at most the longest flush_timeout in total, and
    # not at all for a backend that leaves requests unanswered.
    budget = max(e.config.flush_timeout for e in emitters)
    deadline = time.monotonic() + budget
    for emitter in emitters:
        if emitter._pid != os.getpid():
            continue
        emitter.close(timeout=max(0.0, deadline - time.monotonic()))
