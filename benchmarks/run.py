"""Run every benchmark in this folder and print one summary (what `nox -s benchmarks` runs).

Each ``bench_*.py`` measures its own baseline in the same run and reports a ratio, so the
figures hold on a noisy machine; results are written as JSON under ``.benchmarks/``.

    python benchmarks/run.py [--quick] [--only discovery,lineage]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent
RESULTS = HERE.parent / ".benchmarks"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions and sizes")
    parser.add_argument("--only", default="", help="comma-separated names, e.g. discovery,assets")
    args = parser.parse_args(argv)
    wanted = {name.strip() for name in args.only.split(",") if name.strip()}
    RESULTS.mkdir(exist_ok=True)
    failures = []
    for script in sorted(HERE.glob("bench_*.py")):
        name = script.stem.removeprefix("bench_")
        if wanted and name not in wanted:
            continue
        command = [sys.executable, str(script), "--json", str(RESULTS / f"{name}.json")]
        if args.quick:
            command.append("--quick")
        print(f"\n=== {name} " + "=" * (60 - len(name)), flush=True)
        started = time.perf_counter()
        code = subprocess.run(command, check=False).returncode
        print(f"--- {name}: exit {code} in {time.perf_counter() - started:.0f}s", flush=True)
        if code:
            failures.append(name)
    if failures:
        print(f"\nbenchmarks that failed to run: {', '.join(failures)}")
        return 1
    print(f"\nJSON results in {RESULTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
