"""Shared helpers of the tier stage: quota arithmetic, checks, notes and frame building.

The kernels (``*_kernel``) work on numpy arrays without validation; the ``check_*``
functions validate the inputs of the public functions in :mod:`~custvalue.tiers.quotas`,
:mod:`~custvalue.tiers.pins` and :mod:`~custvalue.tiers.abc`.  Names here are public inside
:mod:`custvalue.tiers` (the module itself is private).

This module is long because the single and the batched tier kernels, which must agree
exactly, live side by side with the checks and the frame building the three public modules
share.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Hashable, Mapping, Sequence
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
from custvalue.grading import DEFAULT_LABELS
from custvalue.grading.columns import (
    descending_order,
    ids_sorted_unique,
    join_texts,
    label_categorical,
)

TiesRule = Literal["stable", "together"]

#: Quotas must sum to 1 within this tolerance.
QUOTA_TOLERANCE = 1e-9
#: Each quota is read as the nearest fraction with at most this denominator.
_MAX_DENOMINATOR = 10**9
_TIES = ("stable", "together")


# --------------------------------------------------------------------------- kernels


def hamilton_kernel(n: int, shares: Sequence[Fraction]) -> np.ndarray:
    """Largest-remainder seats for ``n`` customers; ``shares`` are exact and sum to 1."""
    exact = [n * q for q in shares]
    seats = [math.floor(x) for x in exact]
    left = n - sum(seats)
    # largest remainder first; equal remainders: lower index (better tier) first
    order = sorted(range(len(shares)), key=lambda i: (seats[i] - exact[i], i))
    for i in order[:left]:
        seats[i] += 1
    return np.asarray(seats, dtype=np.int64)


def sizes_kernel(counts: np.ndarray, shares: Sequence[Fraction]) -> np.ndarray:
    """Seats per group (rows) and tier (columns) for the customer ``counts`` of each group."""
    k = len(shares)
    if counts.size == 0:
        return np.zeros((0, k), dtype=np.int64)
    distinct, inverse = np.unique(counts, return_inverse=True)
    table = np.stack([hamilton_kernel(int(c), shares) for c in distinct])
    return table[inverse.ravel()]


def run_positions(is_start: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Position inside each run and the index where the run starts (runs begin at True)."""
    i = np.arange(is_start.size)
    start = np.maximum.accumulate(np.where(is_start, i, 0)) if i.size else i
    return i - start, start


def run_starts(*keys: np.ndarray) -> np.ndarray:
    """True where any key differs from the previous element (and at the first element)."""
    m = keys[0].size
    out = np.zeros(m, dtype=bool)
    if m:
        out[0] = True
        for key in keys:
            out[1:] |= key[1:] != key[:-1]
    return out


def fill_kernel(code: np.ndarray, seats: np.ndarray) -> np.ndarray:
    """Tier of each customer of a rank-ordered sequence grouped by ``code``.

    ``seats[g, t]`` customers of group ``g`` go to tier ``t``, the best-ranked first.
    """
    pos, _ = run_positions(run_starts(code))
    bounds = np.cumsum(seats, axis=1)
    tier = np.zeros(code.size, dtype=np.int64)
    for t in range(seats.shape[1] - 1):  # a loop over tiers, not customers
        tier += pos >= bounds[code, t]
    return tier


def pinned_seats_kernel(target: np.ndarray, pins: np.ndarray) -> np.ndarray:
    """Seats left for unpinned customers when pins count against the quota.

    ``U[g, t] = min(N_g - P_g, max(0, max_{j <= t} (C[g, j] - Pc[g, j])))`` is the number of
    unpinned customers in tiers ``0..t``, where ``C`` is the cumulative target and ``Pc`` the
    cumulative number of pins; seats are the differences of ``U``.
    """
    room = np.cumsum(target, axis=1) - np.cumsum(pins, axis=1)
    unpinned = (target.sum(axis=1) - pins.sum(axis=1))[:, None]
    cum = np.minimum(np.maximum.accumulate(np.maximum(room, 0), axis=1), unpinned)
    return np.diff(cum, axis=1, prepend=0)


