"""Tier sizes (largest remainder), assign_tiers (tie rules, tiny N, strata) and tier_report."""

from __future__ import annotations

import doctest
import math
from fractions import Fraction
from pathlib import Path

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
    SchemeError,
    UnsupportedInputError,
)
from custvalue.tiers import (
    DEFAULT_QUOTAS,
    assign_tiers,
    tier_report,
    tier_sizes,
)

DOCS = Path(__file__).resolve().parents[2] / "docs" / "tiers.md"


# --------------------------------------------------------------------------- reference


def reference_sizes(n: int, weights: list[int]) -> list[int]:
    """Hamilton's method in exact fractions, written independently of the library."""
    total = sum(weights)
    quotas = [Fraction(w, total) * n for w in weights]
    sizes = [q.numerator // q.denominator for q in quotas]
    remainders = [q - s for q, s in zip(quotas, sizes, strict=True)]
    for _ in range(n - sum(sizes)):
        best = max(range(len(weights)), key=lambda i: (remainders[i], -i))
        sizes[best] += 1
        remainders[best] = Fraction(-1)
    return sizes


weights_st = st.lists(st.integers(0, 1000), min_size=1, max_size=8).filter(lambda w: sum(w) > 0)


def scores_st(max_size: int = 60, nan: bool = True) -> st.SearchStrategy[pd.Series]:
    """Scores on a coarse grid (many ties), some NaN, string ids in random order."""
    value = st.integers(0, 12).map(float)
    if nan:
        value = st.one_of(value, value, value, st.just(math.nan))
    ids = st.lists(st.text("abcxyz0189", min_size=1, max_size=4), unique=True, max_size=max_size)
    return ids.flatmap(
        lambda keys: st.lists(value, min_size=len(keys), max_size=len(keys)).map(
            lambda vals: pd.Series(vals, index=pd.Index(keys, dtype=object), dtype=float)
        )
    )


def series(values: dict[str, float]) -> pd.Series:
    return pd.Series(values, dtype=float)


# --------------------------------------------------------------------------- tier_sizes


@settings(max_examples=300, deadline=None)
@given(n=st.integers(0, 2000), weights=weights_st)
def test_sizes_equal_reference_largest_remainder(n: int, weights: list[int]) -> None:
    quotas = [w / sum(weights) for w in weights]
    sizes = tier_sizes(n, quotas)
    assert sizes.tolist() == reference_sizes(n, weights)
    assert sizes.sum() == n
    assert np.all(np.abs(sizes - n * np.asarray(quotas)) < 1)


@settings(max_examples=200, deadline=None)
@given(n=st.integers(0, 2000), weights=weights_st)
def test_sizes_of_decimal_quotas_equal_reference(n: int, weights: list[int]) -> None:
    # quotas written as decimals (percent), e.g. 0.1 / 0.3 / 0.5 / 0.1: ties are exact ties
    percent = np.floor(100 * np.asarray(weights) / sum(weights)).astype(int)
    percent[-1] += 100 - percent.sum()
    quotas = [int(p) / 100 for p in percent]
    assert tier_sizes(n, quotas).tolist() == reference_sizes(n, [int(p) for p in percent])


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (0, [0, 0, 0, 0]),
        (1, [0, 0, 1, 0]),
        (2, [0, 1, 1, 0]),
        (3, [0, 1, 2, 0]),
        (4, [1, 1, 2, 0]),
        (5, [1, 2, 2, 0]),
        (7, [1, 2, 3, 1]),
        (10, [1, 3, 5, 1]),
        (15, [2, 5, 7, 1]),
        (100, [10, 30, 50, 10]),
    ],
)
def test_sizes_tiny_n_default_quotas(n: int, expected: list[int]) -> None:
    assert tier_sizes(n).tolist() == expected


def test_default_quotas_repeat_every_ten_and_never_shrink() -> None:
    previous = tier_sizes(0)
    for n in range(1, 200):
        sizes = tier_sizes(n)
        assert (sizes >= previous).all()
        assert (tier_sizes(n + 10) - sizes).tolist() == [1, 3, 5, 1]
        previous = sizes


