"""Indicator diagnostics in the manner of COINr: statistics, correlations and their flags.

Before weights are argued over, the indicators themselves should be looked at (Becker et
al. 2017; the COINr package, ``get_stats`` and ``get_corr_flags``):

* **statistics** per indicator of the scheme, on the raw values of the grading table:
  count, missing share, distinct values, mean, standard deviation, quartiles, skewness,
  excess kurtosis, outliers beyond the Tukey fences (``Q1 - 1.5 IQR``, ``Q3 + 1.5 IQR``),
  and flags: ``constant`` (fewer than two distinct values, it cannot rank anybody) and
  ``skewed`` (``|skew| > 2`` and ``kurtosis > 3.5``, COINr's rule for a distribution that
  a few customers dominate: consider ``log_minmax`` or winsorising);
* **correlations** of the normalised indicators (``norm__*``, already turned so that 1 is
  best, so a cost indicator does not show up as negative merely for being a cost), the
  full matrix within and across dimensions, and each indicator against every dimension
  score and the value score;
* **flags** for pairs within one dimension: ``redundant`` when ``|r| > redundant``
  (default 0.9: the two measure the same thing and double its weight) and ``negative``
  when ``r < negative`` (default -0.4: they pull the dimension score in opposite
  directions, so the dimension averages them away).

See ``docs/validation.md`` (*Diagnostics*).

References
----------
Becker, W., Saisana, M., Paruolo, P. and Vandecasteele, I. (2017). Weights and importance
in composite indicators: closing the gap. *Ecological Indicators* 80, 12–22.
Becker, W. (2022). COINr: an R package for developing composite indicators. *Journal of
Open Source Software* 7(78), 4567.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from custvalue.errors import InputError, SchemeError
from custvalue.grading import DIM_PREFIX, NORM_PREFIX
from custvalue.grading.protocol import Result

__all__ = ["NEGATIVE", "REDUNDANT", "Diagnostics", "diagnose", "indicator_stats"]

#: Within a dimension, ``r`` above this flags a pair as redundant.
REDUNDANT = 0.9
#: Within a dimension, ``r`` below this flags a pair as negatively correlated.
NEGATIVE = -0.4
_SKEW, _KURT = 2.0, 3.5


def indicator_stats(raw: pd.DataFrame) -> pd.DataFrame:
    """Per column of ``raw``: count, missing share, spread, shape, outliers and flags.

    Parameters
    ----------
    raw : pandas.DataFrame
        Numeric columns, one row per customer (NaN = missing).

    Returns
    -------
    pandas.DataFrame
        One row per column: ``n``, ``missing``, ``missing_share``, ``distinct``, ``mean``,
        ``std``, ``min``, ``q25``, ``median``, ``q75``, ``max``, ``skew`` (adjusted
        Fisher–Pearson), ``kurtosis`` (excess), ``outliers_low``, ``outliers_high``,
        ``outlier_share`` (beyond the Tukey fences, share of non-missing values),
        ``constant``, ``skewed``.

    Examples
    --------
    >>> raw = pd.DataFrame({"x": [1.0, 2, 3, 4, 100], "y": [5.0, 5, 5, None, 5]})
    >>> s = indicator_stats(raw)
    >>> int(s.loc["x", "outliers_high"]), bool(s.loc["x", "constant"])
    (1, False)
    >>> float(s.loc["y", "missing_share"])
    0.2
    >>> bool(s.loc["y", "constant"])
    True
    """
    x = raw.astype(float)
    q = x.quantile([0.25, 0.5, 0.75])
    iqr = q.loc[0.75] - q.loc[0.25]
    low = (x < (q.loc[0.25] - 1.5 * iqr)).sum()
    high = (x > (q.loc[0.75] + 1.5 * iqr)).sum()
    n = x.notna().sum()
    out = pd.DataFrame({
        "n": n,
        "missing": x.isna().sum(),
        "missing_share": x.isna().mean() if len(x) else np.nan,
        "distinct": x.nunique(),
        "mean": x.mean(),
        "std": x.std(),
        "min": x.min(),
        "q25": q.loc[0.25],
        "median": q.loc[0.5],
        "q75": q.loc[0.75],
        "max": x.max(),
        "skew": x.skew(),
        "kurtosis": x.kurt(),
        "outliers_low": low,
        "outliers_high": high,
    })
    out["outlier_share"] = (low + high) / n.where(n > 0)
    out["constant"] = out["distinct"] < 2
    out["skewed"] = (out["skew"].abs() > _SKEW) & (out["kurtosis"] > _KURT)
    out.index.name = "indicator"
    return out


@dataclass(frozen=True, eq=False, repr=False)
class Diagnostics(Result):
    """The result of :func:`diagnose`.

    Attributes
    ----------
    stats : pandas.DataFrame
        :func:`indicator_stats` of the scheme's indicators (index: indicator name), with
        ``dimension`` and ``column``.
    correlation : pandas.DataFrame
        Indicator × indicator correlation of the normalised values (scheme order; the
        dimension of each is in ``stats``).
    with_dimensions : pandas.DataFrame
        Indicator × (dimension scores and ``score``) correlation.
    flags : pandas.DataFrame
        ``dimension``, ``a``, ``b``, ``r``, ``kind`` (``redundant`` / ``negative``) for
        flagged pairs within a dimension, and ``kind`` ``constant`` / ``skewed`` /
        ``missing`` rows (``b`` empty) for single indicators; with a ``message``.
    method : str
        Correlation method (``pearson`` or ``spearman``).
    """

    stats: pd.DataFrame
    correlation: pd.DataFrame
    with_dimensions: pd.DataFrame
    flags: pd.DataFrame
    method: str = "pearson"
    thresholds: dict[str, float] = field(default_factory=dict)

    def headline(self) -> str:
        return (f"Diagnostics: {len(self.stats)} indicators, {len(self.flags)} flags "
                f"({self.method} correlation)")

    def to_frame(self) -> pd.DataFrame:
        return self.stats

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "thresholds": dict(self.thresholds),
                "stats": self.stats.reset_index().to_dict(orient="records"),
                "correlation": self.correlation.to_dict(),
                "with_dimensions": self.with_dimensions.to_dict(),
                "flags": self.flags.to_dict(orient="records")}

    def to_text(self) -> str:
        cols = ["dimension", "missing_share", "skew", "kurtosis", "outlier_share",
                "constant", "skewed"]
        lines = [self.headline(), self.stats[cols].round(3).to_string(), ""]
        lines += ["flags:" if len(self.flags) else "no flags"]
        lines += [f"  {m}" for m in self.flags["message"]]
        return "\n".join(lines)


def _pairs_flags(corr: pd.DataFrame, dim_of: dict[str, str], redundant: float,
                 negative: float) -> list[dict[str, Any]]:
    rows = []
    names = list(corr.index)
    r = corr.to_numpy()
    for a_i, b_i in zip(*np.triu_indices(len(names), k=1), strict=True):  # pairs, not customers
        a, b = names[a_i], names[b_i]
        if dim_of[a] != dim_of[b] or not np.isfinite(r[a_i, b_i]):
            continue
        value = float(r[a_i, b_i])
        if value < negative:
            rows.append({"dimension": dim_of[a], "a": a, "b": b, "r": value, "kind": "negative",
                         "message": f"{a} and {b} ({dim_of[a]}) correlate negatively "
                                    f"(r = {value:.2f}): the dimension averages them away"})
        elif value > redundant:
            rows.append({"dimension": dim_of[a], "a": a, "b": b, "r": value,
                         "kind": "redundant",
                         "message": f"{a} and {b} ({dim_of[a]}) correlate at r = {value:.2f}: "
                                    "they may measure the same thing and double its weight"})
    return rows


def diagnose(
    grading: Any,
    *,
    method: Literal["pearson", "spearman"] = "pearson",
    redundant: float = REDUNDANT,
    negative: float = NEGATIVE,
    max_missing: float = 0.5,
    graded_only: bool = True,
) -> Diagnostics:
    """Statistics and correlations of a grading's indicators, with warnings.

    Parameters
    ----------
    grading : Grading
        Anything with ``.table`` (raw indicator columns, ``norm__*``, ``dim__*``,
        ``score``) and ``.scheme``.
    method : {'pearson', 'spearman'}, default 'pearson'
        Correlation coefficient (pairwise complete observations).
    redundant : float, default 0.9
        Within a dimension, ``r > redundant`` flags a pair as redundant.
    negative : float, default -0.4
        Within a dimension, ``r < negative`` flags a pair.
    max_missing : float, default 0.5
        An indicator missing for more than this share of customers is flagged.
    graded_only : bool, default True
        Use the graded customers only (the ones the tiers are made of).

    Returns
    -------
    Diagnostics

    Raises
    ------
    InputError
        Not a grading, or a column of the scheme is missing from its table.
    SchemeError
        Bad ``method`` or thresholds.

    Examples
    --------
    >>> import custvalue
    >>> t = custvalue.samples.generate(300, months=24, seed=1)
    >>> g = custvalue.grade(**t, duplicates="last", negative_energy="allow")
    >>> d = diagnose(g)
    >>> d.correlation.shape == (len(g.scheme.indicator_names),) * 2
    True
    >>> bool((d.correlation.to_numpy().diagonal().round(12)[d.stats["std"].to_numpy() > 0]
    ...       == 1).all())
    True
    """
    if method not in ("pearson", "spearman"):
        raise SchemeError("diagnostics.method", f"method must be 'pearson' or 'spearman' "
                          f"(got {method!r})")
    if not (0 < redundant <= 1 and -1 <= negative < 0 and 0 <= max_missing <= 1):
        raise SchemeError("diagnostics", "need 0 < redundant <= 1, -1 <= negative < 0 and "
                          f"0 <= max_missing <= 1 (got {redundant}, {negative}, {max_missing})")
    table = getattr(grading, "table", None)
    scheme = getattr(grading, "scheme", None)
    if not isinstance(table, pd.DataFrame) or scheme is None:
        raise InputError("grading", None, "expected a Grading (an object with .table and "
                         f".scheme), got {type(grading).__name__}")
    names = list(scheme.indicator_names)
    dim_of = {i: d for d, i, _ in scheme.iter_indicators()}
    columns = {i: ind.column for _, i, ind in scheme.iter_indicators()}
    need = [*dict.fromkeys(columns.values()), *(NORM_PREFIX + i for i in names)]
    absent = [c for c in need if c not in table.columns]
    if absent:
        raise InputError("grading", absent[0], f"the grading table has no columns {absent[:5]}",
                         fix="pass a Grading made by custvalue.grade")
    rows = table
    if graded_only and "graded" in table.columns:
        rows = table[table["graded"].fillna(False).astype(bool)]
    raw = pd.DataFrame({i: rows[columns[i]].astype(float) for i in names})
    stats = indicator_stats(raw)
    stats.insert(0, "dimension", [dim_of[i] for i in names])
    stats.insert(1, "column", [columns[i] for i in names])
    norm = pd.DataFrame({i: rows[NORM_PREFIX + i].astype(float) for i in names})
    corr = norm.corr(method=method)
    corr.index.name = corr.columns.name = None
    targets = {d: rows[DIM_PREFIX + d].astype(float) for d in scheme.dimension_names
               if DIM_PREFIX + d in rows.columns}
    if "score" in rows.columns:
        targets["score"] = rows["score"].astype(float)
    with_dims = pd.DataFrame({k: norm.corrwith(v, method=method) for k, v in targets.items()},
                             index=names)
    flags = _pairs_flags(corr, dim_of, redundant, negative)
    for i in names:  # a loop over indicators
        s = stats.loc[i]
        if s["constant"]:
            flags.append({"dimension": dim_of[i], "a": i, "b": None, "r": np.nan,
                          "kind": "constant", "message": f"{i} has fewer than two distinct "
                          "values: it ranks nobody; its weight is wasted"})
        if s["skewed"]:
            flags.append({"dimension": dim_of[i], "a": i, "b": None, "r": np.nan,
                          "kind": "skewed", "message": f"{i} is highly skewed (skew "
                          f"{s['skew']:.1f}, kurtosis {s['kurtosis']:.1f}): a few customers "
                          "dominate it; consider log_minmax or winsorising"})
        if s["missing_share"] > max_missing:
            flags.append({"dimension": dim_of[i], "a": i, "b": None, "r": np.nan,
                          "kind": "missing", "message": f"{i} is missing for "
                          f"{s['missing_share']:.0%} of customers"})
    flag_frame = pd.DataFrame(flags, columns=["dimension", "a", "b", "r", "kind", "message"])
    return Diagnostics(stats=stats, correlation=corr, with_dimensions=with_dims,
                       flags=flag_frame, method=method,
                       thresholds={"redundant": redundant, "negative": negative,
                                   "max_missing": max_missing})
