"""``floe-dagster``: run, inspect and deploy a floe data product on Dagster from a shell.

User mistakes (bad artifacts, a bad cron, a missing file) end with one line on stderr and exit
status 2; nothing prints a traceback unless ``--debug`` is given.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from floe_orchestrator_contract import ContractValidationError, PluginError, PluginRegistry

from .__about__ import __version__

if TYPE_CHECKING:
    from ._progress import RunProgress

__all__ = ["main"]

USAGE_ERROR = 2
RUN_FAILED = 1


class _UserError(Exception):
    """A mistake the user can fix; its message is printed as one line."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return USAGE_ERROR
    try:
        return int(args.run(args))
    except (_UserError, ContractValidationError, PluginError, ValueError, OSError) as error:
        if args.debug:
            raise
        print(f"floe-dagster: error: {_one_line(error)}", file=sys.stderr)
        return USAGE_ERROR
    except KeyboardInterrupt:
        print("floe-dagster: interrupted", file=sys.stderr)
        return 130


def _one_line(error: BaseException) -> str:
    problems = getattr(error, "problems", None)
    if problems:
        head = str(error).splitlines()[0]
        return f"{head}: " + "; ".join(str(p) for p in problems)
    if isinstance(error, FileNotFoundError) and error.filename:
        return f"no such file: {error.filename}"
    return " ".join(str(error).split()) or type(error).__name__


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="floe-dagster", description="Run a floe data product on Dagster."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def product_args(command: argparse.ArgumentParser) -> None:
        command.add_argument("artifacts", type=Path, help="compiled_artifacts.json")
        command.add_argument(
            "--project-dir",
            type=Path,
            help="the dbt project (default: FLOE_DBT_PROJECT_DIR, else the artifacts' directory)",
        )
        command.add_argument("--profiles-dir", type=Path, help="where profiles.yml is")

    run = commands.add_parser("materialize", help="materialize the product's assets in-process")
    product_args(run)
    run.add_argument("--select", nargs="+", metavar="MODEL", help="only these assets")
    run.add_argument("--lineage-file", type=Path, help="write OpenLineage events to this file")
    run.add_argument("--verbose", "-v", action="store_true", help="show dbt's own output too")
    run.set_defaults(run=_materialize)

    inspect = commands.add_parser("inspect", help="summarize the asset graph")
    product_args(inspect)
    inspect.set_defaults(run=_inspect)

    helm = commands.add_parser("helm-values", help="write values for the dagster/dagster chart")
    helm.add_argument("--size", choices=["small", "medium", "large"], default="small")
    helm.add_argument("--image", help="user-code image, repository:tag")
    helm.add_argument("--output", "-o", type=Path, default=Path("values.yaml"))
    helm.set_defaults(run=_helm_values)

    schedule = commands.add_parser("check-schedule", help="validate a cron and show fire times")
    schedule.add_argument("cron")
    schedule.add_argument("--timezone", "--tz", default="UTC")
    schedule.add_argument("--next", type=int, default=5, metavar="N")
    schedule.set_defaults(run=_check_schedule)

    connection = commands.add_parser("check-connection", help="does a Dagster webserver answer?")
    connection.add_argument("--url", help="default: DAGSTER_URL, else http://localhost:3000")
    connection.add_argument("--timeout", type=float, default=10.0)
    connection.set_defaults(run=_check_connection)

    plugins = commands.add_parser("plugins", help="list installed floe orchestrators")
    plugins.set_defaults(run=_plugins)
    return parser


# -- commands --------------------------------------------------------------------------------
def _plugins(_: argparse.Namespace) -> int:
    found = PluginRegistry().discover_all()
    if not found:
        print("no floe orchestrator plugins installed")
        return 0
    print(f"{'name':<12}{'distribution':<30}{'version':<10}entry point")
    for info in found:
        print(f"{info.name:<12}{info.distribution or '?':<30}{info.version or '?':<10}{info.value}")
    return 0


def _check_connection(args: argparse.Namespace) -> int:
    from ._plugin import DagsterOrchestratorPlugin

    result = DagsterOrchestratorPlugin(
        dagster_url=args.url, connection_timeout=args.timeout
    ).validate_connection()
    print(("ok: " if result.success else "failed: ") + result.message)
    return 0 if result.success else RUN_FAILED


def _check_schedule(args: argparse.Namespace) -> int:
    from floe_dagster_schedules import preview_fire_times, validate_schedule

    cron, timezone = validate_schedule(args.cron, args.timezone)
    if not 1 <= args.next <= 1000:
        raise _UserError(f"--next: {args.next} is out of range (allowed: 1 to 1000)")
    print(f"{cron!r} in {timezone} is valid; next {args.next} fire times:")
    for moment in preview_fire_times(cron, timezone, args.next):
        print(f"  {moment.isoformat()}  ({moment.strftime('%a')})")
    return 0


