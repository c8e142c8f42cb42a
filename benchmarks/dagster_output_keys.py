"""Dagster's own cost of the outputs of one step, by their number: the floor of any dbt run.

Not a benchmark of floe: a reproduction for Dagster. A ``multi_asset`` with N chained assets (and
a check on every tenth, as bench_run.py's projects) yields one ``MaterializeResult`` per asset and
nothing else, run in process on an ephemeral instance. For each output Dagster checks the order
of outputs with ``StepExecutionContext.get_output_asset_keys()``, which walks every output of the
step and, for each, rebuilds ``AssetsDefinition.asset_and_check_keys`` (a new set of all keys):
N x N x N work over a step. The second column runs the same with that set built once per node
(patched in this process only), to show how much of the time is that walk.

    python benchmarks/dagster_output_keys.py [N ...]      # default: 330 1000 2000
"""

import subprocess
import sys
import time


def worker(n: int, cached: bool) -> float:
    import logging

    import dagster as dg

    logging.getLogger("dagster").setLevel(logging.WARNING)
    if cached:
        from dagster._core.definitions.assets.job.asset_layer import AssetLayer

        original = AssetLayer.get_selected_entity_keys_for_node
        memo: dict[object, frozenset[object]] = {}

        def once(self, handle):  # type: ignore[no-untyped-def]
            key = (id(self), handle)
            if key not in memo:
                memo[key] = frozenset(original(self, handle))
            return memo[key]

        AssetLayer.get_selected_entity_keys_for_node = once  # type: ignore[method-assign]

    specs = [dg.AssetSpec(f"m{i}", deps=[f"m{i - 1}"] if i else []) for i in range(n)]
    checks = [dg.AssetCheckSpec("c", asset=f"m{i}") for i in range(0, n, 10)]

    @dg.multi_asset(specs=specs, check_specs=checks, can_subset=True)
    def chain(context):  # type: ignore[no-untyped-def]  # Dagster reads the hints
        for i in range(n):
            yield dg.MaterializeResult(asset_key=f"m{i}")
            if i % 10 == 0:
                yield dg.AssetCheckResult(asset_key=f"m{i}", check_name="c", passed=True)

    job = dg.Definitions(assets=[chain]).resolve_implicit_global_asset_job_def()
    with dg.DagsterInstance.ephemeral() as instance:
        started = time.perf_counter()
        assert job.execute_in_process(instance=instance).success
        return time.perf_counter() - started


def main() -> None:
    if sys.argv[1:2] == ["--worker"]:
        print(worker(int(sys.argv[2]), sys.argv[3] == "cached"))
        return
    sizes = [int(a) for a in sys.argv[1:]] or [330, 1000, 2000]
    print("outputs   as released   key set built once   share of the walk")
    for n in sizes:
        seconds = {}
        for mode in ("released", "cached"):
            command = [sys.executable, __file__, "--worker", str(n), mode]
            out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
            seconds[mode] = float(out.strip().splitlines()[-1])
        share = 1 - seconds["cached"] / seconds["released"]
        print(f"{n:7d}   {seconds['released']:10.1f}s   {seconds['cached']:17.1f}s   {share:16.0%}")


if __name__ == "__main__":
    main()
