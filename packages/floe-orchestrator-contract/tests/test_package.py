"""The package's surface: every public name resolves; all but the plugin ABCs load on first use."""

from __future__ import annotations

import importlib
import subprocess
import sys

import floe_orchestrator_contract as contract


def test_every_public_name_resolves() -> None:
    for name in contract.__all__:
        assert getattr(contract, name) is not None, name


def test_each_lazily_imported_name_comes_from_the_module_defining_it() -> None:
    for name, module in contract._LAZY.items():
        defining = importlib.import_module(f"floe_orchestrator_contract.{module}")
        assert name in defining.__all__, (name, module)
        assert getattr(contract, name) is getattr(defining, name)
    eager = {"OrchestratorPlugin", "PluginMetadata", "__version__"}
    assert set(contract._LAZY) | eager == set(contract.__all__)


def test_importing_the_package_imports_nothing_but_the_plugin_abcs() -> None:
    # What plugin discovery must not pay for: pydantic (the artifacts), dataclasses and logging.
    heavy = ("pydantic", "dataclasses", "inspect", "logging")
    code = f"import sys{{}}; print(sorted(m for m in {heavy!r} if m in sys.modules))"
    before = _run(code.format(""))
    after = _run(code.format(", floe_orchestrator_contract"))
    assert after == before  # whatever the interpreter itself had loaded, nothing more


def _run(code: str) -> str:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return out.stdout.strip()
