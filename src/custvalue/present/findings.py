"""Key findings in plain sentences, and the number formats of the report, in one language.

:class:`Fmt` formats counts, shares, scores and the two units a manager reads (revenue in
万元 and electricity in 万kWh in Chinese; yuan and MWh in English).  :func:`key_findings`
writes the report's first section from the numbers of the grading and of the analyses
given: the tier sizes and cut scores, what separates the tiers, the validation and
robustness verdicts (:mod:`custvalue.validation.gates`), the largest movers and why
(:func:`custvalue.regrade.compare`'s attribution), the improvement plans, the group
trends and the complaints.  Every number in a sentence is computed here from its source,
never typed in.

Examples
--------
>>> Fmt("zh").money(1_464_845_118), Fmt("zh").money_unit, Fmt("en").energy(2_500_000)
('146,484.5', '万元', '2,500.0')
>>> import pandas as pd
>>> t = pd.DataFrame({"score": [90.0, 60.0, 30.0], "tier": pd.array([0, 1, 1], dtype="Int64")})
>>> print(tier_sentence(t, {0: "special", 1: "first"}, Fmt("en")))
... # doctest: +NORMALIZE_WHITESPACE
3 customers graded: special 1 (33.3%, score 90.00 and above), first 2 (66.7%,
score 30.00 and above).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
import pandas as pd

from custvalue.present.labels import label, scheme_label

__all__ = ["Fmt", "group_label", "key_findings", "largest_movers", "tier_sentence",
           "verdict_sentence"]

Lang = Literal["zh", "en"]


def _missing(value: Any) -> bool:
    try:
        return value is None or value is pd.NA or bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _adaptive(x: float) -> str:
    """A number with as many decimals as its size needs (thousands separated)."""
    a = abs(x)
    if a >= 100:
        return f"{x:,.1f}"
    if a >= 1:
        return f"{x:,.2f}"
    return f"{x:.3g}"


class Fmt:
    """Number formats of one language.

    Parameters
    ----------
    lang : {'zh', 'en'}

    Examples
    --------
    >>> f = Fmt("en")
    >>> f.n(1234567), f.pct(0.1234), f.money(1234.5), f.energy_unit, f.head("revenue", "money")
    ('1,234,567', '12.3%', '1,234.5', 'MWh', 'revenue (yuan)')
    """

    def __init__(self, lang: Lang) -> None:
        self.lang: Lang = lang
        self.zh = lang == "zh"
        self.money_unit = "万元" if self.zh else "yuan"
        self.energy_unit = "万kWh" if self.zh else "MWh"
        self._money_scale = 1e4 if self.zh else 1.0
        self._energy_scale = 1e4 if self.zh else 1e3

    # numbers -------------------------------------------------------------------------
    def n(self, value: Any) -> str:
        """A count."""
        return "–" if _missing(value) else f"{int(value):,}"

    def pct(self, value: Any, decimals: int = 1, sign: bool = False) -> str:
        """A share as a percentage."""
        if _missing(value) or not math.isfinite(float(value)):
            return "–"
        return f"{float(value):+.{decimals}%}" if sign else f"{float(value):.{decimals}%}"

    def score(self, value: Any, decimals: int = 1, sign: bool = False) -> str:
        """A score on 0–100 (or a change of it)."""
        if _missing(value) or not math.isfinite(float(value)):
            return "–"
        return f"{float(value):+.{decimals}f}" if sign else f"{float(value):.{decimals}f}"

    def num(self, value: Any) -> str:
        """Any other number, decimals by size."""
        if _missing(value):
            return "–"
        if isinstance(value, bool | np.bool_):
            return self.yes(bool(value))
        if isinstance(value, int | np.integer):
            return f"{int(value):,}"
        v = float(value)
        if not math.isfinite(v):
            return "∞" if v > 0 else ("−∞" if v < 0 else "–")
        return _adaptive(v)

    def money(self, value: Any) -> str:
        """Yuan in the language's unit (万元 or yuan), without the unit."""
        if _missing(value):
            return "–"
        v = float(value) / self._money_scale
        return f"{v:,.0f}" if abs(v) >= 1e5 and not self.zh else _adaptive(v)

    def energy(self, value: Any) -> str:
        """kWh in the language's unit (万kWh or MWh), without the unit."""
        return "–" if _missing(value) else _adaptive(float(value) / self._energy_scale)

    def yes(self, value: bool) -> str:
        """Yes or no."""
        return ("是" if value else "否") if self.zh else ("yes" if value else "no")

    # text ----------------------------------------------------------------------------
    def head(self, key: str, unit: str | None = None) -> str:
        """A column header from the label table, with its unit."""
        text = label("column", key, self.lang)
        suffix = {"money": self.money_unit, "energy": self.energy_unit}.get(unit or "", unit)
        if not suffix:
            return text
        return f"{text}（{suffix}）" if self.zh else f"{text} ({suffix})"

    def join(self, items: list[str]) -> str:
        """Items of a list in running text."""
        return ("、" if self.zh else ", ").join(items)

    def sentence(self, parts: list[str]) -> str:
        """Clauses joined into one sentence."""
        if self.zh:
            return "；".join(parts) + "。"
        return "; ".join(parts) + "."


