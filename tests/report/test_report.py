"""custvalue.report: one self-contained, escaped, reproducible HTML page in one language."""

from __future__ import annotations

import base64
import html as htmllib
import importlib.util
import io
import re
from pathlib import Path

import pandas as pd
import pytest

from custvalue.present.plots import demo_table
from custvalue.present.report import SECTIONS, render_report, write_report

from .conftest import FakeComparison, FakeGrading, FakeValidation

EVIL = "<script>alert('x')</script>"
CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]")
ROOT = Path(__file__).resolve().parents[2]


def _inputs():
    from .conftest import FakeManifest

    table = demo_table(300, seed=11)
    ids = table.index.tolist()
    ids[0] = EVIL  # a malicious customer id
    table.index = pd.Index(ids, name="customer_id")
    table = table.sort_index()
    graded = table[table["graded"]]
    probs = pd.DataFrame({f"p_tier{k}": (graded["tier"] == k).astype(float) * 0.7 + 0.075
                          for k in range(4)})
    probs["tier"] = graded["tier"]
    contingency = pd.DataFrame([[25, 4, 1], [30, 50, 10], [2, 60, 88], [0, 5, 25]],
                               index=pd.Index([0, 1, 2, 3], name="tier"),
                               columns=["c0", "c1", "c2"])
    transitions = pd.DataFrame([[20, 5, 0, 0], [4, 70, 10, 0], [0, 12, 120, 8], [0, 0, 6, 20]],
                               index=[0, 1, 2, 3], columns=[0, 1, 2, 3])
    top = table.sort_values("score", ascending=False).head(3)[["tier_zh", "score"]]
    manifest = FakeManifest(options={"ties": "stable", "note": EVIL})
    return {
        "grading": FakeGrading(table, manifest=manifest),
        "validation": FakeValidation(contingency),
        "stability": probs,
        "comparison": FakeComparison(transitions),
        "profile": pd.concat([top, table.loc[[EVIL], ["tier_zh", "score"]]]),
        "title": f"报告 {EVIL}",
    }


@pytest.fixture(scope="module")
def inputs():
    return _inputs()


@pytest.fixture(scope="module")
def page(inputs) -> str:
    return render_report(**inputs)


# --------------------------------------------------------------------------- helpers
def visible(page: str) -> str:
    """The text a reader sees: no tags, no style, no embedded images, entities decoded."""
    body = page[page.index("<body>"):]
    body = re.sub(r"<style.*?</style>", " ", body, flags=re.S)
    return htmllib.unescape(re.sub(r"<[^>]+>", " ", body))


