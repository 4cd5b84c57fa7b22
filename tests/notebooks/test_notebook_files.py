"""The example notebooks are stored clean: valid nbformat 4, python3 kernel, no outputs.

nbmake executes them (``notebooks`` is in ``testpaths`` and ``--nbmake`` in ``addopts``);
these tests check what execution does not: that nothing stored in the files depends on a
previous run, and that each notebook checks something with ``assert``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
EXPECTED = (
    "01-quick-start.ipynb",
    "02-scheme-and-weights.ipynb",
    "03-validation-and-robustness.ipynb",
    "04-regrade-cycle.ipynb",
)


def _load(name: str) -> dict:
    return json.loads((NOTEBOOKS / name).read_text(encoding="utf-8"))


def test_all_notebooks_present() -> None:
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", EXPECTED)
def test_notebook_is_clean(name: str) -> None:
    nb = _load(name)
    assert nb["nbformat"] == 4
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code, "no code cells"
    for cell in code:
        assert cell["outputs"] == [], f"stored outputs in cell {cell.get('id')}"
        assert cell["execution_count"] is None, f"execution count in cell {cell.get('id')}"
    sources = ["".join(c["source"]) for c in code]
    assert any("assert " in s for s in sources), "the notebook checks nothing"
    # data found relative to the notebook (nbmake runs with cwd = notebooks/)
    assert any('Path("..") / "data" / "samples"' in s for s in sources)
    assert any(c["cell_type"] == "markdown" for c in nb["cells"])


@pytest.mark.parametrize("name", EXPECTED)
def test_notebook_validates(name: str) -> None:
    import nbformat  # installed with nbmake (dev)
    nbformat.validate(nbformat.read(NOTEBOOKS / name, as_version=4))
