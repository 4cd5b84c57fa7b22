"""Exact quota tiers: largest-remainder sizes and the assignment of customers to tiers.

The article behind custvalue (seed 001, 篇8 "客户价值导向的电力客户分类") sorts customers,
after ranking them on the value score, into four tiers by share of the customer count:
特级客户 about 10 %, 一级客户 about 30 %, 二级客户 about 50 % and 三级客户 about 10 %.
"About" has to become an exact count for every N; this module does that with the
largest-remainder (Hamilton) method and documents what happens at ties and for tiny N.

Kernel and front follow ``docs/architecture.md``: the ``_kernel`` functions work on numpy
arrays without validation, the public functions validate, call them and build frames.
See ``docs/tiers.md`` for the worked examples.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from custvalue.errors import InvalidValueError, UnsupportedInputError
from custvalue.grading import DEFAULT_LABELS, DEFAULT_QUOTAS
from custvalue.tiers._common import (
    QUOTA_TOLERANCE,
    TiesRule,
    assign_kernel,
    batch_assign_kernel,
    build_frame,
    by_series,
    check_labels,
    check_scores,
    check_ties,
    counts_kernel,
    group_codes,
    hamilton_kernel,
    notes_for_ties,
    rational_quotas,
    sizes_kernel,
    tier_attrs,
)

__all__ = [
    "DEFAULT_LABELS",
    "DEFAULT_QUOTAS",
    "QUOTA_TOLERANCE",
    "TierBatch",
    "TiesRule",
    "assign_tiers",
    "assign_tiers_batch",
    "tier_report",
    "tier_sizes",
]

def tier_sizes(n: int, quotas: Sequence[float] = DEFAULT_QUOTAS) -> np.ndarray:
    """Exact number of customers in each tier, by the largest-remainder (Hamilton) method.

    Each tier ``t`` first gets ``floor(n * q_t)`` customers.  The ``n - sum(floor(n * q_t))``
    customers left over (fewer than the number of tiers) go one each to the tiers with the
    largest remainders ``n * q_t - floor(n * q_t)``.  **Equal remainders go to the better
    (lower-index) tier first.**  The sizes always sum to ``n``.

    Quotas are read exactly: each one is taken as the nearest fraction with a denominator of
    at most 10⁹ (so ``0.1`` is exactly 1/10 and ``1/3`` exactly 1/3, not their binary
    approximations) and the fractions are rescaled to sum to exactly 1.  Equal remainders are
    therefore really equal and the tie rule applies as written.

    For tiny ``n`` most tiers are empty.  With the default quotas (10/30/50/10):

    ====  ============  ============================================
    n     sizes         why
    ====  ============  ============================================
    1     [0, 0, 1, 0]  remainders .1 .3 .5 .1: 二级 has the largest
    2     [0, 1, 1, 0]  二级 gets floor(1.0) = 1; 一级 has .6
    3     [0, 1, 2, 0]  二级 gets 1, then .9 (一级) and .5 (二级)
    7     [1, 2, 3, 1]  floors 0 2 3 0; .7 and .7 go to 特级 and 三级
    ====  ============  ============================================

    The pattern repeats every 10 customers (``tier_sizes(n + 10) = tier_sizes(n) +
    [1, 3, 5, 1]``), so with the default quotas no tier ever shrinks when ``n`` grows.  For
    other quotas the method can show the Alabama paradox (a tier losing a customer when ``n``
    grows by one): with the ABC quotas 5/15/80, ``n = 10`` gives [1, 1, 8] but ``n = 11``
    gives [0, 2, 9].  That is the price of sizes that are always within one of ``n * q_t``.

    Parameters
    ----------
    n : int
        Number of customers, ``n >= 0``.
    quotas : sequence of float, default (0.10, 0.30, 0.50, 0.10)
        Share of the customers in each tier, best tier first.  Non-negative, summing to 1
        within 1e-9.  The default is the article's 特级 10 % / 一级 30 % / 二级 50 % /
        三级 10 % (seed 001, 篇8).

    Returns
    -------
    numpy.ndarray of int64
        One size per tier, summing to ``n``; each differs from ``n * q_t`` by less than 1.

    Raises
    ------
    SchemeError
        Quotas negative, not finite, empty or not summing to 1 (path ``tiers.quotas``).
    TypeError, ValueError
        ``n`` is not a non-negative integer.

    References
    ----------
    Balinski, M. L. and Young, H. P. (2001). *Fair Representation*, 2nd ed., Brookings —
    Hamilton's method and its paradoxes.

    Examples
    --------
    >>> from custvalue.tiers import tier_sizes
    >>> tier_sizes(100).tolist()
    [10, 30, 50, 10]
    >>> tier_sizes(1).tolist()  # the one customer goes to 二级 (largest remainder .5)
    [0, 0, 1, 0]
    >>> tier_sizes(7).tolist()
    [1, 2, 3, 1]
    >>> tier_sizes(5, (0.5, 0.5)).tolist()  # equal remainders: the better tier first
    [3, 2]
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer):
        raise TypeError(f"n must be an integer, got {type(n).__name__}")
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    return hamilton_kernel(int(n), rational_quotas(quotas))


