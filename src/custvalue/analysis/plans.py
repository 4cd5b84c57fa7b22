r"""Improvement plans: the smallest changes that would lift a customer into a better tier.

The article (seed 001, 篇8) calls the 三级 customers the ones the company must urge to
improve (督促改进).  A plan says how, in the indicators' own units: "raise on-time payment
rate from 71 % to 88 %", "cut days late from 12 to 4 days".

**What a plan is.**  For a graded customer with score :math:`s` and a target tier with cut
score :math:`c` (the lowest score of a customer in that tier, in the customer's stratum, pins
left out), the plan raises some of the customer's *actionable* indicators
(:attr:`Indicator.actionable <custvalue.scoring.scheme.Indicator>`) so that the re-scored
value reaches :math:`c` plus a margin (default :data:`MARGIN` points, so that floating-point
rounding cannot leave a plan a hair short and the customer ranks above the tier's lowest
member rather than tying).  Only present indicators are changed: an indicator the customer
lacks (re-spread or imputed) is left alone, so the customer's effective weights do not move.
Everything is re-scored with the grading's **fitted bounds**: those it keeps
(:attr:`Grading.bounds <custvalue.grading.Grading>`, ``bounds.json`` of a saved grading,
read back without a fit), or, for a grading without them (saved before schema version 3,
built from a bare table) or kept for other settings, those
:class:`~custvalue.scoring.normalise.Normaliser` fits on the grading table's raw columns.
They must reproduce the planned customers' ``norm__*`` columns (this is checked), and the
other customers are left as they are: the cut scores are those of the grading.

**Cost.**  One pass over the table for the cut scores and the planned rows, then work on
the planned rows only: the effective weights (one aggregation), a greedy round per plan
step over the customers still short, the inverses, one exact re-score and the texts
(Arrow, vectorised).  For every 三级 customer of a 1M-customer grading this takes less
than scoring them once (``docs/performance.md``).

**Range.**  An indicator is never moved outside the range its normalisation knows: the
threshold's ``[lower, upper]``, or the fitted ``[min, max]`` of the graded customers
(winsorised where the scheme winsorises) for the learned methods.  The best value a plan
can give is the normalised value of the best end of that range (1 for every method except
``zscore`` and ``rank``, where it is the value of the best fitted customer).

**Arithmetic aggregation (exact).**  The score is linear in each normalised value with the
customer's effective weight :math:`W_i` (:func:`custvalue.scoring.effective_weights`):
:math:`\Delta s = \sum_i W_i \Delta x_i`.  The plan minimises the total normalised change
:math:`\sum_i \Delta x_i` subject to :math:`\sum_i W_i \Delta x_i \ge c + m - s` and
:math:`0 \le \Delta x_i \le \mathrm{cap}_i - x_i` — a fractional knapsack, solved exactly
by the greedy rule: indicators by effective weight (gain per unit of normalised change),
largest first (ties in scheme order), each raised to its best value until the last one is
raised just enough.  Every indicator but the last of a plan is at its best value, so no
smaller change of any single indicator reaches the cut.

**Geometric and TOPSIS aggregation (documented, numeric).**  The score is monotone in each
normalised value but not linear.  Indicators are ordered by the exact gain of raising each
alone to its best value, per unit of normalised change (re-scored with the aggregation
kernel); they are raised to their best value in that order until the re-scored value
reaches the target, and the last one is found by bisection (:data:`BISECTION_STEPS`
halvings) on the exact re-score.  The result reaches the target and no smaller change of
its last indicator does; it is not guaranteed to be the least total change.

**From normalised value back to raw units** (the inverse of each normalisation method, on
the fitted bounds; ``cost`` inverts :math:`1 - y`, ``target`` inverts the distance to the
ideal and moves the value towards the ideal from the side it is on):

=============  ===========================================================================
method         raw value for a normalised value :math:`y` (benefit form)
=============  ===========================================================================
threshold      :math:`lower + y (upper - lower)`
minmax         :math:`m + y (M - m)`
log_minmax     :math:`\ell^{-1}(\ell(m) + y(\ell(M) - \ell(m)))`, :math:`\ell^{-1}(t) =
               \mathrm{sign}(t)(e^{|t|} - 1)`
zscore         :math:`\mu + \sigma\,\Phi^{-1}(y)`
rank           the smallest of the fitted values and the midpoints between consecutive
               distinct fitted values whose mid-rank percentile reaches :math:`y` (a step
               function: the plan may overshoot to the next step)
=============  ===========================================================================

Examples
--------
>>> import custvalue
>>> t = custvalue.samples.generate(300, months=24, seed=5)
>>> g = custvalue.grade(**t, duplicates="last", negative_energy="allow")
>>> plans = improvement_plans(g)          # every 三级 customer, target tier 2
>>> bool(plans.customers.loc[plans.customers["status"] == "planned", "reaches"].all())
True

This module is long because one plan needs the inverse of every normalisation method and a
search for each aggregator (exact for arithmetic, bisection for geometric and TOPSIS), all
vectorised over customers; split, the inverses would sit away from the search that relies on
them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from scipy.special import ndtri

from custvalue.errors import InvalidValueError, UnknownCustomerError
from custvalue.grading import NORM_PREFIX, Grading, Result, as_grading, jsonable
from custvalue.scoring.arrays import ScoringArrays, aggregate, build_arrays
from custvalue.scoring.bounds import fits_from_bounds
from custvalue.scoring.kernels import TopsisReference, fit_topsis_reference
from custvalue.scoring.normalise import (
    IndicatorFit,
    fit_indicator,
    rank_kernel,
    signed_log,
    transform_indicator,
)
from custvalue.scoring.scheme import Scheme
from custvalue.tiers.cuts import cut_scores

__all__ = [
    "BISECTION_STEPS",
    "MARGIN",
    "ImprovementPlans",
    "cut_scores",
    "improvement_plan",
    "improvement_plans",
    "invert_indicator",
]

#: Points added to the cut score a plan aims at (see the module docstring).
MARGIN = 1e-6
#: Halvings of the bisection for the geometric and TOPSIS aggregations.
BISECTION_STEPS = 52
#: Display units of the default scheme's indicators (rates and shares -- thresholds inside
#: [0, 1] -- are shown in percent).
UNITS: dict[str, str] = {
    "total_kwh": " kWh", "revenue": " yuan", "days_late": " days",
    "violations_per_year": " a year", "fault_impact_per_year": " customers a year",
    "suggestions_per_year": " a year", "work_cooperation": " points",
}
_STATUS = ("planned", "unreachable", "already", "ungraded")
#: The text columns' dtype (pandas' default string dtype, Arrow storage).
_STR = pd.StringDtype("pyarrow", na_value=np.nan)


# --------------------------------------------------------------------------- inversion
def _rank_inverse(f: np.ndarray, reference: np.ndarray, at_least: bool) -> np.ndarray:
    """Smallest candidate with percentile >= f (``at_least``), else largest with <= f."""
    ref = np.unique(reference)
    if ref.size < 2:
        return np.full(f.shape, ref[0] if ref.size else np.nan)
    candidates = np.sort(np.concatenate([ref, (ref[:-1] + ref[1:]) / 2.0]))
    p = rank_kernel(candidates, np.asarray(reference, dtype=float))
    if at_least:
        idx = np.searchsorted(p, f - 1e-12, side="left")
    else:
        idx = np.searchsorted(p, f + 1e-12, side="right") - 1
    return candidates[np.clip(idx, 0, candidates.size - 1)]


def invert_indicator(y: np.ndarray, fit: IndicatorFit, current: np.ndarray | None = None
                     ) -> np.ndarray:
    """Raw values whose normalised value (1 = best) is ``y``, on the fitted bounds.

    The inverse of :func:`custvalue.scoring.normalise.transform_indicator` inside the
    fitted range (see the module docstring for each method).  For a ``target`` indicator
    the value lies on the side of the ideal that ``current`` is on (above when unknown).
    An indicator that was constant in the fitted sample has no inverse (NaN).

    Parameters
    ----------
    y : numpy.ndarray
        Normalised values in [0, 1].
    fit : IndicatorFit
        The indicator's fitted bounds (``Normaliser.fits_``).
    current : numpy.ndarray, optional
        Current raw values (for the side of a ``target`` indicator).

    Returns
    -------
    numpy.ndarray

    Examples
    --------
    >>> from custvalue.scoring.scheme import Indicator
    >>> from custvalue.scoring.normalise import fit_indicator
    >>> ind = Indicator(column="days_late", direction="cost", weight=1,
    ...                 normalisation={"method": "threshold", "lower": 0, "upper": 30})
    >>> invert_indicator(np.array([0.6]), fit_indicator(np.array([0.0, 40.0]), ind)).tolist()
    [12.0]
    >>> ind = Indicator(column="kwh", weight=1, normalisation={"method": "log_minmax"})
    >>> fit = fit_indicator(np.array([0.0, 99.0]), ind)
    >>> invert_indicator(np.array([0.5]), fit).round(6).tolist()
    [9.0]
    """
    y = np.clip(np.asarray(y, dtype=float), 0.0, 1.0)
    f = y if fit.direction == "benefit" else 1.0 - y
    if fit.method in ("minmax", "threshold"):
        z = fit.low + f * (fit.high - fit.low) if fit.high > fit.low else np.full(f.shape,
                                                                                 np.nan)
    elif fit.method == "log_minmax":
        lo, hi = float(signed_log(fit.low)), float(signed_log(fit.high))
        t = lo + f * (hi - lo)
        z = np.sign(t) * np.expm1(np.abs(t)) if hi > lo else np.full(f.shape, np.nan)
    elif fit.method == "zscore":
        with np.errstate(over="ignore", invalid="ignore"):
            z = (fit.mean + fit.std * ndtri(f)) if fit.std > 0 else np.full(f.shape, np.nan)
    else:
        z = _rank_inverse(f, fit.reference, at_least=fit.direction == "benefit")
    if fit.direction != "target":
        return z
    side = np.ones_like(z) if current is None else np.where(
        np.asarray(current, dtype=float) < float(fit.ideal), -1.0, 1.0)  # type: ignore[arg-type]
    return float(fit.ideal) + side * z  # type: ignore[arg-type]


def _best_raw(fit: IndicatorFit) -> float:
    """The raw value at the best end of the indicator's range."""
    if fit.direction == "target":
        return float(fit.ideal)  # type: ignore[arg-type]
    if fit.method == "rank":
        ref = fit.reference
        if not ref.size:
            return math.nan
        return float(ref[-1] if fit.direction == "benefit" else ref[0])
    return fit.high if fit.direction == "benefit" else fit.low


