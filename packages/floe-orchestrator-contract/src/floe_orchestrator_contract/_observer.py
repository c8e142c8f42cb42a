"""What a dbt run reports while it runs: the interface between execution and its observers.

floe-dagster-assets runs dbt and reports the run and each node (start, finish, tests) to every
:class:`RunObserver` it is given; floe-dagster-lineage implements one that turns the reports into
OpenLineage events. Neither package imports the other: both know only these records, so lineage
does not depend on how a run was launched (UI, schedule, CLI, Kubernetes step pod, in process).

The records are plain frozen dataclasses (no pydantic, no Dagster) and carry no secret: a
:class:`Warehouse` holds only what identifies where relations live (adapter, host, port, file
path, account), never a user, password or token.

Each observer is called from one thread, in order: ``run_started``, then for each node
``node_started`` → ``node_finished`` (→ ``node_tested`` when dbt tests ran on it), then
``run_finished``. A node that never ran because something upstream failed gets ``node_finished``
with status ``"aborted"`` and no ``node_started``. An observer must return quickly (queue, do not
send) and should not raise; callers guard every call anyway, so an observer can never break a run
(floe-dagster-assets calls each observer on a thread of its own, never the run's, so a slow one
cannot stall it either).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol, runtime_checkable

__all__ = [
    "ColumnInfo",
    "ColumnLineage",
    "DataTestOutcome",
    "NodeResult",
    "NodeRun",
    "NodeStatus",
    "Relation",
    "RunContext",
    "RunObserver",
    "Warehouse",
]

NodeStatus = Literal["success", "failed", "aborted"]
"""``success``: the node is built (dbt's ``success``, ``no-op``, ``reused``, ``partial success``,
``warn``); ``failed``: dbt reported an error; ``aborted``: it never ran (upstream failed)."""


@dataclass(frozen=True)
class Warehouse:
    """Where relations live, as the dbt adapter and profile output describe it (no secrets).

    ``adapter`` is dbt's adapter type (``duckdb``, ``postgres``, ``snowflake``, ...). The other
    fields are those OpenLineage's dataset naming needs for that adapter: ``host``/``port``
    (postgres, trino, ...), ``path`` (DuckDB's database file, absolute, or ``:memory:``),
    ``account`` (snowflake), ``project`` (bigquery); ``extra`` holds any other non-secret
    identifying value (e.g. a Databricks ``http_path``).
    """

    adapter: str
    host: str | None = None
    port: int | None = None
    path: str | None = None
    account: str | None = None
    project: str | None = None
    database: str | None = None
    extra: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Relation:
    """A table or view in the warehouse: ``database.schema.identifier``."""

    database: str | None
    schema: str | None
    identifier: str

    @property
    def name(self) -> str:
        """The dotted name (``database.schema.identifier``), empty parts left out."""
        return ".".join(part for part in (self.database, self.schema, self.identifier) if part)


@dataclass(frozen=True)
class ColumnInfo:
    """A column as built (``data_type`` from the warehouse), or as documented in dbt."""

    name: str
    data_type: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class ColumnLineage:
    """Where one output column comes from: ``(relation, column)`` pairs upstream."""

    column: str
    inputs: tuple[tuple[Relation, str], ...] = ()
    #: OpenLineage's transformation type when known: ``DIRECT`` or ``INDIRECT``.
    transformation: str | None = None


@dataclass(frozen=True)
class DataTestOutcome:
    """One dbt data test's result on a node.

    ``test_type`` is what kind of test it is: a generic test's name (``unique``, ``not_null``,
    ``accepted_values``, ``relationships``, a custom generic test's name; dbt's
    ``test_metadata.name``), ``singular`` for a SQL test file, ``None`` when unknown.
    """

    unique_id: str
    name: str
    passed: bool
    severity: Literal["error", "warn"] = "error"
    column: str | None = None
    message: str | None = None
    failures: int | None = None
    test_type: str | None = None


@dataclass(frozen=True)
class RunContext:
    """The orchestrator run that executes dbt.

    ``job_name`` is the orchestrator's job as the user sees it (Dagster's implicit asset job is
    reported under the product's name, never ``__ASSET_JOB``); ``product`` is floe's product
    name; ``versions`` maps component to version (``dbt``, ``dbt-duckdb``, ``dagster``, ...);
    ``dbt_project`` is the name of the product's dbt project (which can differ from the
    product's: ``customer_360`` for ``customer-360``), so its nodes are told from packages'.
    """

    run_id: str
    job_name: str
    product: str | None = None
    orchestrator: str = "dagster"
    started_at: datetime | None = None
    versions: Mapping[str, str] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)
    dbt_project: str | None = None


@dataclass(frozen=True)
class NodeRun:
    """A dbt node (model, seed or snapshot) that a run builds: what is known before it runs."""

    unique_id: str
    name: str
    resource_type: str
    relation: Relation | None = None
    warehouse: Warehouse | None = None
    #: Upstream relations it reads (models, seeds, snapshots and sources), resolved through
    #: ephemeral models.
    inputs: tuple[Relation, ...] = ()
    materialization: str | None = None
    compute: str | None = None
    description: str | None = None
    #: Path of its SQL file relative to the dbt project (``models/staging/stg_x.sql``).
    path: str | None = None
    #: The SQL dbt ran, compiled (Jinja rendered), when known; else the raw SQL.
    sql: str | None = None
    sql_is_compiled: bool = False


@dataclass(frozen=True)
class NodeResult:
    """How a node ended, with what was measured when it was built."""

    status: NodeStatus
    #: dbt's own status word (``success``, ``no-op``, ``reused``, ``error``, ``skipped``, ...).
    dbt_status: str = ""
    started_at: datetime | None = None
    finished_at: datetime | None = None
    message: str | None = None
    row_count: int | None = None
    columns: tuple[ColumnInfo, ...] = ()
    column_lineage: tuple[ColumnLineage, ...] = ()
    #: Compiled SQL known only after the node ran (overrides ``NodeRun.sql``).
    compiled_sql: str | None = None


@runtime_checkable
class RunObserver(Protocol):
    """Receives a run's progress. Every method must return quickly and should not raise."""

    def run_started(self, run: RunContext) -> None: ...

    def node_started(self, run: RunContext, node: NodeRun, at: datetime) -> None: ...

    def node_finished(self, run: RunContext, node: NodeRun, result: NodeResult) -> None: ...

    def node_tested(
        self, run: RunContext, node: NodeRun, tests: tuple[DataTestOutcome, ...]
    ) -> None: ...

    def run_finished(
        self, run: RunContext, *, failed: bool, message: str | None = None
    ) -> None: ...
