"""Tier stability under Dirichlet weight draws, one-at-a-time sensitivity, rescoring."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custvalue.errors import InputError, SchemeError
from custvalue.scoring import Scheme, score_result
from custvalue.tiers import apply_pins, assign_tiers, tier_sizes
from custvalue.validation import (
    TierStability,
    rescore,
    tier_stability,
    write_reports,
)
from custvalue.validation import stability as stab


@dataclass
class FakeGrading:
    table: pd.DataFrame
    scheme: Any
    manifest: Any = field(default=None)


def raw_indicators(n: int, seed: int = 0) -> pd.DataFrame:
    """A raw indicator frame with the default scheme's columns and realistic gaps."""
    rng = np.random.default_rng(seed)
    kwh = np.exp(rng.normal(9, 2, n))
    frame = pd.DataFrame({
        "kwh_per_year": kwh,
        "revenue_per_year": kwh * rng.uniform(0.5, 0.8, n),
        "avg_price": rng.uniform(0.5, 0.8, n),
        "usage_growth": rng.normal(0.03, 0.1, n),
        "electricity_share": rng.uniform(0, 1, n),
        "substitution_potential": rng.uniform(0, 0.5, n),
        "pf_compliance": rng.uniform(0, 1, n),
        "on_time_rate": rng.uniform(0.5, 1, n),
        "days_late": rng.exponential(5, n),
        "arrears_ratio": rng.exponential(0.02, n),
        "late_fee": rng.exponential(10, n),
        "plan_completion": rng.uniform(0.5, 1, n),
        "violations_per_year": rng.poisson(0.2, n).astype(float),
        "fault_impact_per_year": rng.poisson(0.5, n).astype(float),
        "policy_rate": rng.uniform(0, 1, n),
        "work_cooperation": rng.uniform(0, 5, n),
        "suggestions_per_year": rng.poisson(0.3, n).astype(float),
    }, index=pd.Index([f"C{i:05d}" for i in range(n)], name="customer_id"))
    for col, share in [("usage_growth", 0.1), ("electricity_share", 0.7),
                       ("substitution_potential", 0.7), ("pf_compliance", 0.6),
                       ("plan_completion", 0.8), ("policy_rate", 0.5),
                       ("work_cooperation", 0.4), ("revenue_per_year", 0.02)]:
        frame.loc[rng.random(n) < share, col] = np.nan
    # some customers without any cooperation record (empty dimension: re-spread)
    frame.loc[rng.random(n) < 0.1, ["policy_rate", "work_cooperation",
                                    "suggestions_per_year"]] = np.nan
    return frame


def real_grading(n: int = 300, seed: int = 0, method: str = "arithmetic",
                 strata: str | None = None) -> FakeGrading:
    """Score with the real scoring stage and tier with assign_tiers, like grade() does."""
    scheme = Scheme.default()
    if method != "arithmetic":
        data = scheme.model_dump()
        data["aggregation"]["method"] = method
        scheme = Scheme.from_dict(data)
    raw = raw_indicators(n, seed)
    table = score_result(raw, scheme).table
    table["region"] = np.array(["north", "south", "east"])[np.arange(n) % 3]
    scores = table["score"].where(table["graded"])
    by = table["region"] if strata else None
    tiers = assign_tiers(scores, scheme.tiers.quotas, by=by)
    table = table.join(tiers[["tier", "tier_zh", "tier_en"]])
    manifest = SimpleNamespace(options={"strata": strata})
    return FakeGrading(table, scheme, manifest)


def two_indicator_grading(x: np.ndarray, y: np.ndarray,
                          quotas: tuple[float, ...] = (0.1, 0.3, 0.5, 0.1)) -> FakeGrading:
    scheme = Scheme.from_dict({"tiers": {"quotas": list(quotas)}, "dimensions": {
        "a": {"weight": 0.5, "indicators": {"x": {"weight": 1.0}}},
        "b": {"weight": 0.5, "indicators": {"y": {"weight": 1.0}}}}})
    n = x.size
    score = 50.0 * (x + y)
    idx = pd.Index([f"c{i:03d}" for i in range(n)], name="customer_id")
    tiers = assign_tiers(pd.Series(score, index=idx), quotas)
    table = pd.DataFrame({"norm__x": x, "norm__y": y, "score": score, "graded": True},
                         index=idx).join(tiers[["tier"]])
    return FakeGrading(table, scheme)