def test_equal_remainders_go_to_the_better_tier() -> None:
    assert tier_sizes(5, (0.5, 0.5)).tolist() == [3, 2]
    assert tier_sizes(1, (0.25, 0.25, 0.25, 0.25)).tolist() == [1, 0, 0, 0]
    assert tier_sizes(2, (1 / 3, 1 / 3, 1 / 3)).tolist() == [1, 1, 0]
    # 0.1 and 0.3 are read as 1/10 and 3/10: n=5 gives remainders .5 .5 .5 .5 exactly
    assert tier_sizes(5, (0.1, 0.3, 0.5, 0.1)).tolist() == [1, 2, 2, 0]


@pytest.mark.parametrize(
    "quotas",
    [(), (0.5, 0.6), (0.5, 0.4), (-0.1, 1.1), (float("nan"), 1.0), ("a", 1.0), "0.5", 1.0],
)
def test_bad_quotas_raise_scheme_error(quotas: object) -> None:
    with pytest.raises(SchemeError) as info:
        tier_sizes(10, quotas)  # type: ignore[arg-type]
    assert info.value.path == "tiers.quotas"


def test_quotas_within_tolerance_are_accepted() -> None:
    assert tier_sizes(10, (0.1, 0.3, 0.5, 0.1 + 5e-10)).tolist() == [1, 3, 5, 1]
    assert tier_sizes(10, np.array([0.25, 0.75])).tolist() == [3, 7]
    assert tier_sizes(10, (Fraction(1, 4), Fraction(3, 4))).tolist() == [3, 7]


@pytest.mark.parametrize("n", [-1, 1.5, True, "3"])
def test_bad_n(n: object) -> None:
    with pytest.raises((TypeError, ValueError)):
        tier_sizes(n)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- assign_tiers


def test_output_columns_dtypes_and_order() -> None:
    res = assign_tiers(series({"b": 2.0, "a": 1.0, "c": math.nan}))
    assert list(res.index) == ["a", "b", "c"]
    assert res.index.name == "customer_id"
    assert list(res.columns) == ["rank", "tier", "tier_zh", "tier_en", "tier_note"]
    assert str(res["rank"].dtype) == "Int64"
    assert str(res["tier"].dtype) == "Int64"
    assert res.loc["c", "tier_note"] == "ungraded: no score"
    assert res.loc["c", ["rank", "tier", "tier_zh"]].isna().all()
    assert res.attrs["quotas"] == DEFAULT_QUOTAS
    assert res.attrs["ties"] == "stable"


@pytest.mark.parametrize(
    ("n", "tiers", "zh"),
    [
        (1, [2], ["二级客户"]),
        (2, [1, 2], ["一级客户", "二级客户"]),
        (3, [1, 2, 2], ["一级客户", "二级客户", "二级客户"]),
        (
            7,
            [0, 1, 1, 2, 2, 2, 3],
            ["特级客户", "一级客户", "一级客户"] + ["二级客户"] * 3 + ["三级客户"],
        ),
    ],
)
def test_tiny_n(n: int, tiers: list[int], zh: list[str]) -> None:
    scores = series({f"c{i}": float(100 - i) for i in range(n)})
    res = assign_tiers(scores)
    assert res["tier"].tolist() == tiers
    assert res["tier_zh"].tolist() == zh
    assert res["rank"].tolist() == list(range(1, n + 1))


def test_nan_scores_are_not_in_the_quota_base() -> None:
    graded = {f"c{i:02d}": float(i) for i in range(10)}
    with_nan = {**graded, "x1": math.nan, "x2": math.nan, "x3": math.nan}
    a = assign_tiers(series(graded))
    b = assign_tiers(series(with_nan))
    assert b.loc[a.index, "tier"].tolist() == a["tier"].tolist()
    assert b["tier"].value_counts().sort_index().tolist() == [1, 3, 5, 1]