# --------------------------------------------------------------------------- sentences
def _tier_counts(table: pd.DataFrame) -> pd.Series:
    tier = table["tier"].dropna().astype("int64")
    return tier.value_counts().sort_index()


def tier_sentence(table: pd.DataFrame, names: Mapping[int, str], fmt: Fmt) -> str:
    """How many customers each tier holds and the score it takes to be in it."""
    counts = _tier_counts(table)
    graded = int(counts.sum())
    score = table["score"] if "score" in table.columns else None
    parts = []
    for tier, count in counts.items():
        share = fmt.pct(count / graded) if graded else "–"
        cut = None
        if score is not None:
            members = score[(table["tier"] == tier).fillna(False).to_numpy(dtype=bool)]
            cut = members.min() if members.notna().any() else None
        name = names.get(int(str(tier)), str(tier))
        if fmt.zh:
            text = f"{name} {fmt.n(count)} 户（{share}"
            text += f"，得分 {fmt.score(cut, 2)} 分及以上）" if cut is not None else "）"
        else:
            text = f"{name} {fmt.n(count)} ({share}"
            text += f", score {fmt.score(cut, 2)} and above)" if cut is not None else ")"
        parts.append(text)
    ungraded = len(table) - graded
    if fmt.zh:
        head = f"本次评级 {fmt.n(graded)} 户"
        head += f"（另有 {fmt.n(ungraded)} 户未评级）" if ungraded else ""
        return head + "：" + "；".join(parts) + "。"
    head = f"{fmt.n(graded)} customers graded"
    head += f" ({fmt.n(ungraded)} more not graded)" if ungraded else ""
    return head + ": " + ", ".join(parts) + "."


def _widest_gap(table: pd.DataFrame, top: Any, low: Any,
                prefix: str) -> tuple[str, float] | None:
    """The ``prefix`` column whose means differ most between the rows ``top`` and ``low``,
    and that difference (None without such columns or means)."""
    columns = [c for c in table.columns if c.startswith(prefix)]
    if not columns:
        return None
    gaps = table.loc[top, columns].mean() - table.loc[low, columns].mean()
    if not gaps.notna().any():
        return None
    col = str(gaps.abs().idxmax())
    return col, float(gaps[col])


