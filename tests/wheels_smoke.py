"""Run inside a venv that holds only the built wheels (`nox -s wheels`): what a user gets from
`pip install floe-orchestrator-dagster`."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import distribution
from pathlib import Path

from floe_orchestrator_contract import PluginRegistry

PACKAGES = [
    "floe-orchestrator-contract",
    "floe-dagster-assets",
    "floe-dagster-lineage",
    "floe-dagster-helm",
    "floe-dagster-schedules",
    "floe-orchestrator-dagster",
]


def main() -> None:
    for name in PACKAGES:  # each came from a wheel, not an editable checkout
        dist = distribution(name)
        direct = dist.read_text("direct_url.json") or ""
        assert '"editable": true' not in direct, f"{name} is editable"
        print(f"installed {name} {dist.version}")
    registry = PluginRegistry()
    names = [info.name for info in registry.discover_all()]
    assert "dagster" in names, names
    plugin = registry.activate("dagster")
    print(f"loaded {plugin.name} {plugin.version} (floe API {plugin.floe_api_version})")
    registry.shutdown()
    for module in ("dagster", "dagster_dbt", "dbt.adapters.duckdb", "openlineage.client"):
        __import__(module)  # the default install runs dbt on DuckDB and emits lineage
    cli = Path(sys.executable).parent / "floe-dagster"
    listing = subprocess.run([str(cli), "plugins"], capture_output=True, text=True, check=True)
    assert "floe-orchestrator-dagster" in listing.stdout, listing.stdout
    print(listing.stdout.strip())


if __name__ == "__main__":
    main()