# --------------------------------------------------------------------------- result
@dataclass(eq=False, repr=False)
class ImprovementPlans(Result):
    """Improvement plans for a set of customers (see :func:`improvement_plans`).

    Attributes
    ----------
    customers : pandas.DataFrame
        One row per customer asked for, by ``customer_id``: ``tier``, ``target``, ``score``,
        ``cut_score`` (of the target tier), ``gap`` (points still needed, 0 when already
        there), ``status`` (``planned``, ``unreachable`` — even every actionable indicator
        at its best value falls short —, ``already`` in the target tier or better,
        ``ungraded``), ``changes`` (indicators changed), ``score_planned`` (the exact
        re-score with the plan applied; with ``unreachable`` the best the customer can
        reach), ``reaches`` (``score_planned >= cut_score``) and ``plan`` (the actions as
        text, ``"; "``-joined).
    steps : pandas.DataFrame
        One row per changed indicator, in plan order: ``customer_id``, ``step`` (1, 2 ...),
        ``indicator``, ``label_zh``, ``label_en``, ``direction``, ``current``, ``planned``
        (raw units), ``norm_current``, ``norm_planned``, ``gain`` (score points the change
        gives with the others unchanged) and ``action`` (text).
    aggregation : str
    margin : float
    """

    customers: pd.DataFrame
    steps: pd.DataFrame
    aggregation: str
    margin: float = MARGIN

    def plan(self, customer_id: str) -> pd.DataFrame:
        """The steps of one customer's plan."""
        return self.steps[self.steps["customer_id"] == str(customer_id)].reset_index(
            drop=True)

    def headline(self) -> str:
        counts = self.customers["status"].value_counts()
        parts = ", ".join(f"{counts.get(s, 0):,} {s}" for s in _STATUS if counts.get(s, 0))
        return (f"Improvement plans for {len(self.customers):,} customers "
                f"({self.aggregation}): {parts or 'none'}")

    def to_frame(self) -> pd.DataFrame:
        """The plan table: one row per step, customers without a step on one row each.

        Columns: the ``customers`` columns (but ``plan``) then the step columns.
        """
        cust = self.customers.drop(columns=["plan"]).reset_index()
        out = cust.merge(self.steps, on="customer_id", how="left")
        out["step"] = out["step"].astype("Int64")
        return out

    def to_dict(self) -> dict[str, Any]:
        return jsonable({"headline": self.headline(), "aggregation": self.aggregation,
                         "margin": self.margin,
                         "customers": self.customers.reset_index().to_dict(orient="records"),
                         "steps": self.steps.to_dict(orient="records")})

    def to_text(self) -> str:
        lines = [self.headline()]
        shown = self.customers.head(20)
        for cid, row in shown.iterrows():  # display only: at most 20 rows
            lines.append(f"  {cid}: tier {row['tier']} -> {row['target']}, "
                         f"score {row['score']:.2f} / cut {row['cut_score']:.2f}: "
                         f"{row['status']}" + (f" — {row['plan']}" if row["plan"] else ""))
        if len(self.customers) > len(shown):
            lines.append(f"  ... {len(self.customers) - len(shown):,} more")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<{self.headline()}>"


