from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from floe_orchestrator_contract import (
    PluginIncompatibleError,
    PluginNotFoundError,
    PluginRegistry,
    PluginState,
    is_api_compatible,
)

GROUP = "floe.test_orchestrators"
CALLS: list[str] = []
HANG = threading.Event()

PLUGIN_MODULE = """
import threading
import test_registry as harness
from floe_orchestrator_contract import PluginMetadata

def make(plugin_name, api="1.0", healthy=True, hang=False):
    class Plugin(PluginMetadata):
        name = plugin_name
        version = "9.9.9"
        floe_api_version = api
        def startup(self):
            harness.CALLS.append("start " + plugin_name)
        def shutdown(self):
            harness.CALLS.append("stop " + plugin_name)
        def health_check(self):
            if hang:
                harness.HANG.wait(30)
            return healthy
    return Plugin

Alpha = make("alpha")
Beta = make("beta")
Future = make("future", api="1.7")
NextMajor = make("next_major", api="2.0")
Sick = make("sick", healthy=False)
Hangs = make("hangs", hang=True)

from floe_orchestrator_contract import HealthState, HealthStatus

class Degraded(PluginMetadata):
    name = "degraded"
    version = "1.0.0"
    floe_api_version = "1.0"
    def health_check(self, timeout=None):
        harness.CALLS.append(f"health timeout={timeout}")
        return HealthStatus(HealthState.DEGRADED, "pool low", {"pool": 2})

class Down(Degraded):
    def health_check(self, timeout=None):
        return HealthStatus(HealthState.UNHEALTHY, "webserver refused")
"""

ENTRY_POINTS = {
    "alpha": "fake_floe_plugins:Alpha",
    "beta": "fake_floe_plugins:Beta",
    "future": "fake_floe_plugins:Future",
    "next_major": "fake_floe_plugins:NextMajor",
    "sick": "fake_floe_plugins:Sick",
    "hangs": "fake_floe_plugins:Hangs",
    "degraded": "fake_floe_plugins:Degraded",
    "down": "fake_floe_plugins:Down",
}


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[PluginRegistry]:
    """A real installed distribution (a .dist-info on sys.path) declaring real entry points."""
    (tmp_path / "fake_floe_plugins.py").write_text(PLUGIN_MODULE)
    info = tmp_path / "fake_floe_plugins-1.2.3.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: fake-floe-plugins\nVersion: 1.2.3\n"
    )
    lines = "\n".join(f"{k} = {v}" for k, v in ENTRY_POINTS.items())
    (info / "entry_points.txt").write_text(f"[{GROUP}]\n{lines}\n")
    sys.path.insert(0, str(tmp_path))
    sys.modules.setdefault("test_registry", sys.modules[__name__])
    CALLS.clear()
    HANG.clear()
    try:
        yield PluginRegistry(GROUP, health_timeout=0.5)
    finally:
        HANG.set()
        sys.path.remove(str(tmp_path))
        sys.modules.pop("fake_floe_plugins", None)


def test_discovery_lists_entry_points_without_importing_them(registry: PluginRegistry) -> None:
    found = registry.discover_all()
    assert [p.name for p in found] == sorted(ENTRY_POINTS)
    alpha = found[0]
    assert (alpha.value, alpha.distribution, alpha.version) == (
        "fake_floe_plugins:Alpha",
        "fake-floe-plugins",
        "1.2.3",
    )
    assert "fake_floe_plugins" not in sys.modules
    assert registry.state("alpha") is PluginState.DISCOVERED


def test_get_loads_once_and_checks_the_api_version(registry: PluginRegistry) -> None:
    plugin = registry.get("alpha")
    assert plugin.name == "alpha"
    assert registry.get("alpha") is plugin
    assert registry.state("alpha") is PluginState.LOADED
    with pytest.raises(PluginIncompatibleError, match=r"requires floe API '1.7'.*provides '1.0'"):
        registry.get("future")
    with pytest.raises(PluginIncompatibleError, match=r"'2\.0'"):
        registry.get("next_major")


def test_unknown_plugin_error_names_the_installed_ones(registry: PluginRegistry) -> None:
    with pytest.raises(PluginNotFoundError) as caught:
        registry.get("airflow")
    message = str(caught.value)
    assert "'airflow'" in message
    assert "available: alpha, beta, degraded, down, future, hangs, next_major, sick" in message
    assert isinstance(caught.value, LookupError)


def test_nothing_installed_says_so() -> None:
    with pytest.raises(PluginNotFoundError, match="available: none installed"):
        PluginRegistry("floe.no_such_group").get("dagster")


def test_activate_and_shutdown_in_reverse_order(registry: PluginRegistry) -> None:
    registry.activate("alpha")
    registry.activate("beta")
    registry.activate("alpha")  # once only
    assert registry.state("beta") is PluginState.ACTIVE
    registry.shutdown()
    assert CALLS == ["start alpha", "start beta", "stop beta", "stop alpha"]
    assert registry.state("alpha") is PluginState.SHUT_DOWN


def test_health_checks_report_and_a_hang_is_cut_off(registry: PluginRegistry) -> None:
    assert registry.health_check("alpha").success
    sick = registry.health_check("sick")
    assert not sick.success
    assert "unhealthy" in sick.message
    hung = registry.health_check("hangs", timeout=0.2)
    assert not hung.success
    assert "timed out after 0.2s" in hung.message


def test_floes_health_status_is_read_and_the_timeout_passed_on(registry: PluginRegistry) -> None:
    degraded = registry.health_check("degraded", timeout=0.3)
    assert degraded.success
    assert degraded.message == "plugin 'degraded' is degraded: pool low"
    assert degraded.warnings == ["pool low"]
    assert CALLS == ["health timeout=0.3"]
    down = registry.health_check("down")
    assert not down.success
    assert (down.message, down.errors) == (
        "plugin 'down' is unhealthy: webserver refused",
        ["webserver refused"],
    )


@pytest.mark.parametrize(
    ("required", "ok"),
    [("1.0", True), ("1.1", False), ("0.9", False), ("2.0", False), ("x", False)],
)
def test_api_compatibility(required: str, ok: bool) -> None:
    assert is_api_compatible(required, "1.0") is ok
    assert is_api_compatible("1.0", "1.3")
