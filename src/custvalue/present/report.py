"""One self-contained HTML report of a grading, in one language, for the manager who signs it.

:func:`render_report` returns the page as a string; :func:`write_report` writes it.  The
page is a Jinja2 template (``custvalue/present/templates/report.html.j2`` and
``report.css``, shipped as package data) filled with *blocks* (paragraphs, cards, tables,
figures, folded details) that this module builds from the results; its tables are rendered
by pandas' Styler from frames of display strings.  Everything from the data is HTML-escaped
(the template autoescapes, the Styler escapes cells and headers).  The page needs nothing
outside itself: plots are base64 SVG (or PNG), the CSS is inline, there is no JavaScript,
the Chinese text can carry a subset of the plots' CJK font, and a Content-Security-Policy
forbids any external load.

**One language** (``lang='zh'``, the default, or ``'en'``): headings, column headers,
units (万元 and 万kWh, or yuan and MWh), the business label of every code (tariff classes,
reasons, statuses, indicators, ABC classes, management actions, complaint grades, causes of
a move; :mod:`custvalue.present.labels`) and the key findings
(:mod:`custvalue.present.findings`).  Customer ids and names from the data are shown as
they are.

**Sections** (those without their input are left out; ``id`` in brackets):

1. Key findings (``findings``) -- plain sentences from the numbers;
2. Overview (``summary``) -- totals with units, tiers (size, target, cut score, shares of
   kWh and revenue), why customers are not graded, ABC classes;
3. Tier profiles (``profiles``);
4. Charts (``plots``) -- score histogram with cut scores, Pareto curve, tier profile bars,
   dimension scores;
5. Validation and robustness (``validation``) -- PASS / WARN / FAIL per gate
   (:mod:`custvalue.validation.gates`) with the figure and the threshold;
6. Tier changes (``movers``) -- with ``comparison``: the transition matrix and the movers
   table (largest moves first, with their cause and drivers);
7. Improvement plans (``plans``) -- with ``plans``: 三级 customers' plans, summarised;
8. Services and management actions (``services``) -- services per tier, ABC actions;
9. Customer group trends (``groups``) -- with ``groups``;
10. Complaint grading (``complaints``) -- with ``complaints``;
11. Scheme and weights (``scheme``);
12. Appendix (``appendix``) -- folded: clustering details, centroids, the k scan,
    robustness details and sensitivity indices, indicator diagnostics, the manifest.

**Determinism.**  The same inputs give a byte-identical page: matplotlib's SVG ids come
from a fixed salt, no creation date is written into the images, the tables' ids are
numbered, and the only time stamp is the grading manifest's own ``created_at``.

This module is long because it builds the twelve sections (each a short function) and
shares their table, figure and font helpers; the sentences live in ``findings.py``, the
labels in ``labels.toml`` and the layout in the template.

Examples
--------
>>> from custvalue.present.plots import demo_table
>>> page = render_report(demo_table(40), title="演示 <demo>", embed_font=False)
>>> page.startswith("<!DOCTYPE html>"), "演示 &lt;demo&gt;" in page, 'src="http' in page
(True, True, False)
"""

from __future__ import annotations

import base64
import functools
import io
import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import jinja2
import matplotlib as mpl
import numpy as np
import pandas as pd
from markupsafe import Markup
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from pandas.io.formats.style import Styler

from custvalue.errors import InvalidValueError
from custvalue.grading import GradingLike, as_grading, grading_scheme
from custvalue.present import plots
from custvalue.present._common import frame_of
from custvalue.present.findings import Fmt, group_label, key_findings, verdict_sentence
from custvalue.present.labels import label, label_series, scheme_label

__all__ = ["MAX_TABLE_ROWS", "SECTIONS", "render_report", "write_report"]

Lang = Literal["zh", "en"]
ImageFormat = Literal["svg", "png"]

#: Salt for the ids in matplotlib's SVG output, fixed so that renders are reproducible.
SVG_HASHSALT = "custvalue-report"
#: Resolution of PNG images (``image_format='png'``).
PNG_DPI = 144
#: Tables longer than this are cut (with a note).
MAX_TABLE_ROWS = 200
#: Rows of the movers, plans and complaints tables.
LIST_ROWS = 30
#: Section ids in page order (see the module docstring).
SECTIONS: tuple[str, ...] = ("findings", "summary", "profiles", "plots", "validation",
                             "movers", "plans", "services", "groups", "complaints", "scheme",
                             "appendix")

Block = dict[str, Any]


# --------------------------------------------------------------------------- template
@functools.cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("custvalue.present", "templates"),
        autoescape=True, keep_trailing_newline=True, undefined=jinja2.StrictUndefined)


@functools.cache
def _css() -> str:
    return (resources.files("custvalue.present").joinpath("templates", "report.css")
            .read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- context
@dataclass
class _Page:
    """What every section builder needs: the language, formats, names and counters."""

    lang: Lang
    fmt: Fmt
    scheme: Any
    names: dict[int, str]
    image_format: ImageFormat
    figures: bool = True
    tables: int = 0
    colours: dict[int, str] = field(default_factory=dict)

    def t(self, kind: str, code: Any) -> str:
        return label(kind, code, self.lang)

    def tier(self, value: Any) -> str:
        if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
            return label("status", "ungraded", self.lang)
        try:
            return self.names.get(int(value), str(value))
        except (TypeError, ValueError):
            return label("status", str(value), self.lang)

    def indicator(self, name: str) -> str:
        return scheme_label(self.scheme, "indicator", name, self.lang)

    def dimension(self, name: str) -> str:
        return scheme_label(self.scheme, "dimension", name, self.lang)

    def zh_en(self, zh: str, en: str) -> str:
        return zh if self.lang == "zh" else en


# --------------------------------------------------------------------------- tables
_NUMERIC = {"n", "pct", "pct1", "score", "score2", "money", "energy", "num", "signed_pct",
            "signed_score", "numtext"}


def _column_text(values: pd.Series, kind: str, fmt: Fmt) -> list[str]:
    formatters: dict[str, Callable[[Any], str]] = {
        "n": fmt.n, "pct": fmt.pct, "pct1": fmt.pct, "score": fmt.score,
        "score2": lambda v: fmt.score(v, 2), "signed_score": lambda v: fmt.score(v, 2, True),
        "signed_pct": lambda v: fmt.pct(v, 1, True), "money": fmt.money,
        "energy": fmt.energy, "num": fmt.num,
        "yes": lambda v: "–" if pd.isna(v) else fmt.yes(bool(v)),
        "tick": lambda v: "✓" if bool(v) else "",
    }
    func = formatters.get(kind)
    if func is None:  # text
        return ["–" if (v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)))
                else str(v) for v in values.tolist()]
    return [func(v) for v in values.tolist()]


def _table(page: _Page, frame: pd.DataFrame, kinds: Mapping[str, str] | None = None, *,
           caption: str | None = None, max_rows: int = MAX_TABLE_ROWS,
           note: str | None = None) -> Block:
    """A table block: ``frame``'s columns are the headers (already labelled), ``kinds``
    says how to format each (``n``, ``pct``, ``score``, ``money``, ``energy``, ``num``,
    ``yes``, ``tick``, ``long`` text, default text).  The index is not shown."""
    kinds = dict(kinds or {})
    shown = frame.iloc[:max_rows]
    text = pd.DataFrame({c: _column_text(shown[c], kinds.get(str(c), "text"), page.fmt)
                         for c in shown.columns}, index=pd.RangeIndex(len(shown)))
    text.columns = [str(c) for c in shown.columns]
    classes = pd.DataFrame("", index=text.index, columns=text.columns)
    for c in text.columns:
        kind = kinds.get(c, "text")
        css = "num" if kind in _NUMERIC else "text" if kind == "long" else ""
        if css:
            classes[c] = css
        classes.loc[(text[c] == "–").to_numpy(), c] = (classes[c] + " na").str.strip()
    page.tables += 1
    styler = Styler(text, uuid=f"t{page.tables}", cell_ids=False, escape="html")
    styler = (styler.set_td_classes(classes).hide(axis="index")
              .format_index(escape="html", axis=1))
    html = styler.to_html(table_attributes='class="data"')
    html = html.replace('<style type="text/css">\n</style>\n', "")
    if len(frame) > max_rows and note is None:
        note = page.zh_en(f"前 {max_rows:,} 行，共 {len(frame):,} 行",
                          f"first {max_rows:,} of {len(frame):,} rows")
    return {"kind": "table", "html": Markup(html), "caption": caption, "note": note}


