"""``floe-dagster``: run, inspect and deploy a floe data product on Dagster from a shell.

User mistakes (bad artifacts, a bad cron, a missing file, a bad option) end with one short line
on stderr and exit status 2; nothing prints a traceback unless ``--debug`` is given. A run that
fails says which models failed, with the database's message, and which did not run.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from floe_orchestrator_contract import (
    ContractValidationError,
    PluginError,
    PluginRegistry,
    clip_text,
    read_json_file,
)

from .__about__ import __version__

if TYPE_CHECKING:
    from ._progress import RunProgress

__all__ = ["main"]

USAGE_ERROR = 2
RUN_FAILED = 1
# Longest error line printed for anything that is not a ContractValidationError (those cap
# themselves); the full text is what --debug shows.
_MAX_ERROR_CHARS = 500
_MAX_NAMES = 20


class _UserError(Exception):
    """A mistake the user can fix; its message is printed as one line."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a mistake is one line (no usage block) and exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(
            USAGE_ERROR,
            f"{self.prog}: error: {clip_text(message, _MAX_ERROR_CHARS)} "
            f"(see {self.prog} --help)\n",
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return USAGE_ERROR
    try:
        return int(args.run(args))
    except KeyboardInterrupt:
        print("floe-dagster: interrupted", file=sys.stderr)
        return 130
    except Exception as error:
        if args.debug or not isinstance(error, _user_errors()):
            raise
        print(f"floe-dagster: error: {_one_line(error)}", file=sys.stderr)
        return USAGE_ERROR


def _user_errors() -> tuple[type[Exception], ...]:
    """Exceptions that mean the input was wrong, not this program."""
    errors: tuple[type[Exception], ...] = (
        _UserError,
        ContractValidationError,
        PluginError,
        ValueError,
        OSError,
    )
    # dbt could not parse the project (e.g. the artifacts' dbt_profiles lack its profile): its
    # own words explain it. Looked up only if the assets package was imported by then.
    assets = sys.modules.get("floe_dagster_assets")
    parse_error = getattr(assets, "DbtParseError", None)
    if isinstance(parse_error, type) and issubclass(parse_error, Exception):
        errors += (parse_error,)
    return errors


def _one_line(error: BaseException) -> str:
    if isinstance(error, ContractValidationError):
        return error.one_line()
    if isinstance(error, FileNotFoundError) and error.filename:
        return f"no such file: {error.filename}"
    return clip_text(str(error) or type(error).__name__, _MAX_ERROR_CHARS)


def _names(names: Sequence[str]) -> str:
    """Up to the first 20 names, then how many more."""
    shown = ", ".join(names[:_MAX_NAMES])
    return shown + (f" and {len(names) - _MAX_NAMES} more" if len(names) > _MAX_NAMES else "")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="floe-dagster", description="Run a floe data product on Dagster.")
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
    run.add_argument(
        "--select",
        "-s",
        nargs="+",
        action="extend",
        metavar="SELECTOR",
        help="dbt selectors: model, +model, model+, 2+model, @model, tag:x, path:models/x, "
        "resource_type:seed, source:x+, a,b (both), a b (either)",
    )
    run.add_argument(
        "--exclude",
        nargs="+",
        action="extend",
        metavar="SELECTOR",
        help="dbt selectors to leave out",
    )
    run.add_argument(
        "--full-refresh", action="store_true", help="rebuild incremental models and seeds"
    )
    run.add_argument("--vars", metavar="YAML", help="dbt vars, e.g. '{start_date: 2024-01-01}'")
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
    connection.add_argument("--timeout", type=float, default=10.0, help="seconds, in total")
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
    from ._connection import connection_problems
    from ._plugin import DagsterOrchestratorPlugin

    plugin = DagsterOrchestratorPlugin(dagster_url=args.url, connection_timeout=args.timeout)
    settings = plugin.settings
    problems = connection_problems(
        settings.dagster_url, settings.request_headers(), settings.connection_timeout
    )
    if problems:
        raise ContractValidationError("invalid connection settings", problems)
    result = plugin.validate_connection()
    print(("ok: " if result.success else "failed: ") + result.message)
    return 0 if result.success else RUN_FAILED


