"""Plugin discovery cost: entry-point load + instantiate + read name/version, in a fresh process.

floe lists and loads plugins often, so this must stay far below the cost of importing Dagster.
Each case runs in a fresh interpreter (what floe pays on every CLI call); the bare interpreter
start is measured in the same run, interleaved, and subtracted. Goal: <= 50 ms (spec: 500 ms).

    python benchmarks/bench_discovery.py [--repeat N] [--json results.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

CASES = {
    "bare interpreter": "pass",
    "discover + load + instantiate": (
        "from importlib.metadata import entry_points\n"
        "ep = next(e for e in entry_points(group='floe.orchestrators') if e.name == 'dagster')\n"
        "plugin = ep.load()()\n"
        "assert plugin.name == 'dagster' and plugin.version\n"
        "import sys\n"
        "heavy = [m for m in ('dagster', 'dagster_dbt', 'openlineage', 'dbt')"
        " if m in sys.modules]\n"
        "assert not heavy, f'discovery imported {heavy}'\n"
    ),
    "import dagster": "import dagster",
    "import dagster_dbt": "import dagster_dbt",
}
GOAL_MS = 50.0


def _time(code: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    return (time.perf_counter() - started) * 1000


def measure(repeat: int) -> dict[str, float]:
    samples: dict[str, list[float]] = {name: [] for name in CASES}
    for code in CASES.values():  # warm the OS caches once
        _time(code)
    for _ in range(repeat):
        for name, code in CASES.items():  # interleaved, so drift hits every case alike
            samples[name].append(_time(code))
    return {name: statistics.median(values) for name, values in samples.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--quick", action="store_true", help="5 repetitions")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    medians = measure(5 if args.quick else args.repeat)
    bare = medians["bare interpreter"]
    discovery = medians["discover + load + instantiate"] - bare
    dagster = medians["import dagster"] - bare
    dagster_dbt = medians["import dagster_dbt"] - bare
    print(f"{'case (fresh process, median)':<38}{'total ms':>10}{'minus bare ms':>15}")
    for name, value in medians.items():
        print(f"{name:<38}{value:>10.1f}{value - bare:>15.1f}")
    verdict = "meets" if discovery <= GOAL_MS else "MISSES"
    print(
        f"\ndiscovery costs {discovery:.1f} ms over a bare interpreter "
        f"({verdict} the {GOAL_MS:g} ms goal); that is {discovery / dagster:.2f}x "
        f"`import dagster` ({dagster:.0f} ms) and "
        f"{discovery / dagster_dbt:.2f}x `import dagster_dbt` ({dagster_dbt:.0f} ms)"
    )
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "medians_ms": medians,
                    "discovery_ms": discovery,
                    "import_dagster_ms": dagster,
                    "import_dagster_dbt_ms": dagster_dbt,
                    "ratio_vs_import_dagster": discovery / dagster,
                    "goal_ms": GOAL_MS,
                    "meets_goal": discovery <= GOAL_MS,
                },
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
