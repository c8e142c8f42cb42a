"""What the benchmarks measure a process by: its resident memory and its CPU time."""

from __future__ import annotations

import resource
from pathlib import Path


def rss_mb() -> float:
    """This process's resident memory now (Linux), in MB; 0 where /proc is not there."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return 0.0
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds() -> float:
    """CPU time of this process and of the child processes it waited for."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def peak_rss_mb() -> float:
    """The highest resident memory this process has had so far (Linux: ru_maxrss in KB), in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