def _separation(table: pd.DataFrame, names: Mapping[int, str], scheme: Any,
                fmt: Fmt) -> list[str]:
    """What separates the best tier from the worst: the dimension and indicator gaps."""
    counts = _tier_counts(table)
    if len(counts) < 2:
        return []
    best, worst = int(counts.index.min()), int(counts.index.max())
    tier = table["tier"]
    top = (tier == best).fillna(False).to_numpy(dtype=bool)
    low = (tier == worst).fillna(False).to_numpy(dtype=bool)
    out = []
    widest = _widest_gap(table, top, low, "dim__")
    if widest is not None:
        col, _ = widest
        dim = scheme_label(scheme, "dimension", col.removeprefix("dim__"), fmt.lang)
        a, b = table.loc[top, col].mean(), table.loc[low, col].mean()
        if fmt.zh:
            out.append(f"区分等级最明显的是「{dim}」维度：{names.get(best)}平均 "
                       f"{fmt.score(a)} 分，{names.get(worst)}平均 {fmt.score(b)} 分")
        else:
            out.append(f"The tiers differ most in {dim}: {names.get(best)} customers "
                       f"average {fmt.score(a)} points, {names.get(worst)} customers "
                       f"{fmt.score(b)}")
    widest = _widest_gap(table, top, low, "norm__")
    if widest is not None:
        col, gap = widest
        ind = scheme_label(scheme, "indicator", col.removeprefix("norm__"), fmt.lang)
        if fmt.zh:
            out.append(f"单项指标中差距最大的是「{ind}」（标准化值相差 {gap:.2f}）")
        else:
            out.append(f"the indicator that differs most is {ind} (normalised values "
                       f"{gap:.2f} apart)")
    for column in ("revenue", "total_kwh"):
        if column in table.columns and len(counts) >= 3:
            total = table[column].sum()
            first_two = (tier.isin(counts.index[:2].tolist())).fillna(False).to_numpy(dtype=bool)
            if total and total > 0:
                cust = first_two.sum() / max(int(counts.sum()), 1)
                val = table.loc[first_two, column].sum() / total
                pair = fmt.join([names.get(int(k), str(k)) for k in counts.index[:2]])
                what = label("indicator", column, fmt.lang)
                if fmt.zh:
                    out.append(f"{pair}占评级客户的 {fmt.pct(cust)}，贡献了 {fmt.pct(val)} 的"
                               f"{what}")
                else:
                    out.append(f"{pair} customers are {fmt.pct(cust)} of those graded and "
                               f"bring {fmt.pct(val)} of the {what}")
            break
    if not out:
        return []
    return [fmt.sentence(out)] if fmt.zh else [
        out[0] + ("; " + "; ".join(out[1:]) if len(out) > 1 else "") + "."]


def verdict_sentence(verdict: Any, fmt: Fmt) -> str:
    """One gate's verdict in words, with the figure and the threshold.

    Examples
    --------
    >>> from custvalue.validation.gates import judge
    >>> print(verdict_sentence(judge("min_ari", 0.188, warn=0.2, fail=0.05), Fmt("zh")))
    等级与聚类的一致性（调整兰德指数）为 0.188，低于警告阈值 0.200。
    """
    gate = str(verdict.gate)
    what = label("gate", gate, fmt.lang)

    def show(x: float) -> str:
        return f"{x:.3f}" if gate == "min_ari" else fmt.pct(x)

    figure, threshold, status = float(verdict.figure), float(verdict.threshold), verdict.status
    low = gate.startswith("min_")
    if not math.isfinite(figure):
        return (f"{what}无法计算，请人工核查。" if fmt.zh
                else f"{what.capitalize()} could not be computed; check it by hand.")
    if status == "PASS":
        if fmt.zh:
            bound = "不低于" if low else "不高于"
            return f"{what}为 {show(figure)}，{bound} {show(threshold)}，满足要求。"
        return (f"{what.capitalize()} is {show(figure)}, {'at least' if low else 'at most'} "
                f"{show(threshold)}: acceptable.")
    kind_zh = "失败阈值" if status == "FAIL" else "警告阈值"
    kind_en = "failure threshold" if status == "FAIL" else "warning threshold"
    if fmt.zh:
        return f"{what}为 {show(figure)}，{'低于' if low else '高于'}{kind_zh} {show(threshold)}。"
    return (f"{what.capitalize()} is {show(figure)}, {'below' if low else 'above'} the "
            f"{kind_en} {show(threshold)}.")


