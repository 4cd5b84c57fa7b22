"""The report's building blocks: the page context, tables, figures (package-private).

A section of :mod:`custvalue.present.report` is a list of *blocks*, plain dicts the template
``templates/report.html.j2`` lays out: ``{"kind": "table", "html": ...}``, ``"figure"``,
``"p"``, ``"h3"``, ``"list"``, ``"cards"``, ``"legend"``, ``"verdicts"``, ``"details"``.
:class:`Page` carries what every section needs (language, number formats, tier names, the
scheme).  :func:`table_block` renders a table with pandas' Styler from a frame of display
strings (formatted here, so no Python repr reaches the page), escaping every cell and header.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import matplotlib as mpl
import numpy as np
import pandas as pd
from markupsafe import Markup
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from pandas.io.formats.style import Styler

from custvalue.present import plots
from custvalue.present._common import frame_of
from custvalue.present.findings import Fmt
from custvalue.present.labels import label, scheme_label

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


Block = dict[str, Any]


@dataclass
class Page:
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


NUMERIC = {"n", "pct", "pct1", "score", "score2", "money", "energy", "num", "signed_pct",
            "signed_score", "numtext"}


def column_text(values: pd.Series, kind: str, fmt: Fmt) -> list[str]:
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


def table_block(page: Page, frame: pd.DataFrame, kinds: Mapping[str, str] | None = None, *,
           caption: str | None = None, max_rows: int = MAX_TABLE_ROWS,
           note: str | None = None) -> Block:
    """A table block: ``frame``'s columns are the headers (already labelled), ``kinds``
    says how to format each (``n``, ``pct``, ``score``, ``money``, ``energy``, ``num``,
    ``yes``, ``tick``, ``long`` text, default text).  The index is not shown."""
    kinds = dict(kinds or {})
    shown = frame.iloc[:max_rows]
    text = pd.DataFrame({c: column_text(shown[c], kinds.get(str(c), "text"), page.fmt)
                         for c in shown.columns}, index=pd.RangeIndex(len(shown)))
    text.columns = [str(c) for c in shown.columns]
    classes = pd.DataFrame("", index=text.index, columns=text.columns)
    for c in text.columns:
        kind = kinds.get(c, "text")
        css = "num" if kind in NUMERIC else "text" if kind == "long" else ""
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


def kv_block(page: Page, rows: list[tuple[str, str]], caption: str | None = None) -> Block:
    """A two-column table of measures already formatted as text."""
    frame = pd.DataFrame(rows, columns=[page.fmt.head("measure"), page.fmt.head("value")])
    return table_block(page, frame, caption=caption)


def para(text: str, css: str | None = None) -> Block:
    return {"kind": "p", "text": text, "css": css}


def heading(text: str) -> Block:
    return {"kind": "h3", "text": text}


def image_uri(fig: Figure, image_format: ImageFormat) -> str:
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


def figure_block(page: Page, draw: Callable[[Axes], Any], size: tuple[float, float],
            caption: str, alt: str) -> Block:
    if not page.figures:
        return {"kind": "none"}
    fig = Figure(figsize=size, layout="constrained")
    draw(fig.subplots())
    src = image_uri(fig, page.image_format)
    fig.clear()
    return {"kind": "figure", "src": src, "caption": caption, "alt": alt}


def graded_mask(table: pd.DataFrame) -> np.ndarray:
    if "graded" in table.columns:
        return table["graded"].fillna(False).to_numpy(dtype=bool)
    if "tier" in table.columns:
        return table["tier"].notna().to_numpy(dtype=bool)
    return np.zeros(len(table), dtype=bool)


def probabilities(stability: Any) -> pd.DataFrame | None:
    if stability is None:
        return None
    try:
        frame, _, _ = plots.stability_probabilities(stability)
    except Exception:  # a stability result without per-customer probabilities
        return None
    return frame


def dump(obj: Any) -> dict[str, Any]:
    """Public fields of a pydantic model, a mapping or a plain object."""
    if obj is None:
        return {}
    if isinstance(obj, Mapping):
        return dict(obj)
    if hasattr(obj, "model_dump") and callable(obj.model_dump):
        return dict(obj.model_dump(mode="json"))
    return {k: v for k, v in getattr(obj, "__dict__", {}).items() if not k.startswith("_")}


def find_frame(obj: Any, attrs: tuple[str, ...]) -> pd.DataFrame | None:
    try:
        return frame_of(obj, attrs, "report")
    except Exception:  # the object holds no such table: the block is left out
        return None


KNOWN_COLUMNS = frozenset({"tier", "customers", "customer_share", "score", "score_mean",
                            "score_median", "customer_id", "status", "cut_score"})
