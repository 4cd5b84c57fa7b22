"""Tests of the aggregation (scoring kernels, arrays, scorer): missing policies, aggregators,
ranks, the front."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custvalue.errors import SchemeError
from custvalue.scoring import (
    Scorer,
    ScoreResult,
    aggregate,
    aggregate_arithmetic,
    aggregate_geometric,
    aggregate_topsis,
    effective_weights,
    rank_scores,
    score,
    score_result,
)
from custvalue.scoring.kernels import fit_topsis_reference
from custvalue.scoring.normalise import NotFittedError
from custvalue.scoring.scheme import Scheme

sys.path.insert(0, str(Path(__file__).parent))  # pytest runs with --import-mode=importlib
from scoring_frames import default_frames, indicator_frame, small_frame, small_scheme

NAN = np.nan
BASE = {"p1": (0.0, 0.0, 10.0), "p2": (10.0, 10.0, 5.0), "p3": (5.0, 5.0, 0.0)}
# normalised: a = (0, 1, .5), b (cost) = (1, 0, .5), c (threshold 0..10) = (1, .5, 0)


def scores(table: pd.DataFrame) -> dict[str, float]:
    return {k: (None if math.isnan(v) else round(v, 9)) for k, v in table["score"].items()}


# ---------------------------------------------------------------------- hand fixtures
class TestArithmetic:
    def test_complete(self):
        t = score(small_frame(BASE), small_scheme())
        assert scores(t) == {"p1": 70.0, "p2": 50.0, "p3": 30.0}
        assert t["dim__d1"].tolist() == [50.0, 50.0, 50.0]
        assert t["dim__d2"].tolist() == [100.0, 50.0, 0.0]
        assert t["rank"].tolist() == [1, 2, 3]
        assert t["graded"].all() and t["reason"].isna().all()

    def test_respread(self):
        res = score_result(small_frame({**BASE, "p4": (NAN, 0.0, 5.0)}), small_scheme())
        assert res.table.loc["p4", "score"] == pytest.approx(80.0)  # 0.6 * 1 + 0.4 * 0.5
        assert res.weights.loc["p4"].tolist() == pytest.approx([0.0, 0.6, 0.4])
        assert res.weights.loc["p1"].tolist() == pytest.approx([0.3, 0.3, 0.4])

    def test_neutral(self):
        s = small_scheme(a={"missing": "neutral"})
        t = score(small_frame({**BASE, "p4": (NAN, 0.0, 5.0)}), s)
        assert t.loc["p4", "score"] == pytest.approx(65.0)  # 0.6 * 0.75 + 0.4 * 0.5
        assert math.isnan(t.loc["p4", "norm__a"])  # norm__ stays NaN; the policy imputes

    def test_worst(self):
        s = small_scheme(a={"missing": "worst"})
        t = score(small_frame({**BASE, "p4": (NAN, 0.0, 5.0)}), s)
        assert t.loc["p4", "score"] == pytest.approx(50.0)  # 0.6 * 0.5 + 0.4 * 0.5

    def test_ungraded_indicator(self):
        s = small_scheme(a={"missing": "ungraded"})
        df = small_frame({**BASE, "p4": (NAN, 0.0, 5.0), "p5": (NAN, 1.0, 1.0)})
        df["reason__a"] = pd.Series({"p4": "no_data"}, dtype=object)
        t = score(df, s)
        assert math.isnan(t.loc["p4", "score"]) and not t.loc["p4", "graded"]
        assert t.loc["p4", "reason"] == "a missing (no_data)"
        assert t.loc["p5", "reason"] == "a missing"
        assert pd.isna(t.loc["p4", "rank"])
        assert t.loc["p4", "dim__d1"] == 100.0  # dimension scores are still shown
        assert t["rank"].dropna().tolist() == [1, 2, 3]
        assert str(t["rank"].dtype) == "Int64"

    @pytest.mark.parametrize(
        ("policy", "expected"),
        [("respread", 25.0), ("neutral", 40.0), ("worst", 10.0), ("ungraded", None)],
    )
    def test_dimension_policies(self, policy, expected):
        s = small_scheme(d1={"missing": policy})
        res = score_result(small_frame({**BASE, "p5": (NAN, NAN, 2.5)}), s)
        got = res.table.loc["p5", "score"]
        if expected is None:
            assert math.isnan(got)
            assert res.table.loc["p5", "reason"] == "no d1 indicator available"
        else:
            assert got == pytest.approx(expected)
            w = res.weights.loc["p5"].sum() + res.fill_weights.loc["p5"].sum()
            assert w == pytest.approx(1.0)
        if policy == "neutral":
            assert res.fill_weights.loc["p5", "d1"] == pytest.approx(0.6)
            assert res.table.loc["p5", "dim__d1"] == 50.0

    def test_nothing_available(self):
        t = score(small_frame({**BASE, "p6": (NAN, NAN, NAN)}), small_scheme())
        assert math.isnan(t.loc["p6", "score"])
        assert t.loc["p6", "reason"] == "no indicator available"

    def test_neutral_indicator_keeps_dimension(self):
        s = small_scheme(a={"missing": "neutral"})
        t = score(small_frame({**BASE, "p6": (NAN, NAN, NAN)}), s)
        assert t.loc["p6", "score"] == pytest.approx(50.0)  # d1 = 0.5, d2 re-spread


class TestGeometric:
    def test_hand_computed(self):
        t = score(small_frame(BASE), small_scheme(aggregation="geometric"))
        p1 = 0.1**0.6  # d1 = 0.01^.5 * 1^.5 = 0.1, d2 = 1
        p2 = 0.1**0.6 * 0.5**0.4
        p3 = 0.5**0.6 * 0.01**0.4  # c = 0 -> floor 0.01
        assert t["score"].tolist() == pytest.approx([100 * p1, 100 * p2, 100 * p3])
        assert t["dim__d1"].tolist() == pytest.approx([10.0, 10.0, 50.0])

    def test_floor_option(self):
        t = score(small_frame(BASE),
                  small_scheme(aggregation={"method": "geometric", "floor": 0.25}))
        assert t.loc["p1", "score"] == pytest.approx(100 * 0.5**0.6)

    def test_kernel_equals_weighted_log_mean(self):
        rng = np.random.default_rng(1)
        x = rng.uniform(0, 1, (20, 4))
        a = rng.uniform(size=(20, 4)) > 0.2
        a[:, 0] = True
        w, dim_of, v = np.array([0.5, 0.5, 0.3, 0.7]), np.array([0, 0, 1, 1]), np.array([.4, .6])
        geo = aggregate_geometric(x, a, w, dim_of, v, return_weights=True)
        expected = np.exp((geo.weights * np.log(np.maximum(np.where(a, x, 1), 0.01))).sum(1))
        np.testing.assert_allclose(geo.score, expected, rtol=1e-12)


class TestTopsis:
    def _matrix(self):
        rng = np.random.default_rng(7)
        rows = {f"q{i:02d}": tuple(rng.uniform(0, 10, 3)) for i in range(12)}
        return small_frame(rows)

    @pytest.mark.parametrize("norm", ["minmax", "vector"])
    def test_against_pymcdm(self, norm):
        import pymcdm
        s = small_scheme(aggregation={"method": "topsis", "topsis_normalisation": norm})
        res = score_result(self._matrix(), s)
        matrix = res.arrays.values  # the normalised matrix (all available)
        func = {"minmax": pymcdm.normalizations.minmax_normalization,
                "vector": pymcdm.normalizations.vector_normalization}[norm]
        weights = np.array([0.3, 0.3, 0.4])
        expected = pymcdm.methods.TOPSIS(func)(matrix, weights, np.ones(3))
        np.testing.assert_allclose(res.table["score"].to_numpy() / 100, expected, atol=1e-12)

    def test_against_scikit_criteria(self):
        from skcriteria.agg.topsis import topsis

        s = small_scheme(aggregation={"method": "topsis", "topsis_normalisation": "vector"})
        res = score_result(self._matrix(), s)
        x = res.arrays.values
        r = x / np.sqrt((x**2).sum(axis=0))
        _, _, _, similarity = topsis(r, np.ones(3, dtype=int), np.array([0.3, 0.3, 0.4]))
        np.testing.assert_allclose(res.table["score"].to_numpy() / 100, similarity, atol=1e-12)

    def test_hand_computed(self):
        r = np.array([[1.0, 0.0], [0.0, 1.0], [0.75, 0.75]])
        out = aggregate_topsis(r, np.ones((3, 2), bool), np.array([0.5, 0.5]), np.array([0, 0]),
                               np.array([1.0]), ideal=np.ones(2), anti_ideal=np.zeros(2))
        # customer 2: D+ = sqrt(2) * .5 * .25, D- = sqrt(2) * .5 * .75 -> 0.75
        np.testing.assert_allclose(out.score, [0.5, 0.5, 0.75])

    def test_fitted_reference_and_out_of_range(self):
        s = small_scheme(aggregation={"method": "topsis", "topsis_normalisation": "minmax"})
        scorer = Scorer(s).fit(small_frame(BASE))
        later = scorer.transform(small_frame({"p1": (0.0, 0.0, 10.0), "p9": (50.0, -5.0, 99.0)}))
        assert later.loc["p9", "score"] == pytest.approx(100.0)  # clipped to the ideal
        assert 0 <= later.loc["p1", "score"] <= 100

    def test_reference_constant_column(self):
        ref = fit_topsis_reference(np.array([[0.5, 1.0], [0.5, 0.0]]), np.ones((2, 2), bool),
                                   "minmax")
        assert ref.ideal[0] == ref.anti_ideal[0]
        assert ref.ideal[1] == 1.0 and ref.anti_ideal[1] == 0.0


# ---------------------------------------------------------------------- kernels
class TestKernels:
    def test_draws_broadcast_like_a_loop(self):
        rng = np.random.default_rng(3)
        n, k = 30, 25
        x = rng.uniform(size=(n, 5))
        a = rng.uniform(size=(n, 5)) > 0.25
        dim_of = np.array([0, 0, 1, 1, 2])
        w = rng.dirichlet(np.ones(5), size=k)
        v = rng.dirichlet(np.ones(3), size=k)
        fill = np.array([NAN, 0.5, NAN])
        for kernel, extra in ((aggregate_arithmetic, {}), (aggregate_geometric, {"floor": .05}),
                              (aggregate_topsis, {"ideal": np.ones(5),
                                                  "anti_ideal": np.zeros(5)})):
            batch = kernel(x, a, w, dim_of, v, fill, return_weights=True, **extra)
            assert batch.score.shape == (k, n) and batch.weights.shape == (k, n, 5)
            for j in range(k):
                single = kernel(x, a, w[j], dim_of, v[j], fill, return_weights=True, **extra)
                np.testing.assert_allclose(batch.score[j], single.score, rtol=0, atol=1e-14)
                np.testing.assert_allclose(batch.weights[j], single.weights, atol=1e-15)
            # only indicator weights drawn, dimension weights fixed
            only_w = kernel(x, a, w, dim_of, v[0], fill, **extra)
            assert only_w.score.shape == (k, n)

    def test_effective_weights_sum_to_one(self):
        rng = np.random.default_rng(4)
        a = rng.uniform(size=(50, 6)) > 0.4
        dim_of = np.array([0, 0, 0, 1, 1, 2])
        w, f = effective_weights(a, np.array([.2, .3, .5, .5, .5, 1.]), dim_of,
                                 np.array([.5, .3, .2]), np.array([NAN, NAN, 0.5]))
        total = w.sum(1) + f.sum(1)
        some = a.any(axis=1) | True  # the third dimension is always filled
        np.testing.assert_allclose(total[some], 1.0)
        assert (w[~a] == 0).all()

    def test_rank_scores(self):
        assert rank_scores(np.array([1.0, 3.0, 3.0, NAN, 2.0])).tolist() == [4, 1, 2, 0, 3]
        assert rank_scores(np.array([50.0, 50.0 + 1e-12])).tolist() == [1, 2]  # a tie

    def test_aggregate_applies_ungraded_over_draws(self):
        arr = Scorer().fit(indicator_frame()).arrays(indicator_frame())
        draws = np.random.default_rng(0).dirichlet(np.ones(3) * 20, size=40)
        out = aggregate(arr, dim_weights=draws)
        k07 = list(arr.customer_id).index("K07")
        assert out.score.shape == (40, 8) and np.isnan(out.score[:, k07]).all()
        assert not np.isnan(np.delete(out.score, k07, axis=1)).any()
        base = aggregate(arr).score
        same = aggregate(arr, dim_weights=np.tile(arr.dim_weights, (3, 1))).score
        np.testing.assert_allclose(same, np.tile(base, (3, 1)), equal_nan=True)


# ---------------------------------------------------------------------- the front
class TestFront:
    def test_default_scheme_on_hand_frame(self):
        res = score_result(indicator_frame())
        t = res.table
        assert list(t.index) == sorted(t.index)
        assert t.loc["K01", "rank"] == 1
        assert not t.loc["K07", "graded"]
        assert t.loc["K07", "reason"] == ("kwh_per_year missing (no_records); "
                                          "revenue_per_year missing (no_records)")
        graded = t[t["graded"]]
        assert ((graded["score"] >= 0) & (graded["score"] <= 100)).all()
        w = res.weights[t["graded"]].sum(axis=1) + res.fill_weights[t["graded"]].sum(axis=1)
        np.testing.assert_allclose(w, 1.0)
        assert "late_fee" not in t.columns and "norm__late_fee" not in t.columns
        cols = list(t.columns)
        assert cols[-4:] == ["score", "rank", "graded", "reason"]
        assert "reason__pf_compliance" in cols

    def test_tie_broken_by_customer_id(self):
        t = score(indicator_frame())
        assert t.loc["K03", "score"] == t.loc["K08", "score"]
        assert t.loc["K03", "rank"] + 1 == t.loc["K08", "rank"]

    def test_not_applicable_is_not_punished(self):
        """Re-spread = scoring the missing power factor at the customer's own compliance level."""
        df = indicator_frame()
        t = score(df)
        dim = t.loc["K04", "dim__compliance"] / 100
        filled = df.copy()
        filled.loc["K04", "pf_compliance"] = dim  # threshold 0..1: raw = normalised
        t2 = Scorer().fit(df).transform(filled)
        assert t2.loc["K04", "score"] == pytest.approx(t.loc["K04", "score"], abs=1e-9)
        worse = filled.copy()
        worse.loc["K04", "pf_compliance"] = 0.0  # punishing it would lower the score
        assert Scorer().fit(df).transform(worse).loc["K04", "score"] < t.loc["K04", "score"]

    def test_fitted_on_another_period(self):
        first = indicator_frame()
        scorer = Scorer().fit(first)
        later = first.copy()
        later.loc["K03", "kwh_per_year"] = 9e9  # beyond the fitted maximum
        t = score(later, fitted=scorer)
        assert t.loc["K03", "norm__kwh_per_year"] == 1.0
        assert t.loc["K01", "norm__kwh_per_year"] == 1.0  # bounds of the first period kept
        with pytest.raises(SchemeError, match="differs"):
            score(later, small_scheme(), fitted=scorer)
        with pytest.raises(NotFittedError):
            Scorer().transform(first)

    def test_scorer_contract(self):
        scorer = Scorer()
        assert "not fitted" in repr(scorer)
        scorer.fit(indicator_frame())
        assert scorer.scheme is None and scorer.scheme_ == Scheme.default()
        assert "8 customers" in repr(scorer)
        pd.testing.assert_frame_equal(scorer.transform(indicator_frame()),
                                      Scorer().fit_transform(indicator_frame()))

    def test_result_repr(self):
        res = score_result(indicator_frame())
        assert isinstance(res, ScoreResult) and res.n_graded == 7
        text = repr(res)
        assert "7 graded" in text and "K07: kwh_per_year missing" in text

    def test_dimension_scores_are_weighted_means(self):
        res = score_result(indicator_frame())
        t = res.table[res.table["graded"]]
        s = Scheme.default()
        dims = t[[f"dim__{d}" for d in s.dimension_names]].to_numpy()
        v = np.array([d.weight for d in s.dimensions.values()])
        np.testing.assert_allclose((dims * v).sum(1), t["score"], atol=1e-9)  # nothing empty


