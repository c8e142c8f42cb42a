"""``CompiledArtifacts``: the JSON contract floe compiles a data product into.

Every version floe has written loads (0.1.0 to 0.10.0, the seed's 0.2.0 among them). Parts the
plugin acts on are typed; everything else floe wrote is kept as it is. Every loader
(:meth:`CompiledArtifacts.from_dict`, ``from_json``, ``from_file``) reports *all* problems at
once in one :class:`~floe_orchestrator_contract.ContractValidationError`:

- in a version this contract knows, an unknown key is a mistake (a typo) and is reported;
- in a newer 0.x (floe adds only optional fields in a minor), what is not understood is kept
  and named in one :class:`~floe_orchestrator_contract.ArtifactsWarning`.

``$comment`` is allowed on any object, as in floe's golden fixtures.
"""

from __future__ import annotations

import re
import types
import typing
import warnings
from pathlib import Path
from typing import Any, Union

from pydantic import (
    BaseModel,
    Field,
    PrivateAttr,
    SerializerFunctionWrapHandler,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_serializer,
    model_validator,
)

from ._artifact_parts import (
    NAMES_CHECKED,
    BatchSpanProcessorConfig,
    CompilationMetadata,
    DefaultSchedule,
    DeploymentMode,
    EnforcementResultSummary,
    LoggingConfig,
    ManifestRef,
    ObservabilityConfig,
    OrchestratorConfig,
    OrchestratorPluginRef,
    Part,
    PluginRef,
    ProductIdentity,
    QualityCheck,
    ResolvedGovernance,
    ResolvedModel,
    ResolvedPlugins,
    ResolvedTransforms,
    ResourceAttributes,
    SamplingConfig,
    ScheduleSpec,
    TelemetryAuth,
    TelemetryConfig,
)
from ._documents import check_json_document, parse_json_document, read_json_file
from ._entities import TransformConfig
from ._redact import MASK, is_secret_key, redact
from ._validation import ContractValidationError
from ._versions import ALLOWED_VERSIONS, ARTIFACTS_VERSION, ArtifactsWarning, classify_version

__all__ = [
    "ARTIFACTS_VERSION",
    "BatchSpanProcessorConfig",
    "CompilationMetadata",
    "CompiledArtifacts",
    "DefaultSchedule",
    "DeploymentMode",
    "EnforcementResultSummary",
    "LoggingConfig",
    "ManifestRef",
    "ObservabilityConfig",
    "OrchestratorConfig",
    "OrchestratorPluginRef",
    "PluginRef",
    "ProductIdentity",
    "QualityCheck",
    "ResolvedGovernance",
    "ResolvedModel",
    "ResolvedPlugins",
    "ResolvedTransforms",
    "ResourceAttributes",
    "SamplingConfig",
    "ScheduleSpec",
    "TelemetryAuth",
    "TelemetryConfig",
]

_LOADING = "floe_loading"
_COMMENT = "$comment"
_MAX_NAMED = 20
_CARRIES_SECRETS = frozenset({"config", "dbt_profiles", "authentication"})
_NOT_A_NAME = re.compile(r"[^A-Za-z0-9_]")


