"""Credentials written in plain text into values: found by name or inside a URL, never quoted.

A values file ends up in git, CI logs and ``helm get values``; a credential belongs in a Kubernetes
Secret that the values only name. What counts as a credential:

- a chart key whose words include password, passwd, passphrase, token, secret, credential(s) or
  api/access/private/secret/signing/encryption + key, holding a scalar (``redis.password``);
- an environment variable whose name says the same (``DB_PASSWD``, ``AWS_SECRET_ACCESS_KEY``,
  ``GITHUB_TOKEN``, any ``*_KEY``) with a literal value: in an ``env`` list (``name``/``value``),
  an ``env`` map, or a ``NAME=value`` entry of ``envVars``;
- a URL with a password (``scheme://user:password@host``) anywhere, and a ``user:password@host``
  in a key that names a host.

Names of where a credential lives (``existingSecret``, ``secretName``, ``...PasswordKey``,
``DB_PASSWORD_FILE``, ``AWS_ACCESS_KEY_ID``) are references, not credentials.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

__all__ = ["CREDENTIAL_RULE", "credential_slots", "is_credential_name", "redact_credentials"]

CREDENTIAL_RULE = (
    "a plain-text password is not allowed in values, nor any other credential (allowed: leave "
    "it empty and keep it in an existing Kubernetes Secret, e.g. ExternalPostgres("
    "existing_secret=...), envSecrets or an env entry's valueFrom.secretKeyRef)"
)

_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_CREDENTIAL_WORDS = frozenset(
    {"password", "passwd", "passphrase", "secret", "token", "credential", "credentials"}
)
_KEY_KINDS = frozenset({"access", "api", "private", "secret", "signing", "encryption", "master"})
# A last word that makes the name point at a credential (a file, a Secret, a key in a Secret)
# or describe it (an id, an endpoint), rather than hold it.
_REFERENCE_LAST = frozenset(
    {
        "file",
        "path",
        "dir",
        "name",
        "names",
        "ref",
        "id",
        "url",
        "uri",
        "endpoint",
        "host",
        "port",
        "enabled",
        "type",
        "mode",
        "ttl",
        "timeout",
        "secrets",
    }
)
_URL_PASSWORD = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s/?#@:]*:[^\s/?#@]*@")
_HOST_KEY = re.compile("host", re.IGNORECASE)
_ENV_KEYS = frozenset({"env", "envVars"})


def _words(name: str) -> list[str]:
    return [word.lower() for word in _WORDS.findall(name)]


def is_credential_name(name: str, *, env: bool = False) -> bool:
    """Whether ``name`` (a chart key, or with ``env`` an environment variable) holds a credential.

    ``*_KEY`` is a credential as an environment variable; as a chart key, ``...Key`` usually
    names a key inside a Secret, so only access/api/private/secret/... keys count.
    """
    words = _words(name)
    if not words or words[-1] in _REFERENCE_LAST or words[0] == "existing":
        return False
    if words[-1] == "key":
        return env or (len(words) > 1 and words[-2] in _KEY_KINDS)
    if "apikey" in words or "secretkey" in words or "accesskey" in words:
        return True
    # DB_PASS is a password; as a chart key "pass" is too vague (passThrough).
    return any(word in _CREDENTIAL_WORDS or (env and word == "pass") for word in words)


def _is_scalar_set(value: object) -> bool:
    if isinstance(value, bool) or value is None or value == "":
        return False
    return isinstance(value, (str, int, float))


def _is_path(value: object) -> bool:
    """An absolute file path (GOOGLE_APPLICATION_CREDENTIALS=/var/run/...): where, not what."""
    return isinstance(value, str) and value.startswith("/") and not any(c.isspace() for c in value)


def _is_metadata(key: str | None) -> bool:
    """Labels, annotations and node selectors: free-form names (``...inject-secret-db``)."""
    lowered = (key or "").lower()
    return lowered.endswith(("annotations", "labels")) or lowered == "nodeselector"


def credential_slots(values: Mapping[str, Any]) -> list[tuple[str, Any, Any]]:
    """(path, container, key or index) of every plain-text credential in ``values``."""
    found: dict[tuple[int, Any], tuple[str, Any, Any]] = {}

    def add(where: str, container: Any, key: Any) -> None:
        found.setdefault((id(container), key), (where, container, key))

    for where, parent_key, container, key, value in _walk(values):
        if isinstance(value, str) and _URL_PASSWORD.search(value):
            add(where, container, key)
        elif isinstance(container, list):
            if parent_key == "envVars" and isinstance(value, str):
                name, equals, literal = value.partition("=")
                if equals and literal and is_credential_name(name, env=True):
                    add(where, container, key)
        elif _is_metadata(parent_key):
            continue
        elif parent_key == "env":  # an env map {NAME: value}, or an env list's {name, value}
            if key == "name" and isinstance(value, str) and is_credential_name(value, env=True):
                literal = container.get("value")
                if _is_scalar_set(literal) and not _is_path(literal):
                    add(f"{where.rsplit('.', 1)[0]}.value", container, "value")
            elif (
                _is_scalar_set(value)
                and not _is_path(value)
                and is_credential_name(str(key), env=True)
            ):
                add(where, container, key)
        elif (isinstance(value, str) and _HOST_KEY.search(str(key)) and "@" in value) or (
            _is_scalar_set(value) and is_credential_name(str(key))
        ):
            add(where, container, key)
    return list(found.values())


def redact_credentials(values: Any) -> None:
    """Replace every credential in ``values`` (plain dicts and lists) by ``<redacted>``."""
    for _, container, key in credential_slots(values):
        container[key] = "<redacted>"


def _walk(node: Any) -> Iterator[tuple[str, str | None, Any, Any, Any]]:
    """(path, key of the container, container, key or index, value) for every entry."""
    stack: list[tuple[Any, str, str | None]] = [(node, "", None)]
    while stack:
        current, path, parent_key = stack.pop()
        if isinstance(current, Mapping):
            for key, value in current.items():
                child = f"{path}.{key}" if path else str(key)
                yield child, parent_key, current, key, value
                stack.append((value, child, str(key)))
        elif isinstance(current, list):
            for index, item in enumerate(current):
                child = f"{path}[{index}]"
                yield child, parent_key, current, index, item
                # Entries of a list keep the list's key: env: [{name, value}] stays "env".
                stack.append((item, child, parent_key))
