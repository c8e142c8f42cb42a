"""``CompiledArtifacts``: the JSON contract floe compiles a data product into.

Models are strict about shape (an unknown key is an error that names it) and every loader
(:meth:`CompiledArtifacts.from_dict`, ``from_json``, ``from_file``) reports *all* problems at
once: shape errors from pydantic and the seed's graph rules over the models, in one
:class:`~floe_orchestrator_contract.ContractValidationError`.
"""

from __future__ import annotations

import types
import typing
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Any, Literal, Union

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from ._documents import check_json_document, parse_json_document, read_json_file
from ._entities import TransformConfig
from ._validation import ContractValidationError, check_dependency_graph, check_transform_name

__all__ = [
    "ARTIFACTS_VERSION",
    "CompilationMetadata",
    "CompiledArtifacts",
    "DeploymentMode",
    "ObservabilityConfig",
    "ProductIdentity",
    "ResolvedModel",
    "ResolvedTransforms",
    "ScheduleSpec",
]

ARTIFACTS_VERSION = "0.2.0"
_GRAPH_CHECKED = "floe_graph_checked"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DeploymentMode(str, Enum):
    """How the product is deployed: alone, on a central platform, or in a data mesh."""

    SIMPLE = "simple"
    CENTRALIZED = "centralized"
    MESH = "mesh"


class CompilationMetadata(_Strict):
    compiled_at: datetime
    floe_version: str
    source_hash: str
    product_name: str
    product_version: str


class ProductIdentity(_Strict):
    product_id: str
    domain: str
    repository: str


class ResolvedModel(_Strict):
    """One dbt model with its compute target resolved (never None)."""

    name: str
    compute: str = Field(min_length=1)
    tags: list[str] | None = None
    depends_on: list[str] | None = None

    @field_validator("name")
    @classmethod
    def _name_is_identifier(cls, value: str) -> str:
        problems = check_transform_name(value, "name")
        if problems:
            raise ValueError(problems[0].partition(": ")[2])
        return value


class ResolvedTransforms(_Strict):
    models: list[ResolvedModel] = Field(default_factory=list)
    default_compute: str = Field(min_length=1)

    @model_validator(mode="after")
    def _graph_is_sound(self, info: ValidationInfo) -> ResolvedTransforms:
        if info.context and info.context.get(_GRAPH_CHECKED):
            return self
        problems = check_dependency_graph(
            [m.name for m in self.models],
            [m.depends_on or [] for m in self.models],
            label="models",
        )
        if problems:
            raise ValueError("; ".join(problems))
        return self


class ObservabilityConfig(_Strict):
    """Lineage settings. ``lineage_endpoint`` is a URL for ``http`` and a path for ``file``."""

    lineage: bool = True
    lineage_namespace: str = Field(default="floe", min_length=1)
    lineage_endpoint: str | None = None
    lineage_transport: Literal["http", "console", "file", "noop"] = "http"


class ScheduleSpec(_Strict):
    """A schedule carried by the artifacts (an extension to the seed's table)."""

    job_name: str = Field(min_length=1)
    cron: str = Field(min_length=1)
    timezone: str = "UTC"