def counts_kernel(code: np.ndarray, tier: np.ndarray, n_groups: int, k: int) -> np.ndarray:
    """Number of customers per group and tier (customers with ``tier < 0`` are left out)."""
    has = tier >= 0
    flat = np.bincount(code[has] * k + tier[has], minlength=n_groups * k)
    return flat.reshape(n_groups, k)


def assign_kernel(
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
    graded = ~np.isnan(score)
    pinned = np.zeros(n, dtype=bool) if pin is None else pin >= 0

    # rank order: group, score descending, customer_id ascending (positions are id order):
    # the rank order by score, then a stable sort by group keeps it within each group
    by_score = descending_order(score)  # graded only
    rank_overall = np.full(n, np.nan)
    rank_overall[by_score] = np.arange(1, by_score.size + 1)
    if n_groups > 1:
        order = by_score[np.argsort(code[by_score], kind="stable")]
        pos, _ = run_positions(run_starts(code[order]))
        rank = np.full(n, np.nan)
        rank[order] = pos + 1
    else:
        order, rank = by_score, rank_overall
    if n_groups == 1 and pin is None:  # the common case: the seats in rank order
        target = sizes_kernel(np.array([order.size]), shares)
        qtier = np.repeat(np.arange(k), target[0])
        shared = qtier
        if ties == "together":
            _, start = run_positions(run_starts(score[order]))
            shared = qtier[start]
        tier = np.full(n, -1, dtype=np.int64)
        tier[order] = shared
        quota_tier = np.full(n, -1, dtype=np.int64)
        quota_tier[order] = qtier
        return {"rank": rank, "rank_overall": rank_overall, "tier": tier,
                "quota_tier": quota_tier, "target": target,
                "actual": np.bincount(shared, minlength=k)[None, :],
                "pins": np.zeros((1, k), dtype=np.int64)}

    # unpinned graded customers fill the seats left to them, in rank order
    fill = order[~pinned[order]]
    fcode = code[fill]
    n_fill = np.bincount(fcode, minlength=n_groups)
    pin_counts = np.zeros((n_groups, k), dtype=np.int64)
    if pin is not None:
        pin_counts = counts_kernel(code, np.where(pinned, pin, -1), n_groups, k)
    if pin is not None and count_pins:
        base = np.bincount(code[graded | pinned], minlength=n_groups)
        target = sizes_kernel(base, shares)
        seats = pinned_seats_kernel(target, pin_counts)
    else:
        target = sizes_kernel(n_fill, shares)
        seats = target
    qtier = fill_kernel(fcode, seats)
    shared = qtier
    if ties == "together":
        _, start = run_positions(run_starts(fcode, score[fill]))
        shared = qtier[start]

    tier = np.full(n, -1, dtype=np.int64)
    tier[fill] = shared
    if pin is not None:
        tier[pinned] = pin[pinned]
    quota_tier = np.full(n, -1, dtype=np.int64)
    quota_tier[fill] = qtier
    actual = counts_kernel(code, tier, n_groups, k)
    return {
        "rank": rank,
        "rank_overall": rank_overall,
        "tier": tier,
        "quota_tier": quota_tier,
        "target": target,
        "actual": actual,
        "pins": pin_counts,
    }


def order_kernel(key: np.ndarray) -> np.ndarray:
    """Row-wise ``argsort`` of ``key`` (K, N) with equal keys in ascending position.

    The same order as ``np.argsort(key, axis=1, kind="stable")``, but about twice as fast:
    an unstable (SIMD) sort first, then only the runs of equal keys are re-sorted by
    position.
    """
    order = np.argsort(key, axis=1)
    sk = np.take_along_axis(key, order, axis=1)
    eq = sk[:, 1:] == sk[:, :-1]
    if eq.any():
        tied = np.zeros(key.shape, dtype=bool)
        tied[:, 1:] |= eq
        tied[:, :-1] |= eq
        start = tied.copy()
        start[:, 1:] &= ~eq
        run = np.cumsum(start.ravel())
        sel = tied.ravel()
        flat = order.reshape(-1)
        pos = flat[sel]
        flat[sel] = pos[np.lexsort((pos, run[sel]))]
    return order


def _tiers_of_positions(fpos: np.ndarray, seats: np.ndarray) -> np.ndarray:
    """Tier of each fill position ``fpos`` (K, M) given the seats per row ``seats`` (K, T)."""
    if (seats == seats[:1]).all():  # the same seats in every row: one lookup table
        table = np.repeat(np.arange(seats.shape[1]), seats[0])
        return table[np.clip(fpos, 0, max(table.size - 1, 0))] if table.size else fpos * 0
    bounds = np.cumsum(seats, axis=1)
    tier = np.zeros(fpos.shape, dtype=np.int64)
    for t in range(seats.shape[1] - 1):  # a loop over tiers, not customers
        tier += fpos >= bounds[:, t, None]
    return tier


def batch_assign_kernel(
    score: np.ndarray,
    code: np.ndarray,
    n_groups: int,
    shares: Sequence[Fraction],
    ties: str,
    pin: np.ndarray | None = None,
    count_pins: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Rank and tier of ``K`` score vectors at once: :func:`assign_kernel` row by row.

    ``score`` is ``(K, N)`` with the customers (columns) in ``customer_id`` order and NaN
    for ungraded; ``code`` ``(N,)`` the group; ``pin`` ``(N,)`` the pinned tier or -1 (the
    same pins in every row).  Returns ``rank`` (rank within the group, 1 = best) and
    ``tier``, both ``(K, N)`` int64 with -1 where :func:`assign_kernel` has none.  The
    work per group is one row-wise sort (:func:`order_kernel`) and element-wise passes;
    loops run over groups and tiers only.
    """
    k, n = score.shape
    n_tiers = len(shares)
    rank = np.full((k, n), -1, dtype=np.int64)
    tier = np.full((k, n), -1, dtype=np.int64)
    rows = np.arange(k)[:, None]
    pin_of = np.full(n, -1, dtype=np.int64) if pin is None else pin
    pinned = pin_of >= 0
    for g in range(n_groups):  # a loop over groups (strata), not customers
        pos = np.arange(n) if n_groups == 1 else np.flatnonzero(code == g)
        m = pos.size
        if m == 0:
            continue
        sub = score if n_groups == 1 else score[:, pos]
        nan = np.isnan(sub)
        key = np.where(nan, np.inf, -sub)
        order = order_kernel(key)  # score descending, then customer_id; NaN last
        r = np.empty_like(order)
        r[rows, order] = np.arange(m)[None, :]
        g_pinned = pinned[pos]
        any_nan, any_pin = bool(nan.any()), bool(g_pinned.any())
        if not any_nan and not any_pin and ties == "stable":  # the common case: one lookup
            seats = sizes_kernel(np.array([m]), shares)
            rank[:, pos] = r + 1
            tier[:, pos] = np.repeat(np.arange(n_tiers), seats[0])[r]
            continue
        graded = ~np.take_along_axis(nan, order, axis=1)  # in rank order
        fillable = graded & ~g_pinned[order] if any_pin else graded
        csum = np.cumsum(fillable, axis=1)
        before = csum - fillable  # unpinned graded customers ranked better
        n_fill = csum[:, -1]
        if any_pin and count_pins:
            base = graded.sum(axis=1) + (g_pinned & nan).sum(axis=1)
            pin_counts = np.bincount(pin_of[pos][g_pinned], minlength=n_tiers)
            seats = pinned_seats_kernel(sizes_kernel(base, shares),
                                        np.broadcast_to(pin_counts, (k, n_tiers)))
        else:
            seats = sizes_kernel(n_fill, shares)
        quota = _tiers_of_positions(before, seats)
        if ties == "together":
            # a run of equal scores takes the tier of its first unpinned member
            sk = np.take_along_axis(key, order, axis=1)
            idx = np.broadcast_to(np.arange(m), (k, m))
            start = np.ones((k, m), dtype=bool)
            start[:, 1:] = sk[:, 1:] != sk[:, :-1]
            first = np.maximum.accumulate(np.where(start, idx, 0), axis=1)
            quota = _tiers_of_positions(np.take_along_axis(before, first, axis=1), seats)
        sorted_tier = np.where(fillable, quota, -1)
        if any_pin:
            sorted_tier = np.where(g_pinned[order], pin_of[pos][order], sorted_tier)
        t = np.empty_like(sorted_tier)
        t[rows, order] = sorted_tier
        tier[:, pos] = t
        rank[:, pos] = np.where(nan, -1, r + 1)
    return rank, tier


# --------------------------------------------------------------------------- validation


def rational_quotas(quotas: Any, path: str = "tiers.quotas") -> tuple[Fraction, ...]:
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


def check_ties(ties: object) -> TiesRule:
    if ties == "stable":
        return "stable"
    if ties == "together":
        return "together"
    raise SchemeError("tiers.ties", f"must be 'stable' or 'together', got {ties!r}")


def check_labels(labels: Any, k: int) -> tuple[tuple[str, str], ...]:
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


def example_rows(ids: Any, column: str, values: Any = None) -> list[dict[str, Any]]:
    ids = list(ids)[:5]
    if values is None:
        return [{"customer_id": i} for i in ids]
    return [{"customer_id": i, column: v} for i, v in zip(ids, list(values)[:5], strict=False)]


def check_scores(scores: Any, table: str = "scores") -> pd.Series:
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
    # ids already sorted and unique (the pipeline's case): one vectorised pass, no sort,
    # no hash table of the ids
    in_order = (isinstance(index.dtype, pd.StringDtype) or index.dtype == object) \
        and ids_sorted_unique(index)  # strictly increasing: text (or comparable) ids
    if in_order and index.dtype == object:
        in_order = pd.api.types.infer_dtype(index, skipna=False) == "string"
    if not in_order and len(index) and pd.api.types.infer_dtype(index, skipna=False) != "string":
        bad_ids = [i for i in index if not isinstance(i, str)]
        raise ColumnTypeError(
            table,
            "customer_id",
            "customer_id (the index) must be text",
            examples=[{"customer_id": i} for i in bad_ids],
            fix="convert the index, e.g. s.index = s.index.astype(str)",
            count=len(bad_ids),
        )
    dup = index[:0] if in_order else index[index.duplicated(keep=False)]
    if len(dup):
        raise DuplicateRowsError(
            table,
            "customer_id",
            "customer_id appears more than once",
            examples=example_rows(sorted(set(dup)), column),
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
                examples=example_rows(scores.index[bad], column, scores[bad]),
                fix="convert the values to numbers; use NaN for customers without a value",
                count=int(bad.sum()),
            )
    inf = np.isinf(values.to_numpy())
    if inf.any():
        raise InvalidValueError(
            table,
            column,
            "values must be finite",
            examples=example_rows(values.index[inf], column, values[inf]),
            fix="use NaN for customers without a value",
            count=int(inf.sum()),
        )
    if not in_order:
        values = values.sort_index(kind="mergesort")
    return values.rename_axis("customer_id")


def by_series(by: Any, scores: pd.Series) -> pd.Series | None:
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


def group_codes(by: pd.Series | None, index: pd.Index) -> tuple[np.ndarray, pd.Series | None, int]:
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
            examples=example_rows(sorted(set(dup)), name),
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
            examples=example_rows(missing, name),
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
            examples=example_rows(index[na], name),
            fix="fill the missing groups, e.g. with 'unknown'",
            count=int(na.sum()),
        )
    codes, _ = pd.factorize(groups, sort=True)
    groups.name = "group"
    return codes.astype(np.int64), groups, int(codes.max()) + 1 if codes.size else 0


# --------------------------------------------------------------------------- fronts

#: The notes of a tiering as parts ``(codes, texts)`` of :func:`~custvalue.grading.columns.
#: join_texts`: per part, the note of a customer is ``texts[code]`` (none where -1), and a
#: customer's notes are joined by ``"; "`` in the order of the parts.
NoteParts = list[tuple[np.ndarray, list[str]]]


def note_part(mask: np.ndarray, texts: str | list[str],
              which: np.ndarray | None = None) -> tuple[np.ndarray, list[str]]:
    """One part of the notes: ``texts`` (one text, or one per value of ``which``) where
    ``mask``."""
    if isinstance(texts, str):
        return np.where(mask, 0, -1), [texts]
    if which is None:
        raise ValueError("which is needed with several texts")
    return np.where(mask, which, -1), texts


def tier_texts(prefix: str, n_tiers: int, suffix: str = "") -> list[str]:
    """``prefix + str(tier) + suffix`` for each tier ``0..n_tiers-1``."""
    return [f"{prefix}{t}{suffix}" for t in range(n_tiers)]


def int_column(values: np.ndarray, missing: float | int) -> pd.arrays.IntegerArray:
    arr = np.asarray(values)
    mask = np.isnan(arr) if arr.dtype.kind == "f" else arr == missing
    return pd.arrays.IntegerArray(np.where(mask, 0, arr).astype(np.int64), mask)


def build_frame(
    index: pd.Index,
    out: dict[str, np.ndarray],
    labels: tuple[tuple[str, str], ...],
    groups: pd.Series | None,
    notes: NoteParts,
) -> pd.DataFrame:
    """The tier frame: ranks and tier as ``Int64``, labels and notes as categoricals."""
    tier = out["tier"]
    data: dict[str, Any] = {}
    if groups is not None:
        data["group"] = groups.array
    data["rank"] = int_column(out["rank"], np.nan)
    if groups is not None:
        data["rank_overall"] = int_column(out["rank_overall"], np.nan)
    data["tier"] = int_column(tier, -1)
    data["tier_zh"] = label_categorical(tier, [z for z, _ in labels])
    data["tier_en"] = label_categorical(tier, [e for _, e in labels])
    data["tier_note"] = join_texts(notes, n=tier.size)
    return pd.DataFrame(data, index=index)


def notes_for_ties(out: dict[str, np.ndarray], graded: np.ndarray) -> NoteParts:
    tier = out["tier"]
    return [note_part(~graded & (tier < 0), "ungraded: no score"),
            note_tie_moved(tier, out["quota_tier"], out["target"].shape[1])]


def note_tie_moved(tier: np.ndarray, qtier: np.ndarray,
                   n_tiers: int) -> tuple[np.ndarray, list[str]]:
    """The note of customers whose tie moved them off their quota tier."""
    moved = (qtier >= 0) & (tier != qtier)
    texts = [f"tie at a quota cut: shares tier {t} with an equal score (quota order: tier {q})"
             for t in range(n_tiers) for q in range(n_tiers)]
    return note_part(moved, texts, tier * n_tiers + qtier)


def tier_attrs(
    quotas: Sequence[float],
    ties: str,
    labels: tuple[tuple[str, str], ...],
    out: dict[str, np.ndarray],
) -> dict[Hashable, Any]:  # the type of DataFrame.attrs
    deviation = (out["actual"] - out["target"]).sum(axis=0)
    return {
        "quotas": tuple(float(q) for q in quotas),
        "ties": ties,
        "labels": labels,
        "quota_deviation": {t: int(d) for t, d in enumerate(deviation)},
    }
