"""The ``>>>`` examples in ``docs/*.md`` run as doctests (one namespace per page, run from the
repository root, ``ELLIPSIS`` and ``NORMALIZE_WHITESPACE`` on, as for the docstrings).

Markdown code fences are blanked out first, so that a closing fence is not read as expected
output.  Code blocks without ``>>>`` are illustrations (shell commands, fragments) and are
not run.
"""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted(p for p in (ROOT / "docs").glob("*.md") if ">>> " in p.read_text("utf-8"))
FENCE = re.compile(r"^\s*```.*$", re.MULTILINE)


def test_some_pages_have_examples():
    assert len(PAGES) >= 5


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_doc_examples_run(page, monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    monkeypatch.chdir(ROOT)
    text = FENCE.sub("", page.read_text("utf-8"))
    parser = doctest.DocTestParser()
    test = parser.get_doctest(text, {"__name__": page.stem}, page.name, str(page), 0)
    assert test.examples, page.name
    runner = doctest.DocTestRunner(
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    out: list[str] = []
    result = runner.run(test, out=out.append)
    assert result.failed == 0, "".join(out)
