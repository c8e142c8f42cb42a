"""Plugin discovery and lifecycle, as the seed's state diagram.

``[Not Discovered] -> discover_all() -> [Discovered] -> get() -> [Loaded] -> activate() -> [Active]
-> shutdown() -> [Shut down]``. Discovery reads entry-point metadata only and never imports a
plugin, so listing plugins stays fast however heavy they are.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from enum import Enum
from importlib.metadata import EntryPoint, entry_points

from ._entities import ValidationResult
from ._errors import FloeError
from ._plugin import PluginMetadata
from ._plugin_values import HealthState, HealthStatus

__all__ = [
    "FLOE_API_VERSION",
    "ORCHESTRATOR_GROUP",
    "PluginError",
    "PluginIncompatibleError",
    "PluginInfo",
    "PluginNotFoundError",
    "PluginRegistry",
    "PluginState",
    "is_api_compatible",
]

logger = logging.getLogger(__name__)

FLOE_API_VERSION = "1.0"
ORCHESTRATOR_GROUP = "floe.orchestrators"


class PluginError(FloeError):
    """A plugin could not be found, loaded, started or stopped (a :class:`FloeError`)."""


class PluginNotFoundError(PluginError, LookupError):
    """No plugin of that name is installed."""


class PluginIncompatibleError(PluginError):
    """The plugin was written against a floe API this platform does not provide."""


class PluginState(str, Enum):
    DISCOVERED = "discovered"
    LOADED = "loaded"
    ACTIVE = "active"
    SHUT_DOWN = "shut_down"


@dataclass(frozen=True)
class PluginInfo:
    """What discovery knows of a plugin without importing it."""

    name: str
    value: str
    distribution: str | None
    version: str | None


def is_api_compatible(required: str, platform: str = FLOE_API_VERSION) -> bool:
    """Same major version, and the plugin's minor not newer than the platform's."""
    try:
        req_major, req_minor = (int(p) for p in required.split("."))
        have_major, have_minor = (int(p) for p in platform.split("."))
    except ValueError:
        return False
    return req_major == have_major and req_minor <= have_minor


class PluginRegistry:
    """Finds, loads, activates and shuts down the plugins of one entry-point group."""

    def __init__(
        self,
        group: str = ORCHESTRATOR_GROUP,
        *,
        platform_api_version: str = FLOE_API_VERSION,
        health_timeout: float = 5.0,
    ) -> None:
        self.group = group
        self.platform_api_version = platform_api_version
        self.health_timeout = health_timeout
        self._entry_points: dict[str, EntryPoint] | None = None
        self._loaded: dict[str, PluginMetadata] = {}
        self._states: dict[str, PluginState] = {}
        self._active: list[str] = []
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"PluginRegistry(group={self.group!r}, active={self._active!r})"

    # -- discovery -------------------------------------------------------------------------
    def discover_all(self) -> list[PluginInfo]:
        """Every plugin of the group, sorted by name, from metadata only."""
        found = {ep.name: ep for ep in entry_points(group=self.group)}
        self._entry_points = found
        for name in found:
            self._states.setdefault(name, PluginState.DISCOVERED)
        return [_info(found[name]) for name in sorted(found)]

    def state(self, name: str) -> PluginState | None:
        return self._states.get(name)

    # -- loading ---------------------------------------------------------------------------
    def get(self, name: str) -> PluginMetadata:
        """Load and instantiate plugin ``name`` (once), checking its floe API version."""
        with self._lock:
            if name in self._loaded:
                return self._loaded[name]
            if self._entry_points is None or name not in self._entry_points:
                self.discover_all()
            assert self._entry_points is not None
            entry = self._entry_points.get(name)
            if entry is None:
                available = ", ".join(sorted(self._entry_points)) or "none installed"
                raise PluginNotFoundError(
                    f"no {self.group} plugin named {name!r} (available: {available})"
                )
            try:
                target = entry.load()
                plugin = target() if isinstance(target, type) else target
            except Exception as error:
                raise PluginError(
                    f"plugin {name!r} ({entry.value}) failed to load: "
                    f"{type(error).__name__}: {error}"
                ) from error
            if not isinstance(plugin, PluginMetadata):
                raise PluginError(
                    f"plugin {name!r} ({entry.value}) is a {type(plugin).__name__}, "
                    "not a PluginMetadata"
                )
            required = plugin.floe_api_version
            if not is_api_compatible(required, self.platform_api_version):
                major = self.platform_api_version.split(".")[0]
                raise PluginIncompatibleError(
                    f"plugin {name!r} {plugin.version} requires floe API {required!r}; this "
                    f"platform provides {self.platform_api_version!r} (allowed: {major}.x up to "
                    f"{self.platform_api_version})"
                )
            self._loaded[name] = plugin
            self._states[name] = PluginState.LOADED
            return plugin

    # -- lifecycle -------------------------------------------------------------------------
    def activate(self, name: str) -> PluginMetadata:
        """Load ``name`` if needed and run its ``startup()`` once."""
        plugin = self.get(name)
        with self._lock:
            if self._states.get(name) is PluginState.ACTIVE:
                return plugin
            try:
                plugin.startup()
            except Exception as error:
                raise PluginError(f"plugin {name!r} failed to start: {error}") from error
            self._states[name] = PluginState.ACTIVE
            self._active.append(name)
        logger.debug("activated plugin %s", name)
        return plugin

    def health_check(self, name: str, timeout: float | None = None) -> ValidationResult:
        """Run the plugin's ``health_check``; a hang is cut off after ``timeout`` seconds.

        floe's ``HealthStatus`` and the seed's bool are both read: healthy and degraded succeed
        (degraded with a warning), unhealthy fails with the plugin's message.
        """
        plugin = self.get(name)
        limit = self.health_timeout if timeout is None else timeout
        outcome: list[HealthStatus | BaseException] = []

        def run() -> None:
            try:
                outcome.append(_health_status(plugin, limit))
            except BaseException as error:  # reported below, never raised in the thread
                outcome.append(error)

        worker = threading.Thread(target=run, name=f"floe-health-{name}", daemon=True)
        worker.start()
        worker.join(limit)
        if not outcome:
            return ValidationResult(
                success=False,
                message=f"plugin {name!r}: health check timed out after {limit:g}s",
                errors=["timeout"],
            )
        result = outcome[0]
        if isinstance(result, BaseException):
            return ValidationResult(
                success=False,
                message=f"plugin {name!r}: health check raised {type(result).__name__}",
                errors=[str(result)],
            )
        said = f": {result.message}" if result.message else ""
        return ValidationResult(
            success=bool(result),
            message=f"plugin {name!r} is {result.state.value}{said}",
            errors=[result.message] if not result and result.message else [],
            warnings=[result.message]
            if result.state is HealthState.DEGRADED and result.message
            else [],
        )

    def shutdown(self) -> None:
        """Shut active plugins down in reverse activation order; every one is attempted."""
        with self._lock:
            order = list(reversed(self._active))
            self._active.clear()
        failures = []
        for name in order:
            try:
                self._loaded[name].shutdown()
            except Exception as error:
                failures.append(f"{name}: {type(error).__name__}: {error}")
                logger.warning("plugin %s failed to shut down: %s", name, error)
            self._states[name] = PluginState.SHUT_DOWN
        if failures:
            raise PluginError("some plugins failed to shut down: " + "; ".join(failures))


def _info(entry: EntryPoint) -> PluginInfo:
    dist = getattr(entry, "dist", None)
    return PluginInfo(
        name=entry.name,
        value=entry.value,
        distribution=dist.metadata["Name"] if dist is not None else None,
        version=dist.version if dist is not None else None,
    )


def _health_status(plugin: PluginMetadata, timeout: float) -> HealthStatus:
    """The plugin's health as floe's ``HealthStatus``, whichever shape the plugin answers in."""
    import inspect

    check = plugin.health_check
    try:
        takes_timeout = "timeout" in inspect.signature(check).parameters
    except (TypeError, ValueError):
        takes_timeout = False
    result: object = check(timeout=timeout) if takes_timeout else check()
    if isinstance(result, HealthStatus):
        return result
    return HealthStatus(HealthState.HEALTHY if result else HealthState.UNHEALTHY)
