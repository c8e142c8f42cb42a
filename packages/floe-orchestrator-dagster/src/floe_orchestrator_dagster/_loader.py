"""``load_product_definitions``: one floe product's Dagster definitions, from its folder."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from floe_orchestrator_contract import ContractValidationError

if TYPE_CHECKING:
    from dagster import Definitions

__all__ = ["ARTIFACTS_FILE", "load_product_definitions"]

ARTIFACTS_FILE = "compiled_artifacts.json"


def load_product_definitions(product_name: str, project_dir: str | os.PathLike[str]) -> Definitions:
    """The Definitions of ``product_name``, compiled into ``project_dir/compiled_artifacts.json``.

    The dbt project is ``project_dir`` when it holds ``dbt_project.yml``, else its parent (floe
    writes to the project's ``target/`` by default). The artifacts must be ``product_name``'s:
    a ``definitions.py`` that names another product is stale and is refused. Everything else
    is :meth:`DagsterOrchestratorPlugin.create_definitions`, with its environment fall-backs
    (``DAGSTER_URL``, ``OPENLINEAGE_URL``, ...).
    """
    from floe_orchestrator_contract import CompiledArtifacts

    from ._plugin import DagsterOrchestratorPlugin

    folder = Path(project_dir).resolve()
    path = folder / ARTIFACTS_FILE
    if not path.is_file():
        raise ContractValidationError(
            "cannot load the product",
            [
                f"{path}: not found (allowed: the {ARTIFACTS_FILE} `floe platform compile` "
                "writes beside definitions.py)"
            ],
        )
    artifacts = CompiledArtifacts.from_file(path)
    compiled_for = artifacts.metadata.product_name
    if compiled_for != product_name:
        raise ContractValidationError(
            "cannot load the product",
            [
                f"product_name: {product_name!r} is not the product compiled in {path} "
                f"({compiled_for!r}); regenerate definitions.py with `floe platform compile "
                "--generate-definitions` (allowed: the artifacts' metadata.product_name)"
            ],
        )
    plugin = DagsterOrchestratorPlugin(dbt_project_dir=_dbt_project(folder))
    return plugin.create_definitions(artifacts)


def _dbt_project(folder: Path) -> Path:
    if (folder / "dbt_project.yml").is_file():
        return folder
    if (folder.parent / "dbt_project.yml").is_file():
        return folder.parent
    return folder  # create_definitions names what is missing
