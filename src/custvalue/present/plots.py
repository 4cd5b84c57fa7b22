"""Plots of a grading: scores, value concentration, tier profiles, validation and regrades.

This module is long because it holds the whole family of plots and the CJK font
handling and bilingual labels they share; split per plot, every module would import the same
private helpers from the others.

Every function takes the data as a plain pandas DataFrame (or an object that holds one, such
as a :class:`~custvalue.grading.Grading`, a validation report or a regrade comparison), draws
on ``ax`` -- a new figure when ``ax`` is None -- and returns the Axes.  Nothing here calls
``show`` or changes matplotlib's global settings: each function draws inside
:func:`matplotlib.rc_context`, and the only lasting change is that the first plot registers
the bundled CJK font with matplotlib's font manager (see :func:`cjk_font`).

Labels are bilingual: ``lang="zh"`` (default) or ``lang="en"`` picks the tier names and the
axis texts.  Tiers always have the same colours (:data:`TIER_COLOURS`).

=========================  ==================================================================
function                   draws
=========================  ==================================================================
:func:`score_histogram`    score histogram stacked by tier, with the cut score of each tier
:func:`pareto_curve`       cumulative share of a value against share of customers, ABC cuts
:func:`tier_profile_bars`  share of customers against share of kWh / revenue per tier
:func:`dimension_scores`   dimension scores per tier (box plots or mean bars)
:func:`cluster_heatmap`    tiers x clusters contingency table (validation)
:func:`transition_heatmap` previous tier x new tier transitions (regrade)
:func:`tier_probabilities` tier probabilities under weight uncertainty (robustness)
:func:`group_trend_lines`  annual kWh / revenue of each customer group, first year = 100
=========================  ==================================================================

Chinese text needs a font with CJK glyphs; matplotlib's default DejaVu Sans has none.
:func:`cjk_font` finds one (the Noto Sans SC file shipped by the ``zhplot`` package, a file
named by the ``CUSTVALUE_CJK_FONT`` environment variable, or an installed system font) and
every text drawn here gets it as a per-glyph fallback after the normal font.  See
``docs/report.md``.

Examples
--------
>>> from matplotlib.figure import Figure
>>> from custvalue.present.plots import demo_table, score_histogram
>>> ax = score_histogram(demo_table(60), ax=Figure().subplots())
>>> [t.get_text() for t in ax.get_legend().get_texts()]
['特级客户 (6)', '一级客户 (17)', '二级客户 (29)', '三级客户 (6)']
"""

from __future__ import annotations

import functools
import math
import os
import re
import warnings
from collections.abc import Callable, Mapping, Sequence
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.colors import to_rgba
from matplotlib.patches import Patch, Rectangle
from matplotlib.text import Text

from custvalue.errors import (
    EmptyTableError,
    InvalidValueError,
    MissingColumnError,
)
from custvalue.grading import DEFAULT_LABELS, GRADED, GradingLike, grading_scheme, grading_table
from custvalue.present._common import frame_of
from custvalue.present.labels import label as code_label
from custvalue.tiers import tier_sizes

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

__all__ = [
    "CJK_FONT_ENV",
    "CJK_SYSTEM_FAMILIES",
    "TIER_COLOURS",
    "UNGRADED_COLOUR",
    "cjk_font",
    "cjk_font_path",
    "cluster_heatmap",
    "demo_table",
    "dimension_scores",
    "group_trend_lines",
    "pareto_curve",
    "score_histogram",
    "tier_colour",
    "tier_names",
    "tier_probabilities",
    "tier_profile_bars",
    "transition_heatmap",
    "waterfall",
]

Lang = Literal["zh", "en"]

