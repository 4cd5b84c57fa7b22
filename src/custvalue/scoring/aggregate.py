r"""Aggregation: from normalised indicators to dimension scores, the value score and ranks.

The kernels work on plain numpy arrays and are vectorised over customers (no loop over
customers; loops over indicators and dimensions only).  Their common inputs are

* ``values`` — ``(N, I)`` normalised values in [0, 1], 1 = best (NaN where unavailable);
* ``available`` — ``(N, I)`` bool, which values take part (imputed values count as
  available, values missing under the ``respread`` or ``ungraded`` policy do not);
* ``indicator_weights`` — ``(I,)`` within-dimension weights, or ``(K, I)`` for K draws;
* ``dim_of`` — ``(I,)`` int, the dimension (0..D-1) of each indicator;
* ``dim_weights`` — ``(D,)`` dimension weights, or ``(K, D)`` for K draws;
* ``dim_fill`` — ``(D,)`` value of a dimension none of whose indicators is available for a
  customer (0.5 ``neutral``, 0 ``worst``), NaN to re-spread its weight over the customer's
  other dimensions (``respread``; ``ungraded`` is applied by :func:`aggregate`).

**Effective weights.**  For customer *n*, indicator *i* in dimension *d*:

.. math::

    S_{nd} = \sum_{j \in d} w_j a_{nj}, \qquad
    e_{nd} = [S_{nd} > 0] \lor [\mathrm{fill}_d \ne \mathrm{NaN}], \qquad
    W^{dim}_{nd} = \frac{v_d\, e_{nd}}{\sum_{d'} v_{d'}\, e_{nd'}}, \qquad
    W_{ni} = W^{dim}_{nd}\, \frac{w_i a_{ni}}{S_{nd}}

(``respread``: a missing indicator's weight goes to the customer's other indicators of the
dimension in proportion to their weights; an empty dimension's weight goes to the other
dimensions).  A dimension kept only by its fill value has *fill weight*
:math:`F_{nd} = W^{dim}_{nd}`.  For every customer with any dimension,
:math:`\sum_i W_{ni} + \sum_d F_{nd} = 1`.

**Aggregators** (all return scores in [0, 1]; the front multiplies by 100):

* arithmetic — :math:`s_n = \sum_i W_{ni} x_{ni} + \sum_d F_{nd} \mathrm{fill}_d`;
  dimension score :math:`\sum_{i \in d} w_i a_{ni} x_{ni} / S_{nd}`.
* geometric — :math:`s_n = \prod_i \max(x_{ni}, \varepsilon)^{W_{ni}} \prod_d
  \max(\mathrm{fill}_d, \varepsilon)^{F_{nd}}` with the floor :math:`\varepsilon`
  (default 0.01) so that a single 0 does not zero the score; dimension scores likewise.
  Hierarchical and flat forms coincide because :math:`W = W^{dim} \cdot w / S`.
* TOPSIS (Hwang & Yoon 1981) — on the matrix :math:`r` rescaled by a fitted
  :class:`TopsisReference` (vector or min-max), with ideal :math:`r^+` and anti-ideal
  :math:`r^-` (column max/min of the fitted customers): :math:`D^\pm_n =
  \sqrt{\sum_i (W_{ni}(r_{ni} - r^\pm_i))^2}` and closeness :math:`s_n = D^-_n/(D^+_n +
  D^-_n)` (0.5 when both are 0).  Values are clipped to :math:`[r^-, r^+]` so that
  customers outside the fitted range stay monotone.  A filled dimension enters as one
  more criterion with value :math:`\mathrm{fill}_d`, ideal 1 and anti-ideal 0.  Dimension
  scores are the closeness within the dimension; the total is *not* their weighted mean.

With ``(K, I)``/``(K, D)`` weights every output gains a leading draw axis, so a Monte-Carlo
robustness analysis perturbs the weights of all customers in one call::

    arr = Scorer(scheme).fit(ind).arrays(ind)
    agg = aggregate(arr, indicator_weights=W_draws, dim_weights=V_draws)  # agg.score: (K, N)

Examples
--------
>>> import numpy as np
>>> values = np.array([[1.0, 0.0, 0.5], [0.2, np.nan, 1.0]])
>>> available = ~np.isnan(values)
>>> agg = aggregate_arithmetic(values, available, np.array([0.5, 0.5, 1.0]),
...                            np.array([0, 0, 1]), np.array([0.6, 0.4]))
>>> agg.score.round(3).tolist()
[0.5, 0.52]
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import pandas as pd

from custvalue.errors import SchemeError
from custvalue.scoring.normalise import (
    NEUTRAL,
    NORM_PREFIX,
    REASON_PREFIX,
    Normaliser,
    NotFittedError,
    check_indicator_frame,
)
from custvalue.scoring.scheme import Scheme

if TYPE_CHECKING:  # pragma: no cover
    from custvalue.scoring.explain import Explanation

__all__ = [
    "DIM_PREFIX",
    "FILL_VALUES",
    "RANK_DECIMALS",
    "Aggregated",
    "ScoreResult",
    "Scorer",
    "ScoringArrays",
    "TopsisReference",
    "aggregate",
    "aggregate_arithmetic",
    "aggregate_geometric",
    "aggregate_topsis",
    "build_arrays",
    "effective_weights",
    "fit_topsis_reference",
    "rank_scores",
    "score",
    "score_result",
]

#: Prefix of the dimension score columns.
DIM_PREFIX = "dim__"
#: Value given to a missing indicator (or empty dimension) by each imputing policy.
FILL_VALUES = {"neutral": NEUTRAL, "worst": 0.0}
#: Scores (0–100) are compared at this many decimals when ranking: closer scores tie.
RANK_DECIMALS = 9


class Aggregated(NamedTuple):
    """Output of the aggregation kernels (unit scale [0, 1]).

    ``B`` is the batch shape of the weights: ``()`` for one weight vector, ``(K,)`` for K
    draws.

    Attributes
    ----------
    score : numpy.ndarray, shape B + (N,)
        Value score; NaN when no dimension is available (or ungraded, after
        :func:`aggregate`).
    dims : numpy.ndarray, shape B + (N, D)
        Dimension scores; NaN for a dimension with nothing available and no fill.
    dim_available : numpy.ndarray of bool, shape B + (N, D)
        Whether any indicator of the dimension carries weight for the customer.
    weights : numpy.ndarray or None, shape B + (N, I)
        Effective indicator weights (``return_weights=True`` only).
    fill_weights : numpy.ndarray or None, shape B + (N, D)
        Effective weights of filled dimensions (``return_weights=True`` only).
    """

    score: np.ndarray
    dims: np.ndarray
    dim_available: np.ndarray
    weights: np.ndarray | None = None
    fill_weights: np.ndarray | None = None


# ---------------------------------------------------------------------- kernels
@dataclass(frozen=True)
class _Structure:
    w: np.ndarray  # B + (I,)
    den: np.ndarray  # B + (N, D)
    has: np.ndarray  # B + (N, D) bool
    filled: np.ndarray  # B + (N, D) bool
    active: np.ndarray  # B + (N, D) bool
    wdim: np.ndarray  # B + (N, D) effective dimension weights (NaN row when none active)
    fill: np.ndarray  # (D,)
    any_dim: np.ndarray  # B + (N,) bool

    def indicator_weight(self, i: int, d: int, a_i: np.ndarray) -> np.ndarray:
        """Effective weight of indicator ``i`` (dimension ``d``): B + (N,)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(
                self.has[..., d], self.w[..., i, None] * a_i / self.den[..., d], 0.0
            )
        return np.where(self.any_dim, self.wdim[..., d], 0.0) * share