def test_tie_at_a_boundary_both_rules() -> None:
    # 10 customers -> sizes [1, 3, 5, 1]; d and e tie on the cut between tier 1 and tier 2
    scores = series(
        {"a": 99, "b": 90, "c": 80, "e": 70, "d": 70, "f": 60, "g": 50, "h": 40, "i": 30, "j": 1}
    )
    stable = assign_tiers(scores)
    assert stable.loc[["d", "e"], "tier"].tolist() == [1, 2]  # split by customer_id
    assert stable.loc[["d", "e"], "rank"].tolist() == [4, 5]
    assert stable["tier"].value_counts().sort_index().tolist() == [1, 3, 5, 1]
    assert stable.attrs["quota_deviation"] == {0: 0, 1: 0, 2: 0, 3: 0}
    assert stable["tier_note"].isna().all()

    together = assign_tiers(scores, ties="together")
    assert together.loc[["d", "e"], "tier"].tolist() == [1, 1]  # both move up
    assert together.loc[["d", "e"], "rank"].tolist() == [4, 5]  # rank is unchanged
    assert together["tier"].value_counts().sort_index().tolist() == [1, 4, 4, 1]
    assert together.attrs["quota_deviation"] == {0: 0, 1: 1, 2: -1, 3: 0}
    assert together.loc["e", "tier_note"] == (
        "tie at a quota cut: shares tier 1 with an equal score (quota order: tier 2)"
    )
    assert together.drop(index="e")["tier_note"].isna().all()
    report = tier_report(together)
    assert report["target"].tolist() == [1, 3, 5, 1]
    assert report["actual"].tolist() == [1, 4, 4, 1]
    assert report["deviation"].tolist() == [0, 1, -1, 0]


def test_together_tie_over_several_cuts_takes_the_best_tier() -> None:
    scores = series({f"c{i}": (10.0 if i == 0 else 5.0) for i in range(10)})
    res = assign_tiers(scores, ties="together")
    assert res["tier"].tolist() == [0] + [1] * 9
    assert res.attrs["quota_deviation"] == {0: 0, 1: 6, 2: -5, 3: -1}


def test_labels_sequence_mapping_and_generated() -> None:
    scores = series({"a": 3.0, "b": 2.0, "c": 1.0})
    res = assign_tiers(scores, (0.34, 0.33, 0.33), labels=[("甲", "A"), ("乙", "B"), ("丙", "C")])
    assert res["tier_en"].tolist() == ["A", "B", "C"]
    res = assign_tiers(scores, (0.5, 0.5), labels={1: ("低", "low"), 0: ("高", "high")})
    assert res["tier_en"].tolist() == ["high", "high", "low"]
    res = assign_tiers(scores, (0.5, 0.5))
    assert res["tier_en"].tolist() == ["tier 0", "tier 0", "tier 1"]
    assert res["tier_zh"].tolist() == ["第1级", "第1级", "第2级"]


@pytest.mark.parametrize(
    "labels", [[("a", "b")], {0: ("a", "b")}, [("a", "b", "c")] * 4, "abcd", [("a", 1)] * 4]
)
def test_bad_labels(labels: object) -> None:
    with pytest.raises(SchemeError) as info:
        assign_tiers(series({"a": 1.0}), labels=labels)  # type: ignore[arg-type]
    assert info.value.path == "tiers.labels"


def test_bad_ties() -> None:
    with pytest.raises(SchemeError) as info:
        assign_tiers(series({"a": 1.0}), ties="min")  # type: ignore[arg-type]
    assert info.value.path == "tiers.ties"


@pytest.mark.parametrize(
    ("scores", "error", "column"),
    [
        (pd.DataFrame({"score": [1.0]}, index=["a"]), UnsupportedInputError, None),
        (pd.Series([1.0, 2.0], index=["a", "a"]), DuplicateRowsError, "customer_id"),
        (pd.Series([1.0, 2.0], index=[1, 2]), ColumnTypeError, "customer_id"),
        (pd.Series(["x", "1"], index=["a", "b"], name="score"), ColumnTypeError, "score"),
        (pd.Series([True, False], index=["a", "b"]), ColumnTypeError, "value"),
        (pd.Series([1.0, np.inf], index=["a", "b"], name="score"), InvalidValueError, "score"),
    ],
)
def test_bad_scores(scores: object, error: type[InputError], column: str | None) -> None:
    with pytest.raises(error) as info:
        assign_tiers(scores)  # type: ignore[arg-type]
    assert info.value.table == "scores"
    assert info.value.column == column
    assert info.value.fix