class CompiledArtifacts(Part):
    """The sole contract between floe's compiler and an orchestrator plugin."""

    version: str = ARTIFACTS_VERSION
    metadata: CompilationMetadata
    identity: ProductIdentity
    mode: DeploymentMode = DeploymentMode.SIMPLE
    inheritance_chain: list[ManifestRef] = Field(default_factory=list)
    observability: ObservabilityConfig = Field(default_factory=ObservabilityConfig)
    plugins: ResolvedPlugins | None = None
    transforms: ResolvedTransforms | None = None
    dbt_profiles: dict[str, Any] | None = None
    governance: ResolvedGovernance | None = None
    enforcement_result: EnforcementResultSummary | None = None
    # Kept as floe wrote them; nothing here acts on data contracts or quality gates.
    data_contracts: list[dict[str, Any]] = Field(default_factory=list)
    quality_config: dict[str, Any] | None = None
    # Accepted, never required and never written when empty: floe-core forbids this key, so
    # products carry schedules in plugins.orchestrator.config (see schedule_specs()).
    schedules: list[ScheduleSpec] = Field(default_factory=list)

    _not_understood: tuple[str, ...] = PrivateAttr(default=())

    @field_validator("version")
    @classmethod
    def _version_is_supported(cls, value: str) -> str:
        if classify_version(value) == "unsupported":
            raise ValueError(f"{value!r} is not supported (allowed: {ALLOWED_VERSIONS})")
        return value

    @model_validator(mode="wrap")
    @classmethod
    def _unknown_keys(
        cls, data: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo
    ) -> Any:
        model = handler(data)
        if not isinstance(model, CompiledArtifacts) or not isinstance(data, dict):
            return model
        if info.context and info.context.get(_LOADING):
            return model  # from_dict reports them beside every other problem
        unknown = unknown_keys(CompiledArtifacts, data)
        if unknown and classify_version(model.version) != "newer":
            raise ValueError("; ".join(line for _, line in unknown))
        _note_not_understood(model, unknown)
        return model

    @model_serializer(mode="wrap")
    def _floe_shape(self, handler: SerializerFunctionWrapHandler) -> Any:
        data = handler(self)
        if isinstance(data, dict) and not self.schedules:
            data.pop("schedules", None)
        return data

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
        newer = classify_version(data.get("version", ARTIFACTS_VERSION)) == "newer"
        unknown = unknown_keys(cls, data)
        problems = [] if newer else [line for _, line in unknown]
        problems += _duplicate_names(data)
        try:
            model = cls.model_validate(data, context={_LOADING: True, NAMES_CHECKED: True})
        except ValidationError as error:
            problems = _describe(error) + problems
        if problems:
            raise ContractValidationError("invalid compiled artifacts", problems)
        _note_not_understood(model, unknown)
        return model

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

    # -- what the plugin reads -------------------------------------------------------------
    @property
    def not_understood(self) -> tuple[str, ...]:
        """Paths of the parts a newer floe wrote that this contract does not know (kept)."""
        return self._not_understood

    @property
    def product_job_name(self) -> str:
        """The product's job, as Dagster can name it: ``customer-360`` -> ``customer_360_job``."""
        return f"{_NOT_A_NAME.sub('_', self.metadata.product_name)}_job"

    @property
    def compute_plugins(self) -> list[str]:
        """Names of compute plugins (``plugins.compute.type``, ``transforms.default_compute``)."""
        names = [self.plugins.compute.type] if self.plugins is not None else []
        if self.transforms is not None:
            names.append(self.transforms.default_compute)
        return list(dict.fromkeys(names))

    def schedule_specs(self) -> list[ScheduleSpec]:
        """Every schedule the product carries: the top-level ``schedules``, then
        ``plugins.orchestrator.config.schedules``, then its ``default_schedule`` (of the
        product's job unless it names one)."""
        return [spec for _, spec in self.schedule_sources()]

    def schedule_sources(self) -> list[tuple[str, ScheduleSpec]]:
        """:meth:`schedule_specs`, each with where in the artifacts it comes from."""
        sources = [(f"schedules[{i}]", spec) for i, spec in enumerate(self.schedules)]
        config = self.plugins.orchestrator.config if self.plugins is not None else None
        if config is not None:
            where = "plugins.orchestrator.config"
            sources += [
                (f"{where}.schedules[{i}]", spec) for i, spec in enumerate(config.schedules or [])
            ]
            default = config.default_schedule
            if default is not None:
                spec = ScheduleSpec(
                    job_name=default.job_name or self.product_job_name,
                    cron=default.cron,
                    timezone=default.timezone,
                )
                sources.append((f"{where}.default_schedule", spec))
        return sources

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


def _note_not_understood(model: CompiledArtifacts, unknown: list[tuple[str, str]]) -> None:
    if not unknown:
        return
    paths = tuple(path for path, _ in unknown)
    model._not_understood = paths
    shown = ", ".join(paths[:_MAX_NAMED])
    more = f" and {len(paths) - _MAX_NAMED} more" if len(paths) > _MAX_NAMED else ""
    warnings.warn(
        f"compiled artifacts {model.version} of {model.metadata.product_name!r} are newer than "
        f"this plugin knows ({ARTIFACTS_VERSION} is the newest): {len(paths)} part(s) not "
        f"understood, kept as they are and not acted on: {shown}{more}",
        ArtifactsWarning,
        stacklevel=3,
    )