def _check_schedule(args: argparse.Namespace) -> int:
    from floe_dagster_schedules import preview_fire_times, validate_schedule

    if not 1 <= args.next <= 1000:
        raise _UserError(f"--next: {args.next} is out of range (allowed: 1 to 1000)")
    cron, timezone = validate_schedule(args.cron, args.timezone)
    # Every fire time first: a cron that never fires (31 April) must not be called valid.
    moments = list(preview_fire_times(cron, timezone, args.next))
    print(f"{cron!r} in {timezone} is valid; next {args.next} fire times:")
    for moment in moments:
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

    # Read once up front: a directory, a FIFO, NaN or nesting too deep is reported as such.
    read_json_file(args.artifacts, "invalid compiled artifacts")
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
    # Keys under a product are longer: the columns follow the longest.
    width = max([36, *(len(k.to_user_string()) + 2 for k in keys)])
    groups = max([12, *(len(graph.get(k).group_name or "") + 2 for k in keys)])
    print(f"{'asset':<{width}}{'kind':<22}{'group':<{groups}}upstream")
    for key in keys:
        node = graph.get(key)
        kinds = (
            ",".join(sorted(node.kinds))
            if node.kinds
            else ("external" if not node.is_materializable else "")
        )
        upstream = ", ".join(sorted(p.to_user_string() for p in node.parent_keys)) or "-"
        group = node.group_name or "-"
        print(f"{key.to_user_string():<{width}}{kinds:<22}{group:<{groups}}{upstream}")
    for schedule in defs.schedules or []:
        print(
            f"schedule {schedule.name}: {schedule.cron_schedule} "
            f"({schedule.execution_timezone or 'UTC'}) -> job {schedule.job_name}"
        )
    return 0


def _materialize(args: argparse.Namespace) -> int:
    import dagster as dg

    from floe_dagster_assets import dbt_run_tags
    from floe_dagster_lineage import LOGGER_KEY, LineageConfig

    from ._progress import RunProgress, progress_logger

    # A mistake in --vars is named before anything is built.
    tags = dbt_run_tags(full_refresh=args.full_refresh, dbt_vars=args.vars)
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
    planned = _runnable(defs)
    chosen = ""
    if args.select or args.exclude:
        selection = _selection(plugin, defs, args)
        job = job.get_subset(
            asset_selection=set(selection.assets), asset_check_selection=set(selection.checks)
        )
        planned = {key.to_user_string() for key in selection.assets}
        chosen = f" ({len(selection.assets)} assets, {len(selection.checks)} checks)"
    progress.planned = planned
    loggers: dict[str, Any] = {k: {} for k in defs.loggers or {} if k.startswith(LOGGER_KEY)}
    run_config: dict[str, Any] = {"loggers": {"floe_progress": {}, **loggers}}
    print(f"materializing {_what(args)}{chosen}")
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
            run_config=run_config, instance=instance, tags=tags, raise_on_error=False
        )
    if not args.verbose:
        print(f"dbt output: {dbt_log}")
    plugin.shutdown()
    _summary(progress, result.success)
    return 0 if result.success else RUN_FAILED


def _what(args: argparse.Namespace) -> str:
    what = " ".join(args.select) if args.select else "every asset"
    if args.exclude:
        what += f" except {' '.join(args.exclude)}"
    options = [o for o, on in (("--full-refresh", args.full_refresh), ("--vars", args.vars)) if on]
    return what + (f" with {' '.join(options)}" if options else "")


def _runnable(defs: Any) -> set[str]:
    graph = defs.resolve_asset_graph()
    return {
        key.to_user_string()
        for key in graph.get_all_asset_keys()
        if graph.get(key).is_materializable
    }


def _selection(plugin: Any, defs: Any, args: argparse.Namespace) -> Any:
    """dbt's ``--select``/``--exclude`` resolved against the product's manifest; a selector
    that matches nothing, or names only ephemeral models or sources, is a user mistake."""
    from floe_dagster_assets import DbtSelectionError

    from ._definitions import load_products, product_manifest
    from ._select import resolve_run_selection

    (product,) = load_products(args.artifacts, plugin.settings)
    try:
        return resolve_run_selection(
            defs,
            product_manifest(product, plugin.settings),
            args.select or [],
            args.exclude or [],
            project_dir=product.project_dir(plugin.settings),
        )
    except DbtSelectionError as error:
        raise _UserError(str(error)) from None


def _summary(progress: RunProgress, success: bool) -> None:
    """Every asset the run meant to materialize (failed and not run too), then what failed."""
    rows = {key: (status, f"{seconds:>7.2f}s") for key, (status, seconds) in progress.done.items()}
    not_run = set(progress.not_run)
    for key in progress.planned - set(rows):
        name = key.rsplit("/", 1)[-1]
        rows[key] = ("not run" if name in not_run or key in not_run else "failed", f"{'-':>8}")
    width = max([40, *(len(key) + 2 for key in rows)])
    print(f"\n{'asset':<{width}}{'status':<14}{'time':>8}  checks")
    for key, (status, seconds) in sorted(rows.items()):
        checks = progress.checks.get(key, [])
        passed = sum(ok for _, ok in checks)
        shown = f"{passed}/{len(checks)} passed" if checks else "-"
        print(f"{key:<{width}}{status:<14}{seconds}  {shown}")
    if success:
        print("\nrun succeeded")
        return
    print("\nrun FAILED: " + clip_text("; ".join(progress.errors) or "see the log", 300))
    for failure in progress.failures[:_MAX_NAMES]:
        print(f"  - {clip_text(failure, 300)}")
    if len(progress.failures) > _MAX_NAMES:
        print(f"  ... and {len(progress.failures) - _MAX_NAMES} more failures")
    if progress.not_run:
        names = sorted(set(progress.not_run))
        print(f"  not run because something upstream failed: {_names(names)}")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
