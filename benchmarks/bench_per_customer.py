"""The per-customer stage (score + tier) against plain numpy doing the same arithmetic.

Run from the repository root::

    .venv/bin/python benchmarks/bench_per_customer.py --customers 1000000 --repeat 5
    .venv/bin/python benchmarks/bench_per_customer.py --profile   # cProfile of the library

**The indicator table** (not timed): ``--base`` customers (default 20,000) from
:func:`custvalue.samples.generate` (36 months, seed ``--seed``) are graded once, and the
grading's register columns and raw indicators (what the indicator stage gives: float
indicators with missing values, Arrow-backed ``reason__*`` codes, ``exposure_months``,
``closed`` dates) are tiled to ``--customers`` rows with renumbered ids, each float
indicator multiplied by a seeded log-normal jitter (σ = 5 %) and clipped to its observed
range, so that scores rarely tie.  About 4 % of the customers are departed accounts and
1 % short histories (ungraded by the default eligibility rule), as in the sample.  The
table is cached in ``benchmarks/data/per_customer_<n>.parquet``.

**The library**: :func:`custvalue.pipeline.score_and_tier` with the default scheme (the
code :func:`custvalue.grade` and :meth:`Grading.rescore` run after the indicator table
exists): normalisation, missing-value policies, weighted aggregation, eligibility, quota
tiers, ABC, reasons, labels, notes, percentile, provisional tiers and the grading table.

**The baseline** (:func:`numpy_baseline`): the same columns with plain numpy on arrays taken
from the same frames -- the same normalisation (the default scheme's ``log_minmax``,
winsorised ``minmax`` and ``threshold``), the same missing-value policies and re-spread
weighted sum, the same eligibility, the same ranks (score rounded at ``RANK_DECIMALS``,
ties by ``customer_id``), the same largest-remainder quota tiers and ABC by count, the same
percentile and provisional tiers; labels, notes and reasons as integer codes.  No frame is
built.  Before timing, its scores, ranks, tiers, ABC classes, percentiles, provisional tiers
and reasons are checked equal to the library's (an ``AssertionError`` otherwise), so that the
comparison is of the same work.

Runs alternate (library, baseline, library, ...) in one process after a warm-up; the
report gives each one's best and median wall time, the ratio of the bests and of the
medians, the CPU time, and the peak memory of one further run of each under
``tracemalloc`` (numpy and Python allocations; Arrow's are not traced), plus the process's
peak RSS.  One JSON line on stdout.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import resource
import statistics
import sys
import time
import tracemalloc
import warnings
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from custvalue.grading import RANK_DECIMALS, REGISTER_COLUMNS
from custvalue.scoring.scheme import Scheme

HERE = Path(__file__).resolve().parent
WINDOW_LAST_DAY = dt.date(2024, 12, 31)  # the sample's 36 months end in 2024-12


# ------------------------------------------------------------------------- the table
def base_table(n_base: int, seed: int) -> pd.DataFrame:
    """Register columns and raw indicators of ``n_base`` sample customers (one grade)."""
    import custvalue

    tables = custvalue.samples.generate(n_base, months=36, seed=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        grading = custvalue.grade(**tables, duplicates="last", negative_energy="allow",
                                  check=False)
    table = grading.table
    first = next(i for i, c in enumerate(table.columns)
                 if c.startswith(("norm__", "dim__")) or c == "score")
    return table[list(table.columns[:first])].reset_index()


def tiled(base: pd.DataFrame, n: int, seed: int) -> pd.DataFrame:
    """``base`` repeated to ``n`` rows, ids renumbered, float indicators jittered."""
    rng = np.random.default_rng(seed)
    pos = np.tile(np.arange(len(base)), -(-n // len(base)))[:n]
    out = base.iloc[pos].reset_index(drop=True)
    out["customer_id"] = pd.array(
        np.char.add("C", np.char.zfill(np.arange(1, n + 1).astype(str), 8)), dtype="str")
    for c in out.columns:
        if out[c].dtype == np.float64 and c not in REGISTER_COLUMNS:
            v = out[c].to_numpy()
            lo, hi = np.nanmin(v), np.nanmax(v)
            out[c] = np.clip(v * np.exp(rng.normal(0.0, 0.05, n)), lo, hi)
    return out


def indicator_table(n: int, n_base: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(register, indicators) of ``n`` customers, indexed by ``customer_id`` (sorted)."""
    cache = HERE / "data" / f"per_customer_{n}_{n_base}_{seed}.parquet"
    if cache.exists():
        frame = pd.read_parquet(cache)
    else:
        frame = tiled(base_table(n_base, seed), n, seed)
        cache.parent.mkdir(parents=True, exist_ok=True)
        frame.to_parquet(cache)
    frame = frame.set_index("customer_id")
    reg = [c for c in REGISTER_COLUMNS if c in frame.columns]
    return frame[reg], frame[[c for c in frame.columns if c not in reg]]


