"""ABC classes of customers: by count quota or by Pareto share of value.

The article (seed 001, 篇8) cites two ABC classifications of power customers:

* by count: A 5 %, B 15 %, C 80 % of the customers (A and B together are the 20 % of the
  Pareto 80/20 rule) -- :func:`abc_by_count`, the same largest-remainder quotas and tie
  rule as :func:`custvalue.tiers.assign_tiers`;
* by contribution: A the few large contributors, B the many small ones, C those with no or
  negative contribution -- :func:`abc_by_value`, the inventory-style Pareto cut on the
  cumulative share of the value.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from custvalue.errors import SchemeError
from custvalue.tiers._common import (
    TiesRule,
    assign_kernel,
    check_scores,
    check_ties,
    rational_quotas,
)

__all__ = ["ABC_CLASSES", "DEFAULT_ABC_CUTS", "DEFAULT_ABC_QUOTAS", "abc_by_count", "abc_by_value"]

#: The classes, best first.
ABC_CLASSES: tuple[str, str, str] = ("A", "B", "C")
#: Count quotas of the article: A 5 %, B 15 %, C 80 %.
DEFAULT_ABC_QUOTAS: tuple[float, float, float] = (0.05, 0.15, 0.80)
#: Cumulative value shares where A ends and where B ends.
DEFAULT_ABC_CUTS: tuple[float, float] = (0.80, 0.95)
#: Cumulative shares within this distance of a cut count as equal to the cut.
SHARE_TOLERANCE = 1e-9


def _abc_series(codes: np.ndarray, index: pd.Index) -> pd.Series:
    cat = pd.Categorical.from_codes(codes, categories=pd.Index(list(ABC_CLASSES)), ordered=True)
    return pd.Series(cat, index=index, name="abc")


def _pareto_kernel(
    value: np.ndarray, cut_a: float, cut_b: float, tol: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """ABC codes (0/1/2, -1 for NaN), share, cumulative share before and including.

    ``value`` is in ``customer_id`` order; no validation.
    """
    n = value.size
    known = ~np.isnan(value)
    positive = known & (value > 0)
    codes = np.where(known, 2, -1).astype(np.int8)
    share = np.full(n, np.nan)
    before = np.full(n, np.nan)
    cum = np.full(n, np.nan)
    idx = np.arange(n)[positive]
    if idx.size == 0:
        return codes, share, before, cum
    total = math.fsum(value[positive])
    order = idx[np.lexsort((idx, -value[positive]))]
    v = value[order]
    running = np.cumsum(v)
    prior = np.concatenate(([0.0], running[:-1]))
    share[known] = value[known] / total
    before[order] = prior / total
    cum[order] = running / total
    codes[order] = (before[order] >= cut_a - tol).astype(np.int8) + (
        before[order] >= cut_b - tol
    ).astype(np.int8)
    return codes, share, before, cum


def abc_by_count(
    values: pd.Series,
    quotas: Sequence[float] = DEFAULT_ABC_QUOTAS,
    *,
    ties: TiesRule = "stable",
) -> pd.Series:
    """ABC class by count quota: the best 5 % are A, the next 15 % B, the rest C.

    Customers are ranked on ``values`` (any column where higher is better: score,
    revenue, kWh ...) descending, then ``customer_id`` ascending, and cut into three
    classes of exactly :func:`custvalue.tiers.tier_sizes` ``(N, quotas)`` customers, ``N``
    the number of non-NaN values (largest remainder, equal remainders to the better class).
    ``ties`` works as in :func:`custvalue.tiers.assign_tiers`.  NaN values get ``<NA>`` and
    are not counted in ``N``.  Largest remainder can show the Alabama paradox with these
    quotas: 10 customers give A, B, C = 1, 1, 8 and 11 customers 0, 2, 9.

    Parameters
    ----------
    values : pandas.Series
        Indexed by ``customer_id`` (unique strings); higher is better; NaN = not classed.
    quotas : sequence of 3 floats, default (0.05, 0.15, 0.80)
        Share of customers in A, B and C (the article: A 5 %, B 15 %, C 80 %).
    ties : {"stable", "together"}, default "stable"
        ``"together"`` keeps equal values in one class (the better one).

    Returns
    -------
    pandas.Series
        Ordered categorical ``A < B < C`` named ``abc``, indexed by ``customer_id``
        ascending.

    Raises
    ------
    SchemeError
        Quotas not three non-negative numbers summing to 1 (path ``abc.quotas``); bad
        ``ties`` (``tiers.ties``).
    InputError
        ``values`` not a Series with unique text index and finite numbers.

    Examples
    --------
    >>> import pandas as pd
    >>> from custvalue.tiers import abc_by_count
    >>> revenue = pd.Series({f"c{i:02d}": float(100 - i) for i in range(20)})
    >>> abc = abc_by_count(revenue)      # 20 customers: 1 A, 3 B, 16 C
    >>> abc.value_counts(sort=False).to_dict()
    {'A': 1, 'B': 3, 'C': 16}
    >>> abc.head(5).tolist()
    ['A', 'B', 'B', 'B', 'C']
    """
    shares = rational_quotas(quotas, "abc.quotas")
    if len(shares) != len(ABC_CLASSES):
        raise SchemeError("abc.quotas", f"give three quotas (A, B, C), got {len(shares)}")
    ties = check_ties(ties)
    checked = check_scores(values, table="values")
    value = checked.to_numpy(dtype=np.float64)
    out = assign_kernel(value, np.zeros(value.size, dtype=np.int64), 1, shares, ties)
    return _abc_series(out["tier"], checked.index)


def _check_cuts(cuts: Any) -> tuple[float, float]:
    try:
        a, b = (float(c) for c in cuts)
    except (TypeError, ValueError):
        raise SchemeError(
            "abc.cuts", f"give two cumulative shares (end of A, end of B), got {cuts!r}"
        ) from None
    if not (0 < a <= b <= 1):
        raise SchemeError("abc.cuts", f"need 0 < A cut <= B cut <= 1, got ({a!r}, {b!r})")
    return a, b


def abc_by_value(
    values: pd.Series,
    cuts: Sequence[float] = DEFAULT_ABC_CUTS,
    *,
    shares: bool = False,
) -> pd.Series | pd.DataFrame:
    """ABC class by Pareto share of value: the few customers that make 80 % of it are A.

    Customers with a positive value are sorted by value descending (equal values by
    ``customer_id`` ascending).  For each one, ``cum_share_before`` is the sum of the
    values sorted before it divided by the total positive value.  Then, with the default
    ``cuts = (0.80, 0.95)``:

    * **A** if ``cum_share_before < 0.80``,
    * **B** if ``0.80 <= cum_share_before < 0.95``,
    * **C** otherwise.

    So the customer whose own value carries the cumulative share across 80 % is still A:
    A is the *smallest* set of top customers that together make at least 80 % of the value
    (never empty when some value is positive), and likewise A and B together reach at least
    95 %.  A customer that brings the cumulative share to exactly 0.80 is A, and the next
    one (its share before is exactly 0.80) is B.  Shares within 1e-9 of a cut count as equal
    to it, so floating-point rounding does not move a customer across a cut.

    Many inventory ABC implementations classify on the cumulative share *including* the
    item (A if it is ``<= 0.80``), which makes A the *largest* set whose share does not
    exceed 80 %; it can leave A empty when one customer alone has more than 80 %.  Both
    rules agree whenever a cumulative share falls exactly on the cut, and differ only for
    the one customer that straddles it, which is A here.

    Customers with a value ``<= 0`` are always C (the article's "no or negative
    contribution"); shares are computed over the total of the *positive* values only, and
    their ``cum_share_before`` and ``cum_share`` are NaN (they are not on the Pareto curve).
    NaN values get ``<NA>``.

    Parameters
    ----------
    values : pandas.Series
        Contribution per customer (revenue, margin, kWh ...), indexed by ``customer_id``
        (unique strings).
    cuts : (float, float), default (0.80, 0.95)
        Cumulative shares where A ends and where B ends, ``0 < a <= b <= 1``.
    shares : bool, default False
        Also return the shares (see Returns).

    Returns
    -------
    pandas.Series or pandas.DataFrame
        The class as an ordered categorical ``A < B < C`` named ``abc`` indexed by
        ``customer_id`` ascending; with ``shares=True`` a frame with the columns ``abc``,
        ``share`` (value / positive total), ``cum_share_before`` and ``cum_share``
        (``= cum_share_before + share``).

    Raises
    ------
    SchemeError
        Bad ``cuts`` (path ``abc.cuts``).
    InputError
        ``values`` not a Series with unique text index and finite numbers.

    Examples
    --------
    >>> import pandas as pd
    >>> from custvalue.tiers import abc_by_value
    >>> revenue = pd.Series({"a": 40.0, "b": 40.0, "c": 10.0, "d": 5.0, "e": 5.0, "f": -3.0})
    >>> abc_by_value(revenue, shares=True)  # doctest: +NORMALIZE_WHITESPACE
                abc  share  cum_share_before  cum_share
    customer_id
    a             A   0.40              0.00       0.40
    b             A   0.40              0.40       0.80
    c             B   0.10              0.80       0.90
    d             B   0.05              0.90       0.95
    e             C   0.05              0.95       1.00
    f             C  -0.03               NaN        NaN

    b brings the cumulative share to exactly 0.80 and is A; c starts at 0.80 and is B.
    """
    cut_a, cut_b = _check_cuts(cuts)
    checked = check_scores(values, table="values")
    value = checked.to_numpy(dtype=np.float64)
    codes, share, before, cum = _pareto_kernel(value, cut_a, cut_b, SHARE_TOLERANCE)
    abc = _abc_series(codes, checked.index)
    if not shares:
        return abc
    return pd.DataFrame(
        {"abc": abc, "share": share, "cum_share_before": before, "cum_share": cum},
        index=checked.index,
    )