def _validation(verdicts: Any, stability: Any, fmt: Fmt) -> list[str]:
    out = []
    if verdicts is not None and len(verdicts):
        status = label("verdict", verdicts.status, fmt.lang)
        bad = [v for v in verdicts if v.status != "PASS"]
        if fmt.zh:
            head = (f"验证与稳健性检验的总体结论：{status}（{len(verdicts)} 项检验中 "
                    f"{len(bad)} 项未通过或需注意）。")
        else:
            head = (f"Validation and robustness overall: {status} ({len(bad)} of "
                    f"{len(verdicts)} checks need attention).")
        out.append(head + " " + " ".join(verdict_sentence(v, fmt) for v in bad)
                   if bad else head)
    customers = getattr(stability, "customers", None)
    if isinstance(customers, pd.DataFrame) and "p_same" in customers.columns and len(customers):
        same = float(customers["p_same"].mean())
        border = float(customers["borderline"].mean()) if "borderline" in customers else math.nan
        draws = int(getattr(stability, "draws", 0))
        if fmt.zh:
            out.append(f"在 {fmt.n(draws)} 次权重随机扰动下，客户平均有 {fmt.pct(same)} "
                       f"的抽样保持原等级；"
                       f"{fmt.pct(border)} 的客户处于等级边界（最可能等级的概率低于 "
                       f"{getattr(stability, 'borderline', 0.5):.0%}）。")
        else:
            out.append(f"Under {fmt.n(draws)} random weight draws a customer keeps its tier in "
                       f"{fmt.pct(same)} of draws on average; {fmt.pct(border)} of customers "
                       f"are borderline (their most likely tier has a probability below "
                       f"{getattr(stability, 'borderline', 0.5):.0%}).")
    return out


def _movers(comparison: Any, names: Mapping[int, str], scheme: Any, fmt: Fmt) -> list[str]:
    summary = getattr(comparison, "summary", None)
    movers = getattr(comparison, "movers", None)
    if not callable(summary) or not isinstance(movers, pd.DataFrame):
        return []
    s = summary()
    both = s["n_common_graded"]
    kept = s["n_stayed"] / both if both else math.nan
    prev = str(getattr(comparison, "previous_label", ""))
    # compare() tells two gradings of the same window apart by " (previous)"
    prev = prev.replace(" (previous)", "").replace(" (current)", "")
    if fmt.zh:
        out = [f"与上次评级（{prev}）相比：两次均评级的 {fmt.n(both)} 户中 "
               f"{fmt.n(s['n_stayed'])} 户（{fmt.pct(kept)}）等级不变，上升 {fmt.n(s['n_up'])} "
               f"户，下降 {fmt.n(s['n_down'])} 户；"
               f"新增 {fmt.n(s['n_new'])} 户，退出 {fmt.n(s['n_departed'])} 户。"]
    else:
        out = [f"Against the previous grading ({prev}): of {fmt.n(both)} customers graded both "
               f"times {fmt.n(s['n_stayed'])} ({fmt.pct(kept)}) kept their tier, "
               f"{fmt.n(s['n_up'])} moved up and {fmt.n(s['n_down'])} down; "
               f"{fmt.n(s['n_new'])} are new and {fmt.n(s['n_departed'])} departed."]
    changed = getattr(comparison, "scheme_changed", None)
    if len(movers) and "cause" in movers.columns:
        cause = movers["cause"].astype("string").fillna("")
        counts = {
            "data": int((cause.str.contains("data") | cause.str.contains("score")).sum()),
            "cut": int(movers["cut_shift_only"].sum()) if "cut_shift_only" in movers else 0,
            "scheme": int(cause.str.contains("scheme").sum()),
        }
        if fmt.zh:
            text = (f"变动原因：{fmt.n(counts['data'])} 户有自身数据变化的作用，"
                    f"{fmt.n(counts['cut'])} 户仅因等级分界分变化而变动")
            text += (f"，{fmt.n(counts['scheme'])} 户受评价方案变化影响" if changed
                     else "（两次评价方案相同）" if changed is False else "")
            out.append(text + "。")
        else:
            text = (f"Causes: {fmt.n(counts['data'])} moves had the customer's own data "
                    f"behind them, {fmt.n(counts['cut'])} were moved by a shift of the cut "
                    f"scores alone")
            text += (f", {fmt.n(counts['scheme'])} by the scheme change" if changed
                     else " (the scheme did not change)" if changed is False else "")
            out.append(text + ".")
        top = largest_movers(movers).head(1)
        for cid, row in top.iterrows():  # one row
            tp, tc = int(row["tier_previous"]), int(row["tier_current"])
            why = label("cause", row.get("cause"), fmt.lang)
            driver = row.get("driver_1")
            dname = (scheme_label(scheme, "indicator", str(driver), fmt.lang)
                     if not _missing(driver) and str(driver) else "")
            sp, sc = row.get("score_previous"), row.get("score_current")
            if fmt.zh:
                text = (f"变动最大的是客户 {cid}：由{names.get(tp, tp)}变为{names.get(tc, tc)}"
                        f"（得分 {fmt.score(sp)} → {fmt.score(sc)}），原因：{why}")
                text += f"，主要驱动指标为「{dname}」。" if dname else "。"
            else:
                text = (f"The largest move is customer {cid}, from {names.get(tp, tp)} to "
                        f"{names.get(tc, tc)} (score {fmt.score(sp)} → {fmt.score(sc)}), "
                        f"caused by {why}")
                text += f"; main driver: {dname}." if dname else "."
            out.append(text)
    return out


