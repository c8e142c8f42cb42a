from __future__ import annotations

import copy
from typing import Any

import pytest

VALID: dict[str, Any] = {
    "version": "0.2.0",
    "metadata": {
        "compiled_at": "2026-01-19T10:00:00Z",
        "floe_version": "0.3.0",
        "source_hash": "sha256:abc",
        "product_name": "orders",
        "product_version": "1.2.0",
    },
    "identity": {"product_id": "sales.orders", "domain": "sales", "repository": "git@x:y.git"},
    "mode": "simple",
    "transforms": {
        "default_compute": "duckdb",
        "models": [
            {"name": "stg_orders", "compute": "duckdb", "tags": ["staging"]},
            {"name": "orders", "compute": "duckdb_large", "depends_on": ["stg_orders"]},
        ],
    },
    "dbt_profiles": None,
    "observability": {
        "lineage": True,
        "lineage_namespace": "sales",
        "lineage_transport": "console",
    },
}


@pytest.fixture
def artifacts_dict() -> dict[str, Any]:
    return copy.deepcopy(VALID)
