from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from _helpers import SpecValidator, warnings_from_us
from _receiver import Receiver, refused_port

import floe_dagster_lineage
from floe_dagster_lineage import (
    LineageConfig,
    LineageEmitter,
    LineageEventError,
    ParentRun,
    configure,
    emit_lineage_event,
)
from floe_orchestrator_contract import Dataset

SECRET = "sk-live-7f3a9c1d2b"
RAW = Dataset("sales", "raw.orders")
STG = Dataset("sales", "stg.orders", {"owner": {"team": "finance"}})


def http_config(url: str, **changes: Any) -> LineageConfig:
    settings: dict[str, Any] = {
        "namespace": "sales",
        "transport": "http",
        "endpoint": url,
        "timeout": 2.0,
        "flush_timeout": 10.0,
        "backoff": 0.02,
    }
    settings.update(changes)
    return LineageConfig(**settings)


def test_receiver_gets_exactly_the_events_in_order_and_they_validate(
    receiver: Receiver, spec: SpecValidator
) -> None:
    emitter = LineageEmitter(http_config(receiver.url, api_key=SECRET))
    parent = ParentRun(job="nightly", run_id=str(uuid.uuid4()))
    runs = [str(uuid.uuid4()) for _ in range(3)]
    expected = []
    for index, run_id in enumerate(runs):
        emitter.emit("START", f"model_{index}", [RAW], [STG], run_id=run_id, parent=parent)
        expected.append(("START", run_id))
    for index, run_id in enumerate(runs):
        outcome = "FAIL" if index == 1 else "COMPLETE"
        error = ValueError("bad row") if index == 1 else None
        emitter.emit(outcome, f"model_{index}", [RAW], [STG], run_id=run_id, error=error)
        expected.append((outcome, run_id))
    assert emitter.flush(10) is True
    assert emitter.stats.sent == 6
    assert emitter.stats.failed == emitter.stats.dropped == 0
    got = [(e["eventType"], e["run"]["runId"]) for e in receiver.events]
    assert got == expected
    spec.check(receiver.events)
    assert {h["Authorization"] for h in receiver.headers} == {f"Bearer {SECRET}"}
    start = receiver.events[0]
    assert start["run"]["facets"]["parent"]["run"]["runId"] == parent.run_id
    parent_job = start["run"]["facets"]["parent"]["job"]
    assert (parent_job["namespace"], parent_job["name"]) == ("sales", "nightly")
    assert start["job"]["facets"]["jobType"]["integration"] == "DAGSTER"
    assert start["inputs"][0]["name"] == "raw.orders"
    assert start["outputs"][0]["facets"]["owner"]["team"] == "finance"
    error = receiver.events[4]["run"]["facets"]["errorMessage"]
    assert error["message"] == "ValueError: bad row"
    assert error["programmingLanguage"] == "python"
    emitter.close()


def test_the_seeds_four_argument_calls_pair_up_by_job(
    receiver: Receiver, spec: SpecValidator
) -> None:
    emitter = LineageEmitter(http_config(receiver.url))
    emitter.emit("START", "orders", [RAW], [STG])
    emitter.emit("START", "customers", [RAW], [])
    emitter.emit("COMPLETE", "orders", [RAW], [STG])
    emitter.emit("FAIL", "customers", [RAW], [], error="boom")
    assert emitter.flush(10)
    spec.check(receiver.events)
    ids = {(e["job"]["name"], e["eventType"]): e["run"]["runId"] for e in receiver.events}
    assert ids["orders", "START"] == ids["orders", "COMPLETE"]
    assert ids["customers", "START"] == ids["customers", "FAIL"]
    assert ids["orders", "START"] != ids["customers", "START"]
    assert uuid.UUID(ids["orders", "START"]).version == 7
    emitter.close()


def test_emit_does_not_wait_for_the_backend(receiver: Receiver) -> None:
    receiver.gate = threading.Event()
    emitter = LineageEmitter(http_config(receiver.url))
    try:
        for index in range(20):
            emitter.emit("START", f"job_{index}", [], [])
        # Every emit returned while the receiver still holds the first request unanswered.
        assert receiver.requests <= 1
        assert receiver.events == []
        assert emitter.stats.pending == 20
    finally:
        receiver.gate.set()
    assert emitter.flush(10)
    assert len(receiver.events) == 20
    emitter.close()


def test_bad_arguments_are_one_error_naming_each(receiver: Receiver) -> None:
    emitter = LineageEmitter(http_config(receiver.url))
    with pytest.raises(LineageEventError) as caught:
        emitter.emit(
            "FINISHED",
            "",
            [RAW, "stg.orders"],  # type: ignore[list-item]
            "out",  # type: ignore[arg-type]
            run_id="42",
            event_time=datetime(2026, 1, 1),
        )
    text = str(caught.value)
    assert len(caught.value.problems) == 6
    for expected in (
        "event_type: 'FINISHED' is not allowed "
        "(allowed: START, RUNNING, COMPLETE, ABORT, FAIL, OTHER)",
        "job: '' must be a non-empty string",
        "inputs[1]: expected a Dataset, got str",
        "outputs: expected a sequence of Dataset, got str",
        "run_id: '42' is not a UUID",
        "event_time: must be timezone-aware",
    ):
        assert expected in text
    assert emitter.flush(1)
    assert receiver.requests == 0
    emitter.close()