#: The fixed tier palette, best tier first: 特级 vermilion, 一级 orange, 二级 blue, 三级 grey
#: (Okabe-Ito colours, distinguishable with the common colour-vision deficiencies).
TIER_COLOURS: tuple[str, ...] = ("#D55E00", "#E69F00", "#0072B2", "#8C8C8C")
#: Colour of customers without a tier.
UNGRADED_COLOUR = "#D9D9D9"
# Further tiers (a scheme with more than four) cycle through these.
_EXTRA_COLOURS = ("#009E73", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
# Colours of the measures in tier_profile_bars (customers, then values).
_MEASURE_COLOURS = ("#BDBDBD", "#4C72B0", "#55A868", "#C44E52", "#8172B2", "#937860")

#: Environment variable naming a font file (TTF/OTF) to use for Chinese text.
CJK_FONT_ENV = "CUSTVALUE_CJK_FONT"
#: Installed font families tried, in order, when no font file is bundled or named.
CJK_SYSTEM_FAMILIES: tuple[str, ...] = (
    "Noto Sans SC", "Noto Sans CJK SC", "Source Han Sans SC", "Source Han Sans CN",
    "WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "Microsoft YaHei", "SimHei", "PingFang SC",
    "Hiragino Sans GB", "Heiti SC", "Droid Sans Fallback", "Arial Unicode MS",
)
# The CJK font file the zhplot package ships (OFL); found without importing zhplot, whose
# import would change matplotlib's global font settings.
_ZHPLOT_FONT = ("zhplot", "fonts", "NotoSansSC-Regular.ttf")

_TEXT: dict[str, tuple[str, str]] = {
    "score": ("价值得分", "value score"),
    "customers": ("客户数", "customers"),
    "score_title": ("价值得分分布与等级分界", "Score distribution and tier cuts"),
    "cum_customers": ("累计客户占比 (%)", "cumulative share of customers (%)"),
    "cum_value": ("累计{v}占比 (%)", "cumulative share of {v} (%)"),
    "pareto_title": ("{v}集中度（帕累托曲线）", "Concentration of {v} (Pareto curve)"),
    "by_value": ("按{v}降序", "customers by {v}, descending"),
    "by_score": ("按价值得分降序", "customers by score, descending"),
    "equality": ("均匀分布", "equal shares"),
    "abc_line": ("{c} 类：{n:.0%} 的客户，{s:.0%} 的{v}",
                 "class {c}: {n:.0%} of customers, {s:.0%} of {v}"),
    "abc_none": ("无类别（未评级）：{n:.0%} 的客户，{s:.0%} 的{v}",
                 "no class (ungraded): {n:.0%} of customers, {s:.0%} of {v}"),
    "share_pct": ("占比 (%)", "share (%)"),
    "share_customers": ("客户数", "customers"),
    "profile_title": ("各等级客户数与贡献占比", "Share of customers and contribution by tier"),
    "dim_title": ("各等级维度得分", "Dimension scores by tier"),
    "dim_mean_title": ("各等级维度平均得分", "Mean dimension scores by tier"),
    "dim_score": ("维度得分 (0–100)", "dimension score (0–100)"),
    "cluster": ("聚类", "cluster"),
    "tier": ("等级", "tier"),
    "cluster_title": ("等级与聚类对照", "Tiers against clusters"),
    "prev_tier": ("上次等级", "previous tier"),
    "new_tier": ("本次等级", "new tier"),
    "transition_title": ("等级迁移", "Tier transitions"),
    "probability": ("等级概率", "tier probability"),
    "uncertain_title": ("等级最不确定的 {n} 个客户",
                        "The {n} customers with the least certain tier"),
    "modal_prob": ("最可能等级的概率", "probability of the most likely tier"),
    "modal_title": ("权重扰动下的等级稳定性", "Tier stability under weight uncertainty"),
    "modal_floor": ("最可能等级的概率至少为 1/{k}（{k} 个等级）",
                    "the most likely of {k} tiers has probability at least 1/{k}"),
    "cluster_n": ("聚类{n}", "cluster {n}"),
    "dim_nodata": ("{dim}：{share:.0%} 的客户无该维度数据，按缺失值规则计 {v:g} 分",
                   "{dim}: {share:.0%} of customers have no data in it and score {v:g} by "
                   "the missing-value rule"),
    "waterfall_title": ("客户 {c} 的价值得分构成", "How customer {c}'s score is made"),
    "contribution": ("得分贡献（分）", "contribution (points)"),
    "total": ("价值得分", "value score"),
    "others": ("其余 {n} 项", "{n} others"),
}
_VALUE_NAMES: dict[str, tuple[str, str]] = {
    "revenue": ("电费收入", "revenue"),
    "total_kwh": ("用电量", "electricity use"),
    "score": ("价值得分", "value score"),
}
_ROW_NAMES: dict[str, tuple[str, str]] = {
    "new": ("新增", "new"), "entered": ("新增", "entered"), "joined": ("新增", "joined"),
    "left": ("退出", "left"), "gone": ("退出", "gone"), "exited": ("退出", "exited"),
    "departed": ("退出", "departed"),
    "ungraded": ("未评级", "ungraded"), "total": ("合计", "total"),
}
_P_TIER = re.compile(r"p_tier(\d+)")

F = TypeVar("F", bound=Callable[..., Any])


# --------------------------------------------------------------------------- fonts
@functools.cache
def _find_cjk_font() -> tuple[str, str] | None:
    """(family, file) of the CJK font to use, registering a bundled file once."""
    candidates = []
    named = os.environ.get(CJK_FONT_ENV, "").strip()
    if named:
        candidates.append(Path(named))
    spec = find_spec(_ZHPLOT_FONT[0])
    if spec is not None and spec.submodule_search_locations:
        for base in spec.submodule_search_locations:
            candidates.append(Path(base).joinpath(*_ZHPLOT_FONT[1:]))
    for path in candidates:
        if path.is_file():
            family = font_manager.get_font(str(path)).family_name
            known = {Path(f.fname) for f in font_manager.fontManager.ttflist}
            if path not in known:
                font_manager.fontManager.addfont(str(path))
            return family, str(path)
    by_name = {f.name: f.fname for f in font_manager.fontManager.ttflist}
    for family in CJK_SYSTEM_FAMILIES:
        if family in by_name:
            return family, by_name[family]
    return None


def cjk_font() -> str | None:
    """The font family used for Chinese text in plots, or None when none is available.

    Searched once, on the first call, in this order:

    1. the font file named by the ``CUSTVALUE_CJK_FONT`` environment variable;
    2. ``NotoSansSC-Regular.ttf`` shipped by the ``zhplot`` package (a dependency of
       custvalue; SIL Open Font License) -- located on disk, zhplot itself is not imported;
    3. the first of :data:`CJK_SYSTEM_FAMILIES` that matplotlib knows.

    A file found in steps 1--2 is registered with
    ``matplotlib.font_manager.fontManager.addfont``; nothing else global changes.  When no
    font is found, plotting with ``lang="zh"`` warns once (glyphs would show as boxes).

    Examples
    --------
    >>> cjk_font() is not None  # 'Noto Sans SC' from zhplot
    True
    """
    found = _find_cjk_font()
    return None if found is None else found[0]


def cjk_font_path() -> str | None:
    """The file of :func:`cjk_font` (used by the HTML report to embed a subset), or None.

    Examples
    --------
    >>> cjk_font_path().endswith((".ttf", ".otf", ".ttc"))
    True
    """
    found = _find_cjk_font()
    return None if found is None else found[1]


@functools.cache
def _warn_no_cjk() -> None:
    warnings.warn(
        "custvalue.plots: no font with Chinese glyphs found, so Chinese labels will show as "
        f"boxes; install custvalue's dependency 'zhplot', set {CJK_FONT_ENV} to a font file, "
        "or plot with lang='en'",
        UserWarning,
        stacklevel=3,
    )


def _with_fallback(family: Any, cjk: str) -> list[str]:
    families = [family] if isinstance(family, str) else list(family)
    return families if cjk in families else [*families, cjk]


def _apply_cjk(texts: Sequence[Text], cjk: str | None) -> None:
    if cjk is None:
        return
    for text in texts:
        text.set_fontfamily(_with_fallback(text.get_fontfamily(), cjk))


def _plot(func: F) -> F:
    """Run a plot function inside rc_context with the CJK fallback, then give every text
    it drew (and the axis labels and ticks of the Axes) the same fallback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        lang = kwargs.get("lang", "zh")
        _check_lang(lang)
        cjk = cjk_font()
        if cjk is None and lang == "zh":
            _warn_no_cjk()
        rc: dict[RcKeyType, Any] = {"axes.spines.top": False, "axes.spines.right": False}
        if cjk is not None:
            rc["font.family"] = _with_fallback(mpl.rcParams["font.family"], cjk)
        created = kwargs.get("ax") is None
        with mpl.rc_context(rc):
            ax = func(*args, **kwargs)
            scope = ax.figure if created else ax
            _apply_cjk(scope.findobj(Text), cjk)
        return ax

    return wrapper  # type: ignore[return-value]


# --------------------------------------------------------------------------- helpers
def _check_lang(lang: Any) -> None:
    if lang not in ("zh", "en"):
        raise InvalidValueError("plot", "lang", f"lang must be 'zh' or 'en' (got {lang!r})",
                                fix="pass lang='zh' or lang='en'")


def _t(key: str, lang: Lang, **fmt: Any) -> str:
    text = _TEXT[key][0 if lang == "zh" else 1]
    return text.format(**fmt) if fmt else text


def _value_name(column: str, lang: Lang) -> str:
    pair = _VALUE_NAMES.get(column)
    return _plain(column) if pair is None else pair[0 if lang == "zh" else 1]


def _plain(value: Any) -> str:
    """Data text as literal matplotlib text: ``$`` would otherwise start mathtext."""
    return str(value).replace("$", r"\$")


def _new_axes(figsize: tuple[float, float]) -> Axes:
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def grading_frame(obj: GradingLike) -> pd.DataFrame:
    """The table of a grading, of its saved folder, or the table itself (via
    :func:`custvalue.grading.grading_table`: indexed and sorted by ``customer_id``)."""
    return grading_table(obj, name="grading")


def _require(frame: pd.DataFrame, columns: Sequence[str], what: str = "grading") -> None:
    for column in columns:
        if column not in frame.columns:
            raise MissingColumnError(what, column, f"the plot needs the column '{column}'",
                                     fix="pass the grading table (Grading.table)")


def _graded(table: pd.DataFrame) -> pd.DataFrame:
    """Rows with a score and a tier, the tier as plain int."""
    _require(table, ("score", "tier"))
    rows = table[table["score"].notna() & table["tier"].notna()]
    if rows.empty:
        raise EmptyTableError("grading", "score", "no graded customer to plot")
    rows = rows.copy()
    rows["tier"] = rows["tier"].astype("int64")
    return rows


def tier_colour(tier: int) -> str:
    """The fixed colour of ``tier`` (0 = 特级客户).

    Examples
    --------
    >>> tier_colour(0), tier_colour(3)
    ('#D55E00', '#8C8C8C')
    """
    tier = int(tier)
    if tier < len(TIER_COLOURS):
        return TIER_COLOURS[tier]
    return _EXTRA_COLOURS[(tier - len(TIER_COLOURS)) % len(_EXTRA_COLOURS)]


def _scheme_of(obj: Any) -> Any:
    return None if obj is None else grading_scheme(obj)


def tier_names(table: Any = None, *, lang: Lang = "zh", scheme: Any = None) -> dict[int, str]:
    """Display name of each tier: the scheme's labels, else the table's ``tier_zh`` /
    ``tier_en`` columns, else the default 特级客户 / 一级客户 / 二级客户 / 三级客户.

    Parameters
    ----------
    table : DataFrame or Grading, optional
        A grading table with ``tier`` and ``tier_zh`` / ``tier_en``; a Grading also gives
        its scheme.
    lang : {'zh', 'en'}
        Chinese or English names.
    scheme : Scheme, optional
        A scheme whose ``tiers.labels_zh`` / ``labels_en`` win over the rest.

    Returns
    -------
    dict of int to str
        Tier number to name, for at least the tiers found.

    Examples
    --------
    >>> tier_names()
    {0: '特级客户', 1: '一级客户', 2: '二级客户', 3: '三级客户'}
    >>> tier_names(lang="en")[0]
    'special'
    """
    _check_lang(lang)
    i = 0 if lang == "zh" else 1
    names = {k: pair[i] for k, pair in enumerate(DEFAULT_LABELS)}
    scheme = scheme if scheme is not None else _scheme_of(table)
    frame = None
    if table is not None:
        frame = table if isinstance(table, pd.DataFrame) else getattr(table, "table", None)
    if isinstance(frame, pd.DataFrame) and "tier" in frame.columns:
        known = frame.loc[frame["tier"].notna(), "tier"].astype("int64").unique()
        for k in sorted(int(v) for v in known):
            names.setdefault(k, f"第{k + 1}级" if lang == "zh" else f"tier {k}")
        column = f"tier_{lang}"
        if column in frame.columns:
            pairs = frame.loc[frame["tier"].notna() & frame[column].notna(), ["tier", column]]
            pairs = pairs.drop_duplicates("tier")
            for k, label in zip(pairs["tier"].astype("int64"), pairs[column], strict=True):
                names[int(k)] = str(label)
    tiers = getattr(scheme, "tiers", None)
    labels = getattr(tiers, "labels_zh" if lang == "zh" else "labels_en", None)
    if labels:
        names.update(enumerate(str(v) for v in labels))
    return dict(sorted(names.items()))


def axis_names(values: Sequence[Any], names: Mapping[int, str], lang: Lang) -> list[str]:
    """Row/column labels of a heatmap: tier numbers become tier names.

    A ``(status, tier)`` state key (a regrade's transition matrix) is named by its tier
    when graded, else by its status word.
    """
    out = []
    for v in values:
        if isinstance(v, tuple) and len(v) == 2 and isinstance(v[0], str):
            status, tier = v
            v = tier if status == GRADED and not pd.isna(tier) else status
        key = None
        if (
            (isinstance(v, int | np.integer) and not isinstance(v, bool))
            or (isinstance(v, float) and v.is_integer())
            or (isinstance(v, str) and v.strip().isdigit())
        ):
            key = int(v)
        if key is not None and key in names:
            out.append(_plain(names[key]))
        elif isinstance(v, str) and v.lower() in _ROW_NAMES:
            out.append(_ROW_NAMES[v.lower()][0 if lang == "zh" else 1])
        elif v is None or (not isinstance(v, str) and pd.isna(v)):
            out.append(_ROW_NAMES["ungraded"][0 if lang == "zh" else 1])
        else:
            out.append(_plain(v))
    return out


def _tier_legend(ax: Axes, tiers: Sequence[int], names: Mapping[int, str], **kw: Any) -> None:
    handles = [Patch(facecolor=tier_colour(k), label=_plain(names[k])) for k in tiers]
    ax.legend(handles=handles, frameon=False, **kw)


# --------------------------------------------------------------------------- demo data
def demo_table(n: int = 200, *, seed: int = 0) -> pd.DataFrame:
    """A small made-up grading table in the documented column layout, for examples.

    Columns: ``customer_class``, ``region``, ``total_kwh``, ``revenue``,
    ``dim__contribution``, ``dim__compliance``, ``dim__cooperation``, ``score``, ``rank``,
    ``percentile``, ``tier`` (Int64), ``tier_zh``, ``tier_en``, ``abc``, ``graded``,
    ``reason``.  About 5 % of the customers are ungraded.  The numbers are random, not a
    model of real customers; use :mod:`custvalue.samples` for realistic input tables.

    Examples
    --------
    >>> t = demo_table(40)
    >>> t["tier"].value_counts().sort_index().tolist()
    [4, 12, 19, 4]
    >>> int(t["graded"].sum()), t.index[0]
    (39, 'C0001')
    """
    rng = np.random.default_rng(seed)
    ids = [f"C{i:04d}" for i in range(1, n + 1)]
    kwh = np.round(rng.lognormal(11.0, 1.6, n), 1)
    price = rng.uniform(0.55, 0.95, n)
    contribution = 100 * (np.log(kwh) - np.log(kwh).min()) / np.ptp(np.log(kwh))
    compliance = np.clip(rng.normal(72, 15, n), 0, 100)
    cooperation = np.clip(rng.normal(55, 20, n), 0, 100)
    score = np.round(0.58 * contribution + 0.31 * compliance + 0.11 * cooperation, 2)
    graded = rng.random(n) >= 0.05
    score = np.where(graded, score, np.nan)
    order = np.lexsort((np.array(ids), -np.nan_to_num(score, nan=-np.inf)))
    m = int(graded.sum())
    rank = np.full(n, np.nan)
    rank[order[:m]] = np.arange(1, m + 1)
    sizes = tier_sizes(m)
    tier = np.full(n, -1)
    tier[order[:m]] = np.repeat(np.arange(len(sizes)), sizes)
    abc_sizes = tier_sizes(m, (0.05, 0.15, 0.80))
    abc = np.full(n, None, dtype=object)
    abc[order[:m]] = np.repeat(np.array(["A", "B", "C"], dtype=object), abc_sizes)
    zh = np.array([p[0] for p in DEFAULT_LABELS] + [None], dtype=object)
    en = np.array([p[1] for p in DEFAULT_LABELS] + [None], dtype=object)
    frame = pd.DataFrame(
        {
            "customer_class": rng.choice(["大工业", "一般工商业", "居民", "农业"], n),
            "region": rng.choice(["north", "south", "east", "west"], n),
            "total_kwh": kwh,
            "revenue": np.round(kwh * price, 2),
            "dim__contribution": np.round(contribution, 2),
            "dim__compliance": np.round(compliance, 2),
            "dim__cooperation": np.round(cooperation, 2),
            "score": score,
            "rank": pd.array(np.where(graded, rank, np.nan), dtype="Int64"),
            "percentile": np.where(graded, 100 * (m - rank) / max(m, 1), np.nan),
            "tier": pd.array(np.where(tier >= 0, tier, np.nan), dtype="Int64"),
            "tier_zh": zh[tier],
            "tier_en": en[tier],
            "abc": abc,
            "graded": graded,
            "reason": np.where(graded, np.asarray(None), "no_bills"),
        },
        index=pd.Index(ids, name="customer_id"),
    )
    for column in ("dim__contribution", "dim__compliance", "dim__cooperation"):
        frame.loc[~graded, column] = np.nan
    return frame


# --------------------------------------------------------------------------- score histogram
def _cut_scores(rows: pd.DataFrame, cuts: Any) -> dict[int, float]:
    """Cut score of each tier but the last present: given, or the lowest score inside."""
    present = sorted(rows["tier"].unique().tolist())
    if cuts is None:
        lowest = rows.groupby("tier")["score"].min()
        return {int(k): float(lowest[k]) for k in present[:-1]}
    out: dict[int, float] = {}
    for key, value in dict(cuts).items():
        try:
            k = int(key)
        except (TypeError, ValueError):
            continue  # e.g. the 'ungraded' row of Grading.summary()
        if k in present[:-1] and value is not None and not pd.isna(value):
            out[k] = float(value)
    return out


@_plot
def score_histogram(
    table: Any,
    *,
    bins: int = 40,
    cuts: Mapping[Any, float] | pd.Series | None = None,
    lang: Lang = "zh",
    ax: Axes | None = None,
) -> Axes:
    """Histogram of the value score, stacked by tier, with a dashed line at each cut score.

    The cut score of tier ``t`` is the lowest score inside it (the score needed to reach
    it); the worst tier has none.  Each line is labelled ``<tier> ≥ <cut>``.

    Parameters
    ----------
    table : DataFrame or Grading
        Grading table with ``score`` (0--100) and ``tier``; ungraded rows are left out.
    bins : int
        Number of equal bins over 0--100 (wider when scores fall outside).
    cuts : mapping or Series, optional
        Cut score per tier (e.g. ``Grading.summary()["cut_score"]``); keys that are not
        tier numbers are ignored.  Default: the lowest score in each tier.
    lang : {'zh', 'en'}
        Language of the tier names and axis labels.
    ax : Axes, optional
        Where to draw; a new figure when None.

    Returns
    -------
    Axes
        One bar container per tier (``ax.containers``), one line per cut with
        ``gid='tier-cut-<t>'`` and its label text with the same gid.

    Raises
    ------
    MissingColumnError
        Without ``score`` or ``tier``.
    EmptyTableError
        When no customer is graded.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = score_histogram(demo_table(100), lang="en", ax=Figure().subplots())
    >>> sorted(line.get_gid() for line in ax.lines)
    ['tier-cut-0', 'tier-cut-1', 'tier-cut-2']
    """
    t = grading_frame(table)
    rows = _graded(t)
    names = tier_names(table, lang=lang)
    ax = ax if ax is not None else _new_axes((8.0, 4.5))
    tiers = sorted(rows["tier"].unique().tolist())
    scores = rows["score"].to_numpy(dtype=float)
    lo, hi = min(0.0, float(scores.min())), max(100.0, float(scores.max()))
    edges = np.linspace(lo, hi, int(bins) + 1)
    groups = [rows.loc[rows["tier"] == k, "score"].to_numpy(dtype=float) for k in tiers]
    labels = [f"{_plain(names[k])} ({len(g):,})" for k, g in zip(tiers, groups, strict=True)]
    counts, _, _ = ax.hist(groups, bins=edges.tolist(), stacked=True,
                           color=[tier_colour(k) for k in tiers], label=labels,
                           edgecolor="white", linewidth=0.4)
    peak = float(np.max(counts)) if np.size(counts) else 1.0
    ax.set_ylim(0, 1.45 * max(peak, 1.0))  # headroom for the cut labels
    # labels of cuts closer than 18 % of the axis (about the width of a label) are staggered
    # in height (three levels)
    # and alternate sides of their line, so that neighbouring labels do not overprint
    cut_at = _cut_scores(rows, cuts)
    levels, level, last = {}, 0, -math.inf
    for k, cut in sorted(cut_at.items(), key=lambda kv: kv[1]):
        level = (level + 1) % 3 if cut - last < 0.18 * (hi - lo) else 0
        levels[k], last = level, cut
    for k, cut in cut_at.items():
        gid = f"tier-cut-{k}"
        level = levels[k]
        ax.axvline(cut, color=tier_colour(k), linestyle="--", linewidth=1.2, gid=gid)
        ax.text(cut, 0.98 - 0.17 * level, f"{_plain(names[k])} ≥ {cut:.1f}",
                ha="right" if level % 2 == 0 else "left", va="top", fontsize=8,
                color="#333333", transform=ax.get_xaxis_transform(),
                bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": "none",
                      "alpha": 0.85}, gid=gid)
    ax.set_xlim(lo, hi)
    ax.set_xlabel(_t("score", lang))
    ax.set_ylabel(_t("customers", lang))
    ax.set_title(_t("score_title", lang))
    ax.legend(frameon=False, loc="upper left", fontsize=8)
    return ax


# --------------------------------------------------------------------------- Pareto curve
def _pareto_kernel(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative share of customers and of value, starting at (0, 0), in the given order."""
    n = len(values)
    x = np.arange(n + 1) / n
    y = np.concatenate([[0.0], np.cumsum(values) / values.sum()])
    return x, y


@_plot
def pareto_curve(
    table: Any,
    value: str = "revenue",
    *,
    order: Literal["value", "score"] = "value",
    abc: str | None = "abc",
    lang: Lang = "zh",
    ax: Axes | None = None,
) -> Axes:
    """Cumulative share of a value (revenue, kWh) against cumulative share of customers.

    Customers are sorted by ``value`` descending (``order='value'``, the Pareto or Lorenz
    curve) or by score descending (``order='score'``: how much of the value the best-graded
    customers bring); ties go by ``customer_id``.  With ``x_i = i / n`` and
    ``y_i = sum_{j <= i} v_j / sum_j v_j`` the curve runs from (0, 0) to (100 %, 100 %);
    the dotted diagonal is the equal-shares line.  For ``order='value'`` the legend gives
    the Gini coefficient ``G = 2 A - 1``, ``A`` the area under the curve (trapezoids).

    When the table has an ``abc`` column, a vertical line marks the end of each class but
    the last at the cumulative share of customers in it (``gid='abc-cut-<class>'``), and a
    box lists each class's share of customers and the share of the value its customers
    actually hold (``gid='abc-summary'``).

    Parameters
    ----------
    table : DataFrame or Grading
        Needs ``value`` (and ``score`` for ``order='score'``); rows where it is missing
        are left out.
    value : str
        The value column (``revenue`` by default, or ``total_kwh`` ...).
    order : {'value', 'score'}
        Sort order of the customers.
    abc : str or None
        Column of ABC classes; None draws no cuts.
    lang : {'zh', 'en'}
        Language of the labels.
    ax : Axes, optional
        Where to draw; a new figure when None.

    Returns
    -------
    Axes
        The curve (``gid='pareto-curve'``), the diagonal (``gid='equality-line'``), the
        ABC cut lines.

    Raises
    ------
    MissingColumnError
        Without the value column (or ``score`` for ``order='score'``).
    InvalidValueError
        When the value total is not positive.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = pareto_curve(demo_table(100), "revenue", ax=Figure().subplots())
    >>> [line.get_gid() for line in ax.lines]
    ['pareto-curve', 'equality-line', 'abc-cut-A', 'abc-cut-B']
    """
    t = grading_frame(table)
    if order not in ("value", "score"):
        raise InvalidValueError("plot", "order", f"order must be 'value' or 'score' "
                                f"(got {order!r})")
    _require(t, [value] + (["score"] if order == "score" else []))
    keep = t[value].notna() if order == "value" else t[value].notna() & t["score"].notna()
    rows = t[keep]
    if rows.empty:
        raise EmptyTableError("grading", value, f"no customer has a value of '{value}'")
    v = rows[value].to_numpy(dtype=float)
    if not v.sum() > 0:
        raise InvalidValueError("grading", value, f"the total of '{value}' is not positive "
                                f"({v.sum()!r}); a Pareto curve needs a positive total")
    ids = np.asarray(rows.index.astype(str))
    key = v if order == "value" else rows["score"].to_numpy(dtype=float)
    idx = np.lexsort((ids, -key))
    x, y = _pareto_kernel(v[idx])
    vname = _value_name(value, lang)
    ax = ax if ax is not None else _new_axes((7.0, 5.0))
    label = vname
    if order == "value":
        gini = 2.0 * float(np.sum((x[1:] - x[:-1]) * (y[1:] + y[:-1]) / 2.0)) - 1.0
        label = f"{vname} (Gini {gini:.2f})"
    ax.plot(100 * x, 100 * y, color="#4C72B0", linewidth=2, label=label, gid="pareto-curve")
    ax.plot([0, 100], [0, 100], color="#999999", linestyle=":", linewidth=1,
            label=_t("equality", lang), gid="equality-line")
    if abc is not None and abc in rows.columns:
        classes = rows[abc].astype("string")
        labels = sorted(classes.dropna().unique().tolist())
        total = v.sum()
        start, lines = 0.0, []
        for i, cls in enumerate(labels):
            members = (classes == cls).fillna(False).to_numpy(dtype=bool)
            share_n, share_v = members.sum() / len(v), v[members].sum() / total
            start += share_n
            lines.append(_t("abc_line", lang, c=_plain(cls), n=share_n, s=share_v, v=vname))
            if i < len(labels) - 1:
                cut = _plain(f"{cls} | {labels[i + 1]}")
                ax.axvline(100 * start, color="#555555", linestyle="--", linewidth=1,
                           gid=f"abc-cut-{_plain(cls)}")
                ax.text(100 * start, 0.02, f" {cut}", ha="left", va="bottom", fontsize=8,
                        color="#333333", transform=ax.get_xaxis_transform(),
                        gid=f"abc-cut-{_plain(cls)}")
        unclassed = classes.isna().to_numpy(dtype=bool)
        if unclassed.any():
            lines.append(_t("abc_none", lang, n=unclassed.sum() / len(v),
                            s=v[unclassed].sum() / total, v=vname))
        ax.text(0.97, 0.30, "\n".join(lines), ha="right", va="bottom", fontsize=8,
                transform=ax.transAxes, color="#333333", gid="abc-summary",
                bbox={"boxstyle": "round,pad=0.4", "facecolor": "#F5F5F5",
                      "edgecolor": "#DDDDDD"})
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 102)
    ax.set_xlabel(_t("cum_customers", lang) + " · "
                  + (_t("by_value", lang, v=vname) if order == "value"
                     else _t("by_score", lang)))
    ax.set_ylabel(_t("cum_value", lang, v=vname))
    ax.set_title(_t("pareto_title", lang, v=vname))
    ax.legend(frameon=False, loc="lower right")
    return ax


# --------------------------------------------------------------------------- tier profile
def _tier_shares(rows: pd.DataFrame, values: Sequence[str]) -> pd.DataFrame:
    """Share of customers and of each value per tier (rows: tiers; columns: measures)."""
    counts = rows.groupby("tier").size()
    out = pd.DataFrame({"customer_share": counts / counts.sum()})
    for column in values:
        sums = rows.groupby("tier")[column].sum(min_count=1).astype(float)
        total = sums.sum()
        out[column] = sums / total if total else np.nan
    return out.sort_index()


@_plot
def tier_profile_bars(
    table: Any,
    *,
    values: Sequence[str] = ("total_kwh", "revenue"),
    lang: Lang = "zh",
    ax: Axes | None = None,
) -> Axes:
    """Grouped bars per tier: share of the graded customers and share of each value.

    For tier ``t``: ``customers_t / customers`` and ``sum_{i in t} v_i / sum_i v_i`` over
    graded customers (missing values count as 0).  A tier whose value share exceeds its
    customer share contributes more than its size -- the point of the tiering.

    Parameters
    ----------
    table : DataFrame or Grading
        Grading table with ``score``, ``tier`` and the ``values`` columns (those missing
        are skipped).
    values : sequence of str
        Value columns to compare with the share of customers.
    lang : {'zh', 'en'}
        Language of the labels.
    ax : Axes, optional
        Where to draw; a new figure when None.

    Returns
    -------
    Axes
        One bar container per measure (customers first), one bar per tier in each, each
        bar labelled with its percentage.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = tier_profile_bars(demo_table(100), ax=Figure().subplots())
    >>> len(ax.containers), len(ax.patches)
    (3, 12)
    >>> [t.get_text() for t in ax.get_xticklabels()]
    ['特级客户', '一级客户', '二级客户', '三级客户']
    """
    t = grading_frame(table)
    rows = _graded(t)
    values = [c for c in values if c in rows.columns]
    shares = _tier_shares(rows, values)
    names = tier_names(table, lang=lang)
    ax = ax if ax is not None else _new_axes((8.0, 4.5))
    tiers = shares.index.to_numpy()
    measures = list(shares.columns)
    width = 0.8 / len(measures)
    for j, column in enumerate(measures):
        label = (_t("share_customers", lang) if column == "customer_share"
                 else _value_name(column, lang))
        pos = np.arange(len(tiers)) - 0.4 + width * (j + 0.5)
        heights = 100 * shares[column].to_numpy(dtype=float)
        bars = ax.bar(pos, heights, width=width * 0.95, label=label,
                      color=_MEASURE_COLOURS[j % len(_MEASURE_COLOURS)], gid=f"share-{column}")
        ax.bar_label(bars, fmt="%.0f%%", fontsize=7, padding=1)
    ax.set_xticks(np.arange(len(tiers)), [_plain(names[int(k)]) for k in tiers])
    for tick, k in zip(ax.get_xticklabels(), tiers, strict=True):
        tick.set_color(tier_colour(int(k)))
    ax.set_ylabel(_t("share_pct", lang))
    ax.set_title(_t("profile_title", lang))
    ax.margins(y=0.12)
    ax.legend(frameon=False)
    return ax


# --------------------------------------------------------------------------- dimensions
def dimension_labels(columns: Sequence[str], scheme: Any, lang: Lang) -> list[str]:
    """Label of each ``dim__<name>`` column: the scheme's label in ``lang``, else the name."""
    out = []
    dims = getattr(scheme, "dimensions", None)
    dims = dims if isinstance(dims, Mapping) else {}
    for column in columns:
        name = column.removeprefix("dim__")
        label = getattr(getattr(dims.get(name), "label", None), lang, "")
        out.append(str(label) if label else name)
    return out


@_plot
def dimension_scores(
    table: Any,
    *,
    kind: Literal["box", "bar"] = "box",
    dimensions: Sequence[str] | None = None,
    scheme: Any = None,
    lang: Lang = "zh",
    ax: Axes | None = None,
) -> Axes:
    """Dimension scores (0--100) per tier: box plots or bars of the mean, grouped by dimension.

    Parameters
    ----------
    table : DataFrame or Grading
        Grading table with ``tier`` and ``dim__<dimension>`` columns.
    kind : {'box', 'bar'}
        Box plots (median, quartiles, whiskers at 1.5 IQR, no outlier points) or bars of
        the mean.
    dimensions : sequence of str, optional
        Dimension names (without ``dim__``); default all ``dim__*`` columns in table order.
    scheme : Scheme, optional
        For the dimension labels (``label.zh`` / ``label.en``); a Grading gives its own.
        Without it the dimension names are shown.
    lang : {'zh', 'en'}
        Language of the labels.
    ax : Axes, optional
        Where to draw; a new figure when None.

    Returns
    -------
    Axes
        ``kind='box'``: one box patch per dimension and tier (``gid='box-<dim>-<tier>'``);
        ``kind='bar'``: one bar container per tier.  When customers have none of a
        dimension's indicators and get its fill value (``neutral`` 50 or ``worst`` 0), a
        flat box would appear unexplained: a note under the plot (``gid='dim-missing-note'``)
        says which share of customers that is (needs the scheme and the ``norm__*``
        columns).

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> ax = dimension_scores(demo_table(100), ax=Figure().subplots())
    >>> len([p for p in ax.patches if (p.get_gid() or "").startswith("box-")])
    12
    >>> ax = dimension_scores(demo_table(100), kind="bar", ax=Figure().subplots())
    >>> len(ax.containers)
    4
    """
    t = grading_frame(table)
    if kind not in ("box", "bar"):
        raise InvalidValueError("plot", "kind", f"kind must be 'box' or 'bar' (got {kind!r})")
    _require(t, ("tier",))
    if dimensions is None:
        columns = [c for c in t.columns if c.startswith("dim__")]
    else:
        columns = [f"dim__{d}" for d in dimensions]
        _require(t, columns)
    if not columns:
        raise MissingColumnError("grading", "dim__*", "no dimension score column",
                                 fix="pass the grading table (Grading.table)")
    rows = t[t["tier"].notna()].copy()
    if rows.empty:
        raise EmptyTableError("grading", "tier", "no customer has a tier")
    rows["tier"] = rows["tier"].astype("int64")
    names = tier_names(table, lang=lang)
    tiers = sorted(rows["tier"].unique().tolist())
    labels = [_plain(v) for v in dimension_labels(
        columns, scheme if scheme is not None else _scheme_of(table), lang)]
    ax = ax if ax is not None else _new_axes((max(6.0, 2.6 * len(columns)), 4.5))
    k = len(tiers)
    width = 0.8 / k
    centres = np.arange(len(columns))
    if kind == "box":
        for j, tier in enumerate(tiers):
            data, pos, dims = [], [], []
            for i, column in enumerate(columns):
                vals = rows.loc[rows["tier"] == tier, column].dropna().to_numpy(dtype=float)
                if len(vals):
                    data.append(vals)
                    pos.append(centres[i] - 0.4 + width * (j + 0.5))
                    dims.append(column.removeprefix("dim__"))
            if not data:
                continue
            parts = ax.boxplot(data, positions=pos, widths=width * 0.85, patch_artist=True,
                               showfliers=False, manage_ticks=False)
            for box, dim in zip(parts["boxes"], dims, strict=True):
                box.set_facecolor(to_rgba(tier_colour(tier), 0.75))
                box.set_edgecolor("#333333")
                box.set_gid(f"box-{dim}-{tier}")
            for median in parts["medians"]:
                median.set_color("#222222")
        ax.set_title(_t("dim_title", lang))
    else:
        means = rows.groupby("tier")[columns].mean()
        for j, tier in enumerate(tiers):
            ax.bar(centres - 0.4 + width * (j + 0.5), means.loc[tier].to_numpy(dtype=float),
                   width=width * 0.95, color=tier_colour(tier), label=_plain(names[tier]),
                   gid=f"mean-{tier}")
        ax.set_title(_t("dim_mean_title", lang))
    ax.set_xticks(centres, labels)
    ax.set_xlim(-0.6, len(columns) - 0.4)
    ax.set_ylim(0, 105)
    ax.set_ylabel(_t("dim_score", lang))
    notes = _no_data_notes(rows, columns, labels,
                           scheme if scheme is not None else _scheme_of(table), lang)
    if notes:
        ax.text(0.0, -0.16, "\n".join(notes), transform=ax.transAxes, ha="left", va="top",
                fontsize=7, color="#555555", gid="dim-missing-note")
    _tier_legend(ax, tiers, names, loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8)
    return ax


def _no_data_notes(rows: pd.DataFrame, columns: Sequence[str], labels: Sequence[str],
                   scheme: Any, lang: Lang) -> list[str]:
    """Notes for dimensions some customers have no indicator of (scored a fill value)."""
    dims = getattr(scheme, "dimensions", None)
    if not dims:
        return []
    notes = []
    for column, label in zip(columns, labels, strict=True):  # a loop over dimensions
        dim = dims.get(column.removeprefix("dim__"))
        leaves = getattr(dim, "leaves", None) or getattr(dim, "indicators", None) or ()
        norm = [f"norm__{i}" for i in leaves]
        if not norm or any(c not in rows.columns for c in norm):
            continue
        nodata = rows[norm].isna().all(axis=1).to_numpy()
        values = rows.loc[nodata, column].dropna()
        if values.empty or values.nunique() != 1:
            continue  # re-spread (NaN, not drawn) or no customer without data
        notes.append(_t("dim_nodata", lang, dim=label, share=len(values) / len(rows),
                        v=float(values.iloc[0])))
    return notes


def _is_int(value: Any) -> bool:
    """Whether a label is a whole number (a tier or cluster number)."""
    try:
        return float(value) == int(value) and not isinstance(value, bool)
    except (TypeError, ValueError):
        return False


# --------------------------------------------------------------------------- heatmaps
def _heatmap(ax: Axes, frame: pd.DataFrame, rows: list[str], cols: list[str],
             normalise: str | None, cmap: str) -> Any:
    counts = frame.to_numpy(dtype=float)
    if normalise == "index":
        sums = counts.sum(axis=1, keepdims=True)
        data = np.divide(counts, sums, out=np.zeros_like(counts), where=sums != 0)
    elif normalise == "columns":
        sums = counts.sum(axis=0, keepdims=True)
        data = np.divide(counts, sums, out=np.zeros_like(counts), where=sums != 0)
    elif normalise is None:
        data = counts
    else:
        raise InvalidValueError("plot", "normalise", "normalise must be None, 'index' or "
                                f"'columns' (got {normalise!r})")
    image = ax.imshow(data, cmap=cmap, aspect="auto", interpolation="nearest")
    finite = data[np.isfinite(data)]
    top = float(finite.max()) if finite.size else 0.0
    for (i, j), count in np.ndenumerate(counts):
        if not math.isfinite(count):
            continue
        text = f"{count:,.0f}" if float(count).is_integer() else f"{count:,.2f}"
        if normalise is not None:
            text += f"\n{data[i, j]:.0%}"
        ax.text(j, i, text, ha="center", va="center", fontsize=8,
                color="white" if top and data[i, j] > 0.6 * top else "#222222",
                gid="cell")
    ax.set_xticks(np.arange(len(cols)), cols)
    ax.set_yticks(np.arange(len(rows)), rows)
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    return image


@_plot
def cluster_heatmap(
    contingency: Any,
    *,
    normalise: Literal["index", "columns"] | None = None,
    colorbar: bool = True,
    lang: Lang = "zh",
    scheme: Any = None,
    ax: Axes | None = None,
) -> Axes:
    """Heatmap of a tiers x clusters contingency table (the validation's cross-tabulation).

    Rows are tiers (numbers are shown as tier names), columns are clusters, numbered from 1
    (``聚类1`` … / ``cluster 1`` …); each cell shows its count, and with ``normalise`` its
    share of the row (``'index'``) or column.

    Parameters
    ----------
    contingency : DataFrame or validation report
        Counts, tiers as index, clusters as columns; an object with a ``contingency`` (or
        ``crosstab``) DataFrame attribute is accepted.
    normalise : {None, 'index', 'columns'}
        Colour by raw counts (default) or by row / column shares.
    colorbar : bool
        Draw a colour bar beside the Axes.
    lang : {'zh', 'en'}
        Language of the labels.
    scheme : Scheme, optional
        Whose tier labels to show (default 特级客户 … 三级客户 / special … third).
    ax : Axes, optional
        Where to draw; a new figure when None.

    Returns
    -------
    Axes
        ``ax.images[0]`` holds the matrix drawn (the input counts when ``normalise`` is
        None).

    Examples
    --------
    >>> import pandas as pd
    >>> from matplotlib.figure import Figure
    >>> ct = pd.DataFrame([[8, 2], [5, 25], [1, 49], [0, 10]], index=[0, 1, 2, 3])
    >>> ax = cluster_heatmap(ct, ax=Figure().subplots())
    >>> ax.images[0].get_array().tolist()[0], ax.get_yticklabels()[0].get_text()
    ([8.0, 2.0], '特级客户')
    >>> [t.get_text() for t in ax.get_xticklabels()]
    ['聚类1', '聚类2']
    """
    frame = frame_of(contingency, ("contingency", "crosstab", "contingency_table", "table"),
                   "contingency")
    names = tier_names(lang=lang, scheme=scheme)
    ax = ax if ax is not None else _new_axes((1.2 * frame.shape[1] + 3.0,
                                              0.6 * frame.shape[0] + 2.0))
    rows = axis_names(list(frame.index), names, lang)
    cols = [_t("cluster_n", lang, n=int(c) + 1) if _is_int(c) else _plain(c)
            for c in frame.columns]
    image = _heatmap(ax, frame, rows, cols, normalise, "Blues")
    ax.set_xlabel(_t("cluster", lang))
    ax.set_ylabel(_t("tier", lang))
    ax.set_title(_t("cluster_title", lang))
    if colorbar:
        ax.figure.colorbar(image, ax=ax, shrink=0.85)
    return ax


@_plot
def transition_heatmap(
    transitions: Any,
    *,
    normalise: Literal["index", "columns"] | None = None,
    colorbar: bool = True,
    lang: Lang = "zh",
    scheme: Any = None,
    ax: Axes | None = None,
) -> Axes:
    """Heatmap of tier transitions between two gradings: previous tier (rows) x new tier.

    Tier numbers are shown as tier names; ``new`` / ``left`` / ``ungraded`` rows and columns
    (customers who joined, left or lost their grade) are translated.  Rows whose counts are
    all zero (e.g. ``new`` when nobody joined) are left out, and so are all-zero columns that
    are not tiers.  Cells where the row and column name the same tier (customers who kept
    their tier) are outlined (``gid='diagonal'``).

    Parameters
    ----------
    transitions : DataFrame or Comparison
        Counts; an object with a ``transitions`` (or ``transition_matrix``) DataFrame
        attribute is accepted.  Rows and columns are tier numbers and status words, or
        ``(status, tier)`` state keys as in ``Comparison.transitions``.
    normalise : {None, 'index', 'columns'}
        Colour by counts (default) or by row shares (``'index'``: where each previous tier
        went) or column shares.
    colorbar : bool
        Draw a colour bar beside the Axes.
    lang : {'zh', 'en'}
        Language of the labels.
    scheme : Scheme, optional
        Whose tier labels to show (default 特级客户 … 三级客户 / special … third).
    ax : Axes, optional
        Where to draw; a new figure when None.

    Returns
    -------
    Axes
        ``ax.images[0]`` holds the matrix drawn.

    Examples
    --------
    >>> import pandas as pd
    >>> from matplotlib.figure import Figure
    >>> tr = pd.DataFrame([[9, 1, 0], [2, 25, 3], [0, 4, 46]], index=[0, 1, 2],
    ...                   columns=[0, 1, 2])
    >>> ax = transition_heatmap(tr, lang="en", ax=Figure().subplots())
    >>> len([p for p in ax.patches if p.get_gid() == "diagonal"])
    3
    >>> tr.loc["new"] = 0
    >>> ax = transition_heatmap(tr, lang="en", ax=Figure().subplots())
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['special', 'first', 'second']
    """
    frame = frame_of(transitions, ("transitions", "transition_matrix", "matrix", "table"),
                   "transitions")
    counts = frame.apply(pd.to_numeric, errors="coerce").fillna(0)
    keep_cols = [c for c in frame.columns if _is_int(c) or counts[c].abs().sum() > 0]
    frame = frame.loc[counts.abs().sum(axis=1) > 0, keep_cols]
    if frame.empty:
        raise EmptyTableError("transitions", None, "every transition count is zero")
    names = tier_names(lang=lang, scheme=scheme)
    ax = ax if ax is not None else _new_axes((1.2 * frame.shape[1] + 3.0,
                                              0.6 * frame.shape[0] + 2.0))
    rows = axis_names(list(frame.index), names, lang)
    cols = axis_names(list(frame.columns), names, lang)
    image = _heatmap(ax, frame, rows, cols, normalise, "Purples")
    tiers = set(names.values())  # kept tiers only: ungraded → ungraded is no diagonal
    for i, row in enumerate(rows):
        for j, col in enumerate(cols):
            if row == col and row in tiers:
                ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False,
                                       edgecolor="#D55E00", linewidth=1.5, gid="diagonal"))
    ax.set_xlabel(_t("new_tier", lang))
    ax.set_ylabel(_t("prev_tier", lang))
    ax.set_title(_t("transition_title", lang))
    if colorbar:
        ax.figure.colorbar(image, ax=ax, shrink=0.85)
    return ax


