"""``FloeError``: the one root of every error the floe packages raise for input they cannot use.

Every capability package's errors subclass it (a bad artifacts file, a bad cron, a dbt selector
that matches nothing, bad lineage settings, a dbt project dbt cannot parse), so a caller, the CLI
above all, catches one type and shows one line. Each carries ``problems``: every problem found,
in full, one line each, with the offending value and what is allowed.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["FloeError", "clip_text"]

# What a message shows: the first problems, each clipped, then a count of the rest. A 2,000-model
# cycle or 300,000 unknown models must not print megabytes; ``problems`` keeps every one in full.
_MAX_LISTED = 20
_MAX_ONE_LINE = 3
_MAX_PROBLEM_CHARS = 1000


def clip_text(text: object, limit: int = _MAX_PROBLEM_CHARS) -> str:
    """``text`` on one line, at most ``limit`` characters: its start and end around an ellipsis
    (the end usually says what is allowed)."""
    flat = " ".join(str(text).split())
    if len(flat) <= limit:
        return flat
    tail = limit // 3
    head = limit - tail - 5
    return f"{flat[:head]} ... {flat[-tail:]}"


class FloeError(Exception):
    """Input a floe package cannot use; ``problems`` holds one line per problem found, in full.

    The message is the ``subject``, then the first problems (each clipped to a few hundred
    characters) and how many more there are, so it stays short whatever the input;
    :meth:`one_line` is the same for a terminal, on one line. A subclass that has always
    worded its message its own way passes it as ``message``.

    Args:
        subject: What was wrong, in a few words (``"invalid compiled artifacts"``).
        problems: Every problem found, one line each.
        message: The exception's text, when not the standard listing.
    """

    def __init__(
        self, subject: str, problems: Sequence[str] = (), *, message: str | None = None
    ) -> None:
        self.subject = subject
        self.problems: tuple[str, ...] = tuple(str(p) for p in problems)
        super().__init__(message if message is not None else self._listing())

    def _listing(self) -> str:
        count = len(self.problems)
        if not count:
            return self.subject
        lines = [f"{self.subject}: {count} problem{'s' if count != 1 else ''}"]
        lines += [f"  - {clip_text(p)}" for p in self.problems[:_MAX_LISTED]]
        if count > _MAX_LISTED:
            lines.append(f"  ... and {count - _MAX_LISTED} more (see .problems)")
        return "\n".join(lines)

    def one_line(self) -> str:
        """The subject and the first few problems on one line, with a count of the rest."""
        shown = [clip_text(p, 300) for p in self.problems[:_MAX_ONE_LINE]]
        rest = len(self.problems) - len(shown)
        if rest > 0:
            shown.append(f"and {rest} more problem{'s' if rest != 1 else ''}")
        return f"{clip_text(self.subject, 200)}: {'; '.join(shown)}" if shown else self.subject
