"""The run-observer records: what execution reports and lineage consumes."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timezone

import pytest

from floe_orchestrator_contract import (
    DataTestOutcome,
    NodeResult,
    NodeRun,
    Relation,
    RunContext,
    RunObserver,
    Warehouse,
)


class _Recorder:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def run_started(self, run: RunContext) -> None:
        self.calls.append(f"run_started {run.job_name}")

    def node_started(self, run: RunContext, node: NodeRun, at: datetime) -> None:
        self.calls.append(f"node_started {node.name}")

    def node_finished(self, run: RunContext, node: NodeRun, result: NodeResult) -> None:
        self.calls.append(f"node_finished {node.name} {result.status}")

    def node_tested(
        self, run: RunContext, node: NodeRun, tests: tuple[DataTestOutcome, ...]
    ) -> None:
        self.calls.append(f"node_tested {node.name} {len(tests)}")

    def run_finished(self, run: RunContext, *, failed: bool, message: str | None = None) -> None:
        self.calls.append(f"run_finished failed={failed}")


def test_a_class_with_the_five_methods_is_an_observer() -> None:
    assert isinstance(_Recorder(), RunObserver)
    assert not isinstance(object(), RunObserver)


def test_relation_name_leaves_out_empty_parts() -> None:
    assert Relation("warehouse", "main", "orders").name == "warehouse.main.orders"
    assert Relation(None, "main", "orders").name == "main.orders"


def test_records_are_frozen_and_do_not_share_defaults() -> None:
    node = NodeRun(unique_id="model.p.orders", name="orders", resource_type="model")
    with pytest.raises(dataclasses.FrozenInstanceError):
        node.name = "other"  # type: ignore[misc]
    assert Warehouse("duckdb").extra is not Warehouse("duckdb").extra
    assert RunContext("r", "j").versions is not RunContext("r", "j").versions


def test_a_warehouse_has_no_field_for_credentials() -> None:
    fields = {f.name for f in dataclasses.fields(Warehouse)}
    assert not fields & {"user", "username", "password", "token", "secret", "private_key"}


def test_an_observer_sees_the_documented_order() -> None:
    observer = _Recorder()
    run = RunContext("run-1", "greenhouse", started_at=datetime.now(timezone.utc))
    node = NodeRun("model.p.a", "a", "model", relation=Relation("db", "main", "a"))
    observer.run_started(run)
    observer.node_started(run, node, datetime.now(timezone.utc))
    observer.node_finished(run, node, NodeResult(status="success", dbt_status="no-op"))
    observer.node_tested(run, node, (DataTestOutcome("test.p.t", "t", passed=True),))
    observer.run_finished(run, failed=False)
    assert observer.calls == [
        "run_started greenhouse",
        "node_started a",
        "node_finished a success",
        "node_tested a 1",
        "run_finished failed=False",
    ]
