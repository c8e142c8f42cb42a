"""OpenLineage emit: what the caller pays per event, and how many events per second get delivered.

Caller's cost: the time one ``emit`` call takes in the caller's thread, with a healthy loopback
receiver, a receiver that answers after 200 ms, and a refused port. Baseline, in the same run and
against the same receivers: openlineage-python's own synchronous path,
``OpenLineageClient(transport=HttpTransport(...)).emit(event)`` with its default settings (5 s
timeout, urllib3 retries with backoff), which is what a caller pays without this package.
Throughput: events/s from the first ``emit`` until ``flush()`` returns, checked against the
receiver's own count (none lost), beside the baseline's synchronous rate.

Observer: what ``OpenLineageObserver`` costs the dbt run's thread per node report (the same
healthy receiver), beside a bare ``emit``.

Hung receiver: a small run, each in a fresh process so that interpreter exit counts, against a
receiver that answers, one that accepts connections and never answers, and lineage switched off
(the baseline): an observer run of 10 dbt nodes, and a Dagster run of 5 assets through the
``with_openlineage`` logger. Wall time of the whole process, and of the run alone. The
documented bound: a receiver that never answers costs a run at most ``timeout`` (5 s by
default), once per process.

Receivers run in their own process (benchmarks/_lineage_receiver.py). Goals: median caller cost
<= 0.2 ms in all three cases; >= 2,000 events/s delivered with none lost.

    python benchmarks/bench_lineage.py [--quick] [--json results.json]
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from floe_dagster_lineage import LineageConfig, LineageEmitter
from floe_orchestrator_contract import Dataset

HERE = Path(__file__).parent
GOAL_MEDIAN_MS = 0.2
GOAL_RATE = 2000.0
INPUTS = [Dataset("bench", "raw.orders"), Dataset("bench", "raw.customers")]
OUTPUTS = [Dataset("bench", "mart.orders", {"owner": {"team": "finance"}})]


@contextmanager
def receiver(delay: float = 0.0) -> Iterator[str]:
    process = subprocess.Popen(
        [sys.executable, str(HERE / "_lineage_receiver.py"), "--delay", str(delay)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline())
        yield f"http://127.0.0.1:{port}"
    finally:
        assert process.stdin is not None
        process.stdin.close()
        process.wait(timeout=10)


def received(url: str) -> int:
    with urllib.request.urlopen(f"{url}/count", timeout=5) as answer:
        return int(answer.read())


def refused_url() -> str:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def percentiles(samples_ns: list[int]) -> dict[str, float]:
    ordered = sorted(samples_ns)
    return {
        "n": len(ordered),
        "median_ms": statistics.median(ordered) / 1e6,
        "p99_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] / 1e6,
    }


def time_calls(call: Callable[[int], None], count: int) -> list[int]:
    samples = []
    for index in range(count):
        started = time.perf_counter_ns()
        call(index)
        samples.append(time.perf_counter_ns() - started)
    return samples


def ours(url: str, count: int) -> dict[str, Any]:
    emitter = LineageEmitter(
        LineageConfig(namespace="bench", transport="http", endpoint=url, queue_size=max(count, 10))
    )
    run_ids = [str(uuid.uuid4()) for _ in range(count)]

    def call(index: int) -> None:
        emitter.emit("START", "bench_job", INPUTS, OUTPUTS, run_id=run_ids[index])

    samples = time_calls(call, count)
    emitter.close(timeout=2)  # bounded: the slow and refused cases leave events behind
    stats = emitter.stats
    return {
        **percentiles(samples),
        "sent": stats.sent,
        "failed": stats.failed,
        "dropped": stats.dropped,
    }


def baseline(url: str, count: int) -> dict[str, Any]:
    from openlineage.client import OpenLineageClient
    from openlineage.client.transport.http import HttpConfig, HttpTransport

    from floe_dagster_lineage._events import build_run_event

    client = OpenLineageClient(transport=HttpTransport(HttpConfig(url=url)))
    events = [
        build_run_event("START", "bench_job", "bench", INPUTS, OUTPUTS, run_id=str(uuid.uuid4()))
        for _ in range(count)
    ]
    failures = 0

    def call(index: int) -> None:
        nonlocal failures
        try:
            client.emit(events[index])
        except Exception:
            failures += 1

    samples = time_calls(call, count)
    return {**percentiles(samples), "raised": failures, "total_s": sum(samples) / 1e9}


def throughput(count: int) -> dict[str, Any]:
    with receiver() as url:
        emitter = LineageEmitter(
            LineageConfig(namespace="bench", transport="http", endpoint=url, queue_size=count)
        )
        run_ids = [str(uuid.uuid4()) for _ in range(count)]
        started = time.perf_counter()
        for run_id in run_ids:
            emitter.emit("START", "bench_job", INPUTS, OUTPUTS, run_id=run_id)
        drained = emitter.flush(timeout=120)
        elapsed = time.perf_counter() - started
        stats = emitter.stats
        emitter.close()
        delivered = received(url)
        sync_count = max(200, count // 10)
        sync = baseline(url, sync_count)
    sync_rate = sync["n"] / sync["total_s"] if sync["total_s"] else 0.0
    return {
        "events": count,
        "drained": drained,
        "delivered": delivered,
        "sent": stats.sent,
        "failed": stats.failed,
        "dropped": stats.dropped,
        "seconds": elapsed,
        "events_per_s": delivered / elapsed,
        "baseline_sync_events_per_s": sync_rate,
        "none_lost": delivered == count and stats.failed == stats.dropped == 0,
    }


def observer_cost(url: str, count: int) -> dict[str, Any]:
    """Median cost of one node report (``node_started`` or ``node_finished``: one event each)."""
    from datetime import datetime, timezone

    from floe_dagster_lineage import OpenLineageObserver
    from floe_orchestrator_contract import NodeResult, NodeRun, Relation, RunContext, Warehouse

    config = LineageConfig(namespace="bench", transport="http", endpoint=url, queue_size=count * 2)
    observer = OpenLineageObserver(config)
    warehouse = Warehouse(adapter="duckdb", path="/data/bench.duckdb")
    run = RunContext(
        run_id=str(uuid.uuid4()),
        job_name="bench",
        product="bench",
        versions={"dbt": "1.10.0", "dagster": "1.12.0"},
    )
    upstream = (Relation("bench", "raw", "orders"), Relation("bench", "raw", "customers"))
    nodes = [
        NodeRun(
            f"model.bench.m{i}",
            f"m{i}",
            "model",
            Relation("bench", "marts", f"m{i}"),
            warehouse,
            inputs=upstream,
            sql="select 1",
            sql_is_compiled=True,
        )
        for i in range(count)
    ]
    now = datetime.now(timezone.utc)
    done = NodeResult("success", "success", now, now, row_count=10)

    def call(index: int) -> None:
        node = nodes[index // 2]
        if index % 2:
            observer.node_finished(run, node, done)
        else:
            observer.node_started(run, node, now)

    samples = time_calls(call, count * 2)
    observer.close(timeout=30)
    stats = observer.stats
    return {**percentiles(samples), "sent": stats.sent, "failed": stats.failed}


_OBSERVER_RUN = """
import sys, time, uuid
from datetime import datetime, timezone
started = time.perf_counter()
from floe_dagster_lineage import LineageConfig, OpenLineageObserver
from floe_orchestrator_contract import NodeResult, NodeRun, Relation, RunContext, Warehouse
url = sys.argv[1]
config = LineageConfig(namespace="bench", transport="http", endpoint=url) if url else None
observer = OpenLineageObserver(config or LineageConfig.disabled())
warehouse = Warehouse(adapter="duckdb", path="/data/bench.duckdb")
run = RunContext(run_id=str(uuid.uuid4()), job_name="bench", product="bench")
ran = time.perf_counter()
observer.run_started(run)
for i in range(10):
    node = NodeRun(f"model.bench.m{i}", f"m{i}", "model", Relation("b", "s", f"m{i}"), warehouse)
    now = datetime.now(timezone.utc)
    observer.node_started(run, node, now)
    observer.node_finished(run, node, NodeResult("success", "success", now, now))
