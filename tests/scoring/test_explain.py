"""Tests of custvalue.scoring.explain: exact contributions, percentiles, weakest indicators."""

from __future__ import annotations

import json
import math
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custvalue.errors import UnknownCustomerError
from custvalue.scoring import Scorer, aggregate, score, score_result
from custvalue.scoring.explain import Explanation, explain
from custvalue.scoring.scheme import Scheme

sys.path.insert(0, str(Path(__file__).parent))  # pytest runs with --import-mode=importlib
from scoring_frames import default_frames, indicator_frame, small_frame, small_scheme

NAN = np.nan
BASE = {"p1": (0.0, 0.0, 10.0), "p2": (10.0, 10.0, 5.0), "p3": (5.0, 5.0, 0.0),
        "p4": (NAN, 0.0, 5.0)}


def with_method(method: str) -> Scheme:
    return Scheme.from_dict({**Scheme.default().to_dict(), "aggregation": method})


class TestHandComputed:
    def test_arithmetic_contributions(self):
        ex = explain(score_result(small_frame(BASE), small_scheme()), "p4")
        t = ex.table
        assert ex.score == pytest.approx(80.0) and ex.rank == 1 and ex.graded
        assert t["weight"].tolist() == pytest.approx([0.0, 0.6, 0.4])
        assert t["contribution"].tolist() == pytest.approx([0.0, 60.0, 20.0])
        assert t["status"].tolist() == ["respread", "ok", "ok"]
        assert math.isnan(t.loc["a", "raw"]) and t.loc["b", "raw"] == 0.0
        # mid-rank percentile: (lower + equal / 2) / n among customers with the indicator
        assert t.loc["b", "percentile"] == pytest.approx(100 * 3 / 4)  # b norm: 1,0,.5,1
        assert t.loc["c", "percentile"] == pytest.approx(100 * 2 / 4)  # c norm: 1,.5,0,.5

    def test_weakest_and_gain(self):
        res = score_result(small_frame(BASE), small_scheme())
        ex = res.explain("p3")  # a .5, b .5, c 0 -> c is far below the median (.5)
        assert ex.weakest.index[0] == "c"
        assert ex.weakest.loc["c", "median"] == 0.5
        assert ex.weakest.loc["c", "gain"] == pytest.approx(0.4 * 0.5 * 100)
        # the gain is the exact re-score with the value raised to the median
        raised = small_frame({**BASE, "p3": (5.0, 5.0, 5.0)})
        new = Scorer(small_scheme()).fit(small_frame(BASE)).transform(raised)
        assert ex.score + ex.weakest.loc["c", "gain"] == pytest.approx(new.loc["p3", "score"])

    def test_nothing_below_median(self):
        ex = explain(score_result(small_frame(BASE), small_scheme()), "p1")
        assert list(ex.weakest.index) == ["a"]  # a = 0 < median .5; b and c are at the top

    def test_geometric_log_share(self):
        ex = explain(score_result(small_frame(BASE), small_scheme(aggregation="geometric")),
                     "p2")
        # x = (1, .01 floor, .5), W = (.3, .3, .4): log-heights above the floor .01
        h = np.array([math.log(100), 0.0, math.log(50)]) * np.array([0.3, 0.3, 0.4])
        expected = ex.score * h / h.sum()
        np.testing.assert_allclose(ex.table["contribution"], expected)
        assert ex.table.loc["b", "contribution"] == 0.0

    def test_topsis_distance_share(self):
        s = small_scheme(aggregation={"method": "topsis", "topsis_normalisation": "minmax"})
        ex = explain(score_result(small_frame(BASE), s), "p4")
        # r = (-, 1, .5) with anti-ideal 0 -> squared weighted distances .6² and .2²
        a = np.array([0.0, 0.6**2, (0.4 * 0.5) ** 2])
        np.testing.assert_allclose(ex.table["contribution"], ex.score * a / a.sum())

    def test_filled_dimension_row(self):
        s = small_scheme(d1={"missing": "neutral"})
        ex = explain(score_result(small_frame({**BASE, "p5": (NAN, NAN, 2.5)}), s), "p5")
        assert "(d1)" in ex.table.index
        row = ex.table.loc["(d1)"]
        assert row["status"] == "dimension filled" and row["weight"] == pytest.approx(0.6)
        assert row["contribution"] == pytest.approx(30.0)
        assert ex.table["contribution"].sum() == pytest.approx(ex.score)
        assert ex.by_dimension.to_dict() == pytest.approx({"d1": 30.0, "d2": 10.0})


