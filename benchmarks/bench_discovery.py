"""Plugin discovery cost: entry-point load + instantiate + read name/version, in a fresh process.

floe lists and loads plugins often (every CLI call), so what the plugin adds to floe's own
entry-point scan must stay small. Each case runs in a fresh interpreter; interleaved, medians:

- bare interpreter: ``python -c pass``;
- entry-point scan (the baseline): ``importlib.metadata.entry_points(group="floe.orchestrators")``,
  what floe pays before any plugin is touched (it grows with the number of installed
  distributions);
- discovery: the scan, then ``ep.load()()`` and reading ``name`` and ``version`` (and a check that
  nothing heavy was imported);
- ``import dagster`` and ``import dagster_dbt``, for scale.

Goal: discovery costs at most 10 ms more than the scan.

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

SCAN = (
    "from importlib.metadata import entry_points\n"
    "ep = next(e for e in entry_points(group='floe.orchestrators') if e.name == 'dagster')\n"
)
CASES = {
    "bare interpreter": "pass",
    "entry-point scan": SCAN,
    "discover + load + instantiate": (
        SCAN + "plugin = ep.load()()\n"
        "assert plugin.name == 'dagster' and plugin.version\n"
        "import sys\n"
        "heavy = [m for m in ('dagster', 'dagster_dbt', 'openlineage', 'dbt')"
        " if m in sys.modules]\n"
        "assert not heavy, f'discovery imported {heavy}'\n"
    ),
    "import dagster": "import dagster",
    "import dagster_dbt": "import dagster_dbt",
}
GOAL_MS = 10.0


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
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--quick", action="store_true", help="5 repetitions")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    medians = measure(5 if args.quick else args.repeat)
    bare = medians["bare interpreter"]
    scan = medians["entry-point scan"] - bare
    discovery = medians["discover + load + instantiate"] - medians["entry-point scan"]
    dagster = medians["import dagster"] - bare
    dagster_dbt = medians["import dagster_dbt"] - bare
    print(f"{'case (fresh process, median)':<38}{'total ms':>10}{'minus bare ms':>15}")
    for name, value in medians.items():
        print(f"{name:<38}{value:>10.1f}{value - bare:>15.1f}")
    verdict = "meets" if discovery <= GOAL_MS else "MISSES"
    print(
        f"\nloading the plugin costs {discovery:.1f} ms beyond floe's entry-point scan "
        f"({scan:.1f} ms): {verdict} the {GOAL_MS:g} ms goal; `import dagster` would be "
        f"{dagster:.0f} ms, `import dagster_dbt` {dagster_dbt:.0f} ms"
    )
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "medians_ms": medians,
                    "scan_ms": scan,
                    "discovery_beyond_scan_ms": discovery,
                    "import_dagster_ms": dagster,
                    "import_dagster_dbt_ms": dagster_dbt,
                    "goal_ms": GOAL_MS,
                    "meets_goal": discovery <= GOAL_MS,
                },
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
