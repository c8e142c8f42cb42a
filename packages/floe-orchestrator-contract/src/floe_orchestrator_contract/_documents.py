"""JSON documents read safely: a file that is a file, text that parses, values JSON can hold.

Every failure is a :class:`ContractValidationError` that says what was wrong (a directory, a FIFO,
nesting too deep, ``NaN``, a number too long to read) instead of a bare ``RecursionError``,
``ValueError`` or a read that blocks forever on a pipe nobody writes to.
"""

from __future__ import annotations

import json
import math
import os
import stat
from pathlib import Path
from typing import Any

from ._validation import ContractValidationError

__all__ = ["MAX_JSON_DEPTH", "check_json_document", "parse_json_document", "read_json_file"]

# Deeper than any real document, far below the interpreter's recursion limit (which pydantic,
# json and copy would otherwise hit first, as a RecursionError).
MAX_JSON_DEPTH = 200
# Python refuses to convert integers longer than this to text (sys.int_info.default_max_str_digits),
# so error messages quoting them would fail; ~3.32 bits per decimal digit.
_MAX_INT_BITS = 4300 * 3


def _kind(mode: int) -> str | None:
    """What a non-regular file is, in the words ``ls -l`` users know."""
    for test, name in (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
    ):
        if test(mode):
            return name
    return None if stat.S_ISREG(mode) else "not a regular file"


def read_json_file(path: str | os.PathLike[str], subject: str = "invalid JSON document") -> Any:
    """The parsed JSON of the regular file at ``path``.

    A missing file raises ``FileNotFoundError``; a directory, FIFO, socket or device raises
    :class:`ContractValidationError` saying which, without ever opening it (a FIFO would block).
    """
    target = Path(path)
    kind = _kind(target.stat().st_mode)
    if kind is not None:
        raise ContractValidationError(subject, [f"{target}: is {kind} (allowed: a JSON file)"])
    # O_NONBLOCK: if the path was swapped for a FIFO since the check, opening it does not hang.
    descriptor = os.open(target, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(descriptor, "rb") as stream:
        if _kind(os.fstat(stream.fileno()).st_mode) is not None:
            raise ContractValidationError(
                subject, [f"{target}: is not a regular file (allowed: a JSON file)"]
            )
        text = stream.read()
    return parse_json_document(text, subject)


class _NotJsonNumber(ValueError):
    pass


def _refuse_constant(name: str) -> Any:
    raise _NotJsonNumber(f"{name} is not a JSON number (allowed: a finite number)")


def parse_json_document(text: str | bytes, subject: str = "invalid JSON document") -> Any:
    """``json.loads`` of ``text``, refusing ``NaN``, ``Infinity`` and what
    :func:`check_json_document` refuses; every failure is a :class:`ContractValidationError`."""
    try:
        data = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as error:
        raise ContractValidationError(subject, [f"(root): not valid JSON: {error}"]) from None
    except RecursionError:
        raise ContractValidationError(
            subject, [f"(root): nested too deeply (allowed: {MAX_JSON_DEPTH} levels)"]
        ) from None
    except _NotJsonNumber as error:
        raise ContractValidationError(subject, [f"(root): {error}"]) from None
    except ValueError:  # Python refuses to convert integers of more than 4300 digits
        raise ContractValidationError(
            subject, ["(root): a number longer than 4300 digits (allowed: at most 4300 digits)"]
        ) from None
    problems = check_json_document(data)
    if problems:
        raise ContractValidationError(subject, problems)
    return data


def check_json_document(data: Any) -> list[str]:
    """Where ``data`` holds what a JSON document cannot: nesting deeper than
    :data:`MAX_JSON_DEPTH`, non-finite floats, integers too long to print, non-string keys.

    Iterative, linear in the size of ``data``; empty when it is fine.
    """
    problems: list[str] = []
    stack: list[tuple[Any, str, int]] = [(data, "(root)", 0)]
    while stack:
        node, where, depth = stack.pop()
        if isinstance(node, dict):
            children: list[tuple[Any, str]] = []
            for key, value in node.items():
                if not isinstance(key, str):
                    problems.append(f"{where}: key of type {type(key).__name__} (allowed: text)")
                children.append((value, f"{where}.{key}" if where != "(root)" else str(key)))
        elif isinstance(node, (list, tuple)):
            children = [(item, f"{where}[{index}]") for index, item in enumerate(node)]
        else:
            if isinstance(node, float) and not math.isfinite(node):
                problems.append(f"{where}: {node} is not a JSON number (allowed: a finite number)")
            elif isinstance(node, int) and node.bit_length() > _MAX_INT_BITS:
                digits = int(node.bit_length() * math.log10(2)) + 1
                problems.append(
                    f"{where}: an integer of about {digits} digits (allowed: at most 4300 digits)"
                )
            continue
        if children and depth >= MAX_JSON_DEPTH:
            problems.append(f"{where}: nested too deeply (allowed: {MAX_JSON_DEPTH} levels)")
            continue
        stack.extend((value, path, depth + 1) for value, path in reversed(children))
    return problems
