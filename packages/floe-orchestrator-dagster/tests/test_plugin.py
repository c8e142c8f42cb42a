"""The plugin as floe sees it: metadata, configuration, discovery by entry point."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from floe_orchestrator_contract import OrchestratorPlugin, PluginRegistry
from floe_orchestrator_dagster import DEFAULT_DAGSTER_URL, DagsterOrchestratorPlugin, __version__


def test_metadata() -> None:
    plugin = DagsterOrchestratorPlugin()
    assert isinstance(plugin, OrchestratorPlugin)
    assert (plugin.name, plugin.version, plugin.floe_api_version) == ("dagster", __version__, "1.0")
    assert plugin.description == "Dagster orchestrator for floe pipelines"


def test_found_by_entry_point_and_loaded_by_the_registry() -> None:
    registry = PluginRegistry()
    found = {info.name: info for info in registry.discover_all()}
    assert found["dagster"].value == "floe_orchestrator_dagster:DagsterOrchestratorPlugin"
    assert found["dagster"].distribution == "floe-orchestrator-dagster"
    assert found["dagster"].version == __version__
    plugin = registry.activate("dagster")
    assert isinstance(plugin, DagsterOrchestratorPlugin)
    registry.shutdown()


def test_discovery_and_instantiation_import_no_heavy_package() -> None:
    code = (
        "import sys\n"
        "from floe_orchestrator_contract import PluginRegistry\n"
        "plugin = PluginRegistry().get('dagster')\n"
        "assert plugin.name == 'dagster'\n"
        "print(sorted(m for m in ('dagster', 'dagster_dbt', 'openlineage', 'dbt', 'pydantic')"
        " if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_loading_through_the_entry_point_imports_only_the_plugins_own_modules() -> None:
    # floe scans the entry points itself; what loading and instantiating the plugin adds to
    # that must stay this small (benchmarks/bench_discovery.py: within 10 ms). dataclasses,
    # logging or pydantic would each take most of that budget.
    code = (
        "import sys\n"
        "from importlib.metadata import entry_points\n"
        "ep = next(e for e in entry_points(group='floe.orchestrators') if e.name == 'dagster')\n"
        "before = set(sys.modules)\n"
        "plugin = ep.load()()\n"
        "assert plugin.name == 'dagster' and plugin.version\n"
        "print(sorted(set(sys.modules) - before))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    added = ast.literal_eval(out.stdout.strip())
    assert [m for m in added if not m.startswith("floe_") and m != "__future__"] == []
    assert "floe_orchestrator_dagster._plugin" in added


def test_keywords_win_over_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DAGSTER_URL", "http://env:3000/")
    monkeypatch.setenv("FLOE_DBT_PROJECT_DIR", str(tmp_path / "env"))
    monkeypatch.setenv("FLOE_DAGSTER_VERIFY_TLS", "false")
    from_env = DagsterOrchestratorPlugin().settings
    assert from_env.dagster_url == "http://env:3000"
    assert from_env.dbt_project_dir == tmp_path / "env"
    assert from_env.verify_tls is False
    explicit = DagsterOrchestratorPlugin(
        dagster_url="http://kw:3000", dbt_project_dir=tmp_path / "kw", verify_tls="/ca.pem"
    ).settings
    assert explicit.dagster_url == "http://kw:3000"
    assert explicit.dbt_project_dir == tmp_path / "kw"
    assert explicit.verify_tls == "/ca.pem"


def test_defaults_without_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in (
        "DAGSTER_URL",
        "FLOE_DBT_PROJECT_DIR",
        "FLOE_DAGSTER_VERIFY_TLS",
        "DBT_PROFILES_DIR",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    settings = DagsterOrchestratorPlugin().settings
    assert settings.dagster_url == DEFAULT_DAGSTER_URL == "http://localhost:3000"
    assert settings.dbt_project_dir is None
    assert settings.verify_tls is True
    (tmp_path / "dbt_project.yml").write_text("name: x\n")
    assert DagsterOrchestratorPlugin().settings.dbt_project_dir == tmp_path


def test_secrets_never_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLOE_DAGSTER_TOKEN", "tok-from-env")
    plugin = DagsterOrchestratorPlugin(dagster_headers={"X-Api-Key": "hdr-secret"})
    text = repr(plugin)
    assert "tok-from-env" not in text
    assert "hdr-secret" not in text
    assert "X-Api-Key" in text
    assert plugin.settings.request_headers() == {
        "X-Api-Key": "hdr-secret",
        "Authorization": "Bearer tok-from-env",
    }