def assign_tiers(
    scores: pd.Series,
    quotas: Sequence[float] = DEFAULT_QUOTAS,
    *,
    ties: TiesRule = "stable",
    labels: Sequence[tuple[str, str]] | Mapping[int, tuple[str, str]] | None = None,
    by: pd.Series | Sequence[Any] | np.ndarray | None = None,
) -> pd.DataFrame:
    """Rank customers on their score and put them into quota tiers.

    Graded customers (score not NaN) are ranked by score descending, then ``customer_id``
    ascending; rank 1 is the best.  The tier sizes are ``tier_sizes(N, quotas)`` for the
    ``N`` graded customers (see :func:`tier_sizes`): the first ``sizes[0]`` customers in rank
    order are tier 0 (特级), the next ``sizes[1]`` tier 1, and so on.  Customers with a NaN
    score are *ungraded*: rank and tier ``<NA>``, and they are not part of ``N``.

    Tie rules (customers with exactly equal scores; round the scores first if nearly equal
    scores should count as equal):

    ``"stable"`` (default)
        Equal scores are ordered by ``customer_id``; the sizes are exactly the quota sizes,
        so a tie straddling a cut is split between two tiers.
    ``"together"``
        Equal scores never split: a group of equal scores takes the best tier any of its
        members has under ``"stable"``, so a tie straddling a cut moves everyone up.  The
        better tier is then over its quota and the tiers below it under.  The deviation is
        in ``result.attrs["quota_deviation"]`` (``{tier: actual - target}``, summed over
        groups) and per tier (and group) in :func:`tier_report`; the moved customers have a
        ``tier_note``.

    ``rank`` is the same under both rules (ties broken by ``customer_id``).

    Parameters
    ----------
    scores : pandas.Series
        Value score per customer, indexed by ``customer_id`` (unique strings); higher is
        better; NaN means ungraded.
    quotas : sequence of float, default (0.10, 0.30, 0.50, 0.10)
        Share of the graded customers in each tier, best first (the article's 特级 10 % /
        一级 30 % / 二级 50 % / 三级 10 %).  Any number of tiers.
    ties : {"stable", "together"}, default "stable"
        Tie rule, see above.
    labels : sequence of (zh, en) pairs or mapping tier -> (zh, en), optional
        Tier labels, best first.  Default: 特级客户/一级客户/二级客户/三级客户 and
        special/first/second/third for four tiers, ``第{t+1}级``/``tier {t}`` otherwise.
    by : pandas.Series or array-like, optional
        Group of each customer (region, customer class ...): a Series indexed by
        ``customer_id`` (customers of ``by`` that are not in ``scores`` are ignored), or an
        array-like with one value per row of ``scores``, in its order.  The quotas are applied
        within each group, and each group's rows equal what ``assign_tiers`` gives for that
        group alone: ``rank`` is the rank within the group.  The result then also has the
        columns ``group`` and ``rank_overall`` (rank among all graded customers, same order).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``customer_id``, sorted ascending, one row per customer of ``scores``,
        with columns ``[group,] rank (Int64) [, rank_overall (Int64)], tier (Int64, 0 =
        best), tier_zh, tier_en, tier_note`` (categoricals: the labels with the labels in
        tier order as categories, missing without a tier; the note says why a customer has
        no tier or why its tier differs from the quota order, else missing).  ``attrs`` holds
        ``quotas``, ``ties``, ``labels`` and ``quota_deviation``.

    Raises
    ------
    SchemeError
        Bad ``quotas`` (``tiers.quotas``), ``ties`` (``tiers.ties``) or ``labels``
        (``tiers.labels``).
    InputError
        ``scores`` is not a Series, its index is not unique text, its values are not
        finite numbers; a customer has no group in ``by``.

    See Also
    --------
    tier_sizes, tier_report, custvalue.tiers.apply_pins

    Examples
    --------
    >>> import pandas as pd
    >>> from custvalue.tiers import assign_tiers
    >>> scores = pd.Series({"c01": 91.0, "c02": 75.0, "c03": 60.0, "c04": 60.0,
    ...                     "c05": 40.0, "c06": float("nan")})
    >>> cols = ["rank", "tier", "tier_zh", "tier_en"]
    >>> assign_tiers(scores)[cols]  # doctest: +NORMALIZE_WHITESPACE
                 rank  tier tier_zh  tier_en
    customer_id
    c01             1     0    特级客户  special
    c02             2     1    一级客户    first
    c03             3     1    一级客户    first
    c04             4     2    二级客户   second
    c05             5     2    二级客户   second
    c06          <NA>  <NA>     NaN      NaN

    Five graded customers give the sizes ``tier_sizes(5) = [1, 2, 2, 0]``; c06 is ungraded.
    c03 and c04 have equal scores on the cut between 一级 and 二级; under ``"together"``
    both are 一级 and 一级 is one over its quota:

    >>> res = assign_tiers(scores, ties="together")
    >>> res["tier"].tolist()
    [0, 1, 1, 1, 2, <NA>]
    >>> res.loc["c04", "tier_note"]
    'tie at a quota cut: shares tier 1 with an equal score (quota order: tier 2)'
    >>> res.attrs["quota_deviation"]
    {0: 0, 1: 1, 2: -1, 3: 0}
    """
    shares = rational_quotas(quotas)
    ties = check_ties(ties)
    lab = check_labels(labels, len(shares))
    by = by_series(by, scores)
    values = check_scores(scores)
    code, groups, n_groups = group_codes(by, values.index)
    score = values.to_numpy(dtype=np.float64)
    out = assign_kernel(score, code, n_groups, shares, ties)
    notes = notes_for_ties(out, ~np.isnan(score))
    result = build_frame(values.index, out, lab, groups, notes)
    result.attrs = tier_attrs(quotas, ties, lab, out)
    return result


