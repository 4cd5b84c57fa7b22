"""The numpy inputs of the aggregation (:class:`ScoringArrays`) and :func:`aggregate`.

:func:`build_arrays` turns a normalised indicator table and a scheme into arrays once;
:func:`aggregate` applies the scheme's aggregator from :mod:`~custvalue.scoring.kernels` to
them, with the scheme's weights or with a batch of weight draws (leading axis ``K``), and
applies the ``ungraded`` missing-value policy.  :func:`aggregate_draws` is its batched form
for many weight draws (Monte-Carlo robustness): the scores only, computed by
:func:`~custvalue.scoring.kernels.batch_scores_kernel` in memory-bounded chunks.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from custvalue.errors import SchemeError
from custvalue.grading import NORM_PREFIX, REASON_PREFIX
from custvalue.grading.columns import codes_of, join_texts
from custvalue.scoring.kernels import (
    FILL_VALUES,
    Aggregated,
    BatchInputs,
    TopsisReference,
    aggregate_arithmetic,
    aggregate_geometric,
    aggregate_topsis,
    batch_inputs_kernel,
    batch_scores_kernel,
    fit_topsis_reference,
)
from custvalue.scoring.scheme import Scheme

__all__ = [
    "BATCH_CELLS",
    "ScoringArrays",
    "aggregate",
    "aggregate_draws",
    "batch_inputs",
    "build_arrays",
    "join_reasons",
]

#: :func:`aggregate_draws` scores at most about this many draws × customers at once.
BATCH_CELLS = 2_000_000

@dataclass(frozen=True)
class ScoringArrays:
    """Everything the aggregation needs, as numpy arrays (rows sorted by ``customer_id``).

    Built by :meth:`Scorer.arrays` (or :func:`build_arrays`).  Pass it to
    :func:`aggregate` with perturbed weights for robustness analyses.

    Attributes
    ----------
    customer_id : pandas.Index of str, shape (N,)
        The ids (positions, masks and ``==`` work as on an array).
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
    reasons : pandas.Categorical, shape (N,)
        Why (``"<indicator> missing (<reason code>)"``), missing for the others; a
        categorical, so that a million customers with a few reasons hold a few strings.
    method : str
        Aggregation method; ``floor`` its geometric floor; ``topsis`` the fitted reference.
    """

    customer_id: pd.Index
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
    reasons: pd.Categorical
    method: str = "arithmetic"
    floor: float = 0.01
    topsis: TopsisReference | None = field(default=None, repr=False)

    def rows(self, index: Any) -> ScoringArrays:
        """The same arrays restricted to some rows (positions, slice or mask).

        Examples
        --------
        >>> from custvalue.scoring import Scorer, example_frame
        >>> arr = Scorer().fit(example_frame()).arrays(example_frame())
        >>> arr.rows([0]).values.shape
        (1, 16)
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
    ([[0.5, 0.2], [1.0, nan]], [False, True], [nan, 'y missing'])
    """
    names = scheme.indicator_names
    w, dim_of, dw = scheme.weight_arrays()
    n = len(norm)
    values = np.empty((n, len(names)), order="F")  # the kernels work column by column
    for i, name in enumerate(names):
        col = NORM_PREFIX + name
        if col not in norm.columns:
            raise SchemeError(f"indicators.{name}", f"the frame has no {col} column")
        values[:, i] = norm[col].to_numpy(dtype=float, na_value=np.nan)
    missing = np.isnan(values)
    available = ~missing
    imputed = np.zeros_like(missing)
    ungraded = np.zeros(n, dtype=bool)
    reason_parts: list[tuple[np.ndarray, list[str]]] = []
    for i, (_, name, ind) in enumerate(scheme.iter_indicators()):
        m = missing[:, i]
        if ind.missing in FILL_VALUES:
            values[m, i] = FILL_VALUES[ind.missing]
            available[m, i] = True
            imputed[:, i] = m
        elif ind.missing == "ungraded" and m.any():
            ungraded |= m
            # texts per reason code (no string per customer): 0 = no code, 1.. = the codes
            codes, texts = np.zeros(n, dtype=np.int64), [f"{name} missing"]
            rcol = REASON_PREFIX + ind.column
            if raw is not None and rcol in raw.columns:
                code, found = codes_of(raw[rcol])
                codes, texts = code + 1, texts + [f"{name} missing ({c})" for c in found]
            reason_parts.append((np.where(m, codes, -1), texts))
    reasons = join_texts(reason_parts, n=n)
    dims = list(scheme.dimensions.values())
    dim_fill = np.array([FILL_VALUES.get(d.missing, np.nan) for d in dims])
    dim_ungraded = np.array([d.missing == "ungraded" for d in dims])
    if scheme.aggregation.method == "topsis" and topsis is None:
        topsis = fit_topsis_reference(values, available, scheme.aggregation.topsis_normalisation)
    return ScoringArrays(
        customer_id=pd.Index(norm.index, dtype=str),  # no copy of Arrow-backed ids
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


def join_reasons(a: np.ndarray, b: np.ndarray) -> np.ndarray:
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
    >>> from custvalue.scoring import Scorer, example_frame
    >>> arr = Scorer().fit(example_frame()).arrays(example_frame())
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


def batch_inputs(arrays: ScoringArrays) -> BatchInputs:
    """The weight-independent inputs of :func:`aggregate_draws`, computed once.

    Pass the result instead of ``arrays`` when scoring many batches of draws of the same
    customers (it saves the transposes and logarithms per batch).

    Examples
    --------
    >>> from custvalue.scoring import Scorer, example_frame
    >>> arr = Scorer().fit(example_frame()).arrays(example_frame())
    >>> batch_inputs(arr).n_customers
    6
    """
    if arrays.method == "topsis" and arrays.topsis is None:
        raise SchemeError("aggregation.method", "TOPSIS needs a fitted TopsisReference")
    return batch_inputs_kernel(
        arrays.values, arrays.available, arrays.dim_of, arrays.dim_fill, arrays.dim_ungraded,
        arrays.ungraded, method=arrays.method, floor=arrays.floor, topsis=arrays.topsis,
    )


def aggregate_draws(
    arrays: ScoringArrays | BatchInputs,
    indicator_weights: np.ndarray,
    dim_weights: np.ndarray,
    *,
    cells: int = BATCH_CELLS,
) -> np.ndarray:
    """Value scores (unit scale) of all customers under ``K`` weight draws, ``(K, N)``.

    The same numbers as ``aggregate(arrays, indicator_weights, dim_weights).score``
    (within 1e-12; ``ungraded`` applied), regrouped as matrix products so that thousands of
    draws over 100,000 customers take seconds.  The draws are scored in chunks of about
    ``cells // N`` draws to bound memory.

    Parameters
    ----------
    arrays : ScoringArrays or BatchInputs
        The customers (or :func:`batch_inputs` of them, to reuse over many calls).
    indicator_weights : numpy.ndarray, shape (K, I) or (I,)
        Within-dimension indicator weights per draw (scheme order).
    dim_weights : numpy.ndarray, shape (K, D) or (D,)
        Dimension weights per draw.
    cells : int, default 2,000,000
        Draws × customers per chunk.

    Returns
    -------
    numpy.ndarray, shape (K, N)
        NaN for customers without a score (as :func:`aggregate`).

    Examples
    --------
    >>> from custvalue.scoring import Scorer, example_frame
    >>> arr = Scorer().fit(example_frame()).arrays(example_frame())
    >>> v = np.random.default_rng(0).dirichlet(np.ones(3) * 50, size=200)
    >>> s = aggregate_draws(arr, arr.indicator_weights, v)
    >>> s.shape, bool(np.allclose(s, aggregate(arr, dim_weights=v).score, rtol=0, atol=1e-12))
    ((200, 6), True)
    """
    prep = arrays if isinstance(arrays, BatchInputs) else batch_inputs(arrays)
    w = np.atleast_2d(np.asarray(indicator_weights, dtype=float))
    v = np.atleast_2d(np.asarray(dim_weights, dtype=float))
    k = max(w.shape[0], v.shape[0])
    w = np.broadcast_to(w, (k, w.shape[1]))
    v = np.broadcast_to(v, (k, v.shape[1]))
    chunk = max(1, int(cells) // max(prep.n_customers, 1))
    if k <= chunk:
        return batch_scores_kernel(prep, w, v)
    out = np.empty((k, prep.n_customers))
    for s in range(0, k, chunk):  # a loop over chunks of draws, not customers
        out[s:s + chunk] = batch_scores_kernel(prep, w[s:s + chunk], v[s:s + chunk])
    return out