# --------------------------------------------------------------------------- text
def _is_share(fit: IndicatorFit) -> bool:
    """A rate or share (a threshold within [0, 1]): shown in percent."""
    return fit.method == "threshold" and fit.low == 0.0 and fit.high <= 1.0


def _format(values: np.ndarray, decimals: np.ndarray) -> pa.Array:
    """Numbers rounded to ``decimals`` as text, trailing zeros dropped (Arrow, vectorised)."""
    scale = 10.0 ** decimals
    return pc.cast(pa.array(np.round(values * scale) / scale), pa.string())


def _actions(name: str, fit: IndicatorFit, label: str, current: np.ndarray,
             planned: np.ndarray) -> pa.Array:
    """Action texts for one indicator (vectorised over its steps).

    The shown planned value is rounded in the safe direction (up for a benefit, down for a
    cost) at the fewest decimals (0–3) that tell the two values apart and show at least
    two significant digits.
    """
    percent = _is_share(fit)
    unit = " %" if percent else UNITS.get(name, "")
    scale = 100.0 if percent else 1.0
    cur, new = current * scale, planned * scale
    decimals = np.full(cur.shape, 3)
    for d in (2, 1, 0):
        differ = np.round(cur, d) != np.round(new, d)
        decimals = np.where(differ, d, decimals)
    with np.errstate(divide="ignore"):  # at least two significant digits of both values
        big = np.maximum(np.abs(cur), np.abs(new))
        small = np.where(np.abs(new) > 0, np.abs(new), big)
        sig = np.where(small > 0, 1 - np.floor(np.log10(small)), 0)
    decimals = np.clip(np.maximum(decimals, sig), 0, 3).astype(np.int64)
    step = 10.0 ** -decimals
    if fit.direction == "benefit":
        shown = np.ceil(new / step - 1e-9) * step
    elif fit.direction == "cost":
        shown = np.floor(new / step + 1e-9) * step
    else:
        shown = new
    verb = {"benefit": "raise", "cost": "cut"}.get(fit.direction, "bring")
    a = _format(cur, decimals)
    b = _format(shown, decimals)
    return pc.binary_join_element_wise(f"{verb} {label} from ", a, " to " if not percent
                                       else " % to ", b, unit, "")