# --------------------------------------------------------------------------- robustness
def stability_probabilities(stability: Any) -> tuple[pd.DataFrame, list[str], list[int]]:
    """The per-customer table of a stability result, its p_tier columns and their tiers."""
    frame = frame_of(stability, ("probabilities", "customers", "table", "frame", "tiers"),
                   "stability")
    found = sorted((int(m.group(1)), c) for c in frame.columns
                   if isinstance(c, str) and (m := _P_TIER.fullmatch(c)))
    if not found:
        raise MissingColumnError("stability", "p_tier0", "no p_tier<k> probability column",
                                 fix="pass the per-customer table of tier_stability(...)")
    return frame, [c for _, c in found], [k for k, _ in found]


@_plot
def tier_probabilities(
    stability: Any,
    *,
    kind: Literal["uncertain", "modal"] = "uncertain",
    top: int = 20,
    lang: Lang = "zh",
    scheme: Any = None,
    ax: Axes | None = None,
) -> Axes:
    """Tier probabilities from the robustness analysis (tiers under perturbed weights).

    ``kind='uncertain'``: horizontal stacked bars of ``p_tier0 .. p_tierK`` for the ``top``
    customers whose most likely tier is least certain (lowest ``max_k p_tier<k>``, ties by
    ``customer_id``), most uncertain on top; a ``tier`` column, if present, is shown after
    the customer id.  ``kind='modal'``: histogram of ``max_k p_tier<k>`` over all customers,
    stacked by the most likely tier.

    Parameters
    ----------
    stability : DataFrame or stability result
        Per-customer ``p_tier<k>`` columns indexed by ``customer_id``; an object with a
        ``probabilities`` / ``table`` DataFrame attribute is accepted.  Rows with missing
        probabilities (ungraded customers) are left out.
    kind : {'uncertain', 'modal'}
        Which view.
    top : int
        Number of customers shown by ``kind='uncertain'``.
    lang : {'zh', 'en'}
        Language of the labels.
    scheme : Scheme, optional
        Whose tier labels to show (default 特级客户 … 三级客户 / special … third).
    ax : Axes, optional
        Where to draw; a new figure when None.

    Returns
    -------
    Axes
        One bar container per tier.

    Examples
    --------
    >>> import pandas as pd
    >>> from matplotlib.figure import Figure
    >>> p = pd.DataFrame({"p_tier0": [0.9, 0.5, 0.0], "p_tier1": [0.1, 0.5, 0.2],
    ...                   "p_tier2": [0.0, 0.0, 0.8], "p_tier3": [0.0, 0.0, 0.0]},
    ...                  index=pd.Index(["C1", "C2", "C3"], name="customer_id"))
    >>> ax = tier_probabilities(p, top=2, ax=Figure().subplots())
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['C2', 'C3']
    """
    frame, columns, tiers = stability_probabilities(stability)
    if kind not in ("uncertain", "modal"):
        raise InvalidValueError("plot", "kind", "kind must be 'uncertain' or 'modal' "
                                f"(got {kind!r})")
    rows = frame[frame[columns].notna().all(axis=1)]
    if rows.empty:
        raise EmptyTableError("stability", columns[0], "no customer has tier probabilities")
    probs = rows[columns].to_numpy(dtype=float)
    modal = probs.max(axis=1)
    names = tier_names(lang=lang, scheme=scheme)
    for k in tiers:
        names.setdefault(k, f"第{k + 1}级" if lang == "zh" else f"tier {k}")
    if kind == "uncertain":
        ids = np.asarray(rows.index.astype(str))
        idx = np.lexsort((ids, modal))[: int(top)]
        ax = ax if ax is not None else _new_axes((8.0, 0.28 * len(idx) + 1.8))
        labels = [_plain(i) for i in ids[idx]]
        if "tier" in rows.columns:
            current = rows["tier"].to_numpy(dtype=object)[idx]
            labels = [lab if pd.isna(c) else f"{lab} ({_plain(names.get(int(c), c))})"
                      for lab, c in zip(labels, current, strict=True)]
        y = np.arange(len(idx))
        left = np.zeros(len(idx))
        for j, k in enumerate(tiers):
            width = probs[idx, j]
            ax.barh(y, width, left=left, color=tier_colour(k), label=_plain(names[k]),
                    height=0.8, gid=f"p-tier-{k}")
            left += width
        ax.set_yticks(y, labels)
        ax.invert_yaxis()
        ax.set_xlim(0, 1)
        ax.set_xlabel(_t("probability", lang))
        ax.set_title(_t("uncertain_title", lang, n=len(idx)))
        ax.legend(frameon=False, loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8)
    else:
        ax = ax if ax is not None else _new_axes((8.0, 4.5))
        best = np.asarray(tiers)[probs.argmax(axis=1)]
        # the largest of T probabilities is at least 1/T: the axis starts there
        floor = math.floor(20.0 / len(tiers)) / 20.0
        edges = np.linspace(floor, 1.0, round((1.0 - floor) * 40) + 1)
        groups = [modal[best == k] for k in tiers]
        ax.hist(groups, bins=edges.tolist(), stacked=True, color=[tier_colour(k) for k in tiers],
                label=[_plain(names[k]) for k in tiers], edgecolor="white", linewidth=0.4)
        ax.set_xlim(floor, 1)
        ax.text(0.99, 0.98, _t("modal_floor", lang, k=len(tiers)), ha="right", va="top",
                fontsize=7, color="#555555", transform=ax.transAxes, gid="modal-floor")
        ax.set_xlabel(_t("modal_prob", lang))
        ax.set_ylabel(_t("customers", lang))
        ax.set_title(_t("modal_title", lang))
        ax.legend(frameon=False, loc="upper left", fontsize=8)
    return ax


