"""Contribution indicators: window totals and annual rates of kWh and revenue, growth, energy.

Each indicator is written once as narwhals expressions in four steps: per-row features of
the prepared monthly rows (:func:`monthly_features`), per-customer aggregations
(:func:`monthly_aggregations`; customers without rows get 0), per-customer derived columns
(:func:`customer_stages`) and the indicator with its reasons (:func:`indicators`).
Formulas: ``docs/indicators.md``.

Usage growth
    The window's months are cut into whole 12-month blocks counted back from the window's
    end (a 36-month window has three; leading months left over belong to no block).  A block
    is a *usable year* for a customer when it has at least ``params.growth_min_months`` (9)
    months with a kWh reading; its annual kWh is annualised from the observed months
    (``sum × 12 / months``; the plain sum when all 12 are observed).  With first and last full years
    ``a`` and ``b`` (block numbers ``i < j``)::

        usage_growth = (kWh_b / kWh_a) ** (1 / (j - i)) - 1

    Missing: ``no_records``; ``short_history`` (fewer than two full years);
    ``zero_base`` (``kWh_a <= 0``); ``negative_end`` (``kWh_b < 0``).

Examples
--------
>>> from custvalue.indicators.window import Window
>>> year_bounds(Window(start="2022-03", end="2024-12"))
[(24276, 24287), (24288, 24299)]
"""

from __future__ import annotations

import narwhals as nw
from narwhals.functions import Then

from custvalue.indicators.context import Context, Indicator, flag, ratio
from custvalue.indicators.prepare import SCALE_AMOUNT, SCALE_ENERGY, SCALE_FINE
from custvalue.indicators.window import Window

__all__ = [
    "customer_stages",
    "energy_aggregation",
    "indicators",
    "monthly_aggregations",
    "monthly_features",
    "per_year",
    "year_bounds",
]


def year_bounds(window: Window) -> list[tuple[int, int]]:
    """Month-index bounds (inclusive) of the window's whole 12-month blocks, oldest first."""
    lead = window.months - 12 * window.full_years
    first = window.start_index + lead
    return [(first + 12 * k, first + 12 * k + 11) for k in range(window.full_years)]


def monthly_features(ctx: Context) -> list[list[nw.Expr]]:
    """Per-row columns: energy (Wh) and reading count of each year block (one stage)."""
    kwh = nw.col("_kwh_m")
    out = []
    for k, (lo, hi) in enumerate(year_bounds(ctx.window)):
        in_block = (nw.col("_p") >= lo) & (nw.col("_p") <= hi) & ~kwh.is_null()
        out.append(nw.when(in_block).then(kwh).otherwise(0).alias(f"_kwh_y{k}"))
        out.append(flag(in_block).alias(f"_n_y{k}"))
    return [out]


def monthly_aggregations(ctx: Context) -> dict[str, nw.Expr]:
    """Per-customer sums and counts behind the contribution indicators and bookkeeping."""
    out = {
        "_months": nw.len(),
        "_p_min": nw.col("_p").min(),
        "_p_max": nw.col("_p").max(),
        "_kwh_sum": nw.col("_kwh_m").sum(),
        "_kwh_n": nw.col("_kwh_m").count(),
        "_billed_sum": nw.col("_billed_c").sum(),
        "_billed_n": nw.col("_billed_c").count(),
    }
    for k in range(ctx.window.full_years):
        out[f"_kwh_y{k}"] = nw.col(f"_kwh_y{k}").sum()
        out[f"_n_y{k}"] = nw.col(f"_n_y{k}").sum()
    return out


def energy_aggregation(energy: nw.LazyFrame) -> nw.LazyFrame:
    """Per customer, the latest audit (already limited to years up to the window's end).

    Several rows of the same latest year are summed.
    """
    latest = energy.with_columns(_latest=nw.col("_year").max().over("customer_id")).filter(
        nw.col("_year") == nw.col("_latest"))
    return latest.group_by("customer_id").agg(
        nw.col("_year").max().alias("_audit_year"),
        nw.col("_total_tce").sum(),
        nw.col("_elec_tce").sum(),
        nw.col("_repl_tce").sum(),
        nw.col("_repl_tce").count().alias("_repl_n"),
    )


