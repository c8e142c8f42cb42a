"""Kubernetes resource quantities: parse, check and format them exactly.

The grammar is Kubernetes' own (``k8s.io/apimachinery/pkg/api/resource``): a non-negative decimal
number followed by a binary suffix (Ki..Ei), a decimal suffix (m, k, M..E) or a decimal exponent
(``e3``). Values are kept as :class:`~fractions.Fraction` so ``1Gi`` vs ``1000Mi`` or ``1`` vs
``999m`` compare without rounding.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from fractions import Fraction

__all__ = [
    "QUANTITY_RULE",
    "check_quantity",
    "check_resource_requirements",
    "format_cpu",
    "format_memory",
    "parse_quantity",
]

_QUANTITY = re.compile(
    r"(?P<sign>[+-])?(?P<number>[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
    r"(?P<suffix>Ki|Mi|Gi|Ti|Pi|Ei|[eE][+-]?[0-9]+|m|k|M|G|T|P|E)?"
)
_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {
    "m": Fraction(1, 1000),
    "": Fraction(1),
    "k": Fraction(10**3),
    "M": Fraction(10**6),
    "G": Fraction(10**9),
    "T": Fraction(10**12),
    "P": Fraction(10**15),
    "E": Fraction(10**18),
}
QUANTITY_RULE = (
    "a Kubernetes quantity: a non-negative number with an optional suffix "
    "(m, k, M, G, T, P, E, Ki, Mi, Gi, Ti, Pi, Ei or an exponent such as e3), e.g. 500m or 2Gi"
)
# Kubernetes' documented resource-requirements keys; the offline chart schema dropped the remote
# Kubernetes schema that checked them, so we check them here.
_REQUIREMENT_KEYS = ("limits", "requests", "claims")


def parse_quantity(value: object) -> Fraction | None:
    """The exact value of a quantity, or None when ``value`` is not one.

    Numbers are accepted as YAML gives them (``cpu: 1``); booleans are not numbers here.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return Fraction(value) if math.isfinite(value) else None
    match = _QUANTITY.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        return None
    number = Fraction(match["number"])
    if match["sign"] == "-":
        number = -number
    suffix = match["suffix"] or ""
    if suffix in _BINARY:
        multiplier = Fraction(_BINARY[suffix])
    elif suffix in _DECIMAL:
        multiplier = _DECIMAL[suffix]
    else:
        multiplier = Fraction(10) ** int(suffix[1:])
    return number * multiplier


def check_quantity(value: object, where: str, resource: str) -> list[str]:
    """Problems with one quantity for ``resource`` (cpu, memory or any other resource name)."""
    parsed = parse_quantity(value)
    if parsed is None:
        return [f"{where}: {value!r} is not a valid quantity (allowed: {QUANTITY_RULE})"]
    if parsed < 0:
        return [f"{where}: {value!r} is negative (allowed: {QUANTITY_RULE})"]
    if resource == "cpu" and (parsed * 1000).denominator != 1:
        return [
            f"{where}: {value!r} is finer than 1m, which Kubernetes rejects "
            "(allowed: whole millicores, e.g. 250m or 0.25)"
        ]
    if resource == "memory" and parsed.denominator != 1:
        # "512m" of memory is 0.512 bytes: valid syntax, never what anyone meant.
        return [
            f"{where}: {value!r} is a fraction of a byte "
            "(allowed: whole bytes, e.g. 512Mi or 1Gi; the suffix m means milli, not mega)"
        ]
    return []


def check_resource_requirements(resources: object, where: str) -> list[str]:
    """Problems with a Kubernetes ``{requests, limits}`` object: its keys, quantities and order.

    Every quantity is checked, and every resource named in both ``requests`` and ``limits`` must
    request no more than its limit.
    """
    if resources is None:
        return []
    if not isinstance(resources, Mapping):
        return [f"{where}: {resources!r} is not a mapping (allowed: {{requests, limits}})"]
    problems: list[str] = []
    for key in resources:
        if key not in _REQUIREMENT_KEYS:
            problems.append(
                f"{where}: unknown key {key!r} (allowed: {', '.join(_REQUIREMENT_KEYS)})"
            )
    parsed: dict[str, dict[str, Fraction]] = {}
    for section in ("requests", "limits"):
        entries = resources.get(section)
        if entries is None:
            continue
        if not isinstance(entries, Mapping):
            problems.append(
                f"{where}.{section}: {entries!r} is not a mapping "
                "(allowed: resource name -> quantity, e.g. {cpu: 500m, memory: 1Gi})"
            )
            continue
        parsed[section] = {}
        for name, value in entries.items():
            found = check_quantity(value, f"{where}.{section}.{name}", str(name))
            problems += found
            quantity = parse_quantity(value)
            if not found and quantity is not None:
                parsed[section][str(name)] = quantity
    requests, limits = parsed.get("requests", {}), parsed.get("limits", {})
    for name in sorted(requests.keys() & limits.keys()):
        if requests[name] > limits[name]:
            problems.append(
                f"{where}: {name} request {resources['requests'][name]!r} is greater than its "
                f"limit {resources['limits'][name]!r} (allowed: request <= limit)"
            )
    return problems


def format_cpu(value: Fraction) -> str:
    """CPU in whole millicores (rounded up, never below what was asked), e.g. ``250m``."""
    return f"{math.ceil(value * 1000)}m"


def format_memory(value: Fraction) -> str:
    """Memory in whole bytes (rounded up) with the largest binary suffix that divides it exactly."""
    size = math.ceil(value)
    for suffix in ("Ei", "Pi", "Ti", "Gi", "Mi", "Ki"):
        unit = _BINARY[suffix]
        if size and size % unit == 0:
            return f"{size // unit}{suffix}"
    return str(size)
