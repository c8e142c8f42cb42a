"""The seed's validation rules, shared by every package.

Every check collects *all* problems and raises one :class:`ContractValidationError` listing them,
each with the offending value and what is allowed. Graph checks are iterative (no recursion) and
linear in the number of transforms plus edges.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from ._errors import FloeError, clip_text

if TYPE_CHECKING:
    from ._entities import TransformConfig

__all__ = [
    "MATERIALIZATIONS",
    "WORKLOAD_SIZES",
    "ContractValidationError",
    "check_dependency_graph",
    "check_materialization",
    "check_transform_name",
    "check_workload_size",
    "clip_text",
    "find_cycles",
    "validate_transforms",
    "validate_workload_size",
]

MATERIALIZATIONS: tuple[str, ...] = ("table", "view", "incremental", "ephemeral")
WORKLOAD_SIZES: tuple[str, ...] = ("small", "medium", "large")

_SQL_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_IDENTIFIER_RULE = "a SQL identifier: letters, digits and underscores, not starting with a digit"


class ContractValidationError(FloeError, ValueError):
    """Bad input to the contract; ``problems`` holds one line per problem found, in full.

    A :class:`FloeError` (and a ``ValueError``, as it always was): the message lists the first
    problems, each clipped, and says how many more there are.
    """


def _allowed(values: Iterable[str]) -> str:
    return ", ".join(values)


def check_transform_name(name: object, where: str = "name") -> list[str]:
    """Problems with one transform name (empty list when it is valid)."""
    if not isinstance(name, str) or not name:
        return [f"{where}: {name!r} is empty or not a string (allowed: {_IDENTIFIER_RULE})"]
    if not _SQL_IDENTIFIER.fullmatch(name):
        return [f"{where}: {name!r} is not a valid name (allowed: {_IDENTIFIER_RULE})"]
    return []


def check_materialization(value: object, where: str = "materialization") -> list[str]:
    if value in MATERIALIZATIONS:
        return []
    return [f"{where}: {value!r} is not a materialization (allowed: {_allowed(MATERIALIZATIONS)})"]


def check_workload_size(size: object, where: str = "workload_size") -> list[str]:
    if size in WORKLOAD_SIZES:
        return []
    return [f"{where}: {size!r} is not a workload size (allowed: {_allowed(WORKLOAD_SIZES)})"]


def validate_workload_size(size: object) -> str:
    """Return ``size`` if it is small, medium or large; raise otherwise."""
    problems = check_workload_size(size)
    if problems:
        raise ContractValidationError("invalid workload size", problems)
    assert isinstance(size, str)
    return size


def find_cycles(graph: Mapping[str, Sequence[str]], limit: int = 100) -> list[list[str]]:
    """Dependency cycles in ``graph`` (node -> upstream nodes), each closed: ``[a, b, c, a]``.

    Iterative depth-first search, so a chain of any length is fine. One cycle is reported per
    back edge found, at most ``limit`` of them; edges to nodes outside ``graph`` are ignored.
    """
    white, grey, black = 0, 1, 2
    colour = dict.fromkeys(graph, white)
    cycles: list[list[str]] = []
    for root in graph:
        if colour[root] != white:
            continue
        colour[root] = grey
        path = [root]
        position = {root: 0}
        stack = [iter(graph[root])]
        while stack:
            node = next(stack[-1], None)
            if node is None:
                stack.pop()
                done = path.pop()
                del position[done]
                colour[done] = black
                continue
            state = colour.get(node)
            if state is None or state == black:
                continue
            if state == grey:
                if len(cycles) < limit:
                    cycles.append([*path[position[node] :], node])
                continue
            colour[node] = grey
            position[node] = len(path)
            path.append(node)
            stack.append(iter(graph[node]))
    return cycles


def check_dependency_graph(
    names: Sequence[str],
    depends_on: Sequence[Sequence[str]],
    *,
    external: Iterable[str] = (),
    label: str = "transforms",
) -> list[str]:
    """Problems in a set of transforms as a graph: duplicates, unknown dependencies, cycles."""
    problems: list[str] = []
    seen: dict[str, int] = {}
    for index, name in enumerate(names):
        if name in seen:
            problems.append(
                f"{label}[{index}].name: {name!r} duplicates {label}[{seen[name]}] "
                "(allowed: each name once)"
            )
        else:
            seen[name] = index
    known_external = set(external)
    graph: dict[str, list[str]] = {}
    for index, (name, upstream) in enumerate(zip(names, depends_on, strict=True)):
        for dep in upstream:
            if dep not in seen and dep not in known_external:
                problems.append(
                    f"{label}[{index}].depends_on: {name!r} depends on unknown model {dep!r} "
                    "(allowed: the name of another transform"
                    + (" or a declared external source)" if known_external else ")")
                )
        graph.setdefault(name, []).extend(d for d in upstream if d in seen)
    for cycle in find_cycles(graph):
        problems.append(f"dependency cycle: {' -> '.join(cycle)} (allowed: an acyclic graph)")
    return problems


def validate_transforms(
    transforms: Sequence[TransformConfig], *, external: Iterable[str] = ()
) -> None:
    """Check every seed rule over ``transforms``; raise one error listing every problem.

    ``external`` names upstreams that are not transforms (dbt seeds, sources, snapshots).
    """
    problems: list[str] = []
    for index, transform in enumerate(transforms):
        where = f"transforms[{index}]"
        problems += check_transform_name(transform.name, f"{where}.name")
        problems += check_materialization(transform.materialization, f"{where}.materialization")
        if transform.compute is not None and not transform.compute:
            problems.append(f"{where}.compute: '' is empty (allowed: a compute target or None)")
    problems += check_dependency_graph(
        [t.name for t in transforms], [t.depends_on for t in transforms], external=external
    )
    if problems:
        raise ContractValidationError("invalid transforms", problems)
