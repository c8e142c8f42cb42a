"""Observers never break or stall a run; runtime metadata can be switched off.

One small real run (a seed and a model of the example) with three observers: one that raises in
every method, one that hangs in its first call until this module is done, and one that records.
The assets are built with ``runtime_metadata=False``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import dagster as dg
import pytest


class Raising:
    def __init__(self) -> None:
        self.calls = 0

    def _fail(self, *args: Any, **kwargs: Any) -> None:
        self.calls += 1
        raise RuntimeError("observer bug")

    run_started = node_started = node_finished = node_tested = run_finished = _fail


class Hanging:
    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()

    def _hang(self, *args: Any, **kwargs: Any) -> None:
        self.entered.set()
        self.release.wait(timeout=300)

    run_started = node_started = node_finished = node_tested = run_finished = _hang


@pytest.fixture(scope="module")
def observed_run(
    greenhouse_copy: Callable[[str], Any],
) -> Iterator[tuple[Any, Any, Raising, Hanging]]:
    from floe_dagster_assets import RUN_OBSERVERS_RESOURCE_KEY, run_observers_resource

    greenhouse = greenhouse_copy("observed")
    raising, hanging = Raising(), Hanging()
    resources = {
        **greenhouse.resources(),
        RUN_OBSERVERS_RESOURCE_KEY: run_observers_resource(
            raising, hanging, greenhouse.observer, drain_timeout_s=0.5
        ),
    }
    assets = greenhouse.create_assets(runtime_metadata=False)
    result = dg.materialize(
        assets,
        resources=resources,
        selection=["raw_harvests", "stg_harvests"],
        raise_on_error=False,
    )
    still_hanging = not hanging.release.is_set()
    yield greenhouse, result, raising, hanging
    hanging.release.set()
    assert still_hanging


def test_a_raising_and_a_hanging_observer_neither_break_nor_stall_the_run(
    observed_run: Any,
) -> None:
    greenhouse, result, raising, hanging = observed_run
    assert result.success
    assert greenhouse.tables() == {"raw.raw_harvests": 30, "staging.stg_harvests": 30}
    assert raising.calls >= 5  # it was called, raised every time, and the run went on
    # The run ended while the hanging observer was still stuck in its first call.
    assert hanging.entered.is_set()
    assert not hanging.release.is_set()
    assert [c[0] for c in greenhouse.observer.calls] == [
        "run_started",
        "node_started",
        "node_started",
        "node_finished",
        "node_finished",
        "node_tested",
        "run_finished",
    ]


def test_without_runtime_metadata_materializations_carry_dbts_facts_only(
    observed_run: Any,
) -> None:
    greenhouse, result, _, _ = observed_run
    for event in result.get_asset_materialization_events():
        metadata = event.step_materialization_data.materialization.metadata
        assert metadata["dbt/status"].value == "success"
        assert not {"dagster/row_count", "dagster/column_lineage"} & set(metadata)
    results = greenhouse.observer.results()
    assert results["stg_harvests"].row_count is None
    assert results["stg_harvests"].compiled_sql  # dbt's compiled SQL still reaches observers


def test_run_observers_refuse_what_is_not_an_observer() -> None:
    from floe_dagster_assets import run_observers_resource

    with pytest.raises(ValueError, match=r"observers\[0\]: str is not a RunObserver") as error:
        run_observers_resource("not an observer", drain_timeout_s=-1)  # type: ignore[arg-type]
    assert "drain_timeout_s: -1" in str(error.value)