class CompiledArtifacts(_Strict):
    """The sole contract between floe's compiler and an orchestrator plugin."""

    version: str = ARTIFACTS_VERSION
    metadata: CompilationMetadata
    identity: ProductIdentity
    mode: DeploymentMode = DeploymentMode.SIMPLE
    transforms: ResolvedTransforms | None = None
    dbt_profiles: dict[str, Any] | None = None
    observability: ObservabilityConfig = Field(default_factory=ObservabilityConfig)
    schedules: list[ScheduleSpec] = Field(default_factory=list)

    @field_validator("version")
    @classmethod
    def _version_is_supported(cls, value: str) -> str:
        if value.split(".")[:2] != ARTIFACTS_VERSION.split(".")[:2]:
            raise ValueError(f"{value!r} is not supported (allowed: {ARTIFACTS_VERSION[:3]}.x)")
        return value

    # -- loading ---------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: Any) -> CompiledArtifacts:
        """Validate ``data``; raise one ``ContractValidationError`` naming every problem."""
        if isinstance(data, CompiledArtifacts):
            return data
        if not isinstance(data, dict):
            raise ContractValidationError(
                "invalid compiled artifacts",
                [f"(root): expected a JSON object, got {type(data).__name__}"],
            )
        unreadable = check_json_document(data)
        if unreadable:
            raise ContractValidationError("invalid compiled artifacts", unreadable)
        problems = _graph_problems(data)
        try:
            artifacts = cls.model_validate(data, context={_GRAPH_CHECKED: True})
        except ValidationError as error:
            problems = _describe(error) + problems
        else:
            if not problems:  # a well-shaped document can still have a cycle
                return artifacts
        raise ContractValidationError("invalid compiled artifacts", problems)

    @classmethod
    def from_json(cls, text: str | bytes) -> CompiledArtifacts:
        return cls.from_dict(parse_json_document(text, "invalid compiled artifacts"))

    @classmethod
    def from_file(cls, path: str | Path) -> CompiledArtifacts:
        return cls.from_dict(read_json_file(path, "invalid compiled artifacts"))

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        """The JSON Schema of the contract (as pydantic generates it)."""
        return cls.model_json_schema()

    # -- conversion ------------------------------------------------------------------------
    def to_transform_configs(self) -> list[TransformConfig]:
        """The models as seed ``TransformConfig``s (fresh lists; path/schema come from dbt)."""
        if self.transforms is None:
            return []
        return [
            TransformConfig(
                name=model.name,
                tags=list(model.tags or []),
                depends_on=list(model.depends_on or []),
                compute=model.compute,
            )
            for model in self.transforms.models
        ]


def _graph_problems(data: dict[str, Any]) -> list[str]:
    """Graph rules over the raw models, best effort, so they are reported beside shape errors."""
    transforms = data.get("transforms")
    models = transforms.get("models") if isinstance(transforms, dict) else None
    if not isinstance(models, list):
        return []
    names: list[str] = []
    upstreams: list[list[str]] = []
    for model in models:
        name = model.get("name") if isinstance(model, dict) else None
        deps = model.get("depends_on") if isinstance(model, dict) else None
        names.append(name if isinstance(name, str) else f"<models[{len(names)}]>")
        upstreams.append([d for d in deps if isinstance(d, str)] if isinstance(deps, list) else [])
    problems = check_dependency_graph(names, upstreams, label="models")
    return [f"transforms.{p}" if p.startswith("models[") else p for p in problems]


def _describe(error: ValidationError) -> list[str]:
    lines = []
    for item in error.errors():
        loc = item["loc"]
        where = _dotted(loc)
        kind = item["type"]
        if kind == "extra_forbidden":
            allowed = ", ".join(_fields_at(loc[:-1]))
            lines.append(f"{where}: unknown key {loc[-1]!r} (allowed: {allowed})")
        elif kind == "missing":
            lines.append(f"{where}: required key is missing")
        elif kind == "value_error":  # our own rules: the message names the value already
            lines.append(f"{where}: {item['msg'].removeprefix('Value error, ')}")
        elif item["msg"].startswith("Input should be "):
            allowed = item["msg"].removeprefix("Input should be ")
            lines.append(f"{where}: {item['input']!r} is not allowed (allowed: {allowed})")
        else:
            lines.append(f"{where}: {item['input']!r}: {item['msg']}")
    return lines


def _dotted(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(root)"


def _fields_at(loc: tuple[int | str, ...]) -> list[str]:
    """Field names of the model found by walking ``loc`` from ``CompiledArtifacts``."""
    annotation: Any = CompiledArtifacts
    for part in loc:
        model = _model_in(annotation)
        if isinstance(part, str) and model is not None and part in model.model_fields:
            annotation = model.model_fields[part].annotation
        elif isinstance(part, int):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            inner = [typing.get_args(a)[0] for a in args if typing.get_origin(a) is list]
            annotation = inner[0] if inner else typing.get_args(annotation)[0]
    model = _model_in(annotation)
    return list(model.model_fields) if model is not None else []


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (Union, types.UnionType):
        for arg in typing.get_args(annotation):
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                return arg
    return None
