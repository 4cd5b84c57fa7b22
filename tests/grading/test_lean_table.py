"""The per-customer stage builds its text columns as categoricals (issue 15, item 2).

Reasons, tier labels and notes are pandas categoricals made from integer codes, no column
of the grading table holds Python objects per row, and the saved files keep the text layout
of schema version 2 (the categoricals are written as text and read back as categoricals).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custvalue.grading import SCHEMA_VERSION, Grading
from custvalue.grading.columns import (
    CATEGORICAL_COLUMNS,
    descending_order,
    ids_sorted_unique,
    join_texts,
    label_categorical,
    saved_table,
    text_categorical,
)
from custvalue.grading.contract import GRADES_FILE
from custvalue.inputs.samples import generate
from custvalue.pipeline import _percentile_kernel, grade
from custvalue.scoring import rank_scores

TREAT = {"duplicates": "last", "negative_energy": "allow"}


@pytest.fixture(scope="module")
def tables():
    return generate(300, months=24, seed=21)


@pytest.fixture(scope="module")
def grading(tables):
    return grade(**tables, **TREAT)


@pytest.fixture(scope="module")
def pinned(tables):
    ids = sorted(tables["customers"]["customer_id"].astype(str))[:3]
    pins = pd.DataFrame({"customer_id": ids, "tier": [0, 1, 3], "reason": ["a", "b", "c"]})
    return grade(**tables, **TREAT, pins=pins, strata="region")


def test_text_columns_are_categorical(grading):
    t = grading.table
    for column in (*CATEGORICAL_COLUMNS, "abc"):
        assert isinstance(t[column].dtype, pd.CategoricalDtype), column
    # the reasons the stage gives, as categories (sorted, only those that occur)
    assert set(t["reason"].cat.categories) == set(t["reason"].dropna())
    assert list(t["reason"].cat.categories) == sorted(t["reason"].cat.categories)
    assert {"departed", "short_history"} <= set(t["reason"].cat.categories)
    # the labels in tier order, all of them
    assert list(t["tier_zh"].cat.categories) == list(grading.scheme.tiers.labels_zh)
    assert list(t["tier_en"].cat.categories) == list(grading.scheme.tiers.labels_en)
    graded = t["tier"].notna()
    assert (t.loc[graded, "tier_en"].astype(str).to_numpy()
            == np.array(grading.scheme.tiers.labels_en)[t.loc[graded, "tier"].astype(int)]
            ).all()
    assert t.loc[~graded, "tier_note"].eq("ungraded: no score").all()


@pytest.mark.parametrize("which", ["grading", "pinned"])
def test_no_column_holds_python_objects(which, request):
    t = request.getfixturevalue(which).table
    assert [c for c in t.columns if t[c].dtype == object] == []
    # every text column is Arrow-backed text or a categorical
    for c in t.columns:
        dtype = t[c].dtype
        if not (pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)
                or pd.api.types.is_datetime64_any_dtype(dtype)):
            assert isinstance(dtype, pd.CategoricalDtype | pd.StringDtype), (c, dtype)
            if isinstance(dtype, pd.StringDtype):
                assert dtype.storage == "pyarrow", c


def test_saved_file_keeps_the_text_layout(grading, tmp_path):
    folder = grading.save(tmp_path / "g")
    schema = pq.read_schema(folder / GRADES_FILE)
    for column in CATEGORICAL_COLUMNS:
        assert pa.types.is_string(schema.field(column).type) or pa.types.is_large_string(
            schema.field(column).type), column
    assert pa.types.is_dictionary(schema.field("abc").type)  # as before: categorical
    assert schema.metadata[b"custvalue.schema_version"] == str(SCHEMA_VERSION).encode()
    back = Grading.load(folder)
    assert back.equals(grading)
    pd.testing.assert_frame_equal(back.table, grading.table)


def test_a_file_with_text_columns_loads_as_categoricals(grading, tmp_path):
    # what a grading saved before the columns were categorical holds: text
    old = saved_table(grading.table)
    assert not any(isinstance(old[c].dtype, pd.CategoricalDtype) for c in CATEGORICAL_COLUMNS)
    legacy = Grading(table=old, scheme=grading.scheme, manifest=grading.manifest,
                     findings=grading.findings)
    folder = legacy.save(tmp_path / "old")
    assert (folder / GRADES_FILE).read_bytes() == grading.parquet_bytes()
    pd.testing.assert_frame_equal(Grading.load(folder).table, grading.table)


def test_rescore_gives_the_same_categoricals(grading):
    again = grading.rescore(grading.scheme)
    pd.testing.assert_frame_equal(again.table, grading.table)


# ------------------------------------------------------------------ the column helpers
texts = st.lists(st.sampled_from(["a", "b", "c; d", "e"]), min_size=1, max_size=4)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_join_texts_equals_a_plain_join(data):
    n = data.draw(st.integers(0, 30))
    parts = []
    for _ in range(data.draw(st.integers(0, 3))):
        words = data.draw(texts)
        codes = np.array(data.draw(st.lists(st.integers(-1, len(words) - 1), min_size=n,
                                            max_size=n)), dtype=np.int64)
        parts.append((codes, words))
    got = join_texts(parts, n=n)
    want = ["; ".join(w[c] for c, w in ((codes[i], w) for codes, w in parts) if c >= 0)
            for i in range(n)]
    assert [x if isinstance(x, str) else "" for x in got.tolist()] == want
    assert list(got.categories) == sorted(set(want) - {""})


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.none(), st.integers(0, 8),
                          st.floats(-1e7, 1e7, allow_nan=False).map(lambda f: round(f, 9)),
                          st.floats(-1e300, 1e300, allow_nan=False)), max_size=40))
def test_descending_order_is_a_stable_argsort(values):
    # small integers and values on the 9-decimal grid take the one-integer sort; others
    # (off the grid, too large) the sort with its ties put back in position order
    x = np.array([np.nan if v is None else float(v) for v in values])
    present = np.flatnonzero(~np.isnan(x))
    want = present[np.argsort(-x[present], kind="stable")]
    assert descending_order(x).tolist() == want.tolist()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.integers(0, 6)), max_size=40))
def test_percentile_from_ranks_equals_the_sorted_search(values):
    score = np.array([np.nan if v is None else float(v) for v in values])
    graded = ~np.isnan(score)
    lower = np.array([(score[graded] < s).sum() for s in score[graded]], dtype=float)
    want = np.full(score.size, np.nan)
    want[graded] = 100.0 * lower / max(int(graded.sum()), 1)
    np.testing.assert_array_equal(_percentile_kernel(score, rank_scores(score)), want)
    np.testing.assert_array_equal(_percentile_kernel(score), want)


def test_categoricals_from_codes():
    cat = text_categorical(np.array([2, 0, -1, 2]), ["z", "", "a"])
    assert cat.codes.tolist() == [0, 1, -1, 0]
    assert list(cat.categories) == ["a", "z"]
    labels = label_categorical(np.array([3, -1, 0]), ["特级", "一级", "二级", "三级"])
    assert list(labels.categories) == ["特级", "一级", "二级", "三级"]
    assert labels.codes.tolist() == [3, -1, 0]


def test_ids_sorted_unique():
    assert ids_sorted_unique(pd.Index(["a", "b"], dtype="str"))
    assert not ids_sorted_unique(pd.Index(["b", "a"], dtype="str"))
    assert not ids_sorted_unique(pd.Index(["a", None, "c"], dtype="str"))
    assert not ids_sorted_unique(pd.Index(["a", 1], dtype=object))
