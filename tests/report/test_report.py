"""custvalue.report: one self-contained, escaped, reproducible HTML page."""

from __future__ import annotations

import base64
import io
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pandas as pd
import pytest

from custvalue.present.plots import demo_table
from custvalue.present.report import render_report, write_report

from .conftest import FakeComparison, FakeGrading, FakeValidation

EVIL = "<script>alert('x')</script>"
SECTIONS = ("summary", "profiles", "plots", "validation", "stability", "regrade", "scheme",
            "manifest")


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


def test_every_section_is_there(page):
    for anchor in SECTIONS:
        assert f'id="{anchor}"' in page
        assert f'href="#{anchor}"' in page
    for text in ("特级客户", "一级客户", "二级客户", "三级客户", "分界分 cut", "kwh_per_year",
                 "ari", "kendall_tau", "2025-01-01T00:00:00+00:00"):
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
    # the real summary, computed on the stand-in's table and scheme
    real = Grading.summary(FakeGrading(tiny))
    fake = FakeGrading(tiny).summary()
    assert list(fake.columns) == list(real.columns)
    pd.testing.assert_frame_equal(fake, real[real["status"] == "graded"], check_dtype=False)


def test_the_page_loads_nothing_from_outside(page):
    srcs = re.findall(r'\bsrc="([^"]*)"', page)
    assert len(srcs) == 8  # 4 plots + validation + 2 robustness + regrade
    assert all(s.startswith("data:image/svg+xml;base64,") for s in srcs)
    for bad in ('src="http', "src='http", 'href="http', "url(http", "<script", "<link",
                "@import", "<iframe"):
        assert bad not in page.lower()
    assert all(h.startswith("#") for h in re.findall(r'\bhref="([^"]*)"', page))
    assert "default-src 'none'" in page  # Content-Security-Policy


def test_text_from_the_data_is_escaped(page):
    assert EVIL not in page and "<script" not in page
    escaped = "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;"
    assert page.count(escaped) >= 3  # title (twice: <title> and <h1>), profile, manifest
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
    assert 'id="summary"' in html and 'id="plots"' in html
    for anchor in ("validation", "stability", "regrade", "scheme", "manifest"):
        assert f'id="{anchor}"' not in html
    assert "@font-face" not in html
    assert "special" in html and html.count("<figure>") == 4


def test_summary_numbers(inputs, page):
    summary = inputs["grading"].summary()
    for count in summary["customers"]:
        assert f"<td class=\"num\">{count:,}</td>" in page
    assert "<td class=\"num\">10.0%</td>" in page  # target share of 特级客户


def test_write_report_writes_the_rendered_page(tiny, tmp_path):
    options = {"title": "小表", "lang": "en", "embed_font": False}
    out = write_report(tiny, tmp_path / "sub" / "report.html", **options)
    assert out == tmp_path / "sub" / "report.html"
    assert out.read_bytes() == render_report(tiny, **options).encode("utf-8")


def test_bad_options_are_refused(tiny):
    from custvalue.errors import InvalidValueError

    with pytest.raises(InvalidValueError, match="image_format"):
        render_report(tiny, image_format="gif")
    with pytest.raises(InvalidValueError, match="lang"):
        render_report(tiny, lang="de")


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="needs Chromium (Debian: apt-get install chromium)")
def test_chromium_renders_the_page(page, tmp_path):
    html = tmp_path / "report.html"
    html.write_text(page, encoding="utf-8")
    shot = tmp_path / "report.png"
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--no-first-run", f"--user-data-dir={profile}", f"--screenshot={shot}",
             "--window-size=1280,2400", html.resolve().as_uri()],
            check=True, capture_output=True, timeout=180)
    data = Path(shot).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 50_000
