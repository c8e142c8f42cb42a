"""Every problem with a set of transforms, against the contract's rules, dbt's manifest and profile.

Nothing is built until this list is empty; it is raised as one ``ContractValidationError``.
A declared ``depends_on`` is not a problem: dbt's refs decide the graph, and where the two
disagree :func:`dependency_differences` lists how, for one warning.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

from floe_orchestrator_contract import (
    TransformConfig,
    check_dependency_graph,
    check_materialization,
    check_transform_name,
)

from ._index import ManifestIndex
from ._profiles import ProfilesInfo, route_compute

__all__ = ["collect_problems", "dependency_differences"]

_REFABLE = frozenset({"model", "seed", "snapshot"})

# Dagster's rule for definition tag keys (dagster._core.definitions.utils).
_TAG_KEY = re.compile(r"^([A-Za-z0-9_.-]{1,63}/)?[A-Za-z0-9_.-]{1,63}$")
_TAG_RULE = "letters, digits, '_', '.', '-', at most 63 of them, optionally one 'prefix/' before"


def collect_problems(
    transforms: Sequence[TransformConfig],
    index: ManifestIndex | None,
    profiles: ProfilesInfo | None,
    default_compute: str | None,
    compute_plugins: Collection[str] = (),
) -> list[str]:
    problems: list[str] = []
    for position, transform in enumerate(transforms):
        where = f"transforms[{position}]"
        problems += check_transform_name(transform.name, f"{where}.name")
        problems += check_materialization(transform.materialization, f"{where}.materialization")
        if transform.compute is not None and not transform.compute:
            problems.append(f"{where}.compute: '' is empty (allowed: a compute target or None)")
        for tag in transform.tags:
            if not isinstance(tag, str) or not _TAG_KEY.match(tag):
                problems.append(
                    f"{where}.tags: {tag!r} cannot be a Dagster tag (allowed: {_TAG_RULE})"
                )
    # Names only: dependencies are dbt's to decide (see dependency_differences).
    problems += check_dependency_graph([t.name for t in transforms], [[] for _ in transforms])
    if profiles is not None:
        problems += list(profiles.problems)
        problems += _compute_problems(transforms, profiles, default_compute, compute_plugins)
    if index is not None:
        problems += _manifest_problems(transforms, index)
    return problems


def _compute_problems(
    transforms: Sequence[TransformConfig],
    profiles: ProfilesInfo,
    default_compute: str | None,
    compute_plugins: Collection[str],
) -> list[str]:
    problems = []
    if default_compute is not None:
        _, problem = route_compute(profiles, default_compute, compute_plugins)
        if problem:
            problems.append(f"default_compute: {problem}")
    for position, transform in enumerate(transforms):
        if not transform.compute:
            continue
        _, problem = route_compute(profiles, transform.compute, compute_plugins)
        if problem:
            problems.append(f"transforms[{position}].compute: {transform.name!r}: {problem}")
    return problems


def _manifest_problems(transforms: Sequence[TransformConfig], index: ManifestIndex) -> list[str]:
    problems = []
    project = index.project_name or "the dbt project"
    named = {t.name for t in transforms if isinstance(t.name, str)}
    for position, transform in enumerate(transforms):
        where = f"transforms[{position}]"
        node = index.models.get(transform.name) if isinstance(transform.name, str) else None
        if node is None:
            if isinstance(transform.name, str) and transform.name:
                problems.append(
                    f"{where}.name: {transform.name!r} has no dbt model in {project!r} "
                    "(allowed: the name of a model in the dbt manifest)"
                )
            continue
        if transform.materialization not in ("table", node.materialization):
            problems.append(
                f"{where}.materialization: {transform.name!r} says {transform.materialization!r} "
                f"but dbt materializes it as {node.materialization!r} (allowed: dbt's value)"
            )
        if transform.schema_name and transform.schema_name != node.schema:
            problems.append(
                f"{where}.schema_name: {transform.name!r} says {transform.schema_name!r} but dbt "
                f"builds it in {node.schema!r} (allowed: dbt's schema)"
            )
        if transform.path and transform.path != node.path:
            problems.append(
                f"{where}.path: {transform.name!r} says {transform.path!r} but its dbt model is "
                f"{node.path!r} (allowed: dbt's path)"
            )
    for name, node in index.models.items():
        if name not in named:
            problems.append(
                f"dbt model {name!r} ({node.path}) has no transform (allowed: one transform per "
                "enabled model; add a transform or disable the model in dbt)"
            )
    return problems


def dependency_differences(
    transforms: Sequence[TransformConfig], index: ManifestIndex
) -> list[str]:
    """How each declared ``depends_on`` differs from what the model's dbt SQL refs.

    floe's ``depends_on`` lists models: a model dbt refs and the transform omits is a
    difference, a seed or snapshot it omits is not; a name it declares that dbt does not ref (as
    a model, seed or snapshot) is. A transform declaring nothing is not compared (floe copies
    ``depends_on`` from floe.yaml, where it is optional); nor is one without a dbt model (that is
    a problem of its own).
    """
    lines = []
    for transform in transforms:
        node = index.models.get(transform.name) if isinstance(transform.name, str) else None
        declared = set(transform.depends_on)
        if node is None or not declared:
            continue
        parents = [p for uid in node.parents if (p := index.by_uid.get(uid)) is not None]
        refs = {p.name for p in parents if p.resource_type in _REFABLE}
        extra = sorted(declared - refs)
        missing = sorted({p.name for p in parents if p.resource_type == "model"} - declared)
        parts = [f"declares {extra} that dbt does not ref"] if extra else []
        parts += [f"omits {missing} that dbt refs"] if missing else []
        if parts:
            lines.append(f"{transform.name!r} {' and '.join(parts)}")
    return lines
