"""ABC by count quota and by Pareto share of value, incl. exact cut points."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custvalue.errors import InputError, SchemeError
from custvalue.tiers import abc_by_count, abc_by_value, tier_sizes


def series(values: dict[str, float]) -> pd.Series:
    return pd.Series(values, dtype=float)


def letters(s: pd.Series) -> list[object]:
    return [x if isinstance(x, str) else None for x in s.astype(object)]


values_st = st.lists(
    st.text("abcdef0123", min_size=1, max_size=4), unique=True, max_size=50
).flatmap(
    lambda keys: st.lists(
        st.one_of(st.integers(-5, 40).map(float), st.just(math.nan)),
        min_size=len(keys),
        max_size=len(keys),
    ).map(lambda vals: pd.Series(vals, index=pd.Index(keys, dtype=object), dtype=float))
)


# --------------------------------------------------------------------------- by value


def test_exact_cut_points_40_40_10_5_5() -> None:
    res = abc_by_value(series({"a": 40, "b": 40, "c": 10, "d": 5, "e": 5}), shares=True)
    assert letters(res["abc"]) == ["A", "A", "B", "B", "C"]
    assert res["cum_share"].tolist() == pytest.approx([0.4, 0.8, 0.9, 0.95, 1.0])
    assert res["cum_share_before"].tolist() == pytest.approx([0.0, 0.4, 0.8, 0.9, 0.95])
    # b brings the cumulative share to exactly 0.80 -> A; c starts at exactly 0.80 -> B;
    # e starts at exactly 0.95 -> C
    assert res.loc["b", "cum_share"] == 0.8
    assert res.loc["c", "cum_share_before"] == 0.8


def test_exact_cut_points_survive_float_rounding() -> None:
    # 0.4 + 0.4 + 0.1 + 0.05 + 0.05 is not exactly 1.0 in binary
    res = abc_by_value(series({"a": 0.4, "b": 0.4, "c": 0.1, "d": 0.05, "e": 0.05}))
    assert letters(res) == ["A", "A", "B", "B", "C"]
    scaled = abc_by_value(series({"a": 4e-7, "b": 4e-7, "c": 1e-7, "d": 5e-8, "e": 5e-8}))
    assert letters(scaled) == ["A", "A", "B", "B", "C"]


def test_the_customer_that_crosses_a_cut_is_still_in_the_better_class() -> None:
    # cumulative shares .50 .85 1.00: b crosses 80 % (before .50) -> A; c starts at .85 -> B
    res = abc_by_value(series({"a": 50, "b": 35, "c": 15}))
    assert letters(res) == ["A", "A", "B"]
    # one customer with 90 % of the value is A (A is never empty)
    res = abc_by_value(series({"a": 90, "b": 5, "c": 5}))
    assert letters(res) == ["A", "B", "C"]


def test_equal_values_at_a_cut_are_split_by_customer_id() -> None:
    res = abc_by_value(series({"y": 40, "x": 40, "z": 20}), cuts=(0.4, 0.8))
    assert letters(res) == ["A", "B", "C"]  # x (before 0) A, y (before .4) B, z (before .8) C


def test_non_positive_values_are_always_c_and_shares_use_the_positive_total() -> None:
    res = abc_by_value(series({"a": 60, "b": 40, "z": 0, "n": -50, "m": math.nan}), shares=True)
    # ids sorted: a, b, m, n, z; b starts at .60 < .80 so it is A too
    assert letters(res["abc"]) == ["A", "A", None, "C", "C"]
    assert res.loc["a", "share"] == 0.6
    assert res.loc["n", "share"] == -0.5
    assert res.loc["z", "share"] == 0.0
    assert np.isnan(res.loc[["n", "z", "m"], "cum_share"]).all()
    assert res.loc["b", "cum_share"] == 1.0


def test_all_non_positive() -> None:
    res = abc_by_value(series({"a": 0, "b": -1}), shares=True)
    assert letters(res["abc"]) == ["C", "C"]
    assert res["share"].isna().all()


def test_output_type_and_order() -> None:
    res = abc_by_value(series({"b": 1.0, "a": 3.0}))
    assert isinstance(res.dtype, pd.CategoricalDtype)
    assert res.dtype.ordered
    assert list(res.cat.categories) == ["A", "B", "C"]
    assert res.name == "abc"
    assert list(res.index) == ["a", "b"]
    assert res.index.name == "customer_id"
    frame = abc_by_value(series({"b": 1.0, "a": 3.0}), shares=True)
    assert list(frame.columns) == ["abc", "share", "cum_share_before", "cum_share"]
    assert abc_by_value(pd.Series([], dtype=float, index=pd.Index([], dtype=object))).empty


def test_equal_cuts_leave_b_empty() -> None:
    res = abc_by_value(series({"a": 50, "b": 30, "c": 20}), cuts=(0.8, 0.8))
    assert letters(res) == ["A", "A", "C"]


@pytest.mark.parametrize("cuts", [(0.0, 0.9), (0.9, 0.8), (0.8, 1.1), (0.8,), "ab", None])
def test_bad_cuts(cuts: object) -> None:
    with pytest.raises(SchemeError) as info:
        abc_by_value(series({"a": 1.0}), cuts=cuts)  # type: ignore[arg-type]
    assert info.value.path == "abc.cuts"


def test_bad_values() -> None:
    with pytest.raises(InputError) as info:
        abc_by_value(pd.Series([1.0, 2.0], index=["a", "a"]))
    assert info.value.table == "values"


@settings(max_examples=100, deadline=None)
@given(values=values_st, data=st.data())
def test_by_value_properties(values: pd.Series, data) -> None:
    res = abc_by_value(values, shares=True)
    assert list(res.index) == sorted(values.index)
    v = values.reindex(res.index)
    cls = res["abc"]
    assert (cls[v <= 0] == "C").all()
    assert cls[v.isna()].isna().all()
    # a higher value never gets a worse class
    codes = cls.cat.codes.to_numpy()
    known = v.notna().to_numpy()
    x = v.to_numpy()[known]
    c = codes[known]
    assert not np.any((x[:, None] > x[None, :]) & (c[:, None] > c[None, :]))
    positive = v[v > 0]
    if len(positive):
        total = Fraction(int(positive.sum()))
        share_a = Fraction(int(positive[cls[positive.index] == "A"].sum())) / total
        share_ab = Fraction(int(positive[cls[positive.index] != "C"].sum())) / total
        assert share_a >= Fraction(4, 5)  # A is the smallest top set reaching 80 %
        assert share_ab >= Fraction(19, 20)
        # dropping the last A customer leaves A below 80 %
        a_members = res.loc[cls == "A"].sort_values("cum_share_before")
        last = a_members.index[-1]
        assert share_a - Fraction(int(v[last])) / total < Fraction(4, 5)
    perm = data.draw(st.permutations(range(len(values))))
    pd.testing.assert_frame_equal(res, abc_by_value(values.iloc[list(perm)], shares=True))


# --------------------------------------------------------------------------- by count


def test_by_count_default_quotas() -> None:
    revenue = series({f"c{i:03d}": float(1000 - i) for i in range(100)})
    res = abc_by_count(revenue)
    assert res.value_counts(sort=False).tolist() == [5, 15, 80]
    assert letters(res.iloc[:6]) == ["A"] * 5 + ["B"]


@pytest.mark.parametrize(
    ("n", "counts"),
    [(1, [0, 0, 1]), (2, [0, 0, 2]), (7, [0, 1, 6]), (10, [1, 1, 8]), (11, [0, 2, 9])],
)
def test_by_count_tiny_n(n: int, counts: list[int]) -> None:
    res = abc_by_count(series({f"c{i}": float(n - i) for i in range(n)}))
    assert res.value_counts(sort=False).tolist() == counts
    assert counts == tier_sizes(n, (0.05, 0.15, 0.80)).tolist()


def test_by_count_ties_and_nan() -> None:
    values = series(
        {"a": 9, "b": 5, "c": 5, "d": 1, "e": math.nan, **{f"z{i}": 0 for i in range(6)}}
    )
    # 10 valued customers -> [1, 1, 8]; b and c tie on the B/C cut
    assert letters(abc_by_count(values))[:5] == ["A", "B", "C", "C", None]
    assert letters(abc_by_count(values, ties="together"))[:5] == ["A", "B", "B", "C", None]


def test_by_count_bad_quotas() -> None:
    with pytest.raises(SchemeError) as info:
        abc_by_count(series({"a": 1.0}), quotas=(0.5, 0.5))
    assert info.value.path == "abc.quotas"
    with pytest.raises(SchemeError) as info:
        abc_by_count(series({"a": 1.0}), quotas=(0.5, 0.6, 0.1))
    assert info.value.path == "abc.quotas"


@settings(max_examples=100, deadline=None)
@given(values=values_st, data=st.data())
def test_by_count_properties(values: pd.Series, data) -> None:
    res = abc_by_count(values)
    counts = res.value_counts(sort=False).tolist()
    assert counts == tier_sizes(int(values.notna().sum()), (0.05, 0.15, 0.80)).tolist()
    assert res.isna().sum() == values.isna().sum()
    perm = data.draw(st.permutations(range(len(values))))
    pd.testing.assert_series_equal(res, abc_by_count(values.iloc[list(perm)]))