def _structure(
    available: np.ndarray,
    indicator_weights: np.ndarray,
    dim_of: np.ndarray,
    dim_weights: np.ndarray,
    dim_fill: np.ndarray | None,
) -> _Structure:
    a = np.asarray(available, dtype=bool)
    w = np.asarray(indicator_weights, dtype=float)
    v = np.asarray(dim_weights, dtype=float)
    dim_of = np.asarray(dim_of, dtype=np.intp)
    n_dims = v.shape[-1]
    fill = (
        np.full(n_dims, np.nan) if dim_fill is None else np.asarray(dim_fill, dtype=float)
    )
    batch = np.broadcast_shapes(w.shape[:-1], v.shape[:-1])
    w = np.broadcast_to(w, (*batch, w.shape[-1]))
    v = np.broadcast_to(v, (*batch, n_dims))
    den = np.zeros((*batch, a.shape[0], n_dims))
    for i, d in enumerate(dim_of):
        den[..., d] += w[..., i, None] * a[:, i]
    has = den > 0
    filled = ~has & ~np.isnan(fill)
    active = has | filled
    vd = v[..., None, :] * active
    total = np.zeros(vd.shape[:-1])
    for d in range(n_dims):
        total += vd[..., d]
    any_dim = total > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        wdim = vd / total[..., None]
    return _Structure(w, den, has, filled, active, wdim, fill, any_dim)


def _finish(
    st: _Structure,
    dims: np.ndarray,
    score: np.ndarray,
    n_ind: int,
    dim_of: np.ndarray,
    a: np.ndarray,
    return_weights: bool,
) -> Aggregated:
    dims = np.where(st.active, dims, np.nan)
    score = np.where(st.any_dim, score, np.nan)
    if not return_weights:
        return Aggregated(score, dims, st.has)
    weights = np.stack(
        [st.indicator_weight(i, int(dim_of[i]), a[:, i]) for i in range(n_ind)], axis=-1
    )
    fill_weights = np.where(st.filled & st.any_dim[..., None], st.wdim, 0.0)
    return Aggregated(score, dims, st.has, weights, fill_weights)


