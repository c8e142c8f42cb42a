"""A Dagster project that knows nothing of lineage: no logger, no ``with_openlineage``.

Runs of it get lineage only from the instance's ``OpenLineageHandler``, with its own settings.
"""

from __future__ import annotations

import _project
import dagster as dg

defs = dg.Definitions(assets=[_project.raw_orders, _project.stg_orders])
