"""The grading as plain data and the output schema version (issue 12, item 5)."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

from custvalue.grading import MANIFEST_FILE, SCHEMA_VERSION, Grading
from custvalue.grading.contract import GRADES_FILE
from custvalue.inputs.samples import generate
from custvalue.pipeline import grade


@pytest.fixture(scope="module")
def grading():
    return grade(**generate(120, months=24, seed=8), duplicates="last", negative_energy="allow")


def test_to_dict_is_strict_json(grading):
    data = json.loads(json.dumps(grading.to_dict(), allow_nan=False))
    assert set(data) == {"summary", "scheme", "manifest", "findings"}
    assert data["manifest"]["schema_version"] == SCHEMA_VERSION
    assert data["manifest"]["scheme_hash"] == grading.scheme.hash()
    rows = data["summary"]
    assert sum(r["customers"] for r in rows) == len(grading.table)
    # departed accounts and short histories are ungraded by default (scheme [eligibility]),
    # so the graded count comes from the table's ``graded`` column, not from its rows
    graded = grading.table["graded"]
    assert 0 < int(graded.sum()) < len(grading.table)
    assert sum(r["customers"] for r in rows if r["status"] == "graded") == int(graded.sum())
    assert sum(r["customers"] for r in rows if r["status"] == "ungraded") == int((~graded).sum())
    assert all((r["tier"] is None) == (r["status"] != "graded") for r in rows)
    assert data["scheme"] == json.loads(json.dumps(grading.scheme.to_dict()))


def test_saved_grading_carries_the_schema_version(grading, tmp_path):
    folder = grading.save(tmp_path / "g")
    meta = pq.read_schema(folder / GRADES_FILE).metadata
    assert meta[b"custvalue.schema_version"] == str(SCHEMA_VERSION).encode()
    manifest = json.loads((folder / MANIFEST_FILE).read_text("utf-8"))
    assert manifest["schema_version"] == SCHEMA_VERSION
    back = Grading.load(folder)
    assert back.manifest.schema_version == SCHEMA_VERSION
    assert back.equals(grading)
