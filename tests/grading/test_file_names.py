"""The saved-grading file names are known in one place: custvalue.grading.contract."""

from __future__ import annotations

import ast
from pathlib import Path

import custvalue
from custvalue.grading import GRADING_FILES

PACKAGE = Path(custvalue.__file__).parent


def test_file_names_are_literals_only_in_the_contract() -> None:
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == PACKAGE / "grading" / "contract.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            # a literal that is a file name, or part of a message naming one
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and (
                    node.value in GRADING_FILES or any(
                        node.value.endswith(f" {name}") or node.value.startswith(f"{name} ")
                        for name in GRADING_FILES)):
                offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {node.value!r}")
    assert not offenders, "use the constants of custvalue.grading.contract: " + ", ".join(
        offenders)