@pytest.mark.parametrize(
    ("mode", "changes", "transient"),
    [
        ("refused", {}, True),
        ("slow", {"timeout": 0.1}, True),
        ("status-500", {}, True),
        ("status-400", {}, False),
        ("garbage", {}, True),
    ],
)
def test_an_unhealthy_backend_costs_one_warning_and_is_counted(
    mode: str, changes: dict[str, Any], transient: bool, lineage_logs: pytest.LogCaptureFixture
) -> None:
    receiver = Receiver()
    try:
        if mode == "refused":
            receiver.stop()
            url = f"http://127.0.0.1:{refused_port()}"
        else:
            url = receiver.url
            receiver.mode, _, status = mode.partition("-")
            receiver.status = int(status or 200)
            receiver.delay = 0.3
        emitter = LineageEmitter(http_config(url, **changes))
        for index in range(8):
            emitter.emit("START", f"job_{index}", [RAW], [STG])
        emitter.flush(30)
        if mode == "slow":
            # A backend that leaves requests unanswered: the flush stopped waiting at the first
            # timeout; the sender goes on in the background.
            assert emitter.stats.pending > 0
            deadline = time.monotonic() + 30
            while emitter.stats.pending and time.monotonic() < deadline:
                time.sleep(0.05)
            emitter.flush(1)
        stats = emitter.stats
        assert (stats.sent, stats.failed, stats.dropped, stats.pending) == (0, 8, 0, 0)
        # One warning for the eight: at the flush, with the counts (an event reported as still
        # queued is not reported again when it fails later).
        warnings = warnings_from_us(lineage_logs)
        assert len(warnings) == 1, [w.getMessage() for w in warnings]
        assert "8 event(s) not delivered" in warnings[0].getMessage()
        assert "the run is not affected" in warnings[0].getMessage()
        flushed = [
            r.getMessage() for r in lineage_logs.records if "sent=0 failed=8" in r.getMessage()
        ]
        assert flushed
        assert all("dropped=0" in line for line in flushed)
        if mode != "refused":
            # Transient failures are retried (3 times for the first event, then once per event
            # while the backend stays down); a 4xx is never retried.
            expected = 8 + 3 if transient else 8
            assert receiver.requests == expected
        emitter.close()
    finally:
        if mode != "refused":
            receiver.stop()


def test_a_receiver_killed_midway_leaves_one_warning(
    lineage_logs: pytest.LogCaptureFixture,
) -> None:
    receiver = Receiver()
    emitter = LineageEmitter(http_config(receiver.url))
    for index in range(5):
        emitter.emit("START", f"job_{index}", [RAW], [STG])
    assert emitter.flush(10)
    receiver.stop()
    for index in range(5):
        emitter.emit("COMPLETE", f"job_{index}", [RAW], [STG])
    emitter.flush(30)
    assert [e["eventType"] for e in receiver.events] == ["START"] * 5
    stats = emitter.stats
    assert (stats.sent, stats.failed, stats.dropped) == (5, 5, 0)
    assert len(warnings_from_us(lineage_logs)) == 1
    emitter.close()


def test_a_full_queue_drops_and_counts_with_one_warning(
    receiver: Receiver, lineage_logs: pytest.LogCaptureFixture
) -> None:
    receiver.gate = threading.Event()
    emitter = LineageEmitter(http_config(receiver.url, queue_size=3))
    try:
        for index in range(10):
            emitter.emit("START", f"job_{index}", [], [])
        assert emitter.stats.dropped >= 6
    finally:
        receiver.gate.set()
    emitter.flush(10)
    stats = emitter.stats
    assert stats.sent + stats.dropped == 10
    assert stats.failed == 0
    assert len(receiver.events) == stats.sent
    assert len(warnings_from_us(lineage_logs)) == 1
    emitter.close()


def test_recovery_is_logged_and_a_new_outage_warns_again(
    lineage_logs: pytest.LogCaptureFixture,
) -> None:
    receiver = Receiver(mode="status", status=503)
    try:
        emitter = LineageEmitter(http_config(receiver.url, max_retries=0))
        emitter.emit("START", "a", [], [])
        emitter.flush(10)
        receiver.mode = "ok"
        emitter.emit("START", "b", [], [])
        emitter.flush(10)
        receiver.mode = "status"
        emitter.emit("START", "c", [], [])
        emitter.flush(10)
        assert (emitter.stats.sent, emitter.stats.failed) == (1, 2)
        assert len(warnings_from_us(lineage_logs)) == 2
        assert any("accepts events again" in r.getMessage() for r in lineage_logs.records)
        emitter.close()
    finally:
        receiver.stop()


