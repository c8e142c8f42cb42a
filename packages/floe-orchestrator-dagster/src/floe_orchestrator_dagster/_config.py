"""The plugin's configuration as floe validates it (``get_config_schema``), imported on demand.

floe's registry validates a plugin's configuration (the manifest's ``plugins.orchestrator``
config) with this model, then hands the result to ``configure``. Unknown keys are mistakes and
are named; the token is a ``SecretStr``, never shown.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from floe_orchestrator_contract import DefaultSchedule, ScheduleSpec

__all__ = ["DagsterPluginConfig"]


class DagsterPluginConfig(BaseModel):
    """Settings of the Dagster orchestrator plugin; every one optional.

    Unset settings keep the constructor's value or its environment fall-back. ``default_schedule``
    and ``schedules`` are accepted here because floe copies this configuration into
    ``plugins.orchestrator.config`` of the artifacts, where ``create_definitions`` reads them.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    dbt_project_dir: str | None = Field(default=None, min_length=1)
    dbt_profiles_dir: str | None = Field(default=None, min_length=1)
    dagster_url: str | None = Field(default=None, pattern=r"^https?://")
    dagster_token: SecretStr | None = None
    verify_tls: bool | str | None = None
    connection_timeout: float | None = Field(default=None, gt=0, le=60)
    workload_size: Literal["small", "medium", "large"] | None = None
    image: str | None = Field(default=None, min_length=1)
    default_schedule: DefaultSchedule | str | None = None
    schedules: list[ScheduleSpec] | None = None
