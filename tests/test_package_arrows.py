"""DESIGN.md's arrows: the five lower packages never import each other; only the facade composes."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGES = Path(__file__).parent.parent / "packages"
LOWER = [
    "floe_dagster_assets",
    "floe_dagster_lineage",
    "floe_dagster_helm",
    "floe_dagster_schedules",
]
ALLOWED = {
    "floe_orchestrator_contract": set(),
    **{name: {"floe_orchestrator_contract"} for name in LOWER},
    "floe_orchestrator_dagster": {"floe_orchestrator_contract", *LOWER},
}


def _floe_imports(source_dir: Path) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in source_dir.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                if top.startswith("floe_"):
                    found.setdefault(top, set()).add(str(path.relative_to(PACKAGES)))
    return found


@pytest.mark.parametrize("module", sorted(ALLOWED))
def test_imports_point_down_only(module: str) -> None:
    source = PACKAGES / module.replace("_", "-") / "src" / module
    assert source.is_dir()
    imports = _floe_imports(source)
    imports.pop(module, None)
    forbidden = {k: sorted(v) for k, v in imports.items() if k not in ALLOWED[module]}
    assert forbidden == {}, f"{module} imports siblings it must not: {forbidden}"
