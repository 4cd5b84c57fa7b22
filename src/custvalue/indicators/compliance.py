"""Compliance indicators: power factor, payment, plan, violations and faults.

Written once as narwhals expressions, in the same steps as
:mod:`custvalue.indicators.contribution`.  Formulas, units and reasons are in
``docs/indicators.md``; the essentials:

Power factor (``pf_compliance``)
    A month is *assessed* when its kWh is positive and it has a reactive reading.
    ``kvarh = |reactive_kvarh| + |reverse_kvarh|`` (an empty direction counts 0),
    ``pf = kWh / sqrt(kWh² + kvarh²)``, rounded half up to two decimals as
    ``floor(100 pf + 0.5 + ε) / 100`` (ε = ``params.pf_rounding_epsilon``, so that a power
    factor that is 0.895 up to floating-point error, e.g. 0.8949999999999999, reaches
    0.90).  The rounded value, in hundredths, is compared with the customer's standard
    (first matching rule).  ``pf_compliance`` is the
    share of assessed months that reach it.

Payments (``on_time_rate``, ``days_late``, ``arrears_ratio``, ``late_fee``)
    Bills are the monthly rows with ``billed_amount > 0`` and a due date on or before the
    as-of date.  A payment counts only if dated on or before the as-of date; the paid part
    is ``clip(paid_amount, 0, billed_amount)``; the bill is paid in full when the paid part
    is at least ``billed_amount - params.paid_tolerance``.  The paid part of a bill paid
    after its due date is late ``paid_date - due_date`` days; the unpaid rest is late
    ``as_of - due_date`` days.  Penalty per late part: amount × days × daily rate, where
    days in the due date's calendar year take the current-year rate and days in later years
    the carried-over rate; per late bill at least ``params.late_fee_minimum``.

Examples
--------
>>> from custvalue.indicators.params import IndicatorParams
>>> standard_cents_expr(IndicatorParams()) is not None
True
"""

from __future__ import annotations

from typing import cast

import narwhals as nw
from narwhals.functions import Then

from custvalue.indicators.context import (
    Context,
    Indicator,
    flag,
    larger,
    merge_stages,
    ratio,
    smaller,
)
from custvalue.indicators.contribution import per_year
from custvalue.indicators.params import IndicatorParams
from custvalue.indicators.prepare import SCALE_AMOUNT, fixed, jan1_epoch_days

__all__ = [
    "EVENT_COLUMNS",
    "event_aggregation",
    "indicators",
    "monthly_aggregations",
    "monthly_features",
    "pf_hundredths",
    "standard_cents_expr",
]


def standard_cents_expr(params: IndicatorParams) -> nw.Expr:
    """Per customer, the power-factor standard in hundredths, or null if not assessed.

    The first rule whose class, capacity and supply voltage match gives the standard.
    """
    kva = nw.col("contract_kva")
    expr = None
    for rule in params.power_factor_rules:
        size = kva >= rule.min_kva if rule.inclusive else kva > rule.min_kva
        cond = nw.col("customer_class").is_in(list(rule.classes)) & size
        if rule.min_voltage_kv > 0:
            cond = cond & (nw.col("voltage_kv") >= rule.min_voltage_kv)
        then = nw.lit(rule.standard_cents, dtype=nw.Int64)
        expr = nw.when(cond).then(then) if expr is None else expr.when(cond).then(then)
    if expr is None:
        return nw.lit(None, dtype=nw.Int64)
    return expr.otherwise(nw.lit(None, dtype=nw.Int64))


def pf_hundredths(pf: nw.Expr, epsilon: float = 1e-9) -> nw.Expr:
    """The power factor rounded half up to hundredths, in hundredths (a float integer).

    ``floor(100 pf + 0.5 + epsilon)``.  ``epsilon`` absorbs the binary error of a power
    factor computed from energies: 0.895 and the float just below it both give 90.

    Examples
    --------
    >>> import polars as pl, narwhals as nw
    >>> lf = nw.from_native(pl.LazyFrame({"pf": [0.895, 0.8949999999999999, 0.8949, 0.9]}))
    >>> lf.select(pf_hundredths(nw.col("pf"))).collect()["pf"].to_list()
    [90.0, 90.0, 89.0, 90.0]
    """
    return (pf * 100.0 + 0.5 + epsilon).floor()