def largest_movers(movers: pd.DataFrame) -> pd.DataFrame:
    """Movers by the size of the move: tier steps, then score change, then id."""
    if movers.empty:
        return movers
    order = pd.DataFrame({
        "steps": -movers["steps"].abs().to_numpy(dtype=float),
        "change": -movers["score_change"].abs().fillna(0).to_numpy(dtype=float)
        if "score_change" in movers else np.zeros(len(movers)),
        "id": movers.index.astype(str),
    })
    pos = order.sort_values(["steps", "change", "id"], kind="stable").index.to_numpy()
    return movers.iloc[pos]


def _plans(plans: Any, names: Mapping[int, str], scheme: Any, fmt: Fmt) -> list[str]:
    customers = getattr(plans, "customers", None)
    steps = getattr(plans, "steps", None)
    if not isinstance(customers, pd.DataFrame) or customers.empty:
        return []
    status = customers["status"].astype("string")
    planned = int((status == "planned").sum())
    unreachable = int((status == "unreachable").sum())
    tier = customers["tier"].dropna()
    target = customers["target"].dropna()
    tname = names.get(int(tier.iloc[0]), "") if len(tier) else ""
    gname = names.get(int(target.iloc[0]), "") if len(target) else ""
    gap = customers.loc[status == "planned", "gap"].mean() if planned else math.nan
    common = ""
    if isinstance(steps, pd.DataFrame) and len(steps):
        counts = steps.groupby("indicator")["customer_id"].nunique()
        best = counts.sort_values(ascending=False, kind="stable")
        name, k = str(best.index[0]), int(best.iloc[0])
        common = scheme_label(scheme, "indicator", name, fmt.lang)
    if fmt.zh:
        text = (f"{tname} {fmt.n(len(customers))} 户中，{fmt.n(planned)} 户可通过改进可控指标升入"
                f"{gname}（平均需提高 {fmt.score(gap, 2)} 分），{fmt.n(unreachable)} "
                f"户单靠可控指标无法达到")
        text += f"；最常见的改进项是「{common}」（{fmt.n(k)} 户）。" if common else "。"
    else:
        text = (f"Of {fmt.n(len(customers))} {tname}-tier customers, {fmt.n(planned)} can "
                f"reach the {gname} tier by improving indicators they control (by "
                f"{fmt.score(gap, 2)} points on average) and {fmt.n(unreachable)} cannot by "
                f"those alone")
        text += f"; the most common step is {common} ({fmt.n(k)} customers)." if common else "."
    return [text]


def group_label(by: str, group: Any, names: Mapping[int, str], lang: Lang) -> str:
    """The business label of one group of :func:`custvalue.analysis.group_trends`."""
    text = str(group)
    if by == "tier":
        return names.get(int(text), text) if text.isdigit() else label("status", text, lang)
    if by in ("abc", "customer_class"):
        return label(by, text, lang)
    return text


