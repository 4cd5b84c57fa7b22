"""Kernel values worked out by hand where the mutation pass found untested numbers.

TOPSIS dimension scores and a filled dimension, vector normalisation of a column whose norm
is at most 1, threshold normalisation with a non-zero lower bound; and the monotonicity of
the geometric and TOPSIS aggregators with the fitted scorer held fixed.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custvalue.scoring import Scorer, aggregate_topsis, score
from custvalue.scoring.kernels import fit_topsis_reference
from custvalue.scoring.normalise import Normaliser, threshold_kernel
from custvalue.scoring.scheme import Scheme

sys.path.insert(0, str(Path(__file__).parent))  # pytest runs with --import-mode=importlib
from scoring_frames import default_frames, small_frame, small_scheme

SQ = math.sqrt
#: d1 = indicators 0 and 1 (within weights 0.5, 0.5), d2 = indicator 2; dimension weights
#: 0.6 / 0.4; ideal 1 and anti-ideal 0 for every indicator.
W, DIM_OF, V = np.array([0.5, 0.5, 1.0]), np.array([0, 0, 1]), np.array([0.6, 0.4])
IDEAL, ANTI = np.ones(3), np.zeros(3)


def test_topsis_scores_and_dimension_scores_by_hand():
    r = np.array([[0.2, 0.6, 0.9],
                  [0.5, np.nan, 0.25]])
    out = aggregate_topsis(r, ~np.isnan(r), W, DIM_OF, V, ideal=IDEAL, anti_ideal=ANTI)
    # customer 0: effective weights 0.3, 0.3, 0.4
    dplus = SQ((0.3 * 0.8) ** 2 + (0.3 * 0.4) ** 2 + (0.4 * 0.1) ** 2)  # sqrt(0.0736)
    dminus = SQ((0.3 * 0.2) ** 2 + (0.3 * 0.6) ** 2 + (0.4 * 0.9) ** 2)  # sqrt(0.1656)
    # customer 1: b missing, its weight re-spread to a: effective weights 0.6, 0, 0.4
    dplus1 = SQ((0.6 * 0.5) ** 2 + (0.4 * 0.75) ** 2)
    dminus1 = SQ((0.6 * 0.5) ** 2 + (0.4 * 0.25) ** 2)
    np.testing.assert_allclose(out.score, [dminus / (dplus + dminus),
                                           dminus1 / (dplus1 + dminus1)], rtol=1e-12)
    # dimension scores: closeness inside the dimension with the within weights
    d1 = SQ(0.1) / (SQ(0.2) + SQ(0.1))  # D+ = sqrt(.4² + .2²), D- = sqrt(.1² + .3²)
    np.testing.assert_allclose(out.dims, [[d1, 0.9], [0.5, 0.25]], rtol=1e-12)
    assert d1 == pytest.approx(SQ(2) - 1)
    assert out.dim_available.tolist() == [[True, True], [True, True]]


def test_topsis_with_a_filled_dimension():
    """d2 has nothing for the customer and is filled with 0.5 (neutral): one more criterion
    with value 0.5, ideal 1, anti-ideal 0 and the dimension's weight 0.4."""
    r = np.array([[0.2, 0.6, np.nan]])
    out = aggregate_topsis(r, ~np.isnan(r), W, DIM_OF, V, np.array([np.nan, 0.5]),
                           ideal=IDEAL, anti_ideal=ANTI, return_weights=True)
    dplus = SQ((0.3 * 0.8) ** 2 + (0.3 * 0.4) ** 2 + (0.4 * 0.5) ** 2)  # sqrt(0.112)
    dminus = SQ((0.3 * 0.2) ** 2 + (0.3 * 0.6) ** 2 + (0.4 * 0.5) ** 2)  # sqrt(0.076)
    np.testing.assert_allclose(out.score, [dminus / (dplus + dminus)], rtol=1e-12)
    np.testing.assert_allclose(out.dims, [[SQ(2) - 1, 0.5]], rtol=1e-12)
    np.testing.assert_allclose(out.weights, [[0.3, 0.3, 0.0]], rtol=1e-12)
    np.testing.assert_allclose(out.fill_weights, [[0.0, 0.4]], rtol=1e-12)
    # the worst fill (0) instead: D+ gains (0.4 * 1)², D- nothing
    worst = aggregate_topsis(r, ~np.isnan(r), W, DIM_OF, V, np.array([np.nan, 0.0]),
                             ideal=IDEAL, anti_ideal=ANTI)
    dplus_w = SQ(0.0576 + 0.0144 + 0.16)
    dminus_w = SQ(0.0036 + 0.0324)
    np.testing.assert_allclose(worst.score, [dminus_w / (dplus_w + dminus_w)], rtol=1e-12)