def customer_stages(ctx: Context) -> list[list[nw.Expr]]:
    """Per-customer columns behind ``usage_growth``, in stages.

    Stage 1: ``_full{k}`` (1 if block ``k`` is a full year of observation) and
    ``_annual{k}`` (its annual energy, Wh as float).  Stage 2: ``_g_n`` (full years),
    ``_g_first``/``_g_last`` (annual energy of the first/last full year) and ``_g_span``
    (years between them).
    """
    years = ctx.window.full_years
    if years < 2:
        return []
    min_months = ctx.params.growth_min_months
    stage1 = []
    for k in range(years):
        n, total = nw.col(f"_n_y{k}"), nw.col(f"_kwh_y{k}").cast(nw.Float64)
        stage1.append(flag(n >= min_months).alias(f"_full{k}"))
        # Wh; the scale cancels in the growth ratio.  Annualised below 12 readings.
        stage1.append(nw.when(n >= 12).then(total).when(n > 0).then(
            total * 12.0 / n.cast(nw.Float64)).alias(f"_annual{k}"))

    def pick(order: range | list[int], of_value: bool) -> nw.Expr:
        expr: Then | None = None
        for k in order:
            full = nw.col(f"_full{k}") == 1
            then = nw.col(f"_annual{k}") if of_value else nw.lit(k, dtype=nw.Int64)
            expr = nw.when(full).then(then) if expr is None else expr.when(full).then(then)
        assert expr is not None  # years >= 2: both orders are non-empty
        return expr

    backwards = list(reversed(range(years)))
    stage2 = [
        sum((nw.col(f"_full{k}") for k in range(1, years)), nw.col("_full0")).alias("_g_n"),
        pick(range(years), True).alias("_g_first"),
        pick(backwards, True).alias("_g_last"),
        (pick(backwards, False) - pick(range(years), False)).alias("_g_span"),
    ]
    return [stage1, stage2]


def _growth(ctx: Context) -> Indicator:
    no_records = nw.col("_months") == 0
    if ctx.window.full_years < 2:
        return Indicator("usage_growth", None,
                         [(no_records, "no_records"), (True, "short_history")])
    first, last = nw.col("_g_first"), nw.col("_g_last")
    value = (last / first) ** (1.0 / nw.col("_g_span").cast(nw.Float64)) - 1.0
    return Indicator("usage_growth", value, [
        (no_records, "no_records"),
        (nw.col("_g_n") < 2, "short_history"),
        (first <= 0, "zero_base"),
        (last < 0, "negative_end"),
    ])


def per_year(total: str, scale: float = 1.0) -> nw.Expr:
    """Annual rate of a window total: ``total / scale × 12 / exposure_months``.

    ``scale`` undoes a fixed-point unit (:data:`SCALE_ENERGY`, :data:`SCALE_AMOUNT`).  The
    exposure is the months the account was open inside the window (register ``opened`` and
    ``closed`` clipped to the window), so a customer open 18 months competes on equal terms
    with one open 36.

    Examples
    --------
    >>> import polars as pl, narwhals as nw
    >>> lf = nw.from_native(pl.LazyFrame({"n": [3, 6], "_exposure": [18, 36]}))
    >>> lf.select(per_year("n")).collect()["n"].to_list()
    [2.0, 2.0]
    """
    return (nw.col(total).cast(nw.Float64) * (12.0 / scale)
            / nw.col("_exposure").cast(nw.Float64))


def indicators(ctx: Context) -> list[Indicator]:
    """The contribution indicators on the per-customer frame."""
    no_records = nw.col("_months") == 0
    out = [
        Indicator("total_kwh", nw.col("_kwh_sum").cast(nw.Float64) / SCALE_ENERGY,
                  [(no_records, "no_records"), (nw.col("_kwh_n") == 0, "no_values")]),
        Indicator("revenue", nw.col("_billed_sum").cast(nw.Float64) / SCALE_AMOUNT,
                  [(no_records, "no_records"), (nw.col("_billed_n") == 0, "no_values")]),
        Indicator("kwh_per_year", per_year("_kwh_sum", SCALE_ENERGY), [
            (no_records, "no_records"), (nw.col("_kwh_n") == 0, "no_values"),
            (nw.col("_exposure") <= 0, "no_exposure")]),
        Indicator("revenue_per_year", per_year("_billed_sum", SCALE_AMOUNT), [
            (no_records, "no_records"), (nw.col("_billed_n") == 0, "no_values"),
            (nw.col("_exposure") <= 0, "no_exposure")]),
        Indicator("avg_price", ratio(nw.col("_billed_sum") * (SCALE_ENERGY / SCALE_AMOUNT),
                                     nw.col("_kwh_sum")), [
            (no_records, "no_records"),
            ((nw.col("_kwh_n") == 0) | (nw.col("_billed_n") == 0), "no_values"),
            (~(nw.col("_kwh_sum") > 0), "zero_kwh")]),
        _growth(ctx),
    ]
    if "energy" in ctx.given:
        no_audit = nw.col("_audit_year").is_null()
        out.append(Indicator(
            "electricity_share", ratio(nw.col("_elec_tce"), nw.col("_total_tce")),
            [(no_audit, "no_audit"), (~(nw.col("_total_tce") > 0), "zero_total_energy")]))
        out.append(Indicator(
            "total_energy_tce", nw.col("_total_tce").cast(nw.Float64) / SCALE_FINE,
            [(no_audit, "no_audit")]))
        out.append(Indicator(
            "substitution_potential", ratio(nw.col("_repl_tce"), nw.col("_total_tce")),
            [(no_audit, "no_audit"), (~(nw.col("_repl_n") > 0), "no_replaceable"),
             (~(nw.col("_total_tce") > 0), "zero_total_energy")]))
    else:
        out += [Indicator(n, None, [(True, "no_energy_table")])
                for n in ("electricity_share", "total_energy_tce", "substitution_potential")]
    return out