def test_the_api_key_never_appears_in_logs_reprs_or_errors(
    receiver: Receiver, lineage_logs: pytest.LogCaptureFixture
) -> None:
    receiver.mode, receiver.status = "status", 401
    config = http_config(receiver.url, api_key=SECRET)
    emitter = LineageEmitter(config)
    emitter.emit("START", "secure", [RAW], [STG])
    emitter.flush(10)
    dead = LineageEmitter(http_config(f"http://127.0.0.1:{refused_port()}", api_key=SECRET))
    dead.emit("START", "secure", [], [])
    dead.flush(10)
    with pytest.raises(LineageEventError) as caught:
        emitter.emit("BAD", "secure", [], [])
    texts = [repr(config), str(config), repr(emitter), repr(dead), str(caught.value)]
    texts += [r.getMessage() for r in lineage_logs.records]
    texts += [lineage_logs.text]
    assert all(SECRET not in text for text in texts)
    assert receiver.requests == 1  # the key was sent, as a header, to the backend only
    emitter.close()
    dead.close()


def test_console_and_file_transports_write_valid_events(
    tmp_path: Path, spec: SpecValidator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="openlineage")
    console = LineageEmitter(LineageConfig(namespace="sales", transport="console"))
    console.emit("START", "orders", [RAW], [STG])
    console.emit("COMPLETE", "orders", [RAW], [STG])
    assert console.flush(10)
    printed = [
        json.loads(r.getMessage()) for r in caplog.records if r.name.startswith("openlineage")
    ]
    assert [e["eventType"] for e in printed] == ["START", "COMPLETE"]
    spec.check(printed)
    path = tmp_path / "lineage.jsonl"
    file = LineageEmitter(LineageConfig(namespace="sales", transport="file", endpoint=str(path)))
    for kind in ("START", "RUNNING", "COMPLETE"):
        file.emit(kind, "orders", [RAW], [STG])
    assert file.flush(10)
    written = [json.loads(line) for line in path.read_text().splitlines()]
    assert [e["eventType"] for e in written] == ["START", "RUNNING", "COMPLETE"]
    spec.check(written)
    console.close()
    file.close()


def test_module_level_emit_goes_through_the_configured_default(
    receiver: Receiver, spec: SpecValidator
) -> None:
    emitter = configure(http_config(receiver.url))
    try:
        emit_lineage_event("START", "orders", [RAW], [STG])
        emit_lineage_event(
            "COMPLETE", "orders", [RAW], [STG], event_time=datetime.now(timezone.utc)
        )
        assert floe_dagster_lineage.get_emitter() is emitter
        assert emitter.flush(10)
        assert [e["eventType"] for e in receiver.events] == ["START", "COMPLETE"]
        spec.check(receiver.events)
    finally:
        configure(LineageConfig.disabled())


def test_events_still_queued_at_exit_are_delivered(receiver: Receiver) -> None:
    script = (
        "from floe_dagster_lineage import LineageConfig, LineageEmitter\n"
        "from floe_orchestrator_contract import Dataset\n"
        f"e = LineageEmitter(LineageConfig(transport='http', endpoint={receiver.url!r}))\n"
        "for i in range(50):\n"
        "    e.emit('START', f'job_{i}', [Dataset('ns', 'a')], [])\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENLINEAGE")}
    done = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert len(receiver.events) == 50
    # A quiet exit: no warning of ours (the counts are logged at INFO), no traceback. (At its
    # floor, openlineage-python itself logs a line when numpy is missing: not ours to silence.)
    assert "OpenLineage delivery" not in done.stderr
    assert "Traceback" not in done.stderr


def test_a_hung_backend_is_bounded_by_the_flush_timeout(
    receiver: Receiver, lineage_logs: pytest.LogCaptureFixture
) -> None:
    receiver.gate = threading.Event()
    emitter = LineageEmitter(http_config(receiver.url))
    try:
        emitter.emit("START", "a", [], [])
        emitter.emit("START", "b", [], [])
        assert emitter.flush(0.2) is False
        assert emitter.stats.pending >= 1
        assert len(warnings_from_us(lineage_logs)) == 1
    finally:
        receiver.gate.set()
    emitter.close(10)
    assert emitter.stats.pending == 0


def test_at_exit_what_was_not_delivered_is_reported_once_with_counts(
    receiver: Receiver,
) -> None:
    """A backend that accepts connections and never answers: the process still exits (it does
    not wait for a stalled backend) and says once, at WARNING, what was lost."""
    receiver.gate = threading.Event()
    script = (
        "import logging\n"
        "from floe_dagster_lineage import LineageConfig, LineageEmitter\n"
        "logging.basicConfig(level=logging.WARNING)\n"
        f"e = LineageEmitter(LineageConfig(transport='http', endpoint={receiver.url!r},"
        " timeout=0.5, flush_timeout=30))\n"
        "for i in range(20):\n"
        "    e.emit('START', f'job_{i}', [], [])\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENLINEAGE")}
    try:
        done = subprocess.run(
            [sys.executable, "-c", script],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        receiver.gate.set()
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stderr.splitlines() if "not delivered" in line]
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("WARNING:floe_dagster_lineage")
    assert "20 event(s) not delivered" in lines[0]
    assert "sent=0" in lines[0]
    assert "Traceback" not in done.stderr
