"""dbt profiles: where dbt finds them, which targets (compute) they offer, and the dbt resource.

A profiles mapping handed over in memory (``CompiledArtifacts.dbt_profiles``) is written to a
private ``profiles.yml`` (mode 0600) under the project's ``target/`` folder, because dbt only
reads profiles from files. It may hold credentials: it is never logged, and only its hash is kept.

floe keys that mapping by product name (``customer-360``) while ``dbt_project.yml`` names the
profile as dbt allows (``customer_360``): a profile whose name differs only in case and
punctuation is handed to dbt under the name dbt asks for. floe's targets are environments
(``dev``) and a model's ``compute`` names a compute plugin (``duckdb``): :func:`route_compute`
turns a compute into the target it runs under.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from floe_orchestrator_contract import ContractValidationError, RunObserver

__all__ = [
    "DBT_RESOURCE_KEY",
    "ProfilesInfo",
    "dbt_resources",
    "project_settings",
    "route_compute",
    "target_for_compute",
]

logger = logging.getLogger(__name__)

DBT_RESOURCE_KEY = "dbt"
PROFILES_FILE = "profiles.yml"
_PUNCTUATION = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class ProfilesInfo:
    """The profile a dbt project uses, as far as it can be known before dbt runs."""

    profile_name: str
    profiles_dir: Path | None
    targets: dict[str, str] | None = None
    """Output (target) name -> adapter type; None when no profiles file was found."""
    default_target: str | None = None
    fingerprint: str = ""
    problems: tuple[str, ...] = field(default=())


def project_settings(project_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """The parsed ``dbt_project.yml`` of ``project_dir``."""
    path = Path(project_dir) / "dbt_project.yml"
    try:
        data = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise ContractValidationError(
            "invalid dbt project",
            [f"project_dir: {str(project_dir)!r} has no dbt_project.yml (allowed: a dbt project)"],
        ) from None
    except yaml.YAMLError as error:
        raise ContractValidationError(
            "invalid dbt project", [f"{path}: not valid YAML: {error}"]
        ) from None
    if not isinstance(data, dict):
        raise ContractValidationError(
            "invalid dbt project", [f"{path}: expected a mapping, got {type(data).__name__}"]
        )
    return data


def resolve_profiles(
    project: Path,
    settings: Mapping[str, Any],
    *,
    profiles: Mapping[str, Any] | None = None,
    profiles_dir: str | os.PathLike[str] | None = None,
) -> ProfilesInfo:
    """The project's profile from ``profiles`` (written to disk), ``profiles_dir`` or dbt's search.

    dbt's search order is ``DBT_PROFILES_DIR``, the project directory, then ``~/.dbt``.
    """
    name = str(settings.get("profile") or settings.get("name") or "")
    if profiles is not None:
        profiles = _under_dbt_name(profiles, name)
        directory: Path | None = write_profiles(project, settings, profiles)
        content: Any = profiles
        where = "profiles"
    else:
        from_env = os.environ.get("DBT_PROFILES_DIR")
        candidates = (
            [Path(profiles_dir)]
            if profiles_dir is not None
            else [*([Path(from_env)] if from_env else []), project, Path.home() / ".dbt"]
        )
        directory = next((c.resolve() for c in candidates if (c / PROFILES_FILE).is_file()), None)
        if directory is None:
            if profiles_dir is not None:
                return ProfilesInfo(
                    name,
                    None,
                    problems=(
                        f"profiles_dir: {str(profiles_dir)!r} has no {PROFILES_FILE} "
                        "(allowed: a directory holding dbt's profiles.yml)",
                    ),
                )
            return ProfilesInfo(name, None)
        where = str(directory / PROFILES_FILE)
        try:
            content = yaml.safe_load((directory / PROFILES_FILE).read_text())
        except yaml.YAMLError:
            # The parser's message may quote the file (credentials included): name the file only.
            return ProfilesInfo(name, directory, problems=(f"{where}: not valid YAML",))
    profile = content.get(name) if isinstance(content, Mapping) else None
    outputs = profile.get("outputs") if isinstance(profile, Mapping) else None
    if not isinstance(outputs, Mapping) or not outputs:
        found = ", ".join(str(k) for k in content) if isinstance(content, Mapping) else "nothing"
        return ProfilesInfo(
            name,
            directory,
            problems=(
                f"{where}: no profile {name!r} with outputs, the profile dbt_project.yml names "
                f"(found: {found or 'nothing'})",
            ),
        )
    default = profile.get("target") if isinstance(profile, Mapping) else None
    targets = {
        str(output): str(config.get("type", "")) if isinstance(config, Mapping) else ""
        for output, config in outputs.items()
    }
    return ProfilesInfo(
        profile_name=name,
        profiles_dir=directory,
        targets=targets,
        # A templated default (e.g. "{{ env_var('DBT_TARGET') }}") is only known to dbt.
        default_target=str(default) if default and "{{" not in str(default) else None,
        fingerprint=_digest(profile),
    )


def _under_dbt_name(profiles: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    """``profiles`` with the profile floe keyed by product name also under dbt's name for it."""
    if name in profiles:
        return profiles
    wanted = _PUNCTUATION.sub("_", name.lower()).strip("_")
    matches = [
        key
        for key in profiles
        if isinstance(key, str) and _PUNCTUATION.sub("_", key.lower()).strip("_") == wanted
    ]
    if len(matches) != 1:
        return profiles
    logger.debug("dbt profile %r is the artifacts' profile %r", name, matches[0])
    return {**profiles, name: profiles[matches[0]]}


