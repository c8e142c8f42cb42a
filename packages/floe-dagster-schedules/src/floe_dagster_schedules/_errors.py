"""The one exception family of this package: bad schedules, listing every problem found."""

from __future__ import annotations

from collections.abc import Sequence

from floe_orchestrator_contract import ContractValidationError

__all__ = ["InvalidCronError", "InvalidTimezoneError", "ScheduleValidationError"]

CRON_FORMAT_HELP = (
    "A cron has 5 fields separated by spaces: minute hour day-of-month month day-of-week, "
    "e.g. '30 2 * * 1-5' runs at 02:30 Monday to Friday. Every field also takes *, lists (1,15), "
    "ranges (1-5) and steps (*/15, 0-30/10); macros such as '@daily' work too."
)


class ScheduleValidationError(ContractValidationError):
    """A schedule's job name, cron, timezone or options are wrong; ``problems`` lists each one.

    A ``ValueError`` (through the contract's ``ContractValidationError``), so callers that only
    know the seed's rules can catch it as such.
    """

    def __init__(self, subject: str, problems: Sequence[str], *, cron_help: bool = False) -> None:
        super().__init__(subject, problems)
        if cron_help:
            # The format is explained once, after the list, however many cron problems there are.
            self.args = (f"{self.args[0]}\n{CRON_FORMAT_HELP}",)


class InvalidCronError(ScheduleValidationError):
    """The cron expression is one Dagster's ``ScheduleDefinition`` refuses."""


class InvalidTimezoneError(ScheduleValidationError):
    """The timezone is not an IANA name that both pytz and Dagster know."""
