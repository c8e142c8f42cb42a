"""Owners as Dagster takes them: an email address, or a team (``team:<name>``).

dbt projects write owners freely (``meta.owner: growers``, a group's ``owner: {email, name}``):
an address stays an address, any other name becomes a team, so no owner is lost and none makes
Dagster refuse the asset.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["dagster_owners"]

# Dagster's own test for an address (dagster._core.utils.is_valid_email).
_EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Z|a-z]{2,7}\b")
_TEAM = "team:"


def dagster_owners(*values: Any) -> list[str]:
    """Every owner named in ``values``, as Dagster owners, first seen first.

    Each value is a name or address, a list of them, or a mapping with ``email`` and/or
    ``name`` (a dbt group's ``owner``; its address wins). Empty values are skipped.
    """
    owners: dict[str, None] = {}
    for value in values:
        for owner in _names(value):
            owners[owner] = None
    return list(owners)


def _names(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return []
        if _EMAIL.fullmatch(text) or (text.startswith(_TEAM) and len(text) > len(_TEAM)):
            return [text]
        return [_TEAM + text.removeprefix(_TEAM)] if text != _TEAM else []
    if isinstance(value, Mapping):
        email, name = value.get("email"), value.get("name")
        return _names(email) if email else _names(name) if name else []
    if isinstance(value, (list, tuple)):
        return [owner for item in value for owner in _names(item)]
    return []
