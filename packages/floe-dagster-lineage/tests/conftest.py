from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# The helpers beside this file (_receiver, _project, _helpers) import as top-level modules, also
# under --import-mode=importlib and when run from another directory.
sys.path.insert(0, str(Path(__file__).parent))

from _helpers import SpecValidator, reference_dir
from _receiver import Receiver


@pytest.fixture(scope="session")
def spec() -> SpecValidator:
    spec_dir = reference_dir() / "openlineage-spec"
    assert spec_dir.is_dir(), f"OpenLineage spec not found at {spec_dir} (set FLOE_REFERENCE_DIR)"
    return SpecValidator(spec_dir)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running


@pytest.fixture
def lineage_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Every record at DEBUG and above, from every logger."""
    caplog.set_level(logging.DEBUG)
    return caplog
