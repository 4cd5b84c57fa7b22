"""Issue 17 plot fixes: staggered cut labels, the modal-probability axis, all-zero transition
rows, numbered clusters, notes for dimensions without data, the waterfall."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from custvalue.errors import InvalidValueError
from custvalue.present import plots
from custvalue.scoring import Scheme, example_frame, score_result


def axes():
    return Figure().subplots()


def test_close_cut_labels_are_staggered_and_far_ones_are_not(tiny):
    t = tiny.copy()
    ax = plots.score_histogram(t, cuts={0: 71.0, 1: 70.0, 2: 40.0}, ax=axes())
    texts = {t.get_gid(): t for t in ax.texts if (t.get_gid() or "").startswith("tier-cut")}
    y = {gid: text.get_position()[1] for gid, text in texts.items()}
    assert y["tier-cut-1"] == pytest.approx(0.98)            # 70: first from the left
    assert y["tier-cut-0"] == pytest.approx(0.98 - 0.17)     # 71: one point away → lower
    assert y["tier-cut-2"] == pytest.approx(0.98)            # 40: far away → top again
    assert texts["tier-cut-0"].get_ha() != texts["tier-cut-1"].get_ha()


def test_modal_probability_axis_starts_at_one_over_the_tiers():
    probs = pd.DataFrame({"p_tier0": [0.9, 0.3, 0.25], "p_tier1": [0.1, 0.3, 0.25],
                          "p_tier2": [0.0, 0.3, 0.25], "p_tier3": [0.0, 0.1, 0.25]},
                         index=["a", "b", "c"])
    ax = plots.tier_probabilities(probs, kind="modal", lang="en", ax=axes())
    assert ax.get_xlim() == (0.25, 1.0)
    assert any(t.get_gid() == "modal-floor" and "1/4" in t.get_text() for t in ax.texts)
    heights = sum(p.get_height() for p in ax.patches)
    assert heights == 3                                       # nobody fell off the axis


def test_transition_heatmap_leaves_out_all_zero_rows_and_non_tier_columns():
    tr = pd.DataFrame([[9, 1, 0, 0], [2, 25, 3, 0], [0, 0, 0, 0], [1, 1, 1, 0]],
                      index=[0, 1, 2, "new"], columns=[0, 1, 2, "left"])
    ax = plots.transition_heatmap(tr, lang="en", colorbar=False, ax=axes())
    rows = [t.get_text() for t in ax.get_yticklabels()]
    cols = [t.get_text() for t in ax.get_xticklabels()]
    assert rows == ["special", "first", "new"]                # tier 2 had nobody
    assert cols == ["special", "first", "second"]             # 'left' is all zero
    assert ax.images[0].get_array().shape == (3, 3)


def test_cluster_columns_are_numbered_from_one():
    ct = pd.DataFrame([[8, 2, 0], [5, 25, 1]], index=[0, 1], columns=[0, 1, 2])
    ax = plots.cluster_heatmap(ct, lang="en", colorbar=False, ax=axes())
    assert [t.get_text() for t in ax.get_xticklabels()] == ["cluster 1", "cluster 2",
                                                            "cluster 3"]
    ax = plots.cluster_heatmap(ct, colorbar=False, ax=axes())
    assert next(t.get_text() for t in ax.get_xticklabels()) == "聚类1"


def test_a_dimension_without_data_is_explained_under_the_box_plot():
    scheme = Scheme.from_dict({"dimensions": {
        "a": {"weight": 0.5, "indicators": {"x": {"weight": 1.0}}},
        "b": {"weight": 0.5, "missing": "neutral", "indicators": {"y": {"weight": 1.0}}}}})
    rng = np.random.default_rng(0)
    n = 40
    y = rng.random(n)
    y[:10] = np.nan                                           # a quarter without b's data
    table = pd.DataFrame({"norm__x": rng.random(n), "norm__y": y,
                          "tier": np.repeat([0, 1], n // 2)},
                         index=[f"c{i:02d}" for i in range(n)])
    table["dim__a"] = table["norm__x"] * 100
    table["dim__b"] = table["norm__y"].fillna(0.5) * 100
    ax = plots.dimension_scores(table, scheme=scheme, lang="en", ax=axes())
    notes = [t.get_text() for t in ax.texts if t.get_gid() == "dim-missing-note"]
    assert notes == ["b: 25% of customers have no data in it and score 50 by the "
                     "missing-value rule"]
    ax = plots.dimension_scores(table.fillna({"norm__y": 0.3}), scheme=scheme, ax=axes())
    assert not [t for t in ax.texts if t.get_gid() == "dim-missing-note"]


def test_waterfall_steps_add_up_to_the_score():
    res = score_result(example_frame())
    ex = res.explain("C2")
    ax = plots.waterfall(ex, top=4, scheme=res.scheme, ax=axes())
    steps = [p for p in ax.patches if (p.get_gid() or "").startswith("step-")]
    assert len(steps) == 5 and steps[-1].get_gid() == "step-others"
    contributions = ex.table["contribution"]
    top = contributions[contributions.abs() > 0].sort_values(ascending=False).iloc[:4]
    assert [p.get_width() for p in steps[:4]] == pytest.approx(top.to_list())
    for a, b in itertools.pairwise(steps):          # each starts where the last ended
        assert b.get_x() == pytest.approx(a.get_x() + a.get_width())
    total = next(p for p in ax.patches if p.get_gid() == "total")
    assert total.get_width() == pytest.approx(ex.score)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[-1] == "价值得分" and res.scheme.indicator(top.index[0]).label.zh in labels


def test_waterfall_refuses_an_ungraded_customer():
    from types import SimpleNamespace

    ex = SimpleNamespace(table=pd.DataFrame({"contribution": [], "dimension": []}),
                         graded=False, score=np.nan, customer_id="X", reason="no data")
    with pytest.raises(InvalidValueError, match="not graded"):
        plots.waterfall(ex, ax=axes())
