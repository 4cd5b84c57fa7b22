"""Tests of custvalue.scoring.normalise: kernels, fit/transform, input checks."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import stats

from custvalue.errors import (
    ColumnTypeError,
    DuplicateRowsError,
    EmptyTableError,
    InvalidValueError,
    MissingColumnError,
    UnsupportedInputError,
)
from custvalue.scoring.normalise import (
    NEUTRAL,
    Normaliser,
    NotFittedError,
    check_indicator_frame,
    fit_indicator,
    log_minmax_kernel,
    minmax_kernel,
    rank_kernel,
    signed_log,
    threshold_kernel,
    transform_indicator,
    zscore_kernel,
)
from custvalue.scoring.scheme import Indicator, Scheme

sys.path.insert(0, str(Path(__file__).parent))  # pytest runs with --import-mode=importlib
from scoring_frames import indicator_frame

NAN = np.nan


def one(method: str = "minmax", direction: str = "benefit", **kw) -> Scheme:
    """A scheme with one indicator ``x`` normalised by ``method``."""
    norm = {"method": method}
    for key in ("lower", "upper", "winsorise"):
        if key in kw:
            norm[key] = kw.pop(key)
    ind = {"weight": 1.0, "direction": direction, "normalisation": norm, **kw}
    return Scheme.from_dict({"dimensions": {"d": {"weight": 1.0, "indicators": {"x": ind}}}})


def frame(values, ids=None) -> pd.DataFrame:
    ids = ids or [f"c{i:02d}" for i in range(len(values))]
    return pd.DataFrame({"x": np.asarray(values, dtype=float)},
                        index=pd.Index(ids, name="customer_id"))


def norm(scheme, fit_values, values=None) -> list[float]:
    n = Normaliser(scheme).fit(frame(fit_values))
    out = n.transform(frame(fit_values if values is None else values))["norm__x"]
    return out.tolist()


# ---------------------------------------------------------------------- kernels by hand
class TestKernels:
    def test_minmax(self):
        assert minmax_kernel(np.array([2.0, 4.0, 6.0]), 2.0, 6.0).tolist() == [0.0, 0.5, 1.0]
        assert minmax_kernel(np.array([0.0, 9.0]), 2.0, 6.0).tolist() == [0.0, 1.0]

    def test_minmax_constant_and_empty(self):
        assert minmax_kernel(np.array([5.0, NAN]), 5.0, 5.0).tolist()[0] == NEUTRAL
        assert math.isnan(minmax_kernel(np.array([5.0, NAN]), 5.0, 5.0)[1])
        assert minmax_kernel(np.array([1.0]), NAN, NAN).tolist() == [NEUTRAL]

    def test_log_minmax(self):
        out = log_minmax_kernel(np.array([0.0, 9.0, 99.0, 999.0]), 0.0, 999.0)
        np.testing.assert_allclose(out, [0.0, 1 / 3, 2 / 3, 1.0])

    def test_signed_log_negative(self):
        assert signed_log(-9.0) == -math.log(10.0)
        out = log_minmax_kernel(np.array([-9.0, 0.0, 9.0]), -9.0, 9.0)
        np.testing.assert_allclose(out, [0.0, 0.5, 1.0])

    def test_zscore_is_normal_cdf(self):
        x = np.array([1.0, 2.0, 3.0, 10.0])
        out = zscore_kernel(x, 2.0, 0.5)
        np.testing.assert_allclose(out, stats.norm.cdf((x - 2.0) / 0.5))
        assert zscore_kernel(np.array([3.0]), 3.0, 0.0).tolist() == [NEUTRAL]

    def test_rank_is_percentileofscore_mean(self):
        ref = np.sort(np.array([3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0]))
        x = np.array([0.0, 1.0, 2.5, 4.0, 9.0, 12.0])
        expected = [stats.percentileofscore(ref, v, kind="mean") / 100 for v in x]
        np.testing.assert_allclose(rank_kernel(x, ref), expected)
        assert rank_kernel(np.array([1.0, 2.0]), np.array([3.0, 3.0])).tolist() == [0.5, 0.5]

    def test_threshold(self):
        out = threshold_kernel(np.array([-5.0, 0.0, 7.5, 30.0, 31.0]), 0.0, 30.0)
        assert out.tolist() == [0.0, 0.0, 0.25, 1.0, 1.0]

    def test_nan_passes_through_every_kernel(self):
        x = np.array([NAN])
        for out in (minmax_kernel(x, 0, 1), log_minmax_kernel(x, 0, 1), zscore_kernel(x, 0, 1),
                    rank_kernel(x, np.array([0.0, 1.0])), threshold_kernel(x, 0, 1)):
            assert math.isnan(out[0])


# ---------------------------------------------------------------------- hand fixtures
class TestMethods:
    def test_minmax_benefit_and_cost(self):
        assert norm(one(), [10, 20, 30]) == [0.0, 0.5, 1.0]
        assert norm(one(direction="cost"), [10, 20, 30]) == [1.0, 0.5, 0.0]

    def test_log_minmax(self):
        got = norm(one("log_minmax"), [0.0, 9.0, 99.0])
        np.testing.assert_allclose(got, [0.0, 0.5, 1.0])

    def test_zscore(self):
        # mean 2, population std sqrt(2/3)
        got = norm(one("zscore"), [1.0, 2.0, 3.0])
        z = 1 / math.sqrt(2 / 3)
        np.testing.assert_allclose(got, [stats.norm.cdf(-z), 0.5, stats.norm.cdf(z)])

    def test_rank(self):
        assert norm(one("rank"), [10, 20, 20, 40]) == [0.125, 0.5, 0.5, 0.875]
        assert norm(one("rank", direction="cost"), [10, 20, 20, 40]) == [0.875, 0.5, 0.5, 0.125]

    def test_threshold_learns_nothing(self):
        s = one("threshold", lower=0.0, upper=30.0, direction="cost")
        assert norm(s, [0, 15, 60]) == [1.0, 0.5, 0.0]
        assert norm(s, [100, 100, 100], [0, 15, 60]) == [1.0, 0.5, 0.0]

    def test_winsorise_before_minmax(self):
        # quantiles 0.25, 0.75 of [0, 1, 2, 3, 100] are 1 and 3
        s = one(winsorise=[0.25, 0.75])
        assert norm(s, [0, 1, 2, 3, 100]) == [0.0, 0.0, 0.5, 1.0, 1.0]
        n = Normaliser(s).fit(frame([0, 1, 2, 3, 100]))
        assert (n.fits_["x"].clip_low, n.fits_["x"].clip_high) == (1.0, 3.0)

    def test_target_minmax(self):
        # ideal 1: distances 1, 0, 0.5, 1 -> 1 - d / 1
        s = one(direction="target", ideal=1.0)
        assert norm(s, [0.0, 1.0, 1.5, 2.0]) == [0.0, 1.0, 0.5, 0.0]

    def test_target_threshold_and_rank(self):
        s = one("threshold", direction="target", ideal=1.0, lower=0.0, upper=0.2)
        np.testing.assert_allclose(norm(s, [1.0, 0.9, 1.3]), [1.0, 0.5, 0.0])
        s = one("rank", direction="target", ideal=1.0)
        assert norm(s, [1.0, 0.9, 1.3]) == [1 - 1 / 6, 0.5, 1 - 5 / 6]

    @pytest.mark.parametrize("method", ["minmax", "log_minmax", "zscore", "rank"])
    def test_constant_column_scores_neutral(self, method):
        assert norm(one(method), [7.0, 7.0, 7.0]) == [NEUTRAL] * 3
        assert norm(one(method), [7.0, 7.0], [1.0, 100.0]) == [NEUTRAL] * 2

    @pytest.mark.parametrize("method", ["minmax", "log_minmax", "zscore", "rank"])
    def test_all_missing_in_fit(self, method):
        got = norm(one(method, winsorise=[0.1, 0.9]), [NAN, NAN], [NAN, 3.0])
        assert math.isnan(got[0]) and got[1] == NEUTRAL

    def test_missing_stays_missing(self):
        got = norm(one(), [1.0, NAN, 3.0])
        assert got[0] == 0.0 and math.isnan(got[1]) and got[2] == 1.0

    def test_fit_one_period_transform_another(self):
        s = one()
        assert norm(s, [10, 20], [0, 15, 40]) == [0.0, 0.5, 1.0]
        s = one("log_minmax", direction="cost")
        assert norm(s, [0, 99], [-5, 999]) == [1.0, 0.0]

    def test_fit_indicator_and_transform_indicator(self):
        ind = Indicator(column="x", weight=1.0, normalisation={"method": "rank"})
        fit = fit_indicator(np.array([3.0, NAN, 1.0]), ind, "x")
        assert fit.n == 2 and fit.reference.tolist() == [1.0, 3.0]
        assert transform_indicator(np.array([2.0]), fit).tolist() == [0.5]


# ---------------------------------------------------------------------- the front
class TestNormaliser:
    def test_default_scheme_on_hand_frame(self):
        df = indicator_frame()
        out = Normaliser().fit_transform(df)
        assert list(out.columns) == ["norm__" + n for n in Scheme.default().indicator_names]
        values = out.to_numpy()
        present = ~np.isnan(values)
        assert ((values[present] >= 0) & (values[present] <= 1)).all()
        assert (np.isnan(values) == df[list(Scheme.default().columns)].isna().to_numpy()).all()
        assert out.loc["K01", "norm__kwh_per_year"] == 1.0
        assert out.loc["K05", "norm__days_late"] == 0.0  # 40 days late, threshold 30
        assert out.loc["K02", "norm__arrears_ratio"] == pytest.approx(0.8)

    def test_sorted_by_customer_id(self):
        df = indicator_frame().iloc[::-1]
        out = Normaliser().fit_transform(df)
        assert list(out.index) == sorted(df.index)

    def test_fit_does_not_change_parameters_or_input(self):
        df = indicator_frame()
        before = df.copy()
        n = Normaliser()
        n.fit(df)
        assert n.scheme is None and n.scheme_ == Scheme.default()
        pd.testing.assert_frame_equal(df, before)

    def test_not_fitted(self):
        with pytest.raises(NotFittedError):
            Normaliser().transform(indicator_frame())
        with pytest.raises(NotFittedError):
            _ = Normaliser().bounds_

    def test_bounds_table(self):
        b = Normaliser().fit(indicator_frame()).bounds_
        assert b.loc["kwh_per_year", "high"] == 4e6
        assert b.loc["kwh_per_year", "low"] == 1800.0
        assert b.loc["pf_compliance", "n"] == 5
        assert b.loc["usage_growth", "clip_low"] < b.loc["usage_growth", "clip_high"]

    def test_repr(self):
        assert "not fitted" in repr(Normaliser())
        assert "8 customers" in repr(Normaliser().fit(indicator_frame()))


class TestInputChecks:
    def test_customer_id_column_and_int_ids(self):
        s = one()
        df = pd.DataFrame({"customer_id": [2, 1], "x": [1.0, 2.0]})
        out = check_indicator_frame(df, s)
        assert list(out.index) == ["1", "2"] and out.index.name == "customer_id"

    def test_errors(self):
        s = one()
        with pytest.raises(UnsupportedInputError):
            check_indicator_frame({"x": [1]}, s)
        with pytest.raises(EmptyTableError):
            check_indicator_frame(frame([]), s)
        with pytest.raises(MissingColumnError) as info:
            check_indicator_frame(pd.DataFrame({"y": [1.0]}, index=["a"]), s)
        assert info.value.column == "x"
        with pytest.raises(ColumnTypeError):
            check_indicator_frame(pd.DataFrame({"x": ["1", "oops"]}, index=["a", "b"]), s)
        with pytest.raises(ColumnTypeError):
            check_indicator_frame(pd.DataFrame({"x": [True, False]}, index=["a", "b"]), s)
        with pytest.raises(InvalidValueError, match="finite"):
            check_indicator_frame(frame([1.0, np.inf]), s)
        with pytest.raises(DuplicateRowsError):
            check_indicator_frame(frame([1.0, 2.0], ids=["a", "a"]), s)
        with pytest.raises(InvalidValueError, match="missing"):
            check_indicator_frame(pd.DataFrame({"x": [1.0]}, index=[None]), s)

    def test_numeric_strings_and_nullable(self):
        s = one()
        out = check_indicator_frame(pd.DataFrame({"x": ["1.5", None]}, index=["a", "b"]), s)
        assert out["x"].tolist()[0] == 1.5 and math.isnan(out["x"].tolist()[1])
        df = pd.DataFrame({"x": pd.array([1, None], dtype="Int64")}, index=["a", "b"])
        assert check_indicator_frame(df, s)["x"].dtype == np.float64


# ---------------------------------------------------------------------- properties
finite = st.floats(-1e6, 1e6, allow_nan=False, width=32)
samples = st.lists(st.one_of(finite, st.just(NAN)), min_size=1, max_size=30)
methods = st.sampled_from(["minmax", "log_minmax", "zscore", "rank"])
directions = st.sampled_from(["benefit", "cost"])


@settings(max_examples=100, deadline=None)
@given(samples, samples, methods, directions, st.booleans())
def test_output_in_unit_interval_nan_iff_missing(fit_x, new_x, method, direction, wins):
    s = one(method, direction=direction, **({"winsorise": [0.1, 0.9]} if wins else {}))
    got = np.array(norm(s, fit_x, new_x))
    x = np.asarray(new_x, dtype=float)
    assert (np.isnan(got) == np.isnan(x)).all()
    ok = got[~np.isnan(got)]
    assert ((ok >= 0) & (ok <= 1)).all()


@settings(max_examples=100, deadline=None)
@given(st.lists(finite, min_size=2, max_size=30), st.floats(1e-3, 1e3), st.floats(-1e3, 1e3),
       directions, st.booleans())
def test_minmax_invariant_to_positive_affine_rescaling(x, a, b, direction, wins):
    s = one("minmax", direction=direction, **({"winsorise": [0.1, 0.9]} if wins else {}))
    x = np.asarray(x, dtype=float)
    base = np.array(norm(s, x))
    scaled = np.array(norm(s, a * x + b))
    span = np.ptp(x)
    assume(span > 1e-3 * max(1.0, np.abs(x).max()))  # far from the constant-column rule
    np.testing.assert_allclose(scaled, base, atol=1e-6)


@settings(max_examples=100, deadline=None)
@given(st.lists(finite, min_size=1, max_size=30), st.lists(finite, min_size=2, max_size=10),
       st.sampled_from(["minmax", "log_minmax", "zscore", "rank", "threshold"]), directions)
def test_monotone_for_a_fixed_fit(fit_x, new_x, method, direction):
    extra = {"lower": -100.0, "upper": 100.0} if method == "threshold" else {}
    s = one(method, direction=direction, **extra)
    new_x = np.sort(np.asarray(new_x, dtype=float))
    got = np.array(norm(s, fit_x, new_x))
    diffs = np.diff(got)
    assert (diffs >= 0).all() if direction == "benefit" else (diffs <= 0).all()