def _kv(page: _Page, rows: list[tuple[str, str]], caption: str | None = None) -> Block:
    """A two-column table of measures already formatted as text."""
    frame = pd.DataFrame(rows, columns=[page.fmt.head("measure"), page.fmt.head("value")])
    return _table(page, frame, caption=caption)


def _p(text: str, css: str | None = None) -> Block:
    return {"kind": "p", "text": text, "css": css}


def _h3(text: str) -> Block:
    return {"kind": "h3", "text": text}


# --------------------------------------------------------------------------- figures
def _image(fig: Figure, image_format: ImageFormat) -> str:
    buf = io.BytesIO()
    if image_format == "svg":
        with mpl.rc_context({"svg.hashsalt": SVG_HASHSALT, "svg.fonttype": "path"}):
            fig.savefig(buf, format="svg", metadata={
                "Date": None, "Creator": None, "Format": None, "Type": None})
        mime = "image/svg+xml"
    else:
        fig.savefig(buf, format="png", dpi=PNG_DPI, metadata={"Software": None})
        mime = "image/png"
    return f"data:{mime};base64,{base64.b64encode(buf.getvalue()).decode('ascii')}"


def _figure(page: _Page, draw: Callable[[Axes], Any], size: tuple[float, float],
            caption: str, alt: str) -> Block:
    if not page.figures:
        return {"kind": "none"}
    fig = Figure(figsize=size, layout="constrained")
    draw(fig.subplots())
    src = _image(fig, page.image_format)
    fig.clear()
    return {"kind": "figure", "src": src, "caption": caption, "alt": alt}


# --------------------------------------------------------------------------- sections
def _graded_mask(table: pd.DataFrame) -> np.ndarray:
    if "graded" in table.columns:
        return table["graded"].fillna(False).to_numpy(dtype=bool)
    if "tier" in table.columns:
        return table["tier"].notna().to_numpy(dtype=bool)
    return np.zeros(len(table), dtype=bool)


def _summary(page: _Page, grading: Any, table: pd.DataFrame) -> list[Block]:
    fmt = page.fmt
    graded = _graded_mask(table)
    cards = [(fmt.n(len(table)), fmt.head("customers")),
             (fmt.n(int(graded.sum())), page.t("status", "graded")),
             (fmt.n(int((~graded).sum())), page.t("status", "ungraded"))]
    if "revenue" in table.columns and table["revenue"].notna().any():
        cards.append((fmt.money(table["revenue"].sum()), fmt.head("revenue", "money")))
    if "total_kwh" in table.columns and table["total_kwh"].notna().any():
        cards.append((fmt.energy(table["total_kwh"].sum()), fmt.head("kwh", "energy")))
    if "score" in table.columns and table["score"].notna().any():
        cards.append((fmt.score(table.loc[graded, "score"].mean()
                                if graded.any() else table["score"].mean()),
                      fmt.head("score_mean")))
    blocks: list[Block] = [{"kind": "cards", "items": cards},
                           {"kind": "legend", "items": [(plots.tier_colour(k), n)
                                                        for k, n in page.names.items()]}]
    if "tier" in table.columns and table["tier"].notna().any():
        blocks += [_h3(page.zh_en("各等级", "Tiers")), _tier_table(page, grading, table)]
    if (~graded).any() and "reason" in table.columns:
        reasons = table.loc[~graded, "reason"].astype("string").fillna("not_scored")
        counts = reasons.value_counts().sort_index()
        frame = pd.DataFrame({fmt.head("reason"): [page.t("reason", r) for r in counts.index],
                              fmt.head("customers"): counts.to_numpy()})
        blocks += [_h3(page.zh_en("未评级客户", "Customers not graded")),
                   _table(page, frame, {fmt.head("customers"): "n"})]
    abc = _abc_table(page, table)
    if abc is not None:
        blocks += [_h3(page.zh_en("ABC 分类", "ABC classes")), abc]
    return blocks


def _tier_table(page: _Page, grading: Any, table: pd.DataFrame) -> Block:
    fmt = page.fmt
    tier = table["tier"]
    counts = tier.dropna().astype("int64").value_counts().sort_index()
    graded_n = max(int(counts.sum()), 1)
    score = table["score"] if "score" in table.columns else pd.Series(np.nan, index=table.index)
    by = score.groupby(tier.astype("Int64"))
    rows: dict[str, list[Any]] = {fmt.head("tier"): [page.tier(k) for k in counts.index],
                                  fmt.head("customers"): counts.to_numpy().tolist(),
                                  fmt.head("customer_share"): (counts / graded_n).tolist()}
    kinds = {fmt.head("customers"): "n", fmt.head("customer_share"): "pct"}
    quotas = getattr(getattr(page.scheme, "tiers", None), "quotas", None)
    if quotas:
        rows[fmt.head("target_share")] = [quotas[k] if k < len(quotas) else np.nan
                                          for k in counts.index]
        kinds[fmt.head("target_share")] = "pct"
    rows[fmt.head("cut_score")] = by.min().reindex(counts.index).tolist()
    kinds[fmt.head("cut_score")] = "score2"
    rows[fmt.head("score_mean")] = by.mean().reindex(counts.index).tolist()
    kinds[fmt.head("score_mean")] = "score"
    for column, key in (("total_kwh", "kwh_share"), ("revenue", "revenue_share")):
        if column in table.columns:
            total = table[column].sum()
            sums = table[column].groupby(tier.astype("Int64")).sum().reindex(counts.index)
            rows[fmt.head(key)] = (sums / total).tolist() if total else [np.nan] * len(counts)
            kinds[fmt.head(key)] = "pct"
    caption = page.zh_en("分界分：进入该等级所需的最低得分",
                         "cut score: the lowest score in the tier")
    return _table(page, pd.DataFrame(rows), kinds, caption=caption)


def _abc_table(page: _Page, table: pd.DataFrame) -> Block | None:
    if "abc" not in table.columns or table["abc"].notna().sum() == 0:
        return None
    fmt = page.fmt
    cls = table["abc"].astype("string")
    counts = cls.dropna().value_counts().sort_index()
    rows: dict[str, list[Any]] = {
        fmt.head("abc"): [page.t("abc", c) for c in counts.index],
        fmt.head("customers"): counts.to_numpy().tolist(),
        fmt.head("customer_share"): (counts / max(len(table), 1)).tolist()}
    kinds = {fmt.head("customers"): "n", fmt.head("customer_share"): "pct"}
    for column, key in (("total_kwh", "kwh_share"), ("revenue", "revenue_share")):
        if column in table.columns:
            total = table[column].sum()
            sums = table[column].groupby(cls).sum().reindex(counts.index)
            rows[fmt.head(key)] = (sums / total).tolist() if total else [np.nan] * len(counts)
            kinds[fmt.head(key)] = "pct"
    return _table(page, pd.DataFrame(rows), kinds)


