"""Experiment: the monthly sums of the indicators as one compiled loop (numba), not narwhals.

Why it is here: issue 3 asks for 1M customers in <= 3 s of indicator time on 2 cores.  The
library (narwhals expressions on polars) and the hand-written DuckDB query both take about
12 s.  This experiment measures how far a hand-written single pass gets on the same files:
pyarrow reads ``monthly.parquet`` in batches of 2**20 rows (ids and periods as dictionaries,
mapped once per dictionary), and one numba loop adds every row into the per-customer sums the
library's group-by computes (``_months`` ... ``_plan_sum``, default rules, fixed point).  The
per-customer step is not written out: five indicators are derived for the check only.

It is **not a baseline and not part of custvalue**: it would be a second implementation of
every indicator, for one engine, which the issue's "write each indicator once" rules out.
numba is not a dependency of the project; install it to run this::

    .venv/bin/pip install numba
    .venv/bin/python benchmarks/fused_kernel.py benchmarks/data/1M
    .venv/bin/python benchmarks/fused_kernel.py benchmarks/data/100k --check

``--check`` compares ``total_kwh``, ``revenue``, ``on_time_rate``, ``days_late`` and
``late_fee`` with ``compute_indicators`` (same missing pattern, values to 1e-6).  The first
run compiles the loop (cached on disk); the timed run is the second, in the same process.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import time
from pathlib import Path

import numba
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

NULL_DAY = np.iinfo(np.int32).min
FLOATS = ("active_kwh", "reactive_kvarh", "reverse_kvarh", "billed_amount", "paid_amount",
          "planned_kwh")
# Columns of the per-customer sums (as in the library's group-by).
(MONTHS, PMIN, PMAX, KWH, KWHN, BILLED, BILLEDN, Y0, N0, Y1, N1, Y2, N2, KVR, PFR, OK90,
 OK85, OK80, BILL, ONTIME, BDUE, UNPAID, WDAYS, FEE0, FEE1, PLANR, PLANA, PLANS,
 NCOL) = range(29)


@numba.njit(cache=True)
def _jan1(y: int) -> int:
    y1 = y - 1
    return 365 * (y - 1970) + y1 // 4 - y1 // 100 + y1 // 400 - 477


@numba.njit(cache=True)
def _year_of(days: int) -> int:
    # Civil year of an epoch day (H. Hinnant's days-to-civil algorithm).
    z = days + 719468
    era = (z if z >= 0 else z - 146096) // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    month = mp + 3 if mp < 10 else mp - 9
    return yoe + era * 400 + (1 if month <= 2 else 0)


@numba.njit(cache=True)
def _fixed(x: float, scale: float) -> int:
    return np.int64(np.floor(x * scale + 0.5))


@numba.njit(cache=True)
def accumulate(acc, code, p, kwh, fwd, rev, billed, paid_amt, plan, due, paid_day,
               ws, we, as_of):  # pragma: no cover - compiled
    """Add one batch of monthly rows into ``acc`` (customers x NCOL), default rules."""
    first = ws + (we - ws + 1) % 12  # first month of the whole 12-month blocks
    for i in range(code.shape[0]):
        c, pi = code[i], p[i]
        if c < 0 or pi < ws or pi > we:
            continue
        a = acc[c]
        a[MONTHS] += 1
        a[PMIN] = min(a[PMIN], pi)
        a[PMAX] = max(a[PMAX], pi)
        k = kwh[i]
        km = 0
        if not np.isnan(k):
            km = _fixed(k, 1000.0)
            a[KWH] += km
            a[KWHN] += 1
            if pi >= first:
                block = (pi - first) // 12
                a[Y0 + 2 * block] += km
                a[N0 + 2 * block] += 1
        bc = 0
        if not np.isnan(billed[i]):
            bc = _fixed(billed[i], 100.0)
            a[BILLED] += bc
            a[BILLEDN] += 1
        f, r = fwd[i], rev[i]
        if not (np.isnan(f) and np.isnan(r)):
            a[KVR] += 1
            if k > 0:
                kv = (0.0 if np.isnan(f) else abs(f)) + (0.0 if np.isnan(r) else abs(r))
                cents = np.floor(k / np.sqrt(k * k + kv * kv) * 100.0 + 0.5 + 1e-9)
                a[PFR] += 1
                a[OK90] += cents >= 90
                a[OK85] += cents >= 85
                a[OK80] += cents >= 80
        d, pd_ = due[i], paid_day[i]
        if bc > 0 and d != NULL_DAY and d <= as_of:
            a[BILL] += 1
            a[BDUE] += bc
            paid = 0
            if pd_ != NULL_DAY and pd_ <= as_of and not np.isnan(paid_amt[i]):
                paid = min(max(_fixed(paid_amt[i], 100.0), 0), bc)
            if paid >= bc - 0.5 and pd_ != NULL_DAY and pd_ <= d:
                a[ONTIME] += 1
            unpaid = bc - paid if paid < bc - 0.5 else 0
            lpd = pd_ - d if paid > 0 and pd_ != NULL_DAY and pd_ > d else 0
            lud = as_of - d if unpaid > 0 and d < as_of else 0
            a[UNPAID] += unpaid
            a[WDAYS] += paid * lpd + unpaid * lud
            if lpd > 0 or lud > 0:
                dec31 = _jan1(_year_of(d) + 1) - 1
                pcur = min(pd_, dec31) - d if lpd > 0 else 0
                ucur = min(as_of, dec31) - d if lud > 0 else 0
                py, uy = paid / 100.0, unpaid / 100.0
                fee0 = (py * (0.001 * pcur + 0.001 * (lpd - pcur))
                        + uy * (0.001 * ucur + 0.001 * (lud - ucur)))
                fee1 = (py * (0.002 * pcur + 0.003 * (lpd - pcur))
                        + uy * (0.002 * ucur + 0.003 * (lud - ucur)))
                a[FEE0] += _fixed(max(fee0, 1.0), 1e6)
                a[FEE1] += _fixed(max(fee1, 1.0), 1e6)
        if not np.isnan(plan[i]):
            a[PLANR] += 1
            a[PLANS] += _fixed(plan[i], 1000.0)
            a[PLANA] += km


def _floats(array: pa.Array) -> np.ndarray:
    if array.null_count:
        array = pc.fill_null(array, np.nan)
    return array.to_numpy(zero_copy_only=False)


def _days(array: pa.Array) -> np.ndarray:
    return pc.fill_null(array.cast(pa.int32()), NULL_DAY).to_numpy(zero_copy_only=False)


def _month_index(text: str) -> int:
    return int(text[:4]) * 12 + int(text[5:7]) - 1


def monthly_sums(folder: Path) -> tuple[pd.Index, np.ndarray, pd.DataFrame]:
    """The per-customer sums of ``folder``'s monthly table (36 months to the latest)."""
    register = pq.read_table(folder / "customers.parquet",
                             columns=["customer_id", "customer_class"])
    ids = pd.Index(register["customer_id"].to_numpy(zero_copy_only=False))
    source = pq.ParquetFile(folder / "monthly.parquet",
                            read_dictionary=["customer_id", "period"])
    latest = max(pc.max(chunk.dictionary).as_py()
                 for g in range(source.num_row_groups)
                 for chunk in source.read_row_group(g, columns=["period"])["period"].chunks)
    we = _month_index(latest)
    ws = we - 35
    year, month = divmod(we + 1, 12)
    as_of = (dt.date(year, month + 1, 1) - dt.date(1970, 1, 2)).days
    acc = np.zeros((len(ids), NCOL), np.int64)
    acc[:, PMIN], acc[:, PMAX] = 1 << 40, -1
    codes: dict[tuple[int, int], np.ndarray] = {}  # one lookup per Parquet dictionary
    for batch in source.iter_batches(batch_size=1 << 20):
        cid, per = batch.column("customer_id"), batch.column("period")
        key = (cid.dictionary.buffers()[1].address, len(cid.dictionary))
        if key not in codes:
            codes[key] = ids.get_indexer(cid.dictionary.to_numpy(zero_copy_only=False))
        months = np.array([_month_index(s) for s in per.dictionary.to_pylist()], np.int64)
        accumulate(acc, codes[key][cid.indices.to_numpy(zero_copy_only=False)],
                   months[per.indices.to_numpy(zero_copy_only=False)],
                   *[_floats(batch.column(c)) for c in FLOATS],
                   _days(batch.column("due_date")), _days(batch.column("paid_date")),
                   ws, we, as_of)
    return ids, acc, register.to_pandas()


