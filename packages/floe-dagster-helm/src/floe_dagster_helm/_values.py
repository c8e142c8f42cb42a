"""Values for the official ``dagster/dagster`` Helm chart, sized from a preset and checked."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, cast

from floe_orchestrator_contract import ContractValidationError, ResourceSpec, check_workload_size

from ._chart import SUBCHART, validate_helm_values
from ._merge import deep_merge
from ._presets import RESOURCE_PRESETS, check_resource_spec, resources_dict, scaled_spec

__all__ = ["DEFAULT_CODE_LOCATION", "ExternalPostgres", "build_helm_values"]

logger = logging.getLogger(__name__)

DEFAULT_CODE_LOCATION = "floe-data-product"
# The webserver and daemon serve the UI and schedule runs; the data work happens in the user-code
# server and the run pods, so those get the whole preset and the system components half of it.
_SYSTEM_SHARE = Fraction(1, 2)

# Service names are DNS-1035 labels; the chart names the user-code Service after the deployment.
_DNS_LABEL = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")
_DNS_LABEL_RULE = "lowercase letters, digits and '-', starting with a letter, at most 63 characters"
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_SECRET_RULE = "a Kubernetes Secret name: lowercase letters, digits, '-' and '.', at most 253"
# A DNS name, an IPv4 address, or an IPv6 address (hex digits and colons).
_HOST = re.compile(r"[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_])?|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*")
_MODULE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_IMAGE_NAME = re.compile(
    r"(?:(?P<registry>(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])"
    r"(?:\.(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9]))*(?::[0-9]+)?)/)?"
    r"(?P<path>[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*)"
)
_IMAGE_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
_IMAGE_DIGEST = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}")
_IMAGE_RULE = "repository:tag or repository:tag@sha256:<digest>, e.g. ghcr.io/acme/orders:1.2.0"


@dataclass(frozen=True)
class ExternalPostgres:
    """An existing PostgreSQL for Dagster's storage, its password kept in a Kubernetes Secret.

    ``existing_secret`` names a Secret in the release's namespace whose key
    ``postgresql-password`` holds the password (the key Dagster's chart and run pods read). There
    is deliberately no password field: values that reach a file never carry one.
    """

    host: str
    existing_secret: str
    port: int = 5432
    database: str = "dagster"
    username: str = "dagster"
    # libpq connection parameters, e.g. {"sslmode": "require"}. Kept out of repr: someone will
    # try {"password": ...} here, and reprs end up in logs (the values check then refuses it).
    params: Mapping[str, str] = field(default_factory=dict, repr=False)


def build_helm_values(
    *,
    workload_size: str = "small",
    resources: ResourceSpec | None = None,
    image: str | None = None,
    code_location_name: str = DEFAULT_CODE_LOCATION,
    definitions_module: str | None = None,
    definitions_file: str | None = None,
    attribute: str | None = None,
    working_directory: str | None = None,
    code_server: bool = False,
    port: int = 3030,
    postgresql: ExternalPostgres | None = None,
    deployment_overrides: Mapping[str, Any] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Values for the ``dagster/dagster`` chart that run one data product on Kubernetes.

    - ``workload_size`` picks the preset (``resources`` replaces it with a custom spec): the
      user-code deployment and the run pods (``K8sRunLauncher``) get all of it, the webserver and
      daemon half.
    - The code location ``code_location_name`` runs ``image`` (``repository:tag``) as
      ``dagster api grpc`` (or ``dagster code-server start`` with ``code_server=True``) on
      ``port``, loading ``definitions_module`` (``-m``) or ``definitions_file`` (``-f``), with
      ``attribute`` (``-a``) and ``working_directory`` (``-d``) when given.
    - ``postgresql`` points Dagster at an existing database whose password stays in a Secret;
      without it the chart's bundled PostgreSQL (fine for a trial, not for production) is kept.
    - ``deployment_overrides`` are deep-merged into the code location's entry of
      ``dagster-user-deployments.deployments``; ``overrides`` over the whole result. In both, lists
      replace lists and the caller's mappings are never mutated.

    The result is coalesced over the chart's defaults and validated against its schema (and the
    user-code subchart's) before it is returned. Any problem, in the arguments or the overrides,
    raises one ``ContractValidationError`` (a ``ValueError``) that lists them all; nothing
    half-built is returned.
    """
    problems: list[str] = []

    problems += check_workload_size(workload_size)
    size = workload_size if not problems else "small"
    spec = RESOURCE_PRESETS[size]
    if resources is not None:
        found = check_resource_spec(resources)
        problems += found
        if not found:
            spec = resources

    name = code_location_name
    if not isinstance(name, str) or len(name) > 63 or not _DNS_LABEL.fullmatch(name):
        problems.append(
            f"code_location_name: {name!r} is not a valid name (allowed: {_DNS_LABEL_RULE})"
        )
        name = DEFAULT_CODE_LOCATION

    image_values, image_problems = _image(image, name)
    problems += image_problems

    arguments, argument_problems = _definitions_arguments(
        definitions_module, definitions_file, attribute, working_directory
    )
    problems += argument_problems

    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        problems.append(f"port: {port!r} is not a port (allowed: an integer from 1 to 65535)")
        port = 3030

    postgres_problems = _check_postgres(postgresql)
    problems += postgres_problems

    for label, given in (("deployment_overrides", deployment_overrides), ("overrides", overrides)):
        if given is not None and not isinstance(cast("object", given), Mapping):
            problems.append(f"{label}: {type(given).__name__} given (allowed: a mapping or None)")
    if not isinstance(deployment_overrides, Mapping):
        deployment_overrides = {}
    if not isinstance(overrides, Mapping):
        overrides = {}

    system = scaled_spec(spec, _SYSTEM_SHARE)
    deployment: dict[str, Any] = {
        "name": name,
        "image": image_values,
        ("codeServerArgs" if code_server else "dagsterApiGrpcArgs"): arguments,
        "port": port,
        "includeConfigInLaunchedRuns": {"enabled": True},
        "resources": resources_dict(spec),
    }
    values: dict[str, Any] = {
        "dagsterWebserver": {"resources": resources_dict(system)},
        "dagsterDaemon": {"resources": resources_dict(system)},
        SUBCHART: {
            "enabled": True,
            "enableSubchart": True,
            "deployments": [deep_merge(deployment, deployment_overrides)],
        },
        "runLauncher": {
            "type": "K8sRunLauncher",
            "config": {"k8sRunLauncher": {"resources": resources_dict(spec)}},
        },
    }
    if postgresql is not None and not postgres_problems:
        values = deep_merge(values, _postgres_values(postgresql))
    values = deep_merge(values, overrides)

    problems += validate_helm_values(values)
    if problems:
        raise ContractValidationError("invalid Helm values for the dagster/dagster chart", problems)
    logger.debug(
        "Helm values built: size=%s, code location=%s, external PostgreSQL=%s",
        size if resources is None else "custom",
        name,
        postgresql is not None,
    )
    return values


def _image(image: object, name: str) -> tuple[dict[str, Any], list[str]]:
    """The chart's ``image`` object for ``repository:tag[@digest]``, and its problems."""
    if image is None:
        logger.warning(
            "no image given for code location %r: using %s:latest; pass image= with the data "
            "product's image",
            name,
            name,
        )
        image = f"{name}:latest"
    fallback = {"repository": name, "tag": "latest", "pullPolicy": "Always"}
    if not isinstance(image, str):
        return fallback, [f"image: {image!r} is not a string (allowed: {_IMAGE_RULE})"]
    reference, _, digest = image.partition("@")
    slash = reference.rfind("/")
    colon = reference.rfind(":")
    repository, tag = (
        (reference[:colon], reference[colon + 1 :]) if colon > slash else (reference, "")
    )
    problems = []
    if not _IMAGE_NAME.fullmatch(repository):
        problems.append(f"image: {image!r} has an invalid repository (allowed: {_IMAGE_RULE})")
    if not tag:
        # The chart would fill a missing tag with its own version, which is not the product's.
        problems.append(f"image: {image!r} has no tag (allowed: {_IMAGE_RULE})")
    elif not _IMAGE_TAG.fullmatch(tag):
        problems.append(f"image: {image!r} has an invalid tag (allowed: {_IMAGE_RULE})")
    if "@" in image and not _IMAGE_DIGEST.fullmatch(digest):
        problems.append(f"image: {image!r} has an invalid digest (allowed: {_IMAGE_RULE})")
    if problems:
        return fallback, problems
    values: dict[str, Any] = {
        "repository": repository,
        "tag": tag,
        # A moving tag must be pulled each time to pick up new builds; a pinned one need not be.
        "pullPolicy": "Always" if tag == "latest" and not digest else "IfNotPresent",
    }
    if digest:
        values["digest"] = digest
    return values, []


def _definitions_arguments(
    module: object, file: object, attribute: object, working_directory: object
) -> tuple[list[str], list[str]]:
    """``dagster api grpc`` / ``code-server start`` arguments that load the definitions."""
    problems: list[str] = []
    arguments: list[str] = []
    pointer = "definitions_module='package.module' or definitions_file='/path/definitions.py'"
    if (module is None) == (file is None):
        given = "both" if module is not None else "neither"
        problems.append(
            f"definitions: {given} of definitions_module and definitions_file given "
            f"(allowed: exactly one, e.g. {pointer})"
        )
    if module is not None:
        if isinstance(module, str) and _MODULE.fullmatch(module):
            arguments += ["-m", module]
        else:
            problems.append(
                f"definitions_module: {module!r} is not a module name "
                "(allowed: a dotted Python module path, e.g. orders.definitions)"
            )
    if file is not None:
        if isinstance(file, str) and file.strip():
            arguments += ["-f", file]
        else:
            problems.append(f"definitions_file: {file!r} is empty (allowed: a path to a .py file)")
    if attribute is not None:
        if isinstance(attribute, str) and _IDENTIFIER.fullmatch(attribute):
            arguments += ["-a", attribute]
        else:
            problems.append(
                f"attribute: {attribute!r} is not an attribute name (allowed: a Python identifier)"
            )
    if working_directory is not None:
        if isinstance(working_directory, str) and working_directory.strip():
            arguments += ["-d", working_directory]
        else:
            problems.append(
                f"working_directory: {working_directory!r} is empty (allowed: a directory path)"
            )
    return arguments, problems


def _check_postgres(postgres: object) -> list[str]:
    if postgres is None:
        return []
    if not isinstance(postgres, ExternalPostgres):
        # Never its repr: a dict given here may well carry a password.
        return [
            f"postgresql: a {type(postgres).__name__} (allowed: ExternalPostgres(host=..., "
            "existing_secret=...) with the password in that Secret, or None)"
        ]
    problems = []
    host = postgres.host
    if isinstance(host, str) and "@" in host:
        # user:password@host: a credential, so it is named but never quoted.
        problems.append(
            "postgresql.host: holds credentials (user:password@) (allowed: a DNS name or IP "
            "address alone; the user goes in username=, the password in existing_secret)"
        )
    elif not isinstance(host, str) or not _HOST.fullmatch(host):
        problems.append(
            f"postgresql.host: {host!r} is not a host name (allowed: a DNS name or IP address, "
            "without scheme, port or path)"
        )
    secret = postgres.existing_secret
    if not isinstance(secret, str) or len(secret) > 253 or not _DNS_SUBDOMAIN.fullmatch(secret):
        problems.append(
            f"postgresql.existing_secret: {secret!r} is not a Secret name (allowed: {_SECRET_RULE})"
        )
    port = postgres.port
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        problems.append(f"postgresql.port: {port!r} is not a port (allowed: 1 to 65535)")
    for label in ("database", "username"):
        value = getattr(postgres, label)
        if not isinstance(value, str) or not value:
            problems.append(f"postgresql.{label}: {value!r} is empty (allowed: a non-empty name)")
    params: object = postgres.params
    # Values are never quoted: a libpq parameter may be a password.
    if not isinstance(params, Mapping):
        problems.append(
            f"postgresql.params: a {type(params).__name__} (allowed: a mapping of libpq "
            "parameters to strings, e.g. {'sslmode': 'require'})"
        )
    else:
        bad = [
            repr(k) for k, v in params.items() if not isinstance(k, str) or not isinstance(v, str)
        ]
        if bad:
            problems.append(
                f"postgresql.params: {', '.join(bad)} not a string name with a string value "
                "(allowed: libpq parameters, e.g. {'sslmode': 'require'})"
            )
    return problems


def _postgres_values(postgres: ExternalPostgres) -> dict[str, Any]:
    return {
        "postgresql": {
            "enabled": False,
            "postgresqlHost": postgres.host,
            "postgresqlUsername": postgres.username,
            "postgresqlDatabase": postgres.database,
            # Blank the chart's default "test": the password lives only in existing_secret.
            "postgresqlPassword": "",
            "postgresqlParams": dict(postgres.params),
            "service": {"port": postgres.port},
        },
        "generatePostgresqlPasswordSecret": False,
        "global": {"postgresqlSecretName": postgres.existing_secret},
    }
