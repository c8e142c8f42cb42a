"""Run inside a venv that has only the built wheels: load the plugin by its entry point."""

from __future__ import annotations

from floe_orchestrator_contract import PluginRegistry


def main() -> None:
    registry = PluginRegistry()
    names = [info.name for info in registry.discover_all()]
    print("discovered:", names)
    assert "dagster" in names, names
    plugin = registry.get("dagster")
    print(f"loaded {plugin.name} {plugin.version} (floe API {plugin.floe_api_version})")


if __name__ == "__main__":
    main()
