"""Uncertainty and sensitivity over method choices: indices against brute force, design,
errors for choices that cannot apply, leave-one-out."""

from __future__ import annotations

import itertools
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custvalue.errors import SchemeError
from custvalue.scoring import Scheme, score
from custvalue.tiers import assign_tiers_batch, tier_sizes
from custvalue.validation import leave_one_out, uncertainty
from custvalue.validation.uncertainty import _variant

SCHEME = Scheme.from_dict({
    "tiers": {"quotas": [0.25, 0.5, 0.25], "labels_zh": ["甲", "乙", "丙"],
              "labels_en": ["A", "B", "C"]},
    "dimensions": {
        "size": {"weight": 0.6, "indicators": {
            "kwh": {"weight": 0.7, "normalisation": {"method": "log_minmax"}},
            "growth": {"weight": 0.3}}},
        "conduct": {"weight": 0.4, "indicators": {
            "late": {"weight": 1.0, "direction": "cost", "missing": "neutral"}}}}})
RAW = pd.DataFrame({
    "kwh": [1e3, 5e3, 2e4, 8e4, 1.5e5, 4e5, 9e5, 3e6],
    "growth": [0.30, 0.05, np.nan, -0.10, 0.12, 0.02, -0.05, 0.08],
    "late": [0.0, 12.0, 3.0, np.nan, 30.0, 1.0, 60.0, 5.0],
}, index=pd.Index([f"c{i}" for i in range(8)], name="customer_id"))
CHOICES = {"normalisation": ["minmax", "rank"], "aggregation": ["arithmetic", "geometric"],
           "missing": ["neutral", "worst"]}


def grading_of(raw: pd.DataFrame, scheme: Scheme) -> SimpleNamespace:
    t = score(raw, scheme)
    t["tier"] = tiers_of(t["score"].to_numpy(), scheme.tiers.quotas)
    return SimpleNamespace(table=t, scheme=scheme)


def tiers_of(score_100: np.ndarray, quotas) -> np.ndarray:
    """Tiers by plain pandas ranking (an independent implementation of the rule)."""
    s = pd.Series(np.round(score_100, 9))
    rank = s.rank(ascending=False, method="first").to_numpy().astype(int) - 1
    cut = np.repeat(np.arange(len(quotas)), tier_sizes(len(s), quotas))
    return cut[rank]


def brute_force(raw, scheme, choices):
    """Exact first-order and total indices (pooled over customers) on the full grid."""
    names = list(choices)
    grid = {}
    for combo in itertools.product(*(range(len(choices[f])) for f in names)):
        variant = _variant(scheme, {f: choices[f][j] for f, j in zip(names, combo, strict=True)})
        grid[combo] = tiers_of(score(raw, variant)["score"].to_numpy(), scheme.tiers.quotas)
    shape = tuple(len(choices[f]) for f in names)
    y = np.stack([grid[c] for c in itertools.product(*(range(s) for s in shape))])
    y = y.reshape(*shape, len(raw)).astype(float)
    axes = tuple(range(len(names)))
    var = y.var(axis=axes)
    first, total = {}, {}
    for i, f in enumerate(names):
        others = tuple(a for a in axes if a != i)
        first[f] = y.mean(axis=others).var(axis=0).sum() / var.sum()
        total[f] = y.var(axis=i).mean(axis=tuple(range(len(names) - 1))).sum() / var.sum()
    probs = np.stack([(y == t).mean(axis=axes) for t in range(len(scheme.tiers.quotas))], 1)
    return first, total, probs


def test_indices_and_probabilities_equal_brute_force_on_a_hand_made_case():
    g = grading_of(RAW, SCHEME)
    first, total, probs = brute_force(RAW, SCHEME, CHOICES)
    assert max(total.values()) > 0.2          # the case is not degenerate
    u = uncertainty(g, draws=5 * 20_000, choices=CHOICES, concentration=None, seed=1)
    assert u.factors == tuple(CHOICES) and u.n_base == 20_000
    for f in CHOICES:
        assert u.indices.at[f, "first_order"] == pytest.approx(first[f], abs=0.03), f
        assert u.indices.at[f, "total"] == pytest.approx(total[f], abs=0.03), f
    got = u.customers[[f"p_tier{t}" for t in range(3)]].to_numpy()
    np.testing.assert_allclose(got, probs, atol=0.01)


