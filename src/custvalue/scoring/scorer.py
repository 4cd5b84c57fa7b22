"""Score customers: :class:`Scorer` (fit normalisation and the TOPSIS reference, then
transform), :func:`score` and :func:`score_result`, and the rank rule.

Ties in rank are broken by ``customer_id`` ascending at :data:`RANK_DECIMALS` decimals.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

from custvalue.errors import SchemeError
from custvalue.grading import DIM_PREFIX, RANK_DECIMALS, REASON_PREFIX
from custvalue.grading.columns import descending_order, join_texts, text_categorical
from custvalue.scoring.arrays import ScoringArrays, aggregate, build_arrays
from custvalue.scoring.explain import Explanation, explain
from custvalue.scoring.kernels import Aggregated
from custvalue.scoring.normalise import (
    Normaliser,
    NotFittedError,
    check_indicator_frame,
)
from custvalue.scoring.scheme import Scheme

__all__ = ["RANK_DECIMALS", "ScoreResult", "Scorer", "rank_scores", "score", "score_result"]

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
    order = descending_order(s)  # graded only, best first, ties by position
    ranks = np.zeros(s.size, dtype=np.int64)
    ranks[order] = np.arange(1, order.size + 1)
    return ranks


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
        >>> from custvalue.scoring import example_frame
        >>> res = score_result(example_frame())
        >>> ex = res.explain("C1")
        >>> bool(abs(ex.table["contribution"].sum() - res.table.at["C1", "score"]) < 1e-9)
        True
        """
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


class Scorer(TransformerMixin, BaseEstimator):
    """Fit normalisation (and TOPSIS reference) on customers; score any customers.

    A scikit-learn estimator: ``get_params``/``set_params``, ``sklearn.base.clone`` and the
    last (or any) step of a ``sklearn.pipeline.Pipeline`` whose earlier steps produce an
    indicator frame (pandas in, pandas out).  ``fit`` never changes ``scheme``; what it
    learns ends in ``_``, and ``sklearn.utils.validation.check_is_fitted`` agrees with
    :class:`~custvalue.scoring.normalise.NotFittedError`.

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
    >>> from custvalue.scoring import example_frame
    >>> frame = example_frame()
    >>> table = Scorer().fit(frame).transform(frame)
    >>> table["score"].round(2).to_dict()
    {'C1': 84.93, 'C2': 67.45, 'C3': 36.68, 'C4': 18.64, 'C5': 66.96, 'C6': 78.1}
    >>> table["rank"].tolist()
    [1, 3, 5, 6, 4, 2]
    """

    def __init__(self, scheme: Scheme | None = None) -> None:
        self.scheme = scheme

    def fit(self, indicators: pd.DataFrame, y: object = None) -> Scorer:
        """Learn normalisation bounds (and the TOPSIS reference) from ``indicators``.

        ``y`` is ignored (scikit-learn's signature).

        Examples
        --------
        >>> from custvalue.scoring import example_frame
        >>> Scorer().fit(example_frame())
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

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "normaliser_")

    def _check_fitted(self) -> None:
        if not hasattr(self, "normaliser_"):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet: call fit first")

    def arrays(self, indicators: pd.DataFrame) -> ScoringArrays:
        """The aggregation inputs for ``indicators`` (normalised with the fitted bounds).

        Examples
        --------
        >>> from custvalue.scoring import example_frame
        >>> arr = Scorer().fit(example_frame()).arrays(example_frame())
        >>> arr.values.shape, int(arr.available.sum())
        ((6, 16), 79)
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
        >>> from custvalue.scoring import example_frame
        >>> res = Scorer().fit(example_frame()).result(example_frame())
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
        >>> from custvalue.scoring import example_frame
        >>> t = Scorer().fit(example_frame()).transform(example_frame())
        >>> list(t.columns[-4:])
        ['score', 'rank', 'graded', 'reason']
        """
        self._check_fitted()
        raw = check_indicator_frame(indicators, self.scheme_)
        norm = self.normaliser_.transform(raw)
        arr = build_arrays(norm, self.scheme_, raw, self.topsis_)
        # the table needs no effective weights: aggregate without them
        return _table(raw, norm, arr, aggregate(arr), self.scheme_)

    def fit_transform(self, indicators: pd.DataFrame, y: object = None) -> pd.DataFrame:
        """``fit(indicators).transform(indicators)``.

        Examples
        --------
        >>> from custvalue.scoring import example_frame
        >>> int(Scorer().fit_transform(example_frame())["graded"].sum())
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
    table = _table(raw, norm, arr, agg, scheme)
    weights = pd.DataFrame(agg.weights, index=index, columns=list(arr.indicators))
    fill = pd.DataFrame(agg.fill_weights, index=index, columns=list(arr.dimensions))
    return ScoreResult(table, weights, fill, arr, scheme, scorer)


