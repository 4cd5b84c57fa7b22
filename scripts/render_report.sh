#!/usr/bin/env bash
# Render the HTML report and screenshot it in headless Chromium, to look at it as a reader
# would.  See docs/report.md.
#
#   scripts/render_report.sh [GRADING_DIR] [OUT_DIR]
#
# GRADING_DIR  a folder written by Grading.save / `custvalue grade --out`; without it a
#              made-up demo grading (custvalue.plots.demo_table) with validation, robustness
#              and regrade inputs is used, so every section shows.
# OUT_DIR      where report.html and report.png go (default out/report-check).
#
# Environment: PYTHON (default .venv/bin/python), HEIGHT (screenshot height in pixels,
# default 2400; use e.g. 9000 to see the whole page), CHROMIUM (browser binary), PDF=1 to
# also print report.pdf (what the browser's print dialog gives).
# Needs Chromium: Debian `apt-get install -y chromium`.  Exit code 3 when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
GRADING=${1:-}
OUT=${2:-out/report-check}
HEIGHT=${HEIGHT:-2400}
mkdir -p "$OUT"

"$PY" - "$GRADING" "$OUT/report.html" <<'PY'
import sys
import types

import numpy as np
import pandas as pd

from custvalue.present.report import write_report

source, target = sys.argv[1], sys.argv[2]
extra = {}
if source:
    from custvalue.grading import Grading

    grading = Grading.load(source)
else:
    from custvalue.present.plots import demo_table
    from custvalue.scoring.scheme import Scheme

    table = demo_table(2000, seed=11)
    graded = table[table["graded"]]
    rng = np.random.default_rng(5)
    probs = pd.DataFrame(rng.dirichlet([0.4] * 4, size=len(graded)), index=graded.index,
                         columns=[f"p_tier{k}" for k in range(4)])
    probs["tier"] = graded["tier"]
    extra = {
        "validation": pd.DataFrame([[160, 30, 10], [150, 300, 120], [20, 380, 550],
                                    [0, 40, 140]], index=pd.Index([0, 1, 2, 3], name="tier"),
                                   columns=pd.Index(["c0", "c1", "c2"], name="cluster")),
        "stability": probs,
        "comparison": pd.DataFrame([[150, 30, 4, 0, 6], [28, 430, 80, 2, 12],
                                    [1, 90, 780, 60, 30], [0, 2, 50, 120, 15],
                                    [12, 40, 90, 20, 0]],
                                   index=[0, 1, 2, 3, "new"], columns=[0, 1, 2, 3, "left"]),
    }
    manifest = {"package_version": "demo", "scheme_hash": Scheme.default().hash(),
                "window": {"start": "2022-01", "end": "2024-12"},
                "options": {"note": "made-up demo data <not real>"}}
    grading = types.SimpleNamespace(table=table, scheme=Scheme.default(), manifest=manifest)
print(write_report(grading, target, title="客户价值分级报告（演示） · demo report", **extra))
PY

CHROME=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)}
if [ -z "$CHROME" ]; then
    echo "render_report.sh: Chromium not found (Debian: apt-get install -y chromium)" >&2
    exit 3
fi
PROFILE=$(mktemp -d)
trap 'rm -rf "$PROFILE"' EXIT
URL="file://$(realpath "$OUT/report.html")"
FLAGS=(--headless --no-sandbox --disable-gpu --disable-background-networking
       --disable-component-update --disable-sync --no-first-run --user-data-dir="$PROFILE"
       --hide-scrollbars)
"$CHROME" "${FLAGS[@]}" --screenshot="$OUT/report.png" --window-size="1280,$HEIGHT" "$URL" \
    2>/dev/null
echo "$OUT/report.png"
if [ "${PDF:-0}" = 1 ]; then
    "$CHROME" "${FLAGS[@]}" --print-to-pdf="$OUT/report.pdf" --no-pdf-header-footer "$URL" \
        2>/dev/null
    echo "$OUT/report.pdf"
fi
