r"""Normalisation: map raw indicator values onto [0, 1], where 1 is best.

This module is long because it holds five normalisation kernels, the fitted bounds of each and
the scikit-learn style Normaliser that applies them, with the formula of every method in the
docstrings.

:class:`Normaliser` follows scikit-learn: ``Normaliser(scheme)`` sets the scheme, ``fit``
learns per-indicator bounds from an indicator frame (min/max, winsor quantiles, mean/std,
the reference sample of ``rank``), ``transform`` writes one ``norm__<indicator>`` column per
indicator.  Fitting on one period and transforming another works: values outside the fitted
range are clipped to [0, 1].

Each method is a pure numpy kernel on one column (no validation, NaN in = NaN out):

=============  ==================================================================  ===========
method         benefit form :math:`f(x)`                                           learns
=============  ==================================================================  ===========
minmax         :math:`\mathrm{clip}((x - m) / (M - m), 0, 1)`                     m, M
log_minmax     the same on :math:`\ell(x) = \mathrm{sign}(x) \log(1 + |x|)`        m, M
zscore         :math:`\Phi((x - \mu) / \sigma)` (standard normal CDF, ddof 0)      μ, σ
rank           mid-rank percentile :math:`(\#\{r < x\} + \#\{r = x\}/2) / n`      reference r
threshold      :math:`\mathrm{clip}((x - lower) / (upper - lower), 0, 1)`           nothing
=============  ==================================================================  ===========

* **Winsorising** (``winsorise = (lo_q, hi_q)``) clips ``x`` to the fitted quantiles
  (numpy's linear interpolation) before any method.
* **Direction.** ``benefit`` scores :math:`f(x)`; ``cost`` scores :math:`1 - f(x)`;
  ``target`` scores :math:`1 - f(d)` on the distance :math:`d = |x - ideal|`, where for
  ``minmax`` and ``log_minmax`` the lower bound is 0 (the ideal itself), so that
  ``minmax`` gives :math:`1 - d / d_{max}`.
* **Constant columns.** An indicator with no spread in the fitted sample (max = min, σ = 0,
  or all reference values equal; also an indicator with no fitted value at all) cannot
  discriminate: every present value scores :data:`NEUTRAL` (0.5), whatever the method.
  Nothing is ever divided by zero.
* Missing values (NaN) stay NaN; the missing-value policy is applied by the aggregation
  stage (:mod:`custvalue.scoring.scorer`).

Examples
--------
>>> import pandas as pd
>>> from custvalue.scoring.normalise import Normaliser
>>> from custvalue.scoring.scheme import Scheme
>>> scheme = Scheme.from_dict({"dimensions": {"pay": {"weight": 1, "indicators": {
...     "days_late": {"weight": 1, "direction": "cost"}}}}})
>>> frame = pd.DataFrame({"days_late": [0.0, 10.0, 20.0]},
...                      index=pd.Index(["c1", "c2", "c3"], name="customer_id"))
>>> Normaliser(scheme).fit(frame).transform(frame)["norm__days_late"].tolist()
[1.0, 0.5, 0.0]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy.special import ndtr
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.exceptions import NotFittedError as _SklearnNotFittedError

from custvalue.errors import (
    ColumnTypeError,
    CustvalueError,
    DuplicateRowsError,
    EmptyTableError,
    InvalidValueError,
    MissingColumnError,
    SchemeError,
    UnsupportedInputError,
)
from custvalue.grading import NORM_PREFIX, REASON_PREFIX
from custvalue.grading.columns import ids_sorted_unique
from custvalue.scoring.scheme import Indicator, Scheme

__all__ = [
    "NEUTRAL",
    "NORM_PREFIX",
    "REASON_PREFIX",
    "IndicatorFit",
    "Normaliser",
    "NotFittedError",
    "check_indicator_frame",
    "example_frame",
    "fit_indicator",
    "log_minmax_kernel",
    "minmax_kernel",
    "rank_kernel",
    "signed_log",
    "threshold_kernel",
    "transform_indicator",
    "winsorise_kernel",
    "zscore_kernel",
]

#: Score of every value of an indicator that was constant (or empty) in the fitted sample,
#: and of a missing value under the ``neutral`` policy.
NEUTRAL = 0.5
_TABLE = "indicators"


class NotFittedError(CustvalueError, _SklearnNotFittedError):
    """``transform`` (or an attribute ending in ``_``) was used before ``fit``.

    A subclass of scikit-learn's ``NotFittedError`` (itself a ``ValueError`` and an
    ``AttributeError``), so ``except sklearn.exceptions.NotFittedError`` catches it too.
    """

    code: ClassVar[str] = "not_fitted"


# ---------------------------------------------------------------------- kernels
def _neutral_like(x: np.ndarray) -> np.ndarray:
    return np.where(np.isnan(x), np.nan, NEUTRAL)


def signed_log(x: np.ndarray | float) -> np.ndarray:
    r"""Signed logarithm :math:`\mathrm{sign}(x) \log(1 + |x|)`: ``log1p`` for x >= 0, odd.

    Parameters
    ----------
    x : array_like
        Values (NaN passes through).

    Returns
    -------
    numpy.ndarray

    Examples
    --------
    >>> signed_log([0.0, -1.0, np.e - 1]).round(6).tolist()
    [0.0, -0.693147, 1.0]
    """
    x = np.asarray(x, dtype=float)
    return np.sign(x) * np.log1p(np.abs(x))


def winsorise_kernel(x: np.ndarray, low: float, high: float) -> np.ndarray:
    """Clip ``x`` to ``[low, high]`` (the fitted winsor quantiles); NaN stays NaN.

    Examples
    --------
    >>> winsorise_kernel(np.array([-5.0, 0.5, 9.0, np.nan]), 0.0, 1.0).tolist()
    [0.0, 0.5, 1.0, nan]
    """
    return np.clip(np.asarray(x, dtype=float), low, high)


def minmax_kernel(x: np.ndarray, low: float, high: float) -> np.ndarray:
    """Min-max to [0, 1]: ``clip((x - low) / (high - low), 0, 1)``.

    When ``high <= low`` (a constant column) or a bound is NaN (nothing fitted), every
    present value scores :data:`NEUTRAL`.

    Parameters
    ----------
    x : numpy.ndarray
        Values; NaN passes through.
    low, high : float
        Fitted minimum and maximum.

    Returns
    -------
    numpy.ndarray
        Values in [0, 1] (benefit form: ``high`` scores 1).

    Examples
    --------
    >>> minmax_kernel(np.array([0.0, 5.0, 10.0, 20.0, np.nan]), 0.0, 10.0).tolist()
    [0.0, 0.5, 1.0, 1.0, nan]
    >>> minmax_kernel(np.array([3.0, 4.0]), 3.0, 3.0).tolist()
    [0.5, 0.5]
    """
    x = np.asarray(x, dtype=float)
    span = high - low
    if not span > 0:
        return _neutral_like(x)
    return np.clip((x - low) / span, 0.0, 1.0)


def log_minmax_kernel(x: np.ndarray, low: float, high: float) -> np.ndarray:
    r"""Min-max on the signed log scale :math:`\ell(x) = \mathrm{sign}(x)\log(1+|x|)`.

    ``low`` and ``high`` are the fitted raw minimum and maximum; the kernel takes their
    signed logs.  For heavy-tailed non-negative indicators (kWh, revenue) this is
    :math:`\log(1 + x)` scaled between the smallest and largest customer.

    Examples
    --------
    >>> log_minmax_kernel(np.array([0.0, 9.0, 99.0]), 0.0, 99.0).round(4).tolist()
    [0.0, 0.5, 1.0]
    """
    return minmax_kernel(signed_log(x), float(signed_log(low)), float(signed_log(high)))


def zscore_kernel(x: np.ndarray, mean: float, std: float) -> np.ndarray:
    r"""Standard normal CDF of the z-score, :math:`\Phi((x - \mu) / \sigma)`, in (0, 1).

    A z-score of 0 (the fitted mean) scores 0.5; :math:`\sigma = 0` or NaN scores
    :data:`NEUTRAL`.

    Examples
    --------
    >>> zscore_kernel(np.array([10.0, 12.0]), 10.0, 2.0).round(4).tolist()
    [0.5, 0.8413]
    """
    x = np.asarray(x, dtype=float)
    if not std > 0:
        return _neutral_like(x)
    return ndtr((x - mean) / std)


def rank_kernel(x: np.ndarray, reference: np.ndarray) -> np.ndarray:
    r"""Mid-rank percentile of ``x`` in the sorted fitted ``reference``, in [0, 1].

    :math:`p(x) = (\#\{r < x\} + \tfrac12 \#\{r = x\}) / n`, i.e.
    ``scipy.stats.percentileofscore(reference, x, kind="mean") / 100``.  A reference with no
    spread (or no values) scores :data:`NEUTRAL`.

    Parameters
    ----------
    x : numpy.ndarray
        Values; NaN passes through.
    reference : numpy.ndarray
        The fitted values, sorted ascending, without NaN.

    Examples
    --------
    >>> rank_kernel(np.array([1.0, 2.0, 2.5, 9.0]), np.array([1.0, 2.0, 3.0, 4.0])).tolist()
    [0.125, 0.375, 0.5, 1.0]
    """
    x = np.asarray(x, dtype=float)
    ref = np.asarray(reference, dtype=float)
    n = ref.size
    if n == 0 or not ref[-1] > ref[0]:
        return _neutral_like(x)
    left = np.searchsorted(ref, x, side="left")
    right = np.searchsorted(ref, x, side="right")
    return np.where(np.isnan(x), np.nan, (left + right) / (2.0 * n))


def threshold_kernel(x: np.ndarray, lower: float, upper: float) -> np.ndarray:
    """0 at or below ``lower``, 1 at or above ``upper``, linear between (``lower < upper``).

    Examples
    --------
    >>> threshold_kernel(np.array([-1.0, 0.0, 15.0, 30.0, 99.0]), 0.0, 30.0).tolist()
    [0.0, 0.0, 0.5, 1.0, 1.0]
    """
    x = np.asarray(x, dtype=float)
    return np.clip((x - lower) / (upper - lower), 0.0, 1.0)


# ---------------------------------------------------------------------- one indicator
@dataclass(frozen=True)
class IndicatorFit:
    """What :class:`Normaliser` learned about one indicator.

    ``low``/``high`` are the bounds used by ``minmax``/``log_minmax``/``threshold`` (for a
    ``target`` indicator they are bounds of the distance to the ideal, ``low`` = 0);
    ``mean``/``std`` are those of the (winsorised, distance-transformed) fitted values;
    ``reference`` is their sorted sample for ``rank`` (empty for the other methods).
    """

    indicator: str
    column: str
    method: str
    direction: str
    ideal: float | None
    n: int
    clip_low: float | None
    clip_high: float | None
    low: float
    high: float
    mean: float
    std: float
    reference: np.ndarray = field(repr=False)


def _prepare(x: np.ndarray, ind: Indicator, clip: tuple[float, float] | None) -> np.ndarray:
    """Winsorise, then take the distance to the ideal for a ``target`` indicator."""
    if clip is not None:
        x = winsorise_kernel(x, *clip)
    if ind.direction == "target":
        x = np.abs(x - ind.ideal)
    return x


def fit_indicator(values: np.ndarray, ind: Indicator, name: str = "") -> IndicatorFit:
    """Learn the bounds of one indicator from its raw values (NaN = missing).

    Parameters
    ----------
    values : numpy.ndarray
        Raw values of the fitted customers.
    ind : Indicator
        The indicator's settings.
    name : str
        The indicator's name (for reports).

    Returns
    -------
    IndicatorFit

    Examples
    --------
    >>> from custvalue.scoring.scheme import Indicator
    >>> ind = Indicator(column="x", weight=1, normalisation={"winsorise": (0.0, 0.5)})
    >>> f = fit_indicator(np.array([1.0, 2.0, 3.0, np.nan]), ind, "x")
    >>> f.n, f.clip_high, f.low, f.high
    (3, 2.0, 1.0, 2.0)
    """
    x = np.asarray(values, dtype=float)
    present = x[~np.isnan(x)]
    n = int(present.size)
    clip = None
    if ind.normalisation.winsorise is not None and n:
        lo, hi = np.quantile(present, ind.normalisation.winsorise)
        clip = (float(lo), float(hi))
    v = _prepare(present, ind, clip)
    method = ind.normalisation.method
    mean = float(v.mean()) if n else np.nan
    std = float(v.std()) if n else np.nan
    if method == "threshold":
        lower, upper = ind.normalisation.lower, ind.normalisation.upper
        if lower is None or upper is None:  # the scheme's validation requires both
            raise SchemeError(name, "threshold normalisation needs lower and upper")
        low, high = float(lower), float(upper)
    elif n:
        low = 0.0 if ind.direction == "target" else float(v.min())
        high = float(v.max())
    else:
        low = high = np.nan
    reference = np.sort(v) if method == "rank" else np.empty(0)
    return IndicatorFit(
        indicator=name,
        column=ind.column,
        method=method,
        direction=ind.direction,
        ideal=ind.ideal,
        n=n,
        clip_low=None if clip is None else clip[0],
        clip_high=None if clip is None else clip[1],
        low=low,
        high=high,
        mean=mean,
        std=std,
        reference=reference,
    )


def transform_indicator(values: np.ndarray, fit: IndicatorFit) -> np.ndarray:
    """Normalised values of one indicator (1 = best), given its fitted bounds.

    Examples
    --------
    >>> from custvalue.scoring.scheme import Indicator
    >>> ind = Indicator(column="x", weight=1, direction="target", ideal=1.0)
    >>> f = fit_indicator(np.array([0.0, 1.0, 1.5]), ind, "x")
    >>> transform_indicator(np.array([0.0, 1.0, 1.5, 3.0]), f).tolist()
    [0.0, 1.0, 0.5, 0.0]
    """
    x = np.asarray(values, dtype=float)
    if fit.clip_low is not None and fit.clip_high is not None:
        x = winsorise_kernel(x, fit.clip_low, fit.clip_high)
    if fit.direction == "target":
        x = np.abs(x - fit.ideal)
    if fit.method == "minmax":
        y = minmax_kernel(x, fit.low, fit.high)
    elif fit.method == "log_minmax":
        y = log_minmax_kernel(x, fit.low, fit.high)
    elif fit.method == "zscore":
        y = zscore_kernel(x, fit.mean, fit.std)
    elif fit.method == "rank":
        y = rank_kernel(x, fit.reference)
    else:
        y = threshold_kernel(x, fit.low, fit.high)
    return y if fit.direction == "benefit" else 1.0 - y


# ---------------------------------------------------------------------- input frames
def check_indicator_frame(
    frame: Any, scheme: Scheme, table: str = _TABLE
) -> pd.DataFrame:
    """Validate an indicator frame for ``scheme``; return it sorted by ``customer_id``.

    The frame is indexed by ``customer_id`` (or has a ``customer_id`` column); ids become
    strings.  Every source column of the scheme must be present and numeric; values must be
    finite or NaN.  Scheme columns come back as float64; other columns are kept as they are.
    The result is a new frame; it shares the columns that need no change with ``frame``
    (pandas' copy on write keeps them apart), so a frame that is already valid and sorted
    costs one pass over the ids and the scheme columns.

    Raises
    ------
    UnsupportedInputError, EmptyTableError, MissingColumnError, ColumnTypeError,
    DuplicateRowsError, InvalidValueError

    Examples
    --------
    >>> s = Scheme.from_dict({"dimensions": {"d": {"weight": 1, "indicators": {
    ...     "x": {"weight": 1}}}}})
    >>> f = pd.DataFrame({"customer_id": ["b", "a"], "x": [1, 2]})
    >>> check_indicator_frame(f, s)["x"].to_dict()
    {'a': 2.0, 'b': 1.0}
    >>> from custvalue.errors import MissingColumnError
    >>> try:
    ...     check_indicator_frame(f.drop(columns="x"), s)
    ... except MissingColumnError as exc:
    ...     print(exc.column, "|", exc.fix)
    x | compute the indicator or remove it from the scheme
    """
    if not isinstance(frame, pd.DataFrame):
        raise UnsupportedInputError(
            table, None, f"expected a pandas DataFrame, got {type(frame).__name__}"
        )
    df = frame
    if df.index.name != "customer_id" and "customer_id" in df.columns:
        df = df.set_index("customer_id")
    if len(df) == 0:
        raise EmptyTableError(table, None, "the indicator frame has no rows")
    # ids already text, sorted and unique (what the indicator stage gives): one vectorised
    # pass, no hash table, no copy; otherwise check, convert and sort
    in_order = isinstance(df.index.dtype, pd.StringDtype) and ids_sorted_unique(df.index)
    if in_order:
        ids = df.index.rename("customer_id")
    else:
        ids = pd.Index(df.index)
        if ids.isna().any():
            raise InvalidValueError(
                table, "customer_id", "customer ids must not be missing",
                count=int(ids.isna().sum()))
        ids = pd.Index(ids.astype(str), name="customer_id")
        dup = ids.duplicated(keep=False)
        if dup.any():
            examples = [{"customer_id": c} for c in ids[dup].unique()[:5]]
            raise DuplicateRowsError(
                table, "customer_id", "customer ids must be unique", examples,
                fix="keep one row per customer", count=int(dup.sum()),
            )
    out: dict[str, Any] = {}
    for col in scheme.columns:
        if col not in df.columns:
            raise MissingColumnError(
                table, col, "the scheme needs this column but the frame does not have it",
                fix="compute the indicator or remove it from the scheme",
            )
        s = df[col]
        if s.dtype == np.float64:
            values = s.to_numpy()
        else:
            if pd.api.types.is_bool_dtype(s) or not pd.api.types.is_numeric_dtype(s):
                converted = pd.to_numeric(s, errors="coerce")
                bad = converted.isna() & s.notna()
                if bad.any() or pd.api.types.is_bool_dtype(s):
                    rows = s[bad] if bad.any() else s
                    examples = [{"customer_id": k, col: v} for k, v in rows.head(5).items()]
                    raise ColumnTypeError(
                        table, col, "values must be numbers (NaN for missing)", examples,
                        fix="convert the column to float", count=int(bad.sum()) or len(s),
                    )
                s = converted
            values = s.to_numpy(dtype=float, na_value=np.nan)
            out[col] = values
        inf = np.isinf(values)
        if inf.any():
            examples = [
                {"customer_id": k, col: v}
                for k, v in zip(ids[inf][:5], values[inf][:5], strict=True)
            ]
            raise InvalidValueError(
                table, col, "values must be finite (use NaN for missing)", examples,
                fix="replace infinities by NaN and give a reason__ column",
                count=int(inf.sum()),
            )
    result = df.set_axis(ids, axis=0)  # a new frame sharing the data (copy on write)
    if out:
        result = result.assign(**out)
    return result if in_order else result.sort_index(kind="stable")


# ---------------------------------------------------------------------- the front
class Normaliser(TransformerMixin, BaseEstimator):
    """Learn normalisation bounds from an indicator frame and apply them.

    A scikit-learn transformer: ``get_params``/``set_params``, ``sklearn.base.clone`` and a
    step of a ``sklearn.pipeline.Pipeline`` (pandas frame in, pandas frame out); fitted
    attributes end in ``_``, and ``sklearn.utils.validation.check_is_fitted`` agrees with
    :class:`NotFittedError`.

    Parameters
    ----------
    scheme : Scheme, optional
        The grading scheme (default :meth:`Scheme.default`).  Never changed by ``fit``.

    Attributes
    ----------
    scheme_ : Scheme
        The scheme in use (set by ``fit``).
    fits_ : dict of str to IndicatorFit
        What was learned per indicator, in scheme order.
    n_customers_ : int
        Rows of the fitted frame.

    Examples
    --------
    >>> s = Scheme.from_dict({"dimensions": {"d": {"weight": 1, "indicators": {
    ...     "kwh": {"weight": 1, "normalisation": {"method": "log_minmax"}}}}}})
    >>> fit_on = pd.DataFrame({"kwh": [0.0, 9.0, 99.0]}, index=["a", "b", "c"])
    >>> later = pd.DataFrame({"kwh": [9.0, 999.0, np.nan]}, index=["a", "b", "c"])
    >>> Normaliser(s).fit(fit_on).transform(later)["norm__kwh"].round(3).tolist()
    [0.5, 1.0, nan]
    """

    def __init__(self, scheme: Scheme | None = None) -> None:
        self.scheme = scheme

    def fit(self, frame: pd.DataFrame, y: object = None) -> Normaliser:
        """Learn the bounds of every indicator of the scheme from ``frame``.

        Parameters
        ----------
        frame : pandas.DataFrame
            Indicator frame indexed by ``customer_id``.
        y : None
            Ignored (scikit-learn's signature).

        Returns
        -------
        Normaliser
            ``self``, fitted.

        Examples
        --------
        >>> n = Normaliser().fit(example_frame())
        >>> n.fits_["kwh_per_year"].high
        2000000.0
        """
        scheme = self.scheme if self.scheme is not None else Scheme.default()
        df = check_indicator_frame(frame, scheme)
        self.fits_ = {
            name: fit_indicator(df[ind.column].to_numpy(), ind, name)
            for _, name, ind in scheme.iter_indicators()
        }
        self.scheme_ = scheme
        self.n_customers_ = len(df)
        return self

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "fits_")

    def _check_fitted(self) -> None:
        if not hasattr(self, "fits_"):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet: call fit first")

    def transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Normalised values ``norm__<indicator>`` in [0, 1] (1 = best; NaN where missing).

        Parameters
        ----------
        frame : pandas.DataFrame
            Indicator frame indexed by ``customer_id`` (any customers, any period).

        Returns
        -------
        pandas.DataFrame
            One column per indicator in scheme order, rows sorted by ``customer_id``.

        Examples
        --------
        >>> f = example_frame()
        >>> Normaliser().fit(f).transform(f).loc["C2", "norm__pf_compliance"]
        np.float64(0.5)
        """
        self._check_fitted()
        df = check_indicator_frame(frame, self.scheme_)
        # one column-major matrix, wrapped without a copy (one block of the frame)
        values = np.empty((len(df), len(self.fits_)), order="F")
        for i, fit in enumerate(self.fits_.values()):
            values[:, i] = transform_indicator(df[fit.column].to_numpy(), fit)
        return pd.DataFrame(values, index=df.index, copy=False,
                            columns=[NORM_PREFIX + name for name in self.fits_])

    def fit_transform(self, frame: pd.DataFrame, y: object = None) -> pd.DataFrame:
        """``fit(frame).transform(frame)``.

        Examples
        --------
        >>> Normaliser().fit_transform(example_frame()).shape
        (6, 16)
        """
        return self.fit(frame).transform(frame)

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        """Names of the output columns, ``norm__<indicator>`` in scheme order.

        Examples
        --------
        >>> Normaliser().fit(example_frame()).get_feature_names_out()[:2].tolist()
        ['norm__kwh_per_year', 'norm__revenue_per_year']
        """
        self._check_fitted()
        return np.array([NORM_PREFIX + name for name in self.fits_], dtype=object)

    @property
    def bounds_(self) -> pd.DataFrame:
        """The learned bounds as a table, one row per indicator.

        Examples
        --------
        >>> b = Normaliser().fit(example_frame()).bounds_
        >>> b.loc["days_late", "method"], float(b.loc["days_late", "high"])
        ('threshold', 30.0)
        """
        self._check_fitted()
        rows = [
            {
                "indicator": f.indicator, "column": f.column, "method": f.method,
                "direction": f.direction, "ideal": f.ideal, "n": f.n,
                "clip_low": f.clip_low, "clip_high": f.clip_high, "low": f.low,
                "high": f.high, "mean": f.mean, "std": f.std,
            }
            for f in self.fits_.values()
        ]
        return pd.DataFrame(rows).set_index("indicator")

    def __repr__(self) -> str:
        name = self.scheme.name if self.scheme is not None else "default"
        if not hasattr(self, "fits_"):
            return f"Normaliser(scheme={name!r}, not fitted)"
        return (
            f"Normaliser(scheme={name!r}, fitted on {self.n_customers_} customers, "
            f"{len(self.fits_)} indicators)"
        )


def example_frame() -> pd.DataFrame:
    """A small hand-built indicator frame with the default scheme's columns (for examples)."""
    nan = np.nan
    data = {
        "kwh_per_year": [2_000_000.0, 150_000.0, 3_000.0, 2_400.0, 60_000.0, 800_000.0],
        "revenue_per_year": [1_300_000.0, 110_000.0, 1_700.0, 1_350.0, 40_000.0, 560_000.0],
        "avg_price": [0.65, 0.73, 0.57, 0.56, 0.67, 0.70],
        "usage_growth": [0.05, 0.12, 0.0, -0.02, nan, 0.30],
        "electricity_share": [0.6, nan, nan, nan, nan, 0.8],
        "substitution_potential": [0.25, nan, nan, nan, nan, 0.1],
        "pf_compliance": [1.0, 0.5, nan, nan, 0.9, 0.75],
        "on_time_rate": [1.0, 0.9, 1.0, 0.6, 0.95, 1.0],
        "days_late": [0.0, 3.0, 0.0, 20.0, 1.0, 0.0],
        "arrears_ratio": [0.0, 0.01, 0.0, 0.3, 0.0, 0.0],
        "late_fee": [0.0, 120.0, 0.0, 35.0, 4.0, 0.0],
        "plan_completion": [0.95, nan, nan, nan, nan, 0.8],
        "violations_per_year": [0.0, 0.0, 0.0, 1.0, 0.0, 0.0],
        "fault_impact_per_year": [0.0, 5.0, 0.0, 0.0, 0.0, 40.0],
        "policy_rate": [1.0, nan, nan, nan, 0.5, 1.0],
        "work_cooperation": [4.5, 3.0, nan, 2.0, 4.0, 5.0],
        "suggestions_per_year": [2.0, 0.0, 0.0, 0.0, 1.0, 0.0],
    }
    ids = pd.Index(["C1", "C2", "C3", "C4", "C5", "C6"], name="customer_id")
    df = pd.DataFrame(data, index=ids)
    df["reason__pf_compliance"] = pd.Series(
        [None, None, "not_applicable", "not_applicable", None, None], index=ids, dtype=object
    )
    return df