def _reasons(arr: ScoringArrays, agg: Aggregated, scheme: Scheme,
             graded: np.ndarray) -> pd.Categorical:
    """Why each ungraded customer is ungraded (a categorical; missing when graded)."""
    policies = np.array([ind.missing for _, _, ind in scheme.iter_indicators()])
    parts = [(np.asarray(arr.reasons.codes, dtype=np.int64),
              [str(c) for c in arr.reasons.categories])]
    for d, name in enumerate(arr.dimensions):
        if arr.dim_ungraded[d]:
            named = arr.missing[:, (arr.dim_of == d) & (policies == "ungraded")].any(axis=1)
            empty = ~agg.dim_available[:, d] & ~named  # else an indicator reason says it
            parts.append((np.where(empty, 0, -1), [f"no {name} indicator available"]))
    joined = join_texts(parts, n=graded.size)
    texts = [*map(str, joined.categories), "no indicator available"]
    codes = np.asarray(joined.codes, dtype=np.int64)
    codes = np.where(graded, -1, np.where(codes < 0, len(texts) - 1, codes))
    return text_categorical(codes, texts)


def _table(raw: pd.DataFrame, norm: pd.DataFrame, arr: ScoringArrays, agg: Aggregated,
           scheme: Scheme) -> pd.DataFrame:
    """The per-customer score table (see :func:`score`), built once from the arrays."""
    index = raw.index
    score_100 = agg.score * 100.0
    graded = ~np.isnan(score_100)
    ranks = rank_scores(score_100)

    # pieces that share their data (the raw columns, the normalised block, the dimension
    # block), put side by side without a copy: they all carry the one index object
    raw_cols = list(dict.fromkeys(c for col in scheme.columns for c in (col, REASON_PREFIX + col)
                                  if c == col or c in raw.columns))
    dims = pd.DataFrame(agg.dims * 100.0, index=index, copy=False,
                        columns=[DIM_PREFIX + name for name in arr.dimensions])
    rest = pd.DataFrame({
        "score": score_100,
        "rank": pd.arrays.IntegerArray(ranks, ~graded),
        "graded": graded,
        "reason": _reasons(arr, agg, scheme, graded),
    }, index=index)
    # each raw column as it is (a selection of several could copy a block)
    return pd.concat([*(raw[c] for c in raw_cols), norm.set_axis(index, axis=0), dims, rest],
                     axis=1)


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
        ties by ``customer_id``), ``graded`` (bool), ``reason`` (a categorical: why
        a customer is ungraded, missing when graded).

    Raises
    ------
    InputError
        Missing, non-numeric or infinite columns, duplicate ids.
    SchemeError
        ``scheme`` differs from the scheme ``fitted`` was fitted with.

    Examples
    --------
    >>> from custvalue.scoring import example_frame
    >>> t = score(example_frame())
    >>> t["rank"].tolist()
    [1, 3, 5, 6, 4, 2]
    """
    if fitted is not None:
        return score_result(indicators, scheme, fitted=fitted).table
    return Scorer(scheme).fit(indicators).transform(indicators)


def score_result(
    indicators: pd.DataFrame,
    scheme: Scheme | None = None,
    *,
    fitted: Scorer | None = None,
) -> ScoreResult:
    """Like :func:`score`, returning the full :class:`ScoreResult`.

    Examples
    --------
    >>> from custvalue.scoring import example_frame
    >>> res = score_result(example_frame())
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