def aggregate_arithmetic(
    values: np.ndarray,
    available: np.ndarray,
    indicator_weights: np.ndarray,
    dim_of: np.ndarray,
    dim_weights: np.ndarray,
    dim_fill: np.ndarray | None = None,
    *,
    return_weights: bool = False,
) -> Aggregated:
    r"""Hierarchical weighted arithmetic mean with re-spread of missing weights (kernel).

    :math:`s_n = \sum_d W^{dim}_{nd}\, \frac{\sum_{i \in d} w_i a_{ni} x_{ni}}{S_{nd}}
    = \sum_i W_{ni} x_{ni} + \sum_d F_{nd}\,\mathrm{fill}_d`; see the module docstring
    for the notation.  No validation.

    Parameters
    ----------
    values : numpy.ndarray, shape (N, I)
        Normalised values in [0, 1]; NaN (or anything) where not available.
    available : numpy.ndarray of bool, shape (N, I)
        Which values take part.
    indicator_weights : numpy.ndarray, shape (I,) or (K, I)
        Within-dimension weights (each dimension's sum to 1; re-spread makes the sum
        irrelevant, only the ratios inside a dimension matter).
    dim_of : numpy.ndarray of int, shape (I,)
        Dimension index of each indicator.
    dim_weights : numpy.ndarray, shape (D,) or (K, D)
        Dimension weights.
    dim_fill : numpy.ndarray, shape (D,), optional
        Fill value of an empty dimension; NaN re-spreads (default: all NaN).
    return_weights : bool, default False
        Also return the effective weights (memory ``K·N·I``).

    Returns
    -------
    Aggregated

    Examples
    --------
    Customer 0 has both indicators of dimension 0; customer 1 lacks the second, whose
    weight is re-spread onto the first:

    >>> values = np.array([[1.0, 0.0, 0.5], [0.2, np.nan, 1.0]])
    >>> out = aggregate_arithmetic(values, ~np.isnan(values), np.array([0.5, 0.5, 1.0]),
    ...                            np.array([0, 0, 1]), np.array([0.6, 0.4]),
    ...                            return_weights=True)
    >>> out.dims.tolist()
    [[0.5, 0.5], [0.2, 1.0]]
    >>> out.weights.round(2).tolist()
    [[0.3, 0.3, 0.4], [0.6, 0.0, 0.4]]

    Three weight draws at once give a leading axis of 3:

    >>> draws = np.array([[0.6, 0.4], [0.5, 0.5], [1.0, 0.0]])
    >>> aggregate_arithmetic(values, ~np.isnan(values), np.array([0.5, 0.5, 1.0]),
    ...                      np.array([0, 0, 1]), draws).score.round(2).tolist()
    [[0.5, 0.52], [0.5, 0.6], [0.5, 0.2]]
    """
    x = np.asarray(values, dtype=float)
    a = np.asarray(available, dtype=bool)
    dim_of = np.asarray(dim_of, dtype=np.intp)
    st = _structure(a, indicator_weights, dim_of, dim_weights, dim_fill)
    xs = np.where(a, x, 0.0)
    num = np.zeros_like(st.den)
    for i, d in enumerate(dim_of):
        num[..., d] += st.w[..., i, None] * xs[:, i]
    with np.errstate(invalid="ignore", divide="ignore"):
        dims = np.where(st.has, num / st.den, st.fill)
    score = np.zeros(st.den.shape[:-1])
    for d in range(st.den.shape[-1]):
        score += np.where(st.active[..., d], st.wdim[..., d] * dims[..., d], 0.0)
    return _finish(st, dims, score, x.shape[1], dim_of, a, return_weights)


def aggregate_geometric(
    values: np.ndarray,
    available: np.ndarray,
    indicator_weights: np.ndarray,
    dim_of: np.ndarray,
    dim_weights: np.ndarray,
    dim_fill: np.ndarray | None = None,
    *,
    floor: float = 0.01,
    return_weights: bool = False,
) -> Aggregated:
    r"""Hierarchical weighted geometric mean with a floor for zeros (kernel).

    :math:`s_n = \exp\big(\sum_i W_{ni} \log\max(x_{ni}, \varepsilon) + \sum_d F_{nd}
    \log\max(\mathrm{fill}_d, \varepsilon)\big)`, :math:`\varepsilon` = ``floor``.  Same
    inputs and outputs as :func:`aggregate_arithmetic`.

    Examples
    --------
    >>> values = np.array([[1.0, 0.25], [0.0, 1.0]])
    >>> out = aggregate_geometric(values, np.ones((2, 2), bool), np.array([0.5, 0.5]),
    ...                           np.array([0, 0]), np.array([1.0]))
    >>> out.score.round(4).tolist()
    [0.5, 0.1]
    """
    x = np.asarray(values, dtype=float)
    a = np.asarray(available, dtype=bool)
    dim_of = np.asarray(dim_of, dtype=np.intp)
    st = _structure(a, indicator_weights, dim_of, dim_weights, dim_fill)
    with np.errstate(invalid="ignore", divide="ignore"):
        lx = np.where(a, np.log(np.maximum(np.where(a, x, 1.0), floor)), 0.0)
        lfill = np.log(np.maximum(st.fill, floor))
    num = np.zeros_like(st.den)
    for i, d in enumerate(dim_of):
        num[..., d] += st.w[..., i, None] * lx[:, i]
    with np.errstate(invalid="ignore", divide="ignore"):
        ldims = np.where(st.has, num / st.den, lfill)
    lscore = np.zeros(st.den.shape[:-1])
    for d in range(st.den.shape[-1]):
        lscore += np.where(st.active[..., d], st.wdim[..., d] * ldims[..., d], 0.0)
    return _finish(st, np.exp(ldims), np.exp(lscore), x.shape[1], dim_of, a, return_weights)


