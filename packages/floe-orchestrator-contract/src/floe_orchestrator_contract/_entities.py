"""The seed's floe-core dataclasses, field for field.

Each mutable default is a ``field(default_factory=...)`` so no two instances share a list or dict.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Dataset", "ResourceSpec", "TransformConfig", "ValidationResult"]


@dataclass
class TransformConfig:
    """Configuration for one dbt transform (model)."""

    name: str
    path: str = ""
    schema_name: str = ""
    materialization: str = "table"
    tags: list[str] = field(default_factory=list)
    depends_on: list[str] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
    compute: str | None = None


@dataclass
class ValidationResult:
    """Outcome of a check such as ``validate_connection``."""

    success: bool
    message: str = ""
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class Dataset:
    """An OpenLineage dataset: ``namespace`` + ``name`` identify it, ``facets`` describe it."""

    namespace: str
    name: str
    facets: dict[str, Any] = field(default_factory=dict)


@dataclass
class ResourceSpec:
    """Kubernetes container resources (requests and limits)."""

    cpu_request: str = "100m"
    cpu_limit: str = "500m"
    memory_request: str = "256Mi"
    memory_limit: str = "512Mi"
