"""Run a benchmark child under ``/usr/bin/time -v`` and read its whole-process figures.

Shared by ``bench_grade.py`` and ``bench_indicators.py``: the peak RSS of the *whole
process* ("Maximum resident set size" of GNU time, which includes memory the child's
``getrusage`` would also see, but is measured from outside), its user and system CPU
seconds, its wall time and the load average before and after, so that every figure is
recorded with the load it was taken under (the machine is shared: compare times only as
ratios within one run).
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Mapping, Sequence
from typing import Any

TIME = "/usr/bin/time" if os.path.exists("/usr/bin/time") else None

_FIELDS = {
    "Maximum resident set size (kbytes)": ("peak_rss_mb", lambda v: round(int(v) / 1024, 1)),
    "User time (seconds)": ("user_s", float),
    "System time (seconds)": ("sys_s", float),
    "Percent of CPU this job got": ("cpu_percent", lambda v: int(v.rstrip("%"))),
}


def load() -> str:
    """The 1, 5 and 15 minute load averages as text (``"1.52 2.01 2.40"``)."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def spawn(cmd: Sequence[str], env: Mapping[str, str] | None = None) -> tuple[str, dict[str, Any]]:
    """Run ``cmd`` (under ``/usr/bin/time -v`` when present); its stdout and the figures.

    Raises ``RuntimeError`` with the end of stderr when the child fails.
    """
    full = [TIME, "-v", *cmd] if TIME else list(cmd)
    before = load()
    start = time.perf_counter()
    proc = subprocess.run(full, capture_output=True, text=True, check=False,
                          env={**os.environ, **(env or {})})
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n"
                           f"{proc.stderr[-3000:]}")
    stats: dict[str, Any] = {"wall": round(wall, 3), "load_before": before,
                             "load_after": load()}
    for line in proc.stderr.splitlines():
        key, _, value = line.strip().partition(": ")
        if key in _FIELDS:
            name, conv = _FIELDS[key]
            stats[name] = conv(value)
        elif key == "Command terminated by signal":  # pragma: no cover
            raise RuntimeError(f"{' '.join(cmd)}: {line}")
    if "peak_rss_mb" in stats:
        stats["peak_rss_gib"] = round(stats["peak_rss_mb"] / 1024, 3)
    return proc.stdout, stats
