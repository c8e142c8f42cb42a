"""The values the plugin ABCs exchange with floe: health, run states, the seed's lineage call.

Apart from ``_plugin`` so that discovering a plugin (which needs only the ABCs) does not import
``dataclasses``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

__all__ = ["HealthState", "HealthStatus", "RunState", "seed_call_datasets"]


class HealthState(Enum):
    """floe's plugin health states."""

    HEALTHY = "healthy"
    DEGRADED = "degraded"
    UNHEALTHY = "unhealthy"


@dataclass
class HealthStatus:
    """A health check's result: ``state``, a human-readable ``message`` and ``details``.

    ``bool(status)`` is whether the plugin can work now (healthy or degraded), which is what the
    seed's ``health_check() -> bool`` answered.
    """

    state: HealthState
    message: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return self.state is not HealthState.UNHEALTHY


class RunState(str, Enum):
    """OpenLineage run states (floe's ``floe_core.lineage.RunState``)."""

    START = "START"
    RUNNING = "RUNNING"
    COMPLETE = "COMPLETE"
    ABORT = "ABORT"
    FAIL = "FAIL"
    OTHER = "OTHER"


def seed_call_datasets(
    job_namespace: object, run_id: object, inputs: object, outputs: object
) -> tuple[Any, Any, Any, Any]:
    """``(job_namespace, run_id, inputs, outputs)`` with the seed's positional call undone.

    ``emit_lineage_event("START", "job", [in], [out])`` puts the datasets where floe's signature
    has ``job_namespace`` and ``run_id``; a list or tuple there (never a namespace or a run id)
    moves back to ``inputs``/``outputs``.
    """
    if isinstance(job_namespace, (list, tuple)) and inputs is None:
        job_namespace, inputs = None, job_namespace
    if isinstance(run_id, (list, tuple)) and outputs is None:
        run_id, outputs = None, run_id
    return job_namespace, run_id, inputs, outputs
