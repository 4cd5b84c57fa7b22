r"""Group analyses of seed 000 §3.2: each group's annual series, trend, concentration, credit
and prospects.

Seed 000 (§3.2, 电力客户分级管理) asks, for each customer group: its share of the total
(各类客户群的消费额在总消费额中的比重), its top customers and their share of the group
(消费额靠前的客户及其在该类消费额中的比重), its consumption trend and prospects
(各类客户消费趋势、发展前景) and its credit standing (客户的信用度).  :func:`group_trends`
computes them from the **monthly** billing table (the grading table holds window totals,
not years) for groups formed by any column of the grading table: ``tier`` (default), ``abc``
or a register column such as ``customer_class`` or ``region``.

**Years of the window.**  Year *k* is the *k*-th run of twelve months from the window's
start (``Y1`` = the first twelve months), so a window that does not start in January still
gives whole years.  A last run shorter than twelve months is scaled to a year
(× 12 / months) and flagged ``partial``; it is left out of the trend.

**Trend.**  The annual growth rate of kWh (and revenue) is the least-squares slope
:math:`b` of :math:`\log(\text{kWh}_k)` on the year *k* over the whole years, reported as
:math:`e^{b} - 1` (a compound annual rate that uses every year, not only the ends); NaN with
fewer than two whole years or a non-positive year.

**Prospect** (from the kWh trend, ``band`` default 2 % a year): ``growing`` above
``+band``, ``declining`` below ``-band``, else ``stable``; the statement gives the numbers,
e.g. ``growing: kWh 1.20 GWh (Y1) → 1.35 GWh (Y3), +6.1 % a year; revenue +5.4 % a year;
on time 96 %``.

**Credit** (over the window's bills): ``on_time_rate`` — bills paid in full by the due date
over bills; ``days_late`` — amount-weighted mean days paid after the due date (unpaid
bills count up to the end of the window); ``arrears_ratio`` — unpaid amount over billed.

**Concentration.**  ``kwh_share`` / ``revenue_share`` of the total; ``top_share`` — the
kWh of the group's ``top_k`` largest consumers over the group's kWh.

Everything is aggregated by polars over the monthly table joined with the customers'
groups; there is no loop over customers (only over the few groups, for the statements).

Examples
--------
>>> import custvalue
>>> t = custvalue.samples.generate(300, months=36, seed=4)
>>> g = custvalue.grade(**t, duplicates="last", negative_energy="allow")
>>> trends = group_trends(t["monthly"], g)
>>> trends.groups["prospect"].isin(["growing", "stable", "declining"]).all()
np.True_
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import polars as pl

from custvalue.errors import InvalidValueError, MissingColumnError
from custvalue.grading import Result, grading_table, jsonable

__all__ = ["BAND", "GroupTrends", "group_trends"]

#: Growth a year within which a group is ``stable`` (± 2 %).
BAND = 0.02
_UNGRADED = "ungraded"


@dataclass(eq=False, repr=False)
class GroupTrends(Result):
    """Annual series, trend, concentration, credit and prospect of each group.

    Attributes
    ----------
    by : str
        The grouping column.
    window : (str, str)
        First and last month (``YYYY-MM``).
    series : pandas.DataFrame
        One row per group and year: ``group``, ``year`` (1, 2 ...), ``label`` (``Y1`` ...),
        ``start``, ``end`` (months), ``months``, ``partial``, ``customers`` (with a bill
        that year), ``kwh``, ``revenue`` (a partial year scaled to twelve months).
    groups : pandas.DataFrame
        One row per group (index ``group``): ``customers``, ``kwh``, ``revenue`` (window
        totals), ``kwh_share``, ``revenue_share``, ``top_k``, ``top_share``,
        ``kwh_first``, ``kwh_last`` (first and last whole year), ``kwh_growth``,
        ``revenue_growth`` (a year), ``on_time_rate``, ``days_late``, ``arrears_ratio``,
        ``prospect`` and ``statement``.
    band : float
    """

    by: str
    window: tuple[str, str]
    series: pd.DataFrame
    groups: pd.DataFrame
    band: float = BAND

    def headline(self) -> str:
        counts = self.groups["prospect"].value_counts()
        parts = ", ".join(f"{counts.get(p, 0)} {p}" for p in ("growing", "stable", "declining")
                          if counts.get(p, 0))
        return (f"Group trends by {self.by}, {self.window[0]}…{self.window[1]}: "
                f"{len(self.groups)} groups ({parts or 'no trend'})")

    def to_frame(self) -> pd.DataFrame:
        """The per-group table."""
        return self.groups

    def to_dict(self) -> dict[str, Any]:
        return jsonable({"headline": self.headline(), "by": self.by,
                         "window": list(self.window), "band": self.band,
                         "groups": self.groups.reset_index().to_dict(orient="records"),
                         "series": self.series.to_dict(orient="records")})

    def to_text(self) -> str:
        lines = [self.headline()]
        for group, row in self.groups.iterrows():  # groups are few
            lines.append(f"  {group}: {row['statement']}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<{self.headline()}>"


# --------------------------------------------------------------------------- helpers
def _month_index(col: str, dtype: pl.DataType) -> pl.Expr:
    if dtype == pl.String:
        text = pl.col(col).str.slice(0, 7)
        year = text.str.slice(0, 4).cast(pl.Int32)
        month = text.str.slice(5, 2).cast(pl.Int32)
    else:
        year = pl.col(col).dt.year().cast(pl.Int32)
        month = pl.col(col).dt.month().cast(pl.Int32)
    return year * 12 + month - 1


def _parse_month(text: str) -> int:
    year, month = str(text)[:7].split("-")
    return int(year) * 12 + int(month) - 1


def _month_text(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _fmt_energy(kwh: float) -> str:
    if not math.isfinite(kwh):
        return "n/a"
    for unit, scale in (("TWh", 1e9), ("GWh", 1e6), ("MWh", 1e3)):
        if abs(kwh) >= scale:
            return f"{kwh / scale:.3g} {unit}"
    return f"{kwh:.3g} kWh"


def _pct(x: float, sign: bool = True) -> str:
    if not math.isfinite(x):
        return "n/a"
    return f"{x:+.1%}" if sign else f"{x:.0%}"


def _log_slope(years: np.ndarray, values: np.ndarray) -> float:
    """``exp(b) - 1`` of the least-squares slope of log(values) on years (NaN if undefined)."""
    if years.size < 2 or not (values > 0).all():
        return math.nan
    b = np.polyfit(years.astype(float), np.log(values), 1)[0]
    return float(math.expm1(b))


# --------------------------------------------------------------------------- the analysis
def group_trends(
    monthly: Any,
    grading: Any,
    by: str = "tier",
    *,
    window: tuple[str, str] | None = None,
    top_k: int = 10,
    band: float = BAND,
) -> GroupTrends:
    """Annual kWh and revenue series per group, their trend, concentration, credit, prospect.

    Parameters
    ----------
    monthly : DataFrame (pandas or polars) or path
        The monthly billing table of the data contract (``customer_id``, ``period``,
        ``active_kwh``, ``billed_amount``, ``due_date``, ``paid_date``, ``paid_amount``).
    grading : Grading, pandas.DataFrame or path
        Gives each customer's group (the ``by`` column); customers not in it are left out.
        Customers without a tier (departed accounts and short histories are ungraded by
        default, scheme ``[eligibility]``) form the group ``"ungraded"`` when ``by`` is
        ``"tier"`` or ``"abc"``; other missing values form ``"(missing)"``.
    by : str, default "tier"
        The grouping column of the grading table: ``tier``, ``abc``, ``customer_class``,
        ``region`` ...
    window : (str, str), optional
        First and last month ``YYYY-MM``.  Default: the grading's window (its manifest),
        else the months of the monthly table.
    top_k : int, default 10
        Customers in each group's top.
    band : float, default :data:`BAND`
        Growth a year inside which a group is ``stable``.

    Returns
    -------
    GroupTrends

    Raises
    ------
    MissingColumnError
        ``by`` is not a column of the grading table, or the monthly table lacks a column.
    InvalidValueError
        No month of the monthly table falls inside the window, or ``top_k < 1``.

    Examples
    --------
    >>> import custvalue
    >>> t = custvalue.samples.generate(300, months=36, seed=4)
    >>> g = custvalue.grade(**t, duplicates="last", negative_energy="allow")
    >>> trends = group_trends(t["monthly"], g, by="abc")
    >>> trends.groups.index.tolist(), trends.series["label"].unique().tolist()
    (['A', 'B', 'C', 'ungraded'], ['Y1', 'Y2', 'Y3'])
    >>> g.table.loc[g.table["abc"].isna(), "reason"].value_counts().to_dict()
    {'departed': 24, 'short_history': 4}
    """
    from custvalue.inputs.io import to_polars

    if not isinstance(top_k, int | np.integer) or top_k < 1:
        raise InvalidValueError("groups", "top_k", f"top_k must be a whole number >= 1 "
                                f"(got {top_k!r})")
    table = grading_table(grading)
    if by not in table.columns:
        raise MissingColumnError("grading", by, f"no column {by!r} to group by",
                                 fix="use tier, abc or a register column such as region")
    group = table[by].astype("string")
    if by in ("tier", "abc"):  # no tier, no ABC class: the same group under both
        ungraded = table["tier"].isna() if "tier" in table.columns else group.isna()
        group = group.mask(ungraded, _UNGRADED)
    group = group.fillna("(missing)")
    groups_frame = pl.DataFrame({"customer_id": table.index.to_numpy().astype(str),
                                 "group": group.to_numpy(dtype=object).astype(str)})
    frame = to_polars(monthly, "monthly")
    needed = ("customer_id", "period", "active_kwh", "billed_amount", "due_date",
              "paid_date", "paid_amount")
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise MissingColumnError("monthly", missing[0], "the group analysis needs this "
                                 "monthly column", fix="pass the monthly table of the grading")
    month = _month_index("period", frame.schema["period"])
    if window is None:
        known = getattr(getattr(grading, "manifest", None), "window", None) or {}
        if known.get("start") and known.get("end"):
            window = (str(known["start"]), str(known["end"]))
    if window is None:
        span = frame.select(month.min().alias("lo"), month.max().alias("hi")).row(0)
        if span[0] is None:
            raise InvalidValueError("monthly", "period", "the monthly table has no rows")
        window = (_month_text(span[0]), _month_text(span[1]))
    first, last = _parse_month(window[0]), _parse_month(window[1])
    months_in_window = last - first + 1
    as_of = dt.date(last // 12 + (last % 12 + 1) // 12, (last % 12 + 1) % 12 + 1, 1)

    bills = (
        frame.lazy()
        .with_columns(month.alias("_m"), pl.col("customer_id").cast(pl.String))
        .filter((pl.col("_m") >= first) & (pl.col("_m") <= last))
        .join(groups_frame.lazy(), on="customer_id", how="inner")
        .with_columns(
            ((pl.col("_m") - first) // 12 + 1).alias("year"),
            pl.col("billed_amount").fill_null(0.0).alias("_billed"),
            pl.col("paid_amount").fill_null(0.0).alias("_paid"),
            pl.col("active_kwh").fill_null(0.0).alias("_kwh"),
        )
        .with_columns(
            ((pl.col("_paid") >= pl.col("_billed") - 0.005)
             & pl.col("paid_date").is_not_null()
             & (pl.col("paid_date") <= pl.col("due_date"))).alias("_on_time"),
            ((pl.col("paid_date").fill_null(pl.lit(as_of)) - pl.col("due_date"))
             .dt.total_days().clip(lower_bound=0)).alias("_late"),
            (pl.col("_billed") - pl.col("_paid")).clip(lower_bound=0).alias("_unpaid"),
        )
        .collect()
    )
    if bills.height == 0:
        raise InvalidValueError("monthly", "period", f"no bill of the grading's customers in "
                                f"the window {window[0]}…{window[1]}")

    yearly = (bills.group_by("group", "year")
              .agg(pl.col("_kwh").sum().alias("kwh"), pl.col("_billed").sum().alias("revenue"),
                   pl.col("customer_id").n_unique().alias("customers"))
              .to_pandas())
    n_years = (months_in_window + 11) // 12
    year_months = np.minimum(12, months_in_window - 12 * np.arange(n_years))
    yearly = yearly.set_index(["group", "year"])
    names = sorted(table.assign(_g=group)["_g"].unique().tolist(),
                   key=lambda g: (g == _UNGRADED, len(g) if g.isdigit() else 0, g))
    full = pd.MultiIndex.from_product([names, range(1, n_years + 1)], names=["group", "year"])
    yearly = yearly.reindex(full)
    yearly["customers"] = yearly["customers"].fillna(0).astype(np.int64)
    yearly[["kwh", "revenue"]] = yearly[["kwh", "revenue"]].fillna(0.0)
    months = year_months[yearly.index.get_level_values("year").to_numpy() - 1]
    scale = 12.0 / months
    yearly["kwh"] *= scale
    yearly["revenue"] *= scale
    series = yearly.reset_index()
    series.insert(2, "label", "Y" + series["year"].astype(str))
    start = first + 12 * (series["year"].to_numpy() - 1)
    series.insert(3, "start", [_month_text(m) for m in start])  # a loop over years × groups
    series.insert(4, "end", [_month_text(m) for m in start + months - 1])
    series.insert(5, "months", months)
    series.insert(6, "partial", months < 12)

    # --- window totals, concentration and credit per group
    per_customer = bills.group_by("group", "customer_id").agg(pl.col("_kwh").sum().alias("kwh"))
    top = (per_customer.sort(["group", "kwh", "customer_id"], descending=[False, True, False])
           .group_by("group", maintain_order=True).head(top_k)
           .group_by("group").agg(pl.col("kwh").sum().alias("top_kwh"),
                                  pl.len().alias("top_k")))
    credit = bills.group_by("group").agg(
        pl.col("customer_id").n_unique().alias("customers"),
        pl.col("_kwh").sum().alias("kwh"),
        pl.col("_billed").sum().alias("revenue"),
        pl.col("_on_time").mean().alias("on_time_rate"),
        ((pl.col("_late") * pl.col("_billed")).sum() / pl.col("_billed").sum())
        .alias("days_late"),
        (pl.col("_unpaid").sum() / pl.col("_billed").sum()).alias("arrears_ratio"),
    ).join(top, on="group", how="left").to_pandas().set_index("group").reindex(names)
    out = pd.DataFrame(index=pd.Index(names, name="group"))
    out["customers"] = credit["customers"].fillna(0).astype(np.int64)
    out["kwh"] = credit["kwh"].fillna(0.0)
    out["revenue"] = credit["revenue"].fillna(0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["kwh_share"] = out["kwh"] / out["kwh"].sum()
        out["revenue_share"] = out["revenue"] / out["revenue"].sum()
        out["top_k"] = credit["top_k"].fillna(0).astype(np.int64)
        out["top_share"] = credit["top_kwh"] / out["kwh"].where(out["kwh"] > 0)

    whole = series[~series["partial"]]
    kwh_w = whole.pivot(index="group", columns="year", values="kwh").reindex(names)
    rev_w = whole.pivot(index="group", columns="year", values="revenue").reindex(names)
    years = kwh_w.columns.to_numpy()
    out["kwh_first"] = kwh_w.iloc[:, 0] if len(years) else np.nan
    out["kwh_last"] = kwh_w.iloc[:, -1] if len(years) else np.nan
    out["kwh_growth"] = [_log_slope(years, kwh_w.loc[g].to_numpy(dtype=float)) for g in names]
    out["revenue_growth"] = [_log_slope(years, rev_w.loc[g].to_numpy(dtype=float))
                             for g in names]
    out["on_time_rate"] = credit["on_time_rate"]
    out["days_late"] = credit["days_late"]
    out["arrears_ratio"] = credit["arrears_ratio"]
    growth = out["kwh_growth"].to_numpy(dtype=float)
    out["prospect"] = pd.array(np.where(np.isnan(growth), "unknown", np.where(
        growth > band, "growing", np.where(growth < -band, "declining", "stable"))),
        dtype="string")
    first_label = f"Y{years[0]}" if len(years) else "?"
    last_label = f"Y{years[-1]}" if len(years) else "?"
    statements = []
    for _, row in out.iterrows():  # a loop over groups (few)
        statements.append(
            f"{row['prospect']}: kWh {_fmt_energy(row['kwh_first'])} ({first_label}) → "
            f"{_fmt_energy(row['kwh_last'])} ({last_label}), {_pct(row['kwh_growth'])} a "
            f"year; revenue {_pct(row['revenue_growth'])} a year; top {row['top_k']} hold "
            f"{_pct(row['top_share'], sign=False)} of the group's kWh; on time "
            f"{_pct(row['on_time_rate'], sign=False)}, arrears "
            f"{row['arrears_ratio']:.1%}" if math.isfinite(row["arrears_ratio"])
            else f"{row['prospect']}: no bills in the window")
    out["statement"] = pd.array(statements, dtype="string")
    return GroupTrends(by=by, window=(_month_text(first), _month_text(last)), series=series,
                       groups=out, band=band)
