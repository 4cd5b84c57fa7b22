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

import math
import numbers
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any, Literal

import numpy as np
import pandas as pd

from custvalue.errors import (
    ColumnTypeError,
    DuplicateRowsError,
    InvalidValueError,
    SchemeError,
    UnsupportedInputError,
)

__all__ = [
    "DEFAULT_LABELS",
    "DEFAULT_QUOTAS",
    "QUOTA_TOLERANCE",
    "TiesRule",
    "assign_tiers",
    "tier_report",
    "tier_sizes",
]

TiesRule = Literal["stable", "together"]

#: The article's quotas: 特级 10 %, 一级 30 %, 二级 50 %, 三级 10 % of the customer count.
DEFAULT_QUOTAS: tuple[float, ...] = (0.10, 0.30, 0.50, 0.10)
#: (Chinese, English) label of each tier, best first.
DEFAULT_LABELS: tuple[tuple[str, str], ...] = (
    ("特级客户", "special"),
    ("一级客户", "first"),
    ("二级客户", "second"),
    ("三级客户", "third"),
)
#: Quotas must sum to 1 within this tolerance.
QUOTA_TOLERANCE = 1e-9
#: Each quota is read as the nearest fraction with at most this denominator.
_MAX_DENOMINATOR = 10**9
_TIES = ("stable", "together")


# --------------------------------------------------------------------------- kernels


def _hamilton_kernel(n: int, shares: Sequence[Fraction]) -> np.ndarray:
    """Largest-remainder seats for ``n`` customers; ``shares`` are exact and sum to 1."""
    exact = [n * q for q in shares]
    seats = [math.floor(x) for x in exact]
    left = n - sum(seats)
    # largest remainder first; equal remainders: lower index (better tier) first
    order = sorted(range(len(shares)), key=lambda i: (seats[i] - exact[i], i))
    for i in order[:left]:
        seats[i] += 1
    return np.asarray(seats, dtype=np.int64)


def _sizes_kernel(counts: np.ndarray, shares: Sequence[Fraction]) -> np.ndarray:
    """Seats per group (rows) and tier (columns) for the customer ``counts`` of each group."""
    k = len(shares)
    if counts.size == 0:
        return np.zeros((0, k), dtype=np.int64)
    distinct, inverse = np.unique(counts, return_inverse=True)
    table = np.stack([_hamilton_kernel(int(c), shares) for c in distinct])
    return table[inverse.ravel()]


