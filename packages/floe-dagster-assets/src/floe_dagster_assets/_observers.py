"""Who hears about a dbt run while it runs: observers, handed to the assets as a Dagster resource.

A resource, not run config or ``dagster.yaml``, because it travels with the ``Definitions``
wherever a run is launched (UI, schedule, ``dagster asset materialize``, ``execute_in_process``,
a Kubernetes step pod): the code location that defines the assets also defines who observes them.

Every observer gets its own daemon thread and queue, so the run's thread only enqueues: an
observer that raises is logged and skipped, one that is slow or hangs delays nobody. At the end
of the dbt step the run waits at most ``drain_timeout_s`` for the queues to empty, then reports
what was not delivered once, at WARNING.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from floe_orchestrator_contract import RunObserver

__all__ = [
    "DEFAULT_DRAIN_TIMEOUT_S",
    "RUN_OBSERVERS_RESOURCE_KEY",
    "ObserverDispatch",
    "RunObservers",
    "as_run_observers",
    "run_observers_resource",
]

logger = logging.getLogger(__name__)

RUN_OBSERVERS_RESOURCE_KEY = "floe_run_observers"
DEFAULT_DRAIN_TIMEOUT_S = 5.0
_QUEUE_SIZE = 100_000
_STOP = object()


class RunObservers:
    """The observers a dbt run reports to (the value behind :data:`RUN_OBSERVERS_RESOURCE_KEY`).

    ``drain_timeout_s`` bounds how long the end of a dbt step waits for slow observers.
    """

    def __init__(
        self,
        observers: Iterable[RunObserver] = (),
        *,
        drain_timeout_s: float = DEFAULT_DRAIN_TIMEOUT_S,
    ) -> None:
        self.observers: tuple[RunObserver, ...] = tuple(observers)
        problems = [
            f"observers[{i}]: {type(o).__name__} is not a RunObserver (allowed: an object with "
            "run_started, node_started, node_finished, node_tested and run_finished)"
            for i, o in enumerate(self.observers)
            if not isinstance(o, RunObserver)
        ]
        if drain_timeout_s < 0:
            problems.append(f"drain_timeout_s: {drain_timeout_s!r} (allowed: 0 or more seconds)")
        if problems:
            raise ValueError("invalid run observers: " + "; ".join(problems))
        self.drain_timeout_s = drain_timeout_s

    def __repr__(self) -> str:
        names = ", ".join(type(o).__name__ for o in self.observers)
        return f"RunObservers([{names}], drain_timeout_s={self.drain_timeout_s})"


def run_observers_resource(
    *observers: RunObserver, drain_timeout_s: float = DEFAULT_DRAIN_TIMEOUT_S
) -> Any:
    """A Dagster resource holding ``observers``, for key :data:`RUN_OBSERVERS_RESOURCE_KEY`.

    ``dbt_resources(..., observers=[...])`` adds it for you; use this to swap the observers of
    an existing ``Definitions`` or of one ``dagster.materialize`` call.
    """
    import dagster as dg

    value = RunObservers(observers, drain_timeout_s=drain_timeout_s)
    return dg.ResourceDefinition.hardcoded_resource(
        value, description=f"observers of dbt runs: {value!r}"
    )


def as_run_observers(value: Any) -> RunObservers | None:
    """The resource's value as :class:`RunObservers`: also a bare observer or a list of them
    (e.g. ``dg.ResourceDefinition.hardcoded_resource(observer)``); None for anything else."""
    if isinstance(value, RunObservers):
        return value
    if isinstance(value, RunObserver):
        return RunObservers([value])
    if isinstance(value, (list, tuple)) and all(isinstance(v, RunObserver) for v in value):
        return RunObservers(value)
    if value is not None:
        logger.warning(
            "resource %r holds %s, not run observers: the run is not observed",
            RUN_OBSERVERS_RESOURCE_KEY,
            type(value).__name__,
        )
    return None


class _Worker:
    """One observer's queue and thread: calls in order, never on the run's thread."""

    def __init__(self, observer: RunObserver) -> None:
        self.observer = observer
        self.name = type(observer).__name__
        self.queue: queue.Queue[Any] = queue.Queue(maxsize=_QUEUE_SIZE)
        self.submitted = 0
        self.processed = 0
        self.dropped = 0
        self.failed = 0
        self._warned: set[str] = set()
        self.thread = threading.Thread(
            target=self._loop, name=f"floe-observer-{self.name}", daemon=True
        )
        self.thread.start()

    def put(self, call: tuple[str, tuple[Any, ...], dict[str, Any]]) -> None:
        try:
            self.queue.put_nowait(call)
        except queue.Full:
            self.dropped += 1
        else:
            self.submitted += 1

    def _loop(self) -> None:
        while True:
            item = self.queue.get()
            if item is _STOP:
                return
            method, args, kwargs = item
            try:
                getattr(self.observer, method)(*args, **kwargs)
            except Exception as error:  # an observer never breaks a run
                self.failed += 1
                if method not in self._warned:
                    self._warned.add(method)
                    logger.warning(
                        "run observer %s raised in %s (ignored): %s: %s",
                        self.name,
                        method,
                        type(error).__name__,
                        error,
                    )
            finally:
                self.processed += 1


class ObserverDispatch:
    """Delivers reports to every observer without ever blocking or failing the caller."""

    def __init__(self, observers: Iterable[RunObserver]) -> None:
        self._workers = [_Worker(observer) for observer in observers]

    def __bool__(self) -> bool:
        return bool(self._workers)

    def call(self, method: str, *args: Any, **kwargs: Any) -> None:
        for worker in self._workers:
            worker.put((method, args, kwargs))

    def close(self, timeout_s: float, warn: Callable[[str], None] | None = None) -> dict[str, int]:
        """Stop every worker, waiting at most ``timeout_s`` in all; return undelivered counts."""
        for worker in self._workers:
            # Hopelessly behind when full: its thread is a daemon and is left to the process.
            with contextlib.suppress(queue.Full):
                worker.queue.put_nowait(_STOP)
        deadline = time.monotonic() + timeout_s
        undelivered: dict[str, int] = {}
        for worker in self._workers:
            worker.thread.join(max(deadline - time.monotonic(), 0))
            left = worker.dropped + worker.submitted - worker.processed
            if left:
                undelivered[worker.name] = left
            if left or worker.failed:
                busy = worker.thread.is_alive()
                (warn or logger.warning)(
                    f"run observer {worker.name}: {left} report(s) not handled"
                    + (f" (still busy after {timeout_s:g} s, left to it)" if busy else "")
                    + (f", {worker.dropped} dropped (queue full)" if worker.dropped else "")
                    + (f", {worker.failed} raised" if worker.failed else "")
                )
        self._workers = []
        return undelivered
