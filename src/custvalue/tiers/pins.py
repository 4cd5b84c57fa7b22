"""Pins: customers put into a tier by decision, with an audit trail.

Some customers belong in a tier whatever their score -- a hospital or a water works held in
特级 for security of supply, a customer under a special agreement.  The article keeps the
quotas (特级 10 % / 一级 30 % / 二级 50 % / 三级 10 %, seed 001, 篇8); a pin either takes one
of those seats or comes on top of them, and every row shows what the quota order alone
would have given.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from custvalue.errors import (
    ColumnTypeError,
    DuplicateRowsError,
    InvalidValueError,
    MissingColumnError,
    UnknownCustomerError,
    UnsupportedInputError,
)
from custvalue.grading import DEFAULT_QUOTAS
from custvalue.tiers._common import (
    TiesRule,
    assign_kernel,
    build_frame,
    by_series,
    check_labels,
    check_scores,
    check_ties,
    group_codes,
    int_column,
    note_part,
    note_tie_moved,
    rational_quotas,
    tier_attrs,
    tier_texts,
)

__all__ = ["apply_pins"]

_PIN_COLUMNS = ("customer_id", "tier", "reason")


def _check_pins(pins: Any, customers: pd.Index, k: int) -> pd.DataFrame:
    """Pins as a frame indexed by customer_id with an int ``tier`` and a str ``reason``."""
    if not isinstance(pins, pd.DataFrame):
        raise UnsupportedInputError(
            "pins",
            None,
            f"expected a pandas DataFrame, got {type(pins).__name__}",
            fix="pass a DataFrame with the columns customer_id, tier, reason",
        )
    if "customer_id" not in pins.columns and pins.index.name == "customer_id":
        pins = pins.reset_index()
    for col in _PIN_COLUMNS:
        if col not in pins.columns:
            raise MissingColumnError(
                "pins",
                col,
                "required column is missing",
                fix="pins need the columns customer_id, tier (0 = best) and reason",
            )
    ids = pins["customer_id"]
    bad = ids[[not isinstance(i, str) for i in ids]]
    if len(bad):
        raise ColumnTypeError(
            "pins",
            "customer_id",
            "customer_id must be text",
            examples=[{"customer_id": i} for i in bad],
            fix="convert the column, e.g. pins['customer_id'] = pins['customer_id'].astype(str)",
            count=len(bad),
        )
    dup = ids[ids.duplicated(keep=False)]
    if len(dup):
        rows = pins.loc[dup.index, list(_PIN_COLUMNS)]
        raise DuplicateRowsError(
            "pins",
            "customer_id",
            "a customer is pinned more than once",
            examples=rows.to_dict("records"),
            fix="keep one pin per customer",
            count=len(dup),
        )
    unknown = customers.get_indexer(ids) < 0
    if unknown.any():
        rows = pins.loc[unknown, list(_PIN_COLUMNS)]
        raise UnknownCustomerError(
            "pins",
            "customer_id",
            "pinned customers that are not among the scored customers",
            examples=rows.to_dict("records"),
            fix="remove these pins, or include the customers in scores (NaN if ungraded)",
            count=int(unknown.sum()),
        )
    raw = pins["tier"]
    tier = pd.to_numeric(raw, errors="coerce") if not pd.api.types.is_bool_dtype(raw) else None
    if tier is None:
        bad_tier = np.ones(len(pins), dtype=bool)
    else:
        t = tier.to_numpy(dtype=np.float64, na_value=np.nan)
        with np.errstate(invalid="ignore"):
            bad_tier = ~(np.isfinite(t) & (t == np.round(t)) & (t >= 0) & (t <= k - 1))
    if bad_tier.any():
        rows = pins.loc[bad_tier, list(_PIN_COLUMNS)]
        raise InvalidValueError(
            "pins",
            "tier",
            f"tier must be a whole number from 0 (best) to {k - 1}",
            examples=rows.to_dict("records"),
            fix=f"use the tier number 0..{k - 1}, not its label",
            count=int(bad_tier.sum()),
        )
    reason = pins["reason"]
    bad_reason = np.array([not (isinstance(r, str) and r.strip()) for r in reason], dtype=bool)
    if bad_reason.any():
        rows = pins.loc[bad_reason, list(_PIN_COLUMNS)]
        raise InvalidValueError(
            "pins",
            "reason",
            "every pin needs a reason (non-empty text) for the audit trail",
            examples=rows.to_dict("records"),
            fix="say why the customer is pinned, e.g. 'hospital: security of supply'",
            count=int(bad_reason.sum()),
        )
    return pd.DataFrame(
        {"tier": (tier.to_numpy(dtype=np.float64).astype(np.int64) if tier is not None
                  else np.zeros(0, dtype=np.int64)),  # a boolean tier column passes only empty
         "reason": list(reason)},
        index=pd.Index(list(ids), name="customer_id"),
    )


def apply_pins(
    scores: pd.Series,
    pins: pd.DataFrame,
    quotas: Sequence[float] = DEFAULT_QUOTAS,
    *,
    count_against_quota: bool = True,
    ties: TiesRule = "stable",
    labels: Sequence[tuple[str, str]] | Mapping[int, tuple[str, str]] | None = None,
    by: pd.Series | Sequence[Any] | np.ndarray | None = None,
) -> pd.DataFrame:
    """Tier customers like :func:`custvalue.tiers.assign_tiers`, with some pinned to a tier.

    A pinned customer gets its pinned tier whatever its score (it may even be ungraded).
    The others fill the tiers in rank order.  Two ways to do the quota:

    ``count_against_quota=True`` (default): pins take seats.
        The base is the ``N`` customers that get a tier (graded or pinned) and the targets
        are ``tier_sizes(N, quotas)``.  Let ``C_t`` be the cumulative target of tiers
        ``0..t`` and ``Pc_t`` the number of pins in tiers ``0..t``.  The unpinned customers
        in tiers ``0..t`` number ``U_t = min(N - P, max(0, max_{j <= t} (C_j - Pc_j)))``; the
        unpinned customers fill ``U_t - U_{t-1}`` seats of tier ``t`` in rank order.  So the
        top ``t + 1`` tiers together hold exactly ``C_t`` customers whenever the pins allow
        it, and without overflow every tier is exactly at its target.  If the pins of a tier
        exceed its target (overflow), the tier has just its pinned customers, over target,
        and the excess is taken from the next worse tier(s) that still have unpinned seats;
        only when no worse tier has any (e.g. 三级 overflows) does it come from the better
        tiers, nearest first.  A pin never pushes a better tier's unpinned customers out
        unless there is no room below.
    ``count_against_quota=False``: pins come on top.
        Pinned customers are taken out, the quotas are applied to the remaining graded
        customers exactly as :func:`assign_tiers` would, and the pinned customers are added
        to their tiers (which are then over target by the number of pins).

    ``ties`` applies to the unpinned customers: under ``"together"`` equal scores among
    them share the better tier.  ``rank`` is the score rank of all graded customers,
    pinned or not.  With ``by``, pins count in their customer's group.
    :func:`custvalue.tiers.tier_report` gives target, pinned and actual counts per tier;
    ``attrs["quota_deviation"]`` the deviation per tier.

    Parameters
    ----------
    scores : pandas.Series
        Value score indexed by ``customer_id`` (unique strings); NaN = ungraded.
    pins : pandas.DataFrame
        Columns ``customer_id`` (or the index), ``tier`` (whole number, 0 = best) and
        ``reason`` (non-empty text), one row per pinned customer.
    quotas : sequence of float, default (0.10, 0.30, 0.50, 0.10)
        As in :func:`assign_tiers` (the article's 特级 10 % / 一级 30 % / 二级 50 % /
        三级 10 %).
    count_against_quota : bool, default True
        Whether pins take seats of the quota (see above).
    ties, labels, by
        As in :func:`assign_tiers`.

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`assign_tiers` plus ``pinned`` (bool), ``pin_reason``
        (string, ``<NA>`` if not pinned) and ``tier_unpinned`` (Int64: the tier without any
        pins, same quotas, ties and groups).  ``tier_note`` says ``pinned (quota order:
        tier t)`` for pins and ``moved by pins (tier t without pins)`` for unpinned
        customers whose tier the pins changed.  ``attrs`` as in :func:`assign_tiers` plus
        ``pins_count_against_quota``.

    Raises
    ------
    UnknownCustomerError
        A pinned customer is not in ``scores`` (table ``pins``, column ``customer_id``).
    InvalidValueError
        A pinned tier is not a whole number in ``0..len(quotas) - 1``, or a reason is
        missing.
    MissingColumnError, DuplicateRowsError, ColumnTypeError
        ``pins`` lacks a column, pins a customer twice or has non-text ids.
    SchemeError, InputError
        As in :func:`assign_tiers`.

    Examples
    --------
    Ten customers; the lowest scorer, a hospital, is pinned to 特级:

    >>> import pandas as pd
    >>> from custvalue.tiers import apply_pins
    >>> scores = pd.Series({f"c{i:02d}": 100.0 - 10 * i for i in range(1, 11)})
    >>> pins = pd.DataFrame({"customer_id": ["c10"], "tier": [0], "reason": ["hospital"]})
    >>> res = apply_pins(scores, pins)
    >>> res["tier"].tolist()
    [1, 1, 1, 2, 2, 2, 2, 2, 3, 0]
    >>> res["tier_unpinned"].tolist()
    [0, 1, 1, 1, 2, 2, 2, 2, 2, 3]
    >>> audit = ["pinned", "pin_reason", "tier_note"]
    >>> res.loc[["c01", "c10"], audit]  # doctest: +NORMALIZE_WHITESPACE
                 pinned pin_reason                            tier_note
    customer_id
    c01           False       <NA>  moved by pins (tier 0 without pins)
    c10            True   hospital         pinned (quota order: tier 3)

    The hospital took the one 特级 seat; everyone else moved down one seat.  With the pin
    on top of the quota instead, 9 customers share [1, 3, 4, 1] seats and 特级 has two:

    >>> apply_pins(scores, pins, count_against_quota=False)["tier"].tolist()
    [0, 1, 1, 1, 2, 2, 2, 2, 3, 0]
    """
    shares = rational_quotas(quotas)
    k = len(shares)
    ties = check_ties(ties)
    lab = check_labels(labels, k)
    by = by_series(by, scores)
    values = check_scores(scores)
    checked = _check_pins(pins, values.index, k)
    code, groups, n_groups = group_codes(by, values.index)
    score = values.to_numpy(dtype=np.float64)

    pin_tier = checked["tier"].reindex(values.index).fillna(-1).to_numpy(dtype=np.int64)
    reason = checked["reason"].reindex(values.index)
    pinned = pin_tier >= 0

    free = assign_kernel(score, code, n_groups, shares, ties)
    out = assign_kernel(score, code, n_groups, shares, ties, pin_tier, count_against_quota)
    tier, qtier, unpinned_tier = out["tier"], out["quota_tier"], free["tier"]

    graded = ~np.isnan(score)
    moved = ~pinned & (tier >= 0) & (tier != unpinned_tier)
    notes = [
        note_part(tier < 0, "ungraded: no score"),
        note_part(pinned & ~graded, "pinned (ungraded)"),
        note_part(pinned & graded, tier_texts("pinned (quota order: tier ", k, ")"),
                  unpinned_tier),
        note_part(moved, tier_texts("moved by pins (tier ", k, " without pins)"), unpinned_tier),
        note_tie_moved(tier, qtier, k),
    ]

    result = build_frame(values.index, out, lab, groups, notes)
    result["pinned"] = pinned
    result["pin_reason"] = pd.array(reason.to_numpy(dtype=object), dtype="string")
    result["tier_unpinned"] = int_column(unpinned_tier, -1)
    attrs = tier_attrs(quotas, ties, lab, out)
    attrs["pins_count_against_quota"] = bool(count_against_quota)
    result.attrs = attrs
    return result