def _groups(groups: Any, names: Mapping[int, str], fmt: Fmt) -> list[str]:
    frame = getattr(groups, "groups", None)
    if not isinstance(frame, pd.DataFrame) or frame.empty:
        return []
    by = str(getattr(groups, "by", "tier"))
    parts = []
    for prospect in ("growing", "declining"):  # loops over the few groups
        rows = frame[frame["prospect"] == prospect]
        if len(rows):
            items = []
            for g, r in rows.iterrows():  # the few groups
                name, rate = group_label(by, g, names, fmt.lang), fmt.pct(r["kwh_growth"],
                                                                          sign=True)
                items.append(f"{name}（{rate}）" if fmt.zh else f"{name} ({rate} a year)")
            word = label("prospect", prospect, fmt.lang)
            parts.append(f"用电量{word}的有{fmt.join(items)}" if fmt.zh
                         else f"{word}: {fmt.join(items)}")
    if not parts:
        return ["各客户群用电量平稳。" if fmt.zh else "Every group's electricity use is stable."]
    return [("客户群趋势：" + "；".join(parts) + "。") if fmt.zh
            else ("Group trends: " + "; ".join(parts) + ".")]


def _complaints(graded: Any, fmt: Fmt) -> list[str]:
    if not isinstance(graded, pd.DataFrame) or "complaint_level" not in graded.columns:
        return []
    counts = graded["complaint_level"].value_counts()
    items = [f"{label('complaint_level', lv, fmt.lang)} {fmt.n(counts.get(lv, 0))} 件" if fmt.zh
             else f"{fmt.n(counts.get(lv, 0))} {label('complaint_level', lv, fmt.lang)}"
             for lv in ("emergency", "key", "ordinary")]
    if fmt.zh:
        return [f"{fmt.n(len(graded))} 件投诉定级为：{fmt.join(items)}。"]
    return [f"{fmt.n(len(graded))} complaints graded: {fmt.join(items)}."]


def key_findings(
    table: pd.DataFrame,
    names: Mapping[int, str],
    fmt: Fmt,
    *,
    scheme: Any = None,
    verdicts: Any = None,
    stability: Any = None,
    comparison: Any = None,
    plans: Any = None,
    groups: Any = None,
    complaints: Any = None,
) -> list[str]:
    """The report's key findings, one plain sentence (or two) per topic.

    Parameters
    ----------
    table : pandas.DataFrame
        The grading table (``tier``, ``score``, ``dim__*``, ``norm__*`` ...).
    names : mapping of int to str
        Tier names in the report's language.
    fmt : Fmt
    scheme, verdicts, stability, comparison, plans, groups, complaints : optional
        The scheme, :class:`~custvalue.validation.gates.Verdicts`, ``TierStability``,
        ``Comparison``, ``ImprovementPlans``, ``GroupTrends`` and the graded complaints
        table; a topic whose input is missing is left out.

    Returns
    -------
    list of str

    Examples
    --------
    >>> t = pd.DataFrame({"score": [90.0, 60.0, 30.0],
    ...                   "tier": pd.array([0, 1, 1], dtype="Int64")})
    >>> print(key_findings(t, {0: "特级客户", 1: "一级客户"}, Fmt("zh"))[0])
    ... # doctest: +NORMALIZE_WHITESPACE
    本次评级 3 户：特级客户 1 户（33.3%，得分 90.00 分及以上）；一级客户 2 户（66.7%，得分 30.00
    分及以上）。
    """
    out: list[str] = []
    if "tier" in table.columns and table["tier"].notna().any():
        out.append(tier_sentence(table, names, fmt))
        out += _separation(table, names, scheme, fmt)
    out += _validation(verdicts, stability, fmt)
    if comparison is not None:
        out += _movers(comparison, names, scheme, fmt)
    if plans is not None:
        out += _plans(plans, names, scheme, fmt)
    if groups is not None:
        out += _groups(groups, names, fmt)
    if complaints is not None:
        out += _complaints(complaints, fmt)
    return out