def test_every_run_keeps_its_choices_and_the_base_reproduces_the_grading():
    g = grading_of(RAW, SCHEME)
    u = uncertainty(g, draws=50, choices=CHOICES, seed=3)
    assert u.factors == (*CHOICES, "weights") and u.n_base == 50 // 6
    runs = u.runs
    assert len(runs) == u.n_base * 6
    assert set(runs["block"]) == {"A", "B", *(f"AB:{f}" for f in u.factors)}
    a = runs[runs["block"] == "A"].reset_index(drop=True)
    b = runs[runs["block"] == "B"].reset_index(drop=True)
    ab = runs[runs["block"] == "AB:aggregation"].reset_index(drop=True)
    # A_B^(aggregation): aggregation from B, everything else from A
    assert ab["aggregation"].tolist() == b["aggregation"].tolist()
    assert ab["normalisation"].tolist() == a["normalisation"].tolist()
    np.testing.assert_array_equal(ab.filter(like="w:"), a.filter(like="w:"))
    abw = runs[runs["block"] == "AB:weights"].reset_index(drop=True)
    np.testing.assert_array_equal(abw.filter(like="v:"), b.filter(like="v:"))
    assert abw["missing"].tolist() == a["missing"].tolist()
    assert set(runs["normalisation"]) <= {"minmax", "rank"}
    np.testing.assert_allclose(runs.filter(like="v:").sum(axis=1), 1.0)
    assert u.customers["base_tier"].tolist() == g.table["tier"].tolist()


def test_fixed_seed_gives_the_same_result_and_only_varying_customers_have_indices():
    g = grading_of(RAW, SCHEME)
    u1 = uncertainty(g, draws=60, choices={"aggregation": ["arithmetic", "geometric"]}, seed=5)
    u2 = uncertainty(g, draws=60, choices={"aggregation": ["arithmetic", "geometric"]}, seed=5)
    pd.testing.assert_frame_equal(u1.customers, u2.customers)
    flat = u1.customers["variance"] == 0
    assert u1.first_order[flat].isna().all().all()
    assert "weights" in u1.to_dict()["factors"] and "first order" in u1.to_text()


@pytest.mark.parametrize(("choices", "match"), [
    ({"normalisation": ["threshold"]}, "bounds"),
    ({"normalisation": ["minmaxx"]}, "not one of"),
    ({"missing": ["ungraded"]}, "who is graded"),
    ({"aggregation": []}, "at least one level"),
    ({"winsorise": [(0.9, 0.1)]}, "0 <= lo < hi"),
    ({"weights": [1]}, "no such choice"),
])
def test_a_choice_that_cannot_apply_is_an_error(choices, match):
    g = grading_of(RAW, SCHEME)
    with pytest.raises(SchemeError, match=match):
        uncertainty(g, draws=40, choices=choices)


def test_too_few_draws_is_an_error():
    g = grading_of(RAW, SCHEME)
    with pytest.raises(SchemeError, match="at least 8 for 2 factors"):
        uncertainty(g, draws=7, choices={"aggregation": ["geometric"]})
    with pytest.raises(SchemeError, match="nothing is uncertain"):
        uncertainty(g, choices={}, concentration=None)


@pytest.mark.filterwarnings("ignore::custvalue.scoring.SchemeWarning")
def test_leave_one_out_equals_scoring_without_the_indicator():
    g = grading_of(RAW, SCHEME)
    loo = leave_one_out(g)
    assert sorted(loo.index) == ["growth", "kwh", "late"]
    # by hand: without 'late' the conduct dimension is gone, size carries all the weight
    size_only = Scheme.from_dict({"tiers": SCHEME.tiers.model_dump(), "dimensions": {
        "size": SCHEME.dimensions["size"].model_dump()}}, normalise=True)
    t = tiers_of(score(RAW, size_only)["score"].to_numpy(), SCHEME.tiers.quotas)
    base = g.table["tier"].to_numpy()
    assert loo.at["late", "changed"] == int((t != base).sum())
    assert loo.at["late", "share"] == pytest.approx((t != base).mean())
    assert loo.at["late", "weight"] == pytest.approx(0.4)
    dims = leave_one_out(g, level="dimension")
    assert dims.at["conduct", "share"] == loo.at["late", "share"]
    with pytest.raises(SchemeError):
        leave_one_out(g, level="branch")
    with pytest.raises(SchemeError, match="no secondary indicators"):
        leave_one_out(g, level="secondary")


TREE = Scheme.from_dict({
    "tiers": SCHEME.tiers.model_dump(),
    "dimensions": {
        "size": {"weight": 0.6, "secondary": {
            "volume": {"weight": 0.7, "indicators": {
                "kwh": {"weight": 1.0, "normalisation": {"method": "log_minmax"}}}},
            "trend": {"weight": 0.3, "indicators": {"growth": {"weight": 1.0}}}}},
        "conduct": {"weight": 0.4, "indicators": {
            "late": {"weight": 1.0, "direction": "cost", "missing": "neutral"}}}}})