def _run_positions(is_start: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Position inside each run and the index where the run starts (runs begin at True)."""
    i = np.arange(is_start.size)
    start = np.maximum.accumulate(np.where(is_start, i, 0)) if i.size else i
    return i - start, start


def _run_starts(*keys: np.ndarray) -> np.ndarray:
    """True where any key differs from the previous element (and at the first element)."""
    m = keys[0].size
    out = np.zeros(m, dtype=bool)
    if m:
        out[0] = True
        for key in keys:
            out[1:] |= key[1:] != key[:-1]
    return out


def _fill_kernel(code: np.ndarray, seats: np.ndarray) -> np.ndarray:
    """Tier of each customer of a rank-ordered sequence grouped by ``code``.

    ``seats[g, t]`` customers of group ``g`` go to tier ``t``, the best-ranked first.
    """
    pos, _ = _run_positions(_run_starts(code))
    bounds = np.cumsum(seats, axis=1)
    tier = np.zeros(code.size, dtype=np.int64)
    for t in range(seats.shape[1] - 1):  # a loop over tiers, not customers
        tier += pos >= bounds[code, t]
    return tier


def _pinned_seats_kernel(target: np.ndarray, pins: np.ndarray) -> np.ndarray:
    """Seats left for unpinned customers when pins count against the quota.

    ``U[g, t] = min(N_g - P_g, max(0, max_{j <= t} (C[g, j] - Pc[g, j])))`` is the number of
    unpinned customers in tiers ``0..t``, where ``C`` is the cumulative target and ``Pc`` the
    cumulative number of pins; seats are the differences of ``U``.
    """
    room = np.cumsum(target, axis=1) - np.cumsum(pins, axis=1)
    unpinned = (target.sum(axis=1) - pins.sum(axis=1))[:, None]
    cum = np.minimum(np.maximum.accumulate(np.maximum(room, 0), axis=1), unpinned)
    return np.diff(cum, axis=1, prepend=0)


def _counts_kernel(code: np.ndarray, tier: np.ndarray, n_groups: int, k: int) -> np.ndarray:
    """Number of customers per group and tier (customers with ``tier < 0`` are left out)."""
    has = tier >= 0
    flat = np.bincount(code[has] * k + tier[has], minlength=n_groups * k)
    return flat.reshape(n_groups, k)


def _assign_kernel(
    score: np.ndarray,
    code: np.ndarray,
    n_groups: int,
    shares: Sequence[Fraction],
    ties: str,
    pin: np.ndarray | None = None,
    count_pins: bool = True,
) -> dict[str, np.ndarray]:
    """Rank and tier customers given in ``customer_id`` order (no validation).

    ``score`` is float with NaN for ungraded customers, ``code`` the group (0..G-1), ``pin``
    the pinned tier or -1.  Returns arrays ``rank``, ``rank_overall`` (float, NaN when
    ungraded), ``tier``, ``quota_tier`` (int, -1 when none; ``quota_tier`` is the tier in
    quota order before ties are shared, for unpinned graded customers), ``target`` and
    ``actual`` (groups x tiers).
    """
    n = score.size
    k = len(shares)
    idx = np.arange(n)
    graded = ~np.isnan(score)
    pinned = np.zeros(n, dtype=bool) if pin is None else pin >= 0
    g_idx = idx[graded]
    neg = -score[graded]

    # rank order: group, score descending, customer_id ascending (positions are id order)
    order = g_idx[np.lexsort((g_idx, neg, code[graded]))]
    pos, _ = _run_positions(_run_starts(code[order]))
    rank = np.full(n, np.nan)
    rank[order] = pos + 1
    rank_overall = np.full(n, np.nan)
    rank_overall[g_idx[np.lexsort((g_idx, neg))]] = np.arange(1, g_idx.size + 1)

    # unpinned graded customers fill the seats left to them, in rank order
    fill = order[~pinned[order]]
    fcode = code[fill]
    n_fill = np.bincount(fcode, minlength=n_groups)
    pin_counts = np.zeros((n_groups, k), dtype=np.int64)
    if pin is not None:
        pin_counts = _counts_kernel(code, np.where(pinned, pin, -1), n_groups, k)
    if pin is not None and count_pins:
        base = np.bincount(code[graded | pinned], minlength=n_groups)
        target = _sizes_kernel(base, shares)
        seats = _pinned_seats_kernel(target, pin_counts)
    else:
        target = _sizes_kernel(n_fill, shares)
        seats = target
    qtier = _fill_kernel(fcode, seats)
    shared = qtier
    if ties == "together":
        _, start = _run_positions(_run_starts(fcode, score[fill]))
        shared = qtier[start]

    tier = np.full(n, -1, dtype=np.int64)
    tier[fill] = shared
    if pin is not None:
        tier[pinned] = pin[pinned]
    quota_tier = np.full(n, -1, dtype=np.int64)
    quota_tier[fill] = qtier
    actual = _counts_kernel(code, tier, n_groups, k)
    return {
        "rank": rank,
        "rank_overall": rank_overall,
        "tier": tier,
        "quota_tier": quota_tier,
        "target": target,
        "actual": actual,
        "pins": pin_counts,
    }


# --------------------------------------------------------------------------- validation


def _rational_quotas(quotas: Any, path: str = "tiers.quotas") -> tuple[Fraction, ...]:
    """Validate quotas and read them as exact fractions that sum to exactly 1."""
    if isinstance(quotas, str | bytes | Mapping) or not isinstance(
        quotas, Sequence | np.ndarray | pd.Series
    ):
        raise SchemeError(path, f"expected a sequence of numbers, got {type(quotas).__name__}")
    values = list(np.asarray(quotas, dtype=object).ravel())
    if not values:
        raise SchemeError(
            path, "no quotas given; give one share per tier, e.g. (0.1, 0.3, 0.5, 0.1)"
        )
    floats = []
    for v in values:
        if isinstance(v, bool | np.bool_) or not isinstance(v, numbers.Real):
            raise SchemeError(path, f"quotas must be numbers, got {v!r}")
        floats.append(float(v))
    if not all(math.isfinite(v) and v >= 0 for v in floats):
        raise SchemeError(path, f"quotas must be finite and non-negative, got {floats}")
    total = math.fsum(floats)
    if abs(total - 1.0) > QUOTA_TOLERANCE:
        raise SchemeError(
            path, f"quotas must sum to 1 (within {QUOTA_TOLERANCE:g}), they sum to {total!r}"
        )
    fracs = [Fraction(v).limit_denominator(_MAX_DENOMINATOR) for v in floats]
    frac_total = sum(fracs, Fraction(0))
    return tuple(f / frac_total for f in fracs)


def _check_ties(ties: Any) -> str:
    if ties not in _TIES:
        raise SchemeError("tiers.ties", f"must be 'stable' or 'together', got {ties!r}")
    return str(ties)


def _check_labels(labels: Any, k: int) -> tuple[tuple[str, str], ...]:
    """Labels as ``k`` (zh, en) pairs; defaults for four tiers, generated names otherwise."""
    if labels is None:
        if k == len(DEFAULT_LABELS):
            return DEFAULT_LABELS
        return tuple((f"第{t + 1}级", f"tier {t}") for t in range(k))
    if isinstance(labels, Mapping):
        if set(labels) != set(range(k)):
            raise SchemeError(
                "tiers.labels", f"a mapping of labels needs the keys 0..{k - 1}, got {list(labels)}"
            )
        labels = [labels[t] for t in range(k)]
    if isinstance(labels, str) or not isinstance(labels, Sequence) or len(labels) != k:
        raise SchemeError("tiers.labels", f"give one (zh, en) pair for each of the {k} tiers")
    out = []
    for pair in labels:
        if (
            isinstance(pair, str)
            or not isinstance(pair, Sequence)
            or len(pair) != 2
            or not all(isinstance(x, str) for x in pair)
        ):
            raise SchemeError(
                "tiers.labels", f"each label is a (zh, en) pair of strings, got {pair!r}"
            )
        out.append((pair[0], pair[1]))
    return tuple(out)


def _examples(ids: Any, column: str, values: Any = None) -> list[dict[str, Any]]:
    ids = list(ids)[:5]
    if values is None:
        return [{"customer_id": i} for i in ids]
    return [{"customer_id": i, column: v} for i, v in zip(ids, list(values)[:5], strict=False)]


def _check_scores(scores: Any, table: str = "scores") -> pd.Series:
    """A float Series indexed by unique string customer ids, sorted by customer_id."""
    if not isinstance(scores, pd.Series):
        raise UnsupportedInputError(
            table,
            None,
            f"expected a pandas Series indexed by customer_id, got {type(scores).__name__}",
            fix="pass one column, e.g. table['score'], with customer_id as the index",
        )
    column = str(scores.name) if scores.name is not None else "value"
    index = scores.index
    if len(index) and pd.api.types.infer_dtype(index, skipna=False) != "string":
        bad_ids = [i for i in index if not isinstance(i, str)]
        raise ColumnTypeError(
            table,
            "customer_id",
            "customer_id (the index) must be text",
            examples=[{"customer_id": i} for i in bad_ids],
            fix="convert the index, e.g. s.index = s.index.astype(str)",
            count=len(bad_ids),
        )
    dup = index[index.duplicated(keep=False)]
    if len(dup):
        raise DuplicateRowsError(
            table,
            "customer_id",
            "customer_id appears more than once",
            examples=_examples(sorted(set(dup)), column),
            fix="keep one row per customer",
            count=len(dup),
        )
    if pd.api.types.is_bool_dtype(scores.dtype):
        raise ColumnTypeError(
            table,
            column,
            "values must be numbers, got booleans",
            fix="pass the numeric score (or convert with .astype(float) if 0/1 is meant)",
        )
    if pd.api.types.is_numeric_dtype(scores.dtype):
        values = scores.astype("float64")
    else:
        values = pd.to_numeric(scores, errors="coerce").astype("float64")
        bad = values.isna() & scores.notna()
        if bad.any():
            raise ColumnTypeError(
                table,
                column,
                "values must be numbers",
                examples=_examples(scores.index[bad], column, scores[bad]),
                fix="convert the values to numbers; use NaN for customers without a value",
                count=int(bad.sum()),
            )
    inf = np.isinf(values.to_numpy())
    if inf.any():
        raise InvalidValueError(
            table,
            column,
            "values must be finite",
            examples=_examples(values.index[inf], column, values[inf]),
            fix="use NaN for customers without a value",
            count=int(inf.sum()),
        )
    values = values.sort_index(kind="mergesort")
    values.index = pd.Index(values.index, name="customer_id")
    return values


def _by_series(by: Any, scores: pd.Series) -> pd.Series | None:
    """``by`` as a Series indexed by customer_id (array-likes align with ``scores`` by row)."""
    if by is None or isinstance(by, pd.Series):
        return by
    if isinstance(by, str | bytes | Mapping | pd.DataFrame) or not hasattr(by, "__len__"):
        raise UnsupportedInputError(
            "by",
            None,
            f"expected a Series of groups indexed by customer_id, got {type(by).__name__}",
            fix="pass e.g. customers.set_index('customer_id')['region']",
        )
    if len(by) != len(scores):
        raise UnsupportedInputError(
            "by",
            None,
            f"{len(by)} group values for {len(scores)} customers",
            fix="give one group per row of scores, or a Series indexed by customer_id",
        )
    return pd.Series(by, index=scores.index, name="group")


def _group_codes(by: pd.Series | None, index: pd.Index) -> tuple[np.ndarray, pd.Series | None, int]:
    """Integer group codes (groups sorted by value) for customers in ``index`` order."""
    if by is None:
        return np.zeros(len(index), dtype=np.int64), None, 1 if len(index) else 0
    name = str(by.name) if by.name is not None else "group"
    if by.index.has_duplicates:
        dup = by.index[by.index.duplicated(keep=False)]
        raise DuplicateRowsError(
            "by",
            "customer_id",
            "the groups give customer_id more than once",
            examples=_examples(sorted(set(dup)), name),
            fix="give one group per customer",
            count=len(dup),
        )
    where = by.index.get_indexer(index)
    missing = index[where < 0]
    if len(missing):
        raise InvalidValueError(
            "by",
            name,
            "customers without a group",
            examples=_examples(missing, name),
            fix="give a group to every customer that is tiered",
            count=len(missing),
        )
    groups = pd.Series(by.array.take(where), index=index, name=by.name)
    na = groups.isna().to_numpy()
    if na.any():
        raise InvalidValueError(
            "by",
            name,
            "the group is missing",
            examples=_examples(index[na], name),
            fix="fill the missing groups, e.g. with 'unknown'",
            count=int(na.sum()),
        )
    codes, _ = pd.factorize(groups, sort=True)
    groups.name = "group"
    return codes.astype(np.int64), groups, int(codes.max()) + 1 if codes.size else 0


# --------------------------------------------------------------------------- fronts


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
    return _hamilton_kernel(int(n), _rational_quotas(quotas))


def _note_array(n: int) -> np.ndarray:
    """Empty notes ('' = no note) for ``n`` customers."""
    return np.full(n, "", dtype=object)


def _tier_text(prefix: str, tiers: np.ndarray, suffix: str = "") -> np.ndarray:
    """``prefix + str(tier) + suffix`` for each tier, vectorised."""
    return np.char.add(np.char.add(prefix, np.asarray(tiers).astype(str)), suffix).astype(object)


def _add_note(notes: np.ndarray, mask: np.ndarray, text: str | np.ndarray) -> None:
    """Append ``text`` (one string, or one per masked customer) to the notes where ``mask``."""
    if not mask.any():
        return
    old = notes[mask]
    sep = np.where(old == "", "", "; ").astype(object)
    notes[mask] = old + sep + np.asarray(text, dtype=object)


def _int_column(values: np.ndarray, missing: float | int) -> pd.arrays.IntegerArray:
    arr = np.asarray(values)
    mask = np.isnan(arr) if arr.dtype.kind == "f" else arr == missing
    return pd.arrays.IntegerArray(np.where(mask, 0, arr).astype(np.int64), mask)


def _build_frame(
    index: pd.Index,
    out: dict[str, np.ndarray],
    labels: tuple[tuple[str, str], ...],
    groups: pd.Series | None,
    notes: np.ndarray,
) -> pd.DataFrame:
    tier = out["tier"]
    zh = np.array([z for z, _ in labels] + [None], dtype=object)[tier]
    en = np.array([e for _, e in labels] + [None], dtype=object)[tier]
    data: dict[str, Any] = {}
    if groups is not None:
        data["group"] = groups.array
    data["rank"] = _int_column(out["rank"], np.nan)
    if groups is not None:
        data["rank_overall"] = _int_column(out["rank_overall"], np.nan)
    data["tier"] = _int_column(tier, -1)
    data["tier_zh"] = pd.array(zh, dtype="string")
    data["tier_en"] = pd.array(en, dtype="string")
    data["tier_note"] = pd.array(np.where(notes == "", None, notes), dtype="string")
    return pd.DataFrame(data, index=index)


def _notes_for_ties(out: dict[str, np.ndarray], graded: np.ndarray) -> np.ndarray:
    tier, qtier = out["tier"], out["quota_tier"]
    notes = _note_array(tier.size)
    _add_note(notes, ~graded & (tier < 0), "ungraded: no score")
    _add_note_tie_moved(notes, tier, qtier)
    return notes


def _add_note_tie_moved(notes: np.ndarray, tier: np.ndarray, qtier: np.ndarray) -> None:
    moved = (qtier >= 0) & (tier != qtier)
    text = _tier_text("tie at a quota cut: shares tier ", tier[moved], " with an equal score")
    _add_note(notes, moved, text + _tier_text(" (quota order: tier ", qtier[moved], ")"))


def _attrs(
    quotas: Sequence[float],
    ties: str,
    labels: tuple[tuple[str, str], ...],
    out: dict[str, np.ndarray],
) -> dict[str, Any]:
    deviation = (out["actual"] - out["target"]).sum(axis=0)
    return {
        "quotas": tuple(float(q) for q in quotas),
        "ties": ties,
        "labels": labels,
        "quota_deviation": {t: int(d) for t, d in enumerate(deviation)},
    }


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
        best), tier_zh, tier_en, tier_note`` (strings; the note says why a customer has no
        tier or why its tier differs from the quota order, else ``<NA>``).  ``attrs`` holds
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
    c06          <NA>  <NA>    <NA>     <NA>

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
    shares = _rational_quotas(quotas)
    ties = _check_ties(ties)
    lab = _check_labels(labels, len(shares))
    by = _by_series(by, scores)
    values = _check_scores(scores)
    code, groups, n_groups = _group_codes(by, values.index)
    score = values.to_numpy(dtype=np.float64)
    out = _assign_kernel(score, code, n_groups, shares, ties)
    notes = _notes_for_ties(out, ~np.isnan(score))
    result = _build_frame(values.index, out, lab, groups, notes)
    result.attrs = _attrs(quotas, ties, lab, out)
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
    shares = _rational_quotas(quotas)
    k = len(shares)
    lab = _check_labels(result.attrs.get("labels"), k)
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
    target = _sizes_kernel(base, shares)
    actual = _counts_kernel(code, tier, n_groups, k)
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
        data["pinned"] = _counts_kernel(code, np.where(pinned, tier, -1), n_groups, k).ravel()
    data["deviation"] = (actual - target).ravel()
    return pd.DataFrame(data)