def test_numeric_strings_and_nullable_floats_are_read() -> None:
    res = assign_tiers(pd.Series(["2", "1", None], index=["a", "b", "c"]))
    assert res["tier"].tolist() == [1, 2, pd.NA]
    res = assign_tiers(pd.Series([2.0, pd.NA, 1.0], index=["a", "b", "c"], dtype="Float64"))
    assert res["rank"].tolist() == [1, pd.NA, 2]


def test_empty_scores() -> None:
    res = assign_tiers(pd.Series([], dtype=float, index=pd.Index([], dtype=object)))
    assert res.empty
    assert list(res.columns) == ["rank", "tier", "tier_zh", "tier_en", "tier_note"]
    assert res.attrs["quota_deviation"] == {0: 0, 1: 0, 2: 0, 3: 0}


def test_attrs_are_plain_python_so_concat_works() -> None:
    a = assign_tiers(series({"a": 1.0, "b": 2.0}))
    b = assign_tiers(series({"c": 1.0}), ties="together")
    both = pd.concat([a, b])
    assert len(both) == 3


@settings(max_examples=100, deadline=None)
@given(scores=scores_st(), ties=st.sampled_from(["stable", "together"]), data=st.data())
def test_shuffling_rows_gives_identical_output(scores: pd.Series, ties: str, data) -> None:
    perm = data.draw(st.permutations(range(len(scores))))
    a = assign_tiers(scores, ties=ties)
    b = assign_tiers(scores.iloc[list(perm)], ties=ties)
    pd.testing.assert_frame_equal(a, b)
    assert a.attrs == b.attrs


@settings(max_examples=100, deadline=None)
@given(scores=scores_st())
def test_stable_invariants(scores: pd.Series) -> None:
    res = assign_tiers(scores)
    # every customer exactly once, sorted by customer_id
    assert list(res.index) == sorted(scores.index)
    graded = scores.dropna()
    # the sizes are exactly the quota sizes of the graded customers
    counts = res["tier"].value_counts().reindex(range(4), fill_value=0).tolist()
    assert counts == tier_sizes(len(graded)).tolist()
    assert res["tier"].isna().sum() == scores.isna().sum()
    # monotone: a higher score never gets a worse tier; rank orders (score desc, id asc)
    s = graded.reindex(res.index).to_numpy()
    t = res["tier"].to_numpy(dtype=float, na_value=np.nan)
    ok = ~np.isnan(s)
    higher = s[ok][:, None] > s[ok][None, :]
    assert not np.any(higher & (t[ok][:, None] > t[ok][None, :]))
    expected = sorted(graded.index, key=lambda c: (-graded[c], c))
    assert res["rank"].dropna().sort_values().index.tolist() == expected


@settings(max_examples=100, deadline=None)
@given(scores=scores_st())
def test_together_invariants(scores: pd.Series) -> None:
    res = assign_tiers(scores, ties="together")
    stable = assign_tiers(scores)
    graded = scores.dropna()
    tiers = res["tier"].dropna()
    # equal scores never split across tiers
    assert (tiers.groupby(graded.reindex(tiers.index)).nunique() == 1).all()
    # only moves up, and each tied block takes the best tier its members have under stable
    assert (tiers <= stable["tier"].dropna()).all()
    best = stable["tier"].dropna().groupby(graded).transform("min")
    assert (tiers == best.reindex(tiers.index)).all()
    # the top t+1 tiers hold at least their quota
    cum = np.cumsum(tier_sizes(len(graded)))
    for t in range(4):
        assert (tiers <= t).sum() >= cum[t]
    dev = res.attrs["quota_deviation"]
    assert sum(dev.values()) == 0
    report = tier_report(res)
    assert report["deviation"].tolist() == [dev[t] for t in range(4)]


