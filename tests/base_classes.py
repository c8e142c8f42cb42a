"""floe's plugin conformance tests, as floe-core's ``testing/base_classes`` write them.

The four base classes below keep floe's test names and assertions (plugin_metadata_tests,
plugin_lifecycle_tests, plugin_discovery_tests, base_health_check_tests); only the imports
differ: ``HealthState``/``HealthStatus`` come from floe-orchestrator-contract, which mirrors
``floe_core.plugin_metadata``, because floe-core itself is not installed here. A plugin passes
them the way floe's own plugins do: by subclassing and providing the fixtures.
"""

from __future__ import annotations

import re
import time
from abc import ABC, abstractmethod
from datetime import datetime, timezone
from importlib.metadata import entry_points
from typing import Any, ClassVar

import pytest

from floe_orchestrator_contract import HealthState, HealthStatus


def _matching(group: str, name: str) -> list[Any]:
    return [ep for ep in entry_points(group=group) if ep.name == name]


class BasePluginMetadataTests(ABC):
    """floe's BasePluginMetadataTests (FR-004, CR-001, CR-003, FR-006)."""

    plugin_class: ClassVar[type[Any]]
    expected_name: ClassVar[str]
    expected_entry_point_group: ClassVar[str]
    expected_floe_api_version: ClassVar[str] = "1.0"
    SEMVER_PATTERN: ClassVar[str] = r"^\d+\.\d+\.\d+(-[a-zA-Z0-9.]+)?$"

    @pytest.fixture
    @abstractmethod
    def plugin_instance(self) -> Any: ...

    def test_plugin_has_name_property(self, plugin_instance: Any) -> None:
        assert isinstance(plugin_instance.name, str)
        assert len(plugin_instance.name) > 0

    def test_plugin_name_matches_expected(self, plugin_instance: Any) -> None:
        assert plugin_instance.name == self.expected_name

    def test_plugin_has_version_property(self, plugin_instance: Any) -> None:
        assert isinstance(plugin_instance.version, str)
        assert len(plugin_instance.version) > 0

    def test_plugin_version_is_semver(self, plugin_instance: Any) -> None:
        assert re.match(self.SEMVER_PATTERN, plugin_instance.version)

    def test_plugin_has_floe_api_version(self, plugin_instance: Any) -> None:
        assert isinstance(plugin_instance.floe_api_version, str)
        assert len(plugin_instance.floe_api_version) > 0

    def test_floe_api_version_matches_expected(self, plugin_instance: Any) -> None:
        assert plugin_instance.floe_api_version == self.expected_floe_api_version

    def test_plugin_has_description(self, plugin_instance: Any) -> None:
        assert isinstance(plugin_instance.description, str)

    def test_plugin_description_not_empty(self, plugin_instance: Any) -> None:
        assert len(plugin_instance.description) > 0

    def test_plugin_has_get_config_schema(self, plugin_instance: Any) -> None:
        assert callable(plugin_instance.get_config_schema)

    def test_config_schema_returns_type(self, plugin_instance: Any) -> None:
        schema = plugin_instance.get_config_schema()
        assert schema is not None
        assert isinstance(schema, type)

    def test_plugin_entry_point_registered(self) -> None:
        names = [ep.name for ep in entry_points(group=self.expected_entry_point_group)]
        assert self.expected_name in names

    def test_plugin_loadable_via_entry_point(self) -> None:
        matching = _matching(self.expected_entry_point_group, self.expected_name)
        assert len(matching) == 1
        assert matching[0].load() is self.plugin_class

    def test_plugin_has_startup_method(self, plugin_instance: Any) -> None:
        assert callable(plugin_instance.startup)

    def test_plugin_has_shutdown_method(self, plugin_instance: Any) -> None:
        assert callable(plugin_instance.shutdown)


