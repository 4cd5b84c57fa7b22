"""Tier profiles: the analyses made per customer group (seed 000, §3.2, 电力客户分级管理).

Seed 000 lists what to analyse for each customer group once the customers are graded:
each group's share of total consumption (各类客户群的消费额在总消费额中的比重); the top
customers inside each group and their share of it (消费额靠前的客户及其在该类消费额中的
比重); ranking by revenue; each group's consumption trend and prospects (消费趋势、发展前
景); and the groups' credit standing (信用度).  :func:`profile` computes them per tier
(optionally per stratum and tier); :func:`top_customers` lists a tier's top customers.

Customers without a tier are never dropped: they form the group with ``tier`` ``<NA>`` and
``status`` ``"ungraded"`` (the tier-key rule of :mod:`custvalue.grading.contract`).

See ``docs/profiles.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from custvalue.errors import InvalidValueError, MissingColumnError
from custvalue.grading import (
    GRADED,
    UNGRADED,
    UNGRADED_LABELS,
    GradingLike,
    grading_table,
    tier_labels,
    tier_levels,
)

__all__ = ["PROFILE_COLUMNS", "UNGRADED_LABELS", "profile", "top_customers"]

#: Grading-table columns the profile reads, by role; override any of them with ``columns=``.
PROFILE_COLUMNS: dict[str, str] = {
    "kwh": "total_kwh",
    "revenue": "revenue",
    "growth": "usage_growth",
    "on_time": "on_time_rate",
    "arrears_ratio": "arrears_ratio",
    "arrears": "arrears",
    "billed": "billed",
    "late_fee": "late_fee",
    "days_late": "days_late",
    "score": "score",
}
_MISSING_STRATUM = "(missing)"


def _columns(columns: Mapping[str, str] | None) -> dict[str, str]:
    cols = dict(PROFILE_COLUMNS)
    for role, name in (columns or {}).items():
        if role not in cols:
            raise InvalidValueError(
                "columns", None, f"unknown profile column role {role!r}",
                fix=f"use one of {', '.join(PROFILE_COLUMNS)}",
            )
        cols[role] = name
    return cols


def _values(table: pd.DataFrame, column: str) -> pd.Series:
    """The column as float, or all-NaN when the table does not have it."""
    if column not in table.columns:
        return pd.Series(np.nan, index=table.index, dtype=float)
    return pd.to_numeric(table[column], errors="coerce").astype(float)


def _stratum(table: pd.DataFrame, by: str) -> tuple[pd.Series, list[Any]]:
    if by not in table.columns:
        raise MissingColumnError("grading", by, f"no column {by!r} to profile by",
                                 fix="use a register column such as region or customer_class")
    s = table[by]
    values = list(pd.unique(s.dropna()))
    try:
        values = sorted(values)
    except TypeError:
        values = sorted(values, key=str)
    if s.isna().any():  # missing strata form their own block, last
        s = s.astype(object).where(s.notna(), _MISSING_STRATUM)
        values.append(_MISSING_STRATUM)
    return s, values


def _after(frame: pd.DataFrame, column: str) -> int:
    """The position just after ``column`` (column names are unique)."""
    position = frame.columns.get_loc(column)
    assert isinstance(position, int)
    return position + 1


def profile(
    table: GradingLike,
    by: str | None = None,
    top_k: int = 10,
    *,
    columns: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Profile of each tier (or each stratum × tier): size, consumption, revenue, growth, payment.

    One row per tier ``0 .. worst tier present`` plus one ``ungraded`` row (customers
    with ``tier`` ``<NA>``, always present, possibly with 0 customers); with ``by``, one such
    block per value of the ``by`` column (missing values form the stratum ``"(missing)"``).
    Shares are within the stratum when ``by`` is given, of the whole table otherwise, so each
    share column sums to 1 over a block.

    Columns (the source columns are set by :data:`PROFILE_COLUMNS` / ``columns``):

    ========================  ===========================================================
    ``<by>``                  the stratum (only with ``by``)
    ``tier``                  tier, ``Int64``; ``<NA>`` on the ungraded row
    ``status``                ``graded``, or ``ungraded`` on the row without a tier
    ``tier_zh``, ``tier_en``  labels (from the table's label columns; 未评级 / ungraded)
    ``customers``             number of customers
    ``customer_share``        customers / customers of the block
    ``kwh``                   Σ ``total_kwh``
    ``kwh_share``             kwh / kwh of the block
    ``revenue``               Σ ``revenue``
    ``revenue_share``         revenue / revenue of the block
    ``revenue_per_customer``  revenue / customers
    ``top_k``                 customers counted in the top (``min(top_k, customers)``)
    ``top_kwh``               Σ kWh of the group's ``top_k`` largest consumers
    ``top_kwh_share``         top_kwh / kwh: concentration inside the group
    ``growth_mean``           mean ``usage_growth`` (the trend)
    ``growth_median``         median ``usage_growth``
    ``on_time_rate_mean``     mean ``on_time_rate``
    ``arrears_ratio``         Σ ``arrears`` / Σ ``billed`` when the table has both amount
                              columns, else the mean of ``arrears_ratio``
    ``arrears_basis``         ``"amounts"`` or ``"mean"`` (which of the two), ``<NA>`` if
                              neither is available
    ``late_fee_total``        Σ ``late_fee``
    ``days_late_mean``        mean ``days_late``
    ``score_min``             lowest score of the group
    ``score_mean``            mean score
    ``score_max``             highest score
    ========================  ===========================================================

    Sums skip missing values; a group whose values are all missing has a NaN sum (an empty
    group has 0 customers and sums 0).  Means and medians skip missing values.  A source
    column the table does not have gives NaN throughout.

    Parameters
    ----------
    table : Grading, pandas.DataFrame, str or Path
        A grading, its table or its saved folder (read by
        :func:`custvalue.grading.grading_table`).
    by : str, optional
        A stratum column, e.g. ``"region"`` or ``"customer_class"``.
    top_k : int, default 10
        Size of each group's top (by kWh, ties by ``customer_id``).
    columns : mapping of str to str, optional
        Source column by role, overriding :data:`PROFILE_COLUMNS` (e.g.
        ``{"kwh": "kwh_2024"}``).

    Returns
    -------
    pandas.DataFrame
        The profile, sorted by stratum then tier (ungraded last), with a ``RangeIndex``.

    Raises
    ------
    InputError
        From :func:`~custvalue.grading.grading_table`; ``by`` not a column;
        ``top_k < 1``; an unknown role in ``columns``.

    Examples
    --------
    >>> t = pd.DataFrame({"customer_id": ["a", "b", "c", "d"], "tier": [0, 1, 1, None],
    ...                   "total_kwh": [60.0, 20.0, 10.0, 10.0]})
    >>> p = profile(t, top_k=1)
    >>> p[["tier_en", "customers", "kwh_share", "top_kwh_share"]].to_numpy().tolist()
    [['special', 1, 0.6, 1.0], ['first', 2, 0.3, 0.6666666666666666], ['ungraded', 1, 0.1, 1.0]]
    """
    table = grading_table(table)
    if not isinstance(top_k, int | np.integer) or top_k < 1:
        raise InvalidValueError("profile", "top_k", f"top_k must be a whole number >= 1 "
                                f"(got {top_k!r})")
    cols = _columns(columns)
    levels = tier_levels(table)
    k = len(levels)
    labels = tier_labels(table)

    code = table["tier"].fillna(k).to_numpy(dtype=np.int64)  # k = ungraded
    if by is None:
        stratum, strata = pd.Series(0, index=table.index), [0]
    else:
        stratum, strata = _stratum(table, by)
    keys = pd.DataFrame({"stratum": stratum.to_numpy(), "code": code}, index=table.index)
    full = pd.MultiIndex.from_product([strata, range(k + 1)], names=["stratum", "code"])

    v = {role: _values(table, name) for role, name in cols.items()}
    frame = keys.assign(**{role: s.to_numpy() for role, s in v.items()})
    g = frame.groupby(["stratum", "code"], sort=False)

    sums = g[["kwh", "revenue", "late_fee", "arrears", "billed"]].sum(min_count=1)
    out = pd.DataFrame(index=full)
    out["customers"] = g.size().reindex(full, fill_value=0).astype(np.int64)
    empty = (out["customers"] == 0).to_numpy()

    def total(series: pd.Series, role: str) -> pd.Series:
        """Group sums on the full index: 0 for an empty group if the source column exists."""
        series = series.reindex(full)
        return series.mask(empty, 0.0) if cols[role] in table.columns else series

    for role in ("kwh", "revenue"):
        out[role] = total(sums[role], role)

    # the top_k largest consumers of each group (kWh descending, then customer_id)
    ordered = frame.assign(_id=frame.index).sort_values(
        ["stratum", "code", "kwh", "_id"], ascending=[True, True, False, True],
        na_position="last", kind="stable",
    )
    top = ordered[ordered.groupby(["stratum", "code"], sort=False).cumcount() < top_k]
    out["top_k"] = np.minimum(out["customers"], top_k)
    out["top_kwh"] = total(
        top.groupby(["stratum", "code"], sort=False)["kwh"].sum(min_count=1), "kwh")

    means = g[["growth", "on_time", "arrears_ratio", "days_late", "score"]].mean()
    means = means.reindex(full)
    out["growth_mean"] = means["growth"]
    out["growth_median"] = g["growth"].median().reindex(full)
    out["on_time_rate_mean"] = means["on_time"]
    has_amounts = cols["arrears"] in table.columns and cols["billed"] in table.columns
    if has_amounts:
        billed = sums["billed"].reindex(full)
        out["arrears_ratio"] = sums["arrears"].reindex(full) / billed.where(billed != 0)
        basis: Any = "amounts"
    else:
        out["arrears_ratio"] = means["arrears_ratio"]
        basis = "mean" if cols["arrears_ratio"] in table.columns else pd.NA
    out["arrears_basis"] = pd.array([basis] * len(out), dtype="string")
    out["late_fee_total"] = total(sums["late_fee"], "late_fee")
    out["days_late_mean"] = means["days_late"]
    out["score_min"] = g["score"].min().reindex(full)
    out["score_mean"] = means["score"]
    out["score_max"] = g["score"].max().reindex(full)

    # shares within each stratum
    block = out.groupby(level="stratum", sort=False)
    out.insert(1, "customer_share", out["customers"] / block["customers"].transform("sum"))
    for role in ("kwh", "revenue"):
        role_total = block[role].transform("sum")
        out.insert(_after(out, role), f"{role}_share",
                   out[role] / role_total.where(role_total != 0))
    out.insert(_after(out, "revenue_share"), "revenue_per_customer",
               out["revenue"] / out["customers"].where(out["customers"] > 0))
    out["top_kwh_share"] = out["top_kwh"] / out["kwh"].where(out["kwh"] != 0)
    out.insert(_after(out, "top_kwh"), "top_kwh_share", out.pop("top_kwh_share"))

    # labels
    codes = out.index.get_level_values("code").to_numpy()
    zh = [labels[t][0] for t in levels] + [UNGRADED_LABELS[0]]
    en = [labels[t][1] for t in levels] + [UNGRADED_LABELS[1]]
    head = pd.DataFrame({
        "tier": pd.array(np.where(codes < k, codes, 0), dtype="Int64"),
        "status": pd.array(np.where(codes < k, GRADED, UNGRADED), dtype="string"),
        "tier_zh": pd.array(np.asarray(zh, dtype=object)[codes], dtype="string"),
        "tier_en": pd.array(np.asarray(en, dtype=object)[codes], dtype="string"),
    }, index=out.index)
    head.loc[codes == k, "tier"] = pd.NA
    if by is not None:
        head.insert(0, by, out.index.get_level_values("stratum"))
    return pd.concat([head, out], axis=1).reset_index(drop=True)