observer.run_finished(run, failed=False)
print(time.perf_counter() - ran)
"""

_DAGSTER_RUN = """
import sys, time
import dagster as dg
from floe_dagster_lineage import LineageConfig, with_openlineage
url = sys.argv[1]
config = LineageConfig(namespace="bench", transport="http", endpoint=url) if url else None
assets, previous = [], None
for i in range(5):
    @dg.asset(name=f"a{i}", deps=[previous] if previous else [])
    def _asset() -> None:
        return None
    assets.append(_asset)
    previous = _asset
defs = with_openlineage(
    dg.Definitions(assets=assets, jobs=[dg.define_asset_job("small", selection="*")]),
    config or LineageConfig.disabled(),
)
ran = time.perf_counter()
assert defs.resolve_job_def("small").execute_in_process().success
print(time.perf_counter() - ran)
"""


def run_in_process(script: str, url: str) -> dict[str, float]:
    """Wall time of a fresh process running ``script`` (and the run's own time it prints)."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", script, url], capture_output=True, text=True, check=True
    )
    total = time.perf_counter() - started
    return {"process_s": total, "run_s": float(done.stdout.strip().splitlines()[-1])}


def hung_receiver(scripts: dict[str, str]) -> dict[str, dict[str, dict[str, float]]]:
    results: dict[str, dict[str, dict[str, float]]] = {}
    for name, script in scripts.items():
        results[name] = {"lineage off (baseline)": run_in_process(script, "")}
        with receiver() as url:
            results[name]["answering receiver"] = run_in_process(script, url)
        with receiver(delay=3600) as url:  # accepts, reads, never answers
            results[name]["receiver never answers"] = run_in_process(script, url)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer events per case")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    # Our one warning per unhealthy backend is part of the product, not of the figures.
    logging.basicConfig(level=logging.ERROR)
    n = 500 if args.quick else 3000
    # The synchronous baseline pays the backend's latency (and its retries) on every call.
    n_base = {"healthy": 200 if args.quick else 1000, "slow (200 ms)": 5 if args.quick else 15}
    n_base["refused port"] = 1 if args.quick else 3

    cases: dict[str, dict[str, Any]] = {}
    with receiver() as url:
        cases["healthy"] = {"ours": ours(url, n), "baseline": baseline(url, n_base["healthy"])}
    with receiver(delay=0.2) as url:
        cases["slow (200 ms)"] = {
            "ours": ours(url, n),
            "baseline": baseline(url, n_base["slow (200 ms)"]),
        }
    url = refused_url()
    cases["refused port"] = {
        "ours": ours(url, n),
        "baseline": baseline(url, n_base["refused port"]),
    }
    flow = throughput(5000 if args.quick else 20000)
    with receiver() as url:
        observed = {"ours": observer_cost(url, n // 2), "emit": ours(url, n)}
    scripts = {"observer, 10 dbt nodes": _OBSERVER_RUN}
    try:
        import dagster  # noqa: F401  (the Dagster case needs it; the observer case does not)

        scripts["Dagster logger, 5 assets"] = _DAGSTER_RUN
    except ImportError:
        pass
    hung = hung_receiver(scripts)

    print(
        f"{'caller cost per emit':<22}{'ours median':>12}{'ours p99':>11}"
        f"{'baseline median':>17}{'baseline p99':>14}{'ratio':>9}"
    )
    ok = True
    for name, case in cases.items():
        mine, theirs = case["ours"], case["baseline"]
        ratio = theirs["median_ms"] / mine["median_ms"] if mine["median_ms"] else float("inf")
        case["ratio_baseline_over_ours"] = ratio
        case["goal_met"] = mine["median_ms"] <= GOAL_MEDIAN_MS
        ok = ok and case["goal_met"]
        print(
            f"{name:<22}{mine['median_ms']:>10.4f}ms{mine['p99_ms']:>9.4f}ms"
            f"{theirs['median_ms']:>15.3f}ms{theirs['p99_ms']:>12.3f}ms{ratio:>8.0f}x"
        )
    print(
        f"\nthroughput: {flow['delivered']}/{flow['events']} delivered in {flow['seconds']:.2f}s"
        f" = {flow['events_per_s']:,.0f} events/s (none lost: {flow['none_lost']});"
        f" baseline synchronous client: {flow['baseline_sync_events_per_s']:,.0f} events/s"
    )
    flow["goal_met"] = flow["events_per_s"] >= GOAL_RATE and flow["none_lost"]
    ok = ok and flow["goal_met"]
    mine, bare = observed["ours"], observed["emit"]
    print(
        f"observer: {mine['median_ms']:.4f} ms median ({mine['p99_ms']:.4f} ms p99) per node"
        f" report, {mine['sent']} events sent, {mine['failed']} failed;"
        f" a bare emit: {bare['median_ms']:.4f} ms"
    )
    print(f"\n{'small run, fresh process':<28}{'case':<26}{'process':>10}{'run':>10}")
    for name, cases_of_run in hung.items():
        for case, figures in cases_of_run.items():
            print(f"{name:<28}{case:<26}{figures['process_s']:>9.2f}s{figures['run_s']:>9.2f}s")
    print(
        f"goals: median <= {GOAL_MEDIAN_MS} ms in all three cases, >= {GOAL_RATE:,.0f} events/s"
        f" none lost -> {'met' if ok else 'NOT met'}"
    )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "benchmark": "lineage",
            "quick": args.quick,
            "python": sys.version.split()[0],
            "caller_cost": cases,
            "throughput": flow,
            "observer": observed,
            "hung_receiver": hung,
            "goals": {"median_ms": GOAL_MEDIAN_MS, "events_per_s": GOAL_RATE, "met": ok},
        }
        args.json.write_text(json.dumps(payload, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