def _pf_features(ctx: Context) -> list[list[nw.Expr]]:
    kwh = nw.col("active_kwh")
    forward, reverse = nw.col("reactive_kvarh"), nw.col("reverse_kvarh")
    has_reactive = ~forward.is_null() | ~reverse.is_null()
    kvarh = forward.fill_null(0.0).abs() + reverse.fill_null(0.0).abs()
    pf = kwh / (kwh * kwh + kvarh * kvarh).sqrt()
    # Rounded half up to hundredths; null where the month is not assessed.
    cents = nw.when((kwh > 0) & has_reactive).then(
        pf_hundredths(pf, ctx.params.pf_rounding_epsilon))
    first = [flag(has_reactive).alias("_kvarh_row"), cents.alias("_pf_cents")]
    second = [flag(~nw.col("_pf_cents").is_null()).alias("_pf_row")]
    second += [flag(nw.col("_pf_cents") >= s).alias(f"_pf_ok_{s}")
               for s in ctx.params.pf_standards_cents()]
    return [first, second]


def _payment_features(ctx: Context) -> list[list[nw.Expr]]:
    p = ctx.params
    as_of = ctx.as_of_day
    tolerance = p.paid_tolerance * SCALE_AMOUNT
    # Amounts in fen (integers, see prepare.fixed); dates in epoch days.
    billed, due, paid_day = nw.col("_billed_c"), nw.col("_due"), nw.col("_paid_day")
    bill = (billed > 0) & ~due.is_null() & (due <= as_of)
    paid_known = bill & ~paid_day.is_null() & (paid_day <= as_of)
    paid_c = nw.col("_paid_c").fill_null(0)
    stage1 = [
        flag(bill).alias("_bill"),
        # The paid part, clipped to [0, billed].
        nw.when(paid_known & (paid_c > billed)).then(billed)
        .when(paid_known & (paid_c > 0)).then(paid_c).otherwise(0).alias("_paid"),
        # 31 December of the due date's year: later days are carried-over arrears.
        (jan1_epoch_days(nw.col("_due_year") + 1) - 1).alias("_dec31"),
    ]
    is_bill, paid = nw.col("_bill") == 1, nw.col("_paid")
    stage2 = [
        flag(is_bill & (paid >= billed - tolerance) & (paid_day <= due)).alias("_on_time"),
        nw.when(is_bill & (paid < billed - tolerance)).then(billed - paid).otherwise(0)
        .alias("_unpaid"),
        nw.when(is_bill & (paid > 0) & (paid_day > due)).then(paid_day - due).otherwise(0)
        .alias("_late_paid_days"),
        nw.when(is_bill).then(billed).otherwise(0).alias("_billed_due"),
    ]
    unpaid, lpd = nw.col("_unpaid"), nw.col("_late_paid_days")
    dec31 = nw.col("_dec31")
    stage3 = [
        nw.when((unpaid > 0) & (due < as_of)).then(as_of - due).otherwise(0)
        .alias("_late_unpaid_days"),
        nw.when(lpd > 0).then(smaller(paid_day, dec31) - due).otherwise(0)
        .alias("_paid_cur"),
        nw.when((unpaid > 0) & (due < as_of)).then(
            smaller(nw.lit(as_of), dec31) - due).otherwise(0).alias("_unpaid_cur"),
    ]
    lud = nw.col("_late_unpaid_days")
    pcur, ucur = nw.col("_paid_cur"), nw.col("_unpaid_cur")
    late = (lpd > 0) | (lud > 0)
    stage4 = [(paid * lpd + unpaid * lud).alias("_wdays")]
    paid_yuan = paid.cast(nw.Float64) / SCALE_AMOUNT
    unpaid_yuan = unpaid.cast(nw.Float64) / SCALE_AMOUNT
    for j, (rate, _classes) in enumerate(p.late_fee_profiles()):
        rc, rk = rate.current_year, rate.carried_over
        fee = (paid_yuan * (rc * pcur + rk * (lpd - pcur))
               + unpaid_yuan * (rc * ucur + rk * (lud - ucur)))
        bill_fee = fixed(larger(fee, nw.lit(p.late_fee_minimum)), SCALE_AMOUNT)
        stage4.append(nw.when(late).then(bill_fee).otherwise(0).alias(f"_fee_{j}"))
    return [stage1, stage2, stage3, stage4]


def _plan_features() -> list[list[nw.Expr]]:
    planned = ~nw.col("_plan_m").is_null()
    return [[
        flag(planned).alias("_plan_row"),
        nw.when(planned).then(nw.col("_kwh_m").fill_null(0)).otherwise(0).alias("_plan_actual"),
    ]]


