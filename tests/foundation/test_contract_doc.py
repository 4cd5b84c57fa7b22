"""docs/data-contract.md documents every column of the contract with type and unit."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from custvalue.inputs.contract import TABLES

DOC = (Path(__file__).resolve().parents[2] / "docs" / "data-contract.md").read_text("utf-8")


def section(table: str) -> str:
    match = re.search(rf"^## `{table}`.*?(?=^## |\Z)", DOC, flags=re.M | re.S)
    assert match, f"no section for table {table}"
    return match.group(0)


@pytest.mark.parametrize("table", sorted(TABLES))
def test_every_column_is_documented_with_type_and_unit(table):
    text = section(table)
    for column in TABLES[table].columns:
        row = re.search(rf"^\| `{column.name}` \|(.*)$", text, flags=re.M)
        assert row, f"{table}.{column.name} missing from docs/data-contract.md"
        cells = [c.strip() for c in row.group(1).split("|")]
        assert cells[0] == column.dtype, f"{table}.{column.name}: type"
        assert cells[1] == ("yes" if column.required else "no"), f"{table}.{column.name}"
        assert cells[2] == (column.unit or "—"), f"{table}.{column.name}: unit"
