"""Dagster as the judge: its public constructor, and the schedule as its webserver loads it.

Nothing here calls this package: these are the references the tests compare it with.
"""

from __future__ import annotations

import itertools
import warnings
from datetime import datetime

from dagster import DagsterInvalidDefinitionError, Definitions, ScheduleDefinition
from dagster._core.remote_representation.external import RemoteRepository


def dagster_accepts(*, cron: str = "0 0 * * *", timezone: str | None = None) -> bool:
    """Whether Dagster's public ``ScheduleDefinition`` constructor accepts ``cron``/``timezone``.

    Only Dagster's own refusal counts as a refusal: any other exception fails the test.
    """
    with warnings.catch_warnings():
        # Dagster warns (and accepts) for steps wider than the field, such as */90 minutes.
        warnings.filterwarnings("ignore", message="Found a cron schedule with an interval")
        try:
            ScheduleDefinition(
                name="oracle", cron_schedule=cron, job_name="oracle", execution_timezone=timezone
            )
        except DagsterInvalidDefinitionError:
            return False
    return True


def load_repository(defs: Definitions) -> RemoteRepository:
    """``defs`` as a webserver or the scheduler daemon sees them, after a serialization trip.

    The repository is snapshotted, serialized and read back (what crosses the code-server
    boundary) and wrapped as the ``RemoteRepository`` that dagster-webserver and the daemon use.
    """
    from dagster._core.remote_representation.external_data import RepositorySnap
    from dagster._core.remote_representation.handle import RepositoryHandle
    from dagster._serdes import deserialize_value, serialize_value

    with warnings.catch_warnings():
        # Dagster's own snapshot code reads this deprecated property of every schedule.
        warnings.filterwarnings(
            "ignore",
            message="Property `ScheduleDefinition.environment_vars` is deprecated",
            category=DeprecationWarning,
        )
        snap = RepositorySnap.from_def(defs.get_repository_def())
    loaded = deserialize_value(serialize_value(snap), RepositorySnap)
    return RemoteRepository(loaded, RepositoryHandle.for_test(), auto_materialize_use_sensors=True)


def loaded_fire_times(
    repository: RemoteRepository, schedule_name: str, start: datetime, count: int
) -> list[datetime]:
    """Fire times of a loaded schedule, from ``RemoteSchedule.execution_time_iterator``."""
    schedule = repository.get_schedule(schedule_name)
    return list(itertools.islice(schedule.execution_time_iterator(start.timestamp()), count))
