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

The module renders; the sections are built by ``_sections.py`` and ``_appendix.py`` from the
blocks of ``_blocks.py`` (tables by Styler, figures), the sentences are written by
``findings.py``, the labels come from ``labels.toml`` and the layout from the template.

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
import os
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import jinja2
import pandas as pd
from markupsafe import Markup

from custvalue.errors import InvalidValueError
from custvalue.grading import GradingLike, as_grading, grading_scheme
from custvalue.present import plots
from custvalue.present._appendix import appendix_section
from custvalue.present._blocks import (
    LIST_ROWS,
    MAX_TABLE_ROWS,
    PNG_DPI,
    SVG_HASHSALT,
    Block,
    Page,
    dump,
    graded_mask,
)
from custvalue.present._sections import (
    charts_section,
    complaints_section,
    groups_section,
    movers_section,
    plans_section,
    profiles_section,
    scheme_section,
    services_section,
    summary_section,
    validation_section,
)
from custvalue.present.findings import Fmt, key_findings

__all__ = ["LIST_ROWS", "MAX_TABLE_ROWS", "PNG_DPI", "SECTIONS", "SVG_HASHSALT", "render_report",
           "write_report"]

Lang = Literal["zh", "en"]
ImageFormat = Literal["svg", "png"]

#: Section ids in page order (see the module docstring).
SECTIONS: tuple[str, ...] = ("findings", "summary", "profiles", "plots", "validation",
                             "movers", "plans", "services", "groups", "complaints", "scheme",
                             "appendix")


@functools.cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("custvalue.present", "templates"),
        autoescape=True, keep_trailing_newline=True, undefined=jinja2.StrictUndefined)


@functools.cache
def _css() -> str:
    return (resources.files("custvalue.present").joinpath("templates", "report.css")
            .read_text(encoding="utf-8"))


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
    page = Page(lang=lang, fmt=Fmt(lang), scheme=scheme,
                 names=plots.tier_names(table, lang=lang, scheme=scheme),
                 image_format=image_format, figures=bool(figures))

    verdicts = _verdicts(validation, stability, scheme)
    graded_complaints = _graded_complaints(complaints, grading)
    catalogue = _catalogue(services)
    built: dict[str, list[Block]] = {
        "summary": summary_section(page, grading, table),
        "profiles": profiles_section(page, table, profile),
        "plots": charts_section(page, table),
        "validation": validation_section(page, verdicts, validation, stability),
        "movers": movers_section(page, comparison) if comparison is not None else [],
        "plans": plans_section(page, plans) if plans is not None else [],
        "services": services_section(page, table, catalogue)
        if catalogue is not None and "tier" in table.columns else [],
        "groups": groups_section(page, groups) if groups is not None else [],
        "complaints": complaints_section(page, graded_complaints)
        if graded_complaints is not None else [],
        "scheme": scheme_section(page),
        "appendix": appendix_section(page, validation, stability, diagnostics, manifest),
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


def _meta(page: Page, table: pd.DataFrame, manifest: Any) -> tuple[str, str]:
    fmt = page.fmt
    data = dump(manifest)
    graded = int(graded_mask(table).sum())
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