# --------------------------------------------------------------------------- the plans
def _column(table: pd.DataFrame, name: str, pos: np.ndarray) -> np.ndarray:
    """Float values of one column at the positions ``pos`` (NaN for missing)."""
    col = table[name]
    values = (col.to_numpy() if col.dtype == np.float64  # a view: no copy of the column
              else col.to_numpy(dtype=float, na_value=np.nan))
    return values[pos]


def _grading_fits(g: Grading, scheme: Scheme
                  ) -> tuple[dict[str, IndicatorFit], TopsisReference | None]:
    """The bounds the grading was scored with: its stored bounds, else refitted.

    A grading made by :func:`custvalue.grade` (or saved since schema version 3) keeps the
    bounds it was scored with (:attr:`Grading.bounds`); they are read back without a fit
    (a ``rank`` indicator refits its reference sample from the table's column).  Without
    them (an older saved grading, a bare table) or when they were fitted with other
    settings than ``scheme``'s, the bounds are refitted on the table's raw columns (what
    :class:`~custvalue.scoring.normalise.Normaliser` fits on the grading's customers; the
    TOPSIS reference is then refitted by the caller).
    """
    if g.bounds is not None:
        try:
            return fits_from_bounds(g.bounds, scheme, g.table)
        except ValueError:
            pass
    table = g.table
    return {name: fit_indicator(table[ind.column].to_numpy(dtype=float, na_value=np.nan),
                                ind, name)
            for _, name, ind in scheme.iter_indicators()}, None


