"""Criteria weights: AHP from pairwise judgments, entropy / CRITIC / std from the data.

This module is long because it holds four weighting methods (AHP, entropy, CRITIC, std) and
their combination, each a kernel plus a validating front with the formula and its references in
the docstring, and the AHP random-index table.

Subjective weights come from an expert's pairwise judgments (:func:`ahp`); objective
weights come from the spread of the indicator values (:func:`entropy_weights`,
:func:`critic_weights`, :func:`std_weights`); :func:`combine_weights` mixes the two.

All functions work on any indicator frame: a pandas DataFrame or a 2-D numpy array with
one row per alternative (customer) and one column per criterion (indicator).  A
DataFrame gives a weights Series labelled by its columns, an array gives an array.

Kernel and front follow ``docs/architecture.md``: the ``_kernel`` functions are pure
numpy without validation, the public functions validate, call them and wrap the numbers.
The conventions, and where ahpy, pymcdm and scikit-criteria differ, are in
``docs/weights.md``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.special import entr

from custvalue.errors import (
    ColumnTypeError,
    EmptyTableError,
    InconsistentJudgmentsError,
    InvalidValueError,
    SchemeError,
    UnsupportedInputError,
)

__all__ = [
    "CONSTANT_RTOL",
    "CR_LIMIT",
    "RANDOM_INDEX",
    "RECIPROCAL_RTOL",
    "AHPResult",
    "ahp",
    "combine_weights",
    "critic_weights",
    "entropy_weights",
    "std_weights",
]

#: Judgments whose consistency ratio exceeds this bound are rejected (Saaty 1980).
CR_LIMIT = 0.10
#: ``a[j, i]`` must equal ``1 / a[i, j]`` within this relative tolerance.
RECIPROCAL_RTOL = 1e-9
#: A column is constant when ``max - min <= CONSTANT_RTOL * max(|x|)`` (rounding noise).
CONSTANT_RTOL = 1e-12

#: Random consistency index RI_n for n = 1..15 criteria, by table.
RANDOM_INDEX: Mapping[str, tuple[float, ...]] = MappingProxyType({
    # Saaty, T. L. (1980). The Analytic Hierarchy Process. McGraw-Hill (the classic table).
    "saaty1980": (0.0, 0.0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49,
                  1.51, 1.48, 1.56, 1.57, 1.59),
    # Saaty (2005), Theory and Applications of the ANP, p. 31; ahpy random_index="saaty".
    "saaty2005": (0.0, 0.0, 0.52, 0.89, 1.11, 1.25, 1.35, 1.40, 1.45, 1.49,
                  1.52, 1.54, 1.56, 1.58, 1.59),
    # Donegan & Dodd (1991), Math. Comput. Modelling 15(10); ahpy's default random_index="dd".
    "donegan-dodd": (0.0, 0.0, 0.4914, 0.8286, 1.0591, 1.1797, 1.2519, 1.3171, 1.3733, 1.4055,
                     1.4213, 1.4497, 1.4643, 1.4822, 1.4969),
    # Tummala & Ling (1998), Theory and Decision 44(3); pymcdm AHP.RI_M.
    "tummala-ling": (0.0, 0.0, 0.5799, 0.8921, 1.1159, 1.2358, 1.3322, 1.3952, 1.4537, 1.4882,
                     1.5117, 1.5356, 1.5571, 1.5714, 1.5831),
})  # fmt: skip

Types = Sequence[int | str] | Mapping[Any, int | str] | pd.Series | None
_TABLE = "matrix"


# --------------------------------------------------------------------------- kernels


def _eigenvector_kernel(a: np.ndarray) -> tuple[np.ndarray, float]:
    """Principal right eigenvector of ``a`` scaled to sum 1, and its eigenvalue."""
    values, vectors = np.linalg.eig(a)
    k = int(np.argmax(values.real))  # the Perron root is real and the largest
    v = np.abs(vectors[:, k].real)
    return v / v.sum(), float(values[k].real)


def _geometric_kernel(a: np.ndarray) -> tuple[np.ndarray, float]:
    """Normalised row geometric means of ``a``, and ``mean((A w)_i / w_i)``."""
    g = np.exp(np.log(a).mean(axis=1))
    w = g / g.sum()
    return w, float(np.mean(a @ w / w))


def _share(raw: np.ndarray, informative: np.ndarray) -> np.ndarray:
    """``raw`` scaled to sum 1 over the informative columns, 0 on the others.

    No informative column: equal weights.  Informative columns whose ``raw`` are all 0:
    they share the weight equally.
    """
    n = informative.size
    if not informative.any():
        return np.full(n, 1.0 / n)
    raw = np.where(informative, np.clip(raw, 0.0, None), 0.0)
    total = raw.sum()
    if total > 0:
        return raw / total
    return informative / informative.sum()


def _informative(matrix: np.ndarray) -> np.ndarray:
    """True for the columns that are not constant (up to ``CONSTANT_RTOL``)."""
    if matrix.shape[0] == 0:
        return np.zeros(matrix.shape[1], dtype=bool)
    spread = matrix.max(axis=0) - matrix.min(axis=0)
    return spread > CONSTANT_RTOL * np.abs(matrix).max(axis=0)


def _entropy_kernel(matrix: np.ndarray) -> np.ndarray:
    """Entropy weights of a non-negative matrix (no validation)."""
    m, n = matrix.shape
    informative = _informative(matrix)
    d = np.zeros(n)
    if informative.any():
        x = matrix[:, informative]
        p = x / x.sum(axis=0)
        d[informative] = 1.0 - entr(p).sum(axis=0) / math.log(m)  # entr(0) = 0
    return _share(d, informative)


def _std_kernel(matrix: np.ndarray) -> np.ndarray:
    """Standard-deviation weights (no validation)."""
    informative = _informative(matrix)
    s = np.zeros(matrix.shape[1])
    if informative.any():
        s[informative] = matrix[:, informative].std(axis=0, ddof=1)
    return _share(s, informative)


def _critic_kernel(matrix: np.ndarray, benefit: np.ndarray) -> np.ndarray:
    """CRITIC weights; ``benefit`` says which columns are scaled with 1 = the maximum."""
    informative = _informative(matrix)
    c = np.zeros(matrix.shape[1])
    if informative.any():
        x = matrix[:, informative]
        lo, hi = x.min(axis=0), x.max(axis=0)
        up = (x - lo) / (hi - lo)
        scaled = np.where(benefit[informative], up, 1.0 - up)
        r = np.atleast_2d(np.corrcoef(scaled, rowvar=False))
        c[informative] = scaled.std(axis=0) * (1.0 - r).sum(axis=0)
    return _share(c, informative)


# --------------------------------------------------------------------------- AHP


@dataclass(frozen=True, eq=False, repr=False)
class AHPResult:
    """Priority weights and consistency of one AHP judgment matrix.

    Attributes
    ----------
    weights : pandas.Series
        Priority of each criterion, labelled, non-negative, summing to 1.
    lambda_max : float
        Principal eigenvalue (``method="eigenvector"``) or ``mean((A w)_i / w_i)``
        (``method="geometric"``).
    ci : float
        Consistency index ``(lambda_max - n) / (n - 1)``; 0 for ``n <= 2``.
    cr : float
        Consistency ratio ``ci / random_index``; 0 for ``n <= 2``.
    random_index : float
        The random index RI_n used.
    ri_table : str
        Name of the random-index table (a key of :data:`RANDOM_INDEX`).
    method : str
        ``"eigenvector"`` or ``"geometric"``.
    matrix : pandas.DataFrame
        The judgment matrix, labelled.
    """

    weights: pd.Series
    lambda_max: float
    ci: float
    cr: float
    random_index: float
    ri_table: str
    method: str
    matrix: pd.DataFrame

    @property
    def n(self) -> int:
        """Number of criteria compared."""
        return len(self.weights)

    @property
    def consistent(self) -> bool:
        """Whether ``cr <= CR_LIMIT``."""
        return self.cr <= CR_LIMIT

    def __repr__(self) -> str:
        names = [str(k) for k in self.weights.index]
        width = max((len(s) for s in names), default=0)
        values = self.weights.tolist()
        rows = "\n".join(f"    {s:<{width}}  {v:.4f}" for s, v in zip(names, values, strict=True))
        return (
            f"AHPResult(method={self.method!r}, n={self.n})\n"
            f"  lambda_max = {self.lambda_max:.4f}  CI = {self.ci:.4f}  CR = {self.cr:.4f}"
            f"  (RI = {self.random_index:g}, {self.ri_table})\n"
            f"  weights:\n{rows}"
        )


def _cell(labels: Sequence[Any], i: int, j: int) -> str:
    return f"judgments[{labels[i]!r}, {labels[j]!r}]"


def _from_pairs(pairs: Mapping[Any, Any]) -> tuple[np.ndarray, list[Any]]:
    """Judgment matrix from ``{(a, b): value}``; ``(b, a)`` defaults to ``1 / value``."""
    labels: list[Any] = []
    for key in pairs:
        if not isinstance(key, tuple) or len(key) != 2:
            raise SchemeError("judgments", f"keys must be pairs (a, b), got {key!r}")
        for x in key:
            if x not in labels:
                labels.append(x)
    pos = {x: k for k, x in enumerate(labels)}
    n = len(labels)
    a = np.full((n, n), np.nan)
    for (x, y), value in pairs.items():
        i, j = pos[x], pos[y]
        if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
            raise SchemeError(_cell(labels, i, j), f"must be a number, got {value!r}")
        if not (math.isfinite(value) and value > 0):
            raise SchemeError(_cell(labels, i, j), f"must be positive and finite, got {value!r}")
        a[i, j] = float(value)
    np.fill_diagonal(a, np.where(np.isnan(np.diag(a)), 1.0, np.diag(a)))
    a = np.where(np.isnan(a), 1.0 / a.T, a)
    missing = np.argwhere(np.isnan(a))
    if missing.size:
        i, j = missing[0]
        raise SchemeError(
            _cell(labels, i, j),
            "comparison missing; give every pair (custvalue does not complete missing "
            "judgments the way ahpy does)",
        )
    return a, labels


def _judgment_matrix(judgments: Any) -> tuple[np.ndarray, list[Any]]:
    """Validated positive reciprocal matrix and its labels."""
    if isinstance(judgments, Mapping):
        a, labels = _from_pairs(judgments)
    else:
        if isinstance(judgments, pd.DataFrame):
            labels = judgments.columns.tolist()
            if judgments.index.tolist() != labels:
                raise SchemeError(
                    "judgments", "row labels must equal the column labels, in the same order"
                )
            raw = judgments.to_numpy()
        else:
            try:
                raw = np.asarray(judgments)
            except ValueError as err:  # ragged nested lists
                raise SchemeError("judgments", f"not a square matrix: {err}") from None
            labels = list(range(raw.shape[0])) if raw.ndim >= 1 else []
        if raw.ndim != 2 or raw.shape[0] != raw.shape[1]:
            raise SchemeError("judgments", f"must be a square matrix, got shape {raw.shape}")
        if raw.dtype == bool or raw.dtype.kind not in "iuf":
            raise SchemeError("judgments", f"must be numbers, got dtype {raw.dtype}")
        a = raw.astype(np.float64)
        if len(set(labels)) != len(labels):
            raise SchemeError("judgments", f"labels must be unique, got {labels}")
        bad = np.argwhere(~(np.isfinite(a) & (a > 0)))
        if bad.size:
            i, j = bad[0]
            got = float(a[i, j])
            raise SchemeError(_cell(labels, i, j), f"must be positive and finite, got {got!r}")
    n = len(labels)
    if n == 0:
        raise SchemeError("judgments", "no criteria to compare")
    if n > len(RANDOM_INDEX["saaty1980"]):
        raise SchemeError(
            "judgments",
            f"{n} criteria; the random-index tables stop at 15 -- split them into a hierarchy",
        )
    dev = np.abs(a * a.T - 1.0)
    bad = np.argwhere(np.triu(dev > RECIPROCAL_RTOL))
    if bad.size:
        i, j = bad[0]
        if i == j:
            got = float(a[i, i])
            raise SchemeError(_cell(labels, i, i), f"the diagonal must be 1, got {got!r}")
        raise SchemeError(
            _cell(labels, j, i),
            f"{float(a[j, i])!r} is not the reciprocal of {_cell(labels, i, j)} = "
            f"{float(a[i, j])!r} (expected {float(1.0 / a[i, j])!r}); enter reciprocals "
            "exactly, e.g. 1/3 not 0.33",
        )
    return a, labels


def ahp(
    judgments: Any,
    *,
    method: Literal["eigenvector", "geometric"] = "eigenvector",
    allow_inconsistent: bool = False,
    random_index: str = "saaty1980",
) -> AHPResult:
    r"""Priority weights from a pairwise judgment matrix (Analytic Hierarchy Process).

    ``judgments[i, j]`` says how many times criterion ``i`` matters more than ``j``
    (Saaty's 1-9 scale); the matrix must be positive and reciprocal,
    :math:`a_{ji} = 1 / a_{ij}`, so :math:`a_{ii} = 1`.

    * ``method="eigenvector"`` (Saaty 1980): :math:`w` is the principal right eigenvector,
      :math:`A w = \lambda_{max} w`, scaled to :math:`\sum_i w_i = 1`.
    * ``method="geometric"`` (row geometric mean, Crawford & Williams 1985):
      :math:`w_i \propto (\prod_j a_{ij})^{1/n}` and
      :math:`\lambda_{max} = \frac{1}{n} \sum_i (A w)_i / w_i`.

    Consistency: :math:`CI = (\lambda_{max} - n) / (n - 1)` and :math:`CR = CI / RI_n`
    with the random index of the chosen table (default Saaty 1980:
    0, 0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49, 1.51, 1.48, 1.56, 1.57, 1.59
    for n = 1..15).  For ``n <= 2`` every reciprocal matrix is consistent and
    ``CI = CR = 0``; a CI below 0 from rounding is reported as 0.

    Parameters
    ----------
    judgments : array-like, pandas.DataFrame or mapping
        A square matrix; a DataFrame must carry the same labels on rows and columns and
        its labels become the labels of the weights (an array gives 0..n-1).  A mapping
        ``{("a", "b"): 3, ...}`` as in ahpy is also accepted: labels in order of first
        appearance, ``(b, a)`` defaults to ``1 / value``; every pair must be given.
    method : {"eigenvector", "geometric"}
        How the weights are derived.
    allow_inconsistent : bool
        Return the result even when ``CR > CR_LIMIT`` (0.10).
    random_index : {"saaty1980", "saaty2005", "donegan-dodd", "tummala-ling"}
        Table of :data:`RANDOM_INDEX`; ``"saaty2005"`` and ``"donegan-dodd"`` are
        ahpy's ``"saaty"`` and ``"dd"``, ``"tummala-ling"`` is pymcdm's.

    Returns
    -------
    AHPResult
        ``weights`` (labelled Series summing to 1), ``lambda_max``, ``ci``, ``cr``.

    Raises
    ------
    SchemeError
        Non-square, non-numeric, non-positive or non-finite entries, a diagonal other
        than 1, a pair that is not reciprocal within ``RECIPROCAL_RTOL`` (relative), a
        missing pair in a mapping, more than 15 criteria, or an unknown option; the
        message names the offending cell, e.g. ``judgments['b', 'a']``.
    InconsistentJudgmentsError
        ``CR > 0.10`` and ``allow_inconsistent`` is false; the message names the
        judgment furthest from what the weights imply.

    References
    ----------
    Saaty, T. L. (1980). *The Analytic Hierarchy Process*. McGraw-Hill.
    Crawford, G., & Williams, C. (1985). A note on the analysis of subjective judgment
    matrices. *Journal of Mathematical Psychology*, 29(4), 387-405.

    Examples
    --------
    >>> import pandas as pd
    >>> names = ["annual_kwh", "payment_punctuality", "load_factor"]
    >>> judgments = pd.DataFrame(
    ...     [[1, 3, 5], [1 / 3, 1, 2], [1 / 5, 1 / 2, 1]], index=names, columns=names
    ... )
    >>> result = ahp(judgments)
    >>> result.weights.round(4).to_dict()
    {'annual_kwh': 0.6483, 'payment_punctuality': 0.2297, 'load_factor': 0.122}
    >>> round(result.cr, 4)
    0.0032
    >>> ahp({("a", "b"): 2, ("a", "c"): 4, ("b", "c"): 2}, method="geometric")
    AHPResult(method='geometric', n=3)
      lambda_max = 3.0000  CI = 0.0000  CR = 0.0000  (RI = 0.58, saaty1980)
      weights:
        a  0.5714
        b  0.2857
        c  0.1429
    """
    if method not in ("eigenvector", "geometric"):
        raise SchemeError("method", f"must be 'eigenvector' or 'geometric', got {method!r}")
    if random_index not in RANDOM_INDEX:
        raise SchemeError(
            "random_index", f"must be one of {list(RANDOM_INDEX)}, got {random_index!r}"
        )
    a, labels = _judgment_matrix(judgments)
    n = len(labels)
    w, lam = (_eigenvector_kernel if method == "eigenvector" else _geometric_kernel)(a)
    ri = RANDOM_INDEX[random_index][n - 1]
    ci = max(0.0, (lam - n) / (n - 1)) if n > 2 else 0.0
    cr = ci / ri if n > 2 else 0.0
    index = pd.Index(labels)
    result = AHPResult(
        weights=pd.Series(w, index=index, name="weight"),
        lambda_max=lam,
        ci=ci,
        cr=cr,
        random_index=ri,
        ri_table=random_index,
        method=method,
        matrix=pd.DataFrame(a, index=index, columns=index),
    )
    if cr > CR_LIMIT and not allow_inconsistent:
        eps = np.abs(np.log(a * w[None, :] / w[:, None]))  # Saaty's a_ij w_j / w_i
        i, j = np.unravel_index(int(np.argmax(eps)), eps.shape)
        raise InconsistentJudgmentsError(
            "judgments",
            f"consistency ratio CR = {cr:.4f} exceeds {CR_LIMIT} (lambda_max = {lam:.4f}, "
            f"CI = {ci:.4f}, RI = {ri:g} from {random_index}); the judgment furthest from "
            f"the weights is {_cell(labels, int(i), int(j))} = {a[i, j]:.4g}, the weights imply "
            f"{w[i] / w[j]:.4g}; revise the judgments or pass allow_inconsistent=True",
        )
    return result


# --------------------------------------------------------------------------- objective


def _check_values(
    bad: np.ndarray, problem: str, fix: str, labels: pd.Index | None, rows: list[Any]
) -> None:
    """Raise InvalidValueError for the first column with a ``bad`` cell, listing rows."""
    if bad.any():
        j = int(np.argmax(bad.any(axis=0)))
        col = None if labels is None else str(labels[j])
        raise InvalidValueError(
            _TABLE,
            col,
            problem + ("" if col else f" in column {j}"),
            examples=[{"row": rows[i]} for i in np.flatnonzero(bad[:, j])[:5]],
            fix=fix,
            count=int(bad.any(axis=1).sum()),
        )


def _as_matrix(matrix: Any) -> tuple[np.ndarray, pd.Index | None, list[Any]]:
    """Float matrix (alternatives x criteria), DataFrame column labels, row labels."""
    if isinstance(matrix, pd.DataFrame):
        labels = matrix.columns
        dup = labels[labels.duplicated()]
        if len(dup):
            raise InvalidValueError(_TABLE, str(dup[0]), "column labels must be unique")
        for col in labels:
            dtype = matrix[col].dtype
            if pd.api.types.is_bool_dtype(dtype) or not pd.api.types.is_numeric_dtype(dtype):
                raise ColumnTypeError(_TABLE, str(col), f"values must be numbers, got {dtype}")
        x = matrix.to_numpy(dtype=np.float64, na_value=np.nan)
        rows = matrix.index.tolist()
    else:
        if not isinstance(matrix, np.ndarray | Sequence):
            raise UnsupportedInputError(
                _TABLE, None, f"expected a DataFrame or a 2-D array, got {type(matrix).__name__}"
            )
        try:
            raw = np.asarray(matrix)
        except ValueError as err:  # ragged nested lists
            raise UnsupportedInputError(_TABLE, None, f"not a 2-D array: {err}") from None
        if raw.ndim != 2:
            raise UnsupportedInputError(
                _TABLE, None, f"expected a 2-D array (rows x criteria), got shape {raw.shape}"
            )
        if raw.dtype == bool or raw.dtype.kind not in "iuf":
            raise ColumnTypeError(_TABLE, None, f"values must be numbers, got dtype {raw.dtype}")
        x = raw.astype(np.float64)
        labels = None
        rows = list(range(x.shape[0]))
    if x.shape[1] == 0:
        raise UnsupportedInputError(_TABLE, None, "no criteria (columns)")
    if x.shape[0] == 0:
        raise EmptyTableError(_TABLE, None, "no rows")
    fix = "pass complete rows: drop or impute them before computing weights"
    _check_values(np.isnan(x), "a value is missing (NaN)", fix, labels, rows)
    _check_values(np.isinf(x), "a value is infinite", fix, labels, rows)
    return x, labels, rows


def _benefit(types: Types, n: int, labels: pd.Index | None) -> np.ndarray:
    """Boolean benefit mask from ``types`` (+1 / "benefit" or -1 / "cost")."""
    if types is None:
        return np.ones(n, dtype=bool)
    if isinstance(types, pd.Series | Mapping):
        if labels is None:
            raise SchemeError("types", "a mapping of types needs a DataFrame with column labels")
        given = dict(types.items())
        missing = [c for c in labels if c not in given]
        extra = [k for k in given if k not in set(labels)]
        if missing or extra:
            raise SchemeError("types", f"missing columns {missing}, unknown columns {extra}")
        items = [(f"types[{c!r}]", given[c]) for c in labels.tolist()]
    elif isinstance(types, str) or not isinstance(types, Sequence | np.ndarray):
        raise SchemeError("types", f"expected one type per column, got {types!r}")
    else:
        if len(types) != n:
            raise SchemeError("types", f"got {len(types)} types for {n} columns")
        items = [(f"types[{j}]", t) for j, t in enumerate(types)]
    out = np.ones(n, dtype=bool)
    for j, (path, t) in enumerate(items):
        if isinstance(t, str) and t in ("benefit", "cost"):
            out[j] = t == "benefit"
        elif not isinstance(t, str | bool | np.bool_) and t in (1, -1):
            out[j] = t == 1
        else:
            raise SchemeError(path, f"must be 1 / 'benefit' or -1 / 'cost', got {t!r}")
    return out


def _wrap(w: np.ndarray, labels: pd.Index | None) -> pd.Series | np.ndarray:
    return w if labels is None else pd.Series(w, index=labels, name="weight")


def entropy_weights(matrix: Any, types: Types = None) -> pd.Series | np.ndarray:
    r"""Objective weights from the Shannon entropy of each criterion.

    With :math:`m` rows, each column is read as a distribution
    :math:`p_{ij} = x_{ij} / \sum_i x_{ij}`; its normalised entropy is
    :math:`E_j = -\frac{1}{\ln m} \sum_i p_{ij} \ln p_{ij}` (with :math:`0 \ln 0 = 0`),
    its divergence :math:`d_j = 1 - E_j` and :math:`w_j = d_j / \sum_k d_k`.  A column
    spread evenly over the customers carries little information and gets little weight.

    This is the convention of pymcdm (``entropy_weights``) and scikit-criteria
    (``EntropyWeighter``): the two agree on strictly positive data; pymcdm refuses
    zeros, scikit-criteria (and custvalue) use :math:`0 \ln 0 = 0`.  Like both, the
    entropy is taken of the values as given: ``types`` is checked but does not change
    the weights (apply directions in the normalisation stage first if you want entropy
    of the normalised "goodness" instead).

    Parameters
    ----------
    matrix : pandas.DataFrame or array-like, shape (m, n)
        Non-negative values, rows = alternatives, columns = criteria, no NaN.
    types : sequence or mapping, optional
        +1 / "benefit" or -1 / "cost" per column (default all benefit); validated only.

    Returns
    -------
    pandas.Series or numpy.ndarray
        Non-negative weights summing to 1; a Series labelled by the columns for a
        DataFrame.  A constant column (``max - min <= CONSTANT_RTOL * max|x|``, so every
        column when ``m == 1``) has zero divergence and gets weight 0; if all columns are
        constant the weights are equal.

    Raises
    ------
    InvalidValueError
        NaN, infinite or negative values (the message lists the rows).
    ColumnTypeError, UnsupportedInputError, EmptyTableError
        Non-numeric columns, an input that is not 2-D, no rows.
    SchemeError
        Malformed ``types``.

    References
    ----------
    Shannon, C. E. (1948). A mathematical theory of communication. *Bell System
    Technical Journal*, 27(3), 379-423.
    Zeleny, M. (1982). *Multiple Criteria Decision Making*. McGraw-Hill (entropy as a
    measure of the contrast intensity of a criterion).

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"annual_kwh": [30, 19, 19, 68], "load_factor": [30, 54, 15, 70],
    ...                       "arrears_days": [38, 86, 85, 60], "voltage_kv": [10, 10, 10, 10]})
    >>> entropy_weights(frame).round(4).to_dict()
    {'annual_kwh': 0.463, 'load_factor': 0.3992, 'arrears_days': 0.1378, 'voltage_kv': 0.0}
    """
    x, labels, rows = _as_matrix(matrix)
    _benefit(types, x.shape[1], labels)
    fix = "shift the column or min-max normalise it first"
    _check_values(x < 0, "entropy weights need non-negative values", fix, labels, rows)
    return _wrap(_entropy_kernel(x), labels)


def std_weights(matrix: Any, types: Types = None) -> pd.Series | np.ndarray:
    r"""Objective weights proportional to each criterion's standard deviation.

    :math:`w_j = \sigma_j / \sum_k \sigma_k` with the sample standard deviation
    :math:`\sigma_j` of column :math:`j` (the ddof cancels in the ratio).  Same in
    pymcdm (``standard_deviation_weights``) and scikit-criteria (``StdWeighter``).
    The values are used as given, so the columns must share a scale (normalise first);
    ``types`` is checked but cannot matter: flipping a column's direction keeps its
    standard deviation.

    Parameters
    ----------
    matrix : pandas.DataFrame or array-like, shape (m, n)
        Rows = alternatives, columns = criteria, no NaN.
    types : sequence or mapping, optional
        +1 / "benefit" or -1 / "cost" per column (default all benefit); validated only.

    Returns
    -------
    pandas.Series or numpy.ndarray
        Non-negative weights summing to 1 (a labelled Series for a DataFrame).  A
        constant column (up to ``CONSTANT_RTOL``) gets weight 0; all columns constant:
        equal weights.

    Raises
    ------
    InvalidValueError
        NaN or infinite values.
    ColumnTypeError, UnsupportedInputError, EmptyTableError
        Non-numeric columns, an input that is not 2-D, no rows.
    SchemeError
        Malformed ``types``.

    References
    ----------
    Diakoulaki, D., Mavrotas, G., & Papayannakis, L. (1995). Determining objective
    weights in multiple criteria problems: the CRITIC method. *Computers & Operations
    Research*, 22(7), 763-770 (standard deviation as the contrast intensity).

    Examples
    --------
    >>> import numpy as np
    >>> matrix = np.array([[0.619, 0.449, 0.447], [0.862, 0.466, 0.006],
    ...                    [0.458, 0.698, 0.771], [0.777, 0.631, 0.491],
    ...                    [0.567, 0.992, 0.968]])
    >>> std_weights(matrix).round(4)
    array([0.2173, 0.2945, 0.4882])
    """
    x, labels, _ = _as_matrix(matrix)
    _benefit(types, x.shape[1], labels)
    return _wrap(_std_kernel(x), labels)


def critic_weights(
    matrix: Any,
    types: Types = None,
    *,
    convention: Literal["skcriteria", "pymcdm"] = "skcriteria",
) -> pd.Series | np.ndarray:
    r"""Objective weights by CRITIC (CRiteria Importance Through Intercriteria Correlation).

    Each column is scaled to [0, 1] with 1 = the best value,
    :math:`z_{ij} = (x_{ij} - x_j^{worst}) / (x_j^{best} - x_j^{worst})`; then
    :math:`C_j = \sigma_j \sum_k (1 - r_{jk})` with the standard deviation
    :math:`\sigma_j` of :math:`z_j` and the Pearson correlation :math:`r_{jk}` of
    :math:`z_j` and :math:`z_k`, and :math:`w_j = C_j / \sum_k C_k`.  A criterion gets
    weight for contrast (spread) and for conflict (low correlation with the others).

    ``convention="skcriteria"`` (default) follows the paper and scikit-criteria's
    ``CRITIC``: cost columns are scaled with 1 = the minimum, so their correlations are
    those of "goodness".  ``convention="pymcdm"`` follows ``pymcdm.weights.critic_weights``,
    which ignores the criterion types and scales every column with 1 = the maximum.  The
    two agree when all columns are benefit columns; the ddof of :math:`\sigma` cancels.

    Parameters
    ----------
    matrix : pandas.DataFrame or array-like, shape (m, n)
        Rows = alternatives, columns = criteria, no NaN; negative values are fine.
    types : sequence or mapping, optional
        +1 / "benefit" or -1 / "cost" per column (default all benefit).
    convention : {"skcriteria", "pymcdm"}
        Whether ``types`` direct the scaling (see above).

    Returns
    -------
    pandas.Series or numpy.ndarray
        Non-negative weights summing to 1 (a labelled Series for a DataFrame).  Constant
        columns (up to ``CONSTANT_RTOL``) carry no information: they get weight 0 and the
        others get the weights of the matrix without them.  All columns constant: equal
        weights.  If every :math:`C_j` of the remaining columns is 0 (one column left, or
        all perfectly positively correlated) they share the weight equally.

    Raises
    ------
    InvalidValueError
        NaN or infinite values.
    ColumnTypeError, UnsupportedInputError, EmptyTableError
        Non-numeric columns, an input that is not 2-D, no rows.
    SchemeError
        Malformed ``types`` or an unknown ``convention``.

    References
    ----------
    Diakoulaki, D., Mavrotas, G., & Papayannakis, L. (1995). Determining objective
    weights in multiple criteria problems: the CRITIC method. *Computers & Operations
    Research*, 22(7), 763-770.

    Examples
    --------
    Diakoulaki et al.'s example (three benefit criteria):

    >>> matrix = [[61, 1.08, 4.33], [20.7, 0.26, 4.34], [16.3, 1.98, 2.53],
    ...           [9.0, 3.29, 1.65], [5.4, 2.77, 2.33], [4.0, 4.12, 1.21],
    ...           [-6.1, 3.52, 2.10], [-34.6, 3.31, 0.98]]
    >>> critic_weights(matrix).round(4)
    array([0.2022, 0.4809, 0.3169])
    >>> critic_weights(matrix, types=[1, -1, 1]).round(4)
    array([0.3863, 0.3629, 0.2509])
    >>> critic_weights(matrix, types=[1, -1, 1], convention="pymcdm").round(4)
    array([0.2022, 0.4809, 0.3169])
    """
    if convention not in ("skcriteria", "pymcdm"):
        raise SchemeError("convention", f"must be 'skcriteria' or 'pymcdm', got {convention!r}")
    x, labels, _ = _as_matrix(matrix)
    benefit = _benefit(types, x.shape[1], labels)
    if convention == "pymcdm":
        benefit = np.ones_like(benefit)
    return _wrap(_critic_kernel(x, benefit), labels)


# --------------------------------------------------------------------------- combination


def _as_weights(w: Any, path: str) -> tuple[np.ndarray, pd.Index | None]:
    """Non-negative finite weights scaled to sum 1, and their labels if any."""
    if isinstance(w, AHPResult):
        w = w.weights
    if isinstance(w, Mapping):
        w = pd.Series(dict(w))
    if isinstance(w, pd.Series):
        labels: pd.Index | None = w.index
        if w.index.has_duplicates:
            raise SchemeError(path, f"labels must be unique, got {list(w.index)}")
        values = w.to_numpy()
    else:
        labels = None
        values = np.asarray(w)
    if values.ndim != 1 or values.size == 0:
        raise SchemeError(path, f"expected a non-empty 1-D vector, got shape {values.shape}")
    if values.dtype == bool or values.dtype.kind not in "iuf":
        raise SchemeError(path, f"weights must be numbers, got dtype {values.dtype}")
    values = values.astype(np.float64)
    bad = np.flatnonzero(~(np.isfinite(values) & (values >= 0)))
    if bad.size:
        k = int(bad[0])
        at = labels.tolist()[k] if labels is not None else k
        raise SchemeError(
            f"{path}[{at!r}]", f"weights must be finite and >= 0, got {float(values[k])!r}"
        )
    total = values.sum()
    if total <= 0:
        raise SchemeError(path, "weights sum to 0")
    return values / total, labels


def _linear_kernel(s: np.ndarray, o: np.ndarray, alpha: float) -> np.ndarray:
    w = alpha * s + (1.0 - alpha) * o
    return w / w.sum()


def _multiplicative_kernel(s: np.ndarray, o: np.ndarray) -> np.ndarray:
    w = s * o
    return w / w.sum()


def combine_weights(
    subjective: Any,
    objective: Any,
    method: Literal["linear", "multiplicative"] = "linear",
    alpha: float = 0.5,
) -> pd.Series | np.ndarray:
    r"""Combine subjective (e.g. AHP) and objective (e.g. entropy) weights.

    Each vector is first scaled to sum 1.  Then

    * ``method="linear"``: :math:`w_j = \alpha s_j + (1 - \alpha) o_j`;
    * ``method="multiplicative"``: :math:`w_j = s_j o_j / \sum_k s_k o_k`
      (``alpha`` is not used).

    Parameters
    ----------
    subjective, objective : pandas.Series, mapping, AHPResult or array-like
        Non-negative weights.  Two labelled vectors must carry the same labels (in any
        order; the result follows ``subjective``); otherwise the lengths must match.
    method : {"linear", "multiplicative"}
        How to combine.
    alpha : float
        Share of the subjective weights in the linear combination, in [0, 1].

    Returns
    -------
    pandas.Series or numpy.ndarray
        Non-negative weights summing to 1; a Series if either input is labelled.

    Raises
    ------
    SchemeError
        Different labels or lengths, negative, non-finite or all-zero weights, ``alpha``
        outside [0, 1], an unknown ``method``, or (multiplicative) no criterion with
        both weights positive.

    References
    ----------
    On integrating subjective and objective weights: Ma, J., Fan, Z.-P., & Huang, L.-H.
    (1999). A subjective and objective integrated approach to determine attribute
    weights. *European Journal of Operational Research*, 112(2), 397-404.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.Series({"annual_kwh": 0.6, "load_factor": 0.3, "arrears_days": 0.1})
    >>> o = pd.Series({"annual_kwh": 0.2, "load_factor": 0.2, "arrears_days": 0.6})
    >>> combine_weights(s, o, alpha=0.5).round(4).to_dict()
    {'annual_kwh': 0.4, 'load_factor': 0.25, 'arrears_days': 0.35}
    >>> combine_weights(s, o, method="multiplicative").round(4).to_dict()
    {'annual_kwh': 0.5, 'load_factor': 0.25, 'arrears_days': 0.25}
    """
    if method not in ("linear", "multiplicative"):
        raise SchemeError("method", f"must be 'linear' or 'multiplicative', got {method!r}")
    if isinstance(alpha, bool) or not isinstance(alpha, int | float | np.integer | np.floating):
        raise SchemeError("alpha", f"must be a number in [0, 1], got {alpha!r}")
    if not 0.0 <= float(alpha) <= 1.0:
        raise SchemeError("alpha", f"must be in [0, 1], got {alpha!r}")
    s, s_labels = _as_weights(subjective, "subjective")
    o, o_labels = _as_weights(objective, "objective")
    if s.size != o.size:
        raise SchemeError("objective", f"has {o.size} weights, subjective has {s.size}")
    if s_labels is not None and o_labels is not None:
        missing = [k for k in s_labels if k not in set(o_labels)]
        extra = [k for k in o_labels if k not in set(s_labels)]
        if missing or extra:
            raise SchemeError(
                "objective", f"labels differ from subjective: missing {missing}, extra {extra}"
            )
        o = pd.Series(o, index=o_labels).reindex(s_labels).to_numpy()
    labels = s_labels if s_labels is not None else o_labels
    if method == "linear":
        w = _linear_kernel(s, o, float(alpha))
    else:
        if not (s * o).sum() > 0:
            raise SchemeError("objective", "no criterion has both weights positive")
        w = _multiplicative_kernel(s, o)
    return _wrap(w, labels)
