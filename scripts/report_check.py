"""Render the HTML report in headless Chromium, screenshot it and check the page.

    python scripts/report_check.py [--html FILE | --grading DIR] [--out DIR] [--lang zh|en]

Without ``--html`` or ``--grading`` the report is built from a generated sample grading with
every input the report takes (validation, robustness, a previous grading to compare with,
improvement plans, services, group trends, complaints, diagnostics), so that every section
shows; ``--grading`` uses a saved grading folder (the sections it has inputs for).

For each page the check

1. finds every section it expects (``<section id=...>``) in the HTML;
2. opens a copy of the page in Chromium with every folded ``<details>`` opened and a small
   script that measures the page (the report itself has no script and forbids one by its
   Content-Security-Policy): the document must not scroll sideways
   (``scrollWidth <= clientWidth``) and no element may reach past the right edge of the
   page's ``<main>`` column or scroll inside itself sideways; at two window widths
   (1280 and 820 px);
3. screenshots the page as it is (``report-<lang>.png``, the whole height) for a person to
   look at.

Exit status 0 when every check passes, 1 when one fails, 3 when Chromium is missing
(Debian: ``apt-get install -y chromium``; ``make report-check`` installs it).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

#: Chromium flags: no sandbox (containers), no GPU, no network chatter, a fresh profile.
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--mute-audio")
WIDTHS = (1280, 820)
_CHECK_ID = "custvalue-check"
_SCRIPT = """<script>
(function () {
  var de = document.documentElement, main = document.querySelector('main');
  var edge = main ? main.getBoundingClientRect().right : de.clientWidth;
  var out = {scrollWidth: de.scrollWidth, clientWidth: de.clientWidth,
             height: de.scrollHeight, edge: edge, sections: [], wide: []};
  document.querySelectorAll('section[id]').forEach(function (s) {
    var r = s.getBoundingClientRect();
    out.sections.push({id: s.id, height: Math.round(r.height)});
  });
  document.querySelectorAll('main *').forEach(function (el) {
    var r = el.getBoundingClientRect(), style = getComputedStyle(el);
    var scrolls = style.overflowX !== 'visible' && el.scrollWidth > el.clientWidth + 1;
    if (r.width > 0 && (r.right > edge + 1 || scrolls)) {
      out.wide.push(el.tagName.toLowerCase() + (el.className ? '.' + el.className : '')
                    + ' right=' + Math.round(r.right) + ' scroll=' + el.scrollWidth);
    }
  });
  var pre = document.createElement('pre');
  pre.id = '""" + _CHECK_ID + """';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
</script>"""


def find_chromium() -> str | None:
    """The Chromium binary (``CHROMIUM`` environment variable, else on ``PATH``)."""
    named = os.environ.get("CHROMIUM")
    if named:
        return named
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _run(chromium: str, args: list[str], timeout: float = 180) -> str:
    with tempfile.TemporaryDirectory(prefix="custvalue-chromium-") as profile:
        done = subprocess.run([chromium, *FLAGS, f"--user-data-dir={profile}", *args],
                              capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"chromium exited {done.returncode}: {done.stderr[-2000:]}")
    return done.stdout


def measure(html_file: Path, chromium: str, width: int = 1280) -> dict[str, Any]:
    """Open a checking copy of the page (details opened, a measuring script) and return
    what the script found: ``scrollWidth``, ``clientWidth``, ``height``, ``sections``,
    ``wide`` (elements past the right edge or scrolling sideways)."""
    text = html_file.read_text(encoding="utf-8")
    text = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", text, count=1)
    text = text.replace("<details ", "<details open ").replace("</body>", _SCRIPT + "</body>")
    with tempfile.TemporaryDirectory(prefix="custvalue-check-") as folder:
        copy = Path(folder) / "check.html"
        copy.write_text(text, encoding="utf-8")
        dom = _run(chromium, ["--dump-dom", "--virtual-time-budget=10000",
                              f"--window-size={width},1000", copy.as_uri()])
    found = re.search(r'<pre id="' + _CHECK_ID + r'">(.*?)</pre>', dom, re.S)
    if found is None:
        raise RuntimeError("the measuring script did not run (no result in the DOM)")
    raw = found.group(1).replace("&quot;", '"').replace("&lt;", "<").replace(
        "&gt;", ">").replace("&amp;", "&")
    return dict(json.loads(raw))


def screenshot(html_file: Path, png: Path, chromium: str, width: int = 1280,
               height: int = 2400) -> Path:
    """Screenshot the page as it is (folded details stay folded)."""
    _run(chromium, [f"--screenshot={png}", f"--window-size={width},{height}",
                    "--virtual-time-budget=10000", html_file.resolve().as_uri()])
    return png


def check(html_file: Path, expected: list[str], chromium: str, png: Path | None = None,
          widths: tuple[int, ...] = WIDTHS) -> list[str]:
    """Every problem found with the page (empty: it passes)."""
    problems = []
    html = html_file.read_text(encoding="utf-8")
    for section in expected:
        if f'<section id="{section}">' not in html:
            problems.append(f"section {section!r} is missing")
    height = 2400
    for width in widths:
        found = measure(html_file, chromium, width)
        if found["scrollWidth"] > found["clientWidth"]:
            problems.append(f"at {width}px the page scrolls sideways: scrollWidth "
                            f"{found['scrollWidth']} > clientWidth {found['clientWidth']}")
        for item in found["wide"][:10]:
            problems.append(f"at {width}px an element reaches past the page: {item}")
        seen = {s["id"] for s in found["sections"] if s["height"] > 0}
        for section in expected:
            if section not in seen:
                problems.append(f"at {width}px section {section!r} is not shown")
        if width == widths[0]:
            height = int(found["height"])
    if png is not None:
        screenshot(html_file, png, chromium, widths[0], min(max(height, 800), 30000))
    return problems


def sample_inputs(n: int = 500, seed: int = 5) -> dict[str, Any]:
    """A sample grading and every input the report takes, generated (about half a minute)."""
    import numpy as np
    import pandas as pd

    import custvalue
    from custvalue.analysis.diagnostics import diagnose
    from custvalue.analysis.groups import group_trends
    from custvalue.regrade import compare
    from custvalue.validation import tier_stability, validate_tiers

    treat = {"duplicates": "last", "negative_energy": "allow"}
    tables = custvalue.samples.generate(n, months=36, seed=seed)
    grading = custvalue.grade(**tables, **treat)
    previous = custvalue.grade(**custvalue.samples.generate(n, months=36, seed=seed + 1),
                               **treat)
    rng = np.random.default_rng(seed)
    ids = grading.table.index[rng.choice(len(grading.table), 40, replace=False)]
    complaints = pd.DataFrame({
        "complaint_id": [f"Q{i:03d}" for i in range(40)], "customer_id": ids,
        "reported_level": rng.choice(["ordinary", "key"], 40, p=[0.85, 0.15]),
        "repeat_after_poor_handling": rng.random(40) < 0.1,
        "from_higher_organisation": rng.random(40) < 0.05,
        "economic_loss_risk": rng.random(40) < 0.05})
    return {
        "grading": grading,
        "validation": validate_tiers(grading, seed=0),
        "stability": tier_stability(grading, draws=200, seed=0),
        "comparison": compare(previous, grading),
        "plans": grading.improvement_plans(),
        "groups": group_trends(tables["monthly"], grading),
        "complaints": complaints,
        "diagnostics": diagnose(grading),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--html", type=Path, help="check this report file")
    parser.add_argument("--grading", type=Path, help="build the report of this grading folder")
    parser.add_argument("--out", type=Path, default=Path("out/report-check"))
    parser.add_argument("--lang", choices=("zh", "en", "both"), default="both")
    args = parser.parse_args(argv)
    chromium = find_chromium()
    if chromium is None:
        print("report_check: Chromium not found (Debian: apt-get install -y chromium)",
              file=sys.stderr)
        return 3
    from custvalue.present.report import SECTIONS, write_report

    args.out.mkdir(parents=True, exist_ok=True)
    langs = ["zh", "en"] if args.lang == "both" else [args.lang]
    pages: list[tuple[Path, list[str]]] = []
    if args.html is not None:
        html = args.html.read_text(encoding="utf-8")
        pages.append((args.html, [s for s in SECTIONS if f'<section id="{s}">' in html]))
    else:
        if args.grading is not None:
            from custvalue.grading import Grading

            inputs: dict[str, Any] = {"grading": Grading.load(args.grading)}
        else:
            inputs = sample_inputs()
        expected = [s for s in SECTIONS if s not in ("movers", "plans", "groups", "complaints")
                    or {"movers": "comparison"}.get(s, s) in inputs]
        if "validation" not in inputs and "stability" not in inputs:
            expected = [s for s in expected if s != "validation"]
        for lang in langs:
            target = write_report(inputs["grading"], args.out / f"report-{lang}.html",
                                  lang=lang, **{k: v for k, v in inputs.items()
                                                if k != "grading"})
            pages.append((target, expected))
    failed = False
    for html_file, expected in pages:
        png = html_file.with_suffix(".png")
        problems = check(html_file, expected, chromium, png)
        status = "FAIL" if problems else "ok"
        print(f"{status:4} {html_file} ({len(expected)} sections) -> {png}")
        for problem in problems:
            print(f"     {problem}")
        failed = failed or bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