def aggregate_topsis(
    values: np.ndarray,
    available: np.ndarray,
    indicator_weights: np.ndarray,
    dim_of: np.ndarray,
    dim_weights: np.ndarray,
    dim_fill: np.ndarray | None = None,
    *,
    ideal: np.ndarray,
    anti_ideal: np.ndarray,
    return_weights: bool = False,
) -> Aggregated:
    r"""TOPSIS closeness with per-customer effective weights (kernel).

    ``values`` are already rescaled by a :class:`TopsisReference` (``reference.apply``);
    ``ideal``/``anti_ideal`` are its :math:`r^+`, :math:`r^-`.  With every value
    available and one weight vector this is classic TOPSIS: the same numbers as
    ``pymcdm.methods.TOPSIS`` or ``skcriteria``'s ``topsis`` kernel on that matrix.

    Examples
    --------
    >>> r = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]])
    >>> out = aggregate_topsis(r, np.ones((3, 2), bool), np.array([0.5, 0.5]),
    ...                        np.array([0, 0]), np.array([1.0]),
    ...                        ideal=np.ones(2), anti_ideal=np.zeros(2))
    >>> out.score.tolist()
    [0.5, 0.5, 0.5]
    """
    x = np.asarray(values, dtype=float)
    a = np.asarray(available, dtype=bool)
    dim_of = np.asarray(dim_of, dtype=np.intp)
    ideal = np.asarray(ideal, dtype=float)
    anti = np.asarray(anti_ideal, dtype=float)
    st = _structure(a, indicator_weights, dim_of, dim_weights, dim_fill)
    r = np.where(a, np.clip(np.where(a, x, 0.0), anti, ideal), 0.0)
    shape = st.den.shape[:-1]
    n_dims = st.den.shape[-1]
    dplus, dminus = np.zeros(shape), np.zeros(shape)
    dplus_d, dminus_d = np.zeros(st.den.shape), np.zeros(st.den.shape)
    for i, d in enumerate(dim_of):
        weight = st.indicator_weight(i, int(d), a[:, i])
        dplus += (weight * (r[:, i] - ideal[i])) ** 2
        dminus += (weight * (r[:, i] - anti[i])) ** 2
        with np.errstate(invalid="ignore", divide="ignore"):
            within = np.where(st.has[..., d], st.w[..., i, None] * a[:, i] / st.den[..., d], 0.0)
        dplus_d[..., d] += (within * (r[:, i] - ideal[i])) ** 2
        dminus_d[..., d] += (within * (r[:, i] - anti[i])) ** 2
    for d in range(n_dims):
        fw = np.where(st.filled[..., d] & st.any_dim, st.wdim[..., d], 0.0)
        fill = 0.0 if np.isnan(st.fill[d]) else st.fill[d]
        dplus += (fw * (fill - 1.0)) ** 2
        dminus += (fw * fill) ** 2
    dplus, dminus = np.sqrt(dplus), np.sqrt(dminus)
    dplus_d, dminus_d = np.sqrt(dplus_d), np.sqrt(dminus_d)
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.where(dplus + dminus > 0, dminus / (dplus + dminus), NEUTRAL)
        dims = np.where(
            dplus_d + dminus_d > 0, dminus_d / (dplus_d + dminus_d), NEUTRAL
        )
    dims = np.where(st.has, dims, st.fill)
    return _finish(st, dims, score, x.shape[1], dim_of, a, return_weights)


