"""The rules of the indicator stage, as one typed configuration (:class:`IndicatorParams`).

Every number or choice the indicators depend on lives here, with the domain's rule as the
default: the power-factor standards (《功率因数调整电费办法》), the late-payment penalty
(《供电营业规则》) and the as-of date.  ``docs/indicators.md`` explains how each is used.

The treatments of duplicated and negative ``monthly`` rows are input treatments: they live in
:class:`~custvalue.inputs.checks.CheckOptions` (one place for the checks and the
indicators).  ``IndicatorParams(duplicates=..., negative_energy=...)`` still works but is
deprecated; :func:`input_treatments` is the one path that reconciles the two spellings.

Examples
--------
>>> from custvalue.indicators.params import IndicatorParams
>>> p = IndicatorParams()
>>> [(r.classes, r.min_kva, r.inclusive, r.standard) for r in p.power_factor_rules][0]
(('large_industrial',), 160.0, False, 0.9)
>>> p.late_fee_rate("residential").current_year, p.late_fee_rate("agricultural").carried_over
(0.001, 0.003)
>>> import warnings
>>> with warnings.catch_warnings():
...     warnings.simplefilter("ignore", DeprecationWarning)
...     input_treatments(None, IndicatorParams(duplicates="sum")).duplicates
'sum'
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

if TYPE_CHECKING:
    from custvalue.inputs.checks import CheckOptions

__all__ = [
    "DEFAULT_POWER_FACTOR_RULES",
    "DeprecatedTreatments",
    "IndicatorParams",
    "LateFeeRate",
    "PowerFactorRule",
    "input_treatments",
]


class PowerFactorRule(BaseModel):
    """One power-factor standard: the customers it applies to and the standard.

    A customer matches when its ``customer_class`` is one of ``classes``, its
    ``contract_kva`` is at least ``min_kva`` (``inclusive=True``) or above it
    (``inclusive=False``), and its supply voltage ``voltage_kv`` is at least
    ``min_voltage_kv`` (``0``: any voltage; a customer without ``voltage_kv`` then does not
    match a rule that asks for one).  The first matching rule of
    :attr:`IndicatorParams.power_factor_rules` gives the customer's standard; a customer
    that matches none is not assessed.

    Attributes
    ----------
    classes : tuple of str
        Customer classes the rule applies to.
    min_kva : float
        Capacity threshold in kVA.
    inclusive : bool
        Whether a capacity equal to ``min_kva`` matches.
    standard : float
        The standard, in hundredths (0.90, 0.85, 0.80 ...): the monthly power factor,
        rounded to two decimals, must reach it.
    min_voltage_kv : float, default 0.0
        Supply voltage the rule asks for, kV (1.0: high-voltage supply, 高压供电).

    Examples
    --------
    >>> PowerFactorRule(classes=("agricultural",), min_kva=100, standard=0.8).standard_cents
    80
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    classes: tuple[str, ...] = Field(min_length=1)
    min_kva: float = Field(default=100.0, ge=0)
    inclusive: bool = True
    standard: float = Field(gt=0, le=1)
    min_voltage_kv: float = Field(default=0.0, ge=0)

    @field_validator("standard")
    @classmethod
    def _two_decimals(cls, value: float) -> float:
        if abs(value * 100 - round(value * 100)) > 1e-9:
            raise ValueError("a power-factor standard has two decimals (e.g. 0.85)")
        return value

    @property
    def standard_cents(self) -> int:
        """The standard in hundredths, as an integer (0.90 → 90)."""
        return round(self.standard * 100)


#: Default standards (《功率因数调整电费办法》): 0.90 for industrial customers with
#: high-voltage supply (1 kV and above) above 160 kVA; 0.85 for other industrial and
#: non-industrial customers of 100 kVA and more (a large industrial customer supplied at low
#: voltage included); 0.80 for agricultural and wholesale (趸售) customers of 100 kVA and
#: more.  Residential customers and anyone below 100 kVA match no rule and are not
#: assessed.  Classes are the contract's words; local names (大工业 ...) reach the rules
#: through the input mapping of the register.
DEFAULT_POWER_FACTOR_RULES: tuple[PowerFactorRule, ...] = (
    PowerFactorRule(classes=("large_industrial",), min_kva=160.0, inclusive=False,
                    standard=0.90, min_voltage_kv=1.0),
    PowerFactorRule(classes=("large_industrial", "general_commercial_industrial"),
                    min_kva=100.0, inclusive=True, standard=0.85),
    PowerFactorRule(classes=("agricultural", "wholesale"), min_kva=100.0, inclusive=True,
                    standard=0.80),
)


