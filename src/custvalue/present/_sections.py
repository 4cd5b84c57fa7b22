"""The main sections of the HTML report (package-private; see :mod:`custvalue.present.report`).

Each ``*_section`` function returns the blocks of one section (an empty list leaves the
section out): overview, tier profiles, charts, validation and robustness, tier changes,
improvement plans, services and ABC actions, group trends, complaint grading, scheme.  Loops
run over tiers, groups, services and the at most :data:`LIST_ROWS` rows a table shows, never
over all customers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from custvalue.present import plots
from custvalue.present._blocks import (
    KNOWN_COLUMNS,
    LIST_ROWS,
    Block,
    Page,
    figure_block,
    find_frame,
    graded_mask,
    heading,
    para,
    probabilities,
    table_block,
)
from custvalue.present.findings import group_label, largest_movers, verdict_sentence
from custvalue.present.labels import label, label_series, scheme_label


def summary_section(page: Page, grading: Any, table: pd.DataFrame) -> list[Block]:
    fmt = page.fmt
    graded = graded_mask(table)
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
        blocks += [heading(page.zh_en("各等级", "Tiers")), _tier_table(page, grading, table)]
    if (~graded).any() and "reason" in table.columns:
        reasons = table.loc[~graded, "reason"].astype("string").fillna("not_scored")
        counts = reasons.value_counts().sort_index()
        frame = pd.DataFrame({fmt.head("reason"): [page.t("reason", r) for r in counts.index],
                              fmt.head("customers"): counts.to_numpy()})
        blocks += [heading(page.zh_en("未评级客户", "Customers not graded")),
                   table_block(page, frame, {fmt.head("customers"): "n"})]
    abc = _abc_table(page, table)
    if abc is not None:
        blocks += [heading(page.zh_en("ABC 分类", "ABC classes")), abc]
    return blocks


def _tier_table(page: Page, grading: Any, table: pd.DataFrame) -> Block:
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
    return table_block(page, pd.DataFrame(rows), kinds, caption=caption)


def _abc_table(page: Page, table: pd.DataFrame) -> Block | None:
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
    return table_block(page, pd.DataFrame(rows), kinds)


def profiles_section(page: Page, table: pd.DataFrame, profile: Any) -> list[Block]:
    fmt = page.fmt
    given = profile if isinstance(profile, pd.DataFrame) else (
        find_frame(profile, ("table", "frame", "profile")) if profile is not None else None)
    if given is not None:
        frame = given.reset_index()
        frame.columns = [label("column", str(c), page.lang) if str(c) in KNOWN_COLUMNS
                         else str(c) for c in frame.columns]
        kinds = {str(c): "num" for c in frame.columns
                 if pd.api.types.is_numeric_dtype(frame[c])}
        return [table_block(page, frame, kinds)]
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
    return [table_block(page, pd.DataFrame(out), kinds, caption=caption)]


def charts_section(page: Page, table: pd.DataFrame) -> list[Block]:
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
        figs.append(figure_block(page, lambda ax: plots.score_histogram(
            table, cuts=cuts, lang=lang, ax=ax), (8.0, 4.4),
            page.zh_en("价值得分分布；虚线为各等级的分界分（进入该等级所需的最低分）",
                       "Score distribution; dashed lines: each tier's cut score"),
            page.zh_en("得分直方图", "score histogram")))
    for value in ("revenue", "total_kwh"):
        if value in has and table[value].sum() > 0:
            def pareto(ax: Axes, v: str = value) -> Axes:
                return plots.pareto_curve(table, v, lang=lang, ax=ax)

            figs.append(figure_block(page, pareto, (7.0, 4.8), page.zh_en(
                "客户按该值降序排列的累计占比；虚线为 ABC 类别分界",
                "Cumulative share with customers sorted by the value; dashed lines: ABC "
                "classes"), page.zh_en("帕累托曲线", "Pareto curve")))
            break
    if graded and has & {"total_kwh", "revenue"}:
        figs.append(figure_block(page, lambda ax: plots.tier_profile_bars(
            table, lang=lang, ax=ax), (8.0, 4.4), page.zh_en(
            "各等级的客户数占比与用电量、电费收入占比",
            "Share of customers against share of kWh and revenue per tier"),
            page.zh_en("等级贡献条形图", "tier profile bars")))
    if any(c.startswith("dim__") for c in has) and "tier" in has and table["tier"].notna().any():
        figs.append(figure_block(page, lambda ax: plots.dimension_scores(
            table, scheme=page.scheme, lang=lang, ax=ax), (8.0, 4.4),
            page.zh_en("各等级的维度得分（箱线图）", "Dimension scores per tier (box plots)"),
            page.zh_en("维度得分箱线图", "dimension scores per tier")))
    return figs


def validation_section(page: Page, verdicts: Any, validation: Any, stability: Any) -> list[Block]:
    if validation is None and stability is None:
        return []
    blocks: list[Block] = []
    if verdicts is not None and len(verdicts):
        items = [(v.status, page.t("verdict", v.status), verdict_sentence(v, page.fmt))
                 for v in verdicts]
        blocks += [para(page.zh_en(
            f"总体结论：{page.t('verdict', verdicts.status)}。阈值来自评价方案的 [gates] 设置。",
            f"Overall: {page.t('verdict', verdicts.status)}. The thresholds are the "
            f"scheme's [gates].")), {"kind": "verdicts", "items": items}]
    frame = probabilities(stability)
    if frame is not None:
        top = min(20, len(frame))
        blocks.append(figure_block(page, lambda ax: plots.tier_probabilities(
            frame, top=top, lang=page.lang, scheme=page.scheme, ax=ax),
            (6.4, 0.26 * top + 1.6), page.zh_en(
                "权重扰动下等级最不确定的客户：各等级的概率",
                "The customers with the least certain tier: probability of each tier "
                "under weight draws"), page.zh_en("等级概率", "tier probabilities")))
    blocks.append(para(page.zh_en("聚类明细、稳健性明细与敏感性指数见附录。",
                                "Clustering details, robustness details and sensitivity "
                                "indices are in the appendix."), "note"))
    return blocks


def movers_section(page: Page, comparison: Any) -> list[Block]:

    fmt = page.fmt
    blocks: list[Block] = []
    matrix = find_frame(comparison, ("transitions", "transition_matrix", "matrix", "table"))
    if matrix is not None:
        named = matrix.copy()
        named.index = [_state_name(page, k) for k in matrix.index]
        named.columns = [_state_name(page, k) for k in matrix.columns]
        named = named.reset_index(names=fmt.head("previous"))
        blocks += [heading(page.zh_en("等级迁移（行：上次；列：本次；客户数）",
                                  "Transitions (rows: previous, columns: current; customers)")),
                   table_block(page, named, {c: "n" for c in named.columns[1:]})]
        display = matrix.copy()
        if isinstance(display.index, pd.MultiIndex):
            display.index = [_state_key(k) for k in display.index]
            display.columns = [_state_key(k) for k in display.columns]
        blocks.append(figure_block(page, lambda ax: plots.transition_heatmap(
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
        blocks += [heading(page.zh_en("变动最大的客户", "The largest moves")),
                   table_block(page, frame, kinds, note=note)]
    return blocks


def _state_key(key: Any) -> Any:
    status, tier = key if isinstance(key, tuple) else (None, key)
    if status is not None and status != "graded":
        return status
    return int(tier)


def _state_name(page: Page, key: Any) -> str:
    value = _state_key(key)
    if isinstance(value, str):
        return page.t("status", {"left": "departed", "gone": "departed",
                                 "entered": "new"}.get(value, value))
    return page.tier(value)


def plans_section(page: Page, plans: Any) -> list[Block]:
    fmt = page.fmt
    customers: pd.DataFrame = plans.customers
    steps: pd.DataFrame = plans.steps
    counts = customers["status"].astype("string").value_counts()
    frame = pd.DataFrame({fmt.head("status"): [page.t("plan_status", s) for s in counts.index],
                          fmt.head("customers"): counts.to_numpy()})
    blocks: list[Block] = [table_block(page, frame, {fmt.head("customers"): "n"})]
    if len(steps):
        by = steps.groupby("indicator")
        uses = by["customer_id"].nunique().sort_values(ascending=False, kind="stable")
        ind = pd.DataFrame({
            fmt.head("indicator"): [page.indicator(n) for n in uses.index],
            fmt.head("plans_using"): uses.to_numpy()})
        blocks += [heading(page.zh_en("方案中最常见的改进项", "What the plans ask most often")),
                   table_block(page, ind, {fmt.head("plans_using"): "n"})]
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
        blocks += [heading(page.zh_en(f"离{tname}最近的客户及其改进方案",
                                  f"The customers closest to the {tname} tier and their plans")),
                   table_block(page, frame, kinds, note=page.zh_en(
                       f"按差距从小到大列出前 {len(planned):,} 户",
                       f"the {len(planned):,} with the smallest gap"))]
    return blocks


def _plan_texts(page: Page, steps: pd.DataFrame) -> dict[str, str]:
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


def services_section(page: Page, table: pd.DataFrame, catalogue: Any) -> list[Block]:
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
    blocks: list[Block] = [heading(page.zh_en("各等级的服务", "Services per tier")),
                           table_block(page, frame, {k: "text" for k in kinds})]
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
        blocks += [heading(page.zh_en("ABC 分类的管理措施", "Management actions by ABC class")),
                   table_block(page, frame, {fmt.head("customers"): "n",
                                        fmt.head("abc_services"): "long",
                                        fmt.head("cost_recovery"): "yes"}),
                   para(page.zh_en("A 类客户优先发展并享有绿色通道；B 类保持；C 类限制或舍弃，"
                                 "提供必要服务，其余为有偿服务，按成本回收。",
                                 "Class A: develop first, with the green channel; class B: "
                                 "maintain; class C: restrict or drop, with the necessary "
                                 "services and paid services at cost."), "note")]
    return blocks


def groups_section(page: Page, groups: Any) -> list[Block]:
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
    blocks: list[Block] = [table_block(page, table, kinds, caption=caption),
                           {"kind": "list", "items": statements, "css": "plain"}]
    if by == "tier" or len(frame) <= 8:
        blocks.append(figure_block(page, lambda ax: plots.group_trend_lines(
            groups, lang=page.lang, ax=ax), (8.0, 4.4), page.zh_en(
                "各客户群年用电量（首年 = 100）", "Annual electricity use per group "
                "(first year = 100)"), page.zh_en("客户群趋势", "group trends")))
    return blocks


def complaints_section(page: Page, graded: pd.DataFrame) -> list[Block]:
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
    return [table_block(page, summary, {fmt.head("complaints"): "n"}),
            heading(page.zh_en("投诉明细（最高等级在前）", "Complaints (highest grade first)")),
            table_block(page, pd.DataFrame(columns), {fmt.head("set_by"): "long"},
                   note=page.zh_en(f"前 {len(shown):,} 件，共 {len(graded):,} 件",
                                   f"{len(shown):,} of {len(graded):,} complaints")
                   if len(graded) > len(shown) else None)]


def scheme_section(page: Page) -> list[Block]:
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
    tree = getattr(scheme, "levels", 2) == 3
    if tree:  # the three-level tree: each indicator's secondary indicator beside it
        irows = {fmt.head("indicator"): [], fmt.head("secondary"): [], **{
            k: v for k, v in irows.items() if k != fmt.head("indicator")}}
    for dname, dim in dims.items():  # the scheme's few dimensions and indicators
        indicators = getattr(dim, "leaves", None) or getattr(dim, "indicators", None) or {}
        inside = getattr(dim, "leaf_weights", None) or {}  # weight inside the dimension
        parent = {i: g for g, group in (getattr(dim, "secondary", None) or {}).items()
                  for i in group.indicators}
        drows[fmt.head("dimension")].append(page.dimension(dname))
        drows[fmt.head("weight")].append(float(dim.weight))
        drows[fmt.head("missing")].append(page.t("missing", getattr(dim, "missing", "")))
        drows[fmt.head("indicator")].append(len(indicators))
        for iname, ind in indicators.items():
            weight = float(inside.get(iname, ind.weight))
            irows[fmt.head("indicator")].append(page.indicator(iname))
            if tree:
                group = parent.get(iname)
                irows[fmt.head("secondary")].append(
                    scheme_label(scheme, "secondary", group, page.lang) if group else "–")
            irows[fmt.head("dimension")].append(page.dimension(dname))
            irows[fmt.head("direction")].append(page.t("direction", ind.direction))
            irows[fmt.head("normalisation")].append(
                page.t("normalisation", ind.normalisation.method))
            irows[fmt.head("weight")].append(weight)
            irows[fmt.head("overall_weight")].append(float(dim.weight) * weight)
    blocks: list[Block] = []
    agg = getattr(getattr(scheme, "aggregation", None), "method", None)
    if agg:
        blocks.append(para(page.zh_en(
            f"方案 {scheme.name}：{page.t('aggregation', agg)}；总权重 = 维度权重 × 维度内权重。",
            f"Scheme {scheme.name}: {page.t('aggregation', agg)}; overall weight = dimension "
            f"weight × weight in the dimension.")))
    blocks += [heading(page.zh_en("维度", "Dimensions")),
               table_block(page, pd.DataFrame(drows), {fmt.head("weight"): "pct",
                                                  fmt.head("indicator"): "n"}),
               heading(page.zh_en("指标与权重", "Indicators and weights")),
               table_block(page, pd.DataFrame(irows), {fmt.head("weight"): "pct",
                                                  fmt.head("overall_weight"): "pct"})]
    tiers = getattr(scheme, "tiers", None)
    if tiers is not None and getattr(tiers, "quotas", None):
        frame = pd.DataFrame({fmt.head("tier"): [page.tier(k) for k in range(len(tiers.quotas))],
                              fmt.head("quota"): [float(q) for q in tiers.quotas]})
        blocks += [heading(page.zh_en("等级定额", "Tier quotas")),
                   table_block(page, frame, {fmt.head("quota"): "pct"})]
    return blocks
