"""The bundled Dagster chart (schema + defaults) and the check Helm itself would run on values.

Helm validates the *coalesced* values (chart defaults deep-merged with the user's file) against the
chart's schema, and each enabled subchart's values against that subchart's schema. This module
does the same offline: the chart's schema points its Kubernetes sub-objects (probes,
securityContext, env, volumes, affinity, ...) at a remote Kubernetes schema, which is replaced by
the bundled Kubernetes definitions, strict about unknown keys as ``kubernetes-validate --strict``
is on the rendered manifests. Then come what the schema cannot see: the rules the chart's
templates enforce (``_templates``), resource quantities, and plain-text credentials.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, cast

from ._merge import coalesce_like_helm, plain_tree
from ._quantity import check_resource_requirements
from ._secrets import CREDENTIAL_RULE, credential_slots, redact_credentials
from ._templates import template_problems

if TYPE_CHECKING:
    from jsonschema.protocols import Validator

__all__ = [
    "SUBCHART",
    "chart_defaults",
    "check_plain_passwords",
    "load_chart_file",
    "validate_helm_values",
]

SUBCHART = "dagster-user-deployments"
_SUBCHART_DIR = f"charts/{SUBCHART}"
# Where the chart's schema expects Kubernetes' definitions (a network fetch Helm makes).
_K8S_URL = "https://raw.githubusercontent.com/yannh/kubernetes-json-schema/master/v1.19.0/_definitions.json"
_K8S_PREFIX = f"{_K8S_URL}#/definitions/"
_RESOURCE_KEYS = frozenset({"resources", "initContainerResources"})
# Free-form Kubernetes manifests: their "resources" (e.g. RBAC rules) are not container resources.
_FREE_FORM_KEYS = frozenset({"extraManifests"})
_MAX_MESSAGE = 300


def load_chart_file(relative: str) -> str:
    """The text of one bundled chart file, e.g. ``values.yaml``."""
    # Imported here: importlib.resources costs a few ms that plain `import` of this package skips.
    from importlib import resources

    node = resources.files("floe_dagster_helm").joinpath("chart")
    # One segment per call: Traversable.joinpath takes a single argument before Python 3.11.
    for part in relative.split("/"):
        node = node.joinpath(part)
    return node.read_text("utf-8")


@functools.cache
def _yaml_file(relative: str) -> Mapping[str, Any]:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    loaded = yaml.load(load_chart_file(relative), Loader=loader)
    if not isinstance(loaded, Mapping):  # pragma: no cover - the bundled files are fixed
        raise TypeError(f"bundled chart file {relative} is not a mapping")
    return loaded


def chart_defaults(subchart: bool = False) -> Mapping[str, Any]:
    """The chart's (or the user-code subchart's) default values. Shared: never mutate it."""
    return _yaml_file(f"{_SUBCHART_DIR}/values.yaml" if subchart else "values.yaml")


@functools.cache
def _validator(subchart: bool) -> Validator:
    from jsonschema import Draft202012Validator

    relative = f"{_SUBCHART_DIR}/values.schema.json" if subchart else "values.schema.json"
    schema = _with_kubernetes_definitions(json.loads(load_chart_file(relative)))
    validator: Validator = Draft202012Validator(schema)
    return validator


def _with_kubernetes_definitions(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with its remote Kubernetes ``$ref``s pointing at the bundled definitions.

    Where the chart adds keys of its own beside a Kubernetes object (a probe's ``enabled``, which
    its templates consume), the reference goes to a copy of that definition that allows them.
    """
    definitions: dict[str, Any] = dict(
        json.loads(load_chart_file("kubernetes/definitions.json"))["definitions"]
    )
    stack: list[Any] = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
            continue
        if not isinstance(node, dict):
            continue
        stack.extend(node.values())
        reference = node.get("$ref")
        if not (isinstance(reference, str) and reference.startswith(_K8S_PREFIX)):
            continue
        pointer = reference.removeprefix(_K8S_PREFIX)
        own = node.get("properties")
        if isinstance(own, dict) and own and "/" not in pointer:
            variant = f"{pointer}+{'+'.join(sorted(own))}"
            base = definitions[pointer]
            definitions[variant] = {**base, "properties": {**base.get("properties", {}), **own}}
            pointer = variant
        node["$ref"] = f"#/definitions/{pointer}"
    schema["definitions"] = definitions
    return schema