def test_topsis_clips_to_the_fitted_ideal_and_anti_ideal():
    r = np.array([[1.5, 0.6, 0.9], [-0.5, 0.6, 0.9]])
    ideal, anti = np.array([0.8, 1.0, 1.0]), np.array([0.1, 0.0, 0.0])
    out = aggregate_topsis(r, np.ones((2, 3), bool), W, DIM_OF, V, ideal=ideal,
                           anti_ideal=anti)
    clipped = aggregate_topsis(np.array([[0.8, 0.6, 0.9], [0.1, 0.6, 0.9]]),
                               np.ones((2, 3), bool), W, DIM_OF, V, ideal=ideal,
                               anti_ideal=anti)
    np.testing.assert_array_equal(out.score, clipped.score)
    # first customer, a at the ideal: D+ = sqrt((.3*.4)² + (.4*.1)²)
    dplus = SQ((0.3 * 0.4) ** 2 + (0.4 * 0.1) ** 2)
    dminus = SQ((0.3 * 0.7) ** 2 + (0.3 * 0.6) ** 2 + (0.4 * 0.9) ** 2)
    assert out.score[0] == pytest.approx(dminus / (dplus + dminus), rel=1e-12)


def test_vector_normalisation_of_a_column_with_norm_at_most_one():
    """The norm (0.5, then exactly 1) is used as it is: small norms are not replaced by 1."""
    x = np.array([[0.3, 0.6], [0.4, 0.8]])
    ref = fit_topsis_reference(x, np.ones((2, 2), bool), "vector")
    np.testing.assert_allclose(ref.scale, [0.5, 1.0])
    np.testing.assert_allclose(ref.apply(x), [[0.6, 0.6], [0.8, 0.8]])
    np.testing.assert_allclose(ref.ideal, [0.8, 0.8])
    np.testing.assert_allclose(ref.anti_ideal, [0.6, 0.6])
    assert ref.shift.tolist() == [0.0, 0.0]
    # an all-zero column keeps scale 1 and adds nothing (ideal = anti-ideal = 0)
    zero = fit_topsis_reference(np.zeros((3, 1)), np.ones((3, 1), bool), "vector")
    assert zero.scale.tolist() == [1.0] and zero.ideal.tolist() == zero.anti_ideal.tolist()


def test_minmax_topsis_reference_with_a_single_value():
    ref = fit_topsis_reference(np.array([[0.4], [0.4]]), np.ones((2, 1), bool), "minmax")
    assert ref.shift.tolist() == [0.4] and ref.scale.tolist() == [1.0]
    assert ref.ideal.tolist() == [0.0] and ref.anti_ideal.tolist() == [0.0]


def test_threshold_with_a_non_zero_lower_bound():
    x = np.array([5.0, 10.0, 12.5, 20.0, 30.0, 31.0, np.nan])
    got = threshold_kernel(x, 10.0, 30.0)
    np.testing.assert_array_equal(got[:-1], [0.0, 0.0, 0.125, 0.5, 1.0, 1.0])
    assert np.isnan(got[-1])
    # through the scheme: benefit and cost, bounds 10..30 (nothing learned from the data)
    for direction, want in (("benefit", [0.0, 0.125, 0.5, 1.0]),
                            ("cost", [1.0, 0.875, 0.5, 0.0])):
        scheme = small_scheme(c={"direction": direction, "normalisation": {
            "method": "threshold", "lower": 10.0, "upper": 30.0}})
        frame = small_frame({"K1": (1, 1, 5.0), "K2": (2, 2, 12.5), "K3": (3, 3, 20.0),
                             "K4": (4, 4, 35.0)})
        out = Normaliser(scheme).fit(frame).transform(frame)
        np.testing.assert_allclose(out["norm__c"].to_numpy(), want, rtol=0, atol=1e-15)


@pytest.mark.parametrize("method", ["geometric", "topsis"])
@settings(max_examples=30, deadline=None)
@given(frame=default_frames(), data=st.data())
def test_raising_a_benefit_indicator_never_lowers_the_score(method, frame, data):
    """Geometric and TOPSIS: customer k's value of one indicator moves in its good direction
    (present before and after); with the scorer fitted once on the original frame (normaliser
    bounds and TOPSIS reference held fixed), k's score does not fall."""
    scheme = Scheme.from_dict({**Scheme.default().to_dict(), "aggregation": method})
    directed = [(i.direction, i.column) for _, _, i in scheme.iter_indicators()
                if i.direction in ("benefit", "cost")]
    k = data.draw(st.sampled_from(list(frame.index)))
    direction, col = data.draw(st.sampled_from(directed))
    if math.isnan(frame.loc[k, col]):
        return
    step = data.draw(st.floats(1e-3, 1e6))
    changed = frame.copy()
    changed.loc[k, col] = frame.loc[k, col] + (step if direction == "benefit" else -step)
    fitted = Scorer(scheme).fit(frame)
    before = fitted.transform(frame).loc[k, "score"]
    after = fitted.transform(changed).loc[k, "score"]
    if math.isnan(before):
        assert math.isnan(after)
    else:
        assert after >= before - 1e-9
    assert before == pytest.approx(score(frame, scheme).loc[k, "score"], nan_ok=True)


def test_only_rank_keeps_a_reference_sample():
    """IndicatorFit.reference is the sorted sample for 'rank' and empty for other methods."""
    from custvalue.scoring.normalise import fit_indicator

    values = np.array([3.0, np.nan, 1.0, 2.0])
    for method, want in (("rank", [1.0, 2.0, 3.0]), ("minmax", []), ("zscore", [])):
        ind = small_scheme(a={"normalisation": {"method": method}}).dimensions["d1"] \
            .indicators["a"]
        fit = fit_indicator(values, ind, "a")
        assert fit.reference.tolist() == want, method
        assert fit.n == 3