# -- unknown keys ----------------------------------------------------------------------------
def unknown_keys(model: type[BaseModel], data: dict[str, Any]) -> list[tuple[str, str]]:
    """``(path, problem)`` for each key of ``data`` that ``model`` (at any depth) does not know.

    ``$comment`` is known everywhere; free-form parts (``open_keys``) know every key.
    """
    found: list[tuple[str, str]] = []
    stack: list[tuple[type[BaseModel], dict[str, Any], str]] = [(model, data, "")]
    while stack:
        current, values, where = stack.pop()
        fields = current.model_fields
        for key, value in values.items():
            path = f"{where}.{key}" if where else str(key)
            field = fields.get(key) if isinstance(key, str) else None
            if field is None:
                if key != _COMMENT and not getattr(current, "open_keys", False):
                    allowed = ", ".join(fields)
                    found.append((path, f"{path}: unknown key {key!r} (allowed: {allowed})"))
                continue
            stack += _children(field.annotation, value, path)
    return sorted(found)


def _children(
    annotation: Any, value: Any, path: str
) -> list[tuple[type[BaseModel], dict[str, Any], str]]:
    """The models nested in ``value`` per ``annotation`` (a model, optional, list or dict of)."""
    options = [annotation]
    if typing.get_origin(annotation) in (Union, types.UnionType):
        options = [a for a in typing.get_args(annotation) if a is not type(None)]
    for option in options:
        origin = typing.get_origin(option)
        # Python 3.10 counts list[X] as a type: only a plain class can be a model.
        model = origin is None and isinstance(option, type) and issubclass(option, BaseModel)
        if isinstance(value, dict) and model:
            return [(option, value, path)]
        if isinstance(value, list) and origin is list:
            (item,) = typing.get_args(option)
            return [c for i, v in enumerate(value) for c in _children(item, v, f"{path}[{i}]")]
        if isinstance(value, dict) and origin is dict:
            item = typing.get_args(option)[1]
            return [c for k, v in value.items() for c in _children(item, v, f"{path}.{k}")]
    return []


def _duplicate_names(data: dict[str, Any]) -> list[str]:
    """Models named twice, from the raw data, so they are reported beside shape errors."""
    transforms = data.get("transforms")
    models = transforms.get("models") if isinstance(transforms, dict) else None
    if not isinstance(models, list):
        return []
    seen: dict[str, int] = {}
    problems = []
    for index, model in enumerate(models):
        name = model.get("name") if isinstance(model, dict) else None
        if not isinstance(name, str):
            continue
        if name in seen:
            problems.append(
                f"transforms.models[{index}].name: {name!r} duplicates models[{seen[name]}] "
                "(allowed: each name once)"
            )
        seen.setdefault(name, index)
    return problems


# -- messages --------------------------------------------------------------------------------
def _describe(error: ValidationError) -> list[str]:
    lines = []
    for item in error.errors():
        loc = item["loc"]
        where = _dotted(loc)
        kind = item["type"]
        shown = _shown(loc, item.get("input"))
        if kind == "missing":
            lines.append(f"{where}: required key is missing")
        elif kind == "value_error":  # our own rules: the message names the value already
            lines.append(f"{where}: {item['msg'].removeprefix('Value error, ')}")
        elif item["msg"].startswith("Input should be "):
            allowed = item["msg"].removeprefix("Input should be ")
            lines.append(f"{where}: {shown} is not allowed (allowed: {allowed})")
        else:
            lines.append(f"{where}: {shown}: {item['msg']}")
    return lines


def _shown(loc: tuple[int | str, ...], value: Any) -> str:
    """The offending value as a message may show it: never a secret, never pages long.

    Under a key naming a secret nothing is shown; under the parts that carry credentials
    (plugin configuration, dbt profiles, telemetry authentication) only the value's type is.
    """
    if any(is_secret_key(part) for part in loc):
        return MASK
    if any(part in _CARRIES_SECRETS for part in loc):
        return f"a value of type {type(value).__name__}"
    text = repr(redact(value))
    return text if len(text) <= 120 else f"{text[:117]}..."


def _dotted(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(root)"