def _profiles(page: _Page, table: pd.DataFrame, profile: Any) -> list[Block]:
    fmt = page.fmt
    given = profile if isinstance(profile, pd.DataFrame) else (
        _find_frame(profile, ("table", "frame", "profile")) if profile is not None else None)
    if given is not None:
        frame = given.reset_index()
        frame.columns = [label("column", str(c), page.lang) if str(c) in _KNOWN_COLUMNS
                         else str(c) for c in frame.columns]
        kinds = {str(c): "num" for c in frame.columns
                 if pd.api.types.is_numeric_dtype(frame[c])}
        return [_table(page, frame, kinds)]
    if "tier" not in table.columns or table["tier"].notna().sum() == 0:
        return []
    rows = table[table["tier"].notna()]
    key = rows["tier"].astype("int64")
    group = rows.groupby(key)
    out: dict[str, Any] = {fmt.head("tier"): [page.tier(k) for k in group.size().index],
                           fmt.head("customers"): group.size().to_numpy()}
    kinds = {fmt.head("customers"): "n"}
    if "score" in rows.columns:
        out[fmt.head("score_mean")] = group["score"].mean().to_numpy()
        out[fmt.head("score_median")] = group["score"].median().to_numpy()
        kinds.update({fmt.head("score_mean"): "score", fmt.head("score_median"): "score"})
    for column in [c for c in rows.columns if c.startswith("dim__")]:
        name = page.dimension(column.removeprefix("dim__"))
        out[name] = group[column].mean().to_numpy()
        kinds[name] = "score"
    for column, key_, unit in (("total_kwh", "kwh_per_customer", "energy"),
                               ("revenue", "revenue_per_customer", "money")):
        if column in rows.columns:
            out[fmt.head(key_, unit)] = group[column].mean().to_numpy()
            kinds[fmt.head(key_, unit)] = unit
    if "customer_class" in rows.columns:
        def most_common(s: pd.Series) -> Any:
            return s.mode().iloc[0] if s.notna().any() else None

        main = group["customer_class"].agg(most_common)
        out[fmt.head("main_class")] = [page.t("customer_class", c) for c in main.tolist()]
    caption = page.zh_en("各等级的均值（维度得分 0–100 分）",
                         "means per tier (dimension scores on 0–100)")
    return [_table(page, pd.DataFrame(out), kinds, caption=caption)]


def _charts(page: _Page, table: pd.DataFrame) -> list[Block]:
    lang = page.lang
    has = set(table.columns)
    figs: list[Block] = []
    if not page.figures:
        return figs
    graded = {"score", "tier"} <= has and bool((table["score"].notna()
                                                & table["tier"].notna()).any())
    if graded:
        cuts = table.loc[table["tier"].notna()].groupby(
            table["tier"].dropna().astype("int64"))["score"].min()
        figs.append(_figure(page, lambda ax: plots.score_histogram(
            table, cuts=cuts, lang=lang, ax=ax), (8.0, 4.4),
            page.zh_en("价值得分分布；虚线为各等级的分界分（进入该等级所需的最低分）",
                       "Score distribution; dashed lines: each tier's cut score"),
            page.zh_en("得分直方图", "score histogram")))
    for value in ("revenue", "total_kwh"):
        if value in has and table[value].sum() > 0:
            def pareto(ax: Axes, v: str = value) -> Axes:
                return plots.pareto_curve(table, v, lang=lang, ax=ax)

            figs.append(_figure(page, pareto, (7.0, 4.8), page.zh_en(
                "客户按该值降序排列的累计占比；虚线为 ABC 类别分界",
                "Cumulative share with customers sorted by the value; dashed lines: ABC "
                "classes"), page.zh_en("帕累托曲线", "Pareto curve")))
            break
    if graded and has & {"total_kwh", "revenue"}:
        figs.append(_figure(page, lambda ax: plots.tier_profile_bars(
            table, lang=lang, ax=ax), (8.0, 4.4), page.zh_en(
            "各等级的客户数占比与用电量、电费收入占比",
            "Share of customers against share of kWh and revenue per tier"),
            page.zh_en("等级贡献条形图", "tier profile bars")))
    if any(c.startswith("dim__") for c in has) and "tier" in has and table["tier"].notna().any():
        figs.append(_figure(page, lambda ax: plots.dimension_scores(
            table, scheme=page.scheme, lang=lang, ax=ax), (8.0, 4.4),
            page.zh_en("各等级的维度得分（箱线图）", "Dimension scores per tier (box plots)"),
            page.zh_en("维度得分箱线图", "dimension scores per tier")))
    return figs


def _validation(page: _Page, verdicts: Any, validation: Any, stability: Any) -> list[Block]:
    if validation is None and stability is None:
        return []
    blocks: list[Block] = []
    if verdicts is not None and len(verdicts):
        items = [(v.status, page.t("verdict", v.status), verdict_sentence(v, page.fmt))
                 for v in verdicts]
        blocks += [_p(page.zh_en(
            f"总体结论：{page.t('verdict', verdicts.status)}。阈值来自评价方案的 [gates] 设置。",
            f"Overall: {page.t('verdict', verdicts.status)}. The thresholds are the "
            f"scheme's [gates].")), {"kind": "verdicts", "items": items}]
    frame = _probabilities(stability)
    if frame is not None:
        top = min(20, len(frame))
        blocks.append(_figure(page, lambda ax: plots.tier_probabilities(
            frame, top=top, lang=page.lang, scheme=page.scheme, ax=ax),
            (6.4, 0.26 * top + 1.6), page.zh_en(
                "权重扰动下等级最不确定的客户：各等级的概率",
                "The customers with the least certain tier: probability of each tier "
                "under weight draws"), page.zh_en("等级概率", "tier probabilities")))
    blocks.append(_p(page.zh_en("聚类明细、稳健性明细与敏感性指数见附录。",
                                "Clustering details, robustness details and sensitivity "
                                "indices are in the appendix."), "note"))
    return blocks


def _probabilities(stability: Any) -> pd.DataFrame | None:
    if stability is None:
        return None
    try:
        frame, _, _ = plots.stability_probabilities(stability)
    except Exception:  # a stability result without per-customer probabilities
        return None
    return frame


def _movers(page: _Page, comparison: Any) -> list[Block]:
    from custvalue.present.findings import largest_movers

    fmt = page.fmt
    blocks: list[Block] = []
    matrix = _find_frame(comparison, ("transitions", "transition_matrix", "matrix", "table"))
    if matrix is not None:
        named = matrix.copy()
        named.index = [_state_name(page, k) for k in matrix.index]
        named.columns = [_state_name(page, k) for k in matrix.columns]
        named = named.reset_index(names=fmt.head("previous"))
        blocks += [_h3(page.zh_en("等级迁移（行：上次；列：本次；客户数）",
                                  "Transitions (rows: previous, columns: current; customers)")),
                   _table(page, named, {c: "n" for c in named.columns[1:]})]
        display = matrix.copy()
        if isinstance(display.index, pd.MultiIndex):
            display.index = [_state_key(k) for k in display.index]
            display.columns = [_state_key(k) for k in display.columns]
        blocks.append(_figure(page, lambda ax: plots.transition_heatmap(
            display, lang=page.lang, scheme=page.scheme, ax=ax),
            (1.1 * display.shape[1] + 4.0, 0.55 * display.shape[0] + 2.2),
            page.zh_en("框线：等级不变的客户", "Outlined: customers who kept their tier"),
            page.zh_en("等级迁移热力图", "tier transition heatmap")))
    movers = getattr(comparison, "movers", None)
    if isinstance(movers, pd.DataFrame):
        ordered = largest_movers(movers)
        shown = ordered.head(LIST_ROWS)
        drivers = []
        for column in ("driver_1", "driver_2"):
            if column in shown.columns:
                drivers.append(shown[column].astype("string").fillna("").map(
                    lambda n: page.indicator(n) if n else "").tolist())
        joined = [fmt.join([d for d in parts if d]) or "–" for parts in zip(*drivers,
                                                                              strict=True)] \
            if drivers else ["–"] * len(shown)
        frame = pd.DataFrame({
            fmt.head("customer_id"): shown.index.astype(str),
            fmt.head("previous_tier"): [page.tier(t) for t in shown["tier_previous"]],
            fmt.head("current_tier"): [page.tier(t) for t in shown["tier_current"]],
            fmt.head("score_previous"): shown.get("score_previous"),
            fmt.head("score_current"): shown.get("score_current"),
            fmt.head("score_change"): shown.get("score_change"),
            fmt.head("cause"): label_series("cause", shown["cause"], page.lang).tolist()
            if "cause" in shown else "–",
            fmt.head("drivers"): joined,
        })
        kinds = {fmt.head("score_previous"): "score", fmt.head("score_current"): "score",
                 fmt.head("score_change"): "signed_score", fmt.head("drivers"): "long"}
        note = page.zh_en(f"按变动幅度列出前 {len(shown):,} 户，共 {len(movers):,} 户变动",
                          f"the {len(shown):,} largest of {len(movers):,} moves")
        blocks += [_h3(page.zh_en("变动最大的客户", "The largest moves")),
                   _table(page, frame, kinds, note=note)]
    return blocks


