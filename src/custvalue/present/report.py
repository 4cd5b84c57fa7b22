"""One self-contained HTML report of a grading: summary, profiles, plots, checks, scheme.

This module is long because the report is one HTML page built from many small section builders
(summary, profiles, plots, validation, robustness, regrade, scheme, manifest) that share
escaping, table and font-subset helpers; the sections are short, there are just many of them.

:func:`render_report` returns the report as a string; :func:`write_report` writes it to a
file.  The page needs nothing outside itself: the plots are embedded as base64 SVG (or PNG)
images, the CSS is inline, there is no JavaScript, and the Chinese text of the page can
carry its own font (a subset of the plots' CJK font with only the characters used, as a
base64 WOFF in ``@font-face``).  A Content-Security-Policy ``<meta>`` forbids any external
load.  All text from the data is HTML-escaped.

The same inputs give a byte-identical report: matplotlib's SVG ids come from a fixed salt
(``svg.hashsalt``), no creation date or software tag is written into the images, and the
page itself holds no time stamp other than the grading manifest's own ``created_at``.

Sections (those whose input is not given are left out):

1. 概要 Summary -- key figures, tier counts / shares / target quotas / cut scores, ABC classes;
2. 画像 Profiles -- the given profile table, or a default one per tier;
3. 图表 Plots -- score histogram, Pareto curve, tier profile bars, dimension scores;
4. 验证 Validation -- tiers x clusters contingency table and heatmap, the report's measures;
5. 稳健性 Robustness -- least certain customers and the modal-probability histogram;
6. 复评 Regrade -- the transition matrix and its heatmap;
7. 方案 Scheme -- dimensions, indicators and weights, tiers, ABC, the scheme JSON;
8. 清单 Manifest -- versions, inputs, window, options.

Examples
--------
>>> from custvalue.present.plots import demo_table
>>> page = render_report(demo_table(40), title="演示 <demo>", embed_font=False)
>>> page.startswith("<!DOCTYPE html>"), "演示 &lt;demo&gt;" in page, 'src="http' in page
(True, True, False)
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import html
import io
import json
import math
import os
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from custvalue.errors import InvalidValueError
from custvalue.grading import (
    GRADED,
    UNGRADED,
    UNGRADED_LABELS,
    GradingLike,
    as_grading,
    grading_scheme,
)
from custvalue.present import plots
from custvalue.present._common import frame_of

__all__ = ["render_report", "write_report"]

Lang = Literal["zh", "en"]
ImageFormat = Literal["svg", "png"]

#: Salt for the ids in matplotlib's SVG output, fixed so that renders are reproducible.
SVG_HASHSALT = "custvalue-report"
#: Resolution of PNG images (``image_format='png'``).
PNG_DPI = 144
#: Tables longer than this are cut (with a note).
MAX_TABLE_ROWS = 200

_DEFAULT_TITLE = "客户价值分级报告 · Customer value grading report"

_SECTIONS = (
    ("summary", "概要", "Summary"),
    ("profiles", "画像", "Profiles"),
    ("plots", "图表", "Plots"),
    ("validation", "验证", "Validation"),
    ("stability", "稳健性", "Robustness"),
    ("regrade", "复评", "Regrade"),
    ("scheme", "方案与权重", "Scheme and weights"),
    ("manifest", "清单", "Manifest"),
)

# Bilingual headers for the column names the report knows.
_HEADERS: dict[str, str] = {
    "tier": "等级 tier",
    "status": "状态 status",
    "tier_zh": "名称",
    "tier_en": "name",
    "customers": "客户数 customers",
    "customer_share": "占比 share",
    "target_share": "目标 target",
    "score_min": "最低分 min",
    "score_max": "最高分 max",
    "cut_score": "分界分 cut",
    "score_mean": "平均分 mean",
    "score_median": "中位分 median",
    "class": "类别 class",
    "total_kwh_share": "用电量占比 kWh share",
    "revenue_share": "电费收入占比 revenue share",
}

_CSS = """
:root { --ink: #1f2328; --muted: #59636e; --line: #d0d7de; --soft: #f6f8fa;
  --accent: #0072B2; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; color: var(--ink); background: #fff; line-height: 1.5;
  font: 15px/1.5 "custvalue CJK", "Segoe UI", "Helvetica Neue", Arial, "Noto Sans SC",
  "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei",
  "WenQuanYi Micro Hei", sans-serif; }
main { max-width: 1080px; margin: 0 auto; padding: 24px 28px 48px; }
header h1 { font-size: 1.7em; margin: 0 0 4px; }
header p.meta { color: var(--muted); margin: 0 0 12px; }
nav { border-top: 1px solid var(--line); border-bottom: 1px solid var(--line);
  padding: 6px 0; margin-bottom: 8px; }