# --------------------------------------------------------------------------- group trends
@_plot
def group_trend_lines(
    trends: Any,
    *,
    value: Literal["kwh", "revenue"] = "kwh",
    lang: Lang = "zh",
    ax: Axes | None = None,
) -> Axes:
    """Annual kWh (or revenue) of each group, indexed to its first year = 100 (seed 000 §3.2).

    One line per group of a :class:`~custvalue.analysis.groups.GroupTrends` (or its
    ``series`` table), so that groups of very different size compare; the legend gives each
    group's annual growth rate and prospect.  Tier groups keep the tier colours.

    Parameters
    ----------
    trends : GroupTrends or DataFrame
        The result of :func:`custvalue.analysis.groups.group_trends` (or its ``series``).
    value : {'kwh', 'revenue'}
    lang : {'zh', 'en'}
    ax : Axes, optional

    Returns
    -------
    Axes
        One line per group (``gid`` ``trend-<group>``).

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> s = pd.DataFrame({"group": ["0", "0", "1", "1"], "year": [1, 2, 1, 2],
    ...                   "label": ["Y1", "Y2", "Y1", "Y2"], "partial": False,
    ...                   "kwh": [100.0, 110.0, 50.0, 45.0]})
    >>> ax = group_trend_lines(s, lang="en", ax=Figure().subplots())
    >>> [list(line.get_ydata()) for line in ax.get_lines()
    ...  if str(line.get_gid()).startswith("trend-")]
    [[np.float64(100.0), np.float64(110.0)], [np.float64(100.0), np.float64(90.0)]]
    """
    series = frame_of(trends, ("series",), "group trends")
    _require(series, ["group", "year", "label", value], "group trends")
    groups = getattr(trends, "groups", None)
    by = getattr(trends, "by", "tier" if series["group"].astype(str).str.fullmatch(
        r"\d+|ungraded").all() else "")
    ax = ax if ax is not None else _new_axes((8.0, 4.5))
    names = tier_names(None, lang=lang) if by == "tier" else {}
    labels = series.drop_duplicates("year").sort_values("year")
    for g in pd.unique(series["group"]):  # a loop over groups (few)
        part = series[series["group"] == g].sort_values("year")
        base = part[value].to_numpy(dtype=float)[0]
        with np.errstate(invalid="ignore", divide="ignore"):
            y = 100.0 * part[value].to_numpy(dtype=float) / base
        name = str(g)
        if by == "tier":
            colour = tier_colour(int(g)) if name.isdigit() else UNGRADED_COLOUR
            name = names.get(int(g), name) if name.isdigit() else (
                "未评级" if lang == "zh" else "ungraded")
        else:
            colour = None
            if by in ("abc", "customer_class"):  # business labels from the one label table
                name = code_label(by, name, lang)
        if groups is not None and g in groups.index:
            rate = groups.at[g, f"{value}_growth"] if f"{value}_growth" in groups else np.nan
            prospect = code_label("prospect", groups.at[g, "prospect"], lang)
            if np.isfinite(rate):
                name = f"{name} ({rate:+.1%}/{'年' if lang == 'zh' else 'yr'}, {prospect})"
        ax.plot(part["year"].to_numpy(), y, marker="o", label=_plain(name), color=colour,
                gid=f"trend-{g}")
    ax.set_xticks(labels["year"].to_numpy(), [_plain(v) for v in labels["label"]])
    ax.axhline(100.0, color="#BDBDBD", linewidth=0.8, zorder=0)
    what = _value_name("total_kwh" if value == "kwh" else "revenue", lang)
    ax.set_ylabel(f"{what}（首年 = 100）" if lang == "zh" else f"{what} (first year = 100)")
    ax.set_title("各客户群年度趋势" if lang == "zh" else "Annual trend by customer group")
    ax.legend(frameon=False, fontsize=8, loc="center left", bbox_to_anchor=(1.0, 0.5))
    return ax