def _state_key(key: Any) -> Any:
    status, tier = key if isinstance(key, tuple) else (None, key)
    if status is not None and status != "graded":
        return status
    return int(tier)


def _state_name(page: _Page, key: Any) -> str:
    value = _state_key(key)
    if isinstance(value, str):
        return page.t("status", {"left": "departed", "gone": "departed",
                                 "entered": "new"}.get(value, value))
    return page.tier(value)


def _plans(page: _Page, plans: Any) -> list[Block]:
    fmt = page.fmt
    customers: pd.DataFrame = plans.customers
    steps: pd.DataFrame = plans.steps
    counts = customers["status"].astype("string").value_counts()
    frame = pd.DataFrame({fmt.head("status"): [page.t("plan_status", s) for s in counts.index],
                          fmt.head("customers"): counts.to_numpy()})
    blocks: list[Block] = [_table(page, frame, {fmt.head("customers"): "n"})]
    if len(steps):
        by = steps.groupby("indicator")
        uses = by["customer_id"].nunique().sort_values(ascending=False, kind="stable")
        ind = pd.DataFrame({
            fmt.head("indicator"): [page.indicator(n) for n in uses.index],
            fmt.head("plans_using"): uses.to_numpy()})
        blocks += [_h3(page.zh_en("方案中最常见的改进项", "What the plans ask most often")),
                   _table(page, ind, {fmt.head("plans_using"): "n"})]
    planned = customers[customers["status"] == "planned"].sort_values(
        ["gap", "score"], ascending=[True, False], kind="stable").head(LIST_ROWS)
    if len(planned):
        texts = _plan_texts(page, steps[steps["customer_id"].isin(planned.index.astype(str))])
        frame = pd.DataFrame({
            fmt.head("customer_id"): planned.index.astype(str),
            fmt.head("score"): planned["score"].to_numpy(),
            fmt.head("cut_score"): planned["cut_score"].to_numpy(),
            fmt.head("gap"): planned["gap"].to_numpy(),
            fmt.head("plan"): [texts.get(str(c), "–") for c in planned.index]})
        kinds = {fmt.head("score"): "score2", fmt.head("cut_score"): "score2",
                 fmt.head("gap"): "score2", fmt.head("plan"): "long"}
        target = planned["target"].dropna()
        tname = page.tier(int(target.iloc[0])) if len(target) else ""
        blocks += [_h3(page.zh_en(f"离{tname}最近的客户及其改进方案",
                                  f"The customers closest to the {tname} tier and their plans")),
                   _table(page, frame, kinds, note=page.zh_en(
                       f"按差距从小到大列出前 {len(planned):,} 户",
                       f"the {len(planned):,} with the smallest gap"))]
    return blocks


def _plan_texts(page: _Page, steps: pd.DataFrame) -> dict[str, str]:
    """Each customer's plan as one line in the report's language (display rows only)."""
    if steps.empty:
        return {}
    cur = steps["current"].to_numpy(dtype=float)
    new = steps["planned"].to_numpy(dtype=float)
    share = np.asarray([_is_rate(n) for n in steps["indicator"]])
    scale = np.where(share, 100.0, 1.0)
    unit = np.where(share, "%", "")
    verb_up = page.zh_en("提高", "raise")
    verb_down = page.zh_en("降低", "cut")
    out: dict[str, list[str]] = {}
    for i, (cid, name, direction) in enumerate(zip(
            steps["customer_id"].astype(str), steps["indicator"], steps["direction"],
            strict=True)):  # at most LIST_ROWS plans, a few steps each
        verb = verb_down if direction == "cost" else verb_up
        a, b = _short(cur[i] * scale[i]), _short(new[i] * scale[i])
        ind = page.indicator(str(name))
        text = (f"将{ind}从 {a}{unit[i]} {verb}到 {b}{unit[i]}" if page.lang == "zh"
                else f"{verb} {ind} from {a}{unit[i]} to {b}{unit[i]}")
        out.setdefault(cid, []).append(text)
    sep = "；" if page.lang == "zh" else "; "
    return {cid: sep.join(parts) for cid, parts in out.items()}


def _is_rate(name: str) -> bool:
    return name.endswith(("_rate", "_ratio", "_share", "_compliance", "_completion",
                          "_potential"))


def _short(x: float) -> str:
    if not math.isfinite(x):
        return "–"
    a = abs(x)
    return f"{x:,.0f}" if a >= 100 else f"{x:.1f}" if a >= 10 else f"{x:.2f}"


def _services(page: _Page, table: pd.DataFrame, catalogue: Any) -> list[Block]:
    fmt = page.fmt
    zh = page.lang == "zh"
    matrix = catalogue.tier_matrix()
    names = {k: (s.name_zh if zh else s.name_en) for k, s in catalogue.services.items()}
    service_cols = list(catalogue.services)
    rows: dict[str, Any] = {fmt.head("service"): [names[s] for s in service_cols]}
    kinds: dict[str, str] = {}
    for tier in matrix.index:
        head = page.tier(tier)
        rows[head] = matrix.loc[tier, service_cols].astype(bool).tolist()
        kinds[head] = "tick"
    frame = pd.DataFrame(rows)
    extra = pd.DataFrame({fmt.head("service"): [fmt.head("response_hours"),
                                                fmt.head("complaint_floor")],
                          **{page.tier(t): [f"{matrix.loc[t, 'response_hours']:g}",
                                            page.t("complaint_level",
                                                   matrix.loc[t, "complaint_level"])]
                             for t in matrix.index}})
    frame = pd.concat([frame.astype(object).where(frame.notna(), None), extra],
                      ignore_index=True)
    for tier in matrix.index:  # ticks for the service rows, text for the last two
        head = page.tier(tier)
        frame[head] = [("✓" if v is True else "" if v is False else v) for v in frame[head]]
    blocks: list[Block] = [_h3(page.zh_en("各等级的服务", "Services per tier")),
                           _table(page, frame, {k: "text" for k in kinds})]
    if catalogue.abc and "abc" in table.columns:
        abc = catalogue.abc_matrix()
        cls = table["abc"].astype("string")
        counts = cls.value_counts()
        added = []
        for name in abc.index:  # the few ABC classes
            spec = catalogue.abc[name]
            added.append(fmt.join([names[s] for s in spec.services]) or "–")
        frame = pd.DataFrame({
            fmt.head("abc"): [page.t("abc", c) for c in abc.index],
            fmt.head("customers"): [int(counts.get(c, 0)) for c in abc.index],
            fmt.head("management"): [page.t("management", m) for m in abc["management"]],
            fmt.head("abc_services"): added,
            fmt.head("cost_recovery"): abc["cost_recovery"].astype(bool).tolist()})
        blocks += [_h3(page.zh_en("ABC 分类的管理措施", "Management actions by ABC class")),
                   _table(page, frame, {fmt.head("customers"): "n",
                                        fmt.head("abc_services"): "long",
                                        fmt.head("cost_recovery"): "yes"}),
                   _p(page.zh_en("A 类客户优先发展并享有绿色通道；B 类保持；C 类限制或舍弃，"
                                 "提供必要服务，其余为有偿服务，按成本回收。",
                                 "Class A: develop first, with the green channel; class B: "
                                 "maintain; class C: restrict or drop, with the necessary "
                                 "services and paid services at cost."), "note")]
    return blocks