@pytest.mark.filterwarnings("ignore::custvalue.scoring.SchemeWarning")
def test_leave_one_out_of_a_secondary_indicator():
    # the tree with one indicator per secondary scores as SCHEME: the same tiers
    g = grading_of(RAW, TREE)
    np.testing.assert_array_equal(g.table["tier"], grading_of(RAW, SCHEME).table["tier"])
    sec = leave_one_out(g, level="secondary")
    assert sorted(sec.index) == ["trend", "volume"] and sec.index.name == "secondary"
    ind = leave_one_out(g)
    # dropping a secondary indicator of one indicator is dropping that indicator
    assert sec.at["volume", "share"] == ind.at["kwh", "share"]
    assert sec.at["trend", "share"] == ind.at["growth", "share"]
    assert sec.at["volume", "weight"] == pytest.approx(0.6 * 0.7)
    assert ind.at["growth", "weight"] == pytest.approx(0.6 * 0.3)
    # by hand: without 'trend', size is kwh alone
    no_trend = Scheme.from_dict({"tiers": SCHEME.tiers.model_dump(), "dimensions": {
        "size": {"weight": 0.6, "indicators": {"kwh": SCHEME.dimensions["size"].indicators[
            "kwh"].model_dump() | {"weight": 1.0}}},
        "conduct": SCHEME.dimensions["conduct"].model_dump()}})
    t = tiers_of(score(RAW, no_trend)["score"].to_numpy(), SCHEME.tiers.quotas)
    assert sec.at["trend", "changed"] == int((t != g.table["tier"].to_numpy()).sum())


def test_uncertainty_runs_on_a_tree():
    u = uncertainty(grading_of(RAW, TREE), draws=40, choices={"aggregation": [
        "arithmetic", "geometric"]})
    # weights drawn per level: the indicators inside their singleton secondary stay at 1, so
    # the within-dimension weights of kwh and growth are the drawn secondary weights
    w = u.runs[["w:kwh", "w:growth"]].to_numpy()
    np.testing.assert_allclose(w.sum(axis=1), 1.0, atol=1e-12)
    assert u.runs["w:late"].eq(1.0).all()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from([np.nan, 0.1, 0.2, 0.2, 0.5, 0.9]), min_size=1, max_size=40),
       st.sampled_from([(0.1, 0.3, 0.5, 0.1), (0.5, 0.5), (0.0, 0.6, 0.4), (1.0,)]))
def test_tier_kernel_equals_cutting_a_stable_sort(values, quotas):
    from custvalue.validation.uncertainty import _tiers_kernel

    score = np.array([values, values[::-1]])
    sizes = np.asarray(tier_sizes(score.shape[1], quotas))
    key = np.where(np.isnan(score), np.inf, -np.round(score * 100, 9))
    order = np.argsort(key, axis=1, kind="stable")
    expected = np.empty_like(order)
    np.put_along_axis(expected, order, np.repeat(np.arange(len(sizes)), sizes)[None, :], 1)
    np.testing.assert_array_equal(_tiers_kernel(score, sizes), expected)
    # and the owner of the tier rule agrees where every customer has a score (the kernel's
    # case: the runs re-tier the graded customers; assign_tiers_batch leaves NaN out of
    # the quotas, the kernel places it last)
    if not np.isnan(score).any():
        batch = assign_tiers_batch(np.round(score * 100, 9), quotas).tier
        np.testing.assert_array_equal(_tiers_kernel(score, sizes), batch)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from([0.1, 0.2, 0.2, 0.5, 0.9]), min_size=4, max_size=40),
       st.integers(0, 3))
def test_tier_kernel_cuts_ties_by_position_in_every_row(values, shift):
    """Rows whose ties straddle a cut and rows without: the kernel handles them apart."""
    from custvalue.validation.uncertainty import _tiers_kernel

    a = np.array(values)
    score = np.stack([a, np.roll(a, shift), np.linspace(0, 1, a.size)])
    quotas = (0.25, 0.5, 0.25)
    expected = assign_tiers_batch(np.round(score * 100, 9), quotas).tier
    np.testing.assert_array_equal(_tiers_kernel(score, np.asarray(tier_sizes(a.size, quotas))),
                                  expected)


@pytest.mark.parametrize("aggregation", ["arithmetic", "geometric", "topsis"])
def test_shared_arrays_equal_scoring_each_variant_afresh(aggregation):
    """Normalisations and policies shared between runs give what a fresh Scorer gives."""
    from dataclasses import fields

    from custvalue.scoring import Scorer
    from custvalue.validation.uncertainty import _Normalised

    shared = _Normalised(RAW, SCHEME)
    for norm in ("minmax", "rank"):
        for missing in ("neutral", "worst"):
            for agg in ("geometric", "topsis", aggregation):  # the cache is reused
                variant = _variant(SCHEME, {"normalisation": norm, "missing": missing,
                                            "aggregation": agg, "winsorise": (0.1, 0.9)})
                got = shared.arrays(variant)
                want = Scorer(variant).fit(RAW).arrays(RAW)
                for f in fields(want):
                    a, b = getattr(got, f.name), getattr(want, f.name)
                    if f.name == "topsis":
                        assert (a is None) == (b is None)
                        if a is not None:
                            np.testing.assert_array_equal(a.ideal, b.ideal)
                            np.testing.assert_array_equal(a.scale, b.scale)
                    elif isinstance(b, np.ndarray):
                        np.testing.assert_array_equal(a, b)
                    elif isinstance(b, pd.Index | pd.Categorical):  # ids, reasons
                        assert type(a) is type(b) and b.equals(a), f.name
                    else:
                        assert a == b, f.name