# --------------------------------------------------------------------------- waterfall
@_plot
def waterfall(
    explanation: Any,
    *,
    top: int = 10,
    scheme: Any = None,
    lang: Lang = "zh",
    ax: Axes | None = None,
) -> Axes:
    """One customer's score as a waterfall: each indicator's contribution, then the total.

    Horizontal steps from 0 to the score, one per indicator (largest contribution first;
    the ``top`` largest shown, the rest as one step), coloured by dimension, and a last
    bar with the value score.  The contributions are those of
    :func:`custvalue.scoring.explain` and add up to the score.

    Parameters
    ----------
    explanation : Explanation
        From :meth:`Grading.explain` or :func:`custvalue.scoring.explain` (a graded
        customer).
    top : int, default 10
        Indicators shown one by one; the others are summed into one step.
    scheme : Scheme, optional
        For the indicator labels in ``lang`` (default: the indicator names).
    lang : {'zh', 'en'}
    ax : Axes, optional
        Where to draw; a new figure when None.

    Returns
    -------
    Axes
        One bar per step (``gid='step-<indicator>'``, ``'step-others'``) and the total
        (``gid='total'``, its width the score).

    Raises
    ------
    InvalidValueError
        The customer is not graded.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> from custvalue.scoring import score_result, example_frame
    >>> ex = score_result(example_frame()).explain("C1")
    >>> ax = waterfall(ex, top=5, lang="en", ax=Figure().subplots())
    >>> total = [p for p in ax.patches if p.get_gid() == "total"][0]
    >>> bool(abs(total.get_width() - ex.score) < 1e-9)
    True
    >>> steps = [p for p in ax.patches if (p.get_gid() or "").startswith("step-")]
    >>> end = max(p.get_x() + p.get_width() for p in steps)
    >>> len(steps), bool(abs(end - ex.score) < 1e-9)
    (6, True)
    """
    table = getattr(explanation, "table", None)
    if not isinstance(table, pd.DataFrame) or "contribution" not in table.columns:
        raise InvalidValueError("plot", "explanation", "expected an Explanation (from "
                                "Grading.explain)")
    if not getattr(explanation, "graded", True) or not math.isfinite(
            float(getattr(explanation, "score", math.nan))):
        raise InvalidValueError("plot", "explanation", f"customer {explanation.customer_id} "
                                f"is not graded: {getattr(explanation, 'reason', '')}")
    rows = table[table["contribution"].abs() > 0].sort_values("contribution", ascending=False,
                                                              kind="stable")
    shown, rest = rows.iloc[:int(top)], rows.iloc[int(top):]
    dims = list(dict.fromkeys(table["dimension"]))
    palette = [*_MEASURE_COLOURS[1:], *_EXTRA_COLOURS]
    colour = {d: palette[i % len(palette)] for i, d in enumerate(dims)}
    labels = []
    for name in shown.index:  # a loop over indicators
        label = ""
        if scheme is not None and name in getattr(scheme, "indicator_names", ()):
            label = getattr(scheme.indicator(name).label, lang, "")
        labels.append(_plain(label or name))
    steps = [(str(n), lab, float(c), colour[d]) for n, lab, c, d in
             zip(shown.index, labels, shown["contribution"], shown["dimension"], strict=True)]
    if len(rest):
        steps.append(("others", _t("others", lang, n=len(rest)),
                      float(rest["contribution"].sum()), "#BDBDBD"))
    ax = ax if ax is not None else _new_axes((8.0, 0.4 * (len(steps) + 1) + 1.5))
    left = 0.0
    for y, (name, _label, c, col) in enumerate(steps):
        ax.barh(y, c, left=left, color=col, height=0.7, gid=f"step-{name}")
        ax.text(left + max(c, 0.0) + 0.5, y, f"{c:+.1f}", va="center", fontsize=7,
                color="#333333")
        left += c
    score = float(explanation.score)
    ax.barh(len(steps), score, color="#333333", height=0.7, gid="total")
    ax.text(score + 0.5, len(steps), f"{score:.1f}", va="center", fontsize=8,
            fontweight="bold")
    ax.set_yticks(np.arange(len(steps) + 1), [s[1] for s in steps] + [_t("total", lang)])
    ax.invert_yaxis()
    ax.set_xlim(0, max(100.0, score * 1.1))
    ax.set_xlabel(_t("contribution", lang))
    ax.set_title(_t("waterfall_title", lang, c=_plain(explanation.customer_id)))
    handles = [Rectangle((0, 0), 1, 1, color=colour[d]) for d in dims
               if d in set(shown["dimension"])]
    names = dimension_labels([f"dim__{d}" for d in dims if d in set(shown["dimension"])],
                             scheme, lang)
    ax.legend(handles, [_plain(n) for n in names], frameon=False, loc="lower right",
              fontsize=8)
    return ax
