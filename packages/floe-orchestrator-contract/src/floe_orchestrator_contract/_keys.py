"""Names every package agrees on: Dagster metadata keys and run tags, each with one meaning.

The assets package writes them, the lineage package, the facade and the CLI read them; defined
here so that no package reads a string another package happens to write.
"""

from __future__ import annotations

__all__ = [
    "COMPUTE_KEY",
    "DBT_EXECUTION_TIME_KEY",
    "DBT_FULL_REFRESH_TAG",
    "DBT_STATUS_KEY",
    "DBT_TARGET_KEY",
    "DBT_UNIQUE_ID_KEY",
    "DBT_VARS_TAG",
    "GOVERNANCE_KEY",
    "OBSERVED_BY_KEY",
    "QUALITY_CHECKS_KEY",
    "QUALITY_TIER_KEY",
]

#: On an asset spec: the floe compute (plugin or target name) the model is routed to.
COMPUTE_KEY = "floe/compute"
#: On specs and materializations: the dbt target (profile output) the node runs under.
DBT_TARGET_KEY = "dbt/target"
#: On specs, checks and results: dbt's ``unique_id`` of the node or test behind it.
DBT_UNIQUE_ID_KEY = "dbt/unique_id"
#: On materializations and check results: dbt's own status word (``success``, ``no-op``, ...).
DBT_STATUS_KEY = "dbt/status"
#: On materializations: seconds dbt spent on the node.
DBT_EXECUTION_TIME_KEY = "dbt/execution_time_s"
#: On specs and materializations of assets whose runs report every node to run observers (the
#: resource key of those observers): lineage for them comes from the observers, so a listener of
#: Dagster's own events leaves them alone.
OBSERVED_BY_KEY = "floe/observed_by"
#: floe's quality tier of a model (also an asset tag), its quality checks, the product's governance.
QUALITY_TIER_KEY = "floe/quality_tier"
QUALITY_CHECKS_KEY = "floe/quality_checks"
GOVERNANCE_KEY = "floe/governance"

#: Run tags: ``--full-refresh`` (``true``/``false``) and ``--vars`` (a JSON object) for dbt.
DBT_FULL_REFRESH_TAG = "floe/dbt_full_refresh"
DBT_VARS_TAG = "floe/dbt_vars"