# --------------------------------------------------------------------------- strata (by)


def groups_for(scores: pd.Series, data) -> pd.Series:
    labels = data.draw(
        st.lists(
            st.sampled_from(["north", "south", "east"]), min_size=len(scores), max_size=len(scores)
        )
    )
    return pd.Series(labels, index=scores.index, dtype=object)


@settings(max_examples=75, deadline=None)
@given(scores=scores_st(), ties=st.sampled_from(["stable", "together"]), data=st.data())
def test_by_equals_running_each_group_alone(scores: pd.Series, ties: str, data) -> None:
    by = groups_for(scores, data)
    res = assign_tiers(scores, ties=ties, by=by)
    assert list(res.columns) == [
        "group",
        "rank",
        "rank_overall",
        "tier",
        "tier_zh",
        "tier_en",
        "tier_note",
    ]
    assert res["group"].tolist() == by.reindex(res.index).tolist()
    for name, members in by.groupby(by).groups.items():
        alone = assign_tiers(scores.loc[members], ties=ties)
        part = res.loc[res["group"] == name, alone.columns]
        pd.testing.assert_frame_equal(part, alone, check_names=False, check_categorical=False)
    # the overall rank is the rank of a run without groups
    plain = assign_tiers(scores, ties=ties)
    assert res["rank_overall"].tolist() == plain["rank"].tolist()
    # per-group report sums to the quota deviation
    report = tier_report(res)
    per_tier = report.groupby("tier")["deviation"].sum().reindex(range(4), fill_value=0)
    assert per_tier.tolist() == [res.attrs["quota_deviation"][t] for t in range(4)]


def test_by_hand_example() -> None:
    scores = series({f"c{i:02d}": 100.0 - 10 * i for i in range(1, 11)})
    by = pd.Series(["n", "s"] * 5, index=scores.index)
    res = assign_tiers(scores, by=by)
    # each group of 5 gets sizes [1, 2, 2, 0]
    assert res["tier"].tolist() == [0, 0, 1, 1, 1, 1, 2, 2, 2, 2]
    assert res["rank"].tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert res["rank_overall"].tolist() == list(range(1, 11))
    report = tier_report(res)
    assert report["group"].tolist() == ["n"] * 4 + ["s"] * 4
    assert report["target"].tolist() == [1, 2, 2, 0] * 2


def test_by_as_array_and_extra_customers() -> None:
    scores = series({"b": 1.0, "a": 2.0, "c": 3.0})
    arr = assign_tiers(scores, by=["x", "y", "x"])  # by row of scores: b=x, a=y, c=x
    assert arr["group"].tolist() == ["y", "x", "x"]
    by = pd.Series({"a": "y", "b": "x", "c": "x", "zz": "x"})  # zz is ignored
    pd.testing.assert_frame_equal(arr, assign_tiers(scores, by=by))


def test_by_errors() -> None:
    scores = series({"a": 1.0, "b": 2.0})
    with pytest.raises(InvalidValueError) as info:
        assign_tiers(scores, by=pd.Series({"a": "x"}, name="region"))
    assert info.value.table == "by"
    assert info.value.column == "region"
    assert info.value.examples == [{"customer_id": "b"}]
    with pytest.raises(InvalidValueError):
        assign_tiers(scores, by=pd.Series({"a": "x", "b": None}))
    with pytest.raises(UnsupportedInputError):
        assign_tiers(scores, by=["x"])
    with pytest.raises(UnsupportedInputError):
        assign_tiers(scores, by="region")


def test_report_needs_quotas() -> None:
    res = assign_tiers(series({"a": 1.0}))
    res.attrs = {}
    with pytest.raises(ValueError, match="quotas"):
        tier_report(res)
    assert tier_report(res, DEFAULT_QUOTAS)["target"].tolist() == [0, 0, 1, 0]


# --------------------------------------------------------------------------- docs


def test_tiers_doc_examples_run() -> None:
    result = doctest.testfile(str(DOCS), module_relative=False, verbose=False)
    assert result.attempted > 0
    assert result.failed == 0
