"""Collect each package module once.

With ``--import-mode=importlib --doctest-modules``, pytest imports a file under ``src/`` a
second time under its dotted name when the file is collected before its package was
imported, so two copies of a class (e.g. ``custvalue.scoring.scheme.Scheme``) exist and
pickling an object of the first copy fails.  Importing the module by its dotted name first
makes pytest find it in ``sys.modules`` and reuse it.
"""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path

SRC = Path(__file__).resolve().parent / "src"


def pytest_collect_file(file_path: Path, parent: object) -> None:
    if file_path.suffix != ".py" or file_path.name == "__main__.py":
        return None
    try:
        parts = file_path.resolve().relative_to(SRC).with_suffix("").parts
    except ValueError:
        return None
    if parts[-1] == "__init__":
        parts = parts[:-1]
    name = ".".join(parts)
    spec = importlib.util.find_spec(name)
    if spec is not None and spec.origin and Path(spec.origin).resolve() == file_path.resolve():
        importlib.import_module(name)
    return None