# ----------------------------------------------------------------------- exactness


@pytest.mark.parametrize("method", ["arithmetic", "geometric", "topsis"])
def test_unperturbed_weights_reproduce_the_scores(method: str) -> None:
    g = real_grading(method=method)
    assert (~g.table["graded"]).any()  # some ungraded customers are left out
    res = tier_stability(g, draws=20)
    graded = g.table[g.table["graded"]]
    assert res.n_customers == len(graded)
    assert res.max_score_error < 1e-9
    np.testing.assert_allclose(res.customers["base_score"], graded["score"], rtol=0, atol=1e-9)
    assert (res.customers["base_tier"] == graded["tier"].astype(int)).all()
    assert res.tier_mismatch == 0
    again = rescore(g)
    np.testing.assert_allclose(again[0], graded["score"], rtol=0, atol=1e-9)


# The batched kernels moved to their owners (one formula, one owner): the test that the
# batched scores equal aggregate() is in tests/scoring/test_draws.py, the one of the
# row-wise stable order in tests/tiers/test_batch.py.


# ----------------------------------------------------------------------- probabilities


def test_boundary_customer_is_uncertain_and_inner_customer_certain() -> None:
    # 20 customers, sizes [2, 6, 10, 2]; c007 and c008 tie (score 50) on the cut between
    # tier 1 and tier 2, with opposite profiles.  c000 is far inside tier 0, c013 far
    # inside tier 2.
    x = np.array([1.0, .98, .9, .88, .86, .84, .82, .7, .3, .45, .44, .43, .42, .41, .4, .39,
                  .38, .37, .05, .0])
    y = np.array([1.0, .98, .9, .88, .86, .84, .82, .3, .7, .45, .44, .43, .42, .41, .4, .39,
                  .38, .37, .05, .0])
    g = two_indicator_grading(x, y)
    res = tier_stability(g, draws=400, seed=1)
    c = res.customers
    assert c.loc["c007", "tier"] == 1 and c.loc["c008", "tier"] == 2
    for cid in ("c007", "c008"):
        assert 0.0 < c.loc[cid, "p_tier1"] < 1.0
        assert 0.0 < c.loc[cid, "p_tier2"] < 1.0
        assert c.loc[cid, "borderline"]
        assert c.loc[cid, "rank_lo"] < c.loc[cid, "rank_hi"]
    assert c.loc["c000", "p_tier0"] == 1.0
    assert c.loc["c013", "p_tier2"] == 1.0
    assert not c.loc["c013", "borderline"]
    assert c.loc["c000", "rank_lo"] == c.loc["c000", "rank_hi"] == 1


def test_probabilities_and_intervals_are_consistent() -> None:
    res = tier_stability(real_grading(), draws=100, concentration=30.0, seed=2)
    c = res.customers
    p = c[[f"p_tier{t}" for t in range(4)]].to_numpy()
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-12)
    assert ((p >= 0) & (p <= 1)).all()
    np.testing.assert_array_equal(c["modal_tier"], p.argmax(axis=1))
    np.testing.assert_allclose(c["p_modal"], p.max(axis=1))
    assert (c["borderline"] == (c["p_modal"] < 0.9)).all()
    assert (c["rank_lo"] <= c["rank_median"]).all() and (c["rank_median"] <= c["rank_hi"]).all()
    assert (c["rank_lo"] >= 1).all() and (c["rank_hi"] <= len(c)).all()
    # each draw fills the quotas exactly, so the expected counts per tier are the sizes
    np.testing.assert_allclose(p.sum(axis=0), tier_sizes(len(c), res.quotas), atol=1e-9)
    assert c.index.is_monotonic_increasing
    summary = res.tier_summary()
    assert list(summary.index) == [0, 1, 2, 3]
    assert summary["customers"].sum() == len(c)


def test_tight_concentration_changes_nothing_loose_changes_more() -> None:
    g = real_grading()
    tight = tier_stability(g, draws=30, concentration=1e9)
    assert tight.expected_change == pytest.approx(0.0, abs=1e-3)
    loose = tier_stability(g, draws=30, concentration=5.0)
    assert loose.expected_change > tight.expected_change
    assert loose.borderline_share > tight.borderline_share