def tier_report(result: pd.DataFrame, quotas: Sequence[float] | None = None) -> pd.DataFrame:
    """Target against actual number of customers per tier (and group) of a tiering.

    The *base* is the customers the quotas were applied to: those with a tier, less pinned
    customers when pins did not count against the quota (see
    :func:`custvalue.tiers.apply_pins`).  ``target`` is ``tier_sizes(base, quotas)`` and
    ``actual`` the customers now in the tier; ``deviation = actual - target``.  Deviations
    come from ``ties="together"`` and from pins.  The report is computed from the rows of
    ``result``, so it describes whatever rows you pass.

    Parameters
    ----------
    result : pandas.DataFrame
        Output of :func:`assign_tiers` or :func:`custvalue.tiers.apply_pins` (needs the
        ``tier`` column and, for groups and pins, ``group`` and ``pinned``).
    quotas : sequence of float, optional
        Default ``result.attrs["quotas"]``.

    Returns
    -------
    pandas.DataFrame
        One row per (group,) tier with ``[group,] tier, tier_zh, tier_en, quota, base,
        target, actual [, pinned], deviation``.

    Raises
    ------
    ValueError
        No quotas given and none in ``result.attrs``.

    Examples
    --------
    >>> import pandas as pd
    >>> from custvalue.tiers import assign_tiers, tier_report
    >>> scores = pd.Series({"a": 9.0, "b": 8.0, "c": 7.0, "d": 7.0, "e": 5.0})
    >>> tier_report(assign_tiers(scores, ties="together"))
       tier tier_zh  tier_en  quota  base  target  actual  deviation
    0     0    特级客户  special    0.1     5       1       1          0
    1     1    一级客户    first    0.3     5       2       3          1
    2     2    二级客户   second    0.5     5       2       1         -1
    3     3    三级客户    third    0.1     5       0       0          0
    """
    if quotas is None:
        quotas = result.attrs.get("quotas")
        if quotas is None:
            raise ValueError("no quotas: pass quotas= or a result of assign_tiers/apply_pins")
    shares = rational_quotas(quotas)
    k = len(shares)
    lab = check_labels(result.attrs.get("labels"), k)
    tier = result["tier"].fillna(-1).to_numpy(dtype=np.int64)
    pinned = (
        result["pinned"].to_numpy(dtype=bool)
        if "pinned" in result.columns
        else np.zeros(len(result), dtype=bool)
    )
    in_base = tier >= 0
    if not result.attrs.get("pins_count_against_quota", True):
        in_base &= ~pinned
    if "group" in result.columns:
        codes, uniques = pd.factorize(result["group"], sort=True)
        code = codes.astype(np.int64)
        n_groups = len(uniques)
    else:
        code = np.zeros(len(result), dtype=np.int64)
        uniques, n_groups = None, 1
    base = np.bincount(code[in_base], minlength=n_groups)
    target = sizes_kernel(base, shares)
    actual = counts_kernel(code, tier, n_groups, k)
    data: dict[str, Any] = {}
    if uniques is not None:
        data["group"] = np.repeat(np.asarray(uniques, dtype=object), k)
    data["tier"] = np.tile(np.arange(k), n_groups)
    data["tier_zh"] = pd.array([z for z, _ in lab] * n_groups, dtype="string")
    data["tier_en"] = pd.array([e for _, e in lab] * n_groups, dtype="string")
    data["quota"] = np.tile(np.asarray(quotas, dtype=np.float64), n_groups)
    data["base"] = np.repeat(base, k)
    data["target"] = target.ravel()
    data["actual"] = actual.ravel()
    if "pinned" in result.columns:
        data["pinned"] = counts_kernel(code, np.where(pinned, tier, -1), n_groups, k).ravel()
    data["deviation"] = (actual - target).ravel()
    return pd.DataFrame(data)