def validate_helm_values(values: Mapping[str, Any]) -> list[str]:
    """Every problem of ``values`` for the ``dagster/dagster`` chart, as Helm would see them.

    ``values`` is what goes in the values file. It is coalesced over the bundled chart defaults
    (``null`` deletes a default, lists replace) and checked against the chart's schema with its
    Kubernetes objects (strict: no unknown keys), the user-code part against the
    ``dagster-user-deployments`` subchart's schema; then the rules the chart's templates enforce
    (``codeServerArgs`` with more than one replica, conflicting concurrency settings, ...), every
    Kubernetes ``resources`` object for valid quantities with requests at most limits, and
    plain-text credentials in ``values``. An empty list means none of these checks found a
    problem; what only a cluster can tell (image names, Secrets that exist, quotas) is not
    checked.
    """
    if not isinstance(cast("object", values), Mapping):
        return [f"values: {type(values).__name__} given (allowed: a mapping of chart values)"]
    values = plain_tree(values)
    problems = check_plain_passwords(values)
    # Schema messages quote the offending value: keep any credential out of them (``values`` is
    # our own plain copy here, made of dicts and lists).
    redact_credentials(values)
    merged = coalesce_like_helm(chart_defaults(), values)
    problems += _schema_problems(_validator(False), merged, "")
    user_code = merged.get(SUBCHART)
    if isinstance(user_code, Mapping) and user_code.get("enableSubchart") is True:
        sub_defaults = chart_defaults(subchart=True)
        sub_values = coalesce_like_helm(sub_defaults, user_code)
        # Helm hands the parent's globals down to every subchart.
        sub_values["global"] = coalesce_like_helm(
            sub_defaults.get("global") or {}, merged.get("global") or {}
        )
        problems += _schema_problems(_validator(True), sub_values, f"{SUBCHART} (subchart) ")
    problems += template_problems(merged)
    for where, value in _resource_objects(merged, ""):
        problems += check_resource_requirements(value, where)
    return problems


def check_plain_passwords(values: Mapping[str, Any]) -> list[str]:
    """Where ``values`` holds a password or other credential in plain text (never the value)."""
    return sorted(f"{where}: {CREDENTIAL_RULE}" for where, _, _ in credential_slots(values))


def _resource_objects(values: Mapping[str, Any], where: str) -> Iterator[tuple[str, Any]]:
    stack: list[tuple[Any, str]] = [(values, where)]
    while stack:
        current, path = stack.pop()
        if isinstance(current, Mapping):
            for key, value in current.items():
                child = f"{path}.{key}" if path else str(key)
                if key in _FREE_FORM_KEYS:
                    continue
                if key in _RESOURCE_KEYS and isinstance(value, Mapping):
                    yield child, value
                else:
                    stack.append((value, child))
        elif isinstance(current, list):
            stack.extend((item, f"{path}[{index}]") for index, item in enumerate(current))


def _informative(error: Any) -> Any:
    """For a failed anyOf/oneOf, the error of the branch whose type fits the value (a list of
    env entries is not a map: say which entry is wrong, not that a map was expected)."""
    from jsonschema.exceptions import best_match

    while error.validator in ("anyOf", "oneOf") and error.context:
        branches: dict[Any, list[Any]] = {}
        for inner in error.context:
            branches.setdefault(inner.relative_schema_path[0], []).append(inner)
        fitting = [
            errors
            for errors in branches.values()
            if not any(e.validator == "type" and not e.relative_path for e in errors)
        ]
        error = best_match(fitting[0] if len(fitting) == 1 else error.context)
    return error


def _schema_problems(validator: Validator, instance: Mapping[str, Any], label: str) -> list[str]:
    problems = []
    for error in validator.iter_errors(instance):
        error = _informative(error)  # noqa: PLW2901 - the informative branch
        path = _json_path(error.absolute_path)
        if (
            error.validator == "additionalProperties"
            and isinstance(error.instance, Mapping)
            and isinstance(error.schema, Mapping)
        ):
            allowed = sorted(error.schema.get("properties", {}))
            unknown = sorted(str(k) for k in error.instance if k not in allowed)
            message = (
                f"unknown key{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))} "
                f"(allowed: {', '.join(allowed)})"
            )
        else:
            message = error.message
            if len(message) > _MAX_MESSAGE:
                message = message[: _MAX_MESSAGE - 3] + "..."
        problems.append((path, f"{label}{path or '<root>'}: {message}"))
    return [text for _, text in sorted(problems)]


def _json_path(parts: Any) -> str:
    path = ""
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path