def test_reproducible_for_a_seed_and_different_for_another() -> None:
    g = real_grading(150)
    a = tier_stability(g, draws=40, seed=7)
    b = tier_stability(g, draws=40, seed=7)
    pd.testing.assert_frame_equal(a.customers, b.customers)
    pd.testing.assert_frame_equal(a.sensitivity, b.sensitivity)
    c = tier_stability(g, draws=40, seed=8)
    assert not a.customers["p_same"].equals(c.customers["p_same"])


_PERM_GRADING = real_grading(60, seed=11)
_PERM_BASE = tier_stability(_PERM_GRADING, draws=30, seed=5)


@settings(max_examples=15, deadline=None)
@given(st.permutations(list(range(60))))
def test_row_order_does_not_matter(perm: list[int]) -> None:
    g = _PERM_GRADING
    shuffled = FakeGrading(g.table.iloc[perm], g.scheme)
    res = tier_stability(shuffled, draws=30, seed=5)
    pd.testing.assert_frame_equal(res.customers, _PERM_BASE.customers)
    pd.testing.assert_frame_equal(res.sensitivity, _PERM_BASE.sensitivity)


# ----------------------------------------------------------------------- sensitivity


def test_sensitivity_table() -> None:
    g = real_grading()
    res = tier_stability(g, draws=10)
    s = res.sensitivity
    scheme = g.scheme
    assert list(s["name"]) == [*scheme.dimension_names, *scheme.secondary_names,
                               *scheme.indicator_names]
    assert list(s["level"].unique()) == ["dimension", "secondary", "indicator"]
    assert list(s.columns) == ["level", "dimension", "name", "weight", "-25%", "-10%", "+10%",
                               "+25%", "max"]
    shares = s[["-25%", "-10%", "+10%", "+25%"]].to_numpy()
    moved = shares[~np.isnan(shares)]  # NaN: the only indicator of a secondary indicator
    assert ((moved >= 0) & (moved <= 1)).all()
    assert np.isnan(shares).all(axis=1).sum() == 7  # the 7 secondaries of one indicator
    # a bigger move changes at least as many tiers, for the dominant dimension
    row = s.set_index("name").loc["contribution"]
    assert row["-25%"] >= row["-10%"] > 0
    # single-indicator dimensions cannot move their one weight
    g2 = two_indicator_grading(np.linspace(0, 1, 20), np.linspace(1, 0, 20) ** 2)
    s2 = tier_stability(g2, draws=10).sensitivity.set_index("name")
    assert s2.loc["x", ["-25%", "+25%"]].isna().all()
    assert s2.loc["a", ["-25%", "+25%"]].notna().all()
    # the default tree: a secondary indicator moves; the one indicator inside it cannot
    by_name = s.set_index("name")
    assert by_name.loc["power_factor", ["-25%", "+25%"]].notna().all()
    assert by_name.loc["pf_compliance", ["-25%", "+25%"]].isna().all()
    assert by_name.loc["days_late", ["-25%", "+25%"]].notna().all()
    # moving a singleton secondary indicator is moving its indicator in the two-level scheme
    assert by_name.loc["power_factor", "weight"] == scheme.weight_arrays()[0][
        scheme.indicator_names.index("pf_compliance")]


def test_move_kernel_renormalises_siblings() -> None:
    base = np.array([0.5, 0.3, 0.2])
    moved = stab._move_kernel(base, 1, 0.25)
    assert moved is not None
    assert moved[1] == pytest.approx(0.375)
    assert moved.sum() == pytest.approx(1.0)
    assert moved[0] / moved[2] == pytest.approx(2.5)
    assert stab._move_kernel(np.array([1.0, 0.0]), 0, 0.1) is None
    assert stab._move_kernel(np.array([0.9, 0.1]), 0, 0.25)[0] == 1.0  # capped


# ----------------------------------------------------------------------- strata, io, errors


def test_strata_from_the_manifest() -> None:
    g = real_grading(300, strata="region")
    res = tier_stability(g, draws=20)
    assert res.strata == "region"
    assert res.tier_mismatch == 0
    c = res.customers.join(g.table["region"])
    for _, grp in c.groupby("region"):
        counts = np.bincount(grp["base_tier"], minlength=4)
        np.testing.assert_array_equal(counts, tier_sizes(len(grp)))
        assert grp["rank"].max() == len(grp)