def _groups(page: _Page, groups: Any) -> list[Block]:
    fmt = page.fmt
    frame: pd.DataFrame = groups.groups
    by = str(groups.by)
    names = [group_label(by, g, page.names, page.lang) for g in frame.index]
    table = pd.DataFrame({
        fmt.head("group"): names,
        fmt.head("customers"): frame["customers"].to_numpy(),
        fmt.head("kwh_share"): frame["kwh_share"].to_numpy(),
        fmt.head("revenue_share"): frame["revenue_share"].to_numpy(),
        fmt.head("top_share"): frame["top_share"].to_numpy(),
        fmt.head("kwh_growth"): frame["kwh_growth"].to_numpy(),
        fmt.head("revenue_growth"): frame["revenue_growth"].to_numpy(),
        fmt.head("on_time_rate"): frame["on_time_rate"].to_numpy(),
        fmt.head("prospect"): [page.t("prospect", p) for p in frame["prospect"]],
    })
    kinds = {fmt.head("customers"): "n", fmt.head("kwh_share"): "pct",
             fmt.head("revenue_share"): "pct", fmt.head("top_share"): "pct",
             fmt.head("kwh_growth"): "signed_pct", fmt.head("revenue_growth"): "signed_pct",
             fmt.head("on_time_rate"): "pct"}
    window = getattr(groups, "window", ("", ""))
    caption = page.zh_en(f"评价期 {window[0]} 至 {window[1]}；增长率为各整年的对数线性趋势",
                         f"Window {window[0]} to {window[1]}; growth is the log-linear trend "
                         f"over the whole years")
    statements = []
    for name, (_, row) in zip(names, frame.iterrows(), strict=True):  # the few groups
        first, last = row.get("kwh_first"), row.get("kwh_last")
        if page.lang == "zh":
            statements.append(
                f"{name}：年用电量由 {fmt.energy(first)} 万kWh 变为 {fmt.energy(last)} 万kWh，"
                f"年均 {fmt.pct(row['kwh_growth'], sign=True)}；电费收入年均 "
                f"{fmt.pct(row['revenue_growth'], sign=True)}；按期缴费率 "
                f"{fmt.pct(row['on_time_rate'])}；前景{page.t('prospect', row['prospect'])}。")
        else:
            statements.append(
                f"{name}: annual use from {fmt.energy(first)} MWh to {fmt.energy(last)} MWh, "
                f"{fmt.pct(row['kwh_growth'], sign=True)} a year; revenue "
                f"{fmt.pct(row['revenue_growth'], sign=True)} a year; on-time payment "
                f"{fmt.pct(row['on_time_rate'])}; prospect {page.t('prospect', row['prospect'])}.")
    blocks: list[Block] = [_table(page, table, kinds, caption=caption),
                           {"kind": "list", "items": statements, "css": "plain"}]
    if by == "tier" or len(frame) <= 8:
        blocks.append(_figure(page, lambda ax: plots.group_trend_lines(
            groups, lang=page.lang, ax=ax), (8.0, 4.4), page.zh_en(
                "各客户群年用电量（首年 = 100）", "Annual electricity use per group "
                "(first year = 100)"), page.zh_en("客户群趋势", "group trends")))
    return blocks


def _complaints(page: _Page, graded: pd.DataFrame) -> list[Block]:
    from custvalue.analysis.services import COMPLAINT_LEVELS, COMPLAINT_TRIGGERS

    fmt = page.fmt
    level = graded["complaint_level"].astype("string")
    counts = level.value_counts()
    dept = "department_zh" if page.lang == "zh" else "department"
    first_dept = graded.groupby(level)[dept].first() if dept in graded else pd.Series(dtype=str)
    summary = pd.DataFrame({
        fmt.head("complaint_level"): [page.t("complaint_level", lv) for lv in COMPLAINT_LEVELS],
        fmt.head("complaints"): [int(counts.get(lv, 0)) for lv in COMPLAINT_LEVELS],
        fmt.head("department"): [first_dept.get(lv, "–") for lv in COMPLAINT_LEVELS]})
    shown = graded.assign(_rank=level.map({lv: -i for i, lv in enumerate(COMPLAINT_LEVELS)})
                          ).sort_values("_rank", kind="stable").head(LIST_ROWS)
    set_by = pd.Series("", index=shown.index, dtype=object)
    code = shown["complaint_level"].astype("string")
    for name, (lv, _, _) in COMPLAINT_TRIGGERS.items():  # the five triggers
        if name in shown.columns:
            on = shown[name].fillna(False).astype(bool) & (code == lv)
            text = page.t("complaint_trigger", name)
            set_by = set_by.where(~on, set_by.where(set_by == "", set_by + "；")
                                  + text)
    reported = shown["reason"].astype("string").str.contains(
        "reported as", regex=False).fillna(False) if "reason" in shown.columns \
        else pd.Series(False, index=shown.index)
    set_by = set_by.where(~reported.to_numpy(), set_by.where(set_by == "", set_by + "；")
                          + page.t("complaint_trigger", "reported"))
    floor = shown["reason"].astype("string").str.contains("floor", regex=False).fillna(False) \
        if "reason" in shown.columns else pd.Series(False, index=shown.index)
    set_by = set_by.where(~floor.to_numpy(), set_by.where(set_by == "", set_by + "；")
                          + page.t("complaint_trigger", "tier_floor"))
    set_by = set_by.where(set_by != "", page.t("complaint_trigger", "none"))
    if page.lang == "en":
        set_by = set_by.str.replace("；", "; ", regex=False)
    columns: dict[str, Any] = {}
    for key in ("complaint_id", "id"):
        if key in shown.columns:
            columns["#"] = shown[key].astype(str).tolist()
            break
    if "customer_id" in shown.columns:
        columns[fmt.head("customer_id")] = shown["customer_id"].astype(str).tolist()
    columns[fmt.head("tier")] = [page.tier(t) for t in shown["tier"]]
    columns[fmt.head("complaint_level")] = [page.t("complaint_level", lv)
                                            for lv in shown["complaint_level"]]
    columns[fmt.head("department")] = shown[dept].tolist() if dept in shown else "–"
    columns[fmt.head("set_by")] = set_by.tolist()
    return [_table(page, summary, {fmt.head("complaints"): "n"}),
            _h3(page.zh_en("投诉明细（最高等级在前）", "Complaints (highest grade first)")),
            _table(page, pd.DataFrame(columns), {fmt.head("set_by"): "long"},
                   note=page.zh_en(f"前 {len(shown):,} 件，共 {len(graded):,} 件",
                                   f"{len(shown):,} of {len(graded):,} complaints")
                   if len(graded) > len(shown) else None)]


def _scheme(page: _Page) -> list[Block]:
    scheme = page.scheme
    fmt = page.fmt
    dims = getattr(scheme, "dimensions", None)
    if not isinstance(dims, Mapping) or not dims:
        return []
    drows: dict[str, list[Any]] = {fmt.head("dimension"): [], fmt.head("weight"): [],
                                   fmt.head("missing"): [], fmt.head("indicator"): []}
    irows: dict[str, list[Any]] = {fmt.head("indicator"): [], fmt.head("dimension"): [],
                                   fmt.head("direction"): [], fmt.head("normalisation"): [],
                                   fmt.head("weight"): [], fmt.head("overall_weight"): []}
    for dname, dim in dims.items():  # the scheme's few dimensions and indicators
        indicators = getattr(dim, "indicators", None) or {}
        drows[fmt.head("dimension")].append(page.dimension(dname))
        drows[fmt.head("weight")].append(float(dim.weight))
        drows[fmt.head("missing")].append(page.t("missing", getattr(dim, "missing", "")))
        drows[fmt.head("indicator")].append(len(indicators))
        for iname, ind in indicators.items():
            irows[fmt.head("indicator")].append(page.indicator(iname))
            irows[fmt.head("dimension")].append(page.dimension(dname))
            irows[fmt.head("direction")].append(page.t("direction", ind.direction))
            irows[fmt.head("normalisation")].append(
                page.t("normalisation", ind.normalisation.method))
            irows[fmt.head("weight")].append(float(ind.weight))
            irows[fmt.head("overall_weight")].append(float(dim.weight) * float(ind.weight))
    blocks: list[Block] = []
    agg = getattr(getattr(scheme, "aggregation", None), "method", None)
    if agg:
        blocks.append(_p(page.zh_en(
            f"方案 {scheme.name}：{page.t('aggregation', agg)}；总权重 = 维度权重 × 维度内权重。",
            f"Scheme {scheme.name}: {page.t('aggregation', agg)}; overall weight = dimension "
            f"weight × weight in the dimension.")))
    blocks += [_h3(page.zh_en("维度", "Dimensions")),
               _table(page, pd.DataFrame(drows), {fmt.head("weight"): "pct",
                                                  fmt.head("indicator"): "n"}),
               _h3(page.zh_en("指标与权重", "Indicators and weights")),
               _table(page, pd.DataFrame(irows), {fmt.head("weight"): "pct",
                                                  fmt.head("overall_weight"): "pct"})]
    tiers = getattr(scheme, "tiers", None)
    if tiers is not None and getattr(tiers, "quotas", None):
        frame = pd.DataFrame({fmt.head("tier"): [page.tier(k) for k in range(len(tiers.quotas))],
                              fmt.head("quota"): [float(q) for q in tiers.quotas]})
        blocks += [_h3(page.zh_en("等级定额", "Tier quotas")),
                   _table(page, frame, {fmt.head("quota"): "pct"})]
    return blocks


