"""A code location that declares its lineage (``with_openlineage``, settings from the
environment of each process), executing steps in the run worker to keep launched runs quick.
``pair`` can run any subset of its two assets, as a dbt project's multi-asset does."""

from __future__ import annotations

from typing import Any

import _project
import dagster as dg

from floe_dagster_lineage import with_openlineage


@dg.multi_asset(specs=[dg.AssetSpec("left"), dg.AssetSpec("right")], can_subset=True)
def pair(context) -> Any:  # type: ignore[no-untyped-def]  # dagster reads the bare parameter
    for key in sorted(context.selected_asset_keys, key=lambda k: k.path):
        yield dg.MaterializeResult(asset_key=key)


defs = with_openlineage(
    dg.Definitions(
        assets=[_project.raw_orders, _project.stg_orders, _project.marts, pair],
        executor=dg.in_process_executor,
    )
)
