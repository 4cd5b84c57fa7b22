"""The Chinese user guide is kept in step with the English pages: the same ``##`` sections,
in the same order, each Chinese heading carrying the English heading's anchor
(``## 快速开始 {#quick-start}``), so that links and the table of contents map one to one."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from markdown.extensions.toc import slugify

ROOT = Path(__file__).resolve().parents[2]
PAIRS = [
    ("README.md", "README.zh.md"),
    ("docs/index.md", "docs/zh/index.md"),
    ("docs/concepts.md", "docs/zh/concepts.md"),
    ("docs/cli.md", "docs/zh/cli.md"),
    ("docs/scheme.md", "docs/zh/scheme.md"),
    ("docs/report.md", "docs/zh/report.md"),
]
_ANCHOR = re.compile(r"\s*\{#([\w.-]+)\}\s*$")


def sections(path: Path) -> list[tuple[str, str | None]]:
    """``(title, explicit anchor or None)`` of each ``##`` heading outside code fences."""
    out, fenced = [], False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and line.startswith("## "):
            title = line[3:]
            m = _ANCHOR.search(title)
            out.append((_ANCHOR.sub("", title).strip(), m.group(1) if m else None))
    return out


def slug(title: str) -> str:
    """The anchor Python-Markdown's toc gives a heading (code spans rendered as text)."""
    return slugify(title.replace("`", ""), "-")


@pytest.mark.parametrize(("en", "zh"), PAIRS, ids=[z for _, z in PAIRS])
def test_the_chinese_page_has_the_english_pages_sections(en, zh):
    english = sections(ROOT / en)
    chinese = sections(ROOT / zh)
    assert english, en
    assert len(chinese) == len(english), (
        f"{zh} has {len(chinese)} sections, {en} has {len(english)}: update {zh}")
    expected = [anchor or slug(title) for title, anchor in english]
    got = [anchor for _, anchor in chinese]
    assert got == expected, f"{zh}: the section anchors must follow {en}"
    for title, _ in chinese:  # command names may stand alone; other words are Chinese
        words = re.sub(r"`[^`]*`", "", title).strip()
        assert not words or re.search(r"[\u4e00-\u9fff]", words), \
            f"{zh}: heading {title!r} is not Chinese"


def test_the_chinese_pages_are_in_the_docs_navigation():
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    pages = set()

    def walk(node):
        if isinstance(node, str):
            pages.add(node)
        elif isinstance(node, dict):
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(config["nav"])
    for _, zh in PAIRS[1:]:
        assert zh.removeprefix("docs/") in pages, zh
    assert "attr_list" in config["markdown_extensions"]
