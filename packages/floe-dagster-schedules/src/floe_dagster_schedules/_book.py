"""``ScheduleBook``: where ``schedule_job`` writes, and where ``create_definitions`` reads."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ._errors import CRON_FORMAT_HELP, ScheduleValidationError
from ._schedule import build_schedule, schedule_name

if TYPE_CHECKING:
    from dagster import ScheduleDefinition

__all__ = ["ScheduleBook", "ScheduledJob"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScheduledJob:
    """One entry of a :class:`ScheduleBook`: what was asked, and the schedule built from it."""

    job_name: str
    cron: str
    timezone: str
    name: str
    definition: ScheduleDefinition = field(compare=False, repr=False)
    description: str | None = None
    tags: tuple[tuple[str, str], ...] = ()
    selection: Any = None
    running: bool = True


class ScheduleBook:
    """The schedules of one plugin instance, one per job, each validated when it is added.

    Scheduling a job that already has a schedule replaces it (the latest call wins, logged at
    INFO with the old and new cron and timezone); the same request again changes nothing. One
    :meth:`add_all` batch holding two schedules for a job is refused.
    A request that fails validation leaves the book as it was. Safe to use from several threads.
    """

    def __init__(self) -> None:
        self._entries: dict[str, ScheduledJob] = {}
        self._lock = threading.Lock()

    def add(
        self,
        job_name: str,
        cron: str,
        timezone: str,
        *,
        selection: Any = None,
        name: str | None = None,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
        running: bool = True,
    ) -> ScheduleDefinition:
        """Validate and store the schedule of ``job_name``; return its ``ScheduleDefinition``.

        Arguments are those of :func:`build_schedule`. Raises :class:`ScheduleValidationError`
        listing every problem, including a schedule ``name`` already used by another job.
        """
        entry = _entry(
            job_name,
            cron,
            timezone,
            selection=selection,
            name=name,
            description=description,
            tags=tags,
            running=running,
        )
        return self._store([entry])[0]

    def add_all(self, requests: Iterable[Any]) -> list[ScheduleDefinition]:
        """Add several schedules at once: all of them, or none if any is invalid.

        Each request has ``job_name``, ``cron`` and ``timezone`` (and optionally the other
        arguments of :meth:`add`) as attributes, like the contract's ``ScheduleSpec``, or as
        keys of a mapping. Two requests for the same job are a problem (which one was meant?),
        as duplicate model names are. The error lists every problem of every request.
        """
        entries: list[ScheduledJob] = []
        problems: list[str] = []
        cron_help = False
        first_of: dict[object, int] = {}
        for index, request in enumerate(requests):
            values = _request_values(request)
            label = f"schedules[{index}]"
            missing = [k for k in ("job_name", "cron", "timezone") if k not in values]
            if missing:
                problems.append(f"{label}: missing {', '.join(missing)}")
                continue
            job = values["job_name"]
            if isinstance(job, str) and job in first_of:
                problems.append(
                    f"{label}.job_name: {job!r} duplicates schedules[{first_of[job]}] "
                    "(allowed: one schedule per job)"
                )
                continue
            if isinstance(job, str):
                first_of[job] = index
            try:
                entries.append(_entry(**values))
            except ScheduleValidationError as error:
                problems += [f"{label} (job {values['job_name']!r}): {p}" for p in error.problems]
                cron_help = cron_help or CRON_FORMAT_HELP in str(error)
        if problems:
            raise ScheduleValidationError("invalid schedules", problems, cron_help=cron_help)
        return self._store(entries)

    def _store(self, entries: list[ScheduledJob]) -> list[ScheduleDefinition]:
        """Insert ``entries`` (later ones win for the same job) unless a schedule name clashes."""
        changes: list[tuple[ScheduledJob | None, ScheduledJob]] = []
        with self._lock:
            after = dict(self._entries)
            for entry in entries:
                after[entry.job_name] = entry
            owners: dict[str, str] = {}
            clashes: list[str] = []
            for entry in after.values():
                owner = owners.setdefault(entry.name, entry.job_name)
                if owner != entry.job_name:
                    clashes.append(
                        f"name {entry.name!r} of the schedule of job {entry.job_name!r} is "
                        f"already the schedule of job {owner!r} "
                        "(allowed: a name no other job's schedule has)"
                    )
            if clashes:
                raise ScheduleValidationError("conflicting schedule names", clashes)
            stored: list[ScheduleDefinition] = []
            for entry in entries:
                previous = self._entries.get(entry.job_name)
                if previous is not None and previous == entry:
                    logger.debug("schedule of job %r unchanged", entry.job_name)
                    stored.append(previous.definition)
                    continue
                self._entries[entry.job_name] = entry
                changes.append((previous, entry))
                stored.append(entry.definition)
        for previous, entry in changes:
            if previous is None:
                logger.info(
                    "scheduled job %r: %s in %s", entry.job_name, entry.cron, entry.timezone
                )
            else:
                logger.info(
                    "replaced the schedule of job %r: %s in %s (was %s in %s)",
                    entry.job_name,
                    entry.cron,
                    entry.timezone,
                    previous.cron,
                    previous.timezone,
                )
        return stored

    def remove(self, job_name: str) -> bool:
        """Forget the schedule of ``job_name``; ``False`` if it had none."""
        with self._lock:
            removed = self._entries.pop(job_name, None)
        if removed is not None:
            logger.info("unscheduled job %r", job_name)
        return removed is not None

    def get(self, job_name: str) -> ScheduledJob | None:
        with self._lock:
            return self._entries.get(job_name)

    def entries(self) -> list[ScheduledJob]:
        """The entries, in the order their jobs were first scheduled."""
        with self._lock:
            return list(self._entries.values())

    def definitions(self) -> list[ScheduleDefinition]:
        """The ``ScheduleDefinition``s to put in ``Definitions(schedules=...)``."""
        return [entry.definition for entry in self.entries()]

    def job_names(self) -> list[str]:
        """The jobs the schedules target: each must exist in the Definitions, unless the
        schedule was added with a ``selection`` (it then brings its own asset job)."""
        return [entry.job_name for entry in self.entries()]

    def namespaced(self, prefix: str) -> ScheduleBook:
        """A new book with every job (and schedule) named after ``prefix``, e.g. a product.

        A job name that already starts with ``<prefix>_`` (floe's ``<product>_job``) or is
        ``prefix`` itself is kept; any other becomes ``<prefix>_<job>``. A schedule named after
        its job follows the job; an explicit schedule name is prefixed by the same rule. So two
        products' ``daily`` jobs become ``greenhouse_daily`` and ``customer_360_daily``, and
        their Definitions merge. Raises :class:`ScheduleValidationError` if a new name clashes
        or is not a valid Dagster name.
        """
        requests = []
        for entry in self.entries():
            job = _prefixed(prefix, entry.job_name)
            derived = entry.name == schedule_name(entry.job_name)
            requests.append(
                {
                    "job_name": job,
                    "cron": entry.cron,
                    "timezone": entry.timezone,
                    "selection": entry.selection,
                    "name": None if derived else _prefixed(prefix, entry.name),
                    "description": entry.description,
                    "tags": dict(entry.tags),
                    "running": entry.running,
                }
            )
        book = ScheduleBook()
        book.add_all(requests)
        return book

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def __contains__(self, job_name: object) -> bool:
        with self._lock:
            return job_name in self._entries

    def __iter__(self) -> Iterator[ScheduledJob]:
        return iter(self.entries())

    def __repr__(self) -> str:
        shown = ", ".join(f"{e.job_name}={e.cron!r}@{e.timezone}" for e in self.entries())
        return f"ScheduleBook({shown})"


def _prefixed(prefix: str, name: str) -> str:
    if not prefix or name == prefix or name.startswith(f"{prefix}_"):
        return name
    return f"{prefix}_{name}"


def _frozen(selection: Any) -> Any:
    """Lists and sets of keys compare by value once frozen: the same request is a no-op."""
    if isinstance(selection, (list, tuple)):
        return tuple(selection)
    if isinstance(selection, (set, frozenset)):
        return frozenset(selection)
    return selection


def _entry(
    job_name: str,
    cron: str,
    timezone: str,
    *,
    selection: Any = None,
    name: str | None = None,
    description: str | None = None,
    tags: Mapping[str, str] | None = None,
    running: bool = True,
) -> ScheduledJob:
    definition = build_schedule(
        job_name,
        cron,
        timezone,
        selection=selection,
        name=name,
        description=description,
        tags=tags,
        running=running,
    )
    return ScheduledJob(
        job_name=job_name,
        cron=cron,
        timezone=timezone,
        name=definition.name,
        definition=definition,
        description=description,
        tags=tuple(sorted((tags or {}).items())),
        selection=_frozen(selection),
        running=running,
    )


_REQUEST_KEYS = (
    "job_name",
    "cron",
    "timezone",
    "selection",
    "name",
    "description",
    "tags",
    "running",
)


def _request_values(request: Any) -> dict[str, Any]:
    if isinstance(request, Mapping):
        return {k: request[k] for k in _REQUEST_KEYS if k in request}
    values = {k: getattr(request, k) for k in _REQUEST_KEYS if hasattr(request, k)}
    if isinstance(request, ScheduledJob):  # its tags are stored frozen, as pairs
        values["tags"] = dict(request.tags)
    return values