class TestDefaultScheme:
    def test_neutral_imputed_indicator(self):
        ex = score_result(indicator_frame()).explain("K06")
        row = ex.table.loc["work_cooperation"]
        assert row["status"] == "neutral" and row["used"] == 0.5 and math.isnan(row["normalised"])
        assert row["weight"] > 0 and "work_cooperation" not in ex.weakest.index

    def test_ungraded_customer(self):
        ex = score_result(indicator_frame()).explain("K07")
        assert not ex.graded and ex.rank is None and math.isnan(ex.score)
        assert "no_records" in ex.reason
        assert ex.table["contribution"].isna().all()
        assert ex.table.loc["kwh_per_year", "status"] == "missing"
        assert "not graded" in repr(ex) and "not graded" in str(ex)
        assert json.loads(json.dumps(ex.to_dict()))["score"] is None

    def test_from_table_equals_from_result(self):
        res = score_result(indicator_frame())
        a, b = res.explain("K02"), explain(res.table, "K02", Scheme.default())
        pd.testing.assert_frame_equal(a.table, b.table)
        pd.testing.assert_frame_equal(a.weakest, b.weakest)

    def test_unknown_customer(self):
        with pytest.raises(UnknownCustomerError):
            score_result(indicator_frame()).explain("nobody")

    def test_text_readable(self):
        ex = score_result(indicator_frame()).explain("K02")
        text = str(ex)
        assert text == ex.to_text() and text.startswith("Customer K02: score")
        assert "weakest (gain if raised to the median)" in text
        assert "pf_compliance" in text and isinstance(ex, Explanation)
        assert len(ex.to_frame()) == 16
        # repr is one short line naming the customer, its score and weakest indicators
        short = repr(ex)
        assert "\n" not in short and short.startswith("<Explanation Customer K02: score")
        assert all(name in short for name in ex.weakest.index)

    def test_result_protocol(self):
        ex = score_result(indicator_frame()).explain("K02")
        data = json.loads(json.dumps(ex.to_dict(), allow_nan=False))
        assert data == json.loads(ex.to_json())
        assert data["customer_id"] == "K02" and data["score"] == pytest.approx(ex.score)
        assert [r["indicator"] for r in data["indicators"]] == ex.table.index.tolist()
        assert [r["contribution"] for r in data["indicators"]] == pytest.approx(
            ex.table["contribution"].tolist())
        assert [r["indicator"] for r in data["weakest"]] == ex.weakest.index.tolist()
        assert sum(data["by_dimension"].values()) == pytest.approx(ex.score)
        page = ex._repr_html_()
        assert page == ex.to_html() and "<table" in page and "pf_compliance" in page

    def test_weights_exact_against_result(self):
        res = score_result(indicator_frame())
        for cid in res.table.index[res.table["graded"]]:
            ex = res.explain(cid)
            np.testing.assert_array_equal(ex.table["weight"].to_numpy(),
                                          res.weights.loc[cid].to_numpy())
            assert ex.score == res.table.loc[cid, "score"]


@settings(max_examples=30, deadline=None)
@given(default_frames(), st.sampled_from(["arithmetic", "geometric", "topsis"]), st.data())
def test_contributions_sum_to_the_score(frame, method, data):
    res = score_result(frame, with_method(method))
    cid = data.draw(st.sampled_from(list(frame.index)))
    ex = res.explain(cid)
    assert ex.score == pytest.approx(res.table.loc[cid, "score"], abs=1e-9)
    assert abs(ex.table["contribution"].sum() - ex.score) <= 1e-9
    assert (ex.table["contribution"] >= -1e-12).all()
    assert abs(ex.table["weight"].sum() - 1.0) <= 1e-9
    for name, row in ex.weakest.iterrows():
        assert row["gain"] >= -1e-9, name


@settings(max_examples=20, deadline=None)
@given(default_frames(), st.data())
def test_weakest_gain_is_an_exact_rescore(frame, data):
    scorer = Scorer().fit(frame)
    res = scorer.result(frame)
    cid = data.draw(st.sampled_from(list(frame.index)))
    ex = res.explain(cid)
    arr = res.arrays
    k = list(arr.customer_id).index(cid)
    for name, row in ex.weakest.iterrows():
        i = arr.indicators.index(name)
        assert row["normalised"] < row["median"]
        values = arr.values.copy()
        values[k, i] = row["median"]
        again = aggregate(replace(arr, values=values)).score[k] * 100
        assert again - ex.score == pytest.approx(row["gain"], abs=1e-9)
    assert score(frame).loc[cid, "score"] == pytest.approx(ex.score, nan_ok=True)