_TREATMENTS = ("duplicates", "negative_energy")


class DeprecatedTreatments(BaseModel):
    """Input treatments given to :class:`IndicatorParams` (deprecated spelling)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    duplicates: Literal["error", "sum", "last"] | None = None
    negative_energy: Literal["error", "allow"] | None = None


def input_treatments(options: CheckOptions | None,
                     params: IndicatorParams | None = None) -> CheckOptions:
    """The input treatments in force: ``options``, plus any deprecated ``params`` spelling.

    The one path by which the deprecated ``IndicatorParams(duplicates=...)`` reaches the
    checks and the indicators.  A treatment left at the default ``"error"`` in ``options``
    takes the one named in ``params``; two different treatments are an error rather than a
    silent choice.

    Raises
    ------
    custvalue.errors.InvalidValueError
        ``options`` and ``params`` name different treatments.

    Examples
    --------
    >>> from custvalue.inputs.checks import CheckOptions
    >>> input_treatments(CheckOptions(duplicates="last")).duplicates
    'last'
    """
    from custvalue.errors import InvalidValueError
    from custvalue.inputs.checks import CheckOptions

    opts = options if options is not None else CheckOptions()
    legacy = params.deprecated_treatments if params is not None else DeprecatedTreatments()
    agreed: dict[str, str] = {}
    for name in _TREATMENTS:
        given = getattr(legacy, name)
        if given is None or given == "error":
            continue
        current = getattr(opts, name)
        if current not in ("error", given):
            raise InvalidValueError(
                "options", name, f"the options say {current!r} but params say {given!r}",
                fix=f"name the {name} treatment once, as an option")
        agreed[name] = given
    return opts.model_copy(update=agreed) if agreed else opts


class LateFeeRate(BaseModel):
    """Daily late-payment penalty rates, as fractions of the overdue amount per day.

    Attributes
    ----------
    current_year : float
        Rate for days in the same calendar year as the due date (0.002 = 0.2 %/day).
    carried_over : float
        Rate for days in a later calendar year than the due date (arrears carried across
        years).

    Examples
    --------
    >>> LateFeeRate().current_year, LateFeeRate().carried_over
    (0.002, 0.003)
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    current_year: float = Field(default=0.002, ge=0)
    carried_over: float = Field(default=0.003, ge=0)


