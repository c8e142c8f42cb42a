"""The package as installed: its public names, and what importing it costs."""

from __future__ import annotations

import subprocess
import sys

import floe_dagster_schedules


def test_public_names_are_exported() -> None:
    for name in floe_dagster_schedules.__all__:
        assert hasattr(floe_dagster_schedules, name), name
    assert floe_dagster_schedules.__version__ == "0.1.0"


def test_importing_it_and_checking_a_timezone_do_not_import_dagster() -> None:
    # Importing dagster takes about a second: only cron checks and schedules need it.
    code = (
        "import sys, floe_dagster_schedules as s\n"
        "s.validate_timezone('Europe/London')\n"
        "assert 'dagster' not in sys.modules, 'dagster imported'\n"
        "s.validate_cron('@daily')\n"
        "assert 'dagster' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