def top_customers(
    table: GradingLike,
    tier: int | str | None,
    k: int = 10,
    *,
    value: str = "total_kwh",
) -> pd.DataFrame:
    """The ``k`` largest customers of one tier by ``value`` and their share of the tier.

    Customers are sorted by ``value`` descending, ties by ``customer_id`` ascending (missing
    values last).  ``share`` is the customer's value over the tier's total (Σ of ``value``
    over *all* the tier's customers, not just the top ``k``); ``cumulative_share`` adds the
    shares down the list, so its last entry is the top-``k`` share of :func:`profile`.

    Parameters
    ----------
    table : Grading, pandas.DataFrame, str or Path
        A grading, its table or its saved folder (read by
        :func:`custvalue.grading.grading_table`).
    tier : int, or None / "ungraded"
        The tier (0 = 特级); ``None`` or ``"ungraded"`` for the customers without a tier.
    k : int, default 10
        How many customers (fewer if the tier is smaller).
    value : str, default "total_kwh"
        The column to rank by (e.g. ``"revenue"``).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``customer_id`` in top order: ``position`` (1 = largest), ``value``'s
        column, ``share``, ``cumulative_share``, and ``revenue``, ``score``, ``rank``,
        ``tier_zh`` where the table has them.

    Examples
    --------
    >>> t = pd.DataFrame({"customer_id": ["a", "b", "c"], "tier": [1, 1, 1],
    ...                   "total_kwh": [10.0, 30.0, 60.0]})
    >>> top = top_customers(t, 1, k=2)
    >>> top.index.tolist(), top["cumulative_share"].round(3).tolist()
    (['c', 'b'], [0.6, 0.9])
    """
    table = grading_table(table)
    if value not in table.columns:
        raise MissingColumnError("grading", value, f"no column {value!r} to rank by")
    if not isinstance(k, int | np.integer) or k < 1:
        raise InvalidValueError("top_customers", "k", f"k must be a whole number >= 1 "
                                f"(got {k!r})")
    if tier is None or (isinstance(tier, str) and tier == UNGRADED):
        members = table[table["tier"].isna()]
    elif isinstance(tier, int | np.integer) and not isinstance(tier, bool):
        members = table[table["tier"].eq(int(tier)).fillna(False).to_numpy(dtype=bool)]
    else:
        raise InvalidValueError("top_customers", "tier",
                                f"tier must be a whole number, None or 'ungraded' "
                                f"(got {tier!r})")
    x = _values(members, value)
    total = x.sum(min_count=1)
    order = pd.DataFrame({"x": x, "_id": members.index}, index=members.index).sort_values(
        ["x", "_id"], ascending=[False, True], na_position="last", kind="stable"
    ).head(k)
    out = pd.DataFrame(index=order.index)
    out["position"] = np.arange(1, len(order) + 1)
    out[value] = order["x"]
    out["share"] = order["x"] / total if total else np.nan
    out["cumulative_share"] = out["share"].cumsum()
    for col in ("revenue", "score", "rank", "tier_zh"):
        if col in members.columns and col != value:
            out[col] = members.loc[order.index, col]
    out.index.name = "customer_id"
    return out