def monthly_features(ctx: Context) -> list[list[nw.Expr]]:
    """Per-row columns of the power-factor, payment and plan indicators, in stages.

    Each stage may use the columns of the stages before it.
    """
    return merge_stages(_pf_features(ctx), _payment_features(ctx), _plan_features())


def monthly_aggregations(ctx: Context) -> dict[str, nw.Expr]:
    """Per-customer sums behind the compliance indicators."""
    sums = ["_kvarh_row", "_pf_row", *[f"_pf_ok_{s}" for s in ctx.params.pf_standards_cents()],
            "_bill", "_on_time", "_billed_due", "_unpaid", "_wdays",
            *[f"_fee_{j}" for j in range(len(ctx.params.late_fee_profiles()))],
            "_plan_row", "_plan_actual"]
    return {**{c: nw.col(c).sum() for c in sums}, "_plan_sum": nw.col("_plan_m").sum()}


#: Columns of :func:`event_aggregation` (0 for customers without events).
EVENT_COLUMNS = ("_violations", "_fault_impact")


def event_aggregation(events: nw.LazyFrame, ctx: Context) -> nw.LazyFrame:
    """Per customer: violations and customers affected by faults, inside the window.

    A fault without ``affected_customers`` counts ``params.fault_default_affected`` (1).
    """
    kind = nw.col("kind")
    return events.group_by("customer_id").agg(
        flag(kind == "violation").sum().alias("_violations"),
        nw.when(kind == "fault_affecting_others").then(
            nw.col("_affected").fill_null(ctx.params.fault_default_affected)
        ).otherwise(0.0).sum().alias("_fault_impact"),
    )


def indicators(ctx: Context) -> list[Indicator]:
    """The compliance indicators on the per-customer frame."""
    p = ctx.params
    no_records = nw.col("_months") == 0
    standard = nw.col("_pf_standard")
    ok = None
    for s in p.pf_standards_cents():
        ok = (nw.when(standard == s) if ok is None else ok.when(standard == s)).then(
            nw.col(f"_pf_ok_{s}"))
    pf = Indicator("pf_compliance", ratio(ok, nw.col("_pf_row")) if ok is not None else None, [
        (standard.is_null(), "not_applicable"),
        (no_records, "no_records"),
        (nw.col("_kvarh_row") == 0, "no_reactive_metering"),
        (nw.col("_pf_row") == 0, "no_assessable_months"),
    ])
    pay = [(no_records, "no_records"), (nw.col("_bill") == 0, "no_bills_due")]
    # a chain of when/then for the class-specific profiles, closed by the catch-all one
    fee: nw.Expr | None = None
    profiles = p.late_fee_profiles()
    for j, (_rate, classes) in enumerate(profiles):
        if classes is None:
            fee = (nw.col(f"_fee_{j}") if fee is None
                   else cast(Then, fee).otherwise(nw.col(f"_fee_{j}")))
        else:
            cond = nw.col("customer_class").is_in(list(classes))
            fee = (nw.when(cond) if fee is None else cast(Then, fee).when(cond)).then(
                nw.col(f"_fee_{j}"))
    plan_sum = nw.col("_plan_sum")
    gap = (nw.col("_plan_actual") - plan_sum).abs().cast(nw.Float64)
    if p.plan_completion == "ratio":
        completion = nw.col("_plan_actual").cast(nw.Float64) / plan_sum.cast(nw.Float64)
    else:
        completion = (1.0 - gap / plan_sum.cast(nw.Float64)).clip(0.0, 1.0)
    out = [
        pf,
        Indicator("on_time_rate", ratio(nw.col("_on_time"), nw.col("_bill")), pay),
        Indicator("days_late", ratio(nw.col("_wdays"), nw.col("_billed_due")), pay),
        Indicator("arrears_ratio", ratio(nw.col("_unpaid"), nw.col("_billed_due")), pay),
        Indicator("late_fee", fee.cast(nw.Float64) / SCALE_AMOUNT if fee is not None else None,
                  pay),
        Indicator("plan_completion", nw.when(plan_sum > 0).then(completion), [
            (no_records, "no_records"),
            (nw.col("_plan_row") == 0, "no_plan"),
            (~(plan_sum > 0), "zero_plan"),
        ]),
    ]
    exposure = [(nw.col("_exposure") <= 0, "no_exposure")]
    if "events" in ctx.given:
        out += [Indicator("violations_per_year", per_year("_violations"), exposure),
                Indicator("fault_impact_per_year", per_year("_fault_impact"), exposure)]
    else:
        out += [Indicator(n, None, [(True, "no_events_table")])
                for n in ("violations_per_year", "fault_impact_per_year")]
    return out
