"""Time the whole grade (checks → indicators → scores → tiers → save) from Parquet.

One fresh process per run; prints one JSON line with the per-stage timings of the grading's
manifest, the time to save it, the wall time of the process and its peak RSS.  The data is
written by ``make_data.py``.  The baseline is the indicator stage alone
(``bench_indicators.py run custvalue``): everything after it should add little.

Usage::

    python benchmarks/bench_grade.py benchmarks/data/100k benchmarks/data/1M [--no-checks]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TABLES = ("customers", "monthly", "events", "cooperation", "energy")


def run(folder: Path, checks: bool) -> None:
    """Child process: grade once and print one JSON line."""
    import custvalue

    paths = {t: folder / f"{t}.parquet" for t in TABLES}
    start = time.perf_counter()
    grading = custvalue.grade(**paths, check=checks)
    graded = time.perf_counter()
    with tempfile.TemporaryDirectory() as out:
        grading.save(out)
    saved = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({
        "customers": len(grading.table), "graded": int(grading.table["graded"].sum()),
        "grade_seconds": round(graded - start, 3), "save_seconds": round(saved - graded, 3),
        "stages": grading.manifest.timings, "peak_rss_mb": round(peak, 1),
    }))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="+", type=Path)
    parser.add_argument("--no-checks", action="store_true", help="grade(check=False)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run(args.folders[0], checks=not args.no_checks)
        return
    for folder in args.folders:
        cmd = [sys.executable, __file__, str(folder), "--child"]
        cmd += ["--no-checks"] if args.no_checks else []
        start = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - start
        if proc.returncode != 0:
            print(f"{folder}: failed\n{proc.stderr[-2000:]}", file=sys.stderr)
            continue
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        result["folder"], result["wall"] = str(folder), round(wall, 2)
        print(json.dumps(result))


if __name__ == "__main__":
    main()
