"""The grading as plain data and the output schema version (issue 12, item 5)."""

from __future__ import annotations

import json

import numpy as np
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


def test_the_grading_keeps_the_bounds_it_was_scored_with(grading, tmp_path):
    """grade() keeps the fitted bounds; they are what the Normaliser fits on the table,
    they are saved in bounds.json and rescore() keeps those of the new scheme."""
    from custvalue.grading import BOUNDS_FILE
    from custvalue.scoring import Normaliser, Scheme

    scheme = grading.scheme
    refit = Normaliser(scheme).fit(grading.table[list(scheme.columns)]).bounds_
    kept = grading.bounds
    assert kept is not None and list(kept.index) == list(scheme.indicator_names)
    cols = ["low", "high", "mean", "std", "clip_low", "clip_high"]
    np.testing.assert_array_equal(kept[cols].to_numpy(float), refit[cols].to_numpy(float))
    folder = grading.save(tmp_path / "g")
    saved = json.loads((folder / BOUNDS_FILE).read_text("utf-8"))
    assert [r["indicator"] for r in saved["indicators"]] == list(scheme.indicator_names)
    geo = grading.rescore(Scheme.from_dict({**scheme.to_dict(), "aggregation": "topsis"}))
    assert geo.bounds is not None and geo.bounds["topsis_scale"].notna().all()