# --------------------------------------------------------------------------- appendix
def _appendix(page: _Page, validation: Any, stability: Any, diagnostics: Any,
              manifest: Any) -> list[Block]:
    blocks: list[Block] = []
    if validation is not None:
        blocks.append({"kind": "details", "id": "appendix-clustering",
                       "title": page.zh_en("聚类检验明细", "Clustering check in detail"),
                       "blocks": _clustering(page, validation)})
    if stability is not None:
        blocks.append({"kind": "details", "id": "appendix-robustness",
                       "title": page.zh_en("稳健性明细与敏感性指数",
                                           "Robustness in detail and sensitivity indices"),
                       "blocks": _robustness(page, stability)})
    if diagnostics is not None:
        blocks.append({"kind": "details", "id": "appendix-diagnostics",
                       "title": page.zh_en("指标诊断", "Indicator diagnostics"),
                       "blocks": _diagnostics(page, diagnostics)})
    rows = _manifest_rows(page, manifest)
    if rows:
        blocks.append({"kind": "details", "id": "appendix-manifest",
                       "title": page.zh_en("运行清单", "Manifest"),
                       "blocks": [_kv(page, rows)]})
    return blocks


def _clustering(page: _Page, validation: Any) -> list[Block]:
    fmt = page.fmt
    blocks: list[Block] = []
    rows: list[tuple[str, str]] = []
    method = getattr(validation, "method", None)
    if method:
        rows.append((page.zh_en("聚类方法", "method"), page.t("clustering", method)))
    for key in ("k", "n_customers"):
        if hasattr(validation, key):
            rows.append((page.t("clustering", key) if key == "k"
                         else fmt.head("customers"), fmt.n(getattr(validation, key))))
    for key in ("ari", "nmi", "cramers_v", "spearman", "silhouette", "silhouette_clusters",
                "davies_bouldin", "davies_bouldin_clusters"):
        if hasattr(validation, key):
            rows.append((page.t("clustering", key), f"{float(getattr(validation, key)):.3f}"))
    if hasattr(validation, "disagreement"):
        rows.append((page.t("clustering", "disagreement"),
                     fmt.pct(validation.disagreement)))
    if rows:
        blocks.append(_kv(page, rows))
    contingency = _find_frame(validation, ("contingency", "crosstab", "table"))
    if contingency is not None:
        named = contingency.copy()
        named.columns = [_cluster_name(page, c) for c in contingency.columns]
        named.insert(0, fmt.head("tier"), [page.tier(k) for k in contingency.index])
        blocks += [_h3(page.zh_en("等级 × 聚类（客户数）", "Tiers × clusters (customers)")),
                   _table(page, named.reset_index(drop=True),
                          {c: "n" for c in named.columns[1:]}),
                   _figure(page, lambda ax: plots.cluster_heatmap(
                       contingency, normalise="index", lang=page.lang, scheme=page.scheme,
                       ax=ax), (1.1 * contingency.shape[1] + 4.0,
                                0.55 * contingency.shape[0] + 2.2),
                       page.zh_en("每格：客户数与占该等级的比例",
                                  "Each cell: customers and share of the tier's row"),
                       page.zh_en("等级与聚类热力图", "tiers against clusters heatmap"))]
    centroids = getattr(validation, "centroids", None)
    if isinstance(centroids, pd.DataFrame) and not centroids.empty:
        shown = centroids.astype(float)  # rows: clusters; display strings by row kind
        text = {c: [fmt.n(v) if c == "size" else fmt.score(v, 2) if c == "mean_score"
                    else fmt.score(v, 3) for v in shown[c]] for c in shown.columns}
        turned = pd.DataFrame(text, index=shown.index).T
        turned.columns = [_cluster_name(page, c) for c in centroids.index]
        names = [_feature_name(page, str(r)) for r in turned.index]
        turned.insert(0, fmt.head("measure"), names)
        blocks += [_h3(page.zh_en("聚类中心（每列一个聚类）",
                                  "Cluster centres (a column per cluster)")),
                   _table(page, turned.reset_index(drop=True),
                          {c: "numtext" for c in turned.columns[1:]})]
    scan = getattr(validation, "k_scan", None)
    if isinstance(scan, pd.DataFrame) and not scan.empty:
        frame = scan.reset_index()
        frame.columns = [page.t("clustering", str(c)) for c in frame.columns]
        blocks += [_h3(page.zh_en("聚类数扫描", "Scan over the number of clusters")),
                   _table(page, frame, {c: "num" for c in frame.columns})]
    return blocks


def _cluster_name(page: _Page, value: Any) -> str:
    """Clusters are numbered from 1 on the page, as in the plots (0-based in the data)."""
    try:
        shown: Any = int(value) + 1
    except (TypeError, ValueError):
        shown = value
    return page.zh_en(f"聚类 {shown}", f"cluster {shown}")


def _feature_name(page: _Page, name: str) -> str:
    if name.startswith("norm__"):
        return page.indicator(name.removeprefix("norm__"))
    if name.startswith("dim__"):
        return page.dimension(name.removeprefix("dim__"))
    return label("clustering", name, page.lang)


def _robustness(page: _Page, stability: Any) -> list[Block]:
    fmt = page.fmt
    blocks: list[Block] = []
    rows: list[tuple[str, str]] = []
    for key, zh, en, kind in (("draws", "权重抽样次数", "weight draws", "n"),
                              ("concentration", "狄利克雷集中度", "Dirichlet concentration",
                               "num"),
                              ("n_customers", "客户数", "customers", "n"),
                              ("borderline_share", "边界客户占比", "share borderline", "pct"),
                              ("expected_change", "每次抽样预期变动等级的客户占比",
                               "expected share changing tier per draw", "pct")):
        value = getattr(stability, key, None)
        if value is not None and not callable(value):
            text = fmt.n(value) if kind == "n" else fmt.pct(value) if kind == "pct" \
                else fmt.num(value)
            rows.append((page.zh_en(zh, en), text))
    if rows:
        blocks.append(_kv(page, rows))
    frame = _probabilities(stability)
    if frame is not None:
        blocks.append(_figure(page, lambda ax: plots.tier_probabilities(
            frame, kind="modal", lang=page.lang, scheme=page.scheme, ax=ax), (6.4, 4.0),
            page.zh_en("最可能等级的概率分布", "Distribution of the most likely tier's "
                       "probability"), page.zh_en("最可能等级概率直方图",
                                                  "modal probability histogram")))
    sens = getattr(stability, "sensitivity", None)
    if isinstance(sens, pd.DataFrame) and not sens.empty:
        steps = [c for c in sens.columns if str(c).endswith("%") or c == "max"]
        names = [page.dimension(str(n)) if lvl == "dimension" else page.indicator(str(n))
                 for lvl, n in zip(sens.get("level", ["indicator"] * len(sens)),
                                   sens["name"], strict=True)]
        table = pd.DataFrame({fmt.head("weight"): names,
                              page.zh_en("当前权重", "current weight"):
                                  sens["weight"].to_numpy()})
        for c in steps:
            table[page.zh_en("最大", "largest") if c == "max" else str(c)] = \
                sens[c].to_numpy()
        kinds = {c: "pct" for c in table.columns[1:]}
        blocks += [_h3(page.zh_en("敏感性：单个权重变动时变动等级的客户占比",
                                  "Sensitivity: share of customers changing tier when one "
                                  "weight moves")),
                   _table(page, table, kinds)]
    return blocks


