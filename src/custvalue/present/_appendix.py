"""The report's appendix: the technical details, folded (package-private).

The clustering check in detail (measures, tiers x clusters, centroids, the k scan), the
robustness details and the sensitivity indices, the indicator diagnostics and the manifest,
each as a folded ``<details>`` block of :mod:`custvalue.present.report`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from custvalue.present import plots
from custvalue.present._blocks import (
    Block,
    Page,
    dump,
    figure_block,
    find_frame,
    heading,
    kv_block,
    probabilities,
    table_block,
)
from custvalue.present.findings import Fmt
from custvalue.present.labels import label


def appendix_section(page: Page, validation: Any, stability: Any, diagnostics: Any,
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
                       "blocks": [kv_block(page, rows)]})
    return blocks


def _clustering(page: Page, validation: Any) -> list[Block]:
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
        blocks.append(kv_block(page, rows))
    contingency = find_frame(validation, ("contingency", "crosstab", "table"))
    if contingency is not None:
        named = contingency.copy()
        named.columns = [_cluster_name(page, c) for c in contingency.columns]
        named.insert(0, fmt.head("tier"), [page.tier(k) for k in contingency.index])
        blocks += [heading(page.zh_en("等级 × 聚类（客户数）", "Tiers × clusters (customers)")),
                   table_block(page, named.reset_index(drop=True),
                          {c: "n" for c in named.columns[1:]}),
                   figure_block(page, lambda ax: plots.cluster_heatmap(
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
        blocks += [heading(page.zh_en("聚类中心（每列一个聚类）",
                                  "Cluster centres (a column per cluster)")),
                   table_block(page, turned.reset_index(drop=True),
                          {c: "numtext" for c in turned.columns[1:]})]
    scan = getattr(validation, "k_scan", None)
    if isinstance(scan, pd.DataFrame) and not scan.empty:
        frame = scan.reset_index()
        frame.columns = [page.t("clustering", str(c)) for c in frame.columns]
        blocks += [heading(page.zh_en("聚类数扫描", "Scan over the number of clusters")),
                   table_block(page, frame, {c: "num" for c in frame.columns})]
    return blocks


def _cluster_name(page: Page, value: Any) -> str:
    """Clusters are numbered from 1 on the page, as in the plots (0-based in the data)."""
    try:
        shown: Any = int(value) + 1
    except (TypeError, ValueError):
        shown = value
    return page.zh_en(f"聚类 {shown}", f"cluster {shown}")


def _feature_name(page: Page, name: str) -> str:
    if name.startswith("norm__"):
        return page.indicator(name.removeprefix("norm__"))
    if name.startswith("dim__"):
        return page.dimension(name.removeprefix("dim__"))
    return label("clustering", name, page.lang)


def _robustness(page: Page, stability: Any) -> list[Block]:
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
        blocks.append(kv_block(page, rows))
    frame = probabilities(stability)
    if frame is not None:
        blocks.append(figure_block(page, lambda ax: plots.tier_probabilities(
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
        blocks += [heading(page.zh_en("敏感性：单个权重变动时变动等级的客户占比",
                                  "Sensitivity: share of customers changing tier when one "
                                  "weight moves")),
                   table_block(page, table, kinds)]
    return blocks


def _diagnostics(page: Page, diagnostics: Any) -> list[Block]:
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
        blocks.append(table_block(page, frame, kinds))
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
            blocks += [heading(page.zh_en("同一维度内的指标相关性提示",
                                      "Correlation flags within a dimension")),
                       table_block(page, frame, {page.zh_en("相关系数", "correlation"): "num"})]
    return blocks


def _manifest_rows(page: Page, manifest: Any) -> list[tuple[str, str]]:
    data = dump(manifest)
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
