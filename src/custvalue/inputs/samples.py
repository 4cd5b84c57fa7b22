"""Synthetic but realistic sample tables for demos, tests and benchmarks.

The generator simulates a customer base of a supply company month by month, vectorised over
customers × months with numpy (no loop over customers).  What it models, and at what rates,
is listed in :data:`DEFAULT_RATES` and in ``data/samples/README.md``:

* class mix (residential majority; few large industrial customers with most of the energy),
  heavy-tailed consumption (lognormal by class), seasonality and a growth trend per customer;
* power-factor behaviour by class, with some chronically low customers; reactive metering
  only for customers of 100 kVA and more; reverse reactive energy for a few;
* payment archetypes: always on time, sometimes late, chronically late, in arrears;
* declared usage plans for large customers; rare violations and faults that hit others;
  cooperation records; energy audits for industrial customers;
* messiness at set rates: customers opening and closing inside the window, missing months,
  exact duplicate rows, negative corrections.

The same seed gives the same tables, bit for bit.

Examples
--------
>>> from custvalue.inputs.samples import generate
>>> tables = generate(50, months=12, seed=1)
>>> sorted(tables)
['cooperation', 'customers', 'energy', 'events', 'monthly']
>>> len(tables["customers"])
50
>>> generate(50, months=12, seed=1)["monthly"].equals(tables["monthly"])
True
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = [
    "DEFAULT_RATES",
    "SAMPLE_WINDOWS",
    "SampleRates",
    "generate",
    "generate_windows",
    "write_sample",
    "write_tables",
]

_CLASSES = np.array(
    ["large_industrial", "general_commercial_industrial", "agricultural", "residential"]
)
_CLASS_SHARE = np.array([0.03, 0.22, 0.05, 0.70])
# Median monthly kWh and lognormal sigma per class (heavy tails within a class).
_KWH_MEDIAN = np.array([400_000.0, 6_000.0, 2_500.0, 180.0])
_KWH_SIGMA = np.array([1.0, 1.2, 0.9, 0.6])
# Yuan per kWh, before noise (typical catalogue tariffs, all-in).
_PRICE = np.array([0.65, 0.78, 0.52, 0.56])
# Seasonal amplitude (summer peak for residential/commercial, spring for agriculture).
_SEASON_AMP = np.array([0.05, 0.15, 0.30, 0.25])
_SEASON_PEAK = np.array([7, 7, 4, 7])
_INDUSTRIES = {
    0: ["steel", "chemicals", "cement", "electronics", "paper"],
    1: ["retail", "hotel", "office", "food_processing", "logistics", "hospital"],
    2: ["irrigation", "greenhouse", "livestock"],
    3: ["household"],
}
_REGIONS = np.array(["north", "south", "east", "west", "central", "riverside"])
# Archetype shares: on time, sometimes late, chronically late, in arrears.
_PAY_SHARE = np.array([0.70, 0.18, 0.08, 0.04])
_P_LATE = np.array([0.0, 0.15, 0.75, 0.50])
_LATE_DAYS = np.array([0.0, 8.0, 25.0, 45.0])
_P_UNPAID = np.array([0.0, 0.0, 0.02, 0.25])
# tce per kWh of electricity (equivalent calorific value, 0.1229 kgce/kWh).
_TCE_PER_KWH = 0.1229e-3


@dataclass(frozen=True)
class SampleRates:
    """Rates of the messiness and of the rare events the generator plants.

    Attributes
    ----------
    join_in_window : float
        Share of customers whose account opens inside the simulated span.
    leave_in_window : float
        Share of customers whose account closes inside the simulated span.
    missing_month : float
        Probability that a month's record is missing.
    duplicate_row : float
        Probability that a month's record is sent twice (an exact duplicate).
    negative_correction : float
        Probability that a month carries a negative correction (net negative kWh and bill).
    low_power_factor : float
        Share of assessed customers whose power factor is chronically low.
    behaviour_change : float
        Share of customers whose payment and growth behaviour changes between windows.
    """

    join_in_window: float = 0.06
    leave_in_window: float = 0.04
    missing_month: float = 0.01
    duplicate_row: float = 0.003
    negative_correction: float = 0.002
    low_power_factor: float = 0.10
    behaviour_change: float = 0.15


DEFAULT_RATES = SampleRates()


def _month_starts(start: str, months: int) -> pd.DatetimeIndex:
    return pd.date_range(pd.Timestamp(start + "-01"), periods=months, freq="MS")


def _simulate(
    n: int, months: int, seed: int, start: str, rates: SampleRates, change_at: int | None
) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    periods = _month_starts(start, months)
    t = np.arange(months)

    # --- register -------------------------------------------------------------------------
    cls = rng.choice(4, size=n, p=_CLASS_SHARE)
    kva_median = np.array([2_500.0, 80.0, 120.0, 8.0])[cls]
    kva_sigma = np.array([0.8, 1.0, 0.6, 0.3])[cls]
    kva = np.round(kva_median * rng.lognormal(0.0, kva_sigma), 0)
    kva = np.where(cls == 0, np.maximum(kva, 315.0), np.maximum(kva, 4.0))
    voltage = np.select(
        [cls == 0, kva >= 100, cls == 3], [rng.choice([10.0, 35.0, 110.0], n), 10.0, 0.22], 0.4
    )
    industry = np.empty(n, dtype=object)
    for k, names in _INDUSTRIES.items():  # loop over four classes, not customers
        mask = cls == k
        industry[mask] = rng.choice(names, size=int(mask.sum()))
    region = rng.choice(_REGIONS, size=n)

    join = rng.random(n) < rates.join_in_window
    leave = rng.random(n) < rates.leave_in_window
    first_month = np.where(join, rng.integers(1, max(months - 6, 2), n), 0).clip(max=months - 1)
    last_month = np.where(leave, rng.integers(min(6, months - 1), months, n), months - 1)
    last_month = np.maximum(last_month, first_month + 3).clip(max=months - 1)
    opened_before = pd.Timestamp(start + "-01") - pd.to_timedelta(
        rng.integers(30, 365 * 15, n), unit="D"
    )
    opened = np.where(join, periods[first_month] + pd.to_timedelta(rng.integers(0, 10, n), "D"),
                      opened_before)
    closed_day = periods[last_month] + pd.offsets.MonthEnd(0)
    closed = pd.Series(np.where(leave & (last_month < months - 1), closed_day,
                                np.datetime64("NaT")),
                       dtype="datetime64[ns]")
    ids = np.array([f"C{i:06d}" for i in range(1, n + 1)])
    customers = pd.DataFrame(
        {
            "customer_id": ids,
            "customer_class": _CLASSES[cls],
            "contract_kva": kva,
            "voltage_kv": voltage,
            "industry": industry.astype(str),
            "region": region,
            "opened": pd.to_datetime(opened).normalize().date,
            "closed": pd.to_datetime(closed).dt.date,
        }
    )

    # --- consumption ----------------------------------------------------------------------
    base = _KWH_MEDIAN[cls] * rng.lognormal(0.0, _KWH_SIGMA[cls])
    growth = rng.normal(0.03, 0.08, n)
    changed = rng.random(n) < rates.behaviour_change if change_at is not None else np.zeros(n, bool)
    growth2 = np.where(changed, rng.normal(0.0, 0.25, n), growth)
    years = t / 12.0
    if change_at is None:
        log_level = np.outer(np.log1p(growth), years)
    else:
        pre = np.minimum(t, change_at) / 12.0
        post = np.maximum(t - change_at, 0) / 12.0
        log_level = np.outer(np.log1p(growth), pre) + np.outer(
            np.log1p(np.clip(growth2, -0.9, None)), post
        )
    month_of_year = periods.month.to_numpy()
    season = 1.0 + _SEASON_AMP[cls, None] * np.cos(
        2 * np.pi * (month_of_year[None, :] - _SEASON_PEAK[cls, None]) / 12.0
    )
    noise = rng.lognormal(0.0, 0.08, (n, months))
    kwh = base[:, None] * np.exp(log_level) * season * noise
    zero_month = rng.random((n, months)) < np.where(cls == 2, 0.03, 0.002)[:, None]
    kwh = np.where(zero_month, 0.0, kwh)

    # --- power factor ---------------------------------------------------------------------
    metered = (kva >= 100) & (cls != 3)
    low = rng.random(n) < rates.low_power_factor
    pf_centre = np.where(low, rng.uniform(0.78, 0.87, n), rng.uniform(0.90, 0.98, n))
    pf = np.clip(pf_centre[:, None] + rng.normal(0.0, 0.015, (n, months)), 0.5, 0.999)
    kvarh = kwh * np.tan(np.arccos(pf))
    has_reverse = metered & (rng.random(n) < 0.03)
    reverse_share = rng.uniform(0.05, 0.3, (n, months))
    reverse = np.where(has_reverse[:, None], kvarh * reverse_share, np.nan)
    kvarh = np.where(has_reverse[:, None], kvarh * (1 - reverse_share), kvarh)
    kvarh = np.where(metered[:, None], kvarh, np.nan)

    # --- bills and payments ---------------------------------------------------------------
    price = _PRICE[cls] * rng.uniform(0.95, 1.05, n)
    billed = kwh * price[:, None]
    neg = rng.random((n, months)) < rates.negative_correction
    kwh = np.where(neg, -kwh * rng.uniform(0.05, 0.3, (n, months)), kwh)
    billed = np.where(neg, kwh * price[:, None], billed)
    due = (periods + pd.offsets.MonthBegin(1) + pd.Timedelta(days=19)).to_numpy()
    archetype = rng.choice(4, size=n, p=_PAY_SHARE)
    if change_at is not None:
        new_arch = rng.choice(4, size=n, p=_PAY_SHARE)
        arch_t = np.where((t[None, :] >= change_at) & changed[:, None], new_arch[:, None],
                          archetype[:, None])
    else:
        arch_t = np.broadcast_to(archetype[:, None], (n, months))
    late = rng.random((n, months)) < _P_LATE[arch_t]
    unpaid = rng.random((n, months)) < _P_UNPAID[arch_t]
    partial = unpaid & (rng.random((n, months)) < 0.5)
    days = np.where(late, np.ceil(rng.exponential(1.0, (n, months)) * _LATE_DAYS[arch_t]) + 1, 0)
    early = rng.integers(0, 15, (n, months))
    offset_days = np.where(late, days, -early).astype("int64")
    paid_date = due[None, :] + offset_days.astype("timedelta64[D]")
    paid_amount = np.where(partial, np.round(billed * rng.uniform(0.2, 0.8, (n, months)), 2),
                           np.round(billed, 2))
    paid_amount = np.where(unpaid & ~partial, np.nan, paid_amount)
    paid_date = np.where(unpaid & ~partial, np.datetime64("NaT"), paid_date)
    planner = (cls == 0) | ((cls == 1) & (kva >= 315) & (rng.random(n) < 0.5))
    plan = np.round(kwh.clip(min=0) * rng.normal(1.0, 0.08, (n, months)), -1)
    plan = np.where(planner[:, None], np.abs(plan), np.nan)

    # --- assemble monthly rows (drop inactive and missing months; add duplicates) ----------
    active = (t[None, :] >= first_month[:, None]) & (t[None, :] <= last_month[:, None])
    keep = active & ~(rng.random((n, months)) < rates.missing_month)
    rows, cols = np.nonzero(keep)
    monthly = pd.DataFrame(
        {
            "customer_id": ids[rows],
            "period": periods[cols].strftime("%Y-%m"),
            "active_kwh": np.round(kwh[rows, cols], 1),
            "reactive_kvarh": np.round(kvarh[rows, cols], 1),
            "reverse_kvarh": np.round(reverse[rows, cols], 1),
            "billed_amount": np.round(billed[rows, cols], 2),
            "due_date": pd.to_datetime(due[cols]).date,
            "paid_date": pd.to_datetime(pd.Series(paid_date[rows, cols])).dt.date,
            "paid_amount": paid_amount[rows, cols],
            "planned_kwh": plan[rows, cols],
        }
    )
    # A paid-up correction needs no payment: credit notes are settled by netting.
    credit = monthly["billed_amount"] <= 0
    monthly.loc[credit, "paid_amount"] = monthly.loc[credit, "billed_amount"]
    monthly.loc[credit, "paid_date"] = monthly.loc[credit, "due_date"]
    dup = rng.random(len(monthly)) < rates.duplicate_row
    monthly = pd.concat([monthly, monthly[dup]]).sort_values(
        ["customer_id", "period"], kind="stable"
    ).reset_index(drop=True)

    # --- events ---------------------------------------------------------------------------
    exposure_months = (last_month - first_month + 1).astype(float)
    viol_rate = np.where(cls == 3, 0.01, 0.04) * rng.lognormal(0.0, 1.0, n)
    fault_rate = np.where(cls <= 1, 0.06, 0.01) * rng.lognormal(0.0, 1.0, n)
    frames = []
    for kind, rate in (("violation", viol_rate), ("fault_affecting_others", fault_rate)):
        count = rng.poisson(rate * exposure_months / 12.0)
        who = np.repeat(np.arange(n), count)
        month = first_month[who] + (rng.random(who.size) * exposure_months[who]).astype(int)
        day = rng.integers(0, 28, who.size)
        affected = (
            rng.geometric(0.15, who.size).astype(float) if kind != "violation"
            else np.full(who.size, np.nan)
        )
        frames.append(pd.DataFrame({
            "customer_id": ids[who],
            "date": (periods[month] + pd.to_timedelta(day, "D")).date,
            "kind": kind,
            "affected_customers": pd.array(affected, dtype="Int64"),
            "note": np.where(kind == "violation", "unauthorised load increase", "feeder trip"),
        }))
    events = pd.concat(frames).sort_values(["customer_id", "date", "kind"], kind="stable")
    events = events.reset_index(drop=True)

    # --- cooperation ----------------------------------------------------------------------
    propensity = rng.beta(4, 2, n)
    req_rate = np.where(cls == 3, 0.05, np.where(cls == 0, 3.0, 0.8))
    frames = []
    requested = rng.poisson(req_rate * exposure_months / 12.0)
    who = np.repeat(np.arange(n), requested)
    month = first_month[who] + (rng.random(who.size) * exposure_months[who]).astype(int)
    req_dates = periods[month] + pd.to_timedelta(rng.integers(0, 28, who.size), "D")
    frames.append(pd.DataFrame({"customer_id": ids[who], "date": req_dates.date,
                                "kind": "policy_requested", "score": np.nan}))
    done = rng.random(who.size) < propensity[who]
    frames.append(pd.DataFrame({
        "customer_id": ids[who[done]],
        "date": (req_dates[done] + pd.to_timedelta(rng.integers(5, 60, done.sum()), "D")).date,
        "kind": "policy_implemented", "score": np.nan,
    }))
    assessed = cls != 3
    n_years = int(np.ceil(months / 12))
    yr_who, yr = np.nonzero(np.broadcast_to(assessed[:, None], (n, n_years)))
    yr_month = np.minimum(yr * 12 + 11, months - 1)
    in_life = (yr_month >= first_month[yr_who]) & (yr_month <= last_month[yr_who])
    yr_who, yr_month = yr_who[in_life], yr_month[in_life]
    score = np.clip(np.round(1 + 4 * propensity[yr_who] + rng.normal(0, 0.5, yr_who.size), 1),
                    0, 5)
    frames.append(pd.DataFrame({"customer_id": ids[yr_who], "date": periods[yr_month].date,
                                "kind": "work_cooperation", "score": score}))
    sugg = rng.poisson(np.where(cls == 3, 0.01, 0.3) * propensity * exposure_months / 12.0)
    who = np.repeat(np.arange(n), sugg)
    month = first_month[who] + (rng.random(who.size) * exposure_months[who]).astype(int)
    frames.append(pd.DataFrame({
        "customer_id": ids[who],
        "date": (periods[month] + pd.to_timedelta(rng.integers(0, 28, who.size), "D")).date,
        "kind": "suggestion", "score": np.nan,
    }))
    cooperation = pd.concat(frames).sort_values(["customer_id", "date", "kind"], kind="stable")
    cooperation = cooperation.reset_index(drop=True)

    # --- energy audits (industrial customers, once a year) --------------------------------
    audited = (cls == 0) | ((cls == 1) & (kva >= 315) & (rng.random(n) < 0.6))
    share = rng.beta(5, 4, n)
    year0 = periods[0].year
    au_who, au_yr = np.nonzero(np.broadcast_to(audited[:, None], (n, n_years)))
    lo, hi = au_yr * 12, np.minimum(au_yr * 12 + 12, months)
    in_life = (hi - 1 >= first_month[au_who]) & (lo <= last_month[au_who])
    au_who, au_yr, lo, hi = au_who[in_life], au_yr[in_life], lo[in_life], hi[in_life]
    csum = np.concatenate([np.zeros((n, 1)), np.cumsum(np.clip(kwh, 0, None), axis=1)], axis=1)
    year_kwh = csum[au_who, hi] - csum[au_who, lo]
    elec = year_kwh * _TCE_PER_KWH
    yr_share = np.clip(share[au_who] + rng.normal(0, 0.02, au_who.size), 0.05, 0.99)
    total = np.round(elec / yr_share, 3)
    # the non-electric part electricity could replace (optional column, issue 13); drawn
    # last so that every other table is unchanged
    replaceable = np.round((total - np.round(elec, 3)) * rng.uniform(0.1, 0.8, n)[au_who], 3)
    energy = pd.DataFrame({
        "customer_id": ids[au_who],
        "year": (year0 + au_yr).astype("int64"),
        "total_energy_tce": total,
        "electricity_tce": np.round(elec, 3),
        "replaceable_tce": np.clip(replaceable, 0.0, None),
    })
    # important power users (optional register column, issue 13): a few large customers;
    # drawn last so that every other column is unchanged
    draw = rng.random(n)
    grade = np.select([(cls == 0) & (draw < 0.05), (kva >= 315) & (draw < 0.08),
                       (kva >= 100) & (draw < 0.02)], ["一级", "二级", "临时性"], "")
    customers["importance"] = pd.Series(grade, index=customers.index).replace("", None)
    return {
        "customers": customers,
        "monthly": monthly,
        "events": events,
        "cooperation": cooperation,
        "energy": energy,
    }


def generate(
    n_customers: int,
    months: int = 36,
    seed: int = 0,
    *,
    start: str = "2022-01",
    rates: SampleRates = DEFAULT_RATES,
) -> dict[str, pd.DataFrame]:
    """Generate the five input tables for ``n_customers`` over ``months`` months.

    Parameters
    ----------
    n_customers : int
        Number of customers in the register (≥ 1).
    months : int, default 36
        Number of billing months, starting at ``start``.
    seed : int, default 0
        Seed of the random generator; the same seed gives identical tables.
    start : str, default "2022-01"
        First billing month, ``YYYY-MM``.
    rates : SampleRates
        Rates of messiness and rare events.

    Returns
    -------
    dict of str to pandas.DataFrame
        ``customers``, ``monthly``, ``events``, ``cooperation`` and ``energy``, following
        the data contract (``custvalue.contract``).

    Examples
    --------
    >>> t = generate(20, months=24, seed=3)
    >>> t["monthly"]["period"].min(), t["monthly"]["period"].max()
    ('2022-01', '2023-12')
    """
    if n_customers < 1 or months < 1:
        raise ValueError("n_customers and months must be at least 1")
    return _simulate(n_customers, months, seed, start, rates, change_at=None)


def _slice_window(tables: dict[str, pd.DataFrame], lo: pd.Timestamp,
                  hi: pd.Timestamp) -> dict[str, pd.DataFrame]:
    """Cut a simulated span down to the months [lo, hi] and the customers active then."""
    cust = tables["customers"]
    opened = pd.to_datetime(cust["opened"])
    closed = pd.to_datetime(cust["closed"])
    alive = (opened <= hi) & (closed.isna() | (closed >= lo))
    register = cust[alive].copy()
    # A closing date after the window is not yet known at the window's end.
    register.loc[pd.to_datetime(register["closed"]) > hi, "closed"] = None
    ids = set(register["customer_id"])

    def within(frame: pd.DataFrame, column: str, fmt: str | None = None) -> pd.DataFrame:
        when = pd.to_datetime(frame[column], format=fmt)
        keep = (when >= lo) & (when <= hi) & frame["customer_id"].isin(ids)
        return frame[keep].reset_index(drop=True)

    energy = tables["energy"]
    energy = energy[(energy["year"] >= lo.year) & (energy["year"] <= hi.year)
                    & energy["customer_id"].isin(ids)].reset_index(drop=True)
    return {
        "customers": register.reset_index(drop=True),
        "monthly": within(tables["monthly"], "period", "%Y-%m"),
        "events": within(tables["events"], "date"),
        "cooperation": within(tables["cooperation"], "date"),
        "energy": energy,
    }


def generate_windows(
    n_customers: int,
    months: int = 36,
    windows: int = 2,
    seed: int = 0,
    *,
    start: str = "2022-01",
    rates: SampleRates = DEFAULT_RATES,
) -> list[dict[str, pd.DataFrame]]:
    """Generate consecutive grading windows for one evolving customer population.

    The population is simulated over ``months × windows`` months; some customers change
    behaviour (growth and payment) at each window boundary, some join and some leave.
    Each window's register holds the customers whose account was open at some time in that
    window; a closing date later than the window end is blanked (not yet known then).

    Examples
    --------
    >>> first, second = generate_windows(40, months=12, seed=2)
    >>> first["monthly"]["period"].max(), second["monthly"]["period"].min()
    ('2022-12', '2023-01')
    """
    if windows < 1:
        raise ValueError("windows must be at least 1")
    total = months * windows
    scaled = SampleRates(**{
        **rates.__dict__,
        "join_in_window": min(1.0, rates.join_in_window * windows),
        "leave_in_window": min(1.0, rates.leave_in_window * windows),
    })
    full = _simulate(n_customers, total, seed, start, scaled, change_at=months)
    starts = _month_starts(start, total)
    out = []
    for w in range(windows):
        lo = starts[w * months]
        hi = starts[(w + 1) * months - 1] + pd.offsets.MonthEnd(0)
        out.append(_slice_window(full, lo, hi))
    return out


#: Folder names of the committed sample windows, oldest first.
SAMPLE_WINDOWS: tuple[str, ...] = ("2022-2024", "2025-2027")
#: Size and seed of the committed sample.
SAMPLE_CUSTOMERS = 2000
SAMPLE_SEED = 20241


def write_tables(tables: dict[str, pd.DataFrame], folder: str | Path) -> list[Path]:
    """Write tables as ``<table>.csv`` files into ``folder`` (created if needed).

    The CSV form is fixed (ISO dates, empty cells for missing values, ``\\n`` line ends)
    so that the same tables always give the same bytes.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     [p.name for p in write_tables(generate(5, months=3, seed=1), d)]
    ['customers.csv', 'monthly.csv', 'events.csv', 'cooperation.csv', 'energy.csv']
    """
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in ("customers", "monthly", "events", "cooperation", "energy"):
        path = out / f"{name}.csv"
        tables[name].to_csv(path, index=False, lineterminator="\n")
        paths.append(path)
    return paths


def write_sample(folder: str | Path, n_customers: int = SAMPLE_CUSTOMERS,
                 seed: int = SAMPLE_SEED) -> list[Path]:
    """Write the bundled two-window sample (as under ``data/samples/``) into ``folder``.

    Returns the paths written.  ``python -m custvalue.inputs.samples data/samples`` regenerates
    the committed files.
    """
    paths: list[Path] = []
    for name, tables in zip(SAMPLE_WINDOWS, generate_windows(n_customers, seed=seed),
                            strict=True):
        paths += write_tables(tables, Path(folder) / name)
    return paths


if __name__ == "__main__":  # pragma: no cover - a maintenance entry point
    import sys

    for written in write_sample(sys.argv[1] if len(sys.argv) > 1 else "data/samples"):
        sys.stdout.write(f"{written}\n")