def test_rescore_with_mappings_and_arrays() -> None:
    g = real_grading(100)
    scheme = g.scheme
    moved = rescore(g, {"contribution": 0.8, "compliance": 0.1, "cooperation": 0.1})
    direct = rescore(g, np.array([[0.8, 0.1, 0.1]]))
    pd.testing.assert_frame_equal(moved, direct)
    w, _, v = scheme.weight_arrays()
    both = rescore(g, np.stack([v, [0.8, 0.1, 0.1]]), w)
    assert list(both.columns) == [0, 1]
    np.testing.assert_allclose(both[1], moved[0])
    with pytest.raises(SchemeError, match=r"dimensions\.nope"):
        rescore(g, {"nope": 1.0})
    with pytest.raises(SchemeError, match="expected 16 weights"):
        rescore(g, indicator_weights=np.ones(3))


def test_report_text_html_json_and_files(tmp_path: Any) -> None:
    g = real_grading(120)
    res = tier_stability(g, draws=20)
    assert isinstance(res, TierStability)
    text = str(res)
    assert "borderline customers" in text and "contribution" in text
    assert repr(res).startswith("<TierStability 20 draws")
    assert res._repr_html_().startswith("<div>")
    data = json.loads(json.dumps(res.to_dict()))
    assert data["n_customers"] == res.n_customers
    assert len(data["sensitivity"]) == 29  # 3 dimensions + 10 secondary + 16 indicators
    assert str(res) == res.to_text() and res._repr_html_() == res.to_html()
    assert "<table" in res._repr_html_() and "\n" not in repr(res)
    assert res.headline().startswith("Tier stability: 20 Dirichlet weight draws")
    pd.testing.assert_frame_equal(res.to_frame(), res.tier_summary())
    assert res.to_frame().index.dtype == np.int64  # tier keys are integers
    assert json.loads(json.dumps(data, allow_nan=False)) == json.loads(res.to_json())
    assert [t["tier"] for t in data["tiers"]] == res.tier_summary().index.tolist()
    assert data["tiers"][0]["to"] == pytest.approx(
        res.tier_summary().loc[0, [f"p_tier{j}" for j in range(4)]].tolist())
    assert json.loads(res.save(tmp_path / "stability.json").read_text("utf-8")) == data
    paths = write_reports(g, tmp_path / "out", draws=15, seed=1, sample_size=50)
    saved = json.loads(paths["json"].read_text("utf-8"))
    assert set(saved) == {"clustering", "stability", "verdicts"}
    assert [v["gate"] for v in saved["verdicts"]["verdicts"]] == [
        "min_ari", "max_disagreement", "max_borderline", "max_expected_change",
        "max_change_10pct"]
    assert saved["stability"]["draws"] == 15
    back = pd.read_parquet(paths["parquet"])
    # every customer of the grading once; the ungraded ones with empty figures
    assert back["customer_id"].tolist() == sorted(g.table.index)
    assert int(back["graded"].sum()) == res.n_customers and "p_tier0" in back.columns
    assert back.loc[~back["graded"], "p_tier0"].isna().all()
    clusters = pd.read_parquet(paths["clusters"])
    assert clusters["customer_id"].tolist() == back["customer_id"].tolist()
    assert clusters.loc[clusters["graded"], "cluster"].notna().all()
    assert "Tier validation" in paths["text"].read_text("utf-8")
    with pytest.raises(TypeError, match="unknown options"):
        write_reports(g, tmp_path, drawz=3)


def test_errors() -> None:
    g = real_grading(50)
    with pytest.raises(SchemeError, match="draws"):
        tier_stability(g, draws=0)
    with pytest.raises(SchemeError, match="concentration"):
        tier_stability(g, concentration=0.0)
    with pytest.raises(SchemeError, match="borderline"):
        tier_stability(g, borderline=1.5)
    with pytest.raises(SchemeError):
        tier_stability(g, quotas=(0.5, 0.6))
    with pytest.raises(InputError, match="expected a Grading"):
        tier_stability(g.table)
    with pytest.raises(InputError):
        tier_stability(FakeGrading(g.table.drop(columns="norm__revenue_per_year"), g.scheme))
    with pytest.raises(InputError, match="strata"):
        tier_stability(g, strata="nowhere")


# ----------------------------------------------------------------------- the grading's tier rule


