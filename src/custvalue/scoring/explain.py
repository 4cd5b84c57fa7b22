r"""Explanations: why a customer has the score it has, indicator by indicator.

:func:`explain` returns an :class:`Explanation` whose ``table`` has one row per indicator
(plus one per dimension kept only by its fill value) with the raw value, the normalised
value, the value used (after imputation), the effective weight after re-spread, the
contribution to the score and the customer's percentile among all customers on that
indicator; ``weakest`` lists the two weakest indicators and the score gain each would give
if raised to the median.

In a three-level scheme the table also has a ``secondary`` column (the indicator's
secondary indicator) and :attr:`Explanation.by_secondary` sums the contributions per
secondary indicator: the explanation of a score at every level of the tree.

**Contributions add up to the score exactly** (to floating-point rounding, < 1e-9).  Each
aggregator has its own additive decomposition (:math:`W_i` effective weight, :math:`x_i`
value used, :math:`s` score, all on 0–1 before scaling to 0–100):

* arithmetic — :math:`c_i = W_i x_i` (the score *is* this sum);
* geometric — log-share above the floor :math:`\varepsilon`:
  :math:`c_i = s \cdot W_i \log(x'_i/\varepsilon) / \sum_j W_j \log(x'_j/\varepsilon)`
  with :math:`x' = \max(x, \varepsilon)`.  Since :math:`\log(s/\varepsilon) = \sum_j W_j
  \log(x'_j/\varepsilon)`, each indicator gets the share of the score's log-height above
  the floor that it supplies; an indicator at the floor contributes 0 (if every indicator
  is at the floor, :math:`c_i = W_i s`);
* TOPSIS — share of the squared weighted distance from the anti-ideal:
  :math:`c_i = s \cdot (W_i(r_i - r^-_i))^2 / D^{-2}` (if :math:`D^- = 0`,
  :math:`c_i = W_i s`).

A filled dimension (``neutral``/``worst`` dimension policy) is one more term with its
fill weight and fill value.

**Percentile** is the customer's mid-rank percentile (0–100) among the customers with the
indicator present, on the normalised value (direction-aware: higher is better): the share
with a lower value plus half the share with an equal value, as
``scipy.stats.percentileofscore(..., kind="mean")``.  Mid-rank keeps a customer tied with
many others at the best value from showing a low percentile.

**Weakest** are the two present (not imputed) indicators with positive weight whose value
is below the median normalised value of the customers that have the indicator, lowest
percentile first (ties: lower value, then scheme order); fewer are listed when fewer are
below the median.  The gain is recomputed exactly with the aggregation kernel, the
customer's weights unchanged, after raising the value to that median.

Examples
--------
>>> from custvalue.scoring import score_result, example_frame
>>> res = score_result(example_frame())
>>> ex = explain(res, "C2")
>>> round(float(ex.table["contribution"].sum()), 9) == round(ex.score, 9)
True
>>> list(ex.weakest.index)
['pf_compliance', 'fault_impact_per_year']
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

from custvalue.errors import UnknownCustomerError
from custvalue.grading import NORM_PREFIX, Result, jsonable
from custvalue.scoring.arrays import ScoringArrays, aggregate, build_arrays
from custvalue.scoring.scheme import Scheme

if TYPE_CHECKING:
    from custvalue.scoring.scorer import ScoreResult

__all__ = ["Explanation", "contributions", "explain"]

_COLUMNS = [
    "dimension", "raw", "normalised", "used", "status", "weight", "contribution", "percentile",
]


@dataclass(frozen=True, repr=False)
class Explanation(Result):
    """One customer's score, taken apart.

    Attributes
    ----------
    customer_id : str
    score : float
        0–100 (NaN when ungraded).
    rank : int or None
    graded : bool
    reason : str or None
        Why the customer is not graded.
    aggregation : str
    table : pandas.DataFrame
        Indexed by indicator: ``dimension``, ``secondary`` (three-level schemes only),
        ``raw``, ``normalised``, ``used``, ``status``
        (``ok``, ``respread``, ``neutral``, ``worst``, ``missing``), ``weight`` (effective,
        sums to 1), ``contribution`` (0–100 points, sums to ``score``), ``percentile``.
    weakest : pandas.DataFrame
        Indexed by indicator: ``percentile``, ``normalised``, ``median``, ``gain`` (points).
    """

    customer_id: str
    score: float
    rank: int | None
    graded: bool
    reason: str | None
    aggregation: str
    table: pd.DataFrame
    weakest: pd.DataFrame

    @property
    def by_secondary(self) -> pd.Series:
        """Contributions summed per ``(dimension, secondary)`` (points; sums to the score).

        In a two-level dimension (or a filled one) the secondary level is the indicator
        itself; a two-level scheme gives one row per indicator.

        Examples
        --------
        >>> from custvalue.scoring import score_result, example_frame
        >>> ex = explain(score_result(example_frame()), "C1")
        >>> c = ex.by_secondary.loc["compliance"].round(2)
        >>> list(c.index)
        ['power_factor', 'bill_payment', 'usage_plan', 'violations', 'faults']
        >>> [float(v) for v in c]
        [3.47, 11.72, 1.72, 6.95, 6.95]
        >>> bool(abs(ex.by_secondary.sum() - ex.score) < 1e-9)
        True
        """
        table = self.table
        groups = (table["secondary"].where(table["secondary"].notna(), table.index.to_series())
                  if "secondary" in table.columns else table.index.to_series())
        frame = pd.DataFrame({"dimension": table["dimension"].to_numpy(),
                              "secondary": groups.to_numpy(),
                              "contribution": table["contribution"].to_numpy()})
        return frame.groupby(["dimension", "secondary"], sort=False)["contribution"].sum()

    @property
    def by_dimension(self) -> pd.Series:
        """Contributions summed per dimension (points; sums to the score).

        Examples
        --------
        >>> from custvalue.scoring import score_result, example_frame
        >>> explain(score_result(example_frame()), "C1").by_dimension.round(2).to_dict()
        {'contribution': 43.5, 'compliance': 30.81, 'cooperation': 10.62}
        """
        return self.table.groupby("dimension", sort=False)["contribution"].sum()

    def to_frame(self) -> pd.DataFrame:
        """A copy of :attr:`table`."""
        return self.table.copy()

    def to_dict(self) -> dict[str, Any]:
        """The explanation as JSON-serialisable plain data.

        ``indicators`` and ``weakest`` are lists of records (with ``indicator``),
        ``by_dimension`` maps each dimension to its points, ``by_secondary`` (three-level
        schemes) each ``dimension.secondary`` to its points; NaN becomes ``None``.

        Examples
        --------
        >>> import json
        >>> from custvalue.scoring import score_result, example_frame
        >>> data = json.loads(json.dumps(explain(score_result(example_frame()), "C1").to_dict()))
        >>> data["customer_id"], data["indicators"][0]["indicator"], len(data["weakest"]) <= 2
        ('C1', 'kwh_per_year', True)
        """
        data: dict[str, Any] = {
            "customer_id": self.customer_id, "score": self.score, "rank": self.rank,
            "graded": self.graded, "reason": self.reason, "aggregation": self.aggregation,
            "by_dimension": self.by_dimension.to_dict(),
        }
        if "secondary" in self.table.columns:
            data["by_secondary"] = {".".join(map(str, cast(tuple[str, str], key))): v
                                    for key, v in self.by_secondary.items()}
        data.update({"indicators": self.table, "weakest": self.weakest})
        return jsonable(data)

    def headline(self) -> str:
        """One line: the customer and its score, rank and aggregation (or why ungraded)."""
        if self.graded:
            return (f"Customer {self.customer_id}: score {self.score:.2f} (rank {self.rank}, "
                    f"{self.aggregation})")
        return f"Customer {self.customer_id}: not graded ({self.reason})"

    def _shown(self) -> pd.DataFrame:
        shown = self.table.copy()
        for col, digits in (("normalised", 3), ("used", 3), ("weight", 3),
                            ("contribution", 2), ("percentile", 0)):
            shown[col] = shown[col].round(digits)
        return shown

    def _weakest_line(self) -> str:
        gains = ", ".join(f"{k} +{v:.2f}" for k, v in self.weakest["gain"].items())
        return f"weakest (gain if raised to the median): {gains}"

    def to_text(self) -> str:
        """The headline, the indicator table and the weakest indicators as aligned text."""
        lines = [self.headline(), self._shown().to_string(na_rep="-")]
        if len(self.weakest):
            lines.append(self._weakest_line())
        return "\n".join(lines)

    def to_html(self) -> str:
        """The headline, the indicator table and the weakest indicators as HTML."""
        weakest = (f"<p>{html.escape(self._weakest_line())}</p>" if len(self.weakest) else "")
        return (f"<div><p><b>{html.escape(self.headline())}</b></p>"
                f"{self._shown().to_html(na_rep='-')}{weakest}</div>")

    def __repr__(self) -> str:
        weak = ", ".join(self.weakest.index)
        return f"<Explanation {self.headline()}" + (f"; weakest: {weak}>" if weak else ">")


def contributions(
    arrays: ScoringArrays, weights: np.ndarray, fill_weights: np.ndarray, score_unit: float
) -> tuple[np.ndarray, np.ndarray]:
    """Additive decomposition of one customer's unit score (kernel; see module docstring).

    Parameters
    ----------
    arrays : ScoringArrays
        One row (``arrays.rows([k])``).
    weights : numpy.ndarray, shape (I,)
        The row's effective weights.
    fill_weights : numpy.ndarray, shape (D,)
        The row's fill weights.
    score_unit : float
        The row's score on 0–1.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Contributions of the indicators (I,) and of the filled dimensions (D,), on 0–1,
        summing to ``score_unit``.

    Examples
    --------
    >>> from custvalue.scoring import Scorer, aggregate, example_frame
    >>> arr = Scorer().fit(example_frame()).arrays(example_frame()).rows([0])
    >>> agg = aggregate(arr, return_weights=True)
    >>> c, f = contributions(arr, agg.weights[0], agg.fill_weights[0], agg.score[0])
    >>> bool(abs(c.sum() + f.sum() - agg.score[0]) < 1e-12)
    True
    """
    x = np.where(weights > 0, arrays.values[0], 0.0)
    fill = np.nan_to_num(arrays.dim_fill, nan=0.0)
    if np.isnan(score_unit):
        return np.full(x.shape, np.nan), np.full(fill.shape, np.nan)
    if arrays.method == "arithmetic":
        parts, fparts = weights * x, fill_weights * fill
    elif arrays.method == "geometric":
        eps = arrays.floor
        parts = weights * np.log(np.maximum(x, eps) / eps)
        fparts = fill_weights * np.log(np.maximum(fill, eps) / eps)
    else:
        ref = arrays.topsis
        assert ref is not None
        r = np.clip(np.nan_to_num(ref.apply(arrays.values)[0]), ref.anti_ideal, ref.ideal)
        parts = (weights * (r - ref.anti_ideal)) ** 2
        fparts = (fill_weights * fill) ** 2
    total = parts.sum() + fparts.sum()
    if total > 0:
        return score_unit * parts / total, score_unit * fparts / total
    return score_unit * weights, score_unit * fill_weights


def _locate(arrays: ScoringArrays, customer_id: str) -> int:
    hits = np.flatnonzero(arrays.customer_id == str(customer_id))
    if hits.size == 0:
        raise UnknownCustomerError(
            "scores", "customer_id", f"customer {customer_id!r} is not in the scored table",
            [{"customer_id": customer_id}], fix="use one of the scored table's index values",
        )
    return int(hits[0])


def explain(
    scored: ScoreResult | pd.DataFrame, customer_id: str, scheme: Scheme | None = None
) -> Explanation:
    """Explain one customer's score indicator by indicator.

    Parameters
    ----------
    scored : ScoreResult or pandas.DataFrame
        A :class:`~custvalue.scoring.ScoreResult` (exact, preferred), or its
        ``table`` (the ``norm__*`` columns are read back; a TOPSIS reference is then
        refitted on the table, which equals the original when the scorer was fitted on the
        same customers).
    customer_id : str
    scheme : Scheme, optional
        Needed with a DataFrame (default :meth:`Scheme.default`); ignored with a
        ScoreResult.

    Returns
    -------
    Explanation

    Raises
    ------
    UnknownCustomerError
        The customer is not in the table.

    Examples
    --------
    >>> from custvalue.scoring import score_result, example_frame
    >>> res = score_result(example_frame())
    >>> ex = explain(res.table, "C3")
    >>> ex.table.loc["pf_compliance", "status"], ex.table.loc["work_cooperation", "status"]
    ('respread', 'neutral')
    >>> round(float(ex.table.loc["work_cooperation", "weight"]), 4)
    0.0706
    """
    if not isinstance(scored, pd.DataFrame):  # a ScoreResult: exact arrays
        table, scheme, arrays = scored.table, scored.scheme, scored.arrays
    else:
        table = scored
        scheme = scheme if scheme is not None else Scheme.default()
        norm = table[[NORM_PREFIX + n for n in scheme.indicator_names]]
        arrays = build_arrays(norm, scheme, table)
    k = _locate(arrays, customer_id)
    row = arrays.rows([k])
    agg = aggregate(row, return_weights=True)
    score_unit = float(agg.score[0])
    assert agg.weights is not None and agg.fill_weights is not None  # return_weights=True
    weights, fill_weights = agg.weights[0], agg.fill_weights[0]
    parts, fparts = contributions(row, weights, fill_weights, score_unit)

    names = arrays.indicators
    dims = [arrays.dimensions[d] for d in arrays.dim_of]
    policies = [ind.missing for _, _, ind in scheme.iter_indicators()]
    columns = [ind.column for _, _, ind in scheme.iter_indicators()]
    cid = arrays.customer_id[k]
    norm_values = np.array(
        [table.at[cid, NORM_PREFIX + n] for n in names], dtype=float
    )
    raw = np.array(
        [table.at[cid, c] if c in table.columns else np.nan for c in columns], dtype=float
    )
    status = []
    for i, policy in enumerate(policies):
        if not row.missing[0, i]:
            status.append("ok")
        elif policy == "ungraded":
            status.append("missing")
        else:
            status.append(policy)
    percentile = np.full(len(names), np.nan)
    medians = np.full(len(names), np.nan)
    for i, n in enumerate(names):
        col = table[NORM_PREFIX + n].to_numpy(dtype=float, na_value=np.nan)
        present = col[~np.isnan(col)]
        if present.size:
            medians[i] = float(np.median(present))
            if not np.isnan(norm_values[i]):
                below = float(np.sum(present < norm_values[i]))
                equal = float(np.sum(present == norm_values[i]))
                percentile[i] = 100.0 * (below + 0.5 * equal) / present.size
    used = np.where(row.available[0], row.values[0], np.nan)
    out = pd.DataFrame(
        {
            "dimension": dims,
            "raw": raw,
            "normalised": norm_values,
            "used": used,
            "status": status,
            "weight": weights,
            "contribution": parts * 100.0,
            "percentile": percentile,
        },
        index=pd.Index(list(names), name="indicator"),
    )
    filled = np.flatnonzero(fill_weights > 0)
    tree = scheme.levels == 3
    if tree:
        out.insert(1, "secondary", [scheme.secondary_of(n) for n in names])
    if filled.size:
        extra = pd.DataFrame(
            {
                "dimension": [arrays.dimensions[d] for d in filled],
                "raw": np.nan,
                "normalised": np.nan,
                "used": arrays.dim_fill[filled],
                "status": "dimension filled",
                "weight": fill_weights[filled],
                "contribution": fparts[filled] * 100.0,
                "percentile": np.nan,
            },
            index=pd.Index([f"({arrays.dimensions[d]})" for d in filled], name="indicator"),
        )
        if tree:
            extra.insert(1, "secondary", None)
        out = pd.concat([out, extra])

    candidates = [
        i for i in range(len(names))
        if row.available[0, i] and not row.imputed[0, i] and weights[i] > 0
        and row.values[0, i] < medians[i]
    ]
    candidates.sort(key=lambda i: (percentile[i], row.values[0, i], i))
    weak_rows = []
    for i in candidates[:2]:
        gain = np.nan
        if not np.isnan(score_unit):
            raised = row.values.copy()
            raised[0, i] = medians[i]
            new = aggregate(_with_values(row, raised))
            gain = (float(new.score[0]) - score_unit) * 100.0
        weak_rows.append(
            {"indicator": names[i], "percentile": percentile[i],
             "normalised": row.values[0, i], "median": medians[i], "gain": gain}
        )
    weakest = pd.DataFrame(
        weak_rows, columns=["indicator", "percentile", "normalised", "median", "gain"]
    ).set_index("indicator")

    rank_value: Any = table.at[cid, "rank"] if "rank" in table.columns else pd.NA
    reason: Any = table.at[cid, "reason"] if "reason" in table.columns else None
    return Explanation(
        customer_id=str(cid),
        score=score_unit * 100.0,
        rank=None if pd.isna(rank_value) else int(rank_value),
        graded=not np.isnan(score_unit),
        reason=None if pd.isna(reason) else str(reason),
        aggregation=arrays.method,
        table=out[_COLUMNS[:1] + (["secondary"] if tree else []) + _COLUMNS[1:]],
        weakest=weakest,
    )


def _with_values(arrays: ScoringArrays, values: np.ndarray) -> ScoringArrays:
    from dataclasses import replace

    return replace(arrays, values=values)