# ---------------------------------------------------------------------- properties
SCHEME = Scheme.default()
DIRECTED = [(n, i.direction, i.column) for _, n, i in SCHEME.iter_indicators()]


@settings(max_examples=40, deadline=None)
@given(default_frames(), st.data())
def test_improving_an_indicator_never_lowers_the_score(frame, data):
    """Raising a benefit (lowering a cost) indicator of customer k, with k's value present
    before and after, never lowers k's score -- both with the bounds fitted once on the
    original frame and with the scorer refitted on the changed frame (then the other
    customers' scores may change, but k's may not fall)."""
    k = data.draw(st.sampled_from(list(frame.index)))
    _, direction, col = data.draw(st.sampled_from(DIRECTED))
    if math.isnan(frame.loc[k, col]):
        return
    step = data.draw(st.floats(1e-3, 1e6))
    changed = frame.copy()
    changed.loc[k, col] = frame.loc[k, col] + (step if direction == "benefit" else -step)
    before = score(frame).loc[k, "score"]
    fixed = Scorer().fit(frame).transform(changed).loc[k, "score"]
    refit = score(changed).loc[k, "score"]
    assert fixed >= before - 1e-9
    assert refit >= before - 1e-9


@settings(max_examples=30, deadline=None)
@given(default_frames(ungraded=True), st.sampled_from(["arithmetic", "geometric", "topsis"]))
def test_ungraded_customers_get_no_score_and_leave_the_others_scores(frame, method):
    """A customer without kWh is ungraded (no score); the others all have one, and with the
    fit held fixed a customer's score does not depend on the ungraded rows next to it.
    (The fit itself uses every present value, ungraded customers' included.)"""
    s = SCHEME if method == "arithmetic" else Scheme.from_dict(
        {**SCHEME.to_dict(), "aggregation": method})
    fitted = Scorer(s).fit(frame)
    out = fitted.transform(frame)
    gone = frame["kwh_per_year"].isna()
    assert out.loc[gone, "score"].isna().all()
    assert out.loc[~gone, "score"].notna().all()
    assert out.loc[gone, "tier"].isna().all() if "tier" in out.columns else True
    pd.testing.assert_series_equal(out.loc[~gone, "score"],
                                   fitted.transform(frame[~gone])["score"])
    pd.testing.assert_series_equal(out["score"], score(frame, s)["score"])


@settings(max_examples=30, deadline=None)
@given(default_frames(), st.randoms(use_true_random=False),
       st.sampled_from(["arithmetic", "geometric", "topsis"]))
def test_row_order_does_not_matter(frame, rnd, method):
    s = SCHEME if method == "arithmetic" else Scheme.from_dict(
        {**SCHEME.to_dict(), "aggregation": method})
    order = list(frame.index)
    rnd.shuffle(order)
    a = score(frame, s)
    b = score(frame.loc[order], s)
    pd.testing.assert_frame_equal(a, b, check_exact=True)


@settings(max_examples=30, deadline=None)
@given(default_frames(missing=False), st.floats(0.01, 100.0), st.floats(-100.0, 100.0))
def test_scores_invariant_to_affine_rescaling_of_a_minmax_indicator(frame, a, b):
    """usage_growth is min-max (winsorised) in the default scheme: x -> a x + b, a > 0,
    leaves every score unchanged."""
    changed = frame.copy()
    changed["usage_growth"] = a * frame["usage_growth"] + b
    x = frame["usage_growth"]
    if x.max() - x.min() < 1e-3:
        return
    np.testing.assert_allclose(score(changed)["score"], score(frame)["score"], atol=1e-6)
