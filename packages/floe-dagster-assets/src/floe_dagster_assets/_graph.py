"""The executable graph of a dbt project and how a selection of it runs, in waves per target.

Everything here is iterative and linear in nodes plus edges: projects of 20,000 models and
chains as long as the project must not touch Python's recursion limit.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

__all__ = ["ProjectGraph", "Wave", "resolve_through_ephemerals", "topological_order"]


def topological_order(upstream: Mapping[str, Sequence[str]]) -> list[str]:
    """Nodes of an acyclic ``upstream`` map, each after all of its upstreams (Kahn, stable).

    Edges to nodes outside the map are ignored. Raises ``ValueError`` on a cycle.
    """
    pending = dict.fromkeys(upstream, 0)
    children: dict[str, list[str]] = {node: [] for node in upstream}
    for node, parents in upstream.items():
        for parent in dict.fromkeys(parents):
            if parent in children:
                children[parent].append(node)
                pending[node] += 1
    ready = deque(node for node, count in pending.items() if count == 0)
    order = []
    while ready:
        node = ready.popleft()
        order.append(node)
        for child in children[node]:
            pending[child] -= 1
            if pending[child] == 0:
                ready.append(child)
    if len(order) != len(upstream):
        raise ValueError("dependency graph has a cycle")
    return order


def resolve_through_ephemerals(
    direct: Mapping[str, Sequence[str]], ephemeral: Iterable[str]
) -> dict[str, list[str]]:
    """Upstreams with every ephemeral node replaced by its own (resolved) upstreams.

    ``direct`` maps each node to its direct upstreams; names outside ``direct`` are kept as they
    are (seeds, sources). The result keeps first-seen order and has no ephemeral nodes as keys.
    """
    ephemeral_set = set(ephemeral)
    resolved: dict[str, list[str]] = {}
    for node in topological_order(direct):
        out: dict[str, None] = {}
        for parent in direct[node]:
            if parent in ephemeral_set and parent in resolved:
                out.update(dict.fromkeys(resolved[parent]))
            else:
                out[parent] = None
        out.pop(node, None)
        resolved[node] = list(out)
    return {node: deps for node, deps in resolved.items() if node not in ephemeral_set}


@dataclass(frozen=True)
class Wave:
    """One dbt invocation: these nodes (in dependency order) under this target."""

    target: str | None
    nodes: tuple[str, ...]


@dataclass
class ProjectGraph:
    """Executable nodes (models, seeds, snapshots), their upstreams and compute targets."""

    upstream: dict[str, list[str]]
    compute: dict[str, str | None]
    order: list[str] = field(default_factory=list)
    _children: dict[str, list[str]] | None = field(default=None, repr=False)
    _waves: dict[str, int] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if not self.order:
            self.order = topological_order(self.upstream)

    @property
    def children(self) -> dict[str, list[str]]:
        if self._children is None:
            children: dict[str, list[str]] = {node: [] for node in self.upstream}
            for node, parents in self.upstream.items():
                for parent in parents:
                    if parent in children:
                        children[parent].append(node)
            self._children = children
        return self._children

    def wave_numbers(self) -> dict[str, int]:
        """For each node, the earliest wave it can run in.

        A node runs in its upstream's wave when they share a target, and in a later wave when
        they do not; so a wave never needs two targets at once and dependency order holds.
        """
        if self._waves is None:
            waves: dict[str, int] = {}
            for node in self.order:
                target = self.compute[node]
                wave = 0
                for parent in self.upstream[node]:
                    if parent in waves:
                        candidate = waves[parent] + (self.compute[parent] != target)
                        wave = max(wave, candidate)
                waves[node] = wave
            self._waves = waves
        return self._waves

    def plan(self, selected: Iterable[str]) -> list[Wave]:
        """The invocations that run ``selected``, in order: one per (wave, target)."""
        chosen = set(selected)
        numbers = self.wave_numbers()
        groups: dict[tuple[int, str], list[str]] = {}
        targets: dict[tuple[int, str], str | None] = {}
        for node in self.order:
            if node in chosen:
                target = self.compute[node]
                key = (numbers[node], "" if target is None else f"={target}")
                groups.setdefault(key, []).append(node)
                targets[key] = target
        return [Wave(targets[key], tuple(groups[key])) for key in sorted(groups)]

    def downstream_of(self, nodes: Iterable[str]) -> set[str]:
        """Every node that depends, directly or not, on one of ``nodes`` (those excluded)."""
        start = [n for n in nodes if n in self.upstream]
        seen: set[str] = set(start)
        queue = deque(start)
        children = self.children
        while queue:
            for child in children[queue.popleft()]:
                if child not in seen:
                    seen.add(child)
                    queue.append(child)
        return seen - set(start)