def _rows(table: pd.DataFrame, rows: pd.Index, pos: np.ndarray, scheme: Scheme,
          fits: dict[str, IndicatorFit]) -> tuple[np.ndarray, np.ndarray]:
    """Raw and normalised values ``(R, I)`` of the planned rows, checked against each other.

    The bounds must give back the grading's ``norm__*`` values from its raw values (else
    the table was edited, or scored with bounds fitted elsewhere).
    """
    raw = np.empty((pos.size, len(fits)))
    norm = np.empty((pos.size, len(fits)))
    for i, (name, fit) in enumerate(fits.items()):  # a loop over indicators
        col = NORM_PREFIX + name
        if col not in table.columns:
            raise InvalidValueError("grading", col, "the grading table has no normalised "
                                    "column for this scheme indicator",
                                    fix="plan on the grading the scheme produced")
        raw[:, i] = _column(table, fit.column, pos)
        norm[:, i] = _column(table, col, pos)
        again = transform_indicator(raw[:, i], fit)
        with np.errstate(invalid="ignore"):  # NaN on both sides agrees
            bad = ~(np.abs(again - norm[:, i]) <= 1e-9) & ~(np.isnan(again) & np.isnan(norm[:, i]))
        if bad.any():
            examples = [{"customer_id": c, col: v} for c, v in
                        zip(rows[bad][:5], norm[bad, i][:5], strict=True)]
            raise InvalidValueError(
                "grading", col, "the raw values refitted on the grading table do not give "
                "back its normalised values (was the table edited, or scored with bounds "
                "fitted elsewhere?)", examples=examples, count=int(bad.sum()),
                fix="plan on a grading made by custvalue.grade, unedited")
    return raw, norm


