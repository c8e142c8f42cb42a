"""The package's surface: every public name resolves; the pydantic models load on first use."""

from __future__ import annotations

import subprocess
import sys

import floe_orchestrator_contract as contract
from floe_orchestrator_contract import _artifacts


def test_every_public_name_resolves() -> None:
    for name in contract.__all__:
        assert getattr(contract, name) is not None, name


def test_the_lazy_names_are_exactly_the_artifact_models() -> None:
    assert set(_artifacts.__all__) == contract._LAZY
    assert set(_artifacts.__all__) <= set(contract.__all__)


def test_importing_the_package_does_not_import_pydantic() -> None:
    code = "import sys, floe_orchestrator_contract; print('pydantic' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
