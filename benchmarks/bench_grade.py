"""Time the whole grade (checks → indicators → scores → tiers → save) from Parquet.

One fresh process per run, under ``/usr/bin/time -v`` (whole-process peak RSS, CPU time);
prints one JSON line per run with the per-stage timings of the grading's manifest, the peak
RSS reached by the end of each stage (``getrusage`` read as each stage starts: the peak is
monotone, so the step from one stage to the next is what that stage added), the time to
save, the wall time, the load average before and after, and the peak RSS of GNU time.  The
data is written by ``make_data.py``.

The baseline is the indicator stage alone (``bench_indicators.py run custvalue``); with
``--indicators`` each repeat runs it too, alternating with the grade, and the JSON line has
``ratio`` = grade time / indicator-alone time of the same repeat (times on a shared machine
are only comparable as such ratios).

Usage::

    python benchmarks/bench_grade.py benchmarks/data/100k benchmarks/data/1M [--no-checks]
    python benchmarks/bench_grade.py benchmarks/data/1M --indicators --repeat 3 \\
        --out benchmarks/results/scale-1M.json
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import timev  # noqa: E402

TABLES = ("customers", "monthly", "events", "cooperation", "energy")


def _rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def run(folder: Path, checks: bool, save: bool) -> None:
    """Child process: grade once and print one JSON line."""
    import custvalue

    peaks: dict[str, float] = {}
    order: list[str] = []

    def progress(stage: str) -> None:
        if order:
            peaks[order[-1]] = _rss_mb()
        order.append(stage)

    paths = {t: folder / f"{t}.parquet" for t in TABLES if (folder / f"{t}.parquet").exists()}
    # imports are not timed (as in bench_indicators.py): the first custvalue.grade loads
    # the scoring stack (scipy, scikit-learn), seconds that do not grow with the data
    grade = custvalue.grade
    peaks["start"] = _rss_mb()
    start = time.perf_counter()
    grading = grade(**paths, check=checks, progress=progress)
    graded = time.perf_counter()
    peaks[order[-1]] = _rss_mb()
    saved = graded
    if save:
        with tempfile.TemporaryDirectory(dir=folder) as out:
            grading.save(out)
        saved = time.perf_counter()
        peaks["save"] = _rss_mb()
    print(json.dumps({
        "customers": len(grading.table), "graded": int(grading.table["graded"].sum()),
        "grade_seconds": round(graded - start, 3), "save_seconds": round(saved - graded, 3),
        "stages": grading.manifest.timings, "peak_rss_mb_by_stage_end": peaks,
        "peak_rss_mb_self": _rss_mb(),
    }))


def _grade(folder: Path, checks: bool, save: bool) -> dict[str, Any]:
    cmd = [sys.executable, __file__, str(folder), "--child"]
    cmd += [] if checks else ["--no-checks"]
    cmd += [] if save else ["--no-save"]
    out, stats = timev.spawn(cmd)
    result = json.loads(out.strip().splitlines()[-1])
    return {"what": "grade" + ("" if checks else " --no-checks"), "folder": str(folder),
            **result, **stats}


def _indicators(folder: Path) -> dict[str, Any]:
    out, stats = timev.spawn([sys.executable, str(HERE / "bench_indicators.py"), "run",
                              "custvalue", str(folder)])
    result = json.loads(out.strip().splitlines()[-1])
    return {"what": "indicators alone", "folder": str(folder), **result, **stats}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="+", type=Path)
    parser.add_argument("--no-checks", action="store_true", help="grade(check=False)")
    parser.add_argument("--no-save", action="store_true", help="do not time Grading.save")
    parser.add_argument("--indicators", action="store_true",
                        help="alternate each grade with the indicator stage alone")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--out", type=Path, help="write every run as a JSON list")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run(args.folders[0], checks=not args.no_checks, save=not args.no_save)
        return
    results: list[dict[str, Any]] = []
    for folder in args.folders:
        for _ in range(args.repeat):
            alone = _indicators(folder) if args.indicators else None
            try:
                result = _grade(folder, not args.no_checks, not args.no_save)
            except RuntimeError as exc:
                print(f"{folder}: {exc}", file=sys.stderr)
                continue
            if alone is not None:
                print(json.dumps(alone), flush=True)
                results.append(alone)
                result["ratio"] = round(result["grade_seconds"] / alone["seconds"], 3)
                result["ratio_indicators_in_grade"] = round(
                    result["stages"]["indicators"] / alone["seconds"], 3)
            print(json.dumps(result), flush=True)
            results.append(result)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
