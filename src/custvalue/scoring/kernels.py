r"""Aggregation kernels: from normalised indicators to dimension scores and the value score.

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
robustness analysis perturbs the weights of all customers in one call (the batched form of
each aggregator is the same function: one formula, one owner)::

    arr = Scorer(scheme).fit(ind).arrays(ind)
    agg = aggregate(arr, indicator_weights=W_draws, dim_weights=V_draws)  # agg.score: (K, N)

For thousands of draws, :func:`batch_scores_kernel` computes the same scores (only the
scores) with the sums regrouped as matrix products; :func:`custvalue.scoring.aggregate_draws`
calls it in memory-bounded chunks, and tests hold it equal to :func:`aggregate_arithmetic`,
:func:`aggregate_geometric` and :func:`aggregate_topsis`.

Examples
--------
>>> import numpy as np
>>> values = np.array([[1.0, 0.0, 0.5], [0.2, np.nan, 1.0]])
>>> available = ~np.isnan(values)
>>> agg = aggregate_arithmetic(values, available, np.array([0.5, 0.5, 1.0]),
...                            np.array([0, 0, 1]), np.array([0.6, 0.4]))
>>> agg.score.round(3).tolist()
[0.5, 0.52]

This module is long because each aggregator keeps its single and batched forms side by side
(one formula, one owner), with the formulas in the docstrings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from custvalue.scoring.normalise import NEUTRAL

__all__ = [
    "FILL_VALUES",
    "Aggregated",
    "BatchInputs",
    "TopsisReference",
    "aggregate_arithmetic",
    "aggregate_geometric",
    "aggregate_topsis",
    "batch_inputs_kernel",
    "batch_scores_kernel",
    "effective_weights",
    "fit_topsis_reference",
]

#: Value given to a missing indicator (or empty dimension) by each imputing policy.
FILL_VALUES = {"neutral": NEUTRAL, "worst": 0.0}


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
    # (…, N, D) arrays laid out dimension by dimension: each [..., d] is contiguous
    den = np.zeros((*batch, n_dims, a.shape[0])).swapaxes(-1, -2)
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


# ---------------------------------------------------------------------- batched scores
@dataclass(frozen=True)
class BatchInputs:
    """Weight-independent inputs of :func:`batch_scores_kernel` (customers on the last axis).

    Built once by :func:`custvalue.scoring.arrays.batch_inputs` and reused for every batch
    of weight draws.
    """

    method: str
    avail: np.ndarray  # (I, N) float 0/1
    value: np.ndarray  # (I, N): x (arithmetic), log max(x, floor) (geometric), 0 if unavailable
    q_plus: np.ndarray | None  # (I, N) TOPSIS: a (r - r+)^2
    q_minus: np.ndarray | None  # (I, N) TOPSIS: a (r - r-)^2
    dim_of: np.ndarray  # (I,)
    fill: np.ndarray  # (D,) NaN = re-spread
    dim_ungraded: np.ndarray  # (D,) bool
    ungraded: np.ndarray  # (N,) bool
    floor: float

    @property
    def n_customers(self) -> int:
        """Number of customers ``N``."""
        return int(self.avail.shape[1])


def batch_inputs_kernel(
    values: np.ndarray,
    available: np.ndarray,
    dim_of: np.ndarray,
    dim_fill: np.ndarray,
    dim_ungraded: np.ndarray,
    ungraded: np.ndarray,
    *,
    method: str = "arithmetic",
    floor: float = 0.01,
    topsis: TopsisReference | None = None,
) -> BatchInputs:
    """The weight-independent part of every aggregator, transposed to ``(I, N)`` (kernel).

    ``values``/``available`` are ``(N, I)`` as for :func:`aggregate_arithmetic`; TOPSIS
    needs its fitted ``topsis`` reference.  No validation.
    """
    a = np.asarray(available, dtype=bool)
    x = np.asarray(values, dtype=float)
    q_plus = q_minus = None
    if method == "geometric":
        with np.errstate(invalid="ignore", divide="ignore"):
            value = np.where(a, np.log(np.maximum(np.where(a, x, 1.0), floor)), 0.0)
    elif method == "topsis":
        if topsis is None:
            raise ValueError("TOPSIS needs a fitted TopsisReference")
        rx = topsis.apply(x)
        r = np.where(a, np.clip(np.where(a, rx, 0.0), topsis.anti_ideal, topsis.ideal), 0.0)
        q_plus = np.ascontiguousarray((a * (r - topsis.ideal) ** 2).T)
        q_minus = np.ascontiguousarray((a * (r - topsis.anti_ideal) ** 2).T)
        value = np.zeros((0, 0))
    else:
        value = np.where(a, x, 0.0)
    return BatchInputs(
        method=method,
        avail=np.ascontiguousarray(a.T.astype(float)),
        value=np.ascontiguousarray(value.T),
        q_plus=q_plus,
        q_minus=q_minus,
        dim_of=np.asarray(dim_of, dtype=np.intp),
        fill=np.asarray(dim_fill, dtype=float),
        dim_ungraded=np.asarray(dim_ungraded, dtype=bool),
        ungraded=np.asarray(ungraded, dtype=bool),
        floor=float(floor),
    )


def _block(w: np.ndarray, dim_of: np.ndarray, n_dims: int) -> np.ndarray:
    """``(K·D, I)`` block matrix: row ``k·D + d`` holds draw ``k``'s weights of dimension d."""
    k, n_ind = w.shape
    out = np.zeros((k, n_dims, n_ind))
    out[:, dim_of, np.arange(n_ind)] = w
    return out.reshape(k * n_dims, n_ind)