def _diagnostics(page: _Page, diagnostics: Any) -> list[Block]:
    fmt = page.fmt
    stats = getattr(diagnostics, "stats", None)
    blocks: list[Block] = []
    if isinstance(stats, pd.DataFrame) and not stats.empty:
        frame = pd.DataFrame({fmt.head("indicator"): [page.indicator(str(n))
                                                      for n in stats.index]})
        kinds = {}
        for key, kind in (("missing_share", "pct"), ("skew", "score2"),
                          ("outlier_share", "pct")):
            if key in stats.columns:
                frame[fmt.head(key)] = stats[key].to_numpy()
                kinds[fmt.head(key)] = kind
        flags = [c for c in ("constant", "skewed") if c in stats.columns]
        if flags:
            on = stats[flags].fillna(False).astype(bool).to_numpy()
            frame[fmt.head("flags")] = [fmt.join([page.t("diagnostic", f) for f, x
                                                  in zip(flags, row, strict=True) if x]) or "–"
                                        for row in on]
        blocks.append(_table(page, frame, kinds))
    pairs = getattr(diagnostics, "flags", None)
    if isinstance(pairs, pd.DataFrame) and not pairs.empty and {"a", "b", "r", "kind"} <= set(
            pairs.columns):
        pairs = pairs[pairs["b"].notna()]
        if len(pairs):
            frame = pd.DataFrame({
                fmt.head("indicator"): [page.indicator(str(a)) for a in pairs["a"]],
                page.zh_en("与之相关的指标", "correlated with"):
                    [page.indicator(str(b)) for b in pairs["b"]],
                page.zh_en("相关系数", "correlation"): pairs["r"].to_numpy(),
                fmt.head("flags"): [page.t("diagnostic", k) for k in pairs["kind"]]})
            blocks += [_h3(page.zh_en("同一维度内的指标相关性提示",
                                      "Correlation flags within a dimension")),
                       _table(page, frame, {page.zh_en("相关系数", "correlation"): "num"})]
    return blocks


def _manifest_rows(page: _Page, manifest: Any) -> list[tuple[str, str]]:
    data = _dump(manifest)
    if not data:
        return []
    fmt = page.fmt
    rows: list[tuple[str, str]] = []
    window = data.get("window") or {}
    names = {"package_version": ("软件版本", "custvalue version"),
             "scheme_hash": ("方案哈希", "scheme hash"), "python": ("Python", "Python"),
             "created_at": ("评级时间", "graded at"),
             "schema_version": ("输出格式版本", "output schema version")}
    for key, (zh, en) in names.items():
        if data.get(key) not in (None, ""):
            rows.append((page.zh_en(zh, en), str(data[key])))
    if window:
        rows.append((page.zh_en("评价期", "window"),
                     f"{window.get('start', '?')} – {window.get('end', '?')}"))
    counts = data.get("row_counts") or {}
    if counts:
        rows.append((page.zh_en("输入行数", "input rows"),
                     fmt.join([f"{page.t('table', k)} {fmt.n(v)}" for k, v in counts.items()])))
    options = dict(data.get("options") or {})
    if isinstance(options.get("customer_classes"), list | tuple):
        options["customer_classes"] = [page.t("customer_class", c)
                                       for c in options["customer_classes"]]
    if options:
        rows.append((page.zh_en("选项", "options"),
                     "; ".join(f"{k} = {_plain(v, fmt)}" for k, v in options.items())))
    return rows


def _plain(value: Any, fmt: Fmt) -> str:
    """A manifest value as text: lists joined, no Python reprs (None, True)."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return fmt.yes(value)
    if isinstance(value, list | tuple):
        return ", ".join(_plain(v, fmt) for v in value)
    if isinstance(value, Mapping):
        return "; ".join(f"{k} = {_plain(v, fmt)}" for k, v in value.items())
    return str(value)


def _dump(obj: Any) -> dict[str, Any]:
    """Public fields of a pydantic model, a mapping or a plain object."""
    if obj is None:
        return {}
    if isinstance(obj, Mapping):
        return dict(obj)
    if hasattr(obj, "model_dump") and callable(obj.model_dump):
        return dict(obj.model_dump(mode="json"))
    return {k: v for k, v in getattr(obj, "__dict__", {}).items() if not k.startswith("_")}


def _find_frame(obj: Any, attrs: tuple[str, ...]) -> pd.DataFrame | None:
    try:
        return frame_of(obj, attrs, "report")
    except Exception:  # the object holds no such table: the block is left out
        return None


_KNOWN_COLUMNS = frozenset({"tier", "customers", "customer_share", "score", "score_mean",
                            "score_median", "customer_id", "status", "cut_score"})


# --------------------------------------------------------------------------- font
_CJK_START = 0x2E80  # CJK radicals onwards: ideographs, CJK punctuation, fullwidth forms


@functools.lru_cache(maxsize=8)
def _font_subset(path: str, chars: str) -> bytes:
    """A WOFF subset of the font at ``path`` with exactly ``chars`` (deterministic)."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.flavor = "woff"
    options.hinting = False
    options.layout_features = []
    options.layout_closure = False
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "BASE", "STAT"]
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6, 13, 14]  # keep copyright and licence
    buf = io.BytesIO()
    with TTFont(path, recalcTimestamp=False, lazy=True, fontNumber=0) as font:
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=[ord(c) for c in chars])
        subsetter.subset(font)
        font.save(buf)
    return buf.getvalue()


def _font_face(text: str) -> str:
    # The embedded family comes first in the CSS font stacks: Chromium does not re-render
    # text laid out before a web font in a later fallback position finished loading.
    chars = "".join(sorted({c for c in text if ord(c) >= _CJK_START}))
    path = plots.cjk_font_path()
    if not chars or path is None or not path.lower().endswith((".ttf", ".otf")):
        return ""
    try:
        data = _font_subset(path, chars)
    except Exception:  # an unreadable font only costs the embedded glyphs
        return ""
    return ("/* Chinese glyphs: a subset of the plots' CJK font, SIL Open Font License 1.1 */\n"
            "@font-face { font-family: \"custvalue CJK\"; src: url(data:font/woff;base64,"
            + base64.b64encode(data).decode("ascii") + ") format(\"woff\"); "
            "unicode-range: U+2E80-FFFF; font-weight: 100 900; font-style: normal; }\n")


