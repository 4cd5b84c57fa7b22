"""Grading.rescore(scheme): the same table as grade() with that scheme on the same inputs."""

from __future__ import annotations

import pandas as pd
import pytest

import custvalue
from custvalue.inputs.samples import generate

TREAT = {"duplicates": "last", "negative_energy": "allow"}


@pytest.fixture(scope="module")
def tables():
    return generate(300, months=24, seed=11)


def other_scheme() -> custvalue.Scheme:
    data = custvalue.Scheme.default().to_dict()
    data["aggregation"] = "geometric"
    data["dimensions"]["contribution"]["weight"] = 0.4
    data["dimensions"]["compliance"]["weight"] = 0.4
    data["dimensions"]["cooperation"]["weight"] = 0.2
    data["tiers"]["quotas"] = [0.2, 0.3, 0.3, 0.2]
    data["name"] = "other"
    return custvalue.Scheme.from_dict(data)


def test_rescore_equals_grade_with_the_other_scheme(tables):
    g = custvalue.grade(**tables, **TREAT)
    other = other_scheme()
    direct = custvalue.grade(**tables, **TREAT, scheme=other)
    again = g.rescore(other)
    pd.testing.assert_frame_equal(again.table, direct.table)
    assert again.scheme == other and again.manifest.scheme_hash == other.hash()
    assert not again.table["tier"].equals(g.table["tier"])      # it did change something
    assert g.scheme == custvalue.Scheme.default()               # the original is untouched
    back = again.rescore(g.scheme)
    pd.testing.assert_frame_equal(back.table, g.table)


def test_rescore_keeps_pins_and_strata(tables):
    graded = custvalue.grade(**tables, **TREAT).table
    low = graded[graded["tier"] == 3].index[:2]
    pins = pd.DataFrame({"customer_id": low, "tier": [0, 0], "reason": ["hospital", "mine"]})
    g = custvalue.grade(**tables, **TREAT, pins=pins, strata="region")
    other = other_scheme()
    direct = custvalue.grade(**tables, **TREAT, pins=pins, strata="region", scheme=other)
    pd.testing.assert_frame_equal(g.rescore(other).table, direct.table)
    assert (g.rescore(other).table.loc[low, "tier"] == 0).all()
