"""Every problem with a set of transforms, against the contract's rules, dbt's manifest and profile.

Nothing is built until this list is empty; it is raised as one ``ContractValidationError``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from floe_orchestrator_contract import (
    TransformConfig,
    check_dependency_graph,
    check_materialization,
    check_transform_name,
)

from ._index import ManifestIndex
from ._profiles import ProfilesInfo

__all__ = ["collect_problems"]

# Dagster's rule for definition tag keys (dagster._core.definitions.utils).
_TAG_KEY = re.compile(r"^([A-Za-z0-9_.-]{1,63}/)?[A-Za-z0-9_.-]{1,63}$")
_TAG_RULE = "letters, digits, '_', '.', '-', at most 63 of them, optionally one 'prefix/' before"


def collect_problems(
    transforms: Sequence[TransformConfig],
    index: ManifestIndex | None,
    profiles: ProfilesInfo | None,
    default_compute: str | None,
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
    external = index.external_names() if index is not None else []
    problems += check_dependency_graph(
        [t.name for t in transforms], [t.depends_on for t in transforms], external=external
    )
    if profiles is not None:
        problems += list(profiles.problems)
        problems += _compute_problems(transforms, profiles, default_compute)
    if index is not None:
        problems += _manifest_problems(transforms, index)
    return problems


def _compute_problems(
    transforms: Sequence[TransformConfig], profiles: ProfilesInfo, default_compute: str | None
) -> list[str]:
    if profiles.targets is None:
        return []  # no profiles file yet: dbt itself will judge the targets at run time
    allowed = ", ".join(profiles.targets)
    rule = f"a target of dbt profile {profiles.profile_name!r}: {allowed}"
    problems = []
    if default_compute is not None and default_compute not in profiles.targets:
        problems.append(f"default_compute: {default_compute!r} is not a target (allowed: {rule})")
    for position, transform in enumerate(transforms):
        compute = transform.compute
        if compute and compute not in profiles.targets:
            problems.append(
                f"transforms[{position}].compute: {transform.name!r} runs on {compute!r}, "
                f"which is not a target (allowed: {rule})"
            )
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
        declared = sorted({d for d in transform.depends_on if d in index.models})
        actual = sorted(
            {
                parent.name
                for uid in node.parents
                if (parent := index.by_uid.get(uid)) is not None and parent.resource_type == "model"
            }
        )
        if declared != actual:
            problems.append(
                f"{where}.depends_on: {transform.name!r} depends on {declared} but its dbt model "
                f"refs {actual} (allowed: the models dbt's manifest says it depends on)"
            )
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