def tables(page: str) -> list[tuple[str, list[list[str]]]]:
    """Every table as (the h3 heading before it, rows of cell texts; the header first)."""
    out = []
    for match in re.finditer(r"<table[^>]*>(.*?)</table>", page, re.S):
        before = page[:match.start()]
        heads = re.findall(r"<h3>(.*?)</h3>", before)
        rows = [[htmllib.unescape(re.sub(r"<[^>]+>", "", c)).strip()
                 for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
                for row in re.findall(r"<tr>(.*?)</tr>", match.group(1), re.S)]
        out.append((htmllib.unescape(heads[-1]) if heads else "", rows))
    return out


def table_after(page: str, heading: str) -> list[list[str]]:
    found = [rows for head, rows in tables(page) if head == heading]
    assert found, f"no table under {heading!r}"
    return found[0]


def section(page: str, key: str) -> str:
    start = page.index(f'<section id="{key}">')
    return page[start:page.index("</section>", start)]


# --------------------------------------------------------------------------- stand-ins
def test_every_section_is_there(page):
    for anchor in ("findings", "summary", "profiles", "plots", "validation", "movers",
                   "services", "scheme", "appendix"):
        assert f'<section id="{anchor}">' in page
        assert f'href="#{anchor}"' in page
    for text in ("特级客户", "一级客户", "二级客户", "三级客户", "分界分", "关键发现",
                 "2025-01-01T00:00:00+00:00"):
        assert text in page


def test_stand_ins_have_the_real_attribute_names(tiny):
    """The conftest stand-ins use names the real results have (and the same summary columns)."""
    import dataclasses

    from custvalue.grading import Grading, Manifest
    from custvalue.regrade import Comparison
    from custvalue.validation import TierValidation

    from .conftest import FakeGrading, FakeManifest

    def names(cls):
        return {f.name for f in dataclasses.fields(cls)}

    assert names(FakeValidation) <= names(TierValidation)
    assert names(FakeComparison) <= names(Comparison)
    assert set(FakeManifest.model_fields) <= set(Manifest.model_fields)
    assert names(FakeGrading) <= names(Grading)
    real = Grading.summary(FakeGrading(tiny))
    fake = FakeGrading(tiny).summary()
    assert list(fake.columns) == list(real.columns)
    pd.testing.assert_frame_equal(fake, real[real["status"] == "graded"], check_dtype=False)


def test_the_page_loads_nothing_from_outside(page):
    srcs = re.findall(r'\bsrc="([^"]*)"', page)
    # 4 charts, least certain customers, transitions, and in the appendix the clusters
    # heatmap and the modal-probability histogram
    assert len(srcs) == 8
    assert all(s.startswith("data:image/svg+xml;base64,") for s in srcs)
    for bad in ('src="http', "src='http", 'href="http', "url(http", "<script", "<link",
                "@import", "<iframe"):
        assert bad not in page.lower()
    assert all(h.startswith("#") for h in re.findall(r'\bhref="([^"]*)"', page))
    assert "default-src 'none'" in page  # Content-Security-Policy


def test_text_from_the_data_is_escaped(page):
    assert EVIL not in page and "<script" not in page
    escaped = ("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;",
               "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;")
    assert sum(page.count(e) for e in escaped) >= 4  # <title>, <h1>, profile, manifest
    assert "<title>报告 &lt;script&gt;" in page


def test_images_are_valid_svg_without_dates(page):
    first = re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', page).group(1)
    svg = base64.b64decode(first).decode("utf-8")
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert "dc:date" not in svg and "<script" not in svg


def test_two_renders_are_byte_identical(page):
    again = _inputs()  # equal inputs built afresh
    assert render_report(**again) == page


def test_png_images_are_reproducible_too():
    table = demo_table(60, seed=2)
    one = render_report(table, image_format="png", embed_font=False)
    two = render_report(table, image_format="png", embed_font=False)
    assert one == two
    assert one.count('src="data:image/png;base64,') == 4


def test_the_embedded_font_covers_the_chinese_on_the_page(page):
    from fontTools.ttLib import TTFont

    data = re.search(r"url\(data:font/woff;base64,([^)]+)\)", page).group(1)
    font = TTFont(io.BytesIO(base64.b64decode(data)))
    cmap = font.getBestCmap()
    body = page[page.index("<body>"):]
    needed = {ord(c) for c in body if ord(c) >= 0x2E80}
    assert needed and needed <= set(cmap)
    assert len(data) < 400_000  # a subset, not the 10 MB font


def test_a_bare_table_gives_a_shorter_report():
    html = render_report(demo_table(50, seed=1), lang="en", embed_font=False)
    assert '<section id="summary">' in html and '<section id="plots">' in html
    for anchor in ("validation", "movers", "plans", "groups", "complaints", "scheme",
                   "appendix"):
        assert f'<section id="{anchor}">' not in html
    assert "@font-face" not in html
    assert "special" in html and html.count("<figure>") == 4


def test_write_report_writes_the_rendered_page(tiny, tmp_path):
    options = {"title": "小表", "lang": "en", "embed_font": False, "figures": False}
    out = write_report(tiny, tmp_path / "sub" / "report.html", **options)
    assert out == tmp_path / "sub" / "report.html"
    assert out.read_bytes() == render_report(tiny, **options).encode("utf-8")


def test_bad_options_are_refused(tiny):
    from custvalue.errors import InvalidValueError

    with pytest.raises(InvalidValueError, match="image_format"):
        render_report(tiny, image_format="gif")
    with pytest.raises(InvalidValueError, match="lang"):
        render_report(tiny, lang="de")


# --------------------------------------------------------------------------- real results
@pytest.fixture(scope="module")
def pages(real) -> dict[str, str]:
    """The report of the real sample in both languages, without the plots (fast)."""
    return {lang: render_report(lang=lang, figures=False, embed_font=False, **real)
            for lang in ("zh", "en")}


def test_every_section_is_present_when_its_input_is_given(pages, real):
    for page in pages.values():
        for key in SECTIONS:
            if key != "plots":  # figures=False
                assert f'<section id="{key}">' in page, key
    bare = render_report(real["grading"], figures=False, embed_font=False, services=False)
    for key in ("validation", "movers", "plans", "services", "groups", "complaints"):
        assert f'<section id="{key}">' not in bare, key
    for key in ("findings", "summary", "profiles", "scheme", "appendix"):
        assert f'<section id="{key}">' in bare, key


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_raw_dict_dumps(pages, lang):
    text = visible(pages[lang])
    for raw in ("{'", '{"', "norm__", "dim__", "reason__", "p_tier", "k_scan", "best_k",
                "kendall_p", "cut_shift_only", "None", "nan", "NaN", "<NA>"):
        assert raw not in text, raw
    assert not re.search(r"\bari\b", text)
    assert not re.search(r"\b(general_commercial_industrial|large_industrial|short_history)\b",
                         text)


def test_one_language_per_lang(pages):
    en = visible(pages["en"])
    assert not CJK.search(en), CJK.findall(en)[:20]
    assert '<html lang="en">' in pages["en"] and '<html lang="zh-CN">' in pages["zh"]
    zh = pages["zh"]
    for tag in ("h1", "h2", "h3", "summary"):
        for heading in re.findall(rf"<{tag}[^>]*>(.*?)</{tag}>", zh, re.S):
            assert CJK.search(heading), (tag, heading)
    for head, rows in tables(zh):
        for cell in rows[0]:  # every column header is Chinese
            assert CJK.search(cell) or cell == "#" or re.fullmatch(r"[+-]\d+%", cell), \
                (head, cell)
    main_text = visible(zh[:zh.index('<section id="appendix">')])  # the manifest keeps
    for word in ("Overview", "Key findings", "Tier profiles", "customers", "revenue",  # codes
                 "Improvement plans", "Appendix", "graded", "tier"):
        assert word not in main_text, word


def test_units_are_shown(pages, real):
    zh, en = visible(pages["zh"]), visible(pages["en"])
    assert "电费收入（万元）" in zh and "用电量（万kWh）" in zh
    assert "revenue (yuan)" in en and "electricity use (MWh)" in en
    assert "万" not in en
    table = real["grading"].table
    # the overview's cards: totals in the units
    assert f"{table['revenue'].sum() / 1e4:,.1f}" in zh
    assert f"{table['total_kwh'].sum() / 1e3:,.1f}" in en


def test_business_labels_replace_codes(pages, real):
    zh, en = visible(pages["zh"]), visible(pages["en"])
    for code, zh_label, en_label in (("departed", "已销户", "account closed"),):
        assert (real["grading"].table["reason"] == code).any()
        assert zh_label in zh and en_label in en
    assert "A 类（重点）" in zh and "优先发展" in zh and "develop first" in en
    assert "一般工商业用电" in zh or "居民生活用电" in zh


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_findings_give_the_tier_sizes_and_cut_scores_of_the_grading(pages, real, lang):
    table = real["grading"].table
    first = re.search(r'<ul class="findings"><li>(.*?)</li>', pages[lang]).group(1)
    first = htmllib.unescape(first)
    counts = table["tier"].value_counts()
    graded = int(counts.sum())
    assert (f"{graded:,} 户" if lang == "zh" else f"{graded:,} customers graded") in first
    assert f"{len(table) - graded:,}" in first
    names = real["grading"].scheme.tiers.labels_zh if lang == "zh" else \
        real["grading"].scheme.tiers.labels_en
    for tier, count in counts.items():
        cut = table.loc[table["tier"] == tier, "score"].min()
        share = count / graded
        unit = " 户" if lang == "zh" else ""
        assert f"{names[int(tier)]} {count:,}{unit}" in first
        assert f"{share:.1%}" in first and f"{cut:.2f}" in first


def test_findings_name_the_verdicts_and_the_largest_move(pages, real):
    from custvalue.validation.gates import verdicts

    v = verdicts(real["validation"], real["stability"], real["grading"].scheme)
    en = htmllib.unescape(section(pages["en"], "findings"))
    word = {"PASS": "PASS", "WARN": "WARN", "FAIL": "FAIL"}[v.status]
    assert f"Validation and robustness overall: {word}" in en
    for item in v:
        if item.status != "PASS":
            assert f"{item.figure:.1%}" in en or f"{item.figure:.3f}" in en
    movers = real["comparison"].movers
    steps = movers["steps"].abs()
    top = movers[steps == steps.max()]
    top = top[top["score_change"].abs() == top["score_change"].abs().max()]
    assert f"The largest move is customer {top.index[0]}" in en
    s = real["comparison"].summary()
    assert f"{s['n_up']:,} moved up and {s['n_down']:,} down" in en
    plans = real["plans"].customers
    planned = int((plans["status"] == "planned").sum())
    assert f"Of {len(plans):,} third-tier customers, {planned:,} can reach the second tier" in en


def test_movers_table_matches_the_comparison(pages, real):
    rows = table_after(pages["en"], "The largest moves")
    header, body = rows[0], rows[1:]
    movers = real["comparison"].movers
    order = movers.assign(s=-movers["steps"].abs(), c=-movers["score_change"].abs(),
                          i=movers.index).sort_values(["s", "c", "i"])
    expected = order.head(30)
    assert len(body) == min(30, len(movers))
    assert [r[0] for r in body] == expected.index.tolist()
    names = dict(enumerate(real["grading"].scheme.tiers.labels_en))
    col = {h: i for i, h in enumerate(header)}
    for row, (_, m) in zip(body, expected.iterrows(), strict=True):
        assert row[col["previous tier"]] == names[int(m["tier_previous"])]
        assert row[col["current tier"]] == names[int(m["tier_current"])]
        assert row[col["score change"]] == f"{m['score_change']:+.2f}"


def test_plans_services_groups_and_complaints_match_their_inputs(pages, real):
    from custvalue.analysis.services import grade_complaints

    en = pages["en"]
    status = real["plans"].customers["status"].value_counts()
    plan_rows = tables(section(en, "plans"))[0][1]
    assert {r[0]: int(r[1].replace(",", "")) for r in plan_rows[1:]} == {
        {"planned": "plan found", "unreachable": "out of reach", "already": "already there",
         "ungraded": "ungraded"}[k]: int(v) for k, v in status.items()}
    groups = real["groups"].groups
    group_rows = tables(section(en, "groups"))[0][1]
    assert len(group_rows) - 1 == len(groups)
    graded = grade_complaints(real["complaints"], real["grading"])
    counts = graded["complaint_level"].value_counts()
    rows = tables(section(en, "complaints"))[0][1][1:]
    assert {r[0]: int(r[1]) for r in rows} == {lv: int(counts.get(lv, 0))
                                              for lv in ("ordinary", "key", "emergency")}
    abc = tables(section(en, "services"))[1][1]
    assert [r[0] for r in abc[1:]] == ["class A (key)", "class B (ordinary)", "class C (minor)"]


def test_the_real_report_is_deterministic(pages, real):
    assert render_report(lang="en", figures=False, embed_font=False, **real) == pages["en"]


# --------------------------------------------------------------------------- Chromium
def _report_check():
    spec = importlib.util.spec_from_file_location("report_check",
                                                  ROOT / "scripts" / "report_check.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CHECK = _report_check()
CHROMIUM = CHECK.find_chromium()


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="needs Chromium (Debian: apt-get install chromium; "
                    "`make report-check` installs it)")
def test_chromium_renders_every_section_without_overflow(real, tmp_path):
    options = {k: v for k, v in real.items() if k != "grading"}
    path = write_report(real["grading"], tmp_path / "report.html", **options)
    png = tmp_path / "report.png"
    problems = CHECK.check(path, list(SECTIONS), CHROMIUM, png, widths=(1280,))
    assert problems == []
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 100_000


def test_the_check_finds_overflow_and_missing_sections(tmp_path):
    """The checker itself: a page wider than its column and a missing section fail."""
    if CHROMIUM is None:
        pytest.skip("needs Chromium")
    bad = tmp_path / "bad.html"
    bad.write_text("<!DOCTYPE html><html><body><main style='max-width:600px'>"
                   "<section id='summary'><table><tr><td style='white-space:nowrap'>"
                   + "x" * 400 + "</td></tr></table></section></main></body></html>",
                   encoding="utf-8")
    problems = CHECK.check(bad, ["summary", "findings"], CHROMIUM, None, widths=(800,))
    assert any("missing" in p and "findings" in p for p in problems)
    assert any("scrolls sideways" in p or "reaches past" in p for p in problems)


def test_numbers_use_no_python_reprs(pages):
    for page in pages.values():
        assert not re.search(r"np\.(float|int)64|Timestamp\(", page)