def effective_weights(
    available: np.ndarray,
    indicator_weights: np.ndarray,
    dim_of: np.ndarray,
    dim_weights: np.ndarray,
    dim_fill: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Effective indicator weights ``(…, N, I)`` and fill weights ``(…, N, D)`` (kernel).

    The weights every aggregator uses after re-spreading missing weights; each customer's
    weights (plus fill weights) sum to 1 (0 everywhere when nothing is available).

    Examples
    --------
    >>> w, f = effective_weights(np.array([[True, False, True]]), np.array([0.5, 0.5, 1.0]),
    ...                          np.array([0, 0, 1]), np.array([0.6, 0.4]))
    >>> w.tolist(), f.tolist()
    ([[0.6, 0.0, 0.4]], [[0.0, 0.0]])
    """
    a = np.asarray(available, dtype=bool)
    dim_of = np.asarray(dim_of, dtype=np.intp)
    st = _structure(a, indicator_weights, dim_of, dim_weights, dim_fill)
    out = _finish(
        st, np.zeros(st.den.shape), np.zeros(st.den.shape[:-1]), a.shape[1], dim_of, a, True
    )
    return out.weights, out.fill_weights  # type: ignore[return-value]


# ---------------------------------------------------------------------- TOPSIS reference
@dataclass(frozen=True)
class TopsisReference:
    """Fitted rescaling, ideal and anti-ideal of the TOPSIS aggregator.

    ``r = (x - shift) / scale``; ``ideal``/``anti_ideal`` are the column max/min of ``r``
    over the fitted customers' available values.  Vector normalisation has ``shift = 0``,
    ``scale = sqrt(sum x²)``; min-max has ``shift = min``, ``scale = max - min``.  A column
    with no spread (or no values) gets ``scale = 1`` and ``ideal = anti_ideal``, so it adds
    nothing to either distance.
    """

    normalisation: str
    shift: np.ndarray
    scale: np.ndarray
    ideal: np.ndarray
    anti_ideal: np.ndarray

    def apply(self, values: np.ndarray) -> np.ndarray:
        """Rescale ``values`` (N, I) into TOPSIS space (NaN stays NaN).

        Examples
        --------
        >>> ref = fit_topsis_reference(np.array([[3.0], [4.0]]), np.ones((2, 1), bool))
        >>> ref.apply(np.array([[3.0], [4.0]])).tolist()
        [[0.6], [0.8]]
        """
        return (np.asarray(values, dtype=float) - self.shift) / self.scale


def fit_topsis_reference(
    values: np.ndarray, available: np.ndarray, normalisation: str = "vector"
) -> TopsisReference:
    """Learn the TOPSIS rescaling and the ideal/anti-ideal from a fitted matrix (kernel).

    Parameters
    ----------
    values : numpy.ndarray, shape (N, I)
        Normalised (and imputed) values of the fitted customers.
    available : numpy.ndarray of bool, shape (N, I)
        Which values exist.
    normalisation : {'vector', 'minmax'}
        Classic vector normalisation or min-max.

    Returns
    -------
    TopsisReference

    Examples
    --------
    >>> ref = fit_topsis_reference(np.array([[0.2], [1.0]]), np.ones((2, 1), bool), "minmax")
    >>> ref.shift.tolist(), ref.scale.tolist(), ref.ideal.tolist(), ref.anti_ideal.tolist()
    ([0.2], [0.8], [1.0], [0.0])
    """
    x = np.asarray(values, dtype=float)
    a = np.asarray(available, dtype=bool) & ~np.isnan(x)
    n_ind = x.shape[1]
    shift, scale = np.zeros(n_ind), np.ones(n_ind)
    ideal, anti = np.zeros(n_ind), np.zeros(n_ind)
    for i in range(n_ind):
        v = x[a[:, i], i]
        if v.size == 0:
            continue
        if normalisation == "vector":
            s = float(np.sqrt(np.sum(v**2)))
            if s > 0:
                scale[i] = s
        else:
            lo, hi = float(v.min()), float(v.max())
            shift[i] = lo
            if hi > lo:
                scale[i] = hi - lo
        r = (v - shift[i]) / scale[i]
        ideal[i], anti[i] = float(r.max()), float(r.min())
    return TopsisReference(normalisation, shift, scale, ideal, anti)


# ---------------------------------------------------------------------- arrays and front
@dataclass(frozen=True)
class ScoringArrays:
    """Everything the aggregation needs, as numpy arrays (rows sorted by ``customer_id``).

    Built by :meth:`Scorer.arrays` (or :func:`build_arrays`).  Pass it to
    :func:`aggregate` with perturbed weights for robustness analyses.

    Attributes
    ----------
    customer_id : numpy.ndarray of str, shape (N,)
    indicators, dimensions : tuple of str
        Names in scheme order (I indicators, D dimensions).
    values : numpy.ndarray, shape (N, I)
        Normalised values, imputed under ``neutral``/``worst``, NaN where unavailable.
    available, imputed, missing : numpy.ndarray of bool, shape (N, I)
        Taking part; imputed; raw value missing.
    indicator_weights : (I,), dim_of : (I,) int, dim_weights : (D,)
        From the scheme.
    dim_fill : (D,)
        Fill value of an empty dimension (NaN: re-spread or ungraded).
    dim_ungraded : (D,) bool
        Dimensions whose ``missing`` policy is ``ungraded``.
    ungraded : (N,) bool
        Customers missing an indicator whose policy is ``ungraded``.
    reasons : (N,) object
        Why (``"<indicator> missing (<reason code>)"``), None for the others.
    method : str
        Aggregation method; ``floor`` its geometric floor; ``topsis`` the fitted reference.
    """

    customer_id: np.ndarray
    indicators: tuple[str, ...]
    dimensions: tuple[str, ...]
    values: np.ndarray
    available: np.ndarray
    imputed: np.ndarray
    missing: np.ndarray
    indicator_weights: np.ndarray
    dim_of: np.ndarray
    dim_weights: np.ndarray
    dim_fill: np.ndarray
    dim_ungraded: np.ndarray
    ungraded: np.ndarray
    reasons: np.ndarray
    method: str = "arithmetic"
    floor: float = 0.01
    topsis: TopsisReference | None = field(default=None, repr=False)

    def rows(self, index: Any) -> ScoringArrays:
        """The same arrays restricted to some rows (positions, slice or mask).

        Examples
        --------
        >>> arr = Scorer().fit(_example_frame()).arrays(_example_frame())
        >>> arr.rows([0]).values.shape
        (1, 14)
        """
        return replace(
            self,
            customer_id=self.customer_id[index],
            values=self.values[index],
            available=self.available[index],
            imputed=self.imputed[index],
            missing=self.missing[index],
            ungraded=self.ungraded[index],
            reasons=self.reasons[index],
        )


def build_arrays(
    norm: pd.DataFrame,
    scheme: Scheme,
    raw: pd.DataFrame | None = None,
    topsis: TopsisReference | None = None,
) -> ScoringArrays:
    """Apply the missing-value policies to a frame of ``norm__*`` columns.

    ``respread`` and ``ungraded`` leave the value unavailable (the customer's weights are
    re-spread; ``ungraded`` also marks the customer); ``neutral`` and ``worst`` impute 0.5
    and 0.  Reason codes come from the ``reason__<column>`` columns of ``raw`` when given.

    Parameters
    ----------
    norm : pandas.DataFrame
        ``norm__<indicator>`` columns, indexed by ``customer_id`` (sorted).
    scheme : Scheme
    raw : pandas.DataFrame, optional
        The indicator frame (for reason codes), same index.
    topsis : TopsisReference, optional
        Fitted TOPSIS reference (TOPSIS aggregation only; fitted from ``norm`` if absent).

    Returns
    -------
    ScoringArrays

    Examples
    --------
    >>> s = Scheme.from_dict({"dimensions": {"d": {"weight": 1, "indicators": {
    ...     "x": {"weight": 0.5, "missing": "neutral"},
    ...     "y": {"weight": 0.5, "missing": "ungraded"}}}}})
    >>> norm = pd.DataFrame({"norm__x": [np.nan, 1.0], "norm__y": [0.2, np.nan]},
    ...                     index=pd.Index(["a", "b"], name="customer_id"))
    >>> arr = build_arrays(norm, s)
    >>> arr.values.tolist(), arr.ungraded.tolist(), arr.reasons.tolist()
    ([[0.5, 0.2], [1.0, nan]], [False, True], [None, 'y missing'])
    """
    names = scheme.indicator_names
    w, dim_of, dw = scheme.weight_arrays()
    n = len(norm)
    values = np.empty((n, len(names)))
    for i, name in enumerate(names):
        col = NORM_PREFIX + name
        if col not in norm.columns:
            raise SchemeError(f"indicators.{name}", f"the frame has no {col} column")
        values[:, i] = norm[col].to_numpy(dtype=float, na_value=np.nan)
    missing = np.isnan(values)
    available = ~missing
    imputed = np.zeros_like(missing)
    ungraded = np.zeros(n, dtype=bool)
    reason_parts: list[np.ndarray] = []
    for i, (_, name, ind) in enumerate(scheme.iter_indicators()):
        m = missing[:, i]
        if ind.missing in FILL_VALUES:
            values[m, i] = FILL_VALUES[ind.missing]
            available[m, i] = True
            imputed[:, i] = m
        elif ind.missing == "ungraded" and m.any():
            ungraded |= m
            text = np.full(n, f"{name} missing", dtype=object)
            rcol = REASON_PREFIX + ind.column
            if raw is not None and rcol in raw.columns:
                codes = raw[rcol].to_numpy(dtype=object)
                has_code = pd.notna(codes)
                text[has_code] = [f"{name} missing ({c})" for c in codes[has_code]]
            reason_parts.append(np.where(m, text, None))
    reasons = np.full(n, None, dtype=object)
    for part in reason_parts:
        reasons = _join_reasons(reasons, part)
    dims = list(scheme.dimensions.values())
    dim_fill = np.array([FILL_VALUES.get(d.missing, np.nan) for d in dims])
    dim_ungraded = np.array([d.missing == "ungraded" for d in dims])
    if scheme.aggregation.method == "topsis" and topsis is None:
        topsis = fit_topsis_reference(values, available, scheme.aggregation.topsis_normalisation)
    return ScoringArrays(
        customer_id=norm.index.to_numpy(dtype=object).astype(str),
        indicators=names,
        dimensions=scheme.dimension_names,
        values=values,
        available=available,
        imputed=imputed,
        missing=missing,
        indicator_weights=w,
        dim_of=dim_of,
        dim_weights=dw,
        dim_fill=dim_fill,
        dim_ungraded=dim_ungraded,
        ungraded=ungraded,
        reasons=reasons,
        method=scheme.aggregation.method,
        floor=scheme.aggregation.floor,
        topsis=topsis if scheme.aggregation.method == "topsis" else None,
    )


def _join_reasons(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Element-wise ``"; "``-join of two object arrays of str/None."""
    out = a.copy()
    both = pd.notna(a) & pd.notna(b)
    only_b = pd.isna(a) & pd.notna(b)
    out[both] = [f"{x}; {y}" for x, y in zip(a[both], b[both], strict=True)]
    out[only_b] = b[only_b]
    return out


def aggregate(
    arrays: ScoringArrays,
    indicator_weights: np.ndarray | None = None,
    dim_weights: np.ndarray | None = None,
    *,
    return_weights: bool = False,
) -> Aggregated:
    """Aggregate :class:`ScoringArrays` with the scheme's method, applying ``ungraded``.

    Scores are NaN for customers missing an ``ungraded`` indicator, customers with an
    empty ``ungraded`` dimension, and customers with no dimension at all.

    Parameters
    ----------
    arrays : ScoringArrays
    indicator_weights : numpy.ndarray, shape (I,) or (K, I), optional
        Replace the scheme's within-dimension weights (e.g. Monte-Carlo draws).
    dim_weights : numpy.ndarray, shape (D,) or (K, D), optional
        Replace the scheme's dimension weights.
    return_weights : bool, default False
        Also return the effective weights.

    Returns
    -------
    Aggregated
        Unit scale [0, 1]; leading draw axis when weights are 2-D.

    Examples
    --------
    >>> arr = Scorer().fit(_example_frame()).arrays(_example_frame())
    >>> rng = np.random.default_rng(0)
    >>> draws = rng.dirichlet(np.ones(3) * 50, size=200)       # (200, D) dimension weights
    >>> aggregate(arr, dim_weights=draws).score.shape
    (200, 6)
    """
    w = arrays.indicator_weights if indicator_weights is None else indicator_weights
    v = arrays.dim_weights if dim_weights is None else dim_weights
    common = (arrays.available, w, arrays.dim_of, v, arrays.dim_fill)
    if arrays.method == "arithmetic":
        out = aggregate_arithmetic(arrays.values, *common, return_weights=return_weights)
    elif arrays.method == "geometric":
        out = aggregate_geometric(
            arrays.values, *common, floor=arrays.floor, return_weights=return_weights
        )
    else:
        ref = arrays.topsis
        if ref is None:
            raise SchemeError("aggregation.method", "TOPSIS needs a fitted TopsisReference")
        out = aggregate_topsis(
            ref.apply(arrays.values), *common, ideal=ref.ideal, anti_ideal=ref.anti_ideal,
            return_weights=return_weights,
        )
    bad = np.broadcast_to(arrays.ungraded, out.score.shape).copy()
    for d in np.flatnonzero(arrays.dim_ungraded):
        bad |= ~out.dim_available[..., d]
    return out._replace(score=np.where(bad, np.nan, out.score))


def rank_scores(score: np.ndarray, decimals: int = RANK_DECIMALS) -> np.ndarray:
    """Ranks 1 = best for scores in ``customer_id`` order; NaN scores get rank 0.

    Scores equal at ``decimals`` decimals tie and are broken by position (i.e. by
    ``customer_id`` ascending when rows are sorted by it).

    Examples
    --------
    >>> rank_scores(np.array([50.0, 70.0, np.nan, 70.0])).tolist()
    [3, 1, 0, 2]
    """
    s = np.round(np.asarray(score, dtype=float), decimals)
    graded = ~np.isnan(s)
    order = np.argsort(np.where(graded, -s, np.inf), kind="stable")
    ranks = np.zeros(s.size, dtype=np.int64)
    ranks[order] = np.arange(1, s.size + 1)
    return np.where(graded, ranks, 0)


@dataclass(frozen=True, repr=False)
class ScoreResult:
    """The scored customers, with what is needed to explain and perturb the scores.

    Attributes
    ----------
    table : pandas.DataFrame
        Indexed by ``customer_id`` (sorted): the raw scheme columns and their ``reason__*``
        columns, ``norm__*``, ``dim__*`` (0–100), ``score`` (0–100, NaN when ungraded),
        ``rank`` (1 = best, ``<NA>`` when ungraded), ``graded`` and ``reason``.
    weights : pandas.DataFrame
        Effective weight of each indicator per customer (after re-spread; rows sum to 1
        with ``fill_weights``).
    fill_weights : pandas.DataFrame
        Weight carried by a dimension's fill value (``neutral``/``worst`` dimension policy).
    arrays : ScoringArrays
        The numpy inputs of the aggregation (for :func:`aggregate` with other weights).
    scheme : Scheme
    scorer : Scorer
        The fitted scorer.
    """

    table: pd.DataFrame
    weights: pd.DataFrame
    fill_weights: pd.DataFrame
    arrays: ScoringArrays
    scheme: Scheme
    scorer: Scorer

    def explain(self, customer_id: str) -> Explanation:
        """Per-indicator explanation of one customer's score (see :func:`explain`).

        Examples
        --------
        >>> res = score_result(_example_frame())
        >>> ex = res.explain("C1")
        >>> bool(abs(ex.table["contribution"].sum() - res.table.at["C1", "score"]) < 1e-9)
        True
        """
        from custvalue.scoring.explain import explain

        return explain(self, customer_id)

    @property
    def n_graded(self) -> int:
        """Number of graded customers."""
        return int(self.table["graded"].sum())

    def __repr__(self) -> str:
        t = self.table
        head = (
            f"ScoreResult: {len(t)} customers, {self.n_graded} graded, "
            f"aggregation={self.scheme.aggregation.method}, scheme {self.scheme.name!r} "
            f"(sha256 {self.scheme.hash()[:12]})"
        )
        cols = ["score", "rank", *[c for c in t.columns if c.startswith(DIM_PREFIX)]]
        top = t[t["graded"]].sort_values("rank").head(5)[cols]
        lines = [head, "top:" if len(top) else "no graded customer"]
        if len(top):
            lines.append(top.round(2).to_string())
        if self.n_graded < len(t):
            lines.append("ungraded:")
            for cid, reason in t.loc[~t["graded"], "reason"].head(5).items():
                lines.append(f"  {cid}: {reason}")
        return "\n".join(lines)


class Scorer:
    """Fit normalisation (and TOPSIS reference) on customers; score any customers.

    Parameters
    ----------
    scheme : Scheme, optional
        The grading scheme (default :meth:`Scheme.default`); never changed by ``fit``.

    Attributes
    ----------
    scheme_ : Scheme
    normaliser_ : Normaliser
    topsis_ : TopsisReference or None

    Examples
    --------
    >>> frame = _example_frame()
    >>> table = Scorer().fit(frame).transform(frame)
    >>> table["score"].round(2).to_dict()
    {'C1': 90.56, 'C2': 64.15, 'C3': 36.61, 'C4': 18.64, 'C5': 65.34, 'C6': 83.41}
    >>> table["rank"].tolist()
    [1, 4, 5, 6, 3, 2]
    """

    def __init__(self, scheme: Scheme | None = None) -> None:
        self.scheme = scheme

    def fit(self, indicators: pd.DataFrame) -> Scorer:
        """Learn normalisation bounds (and the TOPSIS reference) from ``indicators``.

        Examples
        --------
        >>> Scorer().fit(_example_frame())
        Scorer(scheme='default', fitted on 6 customers)
        """
        scheme = self.scheme if self.scheme is not None else Scheme.default()
        normaliser = Normaliser(scheme).fit(indicators)
        topsis = None
        if scheme.aggregation.method == "topsis":
            raw = check_indicator_frame(indicators, scheme)
            arr = build_arrays(normaliser.transform(raw), scheme, raw)
            topsis = arr.topsis
        self.scheme_ = scheme
        self.normaliser_ = normaliser
        self.topsis_ = topsis
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "normaliser_"):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet: call fit first")

    def arrays(self, indicators: pd.DataFrame) -> ScoringArrays:
        """The aggregation inputs for ``indicators`` (normalised with the fitted bounds).

        Examples
        --------
        >>> arr = Scorer().fit(_example_frame()).arrays(_example_frame())
        >>> arr.values.shape, int(arr.available.sum())
        ((6, 14), 70)
        """
        self._check_fitted()
        raw = check_indicator_frame(indicators, self.scheme_)
        return build_arrays(self.normaliser_.transform(raw), self.scheme_, raw, self.topsis_)

    def result(self, indicators: pd.DataFrame) -> ScoreResult:
        """Score ``indicators`` with the fitted bounds; the full :class:`ScoreResult`.

        Parameters
        ----------
        indicators : pandas.DataFrame
            Indicator frame indexed by ``customer_id``.

        Returns
        -------
        ScoreResult
            The table plus effective weights, aggregation arrays and the scheme.

        Examples
        --------
        >>> res = Scorer().fit(_example_frame()).result(_example_frame())
        >>> bool(res.table.at["C4", "graded"]), int(res.table.at["C4", "rank"])
        (True, 6)
        """
        self._check_fitted()
        scheme = self.scheme_
        raw = check_indicator_frame(indicators, scheme)
        norm = self.normaliser_.transform(raw)
        arr = build_arrays(norm, scheme, raw, self.topsis_)
        agg = aggregate(arr, return_weights=True)
        return _result(raw, norm, arr, agg, scheme, self)

    def transform(self, indicators: pd.DataFrame) -> pd.DataFrame:
        """Score ``indicators`` with the fitted bounds; the per-customer table.

        Same as ``result(indicators).table``: the raw scheme columns and their
        ``reason__*`` columns, ``norm__*``, ``dim__*``, ``score``, ``rank``, ``graded``,
        ``reason``, indexed by ``customer_id`` (sorted).

        Examples
        --------
        >>> t = Scorer().fit(_example_frame()).transform(_example_frame())
        >>> list(t.columns[-4:])
        ['score', 'rank', 'graded', 'reason']
        """
        return self.result(indicators).table

    def fit_transform(self, indicators: pd.DataFrame) -> pd.DataFrame:
        """``fit(indicators).transform(indicators)``.

        Examples
        --------
        >>> int(Scorer().fit_transform(_example_frame())["graded"].sum())
        6
        """
        return self.fit(indicators).transform(indicators)

    def __repr__(self) -> str:
        name = self.scheme.name if self.scheme is not None else "default"
        if not hasattr(self, "normaliser_"):
            return f"Scorer(scheme={name!r}, not fitted)"
        return f"Scorer(scheme={name!r}, fitted on {self.normaliser_.n_customers_} customers)"


