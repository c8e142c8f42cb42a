"""Waves: which dbt invocations a selection needs, under which target, in which order."""

from __future__ import annotations

import pytest

from floe_dagster_assets._graph import ProjectGraph, resolve_through_ephemerals, topological_order


def _graph(edges: dict[str, list[str]], compute: dict[str, str | None]) -> ProjectGraph:
    return ProjectGraph(upstream=edges, compute=compute)


def test_a_chain_across_targets_runs_in_three_waves() -> None:
    graph = _graph({"a": [], "b": ["a"], "c": ["b"]}, {"a": "duck", "b": "heavy", "c": "duck"})
    waves = graph.plan(["a", "b", "c"])
    assert [(w.target, w.nodes) for w in waves] == [
        ("duck", ("a",)),
        ("heavy", ("b",)),
        ("duck", ("c",)),
    ]


def test_same_target_nodes_share_a_wave_and_independent_targets_run_side_by_side() -> None:
    graph = _graph(
        {"s1": [], "s2": [], "f": ["s1", "s2"], "h": ["s1"], "r": ["f", "h"]},
        {"s1": "duck", "s2": "duck", "f": "duck", "h": "heavy", "r": "duck"},
    )
    waves = graph.plan(["s1", "s2", "f", "h", "r"])
    assert [(w.target, w.nodes) for w in waves] == [
        ("duck", ("s1", "s2", "f")),
        ("heavy", ("h",)),
        ("duck", ("r",)),
    ]


def test_a_subset_plans_only_selected_nodes_but_keeps_their_order() -> None:
    graph = _graph({"a": [], "b": ["a"], "c": ["b"]}, {"a": "x", "b": "y", "c": "x"})
    assert [(w.target, w.nodes) for w in graph.plan(["c", "a"])] == [("x", ("a",)), ("x", ("c",))]
    assert graph.plan([]) == []


def test_downstream_of_follows_every_path() -> None:
    graph = _graph(
        {"a": [], "b": ["a"], "c": ["b"], "d": [], "e": ["d", "c"]}, dict.fromkeys("abcde")
    )
    assert graph.downstream_of(["b"]) == {"c", "e"}
    assert graph.downstream_of(["d"]) == {"e"}


def test_ephemeral_chains_resolve_to_their_real_upstreams() -> None:
    direct = {"s": ["seed"], "e1": ["s"], "e2": ["e1", "t"], "t": [], "m": ["e2"]}
    assert resolve_through_ephemerals(direct, ["e1", "e2"]) == {
        "s": ["seed"],
        "t": [],
        "m": ["s", "t"],
    }


def test_long_alternating_chains_need_no_recursion() -> None:
    n = 20_000
    edges = {f"m{i}": [f"m{i - 1}"] if i else [] for i in range(n)}
    graph = _graph(edges, {f"m{i}": "duck" if i % 2 else "heavy" for i in range(n)})
    waves = graph.plan(edges)
    assert len(waves) == n
    assert waves[-1].nodes == (f"m{n - 1}",)


def test_a_cycle_is_refused() -> None:
    with pytest.raises(ValueError, match="cycle"):
        topological_order({"a": ["b"], "b": ["a"]})