class TierBatch(NamedTuple):
    """Output of :func:`assign_tiers_batch`: ``(K, N)`` int64 arrays, -1 where none.

    Attributes
    ----------
    rank : numpy.ndarray
        Rank within the group (1 = best); -1 for ungraded customers.
    tier : numpy.ndarray
        Tier (0 = best); -1 for ungraded customers that are not pinned.
    """

    rank: np.ndarray
    tier: np.ndarray


def assign_tiers_batch(
    scores: np.ndarray,
    quotas: Sequence[float] = DEFAULT_QUOTAS,
    *,
    ties: TiesRule = "stable",
    by: Sequence[Any] | np.ndarray | pd.Series | None = None,
    pins: Sequence[int] | np.ndarray | None = None,
    count_against_quota: bool = True,
) -> TierBatch:
    """Tiers of ``K`` score vectors of the same customers at once (e.g. Monte-Carlo draws).

    Row ``k`` of the result is what :func:`assign_tiers` (or, with ``pins``,
    :func:`custvalue.tiers.apply_pins`) gives for the scores of row ``k``: the same ranking
    (score descending, ties by ``customer_id``), the same largest-remainder sizes, the same
    tie rule ``ties`` (``"together"`` included), groups and pins.  Only the rank and the
    tier are returned, as arrays, and the inputs are checked once for all rows.

    Parameters
    ----------
    scores : numpy.ndarray, shape (K, N)
        Scores, one row per score vector, **columns in ascending** ``customer_id`` order
        (equal scores are ordered by column); NaN = ungraded.
    quotas : sequence of float, default (0.10, 0.30, 0.50, 0.10)
        As in :func:`assign_tiers`.
    ties : {"stable", "together"}, default "stable"
        As in :func:`assign_tiers`.
    by : array-like, shape (N,), optional
        Group of each column (quotas apply within each group; ``rank`` is then the rank in
        the group).
    pins : array-like of int, shape (N,), optional
        Pinned tier of each column, -1 if not pinned (the same pins for every row).
    count_against_quota : bool, default True
        Whether pins take seats of the quota (see :func:`custvalue.tiers.apply_pins`).

    Returns
    -------
    TierBatch
        ``rank`` and ``tier``, ``(K, N)`` int64, -1 where there is none.

    Raises
    ------
    SchemeError
        Bad ``quotas`` or ``ties``.
    UnsupportedInputError
        ``scores`` is not a 2-D array of numbers; ``by``/``pins`` do not have ``N`` values.
    InvalidValueError
        Infinite scores, missing groups, pins outside ``-1..len(quotas) - 1``.

    Examples
    --------
    Two score vectors of five customers; in the second, c and d tie on a cut:

    >>> import numpy as np
    >>> from custvalue.tiers import assign_tiers_batch
    >>> scores = np.array([[9.0, 8.0, 7.0, 6.0, 5.0],
    ...                    [9.0, 8.0, 7.0, 7.0, 5.0]])
    >>> assign_tiers_batch(scores).tier.tolist()
    [[0, 1, 1, 2, 2], [0, 1, 1, 2, 2]]
    >>> assign_tiers_batch(scores, ties="together").tier.tolist()
    [[0, 1, 1, 2, 2], [0, 1, 1, 1, 2]]
    >>> assign_tiers_batch(scores, pins=[-1, -1, -1, -1, 0]).tier.tolist()
    [[1, 1, 2, 2, 0], [1, 1, 2, 2, 0]]
    """
    shares = rational_quotas(quotas)
    n_tiers = len(shares)
    rule = check_ties(ties)
    try:
        score = np.asarray(scores, dtype=np.float64)
    except (TypeError, ValueError):
        raise UnsupportedInputError(
            "scores", None, "scores must be numbers", fix="pass a (K, N) float array"
        ) from None
    if score.ndim != 2:
        raise UnsupportedInputError(
            "scores", None, f"expected a 2-D array (K, N), got {score.ndim} dimensions",
            fix="one row per score vector, one column per customer (customer_id order)",
        )
    k, n = score.shape
    if np.isinf(score).any():
        raise InvalidValueError("scores", None, "values must be finite",
                                fix="use NaN for customers without a score")
    code, n_groups = np.zeros(n, dtype=np.int64), 1 if n else 0
    if by is not None:
        groups = pd.Series(np.asarray(by, dtype=object).ravel())
        if len(groups) != n:
            raise UnsupportedInputError(
                "by", None, f"{len(groups)} group values for {n} customers",
                fix="give one group per column of scores",
            )
        if groups.isna().any():
            raise InvalidValueError("by", "group", "the group is missing",
                                    count=int(groups.isna().sum()),
                                    fix="fill the missing groups, e.g. with 'unknown'")
        codes, uniques = pd.factorize(groups, sort=True)
        code, n_groups = codes.astype(np.int64), len(uniques)
    pin = None
    if pins is not None:
        pin_values = np.asarray(pins).ravel()
        if pin_values.size != n:
            raise UnsupportedInputError(
                "pins", None, f"{pin_values.size} pin values for {n} customers",
                fix="give one pinned tier (or -1) per column of scores",
            )
        pin_f = pin_values.astype(np.float64)
        bad = ~(np.isfinite(pin_f) & (pin_f == np.round(pin_f)) & (pin_f >= -1)
                & (pin_f <= n_tiers - 1))
        if bad.any():
            raise InvalidValueError("pins", "tier", f"a pinned tier is -1 (none) or a whole "
                                    f"number from 0 to {n_tiers - 1}", count=int(bad.sum()))
        pin = pin_f.astype(np.int64)
        if not (pin >= 0).any():
            pin = None
    if k == 0 or n == 0:
        empty = np.full((k, n), -1, dtype=np.int64)
        return TierBatch(empty, empty.copy())
    rank, tier = batch_assign_kernel(score, code, n_groups, shares, rule, pin,
                                     bool(count_against_quota))
    return TierBatch(rank, tier)