def _result(
    raw: pd.DataFrame,
    norm: pd.DataFrame,
    arr: ScoringArrays,
    agg: Aggregated,
    scheme: Scheme,
    scorer: Scorer,
) -> ScoreResult:
    index = raw.index
    reasons = arr.reasons
    policies = np.array([ind.missing for _, _, ind in scheme.iter_indicators()])
    for d, name in enumerate(arr.dimensions):
        if arr.dim_ungraded[d]:
            named = arr.missing[:, (arr.dim_of == d) & (policies == "ungraded")].any(axis=1)
            empty = ~agg.dim_available[:, d] & ~named  # else an indicator reason says it
            reasons = _join_reasons(
                reasons, np.where(empty, f"no {name} indicator available", None)
            )
    score_100 = agg.score * 100.0
    graded = ~np.isnan(score_100)
    reasons = np.where(graded, None, reasons)
    reasons = np.where(~graded & pd.isna(reasons), "no indicator available", reasons)
    ranks = rank_scores(score_100)

    parts: dict[str, Any] = {}
    for col in scheme.columns:
        parts[col] = raw[col]
        rcol = REASON_PREFIX + col
        if rcol in raw.columns:
            parts[rcol] = raw[rcol]
    for col in norm.columns:
        parts[col] = norm[col]
    for d, name in enumerate(arr.dimensions):
        parts[DIM_PREFIX + name] = pd.Series(agg.dims[:, d] * 100.0, index=index)
    parts["score"] = pd.Series(score_100, index=index)
    parts["rank"] = pd.Series(ranks, index=index).astype("Int64").mask(~graded)
    parts["graded"] = pd.Series(graded, index=index)
    parts["reason"] = pd.Series(list(reasons), index=index)
    table = pd.DataFrame(parts, index=index)
    weights = pd.DataFrame(agg.weights, index=index, columns=list(arr.indicators))
    fill = pd.DataFrame(agg.fill_weights, index=index, columns=list(arr.dimensions))
    return ScoreResult(table, weights, fill, arr, scheme, scorer)


