"""Time ``compute_indicators`` from Parquet against three baselines, one process per run.

Each run is a fresh Python process (``run`` sub-command) that reads the Parquet tables of
``make_data.py``, computes the 15 indicators and reports, as one JSON line:

* ``seconds``: time of the indicator computation (reading the Parquet files included, the
  Python start-up and imports excluded);
* ``wall``: wall time of the whole process (measured by the parent);
* ``peak_rss_mb``: peak resident memory of the process (``/usr/bin/time -v``; the child's
  own ``getrusage`` figure is ``peak_rss_mb_self``).

Methods: ``custvalue`` (the library, polars streaming; default rules), ``duckdb_sql``,
``pandas`` (vectorised) and ``python_loop`` (see ``baselines.py``).  ``check`` compares the
numbers of every method with the library's.

``compare DATA --src A --src B`` runs the library's indicator stage alternately from two
source trees (``PYTHONPATH``), e.g. this worktree against a worktree of an earlier commit,
``--repeat`` times each, and reports the ratio of the medians (the later tree over the
first): the way to hold a change to "within 1.1× of the time before it" on a shared machine.
Every child runs under ``/usr/bin/time -v`` (``timev.py``): whole-process peak RSS, CPU
time and the load average before and after are in each JSON line.

Usage::

    python benchmarks/bench_indicators.py check benchmarks/data/100k
    python benchmarks/bench_indicators.py compare benchmarks/data/1M \
        --src ../scale-base/src --src src --repeat 3 --out benchmarks/results/issue13-1M.json
    python benchmarks/bench_indicators.py suite benchmarks/data/100k benchmarks/data/1M \\
        --repeat 3 --out benchmarks/results/results.json
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
METHODS = ("custvalue", "duckdb_sql", "pandas", "python_loop")


def _compute(method: str, folder: Path):
    sys.path.insert(0, str(HERE))
    if method == "custvalue":
        from custvalue.indicators import compute_indicators

        paths = {t: folder / f"{t}.parquet" for t in
                 ("customers", "monthly", "events", "cooperation", "energy")}
        return compute_indicators(**paths)
    import baselines

    if method == "duckdb_sql":
        return baselines.duckdb_sql(folder)
    if method == "pandas":
        return baselines.pandas_vectorised(folder)
    if method == "python_loop":
        return baselines.python_loop(folder)
    raise SystemExit(f"unknown method {method}")


def run(method: str, folder: Path) -> None:
    """Child process: compute once and print one JSON line."""
    if method == "custvalue":
        import custvalue.indicators  # noqa: F401  (imports are not timed)
    else:
        import duckdb  # noqa: F401
        import pandas  # noqa: F401
    t0 = time.perf_counter()
    out = _compute(method, folder)
    seconds = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"method": method, "data": str(folder), "rows": len(out),
                      "seconds": round(seconds, 3), "peak_rss_mb": round(rss, 1)}))


def spawn(method: str, folder: Path, src: Path | None = None) -> dict:
    """One child run (``src``: the source tree to import custvalue from)."""
    import timev

    env = {"PYTHONPATH": str(src.resolve())} if src is not None else None
    out, stats = timev.spawn([sys.executable, __file__, "run", method, str(folder)], env)
    result = json.loads(out.strip().splitlines()[-1])
    result["peak_rss_mb_self"] = result.pop("peak_rss_mb")
    stats.setdefault("peak_rss_mb", result["peak_rss_mb_self"])  # without GNU time
    return {**result, **stats, **({"src": str(src)} if src is not None else {})}


def compare(folder: Path, srcs: list[Path], repeat: int, out: Path | None) -> None:
    """The indicator stage from each source tree, alternating; ratios of the medians."""
    runs: list[dict] = []
    for _ in range(repeat):
        for src in srcs:
            result = spawn("custvalue", folder, src)
            runs.append(result)
            print(json.dumps(result), flush=True)
    summary = []
    for src in srcs:
        mine = [r for r in runs if r["src"] == str(src)]
        summary.append({"src": str(src), "seconds": [r["seconds"] for r in mine],
                        "seconds_median": statistics.median(r["seconds"] for r in mine),
                        "cpu_median": statistics.median(r["user_s"] + r["sys_s"] for r in mine),
                        "peak_rss_mb_max": max(r["peak_rss_mb"] for r in mine)})
    base = summary[0]
    for s in summary[1:]:
        s["ratio_seconds"] = round(s["seconds_median"] / base["seconds_median"], 3)
        s["ratio_cpu"] = round(s["cpu_median"] / base["cpu_median"], 3)
        s["ratio_pairs"] = [round(b / a, 3) for a, b in zip(base["seconds"], s["seconds"],
                                                              strict=True)]
    for s in summary:
        print(json.dumps(s), flush=True)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps({"runs": runs, "summary": summary}, indent=2) + "\n")


def _as_pandas(out):
    import polars as pl

    if isinstance(out, pl.DataFrame):
        out = out.to_pandas().set_index("customer_id")
    return out


def check(folder: Path, methods: list[str]) -> None:
    """Compare every method's numbers with the library's (rtol 1e-9; fees 1e-6 yuan)."""
    import numpy as np

    from custvalue.indicators import INDICATOR_NAMES

    ref = _as_pandas(_compute("custvalue", folder))[list(INDICATOR_NAMES)]
    for method in methods:
        if method == "custvalue":
            continue
        got = _as_pandas(_compute(method, folder))[list(INDICATOR_NAMES)]
        assert list(got.index) == list(ref.index), f"{method}: customers differ"
        for name in INDICATOR_NAMES:
            a, b = ref[name].to_numpy(float), got[name].to_numpy(float)
            same_missing = np.array_equal(np.isnan(a), np.isnan(b))
            atol = 1e-5 if name == "late_fee" else 1e-9
            close = np.allclose(a, b, rtol=1e-9, atol=atol, equal_nan=True)
            if not (same_missing and close):
                bad = np.flatnonzero(~np.isclose(a, b, rtol=1e-9, atol=atol, equal_nan=True))
                raise AssertionError(
                    f"{method}.{name}: {len(bad)} customers differ, e.g. "
                    f"{ref.index[bad[:3]].tolist()} {a[bad[:3]]} vs {b[bad[:3]]}")
        print(f"{method}: same numbers as custvalue on {len(ref):,} customers", flush=True)


def suite(folders: list[Path], repeat: int, methods: list[str], loop_max: int,
          out: Path | None) -> None:
    results = []
    for folder in folders:
        n = _customers(folder)
        for method in methods:
            if method == "python_loop" and n > loop_max:
                continue
            runs = [spawn(method, folder) for _ in range(repeat)]
            best = min(runs, key=lambda r: r["seconds"])
            summary = {**best, "customers": n,
                       "seconds_median": round(statistics.median(r["seconds"] for r in runs), 3),
                       "wall_median": round(statistics.median(r["wall"] for r in runs), 3),
                       "peak_rss_mb_max": max(r["peak_rss_mb"] for r in runs),
                       "repeat": repeat}
            results.append(summary)
            print(json.dumps(summary), flush=True)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(results, indent=2) + "\n")


def _customers(folder: Path) -> int:
    import pyarrow.parquet as pq

    return pq.ParquetFile(folder / "customers.parquet").metadata.num_rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_run = sub.add_parser("run", help="one timed computation (child process)")
    p_run.add_argument("method", choices=METHODS)
    p_run.add_argument("folder", type=Path)
    p_check = sub.add_parser("check", help="compare the baselines' numbers with custvalue")
    p_check.add_argument("folder", type=Path)
    p_check.add_argument("--methods", nargs="+", default=list(METHODS))
    p_suite = sub.add_parser("suite", help="time every method on every data folder")
    p_suite.add_argument("folders", type=Path, nargs="+")
    p_suite.add_argument("--repeat", type=int, default=3)
    p_suite.add_argument("--methods", nargs="+", default=list(METHODS))
    p_suite.add_argument("--loop-max", type=int, default=100_000,
                         help="largest customer count the Python loop runs on")
    p_suite.add_argument("--out", type=Path)
    p_cmp = sub.add_parser("compare", help="the library from two source trees, alternating")
    p_cmp.add_argument("folder", type=Path)
    p_cmp.add_argument("--src", type=Path, action="append", required=True,
                       help="a source tree (its src/ folder); give two, the baseline first")
    p_cmp.add_argument("--repeat", type=int, default=3)
    p_cmp.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.command == "run":
        run(args.method, args.folder)
    elif args.command == "compare":
        compare(args.folder, args.src, args.repeat, args.out)
    elif args.command == "check":
        check(args.folder, args.methods)
    else:
        suite(args.folders, args.repeat, args.methods, args.loop_max, args.out)


if __name__ == "__main__":
    main()
