"""Placeholder demo: the contract at work until the example product lands."""

from __future__ import annotations

from floe_orchestrator_contract import CompiledArtifacts, ContractValidationError

GOOD = {
    "metadata": {
        "compiled_at": "2026-01-19T10:00:00Z",
        "floe_version": "0.3.0",
        "source_hash": "sha256:0",
        "product_name": "demo",
        "product_version": "0.1.0",
    },
    "identity": {"product_id": "demo", "domain": "demo", "repository": "local"},
    "transforms": {
        "default_compute": "duckdb",
        "models": [
            {"name": "stg_orders", "compute": "duckdb"},
            {"name": "orders", "compute": "duckdb", "depends_on": ["stg_orders"]},
        ],
    },
}


def main() -> None:
    artifacts = CompiledArtifacts.from_dict(GOOD)
    for transform in artifacts.to_transform_configs():
        print(f"{transform.name:<12} compute={transform.compute} depends_on={transform.depends_on}")
    bad = {**GOOD, "mode": "hybrid", "owner": "x"}
    try:
        CompiledArtifacts.from_dict(bad)
    except ContractValidationError as error:
        print(error)


if __name__ == "__main__":
    main()
