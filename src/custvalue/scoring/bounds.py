"""The fitted state of a scorer as a plain table, and back: bounds a grading keeps.

A grading's normalised values and scores come from bounds fitted on its customers
(:class:`~custvalue.scoring.normalise.Normaliser`: min/max, winsor quantiles, mean/std; the
TOPSIS reference).  :func:`bounds_table` writes them as one row per indicator, plain numbers
and words, so that :class:`~custvalue.grading.Grading` can keep them beside its table and
save them (``bounds.json``) without importing this stage; :func:`fits_from_bounds` reads
them back into what the scoring kernels take, so that re-scoring a grading's customers
(improvement plans) does not fit again.

Columns of the table (index ``indicator``, scheme order):

* ``column``, ``method``, ``direction``, ``ideal`` (NaN unless ``target``): what was fitted;
* ``n``: present values fitted; ``clip_low``, ``clip_high``: the fitted winsor quantiles
  (NaN without winsorising); ``low``, ``high``, ``mean``, ``std``: the fitted bounds
  (:class:`~custvalue.scoring.normalise.IndicatorFit`);
* ``topsis_normalisation``, ``topsis_shift``, ``topsis_scale``, ``topsis_ideal``,
  ``topsis_anti_ideal``: the TOPSIS reference (empty / NaN for the other aggregators).

The ``rank`` method's reference sample (every fitted value) is not in the table: it is the
grading's own raw column, and :func:`fits_from_bounds` refits that indicator from it.

Examples
--------
>>> from custvalue.scoring import Scorer, example_frame
>>> scorer = Scorer().fit(example_frame())
>>> table = bounds_table(scorer)
>>> table.loc["days_late", "method"], float(table.loc["days_late", "high"])
('threshold', 30.0)
>>> fits, topsis = fits_from_bounds(table, scorer.scheme_)
>>> fits["kwh_per_year"].high == scorer.normaliser_.fits_["kwh_per_year"].high
True
>>> topsis is None
True
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from custvalue.scoring.kernels import TopsisReference
from custvalue.scoring.normalise import IndicatorFit, fit_indicator
from custvalue.scoring.scheme import Scheme
from custvalue.scoring.scorer import Scorer

__all__ = ["BOUNDS_COLUMNS", "bounds_table", "fits_from_bounds", "standard_bounds"]

#: The columns of :func:`bounds_table`, in order.
BOUNDS_COLUMNS = ("column", "method", "direction", "ideal", "n", "clip_low", "clip_high",
                  "low", "high", "mean", "std", "topsis_normalisation", "topsis_shift",
                  "topsis_scale", "topsis_ideal", "topsis_anti_ideal")
_TEXT = ("column", "method", "direction", "topsis_normalisation")


def _number(value: Any) -> float:
    return math.nan if value is None else float(value)


def bounds_table(scorer: Scorer) -> pd.DataFrame:
    """The fitted bounds (and TOPSIS reference) of a fitted scorer, one row per indicator.

    Parameters
    ----------
    scorer : Scorer
        A fitted scorer.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``indicator`` (scheme order), the columns of :data:`BOUNDS_COLUMNS`.

    Examples
    --------
    >>> from custvalue.scoring import Scorer, example_frame
    >>> list(bounds_table(Scorer().fit(example_frame())).columns) == list(BOUNDS_COLUMNS)
    True
    """
    fits = scorer.normaliser_.fits_
    topsis = scorer.topsis_
    rows = []
    for i, fit in enumerate(fits.values()):  # a loop over indicators
        rows.append({
            "indicator": fit.indicator, "column": fit.column, "method": fit.method,
            "direction": fit.direction, "ideal": _number(fit.ideal), "n": int(fit.n),
            "clip_low": _number(fit.clip_low), "clip_high": _number(fit.clip_high),
            "low": float(fit.low), "high": float(fit.high), "mean": float(fit.mean),
            "std": float(fit.std),
            "topsis_normalisation": topsis.normalisation if topsis is not None else "",
            "topsis_shift": float(topsis.shift[i]) if topsis is not None else math.nan,
            "topsis_scale": float(topsis.scale[i]) if topsis is not None else math.nan,
            "topsis_ideal": float(topsis.ideal[i]) if topsis is not None else math.nan,
            "topsis_anti_ideal": float(topsis.anti_ideal[i]) if topsis is not None
            else math.nan,
        })
    return standard_bounds(pd.DataFrame(rows).set_index("indicator"))


def standard_bounds(table: pd.DataFrame) -> pd.DataFrame:
    """A bounds table with the standard columns and dtypes (text as object, ``n`` int64,
    the rest float64): what :func:`bounds_table` gives and a saved table reads back as.

    Examples
    --------
    >>> t = standard_bounds(pd.DataFrame({"indicator": ["x"], "column": ["x"],
    ...                                   "method": ["minmax"], "direction": ["benefit"],
    ...                                   "n": [3], "low": [0], "high": [1]}))
    >>> t.index.tolist(), float(t.loc["x", "std"]), t["low"].dtype
    (['x'], nan, dtype('float64'))
    """
    t = table.set_index("indicator") if "indicator" in table.columns else table
    cols: dict[str, np.ndarray] = {}
    for col in BOUNDS_COLUMNS:  # a loop over columns
        if col in _TEXT:
            cols[col] = (t[col].fillna("").astype(str).to_numpy(dtype=object)
                         if col in t.columns else np.full(len(t), "", dtype=object))
        elif col == "n":
            cols[col] = (t[col].to_numpy(dtype=np.int64) if col in t.columns
                         else np.zeros(len(t), dtype=np.int64))
        else:
            cols[col] = (pd.to_numeric(t[col]).to_numpy(dtype=float, na_value=np.nan)
                         if col in t.columns else np.full(len(t), np.nan))
    return pd.DataFrame(cols, index=pd.Index(t.index.astype(str), name="indicator",
                                             dtype=object))


def _same(a: float, b: float | None) -> bool:
    return (b is None and math.isnan(a)) or (b is not None and a == float(b))


def fits_from_bounds(
    table: pd.DataFrame, scheme: Scheme, frame: pd.DataFrame | None = None
) -> tuple[dict[str, IndicatorFit], TopsisReference | None]:
    """The per-indicator fits and the TOPSIS reference kept in a bounds table.

    Parameters
    ----------
    table : pandas.DataFrame
        A table of :func:`bounds_table` (or read back from a saved grading).
    scheme : Scheme
        The scheme to use them with: every indicator must be there, fitted with the
        scheme's column, method, direction, ideal, threshold bounds and winsorising.
    frame : pandas.DataFrame, optional
        The fitted customers' raw columns: needed only for a ``rank`` indicator, whose
        reference sample is refitted from it.

    Returns
    -------
    (dict of str to IndicatorFit, TopsisReference or None)

    Raises
    ------
    ValueError
        The table does not match the scheme (another scheme's bounds), or a ``rank``
        indicator without ``frame``.  The caller refits instead.

    Examples
    --------
    >>> from custvalue.scoring import Scorer, example_frame
    >>> scorer = Scorer().fit(example_frame())
    >>> fits, _ = fits_from_bounds(bounds_table(scorer), scorer.scheme_)
    >>> fits["days_late"].high, fits["avg_price"].clip_high == scorer.normaliser_.fits_[
    ...     "avg_price"].clip_high
    (30.0, True)
    """
    t = table.set_index("indicator") if "indicator" in table.columns else table
    cols = [str(c) for c in t.columns]
    rows = {str(k): {c: (math.nan if v is None else v) for c, v in zip(cols, r, strict=True)}
            for k, r in zip(t.index, t.to_numpy(dtype=object), strict=True)}
    fits: dict[str, IndicatorFit] = {}
    for _, name, ind in scheme.iter_indicators():  # a loop over indicators
        if name not in rows:
            raise ValueError(f"no bounds for the indicator {name!r}")
        row = rows[name]
        norm = ind.normalisation
        has_clip = not math.isnan(row["clip_low"])
        if (row["column"] != ind.column or row["method"] != norm.method
                or row["direction"] != ind.direction or not _same(row["ideal"], ind.ideal)
                or has_clip != (norm.winsorise is not None)
                or (norm.method == "threshold" and not (
                    _same(row["low"], norm.lower) and _same(row["high"], norm.upper)))):
            raise ValueError(f"the bounds of {name!r} were fitted with other settings")
        if norm.method == "rank":
            if frame is None:
                raise ValueError(f"the rank indicator {name!r} needs the fitted column")
            fits[name] = fit_indicator(frame[ind.column].to_numpy(dtype=float,
                                                                  na_value=np.nan), ind, name)
            continue
        fits[name] = IndicatorFit(
            indicator=name, column=ind.column, method=norm.method, direction=ind.direction,
            ideal=ind.ideal, n=int(row["n"]),
            clip_low=float(row["clip_low"]) if has_clip else None,
            clip_high=float(row["clip_high"]) if has_clip else None,
            low=float(row["low"]), high=float(row["high"]), mean=float(row["mean"]),
            std=float(row["std"]), reference=np.empty(0))
    topsis = None
    if scheme.aggregation.method == "topsis":
        names = list(scheme.indicator_names)
        keys = ("topsis_shift", "topsis_scale", "topsis_ideal", "topsis_anti_ideal")
        parts = np.array([[float(rows[n][k]) for k in keys] for n in names])
        if np.isnan(parts).any() or {rows[n]["topsis_normalisation"] for n in names} != {
                scheme.aggregation.topsis_normalisation}:
            raise ValueError("no TOPSIS reference of this scheme in the bounds")
        topsis = TopsisReference(scheme.aggregation.topsis_normalisation,
                                 *(np.ascontiguousarray(parts[:, j]) for j in range(4)))
    return fits, topsis
