"""Secrets out of anything a person reads: reprs, logs, errors.

floe's artifacts carry free-form plugin configuration (a catalog's ``client_secret``, a dbt
profile's ``password``...). Values under a key that names a secret are replaced, and credentials
inside URLs are removed, wherever such a value is about to be shown.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import Enum
from typing import Any

__all__ = ["MASK", "is_secret_key", "redact", "redact_text"]

MASK = "***"

_SECRET_KEY = re.compile(
    r"pass(word|wd|phrase)?$|secret|token|api[_-]?key|apikey|private[_-]?key|credential"
    r"|^auth(entication|orization)?$|access[_-]?key|keyfile[_-]?json|session|cookie"
    r"|connection[_-]?string|^dsn$|signature",
    re.IGNORECASE,
)
_URL_WITH_USER = re.compile(r"\b([a-z][a-z0-9+.-]*://)([^/\s@]+)@", re.IGNORECASE)


def is_secret_key(key: object) -> bool:
    """Whether a mapping key names a secret (``password``, ``client_secret``, ``api_key``...)."""
    return isinstance(key, str) and _SECRET_KEY.search(key) is not None


def redact_text(text: str) -> str:
    """``text`` with ``user:password@`` removed from every URL in it."""
    return _URL_WITH_USER.sub(lambda m: f"{m[1]}{MASK}@", text)


def redact(value: Any) -> Any:
    """A copy of ``value`` fit to show: secrets masked at any depth, URL credentials removed."""
    if isinstance(value, Mapping):
        return {
            key: (MASK if is_secret_key(key) and item not in (None, "") else redact(item))
            for key, item in value.items()
        }
    if isinstance(value, (list, tuple)):
        return type(value)(redact(item) for item in value)
    if isinstance(value, Enum):
        return value
    if isinstance(value, str):
        return redact_text(value)
    if type(value).__name__ in {"SecretStr", "SecretBytes"}:
        return MASK
    return value
