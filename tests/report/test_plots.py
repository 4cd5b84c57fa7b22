"""custvalue.plots on hand-made data: the artists drawn, labels, fonts (Agg backend)."""

from __future__ import annotations

import warnings
from pathlib import Path

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from custvalue.errors import InvalidValueError, MissingColumnError, UnsupportedInputError
from custvalue.present import plots
from custvalue.scoring.scheme import Scheme

from .conftest import FakeGrading

TIERS_ZH = ["特级客户", "一级客户", "二级客户", "三级客户"]


def glyph_warnings(draw) -> list[str]:
    """Messages of the glyph warnings raised while ``draw()`` runs and the figure renders."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ax = draw()
        ax.figure.canvas.draw()
    return [str(w.message) for w in caught if "missing from font" in str(w.message)
            or "Glyph" in str(w.message)]


def ticks(labels) -> list[str]:
    return [t.get_text() for t in labels]


# --------------------------------------------------------------------------- fonts
def test_a_cjk_font_is_found_and_is_a_file():
    assert plots.cjk_font() is not None
    assert Path(plots.cjk_font_path()).is_file()


def test_the_glyph_check_catches_missing_glyphs():
    # Control: text limited to DejaVu Sans does warn, so an empty list below means something.
    def draw():
        ax = plt.subplots()[1]
        ax.set_title("特级客户", fontfamily="DejaVu Sans")
        return ax

    assert glyph_warnings(draw)


@pytest.fixture
def fresh_font_search():
    plots._find_cjk_font.cache_clear()
    plots._warn_no_cjk.cache_clear()
    yield
    plots._find_cjk_font.cache_clear()
    plots._warn_no_cjk.cache_clear()


def test_without_any_cjk_font_a_chinese_plot_warns_once(monkeypatch, fresh_font_search, tiny):
    monkeypatch.delenv(plots.CJK_FONT_ENV, raising=False)
    monkeypatch.setattr(plots, "_ZHPLOT_FONT", ("no_such_package_here", "x.ttf"))
    monkeypatch.setattr(plots, "CJK_SYSTEM_FAMILIES", ())
    assert plots.cjk_font() is None
    with pytest.warns(UserWarning, match="no font with Chinese glyphs"):
        plots.score_histogram(tiny)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plots.score_histogram(tiny, lang="en")  # English needs no CJK font
        plots.score_histogram(tiny)  # warned once already


def test_a_font_file_can_be_named_in_the_environment(monkeypatch, fresh_font_search):
    bundled = plots.cjk_font_path()
    plots._find_cjk_font.cache_clear()
    monkeypatch.setenv(plots.CJK_FONT_ENV, bundled)
    monkeypatch.setattr(plots, "_ZHPLOT_FONT", ("no_such_package_here", "x.ttf"))
    assert plots.cjk_font_path() == bundled and plots.cjk_font() == "Noto Sans SC"


def _all_plots(table, contingency, transitions, stability, lang="zh"):
    return {
        "score_histogram": lambda ax=None: plots.score_histogram(table, lang=lang, ax=ax),
        "pareto_curve": lambda ax=None: plots.pareto_curve(table, lang=lang, ax=ax),
        "pareto_by_score": lambda ax=None: plots.pareto_curve(
            table, "total_kwh", order="score", lang=lang, ax=ax),
        "tier_profile_bars": lambda ax=None: plots.tier_profile_bars(table, lang=lang, ax=ax),
        "dimension_box": lambda ax=None: plots.dimension_scores(
            table, scheme=Scheme.default(), lang=lang, ax=ax),
        "dimension_bar": lambda ax=None: plots.dimension_scores(
            table, kind="bar", lang=lang, ax=ax),
        "cluster_heatmap": lambda ax=None: plots.cluster_heatmap(
            contingency, normalise="index", lang=lang, ax=ax),
        "transition_heatmap": lambda ax=None: plots.transition_heatmap(
            transitions, lang=lang, ax=ax),
        "probabilities": lambda ax=None: plots.tier_probabilities(stability, lang=lang, ax=ax),
        "modal": lambda ax=None: plots.tier_probabilities(
            stability, kind="modal", lang=lang, ax=ax),
    }


NAMES = list(_all_plots(None, None, None, None))


@pytest.mark.parametrize("name", NAMES)
def test_chinese_labels_render_without_glyph_warnings(name, table, contingency, transitions,
                                                       stability):
    draw = _all_plots(table, contingency, transitions, stability)[name]
    assert glyph_warnings(draw) == []


@pytest.mark.parametrize("name", ["score_histogram", "tier_profile_bars", "cluster_heatmap"])
def test_axes_made_outside_get_the_cjk_fallback_too(name, table, contingency, transitions,
                                                     stability):
    # Texts the caller's Axes created before the plot (title, axis labels) lack the
    # fallback; the plot adds it to them.
    draw = _all_plots(table, contingency, transitions, stability)[name]
    assert glyph_warnings(lambda: draw(ax=plt.subplots()[1])) == []


def test_plotting_leaves_global_rcparams_alone(table):
    before = dict(mpl.rcParams)
    plots.score_histogram(table)
    plots.tier_probabilities(pd.DataFrame({"p_tier0": [1.0], "p_tier1": [0.0]}))
    after = dict(mpl.rcParams)
    changed = {k for k in before if before[k] != after[k] and not k.startswith("backend")}
    assert changed == set()


@pytest.mark.parametrize("name", NAMES)
def test_every_plot_returns_the_axes_it_was_given(name, table, contingency, transitions,
                                                  stability):
    ax = plt.subplots()[1]
    assert _all_plots(table, contingency, transitions, stability, "en")[name](ax=ax) is ax


def test_unknown_language_is_refused(table):
    with pytest.raises(InvalidValueError, match="lang"):
        plots.score_histogram(table, lang="fr")


# --------------------------------------------------------------------------- tier names
def test_tier_names_follow_the_table_and_the_scheme(tiny):
    assert list(plots.tier_names(tiny).values()) == TIERS_ZH
    relabelled = tiny.assign(tier_en=tiny["tier_en"].str.upper())
    assert plots.tier_names(relabelled, lang="en")[0] == "SPECIAL"
    scheme = Scheme.default()
    assert plots.tier_names(FakeGrading(tiny, scheme=scheme))[3] == "三级客户"
    assert plots.tier_colour(0) == plots.TIER_COLOURS[0] != plots.tier_colour(1)


# --------------------------------------------------------------------------- score histogram
def test_score_histogram_stacks_one_container_per_tier_and_marks_the_cuts(tiny):
    ax = plots.score_histogram(tiny, bins=20)
    assert len(ax.containers) == 4
    assert all(len(c) == 20 for c in ax.containers)
    counts = [sum(p.get_height() for p in c) for c in ax.containers]
    assert counts == [1, 3, 5, 1]
    cuts = {line.get_gid(): line.get_xdata()[0] for line in ax.lines}
    assert cuts == {"tier-cut-0": 95.0, "tier-cut-1": 70.0, "tier-cut-2": 40.0}
    labels = [t.get_text() for t in ax.texts if (t.get_gid() or "").startswith("tier-cut")]
    assert labels == ["特级客户 ≥ 95.0", "一级客户 ≥ 70.0", "二级客户 ≥ 40.0"]
    assert ticks(ax.get_legend().get_texts()) == [
        "特级客户 (1)", "一级客户 (3)", "二级客户 (5)", "三级客户 (1)"]


def test_score_histogram_takes_the_cut_scores_of_a_summary(tiny):
    cuts = pd.Series({"0": 90.0, "1": 65.0, "2": 35.0, "3": 20.0, "ungraded": np.nan})
    ax = plots.score_histogram(tiny, cuts=cuts, lang="en")
    assert sorted(line.get_xdata()[0] for line in ax.lines) == [35.0, 65.0, 90.0]
    assert ax.get_xlabel() == "value score"
    assert ticks(ax.get_legend().get_texts())[0] == "special (1)"


def test_score_histogram_leaves_out_ungraded_customers(table):
    ax = plots.score_histogram(table, bins=10)
    total = sum(p.get_height() for c in ax.containers for p in c)
    assert total == table["score"].notna().sum() < len(table)


def test_score_histogram_needs_a_score(tiny):
    with pytest.raises(MissingColumnError, match="score"):
        plots.score_histogram(tiny.drop(columns="score"))
    with pytest.raises(UnsupportedInputError):
        plots.score_histogram([1, 2, 3])


# --------------------------------------------------------------------------- Pareto curve
def test_pareto_curve_is_the_cumulative_share_with_abc_cuts(tiny):
    ax = plots.pareto_curve(tiny, "revenue")
    curve = next(line for line in ax.lines if line.get_gid() == "pareto-curve")
    v = np.sort(tiny["revenue"].to_numpy())[::-1]
    expected = 100 * np.concatenate([[0], np.cumsum(v) / v.sum()])
    np.testing.assert_allclose(curve.get_ydata(), expected)
    np.testing.assert_allclose(curve.get_xdata(), np.arange(11) * 10)
    cuts = {line.get_gid(): line.get_xdata()[0] for line in ax.lines
            if (line.get_gid() or "").startswith("abc-cut")}
    assert cuts == pytest.approx({"abc-cut-A": 10.0, "abc-cut-B": 20.0})
    # Gini by the mean-difference formula equals the trapezoid one
    x = tiny["revenue"].to_numpy()
    gini = np.abs(x[:, None] - x[None, :]).sum() / (2 * len(x) ** 2 * x.mean())
    assert f"Gini {gini:.2f}" in ticks(ax.get_legend().get_texts())[0]
    summary = next(t for t in ax.texts if t.get_gid() == "abc-summary").get_text()
    assert "A 类：10% 的客户，37% 的电费收入" in summary


def test_pareto_curve_by_score_and_its_errors(tiny):
    shuffled = tiny.assign(score=tiny["score"][::-1].to_numpy())
    ax = plots.pareto_curve(shuffled, "total_kwh", order="score", abc=None, lang="en")
    curve = ax.lines[0]
    assert curve.get_ydata()[1] == pytest.approx(100 * 10 / tiny["total_kwh"].sum())
    assert len(ax.lines) == 2  # no ABC cuts
    with pytest.raises(MissingColumnError):
        plots.pareto_curve(tiny, "margin")
    with pytest.raises(InvalidValueError, match="positive"):
        plots.pareto_curve(tiny.assign(revenue=0.0))
    with pytest.raises(InvalidValueError, match="order"):
        plots.pareto_curve(tiny, order="random")


# --------------------------------------------------------------------------- profile bars
def test_tier_profile_bars_compare_customer_and_value_shares(tiny):
    ax = plots.tier_profile_bars(tiny)
    assert len(ax.containers) == 3 and len(ax.patches) == 12
    assert ticks(ax.get_xticklabels()) == TIERS_ZH
    customers, kwh, revenue = ([p.get_height() for p in c] for c in ax.containers)
    assert customers == pytest.approx([10, 30, 50, 10])
    total = tiny["total_kwh"].sum()
    assert kwh == pytest.approx([100 * 900 / total, 100 * 1200 / total, 100 * 400 / total,
                                 100 * 10 / total])
    assert sum(revenue) == pytest.approx(100)
    assert ticks(ax.get_legend().get_texts()) == ["客户数", "用电量", "电费收入"]


# --------------------------------------------------------------------------- dimensions
def test_dimension_box_plots_one_box_per_dimension_and_tier(tiny):
    ax = plots.dimension_scores(tiny, scheme=Scheme.default())
    boxes = [p for p in ax.patches if (p.get_gid() or "").startswith("box-")]
    assert len(boxes) == 3 * 4
    assert ticks(ax.get_xticklabels()) == ["客户用电贡献", "客户用电规范性", "客户合作"]
    assert ticks(ax.get_legend().get_texts()) == TIERS_ZH


def test_dimension_bars_are_the_tier_means(tiny):
    ax = plots.dimension_scores(tiny, kind="bar", dimensions=["compliance"], lang="en")
    assert len(ax.containers) == 4
    means = [c[0].get_height() for c in ax.containers]
    assert means == pytest.approx([90.0, (75 + 70 + 66) / 3, (62 + 50 + 52 + 47 + 39) / 5, 35])
    assert ticks(ax.get_xticklabels()) == ["compliance"]
    with pytest.raises(MissingColumnError):
        plots.dimension_scores(tiny, dimensions=["loyalty"])


# --------------------------------------------------------------------------- heatmaps
def test_cluster_heatmap_draws_the_contingency_matrix(contingency):
    ax = plots.cluster_heatmap(contingency)
    np.testing.assert_array_equal(ax.images[0].get_array(), contingency.to_numpy())
    assert ticks(ax.get_yticklabels()) == TIERS_ZH
    assert ticks(ax.get_xticklabels()) == ["c0", "c1", "c2"]
    cells = [t.get_text() for t in ax.texts if t.get_gid() == "cell"]
    assert cells[:3] == ["25", "4", "1"] and len(cells) == 12


def test_cluster_heatmap_row_shares(contingency):
    ax = plots.cluster_heatmap(contingency, normalise="index", colorbar=False)
    np.testing.assert_allclose(np.asarray(ax.images[0].get_array()).sum(axis=1), 1.0)
    assert ax.texts[0].get_text() == "25\n83%"


def test_cluster_heatmap_accepts_a_report_object(contingency):
    class Report:
        def __init__(self, frame):
            self.contingency = frame

    ax = plots.cluster_heatmap(Report(contingency), lang="en")
    assert ticks(ax.get_yticklabels())[0] == "special"


def test_transition_heatmap_outlines_kept_tiers(transitions):
    ax = plots.transition_heatmap(transitions)
    np.testing.assert_array_equal(ax.images[0].get_array(), transitions.to_numpy())
    assert len([p for p in ax.patches if p.get_gid() == "diagonal"]) == 4
    assert ticks(ax.get_yticklabels()) == [*TIERS_ZH, "新增"]
    assert ticks(ax.get_xticklabels()) == [*TIERS_ZH, "退出"]
    assert ax.get_ylabel() == "上次等级" and ax.get_xlabel() == "本次等级"


def test_transition_heatmap_does_not_outline_ungraded_to_ungraded():
    states = ["0", "1", "2", "3", "ungraded"]
    frame = pd.DataFrame(np.eye(5, dtype=int) * 3, index=states, columns=states)
    ax = plots.transition_heatmap(frame)
    assert len([p for p in ax.patches if p.get_gid() == "diagonal"]) == 4


def test_heatmaps_use_the_schemes_own_tier_labels(contingency, transitions):
    d = Scheme.default().to_dict()
    d["tiers"]["labels_zh"] = ["钻石", "金", "银", "铜"]
    d["tiers"]["labels_en"] = ["diamond", "gold", "silver", "bronze"]
    scheme = Scheme.from_dict(d)
    ax = plots.cluster_heatmap(contingency, scheme=scheme)
    assert ticks(ax.get_yticklabels()) == ["钻石", "金", "银", "铜"]
    ax = plots.transition_heatmap(transitions, scheme=scheme, lang="en")
    assert ticks(ax.get_yticklabels())[:4] == ["diamond", "gold", "silver", "bronze"]


# --------------------------------------------------------------------------- robustness
def test_tier_probabilities_stack_the_least_certain_customers(stability):
    ax = plots.tier_probabilities(stability, top=12)
    assert len(ax.containers) == 4 and all(len(c) == 12 for c in ax.containers)
    widths = np.array([[p.get_width() for p in c] for c in ax.containers])
    np.testing.assert_allclose(widths.sum(axis=0), 1.0)
    modal = stability.filter(like="p_tier").max(axis=1).sort_values(kind="stable")
    shown = [label.split(" ")[0] for label in ticks(ax.get_yticklabels())]
    assert shown == modal.index[:12].tolist()
    assert any(tier in ticks(ax.get_yticklabels())[0] for tier in TIERS_ZH)


def test_tier_probability_histogram_counts_every_customer(stability):
    ax = plots.tier_probabilities(stability, kind="modal", lang="en")
    assert len(ax.containers) == 4
    assert sum(p.get_height() for p in ax.containers[-1]) <= len(stability)
    total = sum(p.get_height() for c in ax.containers for p in c)
    assert total == len(stability)


def test_tier_probabilities_need_probability_columns():
    with pytest.raises(MissingColumnError, match="p_tier"):
        plots.tier_probabilities(pd.DataFrame({"tier": [0, 1]}))


def test_dollar_signs_in_customer_ids_are_not_mathtext():
    p = pd.DataFrame({"p_tier0": [0.5, 0.7], "p_tier1": [0.5, 0.3]},
                     index=pd.Index(["$x$", "C$2"], name="customer_id"))
    ax = plots.tier_probabilities(p)
    ax.figure.canvas.draw()  # mathtext would turn "$x$" into an italic x
    assert ticks(ax.get_yticklabels()) == [r"\$x\$", r"C\$2"]


def test_a_grading_object_is_accepted(tiny):
    ax = plots.dimension_scores(FakeGrading(tiny))
    assert ticks(ax.get_xticklabels())[0] == "客户用电贡献"