class IndicatorParams(BaseModel):
    """Every rule of the indicator stage, with the domain's defaults.

    Attributes
    ----------
    window_months : int, default 36
        Length of the default window: the ``window_months`` months ending at the latest
        ``period`` present in ``monthly``.  Ignored when a window is given.
    as_of : date or None, default None
        The date payments are judged at.  ``None`` means the last day of the window's last
        month.  Payments dated after it count as not made; bills due after it are not yet
        assessable.
    power_factor_rules : tuple of PowerFactorRule
        Standards by class and capacity, first match wins (see
        :data:`DEFAULT_POWER_FACTOR_RULES`).
    pf_rounding_epsilon : float, default 1e-9
        Added before rounding the power factor half up, so that a power factor that is
        0.895 up to floating-point error (computed as 0.8949999999999999) rounds to 0.90.
    late_fee_rates : dict of str to LateFeeRate
        Rates by customer class; classes not listed use ``late_fee_default``.  Default:
        residential 0.1 %/day in any year.
    late_fee_default : LateFeeRate
        Rates of the other classes: 0.2 %/day in the due date's year, 0.3 %/day after.
    late_fee_minimum : float, default 1.0
        Minimum penalty per late bill, yuan.
    paid_tolerance : float, default 0.0
        Yuan.  A bill is paid in full when ``paid_amount >= billed_amount - paid_tolerance``.
        Amounts are compared in whole fen, so only a tolerance of 0.01 yuan or more changes a
        result: the default 0 means paid to the fen; 1.0 forgives a shortfall of up to one
        yuan (e.g. a bank's rounding).
    duplicates, negative_energy : deprecated
        The input treatments belong to :class:`~custvalue.inputs.checks.CheckOptions`
        (``grade(..., duplicates="sum")``, ``compute_indicators(..., options=...)``).  Given
        here they still apply, with a ``DeprecationWarning``; they are kept in
        ``deprecated_treatments`` and read through :func:`input_treatments`.
    growth_min_months : int, default 9
        Months with a kWh reading a 12-month block needs to count as a usable year for
        ``usage_growth``; a usable year with fewer than 12 readings has its kWh annualised
        from the observed months (``× 12 / months``), so that a missing month does not void
        a year.  12 asks for complete years.
    fault_default_affected : float, default 1.0
        Customers counted for a fault whose ``affected_customers`` is empty.
    plan_completion : {"closeness", "ratio"}, default "closeness"
        ``closeness``: ``1 − |actual − plan| / plan`` clipped to [0, 1], so missing the plan
        either way is penalised (a declared plan is a commitment the grid is planned on:
        using far more than declared is as much a planning problem as using less).
        ``ratio``: ``actual / plan`` (用电计划完成率 read literally; above 1 when the
        customer used more than declared).

    Examples
    --------
    >>> IndicatorParams(late_fee_minimum=0.5).late_fee_minimum
    0.5
    >>> IndicatorParams(duplicates="drop")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for IndicatorParams
    ...
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    window_months: int = Field(default=36, ge=1, le=1200)
    as_of: dt.date | None = None
    power_factor_rules: tuple[PowerFactorRule, ...] = DEFAULT_POWER_FACTOR_RULES
    pf_rounding_epsilon: float = Field(default=1e-9, ge=0, le=1e-6)
    late_fee_rates: dict[str, LateFeeRate] = Field(
        default_factory=lambda: {
            "residential": LateFeeRate(current_year=0.001, carried_over=0.001)})
    late_fee_default: LateFeeRate = LateFeeRate()
    late_fee_minimum: float = Field(default=1.0, ge=0)
    paid_tolerance: float = Field(default=0.0, ge=0)
    growth_min_months: int = Field(default=9, ge=1, le=12)
    fault_default_affected: float = Field(default=1.0, ge=0)
    plan_completion: Literal["closeness", "ratio"] = "closeness"
    #: The deprecated ``duplicates=`` / ``negative_energy=`` spellings, as given (not part
    #: of the parameters' dump: the treatments are options).
    deprecated_treatments: DeprecatedTreatments = Field(
        default_factory=DeprecatedTreatments, exclude=True, repr=False)

    @model_validator(mode="before")
    @classmethod
    def _move_treatments(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        moved = {k: data[k] for k in _TREATMENTS if k in data}
        if not moved:
            return data
        warnings.warn(
            f"IndicatorParams({', '.join(f'{k}=...' for k in moved)}) is deprecated: the "
            "input treatments are options (CheckOptions; grade(..., duplicates=...), "
            "compute_indicators(..., options=...))", DeprecationWarning, stacklevel=4)
        rest = {k: v for k, v in data.items() if k not in _TREATMENTS}
        return {**rest, "deprecated_treatments": moved}

    def late_fee_rate(self, customer_class: str) -> LateFeeRate:
        """The late-fee rates that apply to ``customer_class``."""
        return self.late_fee_rates.get(customer_class, self.late_fee_default)

    def late_fee_profiles(self) -> list[tuple[LateFeeRate, tuple[str, ...] | None]]:
        """Distinct rate pairs and the classes using each (``None``: every other class).

        The default rates come last; the order is deterministic.

        Examples
        --------
        >>> [(r.current_year, c) for r, c in IndicatorParams().late_fee_profiles()]
        [(0.001, ('residential',)), (0.002, None)]
        """
        by_rate: dict[tuple[float, float], list[str]] = {}
        for name in sorted(self.late_fee_rates):
            rate = self.late_fee_rates[name]
            key = (rate.current_year, rate.carried_over)
            if key != (self.late_fee_default.current_year, self.late_fee_default.carried_over):
                by_rate.setdefault(key, []).append(name)
        out: list[tuple[LateFeeRate, tuple[str, ...] | None]] = [
            (LateFeeRate(current_year=k[0], carried_over=k[1]), tuple(v))
            for k, v in by_rate.items()
        ]
        out.append((self.late_fee_default, None))
        return out

    def pf_standards_cents(self) -> list[int]:
        """The distinct standards of the rules, in hundredths, highest first.

        Examples
        --------
        >>> IndicatorParams().pf_standards_cents()
        [90, 85, 80]
        """
        return sorted({r.standard_cents for r in self.power_factor_rules}, reverse=True)