def route_compute(
    info: ProfilesInfo, compute: str | None, compute_plugins: Collection[str] = ()
) -> tuple[str | None, str | None]:
    """``(target, problem)``: the dbt target ``compute`` runs under, or why there is none.

    A compute that names a target of the profile is that target (several targets per product,
    as the greenhouse example has). Otherwise it names a compute plugin (floe's meaning: a
    ``plugins.compute.type`` or ``transforms.default_compute``, listed in ``compute_plugins``,
    or a dbt adapter type): it runs under the profile's target for this environment (its
    default target) when that target's adapter is the plugin's, else under the one target of
    that adapter. No compute means the environment's target. ``None`` as the target leaves the
    choice to dbt (a templated default target); without a profiles file nothing is mapped.
    """
    targets = info.targets
    if not compute or targets is None or compute in targets:
        return (compute or info.default_target), None
    environment = info.default_target
    same_adapter = [target for target, adapter in targets.items() if adapter == compute]
    if environment is not None and environment in same_adapter:
        return environment, None
    if len(same_adapter) == 1 or (not same_adapter and compute in compute_plugins):
        return (same_adapter[0] if same_adapter else environment), None
    listed = ", ".join(targets)
    if same_adapter:
        return None, (
            f"compute {compute!r} matches targets {', '.join(same_adapter)} of dbt profile "
            f"{info.profile_name!r} and none is its default target (allowed: a target name: "
            f"{listed})"
        )
    plugins = ", ".join(sorted(set(compute_plugins))) or "none"
    return None, (
        f"compute {compute!r} is neither a target of dbt profile {info.profile_name!r} nor a "
        f"compute plugin of the product (allowed: targets {listed}; compute plugins {plugins})"
    )


def target_for_compute(
    project_dir: str | os.PathLike[str],
    compute: str | None,
    *,
    profiles: Mapping[str, Any] | None = None,
    profiles_dir: str | os.PathLike[str] | None = None,
    compute_plugins: Collection[str] = (),
) -> str | None:
    """The dbt target ``compute`` runs under in the project at ``project_dir`` (see
    :func:`route_compute`); raises ``ContractValidationError`` when there is none."""
    project = Path(project_dir).resolve()
    info = resolve_profiles(
        project, project_settings(project), profiles=profiles, profiles_dir=profiles_dir
    )
    if info.problems:
        raise ContractValidationError("invalid dbt profiles", info.problems)
    target, problem = route_compute(info, compute, compute_plugins)
    if problem:
        raise ContractValidationError("invalid compute", [f"compute: {problem}"])
    return target


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


def write_profiles(project: Path, settings: Mapping[str, Any], profiles: Mapping[str, Any]) -> Path:
    """Write ``profiles`` where dbt can read them; return that directory.

    The folder is named after a hash of the content, so differing profiles never overwrite each
    other and an unchanged one is not rewritten. JSON is valid YAML, so no YAML emitter is needed.
    """
    text = json.dumps(profiles, sort_keys=True, indent=2, default=str)
    target_dir = project / str(settings.get("target-path") or "target")
    directory = target_dir / "floe_profiles" / hashlib.sha256(text.encode()).hexdigest()[:16]
    path = directory / PROFILES_FILE
    if path.is_file() and path.read_text() == text:
        return directory
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    staging = directory / f".{PROFILES_FILE}.{os.getpid()}"
    descriptor = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(text)
    os.replace(staging, path)
    return directory


def dbt_resources(
    project_dir: str | os.PathLike[str],
    *,
    profiles: Mapping[str, Any] | None = None,
    profiles_dir: str | os.PathLike[str] | None = None,
    observers: Iterable[RunObserver] = (),
    product: str | None = None,
) -> dict[str, Any]:
    """The resources the dbt assets need: ``{"dbt": DbtCliResource(...), "floe_run_observers":
    ...}``, or for a product's assets ``{"dbt_<product>": ..., "floe_run_observers_<product>":
    ...}`` (:func:`dbt_resource_key`, :func:`run_observers_resource_key`), so that several
    products' resources live side by side.

    ``profiles`` (a profiles.yml mapping, e.g. ``CompiledArtifacts.dbt_profiles``) wins over
    ``profiles_dir``; with neither, dbt's own search applies (``DBT_PROFILES_DIR``, the project
    directory, ``~/.dbt``). ``observers`` (:class:`~floe_orchestrator_contract.RunObserver`)
    hear every run's progress, node by node.
    """
    from dagster_dbt import DbtCliResource

    from ._manifest import dbt_executable
    from ._names import dbt_resource_key, run_observers_resource_key
    from ._observers import run_observers_resource

    project = Path(project_dir).resolve()
    info = resolve_profiles(
        project, project_settings(project), profiles=profiles, profiles_dir=profiles_dir
    )
    if info.problems:
        raise ContractValidationError("invalid dbt profiles", info.problems)
    return {
        dbt_resource_key(product): DbtCliResource(
            project_dir=str(project),
            profiles_dir=str(info.profiles_dir) if info.profiles_dir is not None else None,
            dbt_executable=dbt_executable(),
        ),
        run_observers_resource_key(product): run_observers_resource(*observers),
    }