# --------------------------------------------------------------------------- public API
def render_report(
    grading: GradingLike,
    *,
    validation: Any = None,
    stability: Any = None,
    comparison: Any = None,
    profile: Any = None,
    plans: Any = None,
    services: Any = True,
    groups: Any = None,
    complaints: pd.DataFrame | None = None,
    diagnostics: Any = None,
    title: str | None = None,
    lang: Lang = "zh",
    image_format: ImageFormat = "svg",
    embed_font: bool = True,
    figures: bool = True,
) -> str:
    """Render the grading report as one self-contained HTML page in one language.

    Parameters
    ----------
    grading : Grading, DataFrame, str or Path
        A :class:`~custvalue.grading.Grading` or its saved folder, or a bare grading table
        (then the scheme section and the manifest are left out).
    validation : TierValidation, optional
        :func:`custvalue.validation.validate_tiers`: its verdicts in the validation
        section, its details (measures, tiers × clusters, centroids, k scan) in the
        appendix.
    stability : TierStability or DataFrame, optional
        :func:`custvalue.validation.tier_stability` (or a per-customer frame of
        ``p_tier<k>``): verdicts, the least certain customers, and in the appendix the
        sensitivity indices.
    comparison : Comparison, optional
        :func:`custvalue.regrade.compare` of an earlier grading with this one: the tier
        changes section (transitions, movers with their cause) and findings.
    profile : DataFrame, optional
        A profile table to show instead of the default per-tier means.
    plans : ImprovementPlans, optional
        :func:`custvalue.analysis.improvement_plans` (三级 customers by default).
    services : bool or Catalogue, default True
        The services section with the default catalogue (``True``), a given
        :class:`~custvalue.analysis.services.Catalogue`, or none (``False``/``None``).
    groups : GroupTrends, optional
        :func:`custvalue.analysis.group_trends`.
    complaints : DataFrame, optional
        A complaints table, graded already (``complaint_level`` column) or to be graded by
        :func:`custvalue.analysis.grade_complaints` with this grading.
    diagnostics : Diagnostics, optional
        :func:`custvalue.analysis.diagnostics.diagnose`, shown in the appendix.
    title : str, optional
        Page title; default 客户价值分级报告 / Customer value grading report.
    lang : {'zh', 'en'}
        The page's one language.
    image_format : {'svg', 'png'}
        How plots are embedded.
    embed_font : bool
        Embed a subset of the CJK font (only the characters on the page).
    figures : bool, default True
        Draw the plots; ``False`` gives the text and tables only (much faster: the plots
        take most of the time), without the charts section.

    Returns
    -------
    str
        The HTML document.  The same inputs give the same string, byte for byte.

    Raises
    ------
    InvalidValueError
        For an unknown ``lang`` or ``image_format``.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"score": [80.0, 50.0, 20.0],
    ...                       "tier": pd.array([0, 1, 2], dtype="Int64")},
    ...                      index=pd.Index(["C1", "C2", "C3"], name="customer_id"))
    >>> page = render_report(table, embed_font=False, lang="en")
    >>> page.count("<figure>"), 'id="findings"' in page, "<script" in page
    (1, True, False)
    """
    if lang not in ("zh", "en"):
        raise InvalidValueError("report", "lang", f"lang must be 'zh' or 'en' (got {lang!r})")
    if image_format not in ("svg", "png"):
        raise InvalidValueError("report", "image_format",
                                f"image_format must be 'svg' or 'png' (got {image_format!r})")
    if isinstance(grading, str | os.PathLike):  # a saved folder: the whole grading
        grading = as_grading(grading, name="report")
    table = plots.grading_frame(grading)
    scheme = grading_scheme(grading)
    manifest = None if isinstance(grading, pd.DataFrame) else getattr(grading, "manifest", None)
    page = _Page(lang=lang, fmt=Fmt(lang), scheme=scheme,
                 names=plots.tier_names(table, lang=lang, scheme=scheme),
                 image_format=image_format, figures=bool(figures))

    verdicts = _verdicts(validation, stability, scheme)
    graded_complaints = _graded_complaints(complaints, grading)
    catalogue = _catalogue(services)
    built: dict[str, list[Block]] = {
        "summary": _summary(page, grading, table),
        "profiles": _profiles(page, table, profile),
        "plots": _charts(page, table),
        "validation": _validation(page, verdicts, validation, stability),
        "movers": _movers(page, comparison) if comparison is not None else [],
        "plans": _plans(page, plans) if plans is not None else [],
        "services": _services(page, table, catalogue)
        if catalogue is not None and "tier" in table.columns else [],
        "groups": _groups(page, groups) if groups is not None else [],
        "complaints": _complaints(page, graded_complaints)
        if graded_complaints is not None else [],
        "scheme": _scheme(page),
        "appendix": _appendix(page, validation, stability, diagnostics, manifest),
    }
    findings = key_findings(table, page.names, page.fmt, scheme=scheme, verdicts=verdicts,
                            stability=stability, comparison=comparison, plans=plans,
                            groups=groups, complaints=graded_complaints)
    built["findings"] = [{"kind": "list", "items": findings, "css": "findings"}] \
        if findings else []
    sections = [{"id": key, "title": page.t("section", key), "blocks": built[key]}
                for key in SECTIONS if built.get(key)]

    title = page.zh_en("客户价值分级报告", "Customer value grading report") \
        if title is None else str(title)
    meta, footer = _meta(page, table, manifest)
    context = {"html_lang": "zh-CN" if lang == "zh" else "en", "title": title, "meta": meta,
               "sections": sections, "footer": footer, "css": Markup(_css()), "font_face": ""}
    template = _environment().get_template("report.html.j2")
    text = template.render(**context)
    if embed_font:
        font = _font_face(text[text.index("<body>"):] + title)
        if font:
            context["font_face"] = Markup(font)  # our own CSS: base64 and ASCII only
            text = template.render(**context)
    return text


def _meta(page: _Page, table: pd.DataFrame, manifest: Any) -> tuple[str, str]:
    fmt = page.fmt
    data = _dump(manifest)
    graded = int(_graded_mask(table).sum())
    window = data.get("window") or {}
    if page.lang == "zh":
        meta = [f"{fmt.n(len(table))} 户客户", f"已评级 {fmt.n(graded)} 户"]
        if window:
            meta.append(f"评价期 {window.get('start', '?')} 至 {window.get('end', '?')}")
    else:
        meta = [f"{fmt.n(len(table))} customers", f"{fmt.n(graded)} graded"]
        if window:
            meta.append(f"window {window.get('start', '?')} to {window.get('end', '?')}")
    if page.scheme is not None:
        meta.append(page.zh_en(f"方案 {page.scheme.name}", f"scheme {page.scheme.name}"))
    foot = ["custvalue " + str(data.get("package_version", "")).strip()]
    if data.get("scheme_hash"):
        foot.append(page.zh_en("方案哈希 ", "scheme ") + str(data["scheme_hash"])[:12])
    if data.get("created_at"):
        foot.append(page.zh_en("评级时间 ", "graded at ") + str(data["created_at"]))
    return " · ".join(meta), " · ".join(foot)


def _verdicts(validation: Any, stability: Any, scheme: Any) -> Any:
    from custvalue.validation.gates import verdicts

    val = validation if hasattr(validation, "ari") and hasattr(validation, "disagreement") \
        else None
    st = stability if hasattr(stability, "borderline_share") else None
    if val is None and st is None:
        return None
    return verdicts(val, st, scheme)


def _graded_complaints(complaints: Any, grading: Any) -> pd.DataFrame | None:
    if complaints is None:
        return None
    if not isinstance(complaints, pd.DataFrame):
        raise InvalidValueError("report", "complaints", "complaints must be a DataFrame",
                                fix="read the complaints table first (pandas.read_csv)")
    if "complaint_level" in complaints.columns:
        return complaints
    from custvalue.analysis.services import grade_complaints

    return grade_complaints(complaints, grading)


def _catalogue(services: Any) -> Any:
    if services is None or services is False:
        return None
    from custvalue.analysis.services import Catalogue

    return Catalogue.default() if services is True else services


def write_report(grading: GradingLike, path: str | Path, **kwargs: Any) -> Path:
    """Render the report (see :func:`render_report` for the options) and write it as UTF-8.

    Parameters
    ----------
    grading : Grading, DataFrame, str or Path
        As for :func:`render_report`.
    path : str or Path
        The HTML file to write; its folder is created when missing.
    **kwargs
        The options of :func:`render_report`.

    Returns
    -------
    Path
        The file written.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import pandas as pd
    >>> table = pd.DataFrame({"score": [80.0, 20.0], "tier": pd.array([0, 1], dtype="Int64")},
    ...                      index=pd.Index(["C1", "C2"], name="customer_id"))
    >>> out = write_report(table, pathlib.Path(tempfile.mkdtemp()) / "r.html",
    ...                    embed_font=False)
    >>> out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    True
    """
    text = render_report(grading, **kwargs)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)
    return out