nav a { color: var(--accent); text-decoration: none; margin-right: 16px; white-space: nowrap; }
section { margin-top: 28px; }
h2 { font-size: 1.3em; border-bottom: 2px solid var(--ink); padding-bottom: 4px; margin: 0 0 12px; }
h3 { font-size: 1.05em; margin: 18px 0 8px; }
.en { color: var(--muted); font-weight: normal; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; margin: 8px 0 14px; padding: 0; }
.cards div { list-style: none; background: var(--soft); border: 1px solid var(--line);
  border-radius: 6px; padding: 8px 14px; min-width: 140px; }
.cards b { display: block; font-size: 1.25em; }
.cards span { color: var(--muted); font-size: 0.85em; }
.tablewrap { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; margin: 6px 0 12px; font-size: 0.9em; }
caption { text-align: left; color: var(--muted); padding: 2px 0 4px; }
th, td { border: 1px solid var(--line); padding: 4px 8px; vertical-align: top;
  word-break: keep-all; overflow-wrap: break-word; }
tbody th { white-space: nowrap; }
th { background: var(--soft); text-align: left; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.na { color: #aaa; }
tbody tr:nth-child(even) td { background: #fbfcfd; }
figure { margin: 14px 0 22px; text-align: center; }
figure img { max-width: 100%; height: auto; }
figcaption { color: var(--muted); font-size: 0.88em; margin-top: 4px; text-align: left; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr));
  gap: 8px 20px; }
details { margin: 8px 0; }
summary { cursor: pointer; color: var(--accent); }
pre { background: var(--soft); border: 1px solid var(--line); border-radius: 4px;
  padding: 10px; overflow-x: auto; font-size: 0.82em; line-height: 1.4;
  font-family: "custvalue CJK", "SFMono-Regular", Menlo, Consolas, "Liberation Mono",
  monospace; white-space: pre-wrap; word-break: break-all; }
code { font-size: 0.9em; word-break: break-all; }
.swatch { display: inline-block; width: 0.8em; height: 0.8em; border-radius: 2px;
  margin-right: 6px; vertical-align: -0.05em; }
.note { color: var(--muted); font-size: 0.88em; }
footer { margin-top: 36px; color: var(--muted); font-size: 0.85em;
  border-top: 1px solid var(--line); padding-top: 8px; }
@media print {
  @page { size: A4; margin: 14mm 12mm; }
  body { font-size: 11px; }
  main { max-width: none; padding: 0; }
  nav { display: none; }
  section { break-before: auto; }
  h2, h3 { break-after: avoid; }
  figure, .cards { break-inside: avoid; }
  tr { break-inside: avoid; }
  .tablewrap { overflow: visible; }
  table { font-size: 0.85em; }
  .grid { display: block; }
  details > pre { display: block; }
  a { color: inherit; text-decoration: none; }
}
"""


# --------------------------------------------------------------------------- escaping
def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _heading(key: str, level: int = 2) -> str:
    for anchor, zh, en in _SECTIONS:
        if anchor == key:
            return f'<h{level} id="{anchor}">{_e(zh)} <span class="en">{_e(en)}</span></h{level}>'
    raise KeyError(key)


def _sub(zh: str, en: str) -> str:
    return f'<h3>{_e(zh)} <span class="en">{_e(en)}</span></h3>'


# --------------------------------------------------------------------------- values, tables
def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    try:
        return bool(isinstance(value, float | np.floating) and math.isnan(value))
    except TypeError:
        return False


def _is_share(column: Any) -> bool:
    """Whether values of ``column`` are shares shown as percentages (``*share*``,
    ``p_tier<k>``, ``quota``), not normalised indicators (``norm__*``, ``dim__*``)."""
    name = str(column).lower()
    if name.startswith(("norm__", "dim__")):
        return False
    return "share" in name or name.startswith("p_tier") or name in ("quota", "probability")


def _fmt(value: Any, column: Any = "") -> tuple[str, str]:
    """(text, css class) of one cell."""
    if _is_missing(value):
        return "–", "na"
    if isinstance(value, bool | np.bool_):
        return ("是 yes" if value else "否 no"), ""
    if isinstance(value, int | np.integer):
        return f"{int(value):,}", "num"
    if isinstance(value, float | np.floating):
        v = float(value)
        if math.isinf(v):
            return ("∞" if v > 0 else "−∞"), "num"
        if _is_share(column):
            return f"{v:.1%}", "num"
        if v.is_integer() and abs(v) >= 1:
            return f"{v:,.0f}", "num"
        if abs(v) >= 1000:
            return f"{v:,.0f}", "num"
        if abs(v) >= 1:
            return f"{v:,.2f}", "num"
        return f"{v:.4g}", "num"
    if isinstance(value, Mapping | list | tuple):
        return _json(value), ""
    return str(value), ""


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=False, default=str)


def _cell(value: Any, column: Any = "") -> str:
    text, css = _fmt(value, column)
    cls = f' class="{css}"' if css else ""
    return f"<td{cls}>{_e(text)}</td>"


def _header(column: Any) -> str:
    name = column if isinstance(column, str) else ", ".join(map(str, column)) \
        if isinstance(column, tuple) else str(column)
    return _HEADERS.get(name, name)


def _head(column: Any) -> str:
    """Escaped header text that may wrap after underscores (``norm__total_kwh``)."""
    return _e(_header(column)).replace("_", "_<wbr>")


def _table(frame: pd.DataFrame, *, caption: str | None = None, index: bool = True,
           max_rows: int = MAX_TABLE_ROWS, by_row: bool = False, shares: bool = False) -> str:
    """An escaped HTML table of a DataFrame.

    The index is the first column unless ``index=False`` or it is an unnamed RangeIndex.
    Numbers are formatted by the column name (``share`` columns as percentages), or by the
    row name with ``by_row=True`` (a transposed frame); ``shares=True`` formats every float
    as a percentage.
    """
    if isinstance(frame.index, pd.RangeIndex) and frame.index.name is None:
        index = False
    shown = frame.iloc[:max_rows]
    parts = ['<div class="tablewrap"><table>']
    if caption:
        parts.append(f"<caption>{_e(caption)}</caption>")
    head = []
    if index:
        head.append(f"<th>{_head(frame.index.name or '')}</th>")
    head += [f"<th>{_head(c)}</th>" for c in frame.columns]
    parts.append("<thead><tr>" + "".join(head) + "</tr></thead><tbody>")
    columns = list(frame.columns)
    for key, row in zip(shown.index, shown.itertuples(index=False, name=None), strict=True):
        cells = [f"<th>{_e(_fmt(key)[0])}</th>"] if index else []
        cells += [_cell(v, "share" if shares else key if by_row else c)
                  for v, c in zip(row, columns, strict=True)]
        parts.append("<tr>" + "".join(cells) + "</tr>")
    parts.append("</tbody></table></div>")
    if len(frame) > max_rows:
        parts.append(f'<p class="note">{_e(f"前 {max_rows} 行，共 {len(frame):,} 行")} · '
                     f'{_e(f"first {max_rows} of {len(frame):,} rows")}</p>')
    return "".join(parts)


def _kv_table(mapping: Mapping[str, Any], *, depth: int = 0) -> str:
    """A two-column key / value table; nested mappings become nested tables (two levels)."""
    rows = []
    for key, value in mapping.items():
        if (isinstance(value, Mapping) and value
                and all(isinstance(v, Mapping) for v in value.values())):
            # records, e.g. one fingerprint per input table: one row each
            frame = pd.DataFrame.from_dict({k: dict(v) for k, v in value.items()},
                                           orient="index")
            rows.append(f"<tr><th>{_e(key)}</th><td>{_table(frame)}</td></tr>")
        elif isinstance(value, Mapping) and value and depth < 2:
            inner = _kv_table(value, depth=depth + 1)
            rows.append(f"<tr><th>{_e(key)}</th><td>{inner}</td></tr>")
        elif isinstance(value, Mapping | list | tuple):
            rows.append(f"<tr><th>{_e(key)}</th><td><code>{_e(_json(value))}</code></td></tr>")
        else:
            rows.append(f"<tr><th>{_e(key)}</th>{_cell(value, key)}</tr>")
    return '<div class="tablewrap"><table><tbody>' + "".join(rows) + "</tbody></table></div>"


def _cards(items: Iterable[tuple[str, str, str]]) -> str:
    body = "".join(f"<div><b>{_e(value)}</b><span>{_e(zh)} · {_e(en)}</span></div>"
                   for value, zh, en in items)
    return f'<div class="cards">{body}</div>'


# --------------------------------------------------------------------------- objects
def _dump(obj: Any) -> dict[str, Any]:
    """Public fields of a pydantic model, dataclass or plain object (not DataFrames)."""
    if obj is None or isinstance(obj, pd.DataFrame | pd.Series):
        return {}
    if isinstance(obj, Mapping):
        return dict(obj)
    if hasattr(obj, "model_dump") and callable(obj.model_dump):
        try:
            return dict(obj.model_dump(mode="json"))
        except Exception:  # e.g. a DataFrame field pydantic cannot serialise
            return {k: getattr(obj, k) for k in getattr(type(obj), "model_fields", {})}
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
    return {k: v for k, v in getattr(obj, "__dict__", {}).items() if not k.startswith("_")}


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool | np.number | np.bool_)


def _facts(obj: Any) -> tuple[dict[str, Any], dict[str, pd.DataFrame]]:
    """Scalar (and small plain) fields, and the DataFrame fields, of a result object."""
    scalars: dict[str, Any] = {}
    frames: dict[str, pd.DataFrame] = {}
    for key, value in _dump(obj).items():
        if key.startswith("_"):
            continue
        if isinstance(value, pd.DataFrame):
            frames[key] = value
        elif isinstance(value, pd.Series) and len(value) <= 50:
            frames[key] = value.to_frame()
        elif _is_scalar(value) or (
            isinstance(value, Mapping | list | tuple) and len(value) <= 20
            and all(_is_scalar(v) for v in (value.values() if isinstance(value, Mapping)
                                           else value))
        ):
            scalars[key] = value
    return scalars, frames


def _find_frame(obj: Any, attrs: Sequence[str]) -> pd.DataFrame | None:
    try:
        return frame_of(obj, attrs, "report")
    except Exception:
        return None


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


def _figure(draw: Callable[[Axes], Any], size: tuple[float, float], caption: str,
            alt: str, image_format: ImageFormat) -> str:
    fig = Figure(figsize=size, layout="constrained")
    draw(fig.subplots())
    src = _image(fig, image_format)
    fig.clear()
    return (f'<figure><img src="{src}" alt="{_e(alt)}">'
            f"<figcaption>{_e(caption)}</figcaption></figure>")


# --------------------------------------------------------------------------- sections
def _tier_legend(names: Mapping[int, str]) -> str:
    return " ".join(f'<span class="swatch" style="background:{plots.tier_colour(k)}"></span>'
                    f"{_e(name)}" for k, name in names.items())


def _summary_frame(grading: Any, table: pd.DataFrame, lang: Lang) -> pd.DataFrame:
    """The grading's ``summary()``, or the same frame made from a bare table."""
    summary = getattr(grading, "summary", None)
    if callable(summary):
        frame = summary()
        if isinstance(frame, pd.DataFrame):
            return frame
    names_zh = plots.tier_names(table, lang="zh")
    names_en = plots.tier_names(table, lang="en")
    rows = []
    tier = table["tier"] if "tier" in table.columns else pd.Series(pd.NA, index=table.index)
    score = table["score"] if "score" in table.columns else pd.Series(np.nan, index=table.index)
    known = sorted(int(k) for k in tier.dropna().unique())
    for k in sorted(set(names_zh) | set(known)):
        if k not in known and k >= len(names_zh):
            continue
        s = score[(tier == k).fillna(False).to_numpy(dtype=bool)]
        rows.append({"tier": k, "status": GRADED, "tier_zh": names_zh.get(k, ""),
                     "tier_en": names_en.get(k, ""), "customers": len(s),
                     "customer_share": len(s) / max(len(table), 1),
                     "score_min": s.min() if len(s) else np.nan,
                     "score_max": s.max() if len(s) else np.nan})
    ungraded = int(tier.isna().sum())
    rows.append({"tier": None, "status": UNGRADED, "tier_zh": UNGRADED_LABELS[0],
                 "tier_en": UNGRADED_LABELS[1], "customers": ungraded,
                 "customer_share": ungraded / max(len(table), 1),
                 "score_min": np.nan, "score_max": np.nan})
    out = pd.DataFrame(rows)
    out["status"] = out["status"].astype("string")
    out.index = pd.Index(pd.array(out.pop("tier").tolist(), dtype="Int64"), name="tier")
    out["cut_score"] = out["score_min"]
    return out


def _abc_frame(table: pd.DataFrame) -> pd.DataFrame | None:
    if "abc" not in table.columns:
        return None
    cls = table["abc"].astype("string")
    rows = []
    values = [c for c in ("total_kwh", "revenue") if c in table.columns]
    totals = {c: table[c].sum(min_count=1) for c in values}
    for label in sorted(cls.dropna().unique().tolist()):
        members = (cls == label).fillna(False).to_numpy(dtype=bool)
        row: dict[str, Any] = {"class": label, "customers": int(members.sum()),
                               "customer_share": members.sum() / max(len(table), 1)}
        for c in values:
            total = totals[c]
            row[f"{c}_share"] = (table.loc[members, c].sum() / total
                                 if total and not _is_missing(total) else np.nan)
        rows.append(row)
    if not rows:
        return None
    return pd.DataFrame(rows).set_index("class")


def _default_profile(table: pd.DataFrame, scheme: Any, lang: Lang) -> pd.DataFrame | None:
    if "tier" not in table.columns or table["tier"].notna().sum() == 0:
        return None
    rows = table[table["tier"].notna()].copy()
    rows["tier"] = rows["tier"].astype("int64")
    names = plots.tier_names(table, lang=lang, scheme=scheme)
    group = rows.groupby("tier")
    out = pd.DataFrame({"customers": group.size()})
    out.index = pd.Index([names.get(int(k), str(k)) for k in out.index], name="tier")
    if "score" in rows.columns:
        out["score_mean"] = group["score"].mean().to_numpy()
        out["score_median"] = group["score"].median().to_numpy()
    dims = [c for c in rows.columns if c.startswith("dim__")]
    for column, label in zip(dims, plots.dimension_labels(dims, scheme, lang), strict=True):
        out[label] = group[column].mean().to_numpy()
    for column in ("total_kwh", "revenue"):
        if column in rows.columns:
            total = rows[column].sum()
            out[f"{column}_share"] = (group[column].sum().to_numpy() / total
                                      if total else np.nan)
    if "customer_class" in rows.columns:
        def main_class(s: pd.Series) -> Any:
            return s.mode().iloc[0] if s.notna().any() else None

        main = group["customer_class"].agg(main_class)
        out["最多的客户类别 main class"] = main.to_numpy()
    return out


def _label(text: Any) -> str:
    """'中文 · English' of a bilingual Text (either part may be empty)."""
    if text is None:
        return ""
    return " · ".join(v for v in (getattr(text, "zh", ""), getattr(text, "en", "")) if v)


def _profile_table(prof: pd.DataFrame, caption: str | None, lang: Lang) -> str:
    """A profile as a table; a wide one (many measures, few tiers) is turned so that the
    tiers are the columns and the measures the rows."""
    if prof.shape[1] <= 10 or prof.shape[0] > 12:
        return _table(prof, caption=caption)
    frame = prof
    label = f"tier_{lang}"
    if label in frame.columns:
        names = [str(v) if not _is_missing(v) else str(k)
                 for k, v in zip(frame.index, frame[label], strict=True)]
        frame = frame.drop(columns=[c for c in ("tier", "status", "tier_zh", "tier_en")
                                    if c in frame.columns])
        frame.index = pd.Index(names)
    turned = frame.T
    turned.index.name = "指标 measure"
    return _table(turned, caption=caption, by_row=True)


def _scheme_section(scheme: Any, lang: Lang) -> str:
    if scheme is None:
        return ""
    parts = [_heading("scheme")]
    desc = getattr(scheme, "description", None)
    meta = {"name": getattr(scheme, "name", "")}
    if desc is not None:
        meta["description"] = " / ".join(v for v in (getattr(desc, "zh", ""),
                                                     getattr(desc, "en", "")) if v)
    agg = getattr(scheme, "aggregation", None)
    if agg is not None:
        meta["aggregation"] = getattr(agg, "method", str(agg))
    hash_ = getattr(scheme, "hash", None)
    if callable(hash_):
        meta["hash"] = hash_()
    parts.append(_kv_table(meta))
    dims = getattr(scheme, "dimensions", None)
    if isinstance(dims, Mapping) and dims:
        drows, irows = [], []
        tree = getattr(scheme, "levels", 2) == 3
        for dname, dim in dims.items():
            dweight = float(getattr(dim, "weight", np.nan))
            indicators = getattr(dim, "leaves", None) or getattr(dim, "indicators", None) or {}
            inside = getattr(dim, "leaf_weights", None) or {}
            secondary = getattr(dim, "secondary", None) or {}
            parent = {i: g for g, group in secondary.items() for i in group.indicators}
            drows.append({"dimension": dname, "名称 label": _label(getattr(dim, "label", None)),
                          "weight": dweight, "missing": getattr(dim, "missing", ""),
                          "indicators": len(indicators)})
            for iname, ind in indicators.items():
                iweight = float(inside.get(iname, getattr(ind, "weight", np.nan)))
                norm = getattr(ind, "normalisation", None)
                direction = str(getattr(ind, "direction", ""))
                if direction == "target":
                    direction = f"target {getattr(ind, 'ideal', '')}"
                column = str(getattr(ind, "column", iname))
                row: dict[str, Any] = {"dimension": dname}
                group = parent.get(iname)
                if tree:
                    row["secondary"] = (f"{group} · {_label(secondary[group].label)}"
                                        if group is not None else "")
                row.update({
                    "indicator": iname if column == iname else f"{iname} ({column})",
                    "名称 label": _label(getattr(ind, "label", None)),
                    "direction": direction,
                    "normalisation": getattr(norm, "method", "") if norm is not None else "",
                    "missing": getattr(ind, "missing", ""),
                })
                if tree:
                    row["weight in secondary"] = (float(getattr(ind, "weight", np.nan))
                                                  if group is not None else np.nan)
                row["weight in dimension"] = iweight
                row["overall weight"] = dweight * iweight
                irows.append(row)
        parts.append(_sub("维度", "Dimensions"))
        parts.append(_table(pd.DataFrame(drows), index=False))
        parts.append(_sub("指标与权重", "Indicators and weights"))
        caption = "overall weight = dimension weight × weight in dimension"
        if tree:
            caption += ("; weight in dimension = secondary weight × weight in secondary "
                        "(三级指标树: dimension → secondary indicator → indicator)")
        parts.append(_table(pd.DataFrame(irows), index=False, caption=caption))
    tiers = getattr(scheme, "tiers", None)
    if tiers is not None and getattr(tiers, "quotas", None):
        frame = pd.DataFrame({
            "名称": list(tiers.labels_zh), "name": list(tiers.labels_en),
            "quota": [float(q) for q in tiers.quotas]},
            index=pd.Index([str(k) for k in range(len(tiers.quotas))], name="tier"))
        parts.append(_sub("等级定额", "Tier quotas"))
        parts.append(_table(frame, caption=f"ties: {getattr(tiers, 'ties', '')}"))
    abc = getattr(scheme, "abc", None)
    if abc is not None:
        parts.append(_sub("ABC 分类", "ABC classes"))
        parts.append(_kv_table(_dump(abc)))
    notes = getattr(scheme, "notes", ())
    if notes:
        parts.append("<ul>" + "".join(f"<li>{_e(n)}</li>" for n in notes) + "</ul>")
    to_json = getattr(scheme, "to_json", None)
    if callable(to_json):
        parts.append("<details><summary>方案 JSON · scheme JSON</summary>"
                     f"<pre>{_e(to_json())}</pre></details>")
    return "<section>" + "".join(parts) + "</section>"


def _manifest_section(manifest: Any) -> str:
    data = _dump(manifest)
    if not data:
        return ""
    return "<section>" + _heading("manifest") + _kv_table(data) + "</section>"


def _frames_html(frames: Mapping[str, pd.DataFrame], skip: Any) -> str:
    out = []
    for key, frame in frames.items():
        if frame is skip or frame.empty or len(frame) > 60:
            continue
        out.append(_table(frame, caption=key, shares="share" in key))
    return "".join(out)


def _validation_section(validation: Any, lang: Lang, fmt: ImageFormat, scheme: Any = None) -> str:
    if validation is None:
        return ""
    parts = [_heading("validation")]
    frame = _find_frame(validation, ("contingency", "crosstab", "contingency_table", "table"))
    scalars, frames = _facts(validation)
    if scalars:
        parts.append(_sub("指标", "Measures"))
        parts.append(_kv_table(scalars))
    if frame is not None:
        parts.append(_sub("等级 × 聚类", "Tiers × clusters"))
        named = frame.copy()
        names = plots.tier_names(lang=lang, scheme=scheme)
        index_name: Hashable = frame.index.name or "tier"
        named.index = pd.Index(plots.axis_names(list(frame.index), names, lang),
                               name=index_name)
        parts.append(_table(named))
        parts.append(_figure(
            lambda ax: plots.cluster_heatmap(frame, normalise="index", lang=lang,
                                             scheme=scheme, ax=ax),
            (1.1 * frame.shape[1] + 4.0, 0.55 * frame.shape[0] + 2.2),
            "每格：客户数与占该等级的比例 · each cell: customers and share of the tier's row",
            "tiers against clusters heatmap", fmt))
    parts.append(_frames_html(frames, frame))
    return "<section>" + "".join(parts) + "</section>"


def _stability_section(stability: Any, lang: Lang, fmt: ImageFormat, scheme: Any = None) -> str:
    if stability is None:
        return ""
    parts = [_heading("stability")]
    try:
        frame, columns, _ = plots.stability_probabilities(stability)
    except Exception:
        frame, columns = None, []
    scalars, frames = _facts(stability)
    if frame is not None:
        probs = frame[columns].dropna()
        modal = probs.max(axis=1)
        derived: dict[str, Any] = {
            "customers": len(probs),
            "mean modal probability": float(modal.mean()) if len(modal) else np.nan,
            "share with modal probability ≥ 0.9": float((modal >= 0.9).mean())
            if len(modal) else np.nan,
            "share with modal probability < 0.5": float((modal < 0.5).mean())
            if len(modal) else np.nan,
        }
        if "tier" in frame.columns:
            assigned = frame.loc[probs.index, "tier"]
            best = probs.to_numpy().argmax(axis=1)
            ok = assigned.notna().to_numpy(dtype=bool)
            if ok.any():
                derived["share whose modal tier is the assigned tier"] = float(
                    (best[ok] == assigned[ok].astype("int64").to_numpy()).mean())
        scalars = {**derived, **scalars}
    if scalars:
        parts.append(_sub("指标", "Measures"))
        parts.append(_kv_table(scalars))
    if frame is not None:
        parts.append('<div class="grid">')
        parts.append(_figure(
            lambda ax: plots.tier_probabilities(frame, kind="modal", lang=lang,
                                                scheme=scheme, ax=ax),
            (6.4, 4.0), "最可能等级的概率分布 · distribution of the modal-tier probability",
            "histogram of modal tier probabilities", fmt))
        top = min(20, len(frame))
        parts.append(_figure(
            lambda ax: plots.tier_probabilities(frame, top=top, lang=lang, scheme=scheme,
                                                ax=ax),
            (6.4, 0.26 * top + 1.6),
            "等级最不确定的客户 · customers with the least certain tier",
            "stacked tier probabilities of the least certain customers", fmt))
        parts.append("</div>")
    parts.append(_frames_html(frames, frame))
    return "<section>" + "".join(parts) + "</section>"


def _comparison_section(comparison: Any, lang: Lang, fmt: ImageFormat, scheme: Any = None) -> str:
    if comparison is None:
        return ""
    parts = [_heading("regrade")]
    frame = _find_frame(comparison, ("transitions", "transition_matrix", "matrix", "table"))
    scalars, frames = _facts(comparison)
    if scalars:
        parts.append(_sub("指标", "Measures"))
        parts.append(_kv_table(scalars))
    if frame is not None:
        names = plots.tier_names(lang=lang, scheme=scheme)
        named = frame.copy()
        named.index = pd.Index(plots.axis_names(list(frame.index), names, lang),
                               name="上次 \\ 本次")
        named.columns = plots.axis_names(list(frame.columns), names, lang)
        parts.append(_sub("等级迁移矩阵", "Transition matrix (previous × new)"))
        parts.append(_table(named))
        parts.append(_figure(
            lambda ax: plots.transition_heatmap(frame, lang=lang, scheme=scheme, ax=ax),
            (1.1 * frame.shape[1] + 4.0, 0.55 * frame.shape[0] + 2.2),
            "框线：等级不变 · outlined: customers who kept their tier",
            "tier transition heatmap", fmt))
    parts.append(_frames_html(frames, frame))
    return "<section>" + "".join(parts) + "</section>"


def _plots_section(table: pd.DataFrame, summary: pd.DataFrame, scheme: Any, lang: Lang,
                   fmt: ImageFormat) -> str:
    has = set(table.columns)
    figs = []
    graded = {"score", "tier"} <= has and bool((table["score"].notna()
                                                & table["tier"].notna()).any())
    if graded:
        cuts = summary["cut_score"] if "cut_score" in summary.columns else None
        figs.append(_figure(
            lambda ax: plots.score_histogram(table, cuts=cuts, lang=lang, ax=ax), (8.0, 4.4),
            "价值得分分布，虚线为各等级分界分（进入该等级所需的最低分） · score distribution; "
            "dashed lines: the cut score of each tier", "score histogram by tier", fmt))
    for value in ("revenue", "total_kwh"):
        if value in has and table[value].sum() > 0:
            def pareto(ax: Axes, v: str = value) -> Axes:
                return plots.pareto_curve(table, v, lang=lang, ax=ax)

            figs.append(_figure(
                pareto,
                (7.0, 4.8),
                "客户按该值降序排列的累计占比；虚线为 ABC 类别分界 · cumulative share with "
                "customers sorted by the value; dashed lines: ABC classes",
                f"Pareto curve of {value}", fmt))
            break
    if graded and has & {"total_kwh", "revenue"}:
        figs.append(_figure(
            lambda ax: plots.tier_profile_bars(table, lang=lang, ax=ax), (8.0, 4.4),
            "各等级客户数占比与用电量、电费收入占比 · share of customers against share of kWh "
            "and revenue per tier", "tier profile bars", fmt))
    if any(c.startswith("dim__") for c in has) and "tier" in has and table["tier"].notna().any():
        figs.append(_figure(
            lambda ax: plots.dimension_scores(table, scheme=scheme, lang=lang, ax=ax),
            (8.0, 4.4), "各等级的维度得分（箱线图） · dimension scores per tier (box plots)",
            "dimension scores per tier", fmt))
    if not figs:
        return ""
    return "<section>" + _heading("plots") + "".join(figs) + "</section>"


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
    # unicode-range (and the subset) keep it to CJK characters.
    chars = "".join(sorted({c for c in text if ord(c) >= _CJK_START}))
    path = plots.cjk_font_path()
    if not chars or path is None or not path.lower().endswith((".ttf", ".otf")):
        return ""
    try:
        data = _font_subset(path, chars)
    except Exception:  # an unreadable font only costs the embedded glyphs
        return ""
    family = plots.cjk_font() or "CJK"
    return ("/* Chinese glyphs: a subset of " + family.replace("*/", "") + ", SIL Open Font "
            "License 1.1 */\n@font-face { font-family: \"custvalue CJK\"; "
            "src: url(data:font/woff;base64," + base64.b64encode(data).decode("ascii")
            + ") format(\"woff\"); unicode-range: U+2E80-FFFF; font-weight: 100 900; "
            "font-style: normal; }\n")


# --------------------------------------------------------------------------- public API
def render_report(
    grading: GradingLike,
    *,
    validation: Any = None,
    stability: Any = None,
    comparison: Any = None,
    profile: Any = None,
    title: str | None = None,
    lang: Lang = "zh",
    image_format: ImageFormat = "svg",
    embed_font: bool = True,
) -> str:
    """Render the grading report as one self-contained HTML page.

    Parameters
    ----------
    grading : Grading, DataFrame, str or Path
        A :class:`~custvalue.grading.Grading` or its saved folder (its ``table``,
        ``summary()``, ``scheme`` and ``manifest`` are used) or a bare grading table (then
        the scheme and manifest sections are left out and the summary is computed from the
        table).
    validation : object, optional
        Result of ``validate_tiers``: its tiers x clusters contingency DataFrame (attribute
        ``contingency`` or ``crosstab``, or the DataFrame itself) is tabled and drawn; its
        scalar fields and small DataFrames are listed.
    stability : object, optional
        Result of ``tier_stability``: a per-customer DataFrame with ``p_tier0..p_tierK``
        (attribute ``probabilities``, ``customers`` or ``table``, or the DataFrame itself).
    comparison : object, optional
        A regrade ``Comparison``: its transition matrix (attribute ``transitions`` or
        ``transition_matrix``, or the DataFrame itself).
    profile : DataFrame, optional
        Profile per tier (``profiles.profile(table)``); default a computed one with counts,
        mean scores, mean dimension scores and shares of kWh and revenue.
    title : str, optional
        Page title; default 客户价值分级报告 · Customer value grading report.
    lang : {'zh', 'en'}
        Language of the tier names and the plots' labels (headings are bilingual).
    image_format : {'svg', 'png'}
        How plots are embedded: base64 SVG (sharp when printed, default) or base64 PNG.
    embed_font : bool
        Embed a subset of the CJK font (only the characters on the page) so that Chinese
        text reads on machines without a Chinese font.  Adds a couple of seconds the first
        time and some tens of kilobytes.

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
    >>> page = render_report(table, embed_font=False)
    >>> page.count("<figure>"), 'id="summary"' in page, "<script" in page
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
    summary = _summary_frame(grading, table, lang)
    title = _DEFAULT_TITLE if title is None else str(title)

    graded = (int(table["graded"].sum()) if "graded" in table.columns
              else int(table["score"].notna().sum()) if "score" in table.columns else 0)
    mdata = _dump(manifest)
    window = mdata.get("window") or {}
    meta = [f"{len(table):,} 个客户 customers", f"{graded:,} 已评级 graded"]
    if window:
        meta.append(f"评价期 window {window.get('start', '?')} – {window.get('end', '?')}")
    if scheme is not None:
        meta.append(f"方案 scheme {getattr(scheme, 'name', '')}")
    if mdata.get("package_version"):
        meta.append(f"custvalue {mdata['package_version']}")

    body: list[str] = [
        f"<header><h1>{_e(title)}</h1><p class=\"meta\">{_e(' · '.join(meta))}</p></header>"]

    # 1 summary
    cards = [(f"{len(table):,}", "客户", "customers"), (f"{graded:,}", "已评级", "graded"),
             (f"{len(table) - graded:,}", "未评级", "ungraded")]
    if "score" in table.columns and table["score"].notna().any():
        cards.append((f"{table['score'].mean():.1f}", "平均得分", "mean score"))
    if "revenue" in table.columns and table["revenue"].notna().any():
        cards.append((f"{table['revenue'].sum():,.0f}", "电费收入", "revenue"))
    if "total_kwh" in table.columns and table["total_kwh"].notna().any():
        cards.append((f"{table['total_kwh'].sum():,.0f}", "用电量 (kWh)", "electricity use"))
    sections: list[tuple[str, str]] = []
    legend = _tier_legend(plots.tier_names(table, lang=lang, scheme=scheme))
    summary_html = [_heading("summary"), _cards(cards), f'<p class="note">{legend}</p>',
                    _sub("等级", "Tiers"), _table(summary)]
    abc = _abc_frame(table)
    if abc is not None:
        summary_html += [_sub("ABC 分类", "ABC classes"), _table(abc)]
    sections.append(("summary", "<section>" + "".join(summary_html) + "</section>"))

    # 2 profiles
    prof = profile if isinstance(profile, pd.DataFrame) else (
        _find_frame(profile, ("table", "frame", "profile")) if profile is not None else None)
    caption = None
    if prof is None:
        prof = _default_profile(table, scheme, lang)
        caption = "按等级汇总（均值） · per tier (means)"
    if prof is not None:
        sections.append(("profiles", "<section>" + _heading("profiles")
                         + _profile_table(prof, caption, lang) + "</section>"))

    # 3 plots, 4-6 checks, 7 scheme, 8 manifest
    sections += [
        ("plots", _plots_section(table, summary, scheme, lang, image_format)),
        ("validation", _validation_section(validation, lang, image_format, scheme)),
        ("stability", _stability_section(stability, lang, image_format, scheme)),
        ("regrade", _comparison_section(comparison, lang, image_format, scheme)),
        ("scheme", _scheme_section(scheme, lang)),
        ("manifest", _manifest_section(manifest)),
    ]
    sections = [(key, text) for key, text in sections if text]
    labels = {anchor: (zh, en) for anchor, zh, en in _SECTIONS}
    nav = "<nav>" + "".join(f'<a href="#{key}">{_e(labels[key][0])} {_e(labels[key][1])}</a>'
                            for key, _ in sections) + "</nav>"
    body.append(nav)
    body += [text for _, text in sections]
    foot = ["custvalue " + str(mdata.get("package_version", "")).strip()]
    if mdata.get("scheme_hash"):
        foot.append(f"scheme {str(mdata['scheme_hash'])[:12]}")
    body.append(f"<footer>{_e(' · '.join(foot))}</footer>")
    main = "<main>" + "\n".join(body) + "</main>"
    font = _font_face(title + main) if embed_font else ""
    csp = ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; font-src data:")
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{"zh-CN" if lang == "zh" else "en"}">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="generator" content="custvalue">\n'
        f"<title>{_e(title)}</title>\n<style>\n{font}{_CSS}</style>\n</head>\n<body>\n"
        f"{main}\n</body>\n</html>\n"
    )


def write_report(grading: GradingLike, path: str | Path, **kwargs: Any) -> Path:
    """Render the report (see :func:`render_report` for the options) and write it as UTF-8.

    Parameters
    ----------
    grading : Grading, DataFrame, str or Path
        As for :func:`render_report`.
    path : str or Path
        The HTML file to write; its folder is created when missing.
    **kwargs
        ``validation``, ``stability``, ``comparison``, ``profile``, ``title``, ``lang``,
        ``image_format``, ``embed_font``.

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