def five_indicators(ids: pd.Index, acc: np.ndarray, register: pd.DataFrame) -> pd.DataFrame:
    residential = register["customer_class"].to_numpy() == "residential"
    bills = acc[:, BILL].astype(float)
    with np.errstate(all="ignore"):
        return pd.DataFrame({
            "total_kwh": np.where((acc[:, MONTHS] > 0) & (acc[:, KWHN] > 0),
                                  acc[:, KWH] / 1000.0, np.nan),
            "revenue": np.where((acc[:, MONTHS] > 0) & (acc[:, BILLEDN] > 0),
                                acc[:, BILLED] / 100.0, np.nan),
            "on_time_rate": np.where(bills > 0, acc[:, ONTIME] / bills, np.nan),
            "days_late": np.where(bills > 0, acc[:, WDAYS] / acc[:, BDUE], np.nan),
            "late_fee": np.where(bills > 0, np.where(residential, acc[:, FEE0],
                                                     acc[:, FEE1]) / 1e6, np.nan),
        }, index=ids).sort_index()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--check", action="store_true",
                        help="compare five indicators with compute_indicators")
    args = parser.parse_args()
    monthly_sums(args.folder)  # compiles the loop (or loads it from numba's cache)
    t0 = time.perf_counter()
    ids, acc, register = monthly_sums(args.folder)
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"monthly sums of {len(ids):,} customers: {seconds:.2f} s, peak RSS {peak:.0f} MB")
    if args.check:
        from custvalue.indicators import compute_indicators

        tables = ("customers", "monthly", "events", "cooperation", "energy")
        ref = compute_indicators(**{t: args.folder / f"{t}.parquet" for t in tables})
        ref = ref.to_pandas().set_index("customer_id").sort_index()
        got = five_indicators(ids, acc, register)
        for name in got.columns:
            a, b = got[name].to_numpy(float), ref[name].to_numpy(float)
            assert np.array_equal(np.isnan(a), np.isnan(b)), f"{name}: missing differ"
            assert np.allclose(a, b, rtol=0, atol=1e-6, equal_nan=True), f"{name} differs"
        print(f"same {', '.join(got.columns)} as compute_indicators")


if __name__ == "__main__":
    main()
