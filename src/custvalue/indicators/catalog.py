"""What the indicator stage outputs: the indicators, their units, directions and reasons.

``docs/indicators.md`` gives the formula of each; this module is the list the code and the
tests use.

Examples
--------
>>> from custvalue.indicators.catalog import INDICATORS, REASONS, output_columns
>>> [i.name for i in INDICATORS if i.dimension == "cooperation"]
['policy_rate', 'work_cooperation', 'suggestions_per_year']
>>> REASONS["not_applicable"][:40]
'power factor not assessed: the customer’'
>>> output_columns()[:5]
['customer_id', 'months_observed', 'first_period', 'last_period', 'exposure_months']
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = [
    "BOOKKEEPING_COLUMNS",
    "INDICATORS",
    "INDICATOR_NAMES",
    "REASONS",
    "IndicatorSpec",
    "output_columns",
]


@dataclass(frozen=True)
class IndicatorSpec:
    """One indicator of the output.

    Attributes
    ----------
    name : str
        Output column (its reason column is ``reason__<name>``).
    dimension : {"contribution", "compliance", "cooperation"}
        The dimension of the value scheme it belongs to.
    unit : str
        Unit of the raw value.
    direction : {"benefit", "cost"}
        Whether more is better (benefit) or worse (cost).
    description : str
        One line on what it measures.
    reasons : tuple of str
        The reason codes it can be missing with (see :data:`REASONS`).
    """

    name: str
    dimension: Literal["contribution", "compliance", "cooperation"]
    unit: str
    direction: Literal["benefit", "cost"]
    description: str
    reasons: tuple[str, ...]


#: Reason codes of missing indicators and what they mean.
REASONS: dict[str, str] = {
    "no_records": "no monthly record of the customer inside the window",
    "no_values": "monthly records exist but the column used is empty on every one",
    "short_history": "fewer than two usable years (growth_min_months readings each) in the window",
    "zero_base": "annual kWh of the first full year is zero or negative",
    "negative_end": "annual kWh of the last full year is negative",
    "no_audit": "no energy audit of a year up to the window's end year",
    "zero_total_energy": "the latest audit's total energy is zero or negative",
    "no_energy_table": "no energy table was given",
    "no_replaceable": "the latest audit has no replaceable_tce (or the column is absent)",
    "not_applicable": "power factor not assessed: the customer’s class and capacity match "
                      "no standard (residential, below 100 kVA)",
    "no_reactive_metering": "no reactive energy recorded in the window",
    "no_assessable_months": "no month with positive kWh and a reactive reading",
    "no_bills_due": "no bill with a positive amount due by the as-of date",
    "no_plan": "no month with a declared plan",
    "zero_plan": "the declared plan sums to zero or less",
    "zero_kwh": "the window's kWh sum to zero or less (no average price)",
    "no_exposure": "the account was not open in any month of the window",
    "no_events_table": "no events table was given",
    "no_cooperation_table": "no cooperation table was given",
    "no_policy_requests": "no policy was requested of the customer in the window",
    "no_cooperation_scores": "no scored work_cooperation record in the window",
}

_PAY = ("no_records", "no_bills_due")

#: The indicators, in output order.
INDICATORS: tuple[IndicatorSpec, ...] = (
    IndicatorSpec("total_kwh", "contribution", "kWh", "benefit",
                  "active energy over the window", ("no_records", "no_values")),
    IndicatorSpec("revenue", "contribution", "yuan", "benefit",
                  "amount billed over the window", ("no_records", "no_values")),
    IndicatorSpec("kwh_per_year", "contribution", "kWh/year", "benefit",
                  "active energy per year the account was open in the window",
                  ("no_records", "no_values", "no_exposure")),
    IndicatorSpec("revenue_per_year", "contribution", "yuan/year", "benefit",
                  "amount billed per year the account was open in the window",
                  ("no_records", "no_values", "no_exposure")),
    IndicatorSpec("avg_price", "contribution", "yuan/kWh", "benefit",
                  "average price: revenue over kWh in the window (平均电价)",
                  ("no_records", "no_values", "zero_kwh")),
    IndicatorSpec("usage_growth", "contribution", "1/year", "benefit",
                  "compound annual growth of annual kWh",
                  ("no_records", "short_history", "zero_base", "negative_end")),
    IndicatorSpec("electricity_share", "contribution", "ratio", "benefit",
                  "electricity share of total energy use (latest audit)",
                  ("no_energy_table", "no_audit", "zero_total_energy")),
    IndicatorSpec("total_energy_tce", "contribution", "tce/year", "benefit",
                  "total energy use of the latest audit (客户能源总消耗量)",
                  ("no_energy_table", "no_audit")),
    IndicatorSpec("substitution_potential", "contribution", "ratio", "benefit",
                  "share of total energy that electricity could replace (电能可替代比例)",
                  ("no_energy_table", "no_audit", "no_replaceable", "zero_total_energy")),
    IndicatorSpec("pf_compliance", "compliance", "ratio", "benefit",
                  "share of assessed months meeting the power-factor standard",
                  ("not_applicable", "no_records", "no_reactive_metering",
                   "no_assessable_months")),
    IndicatorSpec("on_time_rate", "compliance", "ratio", "benefit",
                  "share of bills paid in full by the due date", _PAY),
    IndicatorSpec("days_late", "compliance", "days", "cost",
                  "amount-weighted mean days late", _PAY),
    IndicatorSpec("arrears_ratio", "compliance", "ratio", "cost",
                  "unpaid at the as-of date over billed", _PAY),
    IndicatorSpec("late_fee", "compliance", "yuan", "cost",
                  "late-payment penalty the rules would charge", _PAY),
    IndicatorSpec("plan_completion", "compliance", "ratio", "benefit",
                  "closeness of actual to planned kWh", ("no_records", "no_plan", "zero_plan")),
    IndicatorSpec("violations_per_year", "compliance", "1/year", "cost",
                  "violations per year of exposure", ("no_events_table", "no_exposure")),
    IndicatorSpec("fault_impact_per_year", "compliance", "customers/year", "cost",
                  "customers affected by the customer's faults per year of exposure",
                  ("no_events_table", "no_exposure")),
    IndicatorSpec("policy_rate", "cooperation", "ratio", "benefit",
                  "policies implemented over policies requested",
                  ("no_cooperation_table", "no_policy_requests")),
    IndicatorSpec("work_cooperation", "cooperation", "points (0-5)", "benefit",
                  "mean cooperation score", ("no_cooperation_table", "no_cooperation_scores")),
    IndicatorSpec("suggestions_per_year", "cooperation", "1/year", "benefit",
                  "suggestions per year of exposure", ("no_cooperation_table", "no_exposure")),
)

#: Indicator names in output order.
INDICATOR_NAMES: tuple[str, ...] = tuple(i.name for i in INDICATORS)

#: Bookkeeping columns after ``customer_id``.
BOOKKEEPING_COLUMNS: tuple[str, ...] = (
    "months_observed", "first_period", "last_period", "exposure_months")


def output_columns() -> list[str]:
    """All output columns in order: key, bookkeeping, indicators, reasons.

    Examples
    --------
    >>> cols = output_columns()
    >>> len(cols), cols[-1]
    (45, 'reason__suggestions_per_year')
    """
    return ["customer_id", *BOOKKEEPING_COLUMNS, *INDICATOR_NAMES,
            *[f"reason__{n}" for n in INDICATOR_NAMES]]