class BasePluginLifecycleTests(ABC):
    """floe's BasePluginLifecycleTests (FR-006, FR-023, CR-002)."""

    @pytest.fixture
    @abstractmethod
    def plugin_instance(self) -> Any: ...

    def test_plugin_has_startup_method(self, plugin_instance: Any) -> None:
        assert callable(plugin_instance.startup)

    def test_startup_can_be_called(self, plugin_instance: Any) -> None:
        plugin_instance.startup()

    def test_plugin_has_shutdown_method(self, plugin_instance: Any) -> None:
        assert callable(plugin_instance.shutdown)

    def test_shutdown_can_be_called_without_startup(self, plugin_instance: Any) -> None:
        plugin_instance.shutdown()

    def test_shutdown_can_be_called_multiple_times(self, plugin_instance: Any) -> None:
        plugin_instance.shutdown()
        plugin_instance.shutdown()

    def test_plugin_has_health_check_method(self, plugin_instance: Any) -> None:
        assert callable(plugin_instance.health_check)

    def test_health_check_returns_health_status(self, plugin_instance: Any) -> None:
        assert isinstance(plugin_instance.health_check(), HealthStatus)

    def test_health_check_unhealthy_before_startup(self, plugin_instance: Any) -> None:
        status = plugin_instance.health_check()
        assert status.state in (HealthState.UNHEALTHY, HealthState.HEALTHY)

    def test_startup_then_shutdown_sequence(self, plugin_instance: Any) -> None:
        plugin_instance.startup()
        plugin_instance.shutdown()

    def test_can_restart_after_shutdown(self, plugin_instance: Any) -> None:
        plugin_instance.startup()
        plugin_instance.shutdown()
        plugin_instance.startup()
        plugin_instance.shutdown()


class BasePluginDiscoveryTests(ABC):
    """floe's BasePluginDiscoveryTests (FR-004, FR-006, FR-024)."""

    entry_point_group: ClassVar[str]
    expected_name: ClassVar[str]
    expected_module_prefix: ClassVar[str]
    expected_class_name: ClassVar[str]
    expected_plugin_abc: ClassVar[type[Any] | None] = None

    def create_plugin_instance(self, plugin_class: type[Any]) -> Any:
        return plugin_class()

    def _loaded(self) -> Any:
        matching = _matching(self.entry_point_group, self.expected_name)
        assert len(matching) == 1
        return matching[0].load()

    def test_entry_point_is_registered(self) -> None:
        names = [ep.name for ep in entry_points(group=self.entry_point_group)]
        assert self.expected_name in names

    def test_exactly_one_entry_point(self) -> None:
        assert len(_matching(self.entry_point_group, self.expected_name)) == 1

    def test_entry_point_module_path(self) -> None:
        (ep,) = _matching(self.entry_point_group, self.expected_name)
        assert self.expected_module_prefix in ep.value
        assert self.expected_class_name in ep.value

    def test_plugin_loads_successfully(self) -> None:
        plugin_class = self._loaded()
        assert plugin_class.__name__ == self.expected_class_name

    def test_plugin_can_be_instantiated(self) -> None:
        assert self.create_plugin_instance(self._loaded()) is not None

    def test_instantiated_plugin_has_correct_name(self) -> None:
        assert self.create_plugin_instance(self._loaded()).name == self.expected_name

    def test_plugin_has_required_metadata_attributes(self) -> None:
        plugin = self.create_plugin_instance(self._loaded())
        for attribute in ("name", "version", "floe_api_version", "description"):
            assert hasattr(plugin, attribute)
        assert hasattr(plugin, "get_config_schema")

    def test_plugin_metadata_values_not_none(self) -> None:
        plugin = self.create_plugin_instance(self._loaded())
        assert plugin.name is not None
        assert plugin.version is not None
        assert plugin.floe_api_version is not None
        assert plugin.description is not None

    def test_plugin_inherits_from_expected_abc(self) -> None:
        assert self.expected_plugin_abc is not None
        assert issubclass(self._loaded(), self.expected_plugin_abc)

    def test_plugin_instance_is_abc_instance(self) -> None:
        assert self.expected_plugin_abc is not None
        plugin = self.create_plugin_instance(self._loaded())
        assert isinstance(plugin, self.expected_plugin_abc)

    def test_plugin_has_lifecycle_methods(self) -> None:
        plugin = self.create_plugin_instance(self._loaded())
        assert callable(plugin.startup)
        assert callable(plugin.shutdown)
        assert callable(plugin.health_check)