def score(
    indicators: pd.DataFrame,
    scheme: Scheme | None = None,
    *,
    fitted: Scorer | None = None,
) -> pd.DataFrame:
    """Score customers: normalise, apply missing-value policies, aggregate and rank.

    The table of :func:`score_result`; use that when you need the effective weights, the
    aggregation arrays or exact explanations.

    Parameters
    ----------
    indicators : pandas.DataFrame
        Indicator frame indexed by ``customer_id``: one float column per scheme column
        (NaN = missing) and optional ``reason__<column>`` strings.
    scheme : Scheme, optional
        Default :meth:`Scheme.default`.  With ``fitted`` it must be None or the fitted
        scheme.
    fitted : Scorer, optional
        A scorer fitted on another set of customers (e.g. the previous grading period):
        its bounds are reused instead of fitting on ``indicators``.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``customer_id`` (sorted): raw scheme columns and their ``reason__*``,
        ``norm__*``, ``dim__*`` (0–100), ``score`` (0–100), ``rank`` (Int64, 1 = best,
        ties by ``customer_id``), ``graded`` (bool), ``reason``.

    Raises
    ------
    InputError
        Missing, non-numeric or infinite columns, duplicate ids.
    SchemeError
        ``scheme`` differs from the scheme ``fitted`` was fitted with.

    Examples
    --------
    >>> t = score(_example_frame())
    >>> t["rank"].tolist()
    [1, 4, 5, 6, 3, 2]
    """
    return score_result(indicators, scheme, fitted=fitted).table


def score_result(
    indicators: pd.DataFrame,
    scheme: Scheme | None = None,
    *,
    fitted: Scorer | None = None,
) -> ScoreResult:
    """Like :func:`score`, returning the full :class:`ScoreResult`.

    Examples
    --------
    >>> res = score_result(_example_frame())
    >>> float(res.weights.loc["C3", "pf_compliance"])   # not assessed: weight re-spread
    0.0
    >>> bool(res.explain("C3").score == res.table.at["C3", "score"])
    True
    """
    if fitted is not None:
        fitted._check_fitted()
        if scheme is not None and scheme != fitted.scheme_:
            raise SchemeError("", "scheme differs from the scheme the fitted scorer uses")
        return fitted.result(indicators)
    return Scorer(scheme).fit(indicators).result(indicators)


def _example_frame() -> pd.DataFrame:
    from custvalue.scoring.normalise import _example_frame as frame

    return frame()