def batch_scores_kernel(p: BatchInputs, w: np.ndarray, v: np.ndarray) -> np.ndarray:
    r"""Scores in [0, 1] of all customers under ``K`` weight draws, ``(K, N)`` (kernel).

    The batched form of the three aggregators, with the ``ungraded`` policy applied as in
    :func:`custvalue.scoring.aggregate`: the same numbers as ``aggregate(arrays, w,
    v).score`` (tested to 1e-12), several times faster.  ``w`` is ``(K, I)``
    (within-dimension indicator weights), ``v`` is ``(K, D)``.  With :math:`B` the
    ``(K·D, I)`` block matrix of ``w`` and :math:`A`, :math:`X` the ``(I, N)`` availability
    and value matrices:

    * :math:`S = BA` (weight present per dimension), :math:`U = BX`;
    * dimension present :math:`h = S > 0`, active :math:`h \lor` (fill defined), effective
      dimension weight :math:`W^{dim} = v\,\mathrm{active} / \sum_d v\,\mathrm{active}`;
    * arithmetic :math:`s = \sum_d W^{dim}_d\,(h_d\,U_d / S_d + (1 - h_d)\,\mathrm{fill}_d)`;
      geometric the same on logs, then :math:`\exp`; TOPSIS
      :math:`D^\pm = \sqrt{\sum_d (W^{dim}_d / S_d)^2 (B^{\circ 2} Q^\pm)_d + \text{fills}}`,
      :math:`s = D^- / (D^+ + D^-)` (0.5 when both are 0);
    * NaN where no dimension is active, the customer misses an ``ungraded`` indicator, or
      an ``ungraded`` dimension is empty.

    These are the formulas of the module docstring, regrouped so that the work per draw is
    a matrix product plus element-wise operations on ``(K, D, N)``.  Memory is a few
    ``K·D·N`` floats: chunk the draws (as :func:`custvalue.scoring.aggregate_draws` does).

    Examples
    --------
    >>> values = np.array([[1.0, 0.0, 0.5], [0.2, np.nan, 1.0]])
    >>> p = batch_inputs_kernel(values, ~np.isnan(values), np.array([0, 0, 1]),
    ...                         np.full(2, np.nan), np.zeros(2, bool), np.zeros(2, bool))
    >>> draws = np.array([[0.6, 0.4], [0.5, 0.5], [1.0, 0.0]])
    >>> batch_scores_kernel(p, np.tile([0.5, 0.5, 1.0], (3, 1)), draws).round(2).tolist()
    [[0.5, 0.52], [0.5, 0.6], [0.5, 0.2]]
    """
    k = w.shape[0]
    n_dims = v.shape[1]
    n = p.avail.shape[1]
    blk = _block(w, p.dim_of, n_dims)
    den = (blk @ p.avail).reshape(k, n_dims, n)
    has = den > 0
    fillable = ~np.isnan(p.fill)
    active = has | fillable[None, :, None] if fillable.any() else has
    vd = v[:, :, None] * active
    total = vd.sum(axis=1)
    any_dim = total > 0
    if p.method in ("arithmetic", "geometric"):
        # sum_d W_d dim_d = sum_d v_d active_d dim_d / sum_d v_d active_d
        # U = 0 exactly where S = 0 (every term has a zero weight or is unavailable), so
        # dividing by max(S, tiny) gives U / S where present and 0 where empty
        dims = (blk @ p.value).reshape(k, n_dims, n)
        dims /= np.maximum(den, np.finfo(float).tiny)
        if fillable.any():
            fill = np.where(fillable, p.fill, 0.0)
            if p.method == "geometric":
                fill = np.log(np.maximum(fill, p.floor))
            dims = np.where(has, dims, fill[None, :, None])
        dims *= vd
        with np.errstate(invalid="ignore", divide="ignore"):
            score = dims.sum(axis=1) / total
        if p.method == "geometric":
            score = np.exp(score)
    else:
        with np.errstate(invalid="ignore", divide="ignore"):
            wdim = vd / total[:, None, :]
        blk2 = blk * blk
        sp = (blk2 @ p.q_plus).reshape(k, n_dims, n)
        sm = (blk2 @ p.q_minus).reshape(k, n_dims, n)
        with np.errstate(invalid="ignore", divide="ignore"):
            scale = np.where(has & any_dim[:, None, :], (wdim / den) ** 2, 0.0)
        fw = np.where(~has & fillable[None, :, None] & any_dim[:, None, :], wdim, 0.0)
        f0 = np.where(fillable, p.fill, 0.0)[None, :, None]
        dplus = np.sqrt((scale * sp).sum(axis=1) + (fw**2 * (f0 - 1.0) ** 2).sum(axis=1))
        dminus = np.sqrt((scale * sm).sum(axis=1) + (fw**2 * f0**2).sum(axis=1))
        with np.errstate(invalid="ignore", divide="ignore"):
            score = np.where(dplus + dminus > 0, dminus / (dplus + dminus), NEUTRAL)
    bad = np.broadcast_to(p.ungraded, (k, n)) | ~any_dim
    for d in np.flatnonzero(p.dim_ungraded):
        bad = bad | ~has[:, d, :]
    return np.where(bad, np.nan, score)


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