@pytest.mark.parametrize("count_against_quota", [True, False])
def test_draws_are_tiered_with_the_gradings_ties_pins_and_strata(
        count_against_quota: bool) -> None:
    # coarse values: many equal scores, also across the quota cuts; the 'together' rule, two
    # strata and three pins (one of them an ungraded customer) are all reproduced per draw
    rng = np.random.default_rng(11)
    n = 80
    x, y = rng.integers(0, 5, n) / 4, rng.integers(0, 5, n) / 4
    scheme = Scheme.from_dict({"tiers": {"quotas": [0.1, 0.3, 0.5, 0.1], "ties": "together"},
                               "dimensions": {
        "a": {"weight": 0.5, "indicators": {"x": {"weight": 1.0}}},
        "b": {"weight": 0.5, "indicators": {"y": {"weight": 1.0}}}}})
    idx = pd.Index([f"c{i:03d}" for i in range(n)], name="customer_id")
    score = pd.Series(50.0 * (x + y), index=idx)
    score.iloc[5] = np.nan  # ungraded, but pinned
    region = pd.Series(np.where(np.arange(n) % 2, "north", "south"), index=idx)
    pins = pd.DataFrame({"customer_id": ["c003", "c005", "c040"], "tier": [3, 0, 0],
                         "reason": ["audit", "hospital", "water works"]})
    tiers = apply_pins(score.round(9), pins, scheme.tiers.quotas, ties="together",
                       count_against_quota=count_against_quota, by=region)
    stable = apply_pins(score.round(9), pins, scheme.tiers.quotas, ties="stable",
                        count_against_quota=count_against_quota, by=region)
    assert (tiers["tier"] != stable["tier"]).any()  # the tie rule matters here
    x[5] = y[5] = np.nan
    table = pd.DataFrame({"norm__x": x, "norm__y": y, "score": score, "region": region,
                          "graded": score.notna()}, index=idx)
    table = table.join(tiers[["tier", "pinned"]])
    manifest = SimpleNamespace(options={"strata": "region",
                                        "pins_count_against_quota": count_against_quota})
    res = tier_stability(FakeGrading(table, scheme, manifest), draws=30)
    graded = table[table["graded"]]
    assert res.tier_mismatch == 0
    assert (res.customers["base_tier"] == graded["tier"].astype(int)).all()
    assert res.customers.loc["c003", "p_tier3"] == 1.0
    assert res.customers.loc["c040", "p_tier0"] == 1.0
    assert "c005" not in res.customers.index


def test_weight_draws_at_every_level() -> None:
    from custvalue.scoring import Scheme
    from custvalue.validation._common import dirichlet_kernel, draw_weights

    # a two-level scheme draws what it drew before the tree: v, then each dimension's w
    two = Scheme.load(Path(__file__).resolve().parents[1] / "data" / "schemes" /
                      "two_level.toml")
    w0, dim_of, v0 = two.weight_arrays()
    rng = np.random.default_rng(3)
    v_old = dirichlet_kernel(rng, v0, 50.0, 7)
    w_old = np.zeros((7, w0.size))
    for d in range(v0.size):
        idx = np.flatnonzero(dim_of == d)
        w_old[:, idx] = dirichlet_kernel(rng, w0[idx], 50.0, 7)
    w_new, v_new, _ = draw_weights(two.weight_tree(), np.random.default_rng(3), 50.0, 7)
    np.testing.assert_array_equal(w_new, w_old)
    np.testing.assert_array_equal(v_new, v_old)
    # the three-level default: per-level draws, products summing to 1 in each dimension
    tree = Scheme.default().weight_tree()
    w, _, u = draw_weights(tree, np.random.default_rng(0), 100.0, 500)
    for d in range(3):
        np.testing.assert_allclose(w[:, tree.dim_of == d].sum(axis=1), 1.0, atol=1e-12)
        np.testing.assert_allclose(u[:, tree.group_dim == d].sum(axis=1), 1.0, atol=1e-12)
    bill = tree.groups.index("bill_payment")
    inside = w[:, tree.group_of == bill] / u[:, [bill]]
    np.testing.assert_allclose(inside.sum(axis=1), 1.0, atol=1e-12)
    # the draws are centred on the scheme's weights at every level
    np.testing.assert_allclose(u.mean(axis=0), tree.group_weights, atol=0.01)
    np.testing.assert_allclose(w.mean(axis=0), tree.effective(), atol=0.01)
