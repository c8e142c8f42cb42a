"""The greenhouse data product as a Dagster code location.

    cd examples/greenhouse && dagster dev -f definitions.py

shows the same assets, checks and schedules the demo materializes. Lineage follows the artifacts'
``observability`` block, or your OpenLineage settings (OPENLINEAGE_URL, openlineage.yml), for
every run of the dbt assets however it is launched; the ``dagster.yaml`` beside this file adds
the instance-level handler for any other assets.
"""

from __future__ import annotations

from pathlib import Path

from floe_orchestrator_dagster import DagsterOrchestratorPlugin

HERE = Path(__file__).resolve().parent

plugin = DagsterOrchestratorPlugin(dbt_project_dir=HERE)
# A schedule made through the seed's API, beside the one the artifacts carry.
plugin.schedule_job("greenhouse_hourly_refresh", "15 * * * *", "Europe/London")
defs = plugin.create_definitions(HERE / "compiled_artifacts.json")
