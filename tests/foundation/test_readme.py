"""The README's Python example runs as printed (on the bundled sample)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_readme_example_runs(monkeypatch, tmp_path):
    text = (ROOT / "README.md").read_text("utf-8")
    code = re.search(r"## In Python\n\n```python\n(.*?)```", text, re.S).group(1)
    assert '"out/2024"' in code
    monkeypatch.chdir(ROOT)
    namespace: dict = {}
    exec(code.replace('"out/2024"', repr(str(tmp_path / "2024"))), namespace)
    g = namespace["g"]
    assert (tmp_path / "2024" / "grades.parquet").is_file()
    assert int(g.summary()["customers"].sum()) == len(g.table)