class BaseHealthCheckTests(ABC):
    """floe's BaseHealthCheckTests (CR-002, FR-028, SC-007)."""

    @pytest.fixture
    @abstractmethod
    def unconnected_plugin(self) -> Any: ...

    @pytest.fixture
    @abstractmethod
    def connected_plugin(self) -> Any: ...

    def test_health_check_exists(self, unconnected_plugin: Any) -> None:
        assert callable(unconnected_plugin.health_check)

    def test_health_check_returns_health_status(self, connected_plugin: Any) -> None:
        result = connected_plugin.health_check()
        assert isinstance(result, HealthStatus)
        assert hasattr(result, "state")
        assert hasattr(result, "message")

    def test_health_check_reports_healthy_when_connected(self, connected_plugin: Any) -> None:
        assert connected_plugin.health_check().state == HealthState.HEALTHY

    def test_health_check_reports_unhealthy_when_not_connected(
        self, unconnected_plugin: Any
    ) -> None:
        assert unconnected_plugin.health_check().state == HealthState.UNHEALTHY

    def test_health_check_includes_response_time(self, connected_plugin: Any) -> None:
        result = connected_plugin.health_check()
        assert "response_time_ms" in result.details
        assert isinstance(result.details["response_time_ms"], int | float)
        assert result.details["response_time_ms"] >= 0

    def test_health_check_completes_within_one_second(self, connected_plugin: Any) -> None:
        start = time.perf_counter()
        result = connected_plugin.health_check()
        elapsed = time.perf_counter() - start
        if result.state == HealthState.HEALTHY:
            assert elapsed < 1.0, f"Health check took {elapsed:.2f}s (should be < 1s)"

    def test_health_check_includes_checked_at_timestamp(self, connected_plugin: Any) -> None:
        before = datetime.now(timezone.utc)
        result = connected_plugin.health_check()
        after = datetime.now(timezone.utc)
        checked_at = result.details["checked_at"]
        if isinstance(checked_at, str):
            checked_at = datetime.fromisoformat(checked_at.replace("Z", "+00:00"))
        assert before <= checked_at <= after

    def test_health_check_accepts_timeout_parameter(self, connected_plugin: Any) -> None:
        assert isinstance(connected_plugin.health_check(timeout=2.0), HealthStatus)

    def test_health_check_rejects_invalid_timeout_low(self, unconnected_plugin: Any) -> None:
        with pytest.raises(ValueError, match=r"timeout"):
            unconnected_plugin.health_check(timeout=0.05)

    def test_health_check_rejects_invalid_timeout_high(self, unconnected_plugin: Any) -> None:
        with pytest.raises(ValueError, match=r"timeout"):
            unconnected_plugin.health_check(timeout=15.0)

    def test_health_check_accepts_boundary_timeout_min(self, connected_plugin: Any) -> None:
        assert isinstance(connected_plugin.health_check(timeout=0.1), HealthStatus)

    def test_health_check_accepts_boundary_timeout_max(self, connected_plugin: Any) -> None:
        assert isinstance(connected_plugin.health_check(timeout=10.0), HealthStatus)

    def test_health_check_does_not_raise_when_unhealthy(self, unconnected_plugin: Any) -> None:
        assert isinstance(unconnected_plugin.health_check(), HealthStatus)

    def test_health_check_includes_message(self, connected_plugin: Any) -> None:
        result = connected_plugin.health_check()
        assert isinstance(result.message, str)
        assert len(result.message) > 0
