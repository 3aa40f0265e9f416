"""Process measurements shared by the benchmarks (CPU seconds, peak RSS)."""

from __future__ import annotations

import os
import resource
from pathlib import Path


def cpu_s(pid: int | None = None) -> float:
    """CPU seconds (user + system) used so far by this process or ``pid``."""
    if pid is None:
        r = resource.getrusage(resource.RUSAGE_SELF)
        return r.ru_utime + r.ru_stime
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb() -> float:
    """Peak RSS of this process. VmHWM where /proc has it: ru_maxrss survives exec on
    Linux, so a worker would report its parent's peak when that is higher."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