def _greedy_linear(w: np.ndarray, head: np.ndarray, need: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Fractional knapsack by effective weight, one plan step at a time.

    Each round gives every customer still short of its need its next indicator: the one
    of largest weight with room left (ties in scheme order), raised to its best value or
    just enough.  A round works on the customers still short only, and a plan has a few
    steps, so the work is a few passes over ``(N, I)`` instead of a sort of every row.

    Returns
    -------
    delta : numpy.ndarray, shape (N, I)
        The normalised changes.
    row, indicator, step : numpy.ndarray
        The steps in plan order (by row, then step; steps numbered from 1).
    """
    n, n_ind = w.shape
    delta = np.zeros((n, n_ind))
    before = np.zeros(n)  # the gain of the steps taken so far
    live = np.flatnonzero(need > 0)
    key = w[live]  # the candidates of the rows still short: weight where there is room
    key[head[live] <= 0] = -np.inf
    out_r, out_i, out_s = [], [], []
    for step in range(1, n_ind + 1):  # a loop over plan steps (at most I)
        col = np.argmax(key, axis=1)
        room = key[np.arange(live.size), col] > -np.inf
        live, col, key = live[room], col[room], key[room]
        if not live.size:
            break
        at = np.arange(live.size)
        ws, hs, b, nd = w[live, col], head[live, col], before[live], need[live]
        cum = b + ws * hs
        delta[live, col] = np.where(cum <= nd, hs, np.minimum((nd - b) / ws, hs))
        before[live] = cum
        out_r.append(live)
        out_i.append(col)
        out_s.append(np.full(live.size, step))
        key[at, col] = -np.inf
        short = cum < nd
        live, key = live[short], key[short]
    if not out_r:
        empty = np.zeros(0, dtype=np.int64)
        return delta, empty, empty, empty
    r, i, k = (np.concatenate(out_r), np.concatenate(out_i), np.concatenate(out_s))
    order = np.argsort(r, kind="stable")  # rounds are in step order: stable keeps it
    return delta, r[order], i[order], k[order]


def _steps(delta: np.ndarray, order: np.ndarray
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The steps (row, indicator, step) of changes ``delta`` taken in ``order`` per row."""
    changed_sorted = np.take_along_axis(delta > 0, order, axis=1)
    r_idx, s_idx = np.nonzero(changed_sorted)
    step_no = np.cumsum(changed_sorted, axis=1)[r_idx, s_idx]
    return r_idx, order[r_idx, s_idx], step_no


def _score_with(arrays: ScoringArrays, values: np.ndarray) -> np.ndarray:
    return aggregate(replace(arrays, values=values)).score


def _greedy_numeric(arrays: ScoringArrays, head: np.ndarray, target: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Order by exact gain per unit change, raise in order, bisect the last (any aggregator)."""
    x = arrays.values
    n, n_ind = x.shape
    base = _score_with(arrays, x)
    rate = np.full((n, n_ind), -np.inf)
    for i in range(n_ind):  # a loop over indicators
        if not (head[:, i] > 0).any():
            continue
        alone = x.copy()
        alone[:, i] = x[:, i] + head[:, i]
        with np.errstate(invalid="ignore", divide="ignore"):
            r = (_score_with(arrays, alone) - base) / head[:, i]
        rate[:, i] = np.where(head[:, i] > 0, r, -np.inf)
    order = np.argsort(-rate, axis=1, kind="stable")
    hs = np.take_along_axis(head, order, axis=1)
    take = np.zeros_like(hs)
    current = x.copy()
    done = base >= target
    for j in range(n_ind):  # a loop over plan steps (at most I)
        col = order[:, j]
        trial = current.copy()
        rows = np.arange(n)
        trial[rows, col] = current[rows, col] + hs[:, j]
        reached = _score_with(arrays, trial) >= target
        full = ~done & ~reached
        take[:, j] = np.where(full, hs[:, j], 0.0)
        last = ~done & reached & (hs[:, j] > 0)
        if last.any():  # bisection on the fraction of this step, for all such rows at once
            lo, hi = np.zeros(n), np.ones(n)
            for _ in range(BISECTION_STEPS):
                mid = (lo + hi) / 2.0
                probe = current.copy()
                probe[rows, col] = current[rows, col] + mid * hs[:, j]
                ok = _score_with(arrays, probe) >= target
                hi = np.where(ok, mid, hi)
                lo = np.where(ok, lo, mid)
            take[:, j] = np.where(last, hi * hs[:, j], take[:, j])
        current[rows, col] = current[rows, col] + take[:, j]
        done |= reached
    delta = np.zeros_like(take)
    np.put_along_axis(delta, order, take, axis=1)
    return delta, order


def improvement_plans(
    grading: Any,
    target: int | None = None,
    *,
    customers: Any = None,
    tier: int | None = None,
    scheme: Scheme | None = None,
    margin: float = MARGIN,
) -> ImprovementPlans:
    """Improvement plans for many customers at once (one vectorised pass).

    Parameters
    ----------
    grading : Grading, pandas.DataFrame or path
        The grading (a bare table needs ``scheme``).
    target : int, optional
        The tier to reach (0 = 特级).  Default: one tier better than ``tier``.
    customers : list of str, optional
        The customers to plan for.  Default: every customer of ``tier``.
    tier : int, optional
        Default: the worst tier of the scheme (三级).
    scheme : Scheme, optional
        The scheme of a bare table.
    margin : float, default :data:`MARGIN`
        Points above the cut score a plan aims at.

    Returns
    -------
    ImprovementPlans

    Raises
    ------
    UnknownCustomerError
        A customer is not in the grading.
    InvalidValueError
        The target is not a tier of the scheme, or the table's normalised values cannot be
        reproduced from its raw values.

    Examples
    --------
    >>> import custvalue
    >>> t = custvalue.samples.generate(300, months=24, seed=5)
    >>> g = custvalue.grade(**t, duplicates="last", negative_energy="allow")
    >>> p = improvement_plans(g, target=2)
    >>> sorted(set(p.customers["tier"])) == [3]
    True
    """
    g = as_grading(grading, scheme)
    scheme, table = g.scheme, g.table
    n_tiers = len(scheme.tiers.quotas)
    tier = n_tiers - 1 if tier is None else int(tier)
    if target is None:
        target = max(tier - 1, 0)
    if not 0 <= int(target) < n_tiers:
        raise InvalidValueError("plans", "target", f"tier {target} is not a tier of the "
                                f"scheme (0 .. {n_tiers - 1})")
    target = int(target)
    if customers is None:
        sel = np.flatnonzero((table["tier"] == tier).fillna(False).to_numpy(dtype=bool))
    else:
        asked = pd.Index([str(c) for c in np.atleast_1d(np.asarray(customers, dtype=object))])
        unknown = asked[~asked.isin(table.index)]
        if len(unknown):
            raise UnknownCustomerError(
                "grading", "customer_id", "customers not in the grading",
                examples=[{"customer_id": c} for c in unknown[:5]], count=len(unknown))
        sel = table.index.get_indexer(asked)
    ids = table.index[sel]
    cuts = cut_scores(table, n_tiers)
    if "stratum" in table.columns:
        stratum = table["stratum"].iloc[sel].astype(str).to_numpy()
        cut = cuts[target].reindex(stratum).to_numpy(dtype=float)
    else:
        cut = np.full(len(ids), cuts[target].to_numpy(dtype=float)[0])
    score = _column(table, "score", sel)
    cur_tier = table["tier"].iloc[sel]
    graded = cur_tier.notna().to_numpy() & ~np.isnan(score)
    already = graded & (cur_tier.fillna(n_tiers).to_numpy(dtype=np.int64) <= target)
    todo = graded & ~already & ~np.isnan(cut)
    rows = ids[todo]

    names = list(scheme.indicator_names)
    n_ind = len(names)
    delta = np.zeros((len(rows), n_ind))
    planned_score = score[todo].copy()
    reachable = np.zeros(len(rows), dtype=bool)
    w = np.zeros((len(rows), n_ind))
    arrays = None
    fits: dict[str, IndicatorFit] = {}
    r_idx = i_idx = step_no = np.zeros(0, dtype=np.int64)
    if len(rows):
        pos = sel[todo]
        fits, topsis = _grading_fits(g, scheme)
        raw_cur, norm_cur = _rows(table, rows, pos, scheme, fits)
        if scheme.aggregation.method == "topsis" and topsis is None:  # refit on everyone
            full = build_arrays(table[[NORM_PREFIX + n for n in names]], scheme, None)
            topsis = fit_topsis_reference(full.values, full.available,
                                          scheme.aggregation.topsis_normalisation)
        arrays = build_arrays(pd.DataFrame(norm_cur, index=rows,
                                           columns=[NORM_PREFIX + n for n in names]),
                              scheme, None, topsis)
        agg = aggregate(arrays, return_weights=True)
        assert agg.weights is not None  # return_weights=True
        w = agg.weights
        x = arrays.values
        actionable = np.array([ind.actionable for _, _, ind in scheme.iter_indicators()])
        cap = np.array([float(transform_indicator(np.array([_best_raw(fits[n])]), fits[n])[0])
                        for n in names])
        ok = (actionable[None, :] & arrays.available & ~arrays.imputed & (w > 0)
              & ~np.isnan(cap)[None, :])
        with np.errstate(invalid="ignore"):
            head = np.where(ok & (cap > x), cap - x, 0.0)
        goal = cut[todo] + margin
        if arrays.method == "arithmetic":
            delta, r_idx, i_idx, step_no = _greedy_linear(w, head, (goal - score[todo]) / 100.0)
        else:
            delta, order = _greedy_numeric(arrays, head, goal / 100.0)
            r_idx, i_idx, step_no = _steps(delta, order)
        # back to raw units, and the normalised value the raw value really gives
        norm_new, raw_new = x.copy(), raw_cur.copy()
        for i in np.unique(i_idx):  # a loop over indicators
            pick = r_idx[i_idx == i]
            back = invert_indicator(x[pick, i] + delta[pick, i], fits[names[i]],
                                    raw_cur[pick, i])
            raw_new[pick, i] = back
            norm_new[pick, i] = transform_indicator(back, fits[names[i]])
        planned_score = _score_with(arrays, norm_new) * 100.0
        reachable = planned_score >= cut[todo]

    # --- per customer
    status = np.full(len(ids), _STATUS.index("ungraded"), dtype=np.int8)
    status[already] = _STATUS.index("already")
    status[todo] = np.where(reachable, _STATUS.index("planned"), _STATUS.index("unreachable"))
    status[graded & ~already & np.isnan(cut)] = _STATUS.index("unreachable")
    score_planned = np.where(already, score, np.nan)
    score_planned[todo] = planned_score
    n_changes = np.zeros(len(ids), dtype=np.int64)
    n_changes[np.flatnonzero(todo)] = np.bincount(r_idx, minlength=len(rows))

    # --- steps (long form), in plan order (the greedy order)
    if r_idx.size and arrays is not None:
        if arrays.method == "arithmetic":
            gain_alone = 100.0 * w[r_idx, i_idx] * (norm_new[r_idx, i_idx]
                                                     - arrays.values[r_idx, i_idx])
        else:
            gain_alone = np.zeros(len(r_idx))
            base = _score_with(arrays, arrays.values)
            for i in np.unique(i_idx):  # a loop over indicators
                at = i_idx == i
                probe = arrays.values.copy()
                probe[r_idx[at], i] = norm_new[r_idx[at], i]
                gain_alone[at] = 100.0 * (_score_with(arrays, probe)[r_idx[at]]
                                          - base[r_idx[at]])
        inds = [scheme.indicator(n) for n in names]
        parts, where = [], []
        for i in np.unique(i_idx):  # a loop over indicators
            at = np.flatnonzero(i_idx == i)
            label = inds[i].label.en or names[i].replace("_", " ")
            parts.append(_actions(names[i], fits[names[i]], label, raw_cur[r_idx[at], i],
                                  raw_new[r_idx[at], i]))
            where.append(at)
        action = pa.concat_arrays(parts).take(pa.array(np.argsort(np.concatenate(where))))

        def category(values: list[str]) -> pd.Categorical:
            return pd.Categorical.from_codes(i_idx, categories=pd.Index(values, dtype=object)
                                             ) if len(set(values)) == len(values) else \
                pd.Categorical(np.asarray(values, dtype=object)[i_idx])

        directions = [d.direction for d in inds]
        seen = sorted({directions[i] for i in np.unique(i_idx)})
        dir_code = np.array([seen.index(d) if d in seen else -1 for d in directions])
        steps = pd.DataFrame({
            "customer_id": pd.array(pa.array(rows.take(r_idx).astype(str)), dtype=_STR),
            "step": step_no.astype(np.int64),
            "indicator": category(names),
            "label_zh": category([d.label.zh for d in inds]),
            "label_en": category([d.label.en for d in inds]),
            "direction": pd.Categorical.from_codes(dir_code[i_idx],
                                                   categories=pd.Index(seen)),
            "current": raw_cur[r_idx, i_idx],
            "planned": raw_new[r_idx, i_idx],
            "norm_current": arrays.values[r_idx, i_idx],
            "norm_planned": norm_new[r_idx, i_idx],
            "gain": gain_alone,
            "action": pd.arrays.ArrowStringArray(action),
        })
    else:
        steps = pd.DataFrame(columns=["customer_id", "step", "indicator", "label_zh",
                                      "label_en", "direction", "current", "planned",
                                      "norm_current", "norm_planned", "gain", "action"])
    plan_text = pa.array(np.full(len(ids), "", dtype=object), type=pa.string())
    if len(steps):
        # the actions of each customer joined in step order (Arrow lists, no customer loop)
        counts = np.bincount(r_idx, minlength=len(rows))
        offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
        joined = pc.binary_join(pa.ListArray.from_arrays(pa.array(offsets), action), "; ")
        plan_text = pc.if_else(pa.array(todo), pc.take(joined, pa.array(np.clip(
            np.cumsum(todo) - 1, 0, None))), "")
    out = pd.DataFrame({
        "tier": cur_tier.astype("Int64").array,
        "target": target,
        "score": score,
        "cut_score": cut,
        "gap": np.where(graded, np.clip(cut - score, 0.0, None), np.nan),
        "status": pd.Categorical.from_codes(status.astype(np.int64), categories=pd.Index(
            list(_STATUS))).astype("string"),
        "changes": n_changes,
        "score_planned": score_planned,
        "reaches": np.where(np.isnan(score_planned), False,
                            np.nan_to_num(score_planned, nan=-np.inf) >= cut),
        "plan": pd.array(plan_text, dtype=_STR),
    }, index=pd.Index(ids, name="customer_id"))
    return ImprovementPlans(customers=out, steps=steps, aggregation=scheme.aggregation.method,
                            margin=margin)


def improvement_plan(grading: Any, customer_id: str, target: int | None = None, *,
                     scheme: Scheme | None = None, margin: float = MARGIN) -> ImprovementPlans:
    """The improvement plan of one customer (default target: one tier better).

    Examples
    --------
    >>> import custvalue
    >>> t = custvalue.samples.generate(300, months=24, seed=5)
    >>> g = custvalue.grade(**t, duplicates="last", negative_energy="allow")
    >>> cid = g.table.index[g.table["tier"] == 3][0]
    >>> p = improvement_plan(g, cid, target=2)
    >>> p.customers.loc[cid, "status"] in ("planned", "unreachable")
    True
    """
    g = as_grading(grading, scheme)
    if str(customer_id) not in g.table.index:
        raise UnknownCustomerError("grading", "customer_id", f"customer {customer_id!r} is "
                                   "not in the grading", [{"customer_id": customer_id}])
    tier: Any = g.table.at[str(customer_id), "tier"]  # an int, or <NA> when ungraded
    if target is None:
        target = max(int(tier) - 1, 0) if not pd.isna(tier) else 0
    return improvement_plans(g, target, customers=[str(customer_id)], margin=margin)
