"""Pins: pinned tiers with audit columns, both quota modes, overflow, errors."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custvalue.errors import (
    ColumnTypeError,
    DuplicateRowsError,
    InputError,
    InvalidValueError,
    MissingColumnError,
    UnknownCustomerError,
)
from custvalue.tiers import apply_pins, assign_tiers, tier_report, tier_sizes


def ranked(n: int) -> pd.Series:
    """c01 best ... cNN worst."""
    return pd.Series({f"c{i:02d}": float(1000 - i) for i in range(1, n + 1)})


def pin_frame(rows: list[tuple[str, int]], reason: str = "key account") -> pd.DataFrame:
    return pd.DataFrame(
        {"customer_id": [c for c, _ in rows], "tier": [t for _, t in rows], "reason": reason}
    )


def counts(res: pd.DataFrame, k: int = 4) -> list[int]:
    return res["tier"].value_counts().reindex(range(k), fill_value=0).tolist()


def reference_pinned(scores: pd.Series, pins: dict[str, int], quotas, count_against: bool):
    """Greedy restatement: walk the tiers best first; each tier takes unpinned customers in
    rank order until the tiers so far hold their cumulative target (the last takes the rest).
    """
    k = len(quotas)
    graded = scores.dropna()
    free = sorted((c for c in graded.index if c not in pins), key=lambda c: (-graded[c], c))
    if not count_against:
        alone = assign_tiers(graded.loc[free], quotas)
        return {**alone["tier"].astype(int).to_dict(), **pins}
    base = len(free) + len(pins)
    cum_target = np.cumsum(tier_sizes(base, quotas))
    out = dict(pins)
    held = 0
    for t in range(k):
        held += sum(1 for v in pins.values() if v == t)
        take = len(free) if t == k - 1 else max(0, min(int(cum_target[t]) - held, len(free)))
        out.update({c: t for c in free[:take]})
        held += take
        free = free[take:]
    return out


# --------------------------------------------------------------------------- modes


def test_pin_takes_a_seat() -> None:
    scores = ranked(10)
    res = apply_pins(scores, pin_frame([("c10", 0)], "hospital"))
    assert res["tier"].tolist() == [1, 1, 1, 2, 2, 2, 2, 2, 3, 0]
    assert res["tier_unpinned"].tolist() == assign_tiers(scores)["tier"].tolist()
    assert counts(res) == [1, 3, 5, 1]
    assert res["pinned"].tolist() == [False] * 9 + [True]
    assert res.loc["c10", "pin_reason"] == "hospital"
    assert res["pin_reason"].isna().sum() == 9
    assert res.loc["c10", "tier_note"] == "pinned (quota order: tier 3)"
    assert res.loc["c01", "tier_note"] == "moved by pins (tier 0 without pins)"
    assert pd.isna(res.loc["c02", "tier_note"])
    assert res.attrs["pins_count_against_quota"] is True
    assert res.attrs["quota_deviation"] == {0: 0, 1: 0, 2: 0, 3: 0}
    assert list(res.columns) == [
        "rank",
        "tier",
        "tier_zh",
        "tier_en",
        "tier_note",
        "pinned",
        "pin_reason",
        "tier_unpinned",
    ]
    assert res["rank"].tolist() == list(range(1, 11))


def test_pin_on_top_of_the_quota() -> None:
    scores = ranked(10)
    res = apply_pins(scores, pin_frame([("c10", 0)]), count_against_quota=False)
    rest = assign_tiers(scores.drop(index="c10"))
    assert res.loc[rest.index, "tier"].tolist() == rest["tier"].tolist()
    assert res["tier"].tolist() == [0, 1, 1, 1, 2, 2, 2, 2, 3, 0]
    report = tier_report(res)
    assert report["base"].tolist() == [9] * 4
    assert report["target"].tolist() == [1, 3, 4, 1]
    assert report["pinned"].tolist() == [1, 0, 0, 0]
    assert report["deviation"].tolist() == [1, 0, 0, 0]
    assert res.attrs["quota_deviation"] == {0: 1, 1: 0, 2: 0, 3: 0}


def test_overflow_of_the_best_tier_shrinks_the_next_tier() -> None:
    scores = ranked(20)  # target [2, 6, 10, 2]
    pins = pin_frame([("c17", 0), ("c18", 0), ("c19", 0), ("c20", 0)])
    res = apply_pins(scores, pins)
    assert counts(res) == [4, 4, 10, 2]
    assert res.loc[["c01", "c02"], "tier"].tolist() == [1, 1]  # no unpinned seat left in 0
    report = tier_report(res)
    assert report["target"].tolist() == [2, 6, 10, 2]
    assert report["actual"].tolist() == [4, 4, 10, 2]
    assert report["deviation"].tolist() == [2, -2, 0, 0]
    assert res.attrs["quota_deviation"] == {0: 2, 1: -2, 2: 0, 3: 0}


def test_overflow_of_a_middle_tier_keeps_the_better_tier_full() -> None:
    scores = ranked(20)
    pins = pin_frame([(f"c{i:02d}", 1) for i in range(11, 21)])  # 10 pins into 一级 (target 6)
    res = apply_pins(scores, pins)
    assert counts(res) == [2, 10, 6, 2]
    assert res.loc[["c01", "c02"], "tier"].tolist() == [0, 0]


def test_overflow_of_the_worst_tier_shrinks_the_tier_above() -> None:
    scores = ranked(20)
    pins = pin_frame([("c01", 3), ("c02", 3), ("c03", 3), ("c04", 3)])
    res = apply_pins(scores, pins)
    assert counts(res) == [2, 6, 8, 4]
    assert tier_report(res)["deviation"].tolist() == [0, 0, -2, 2]


def test_pins_within_quota_leave_counts_at_target() -> None:
    scores = ranked(20)
    pins = pin_frame([("c20", 0), ("c01", 2), ("c05", 1)])
    res = apply_pins(scores, pins)
    assert counts(res) == [2, 6, 10, 2]
    assert res.loc[["c20", "c01", "c05"], "tier"].tolist() == [0, 2, 1]


def test_ungraded_customer_can_be_pinned() -> None:
    scores = ranked(9)
    scores["new"] = math.nan
    res = apply_pins(scores, pin_frame([("new", 0)], "newly connected hospital"))
    assert res.loc["new", "tier"] == 0
    assert pd.isna(res.loc["new", "rank"])
    assert pd.isna(res.loc["new", "tier_unpinned"])
    assert res.loc["new", "tier_note"] == "pinned (ungraded)"
    assert counts(res) == [1, 3, 5, 1]  # base is 10: 9 graded + 1 pinned
    off = apply_pins(scores, pin_frame([("new", 0)], "x"), count_against_quota=False)
    assert counts(off) == [2, 3, 4, 1]  # 9 graded -> [1, 3, 4, 1], plus the pin


def test_no_pins_equals_assign_tiers() -> None:
    scores = ranked(13)
    empty = pin_frame([])
    res = apply_pins(scores, empty, ties="together")
    plain = assign_tiers(scores, ties="together")
    pd.testing.assert_frame_equal(res[plain.columns], plain)
    assert not res["pinned"].any()


def test_pins_given_with_customer_id_as_index() -> None:
    scores = ranked(10)
    pins = pin_frame([("c10", 0)]).set_index("customer_id")
    assert apply_pins(scores, pins).loc["c10", "tier"] == 0


def test_pins_with_ties_together() -> None:
    scores = pd.Series({"a": 9.0, "b": 8.0, "c": 7.0, "d": 7.0, "e": 5.0, "p": 1.0})
    # base 6 -> target [1, 2, 3, 0]; p pinned to 0 -> unpinned seats [0, 2, 3, 0]
    res = apply_pins(scores, pin_frame([("p", 0)]), ties="together")
    assert res.loc[["a", "b", "c", "d", "e", "p"], "tier"].tolist() == [1, 1, 2, 2, 2, 0]
    scores["c"] = 8.0  # b and c tie on the cut between tier 1 and 2
    res = apply_pins(scores, pin_frame([("p", 0)]), ties="together")
    assert res.loc[["a", "b", "c", "d"], "tier"].tolist() == [1, 1, 1, 2]
    assert "tie at a quota cut" in res.loc["c", "tier_note"]


def test_pins_by_group() -> None:
    scores = ranked(20)
    by = pd.Series(["n", "s"] * 10, index=scores.index)
    pins = pin_frame([("c19", 0), ("c20", 0), ("c18", 1)])
    res = apply_pins(scores, pins, by=by)
    for name in ("n", "s"):
        members = by.index[by == name]
        own = pins[pins["customer_id"].isin(members)]
        alone = apply_pins(scores.loc[members], own)
        part = res.loc[members, alone.columns]
        pd.testing.assert_frame_equal(part, alone, check_names=False, check_categorical=False)


# --------------------------------------------------------------------------- errors


def test_unknown_customer() -> None:
    with pytest.raises(UnknownCustomerError) as info:
        apply_pins(ranked(5), pin_frame([("c01", 0), ("zz", 1)]))
    err = info.value
    assert isinstance(err, InputError)
    assert err.table == "pins"
    assert err.column == "customer_id"
    assert err.examples == [{"customer_id": "zz", "tier": 1, "reason": "key account"}]
    assert err.fix
    assert "zz" in str(err)


@pytest.mark.parametrize("tier", [4, -1, 1.5, "特级客户", None, True])
def test_invalid_tier(tier: object) -> None:
    pins = pd.DataFrame({"customer_id": ["c01"], "tier": [tier], "reason": ["x"]})
    with pytest.raises(InvalidValueError) as info:
        apply_pins(ranked(5), pins)
    assert info.value.table == "pins"
    assert info.value.column == "tier"


def test_tier_read_from_float_column() -> None:
    pins = pd.DataFrame({"customer_id": ["c05"], "tier": [0.0], "reason": ["x"]})
    assert apply_pins(ranked(5), pins).loc["c05", "tier"] == 0


def test_tier_must_exist_for_the_quotas() -> None:
    with pytest.raises(InvalidValueError):
        apply_pins(ranked(5), pin_frame([("c01", 2)]), (0.5, 0.5))


@pytest.mark.parametrize("reason", [None, "", "  ", 3])
def test_reason_is_required(reason: object) -> None:
    pins = pd.DataFrame({"customer_id": ["c01"], "tier": [0], "reason": [reason]})
    with pytest.raises(InvalidValueError) as info:
        apply_pins(ranked(5), pins)
    assert info.value.column == "reason"


def test_missing_column_duplicates_and_id_type() -> None:
    with pytest.raises(MissingColumnError) as info:
        apply_pins(ranked(5), pd.DataFrame({"customer_id": ["c01"], "tier": [0]}))
    assert info.value.column == "reason"
    with pytest.raises(DuplicateRowsError):
        apply_pins(ranked(5), pin_frame([("c01", 0), ("c01", 1)]))
    with pytest.raises(ColumnTypeError):
        apply_pins(ranked(5), pd.DataFrame({"customer_id": [1], "tier": [0], "reason": ["x"]}))
    with pytest.raises(InputError):
        apply_pins(ranked(5), [("c01", 0, "x")])  # type: ignore[arg-type]


# --------------------------------------------------------------------------- properties


@st.composite
def pinned_cases(draw):
    n = draw(st.integers(0, 40))
    ids = [f"c{i:02d}" for i in range(n)]
    values = draw(
        st.lists(st.one_of(st.integers(0, 8).map(float), st.just(math.nan)), min_size=n, max_size=n)
    )
    scores = pd.Series(values, index=pd.Index(ids, dtype=object), dtype=float)
    chosen = draw(st.lists(st.sampled_from(ids), unique=True, max_size=n)) if n else []
    pins = {c: draw(st.integers(0, 3)) for c in chosen}
    return scores, pins


@settings(max_examples=100, deadline=None)
@given(case=pinned_cases(), count_against=st.booleans(), data=st.data())
def test_pins_match_reference(case, count_against: bool, data) -> None:
    scores, pins = case
    frame = pin_frame(sorted(pins.items()))
    res = apply_pins(scores, frame, count_against_quota=count_against)
    expected = reference_pinned(scores, pins, (0.1, 0.3, 0.5, 0.1), count_against)
    got = res["tier"].dropna().astype(int).to_dict()
    assert got == expected
    # audit columns
    assert res["pinned"].sum() == len(pins)
    assert res["tier_unpinned"].tolist() == assign_tiers(scores)["tier"].tolist()
    for c, t in pins.items():
        assert res.loc[c, "tier"] == t
    # deviation only where pins overflow (count against) or pins themselves (on top)
    report = tier_report(res)
    if count_against and (report["pinned"] <= report["target"]).all():
        assert (report["deviation"] == 0).all()
    if not count_against:
        assert report["deviation"].tolist() == report["pinned"].tolist()
    # shuffling rows of scores and pins changes nothing
    perm = data.draw(st.permutations(range(len(scores))))
    again = apply_pins(scores.iloc[list(perm)], frame.iloc[::-1], count_against_quota=count_against)
    pd.testing.assert_frame_equal(res, again)
