"""Every Python example of every README runs as written.

Each ```python block is run by a fresh interpreter from a workspace laid out like this repository
(a private copy of ``examples/greenhouse`` under ``examples/``), so its relative paths mean what
they mean to a reader at the repository's root. The blocks share the workspace, in order, as a
reader would run them one after the other (and dbt parses the example once). No network:
examples send lineage to files.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import EXAMPLE, ROOT

READMES = sorted(
    [ROOT / "README.md", *ROOT.glob("packages/*/README.md"), *ROOT.glob("examples/*/README.md")]
)
_BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)
_IGNORED = shutil.ignore_patterns("target", "logs", "dbt_packages", "*.duckdb*", "__pycache__")


def _blocks() -> list[tuple[Path, int, str]]:
    found = []
    for readme in READMES:
        text = readme.read_text()
        for match in _BLOCK.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            found.append((readme, line, match.group(1)))
    return found


BLOCKS = _blocks()


def test_the_readmes_have_python_examples() -> None:
    # The extractor must find what a reader sees; a README losing its examples is noticed here.
    readmes = {readme.parent.name for readme, _, _ in BLOCKS}
    assert len(BLOCKS) >= 8
    assert {
        ROOT.name,
        "floe-orchestrator-contract",
        "floe-dagster-assets",
        "floe-dagster-lineage",
        "floe-dagster-helm",
        "floe-dagster-schedules",
        "floe-orchestrator-dagster",
    } <= readmes


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("readmes")
    shutil.copytree(EXAMPLE, root / "examples" / EXAMPLE.name, ignore=_IGNORED)
    return root


@pytest.mark.parametrize(
    ("readme", "line", "code"),
    BLOCKS,
    ids=[f"{r.relative_to(ROOT).as_posix()}:{line}" for r, line, _ in BLOCKS],
)
def test_the_example_runs(readme: Path, line: int, code: str, workspace: Path) -> None:
    script = workspace / f"example_{readme.parent.name}_{line}.py"
    script.write_text(code)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DAGSTER_", "FLOE_", "OPENLINEAGE_", "DBT_"))
    }
    completed = subprocess.run(
        [sys.executable, str(script)],
        cwd=workspace,
        env={**env, "PYTHONWARNINGS": "error::DeprecationWarning:__main__"},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    where = f"{readme.relative_to(ROOT)}, the block at line {line}"
    assert completed.returncode == 0, f"{where} failed:\n{completed.stderr[-3000:]}"