# ------------------------------------------------------------------------- the baseline
def _hamilton(n: int, quotas: tuple[float, ...]) -> np.ndarray:
    """Largest-remainder seats (exact fractions; equal remainders to the better tier)."""
    fr = [Fraction(q).limit_denominator(10**9) for q in quotas]
    fr = [f / sum(fr) for f in fr]
    exact = [n * f for f in fr]
    seats = [math.floor(x) for x in exact]
    for i in sorted(range(len(fr)), key=lambda i: (seats[i] - exact[i], i))[:n - sum(seats)]:
        seats[i] += 1
    return np.asarray(seats)


def _order(x: np.ndarray) -> np.ndarray:
    """Non-NaN positions, largest first, ties by position (a stable argsort)."""
    idx = np.flatnonzero(~np.isnan(x))
    return idx[np.argsort(-x[idx], kind="stable")]


def numpy_baseline(register: pd.DataFrame, indicators: pd.DataFrame, scheme: Scheme,
                   last_day: dt.date) -> dict[str, np.ndarray]:
    """The per-customer columns with plain numpy (the default scheme's methods only)."""
    n = len(indicators)
    items = list(scheme.iter_indicators())
    w, dim_of, v = scheme.weight_arrays()
    n_dims = len(v)
    norm = np.empty((n, len(items)), order="F")
    for i, (_, _, ind) in enumerate(items):
        x = indicators[ind.column].to_numpy(dtype=float)
        nrm = ind.normalisation
        present = x[~np.isnan(x)]
        if nrm.winsorise is not None:
            lo, hi = np.quantile(present, nrm.winsorise)
            x, present = np.clip(x, lo, hi), np.clip(present, lo, hi)
        if nrm.method == "threshold":
            y = np.clip((x - nrm.lower) / (nrm.upper - nrm.lower), 0.0, 1.0)
        elif nrm.method in ("minmax", "log_minmax"):
            if nrm.method == "log_minmax":
                x = np.sign(x) * np.log1p(np.abs(x))
                present = np.sign(present) * np.log1p(np.abs(present))
            low, high = present.min(), present.max()
            y = np.clip((x - low) / (high - low), 0.0, 1.0) if high > low else \
                np.where(np.isnan(x), np.nan, 0.5)
        else:
            raise NotImplementedError(nrm.method)
        norm[:, i] = y if ind.direction == "benefit" else 1.0 - y
    # missing-value policies and the re-spread weighted sum, dimension by dimension
    ungraded = np.zeros(n, dtype=bool)
    fill = {"neutral": 0.5, "worst": 0.0}
    den = np.zeros((n_dims, n))
    num = np.zeros((n_dims, n))
    for i, (_, _, ind) in enumerate(items):
        x = norm[:, i]
        miss = np.isnan(x)
        if ind.missing in fill:
            x, miss = np.where(miss, fill[ind.missing], x), np.zeros(n, dtype=bool)
        elif ind.missing == "ungraded":
            ungraded |= miss
        den[dim_of[i]] += np.where(miss, 0.0, w[i])
        num[dim_of[i]] += np.where(miss, 0.0, w[i] * x)
    dims_cfg = list(scheme.dimensions.values())
    dfill = np.array([fill.get(d.missing, np.nan) for d in dims_cfg])
    has = den > 0
    active = has | ~np.isnan(dfill)[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        dims = np.where(has, num / den, dfill[:, None])
        vd = v[:, None] * active
        total = vd.sum(axis=0)
        score = (np.where(active, vd * dims, 0.0)).sum(axis=0) / total
    for d, cfg in enumerate(dims_cfg):
        if cfg.missing == "ungraded":
            ungraded |= ~has[d]
    score = np.where(ungraded | (total == 0), np.nan, score) * 100.0
    dims = np.where(active, dims, np.nan) * 100.0
    # eligibility
    closed = register["closed"].to_numpy(dtype="datetime64[ns]")
    departed = closed.astype("datetime64[D]") <= np.datetime64(last_day)
    graded = ~np.isnan(score)
    exposure = indicators["exposure_months"].to_numpy(dtype=float)
    short = graded & ~departed & (exposure < scheme.eligibility.min_exposure_months)
    provisional = np.where(short, score, np.nan)
    drop = departed | short
    score = np.where(drop, np.nan, score)
    graded &= ~drop
    reason = np.where(graded, -1, np.where(departed, 1, np.where(short, 2, 0)))
    # ranks and quota tiers (score at RANK_DECIMALS, ties by customer_id)
    s = np.round(score, RANK_DECIMALS)
    order = _order(s)
    rank = np.zeros(n, dtype=np.int64)
    rank[order] = np.arange(1, order.size + 1)
    seats = _hamilton(order.size, scheme.tiers.quotas)
    tier = np.full(n, -1, dtype=np.int64)
    tier[order] = np.repeat(np.arange(len(seats)), seats)
    note = np.where(tier < 0, 0, -1)
    # percentile: graded customers with a strictly lower score
    ranked = s[order]
    last = np.ones(order.size, dtype=bool)
    last[:-1] = ranked[1:] != ranked[:-1]
    end = np.minimum.accumulate(np.where(last, np.arange(order.size), order.size)[::-1])[::-1]
    percentile = np.full(n, np.nan)
    percentile[order] = 100.0 * (order.size - 1 - end) / max(order.size, 1)
    # provisional tiers against the cut scores
    cuts = np.array([s[tier == k].min() if (tier == k).any() else np.inf
                     for k in range(len(seats))])
    p = np.round(provisional, RANK_DECIMALS)
    want = ~np.isnan(p)
    reach = p[want, None] >= cuts[None, :]
    ptier = np.full(n, -1, dtype=np.int64)
    ptier[want] = np.where(reach.any(axis=1), reach.argmax(axis=1), len(seats) - 1)
    # ABC by count on the scheme's basis
    basis = s if scheme.abc.basis == "score" else np.where(
        graded, indicators[scheme.abc.basis].to_numpy(dtype=float), np.nan)
    abc_order = _order(basis)
    abc = np.full(n, -1, dtype=np.int64)
    abc[abc_order] = np.repeat(np.arange(3), _hamilton(abc_order.size, scheme.abc.quotas))
    return {"norm": norm, "dims": dims, "score": score, "rank": rank, "graded": graded,
            "reason": reason, "provisional_score": provisional, "tier": tier,
            "tier_label": tier, "tier_note": note, "provisional_tier": ptier,
            "percentile": percentile, "abc": abc}


def library(register: pd.DataFrame, indicators: pd.DataFrame, scheme: Scheme,
            last_day: dt.date) -> pd.DataFrame:
    """The library's per-customer stage: the grading table."""
    from custvalue.pipeline import score_and_tier

    table, _ = score_and_tier(indicators, register, scheme, window_last_day=last_day)
    return table


def check_same(table: pd.DataFrame, base: dict[str, np.ndarray], scheme: Scheme) -> None:
    """The baseline's columns equal the library's (AssertionError otherwise)."""
    def ints(col: str) -> np.ndarray:
        return table[col].to_numpy(dtype=np.int64, na_value=-1)

    assert np.array_equal(ints("tier"), base["tier"]), "tiers differ"
    assert np.array_equal(ints("rank").clip(0), base["rank"]), "ranks differ"
    assert np.array_equal(ints("provisional_tier"), base["provisional_tier"])
    assert np.array_equal(table["graded"].to_numpy(dtype=bool), base["graded"])
    abc = table["abc"].cat.codes.to_numpy()
    assert np.array_equal(abc, base["abc"]), "ABC classes differ"
    for col in ("score", "percentile", "provisional_score"):
        np.testing.assert_allclose(table[col].to_numpy(dtype=float), base[col],
                                   rtol=0, atol=1e-9, err_msg=col)
    norm = table[[f"norm__{name}" for name in scheme.indicator_names]].to_numpy(dtype=float)
    np.testing.assert_allclose(norm, base["norm"], rtol=0, atol=1e-12, err_msg="norm")
    reason = table["reason"].astype(object).to_numpy()
    assert (reason[base["reason"] == 1] == "departed").all()
    assert (reason[base["reason"] == 2] == "short_history").all()
    assert pd.isna(reason[base["reason"] == -1]).all()
    labels = np.array(scheme.tiers.labels_zh, dtype=object)
    zh = table["tier_zh"].astype(object).to_numpy()
    has = base["tier"] >= 0
    assert (zh[has] == labels[base["tier"][has]]).all() and pd.isna(zh[~has]).all()


# ------------------------------------------------------------------------- timing
def _timed(fn: Any, *args: Any) -> tuple[float, float]:
    c0, t0 = time.process_time(), time.perf_counter()
    fn(*args)
    return time.perf_counter() - t0, time.process_time() - c0


def _peak(fn: Any, *args: Any) -> float:
    tracemalloc.start()
    fn(*args)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--base", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="cProfile one library run")
    args = parser.parse_args()
    register, indicators = indicator_table(args.customers, args.base, args.seed)
    scheme = Scheme.default()
    call = (register, indicators, scheme, WINDOW_LAST_DAY)
    table = library(*call)  # warm-up and the check of equal work
    check_same(table, numpy_baseline(*call), scheme)
    del table
    if args.profile:
        import cProfile
        import pstats

        prof = cProfile.Profile()
        prof.runcall(library, *call)
        pstats.Stats(prof, stream=sys.stderr).sort_stats("cumulative").print_stats(40)
        return
    runs: dict[str, list[tuple[float, float]]] = {"library": [], "numpy": []}
    for _ in range(args.repeat):  # alternate, so that both see the same machine load
        runs["library"].append(_timed(library, *call))
        runs["numpy"].append(_timed(numpy_baseline, *call))
    walls = {k: [w for w, _ in v] for k, v in runs.items()}
    out: dict[str, Any] = {
        "customers": len(indicators),
        "graded": int(numpy_baseline(*call)["graded"].sum()),
        "repeat": args.repeat,
        **{f"{k}_wall_best": round(min(w), 3) for k, w in walls.items()},
        **{f"{k}_wall_median": round(statistics.median(w), 3) for k, w in walls.items()},
        **{f"{k}_cpu_median": round(statistics.median(c for _, c in v), 3)
           for k, v in runs.items()},
        "ratio_best": round(min(walls["library"]) / min(walls["numpy"]), 2),
        "ratio_median": round(statistics.median(walls["library"])
                              / statistics.median(walls["numpy"]), 2),
        "library_peak_traced_mb": round(_peak(library, *call), 1),
        "numpy_peak_traced_mb": round(_peak(numpy_baseline, *call), 1),
        "process_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
                                     / 1024, 1),
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