def _helm_values(args: argparse.Namespace) -> int:
    from ._plugin import DagsterOrchestratorPlugin

    plugin = DagsterOrchestratorPlugin(workload_size=args.size, image=args.image)
    path = plugin.write_helm_values(args.output)
    spec = plugin.get_resource_requirements(args.size)
    print(
        f"wrote {path} ({args.size}: cpu {spec.cpu_request}/{spec.cpu_limit}, "
        f"memory {spec.memory_request}/{spec.memory_limit} for user code and run pods)"
    )
    return 0


def _plugin_for(args: argparse.Namespace, **options: Any) -> Any:
    from ._plugin import DagsterOrchestratorPlugin

    if not args.artifacts.is_file():
        raise _UserError(f"no such file: {args.artifacts}")
    project = args.project_dir
    if project is None and not os.environ.get("FLOE_DBT_PROJECT_DIR"):
        project = args.artifacts.resolve().parent
    return DagsterOrchestratorPlugin(
        dbt_project_dir=project, dbt_profiles_dir=args.profiles_dir, **options
    )


def _inspect(args: argparse.Namespace) -> int:
    plugin = _plugin_for(args)
    defs = plugin.create_definitions(args.artifacts)
    graph = defs.resolve_asset_graph()
    keys = sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string())
    print(f"{len(keys)} assets, {len(list(defs.schedules or []))} schedules")
    print(f"{'asset':<36}{'kind':<22}{'group':<12}upstream")
    for key in keys:
        node = graph.get(key)
        kinds = (
            ",".join(sorted(node.kinds))
            if node.kinds
            else ("external" if not node.is_materializable else "")
        )
        upstream = ", ".join(sorted(p.to_user_string() for p in node.parent_keys)) or "-"
        print(f"{key.to_user_string():<36}{kinds:<22}{node.group_name or '-':<12}{upstream}")
    for schedule in defs.schedules or []:
        print(
            f"schedule {schedule.name}: {schedule.cron_schedule} "
            f"({schedule.execution_timezone or 'UTC'}) -> job {schedule.job_name}"
        )
    return 0


def _materialize(args: argparse.Namespace) -> int:
    import dagster as dg

    from floe_dagster_lineage import LOGGER_KEY, LineageConfig

    from ._progress import RunProgress, progress_logger

    lineage = None
    if args.lineage_file is not None:
        lineage = LineageConfig(namespace="floe", transport="file", endpoint=str(args.lineage_file))
    plugin = _plugin_for(args, lineage=lineage)
    progress = RunProgress()
    defs = plugin.create_definitions(
        args.artifacts, loggers={"floe_progress": progress_logger(progress)}
    )
    if not defs.assets:
        print("no models: nothing to materialize")
        return 0
    job = defs.resolve_implicit_global_asset_job_def()
    selection = [dg.AssetKey.from_user_string(name) for name in args.select or []]
    run_config: dict[str, Any] = {"loggers": {"floe_progress": {}, LOGGER_KEY: {}}}
    print(f"materializing {', '.join(args.select) if args.select else 'every asset'}")
    # dbt's own output goes to a log file unless --verbose: the progress lines are the summary.
    dbt_log = Path(plugin.settings.dbt_project_dir or ".") / "logs" / "floe-dagster-materialize.log"
    dbt_log.parent.mkdir(parents=True, exist_ok=True)
    # With DAGSTER_HOME set the run lands in that instance (visible in `dagster dev`).
    home = os.environ.get("DAGSTER_HOME")
    with (
        dg.DagsterInstance.get() if home else dg.DagsterInstance.ephemeral() as instance,
        dbt_log.open("w") as sink,
        contextlib.nullcontext() if args.verbose else contextlib.redirect_stdout(sink),
    ):
        result = job.execute_in_process(
            run_config=run_config,
            instance=instance,
            asset_selection=selection or None,
            raise_on_error=False,
        )
    if not args.verbose:
        print(f"dbt output: {dbt_log}")
    plugin.shutdown()
    _summary(progress, result.success)
    return 0 if result.success else RUN_FAILED


def _summary(progress: RunProgress, success: bool) -> None:
    print(f"\n{'asset':<40}{'status':<14}{'time':>8}  checks")
    for key, (status, seconds) in sorted(progress.done.items()):
        checks = progress.checks.get(key, [])
        passed = sum(ok for _, ok in checks)
        shown = f"{passed}/{len(checks)} passed" if checks else "-"
        print(f"{key:<40}{status:<14}{seconds:>7.2f}s  {shown}")
    print("\nrun succeeded" if success else "\nrun FAILED: " + "; ".join(progress.errors))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
