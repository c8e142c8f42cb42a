"""Deep merges of values trees that never share or mutate their inputs."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

__all__ = ["coalesce_like_helm", "deep_merge", "plain_tree"]


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """A new dict: ``override`` deep-merged over ``base``.

    Mappings merge key by key; anything else in ``override`` (lists included) replaces what
    ``base`` had, so lists are never concatenated. Neither input is mutated, and the result shares
    no mutable object with them, so changing it later cannot reach back into either.
    """
    merged: dict[str, Any] = {key: copy.deepcopy(value) for key, value in base.items()}
    for key, value in override.items():
        current = merged.get(key)
        if isinstance(current, Mapping) and isinstance(value, Mapping):
            merged[key] = deep_merge(current, value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def coalesce_like_helm(defaults: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` over a chart's ``defaults`` the way Helm coalesces them before validating.

    As :func:`deep_merge`, except that a ``null`` given for a key the defaults have removes that
    key (Helm's documented way to delete a default).
    """
    merged: dict[str, Any] = {key: copy.deepcopy(value) for key, value in defaults.items()}
    for key, value in values.items():
        current = merged.get(key)
        if value is None and key in defaults:
            del merged[key]
        elif isinstance(current, Mapping) and isinstance(value, Mapping):
            merged[key] = coalesce_like_helm(current, value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def plain_tree(node: Any) -> Any:
    """A copy made of plain dicts and lists, as YAML and JSON Schema see values (a tuple or a
    read-only mapping is neither to them)."""
    if isinstance(node, Mapping):
        return {key: plain_tree(value) for key, value in node.items()}
    if isinstance(node, (list, tuple)):
        return [plain_tree(item) for item in node]
    return node
