"""OpenLineage ``RunEvent``s from the seed's arguments (event type, job, datasets) and options.

Arguments are checked in the caller's thread so that a mistake raises there, naming every problem;
the event itself is an openlineage-python ``RunEvent`` so that every transport can send it.
"""

from __future__ import annotations

import os
import time
import traceback
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from floe_orchestrator_contract import Dataset

from .__about__ import __version__

__all__ = [
    "EVENT_TYPES",
    "PRODUCER",
    "LineageEventError",
    "ParentRun",
    "build_run_event",
    "check_emit_arguments",
    "error_facet",
    "job_type_facet",
    "new_run_id",
    "run_event",
]

PRODUCER = (
    "https://github.com/floe-dev/floe-orchestrator-dagster/tree/"
    f"floe-dagster-lineage-v{__version__}/packages/floe-dagster-lineage"
)
EVENT_TYPES = ("START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER")
TERMINAL = frozenset({"COMPLETE", "ABORT", "FAIL"})
_CORE = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/"
_DEFAULT_SCHEMA = {
    "run": _CORE + "RunFacet",
    "job": _CORE + "JobFacet",
    "dataset": _CORE + "DatasetFacet",
}


class LineageEventError(ValueError):
    """Bad arguments to ``emit``; ``problems`` lists every one found."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("invalid lineage event:\n  - " + "\n  - ".join(self.problems))


@dataclass(frozen=True)
class ParentRun:
    """The run that spawned this one (OpenLineage ``ParentRunFacet``), e.g. the Dagster run."""

    job: str
    run_id: str
    namespace: str | None = None


def new_run_id() -> str:
    """A new UUIDv7 run id (time-ordered, as OpenLineage recommends).

    Built here because openlineage-python's generator costs ~0.2 ms a call, the whole budget of
    an ``emit``.
    """
    millis = time.time_ns() // 1_000_000
    value = (millis & 0xFFFF_FFFF_FFFF) << 80 | int.from_bytes(os.urandom(10), "big")
    value = (value & ~(0xF << 76)) | (0x7 << 76)  # version 7
    value = (value & ~(0x3 << 62)) | (0x2 << 62)  # RFC 4122 variant
    return str(uuid.UUID(int=value))


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        return False
    return True


def check_emit_arguments(
    event_type: object,
    job: object,
    inputs: object,
    outputs: object,
    *,
    run_id: object = None,
    parent: object = None,
    error: object = None,
    job_facets: object = None,
    run_facets: object = None,
    event_time: object = None,
) -> str:
    """Raise one ``LineageEventError`` naming every bad argument; return the event type."""
    problems: list[str] = []
    kind = event_type.upper() if isinstance(event_type, str) else getattr(event_type, "value", None)
    if kind not in EVENT_TYPES:
        problems.append(
            f"event_type: {event_type!r} is not allowed (allowed: {', '.join(EVENT_TYPES)})"
        )
    if not isinstance(job, str) or not job.strip():
        problems.append(f"job: {job!r} must be a non-empty string")
    for label, value in (("inputs", inputs), ("outputs", outputs)):
        if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
            problems.append(f"{label}: expected a sequence of Dataset, got {type(value).__name__}")
            continue
        for index, item in enumerate(value):
            if not isinstance(item, Dataset):
                problems.append(f"{label}[{index}]: expected a Dataset, got {type(item).__name__}")
            elif not (
                isinstance(item.namespace, str)
                and item.namespace
                and isinstance(item.name, str)
                and item.name
            ):
                problems.append(f"{label}[{index}]: namespace and name must be non-empty strings")
            elif not isinstance(_as_object(item.facets), Mapping):
                problems.append(f"{label}[{index}].facets: expected a mapping")
    if run_id is not None and not (isinstance(run_id, str) and _is_uuid(run_id)):
        problems.append(f"run_id: {run_id!r} is not a UUID")
    if parent is not None and not isinstance(parent, ParentRun):
        problems.append(f"parent: expected a ParentRun, got {type(parent).__name__}")
    elif isinstance(parent, ParentRun) and not _is_uuid(parent.run_id):
        problems.append(f"parent.run_id: {parent.run_id!r} is not a UUID")
    if error is not None and not isinstance(error, (str, BaseException)):
        problems.append(f"error: expected an exception or a message, got {type(error).__name__}")
    for label, value in (("job_facets", job_facets), ("run_facets", run_facets)):
        if value is not None and not isinstance(value, Mapping):
            problems.append(f"{label}: expected a mapping of facet name to facet")
    if event_time is not None:
        if not isinstance(event_time, datetime):
            problems.append(f"event_time: expected a datetime, got {type(event_time).__name__}")
        elif event_time.tzinfo is None:
            problems.append("event_time: must be timezone-aware (e.g. datetime.now(timezone.utc))")
    if problems:
        raise LineageEventError(problems)
    assert isinstance(kind, str)
    return kind


def _as_object(value: object) -> object:
    return value


def error_facet(error: BaseException | str, stack_trace: str | None = None) -> Any:
    """OpenLineage ``ErrorMessageRunFacet`` (message, language, stack trace) for ``error``."""
    from openlineage.client.generated.error_message_run import ErrorMessageRunFacet

    if isinstance(error, BaseException):
        message = f"{type(error).__name__}: {error}"
        stack = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    else:
        message, stack = error, None
    return ErrorMessageRunFacet(
        message=message,
        programmingLanguage="python",
        stackTrace=stack_trace or stack,
        producer=PRODUCER,
    )


def job_type_facet(job_type: str) -> Any:
    """OpenLineage ``JobTypeJobFacet``: a Dagster batch job (``JOB``) or asset (``ASSET``)."""
    from openlineage.client.generated.job_type_job import JobTypeJobFacet

    return JobTypeJobFacet(
        processingType="BATCH", integration="DAGSTER", jobType=job_type, producer=PRODUCER
    )


def _facets(facets: Mapping[str, Any] | None, kind: str) -> dict[str, Any]:
    """Facets as given; plain dicts get the ``_producer``/``_schemaURL`` the spec requires."""
    out: dict[str, Any] = {}
    for name, facet in (facets or {}).items():
        if isinstance(facet, Mapping):
            out[str(name)] = {"_producer": PRODUCER, "_schemaURL": _DEFAULT_SCHEMA[kind], **facet}
        else:
            out[str(name)] = facet
    return out


def _timestamp(event_time: datetime | None) -> str:
    moment = event_time if event_time is not None else datetime.now(timezone.utc)
    return moment.isoformat()


def build_run_event(
    event_type: str,
    job: str,
    namespace: str,
    inputs: Sequence[Dataset],
    outputs: Sequence[Dataset],
    *,
    run_id: str,
    parent: ParentRun | None = None,
    error: BaseException | str | None = None,
    job_facets: Mapping[str, Any] | None = None,
    run_facets: Mapping[str, Any] | None = None,
    event_time: datetime | None = None,
    job_type: str = "JOB",
) -> Any:
    """An openlineage-python ``RunEvent`` (arguments already checked)."""
    from openlineage.client.event_v2 import (
        InputDataset,
        Job,
        OutputDataset,
        Run,
        RunEvent,
        RunState,
    )
    from openlineage.client.generated.parent_run import Job as ParentJob
    from openlineage.client.generated.parent_run import ParentRunFacet
    from openlineage.client.generated.parent_run import Run as ParentRunRef

    run_facet_map = _facets(run_facets, "run")
    if parent is not None and "parent" not in run_facet_map:
        run_facet_map["parent"] = ParentRunFacet(
            run=ParentRunRef(runId=parent.run_id),
            job=ParentJob(namespace=parent.namespace or namespace, name=parent.job),
            producer=PRODUCER,
        )
    if error is not None and "errorMessage" not in run_facet_map:
        run_facet_map["errorMessage"] = error_facet(error)
    job_facet_map = _facets(job_facets, "job")
    job_facet_map.setdefault("jobType", job_type_facet(job_type))
    return RunEvent(
        eventType=RunState(event_type),
        eventTime=_timestamp(event_time),
        run=Run(runId=run_id, facets=run_facet_map),
        job=Job(namespace=namespace, name=job, facets=job_facet_map),
        inputs=[
            InputDataset(namespace=d.namespace, name=d.name, facets=_facets(d.facets, "dataset"))
            for d in inputs
        ],
        outputs=[
            OutputDataset(namespace=d.namespace, name=d.name, facets=_facets(d.facets, "dataset"))
            for d in outputs
        ],
        producer=PRODUCER,
    )


def run_event(
    event_type: str,
    *,
    job_namespace: str,
    job_name: str,
    run_id: str,
    event_time: datetime | None,
    run_facets: Mapping[str, Any] | None = None,
    job_facets: Mapping[str, Any] | None = None,
    inputs: Sequence[tuple[str, str, Mapping[str, Any], Mapping[str, Any]]] = (),
    outputs: Sequence[tuple[str, str, Mapping[str, Any], Mapping[str, Any]]] = (),
) -> dict[str, Any]:
    """A ``RunEvent`` as the JSON object it is sent as, from parts already complete (facets
    carry their ``_producer``/``_schemaURL``). Datasets are ``(namespace, name, facets, input or
    output facets)``.

    A plain object, not openlineage-python's classes: importing ``openlineage.client`` takes
    about a second, which the run's thread must not pay; the sender thread serializes it."""
    return {
        "eventType": event_type,
        "eventTime": _timestamp(event_time),
        "run": {"runId": run_id, "facets": dict(run_facets or {})},
        "job": {"namespace": job_namespace, "name": job_name, "facets": dict(job_facets or {})},
        "inputs": [
            {"namespace": ns, "name": name, "facets": dict(facets), "inputFacets": dict(extra)}
            for ns, name, facets, extra in inputs
        ],
        "outputs": [
            {"namespace": ns, "name": name, "facets": dict(facets), "outputFacets": dict(extra)}
            for ns, name, facets, extra in outputs
        ],
        "producer": PRODUCER,
        "schemaURL": _CORE + "RunEvent",
    }
