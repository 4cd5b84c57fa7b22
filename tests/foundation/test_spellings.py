"""The same tables written in many spellings grade identically.

Hypothesis draws a date style, a month style, a file form (CSV, Parquet, Excel), an
encoding and quoting for CSV, a column order, and whether the columns and class/kind
values are the export's own (Chinese) names read through the example mapping; the grades
must equal those of the plain tables.
"""

from __future__ import annotations

import csv
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import custvalue
from custvalue.inputs.mapping import Mapping

MAPPING = Path(__file__).parents[2] / "data" / "samples" / "mapping.example.toml"
TREAT = {"duplicates": "sum", "negative_energy": "allow"}
DATE_COLUMNS = {"customers": ["opened", "closed"], "monthly": ["due_date", "paid_date"],
                "events": ["date"], "cooperation": ["date"]}
DATE_STYLES = {
    "iso": "%Y-%m-%d", "compact": "%Y%m%d", "slash": "%Y/%m/%d", "time": "%Y-%m-%d %H:%M:%S",
    "zh": "%Y年%m月%d日", "dots": "%Y.%m.%d",
}
MONTH_STYLES = {"iso": "%Y-%m", "compact": "%Y%m", "slash": "%Y/%m", "zh": "%Y年%m月"}


@pytest.fixture(scope="module")
def base() -> dict[str, pd.DataFrame]:
    return custvalue.samples.generate(30, months=24, seed=11)


@pytest.fixture(scope="module")
def reference(base) -> custvalue.Grading:
    return custvalue.grade(**{k: v.copy() for k, v in base.items()}, **TREAT)


def respell(tables: dict[str, pd.DataFrame], date_style: str, month_style: str,
            short_month: bool) -> dict[str, pd.DataFrame]:
    out = {}
    for name, frame in tables.items():
        frame = frame.copy()
        for column in DATE_COLUMNS.get(name, []):
            d = pd.to_datetime(frame[column])
            frame[column] = d.dt.strftime(DATE_STYLES[date_style]).where(d.notna(), None)
        if name == "monthly":
            p = pd.to_datetime(frame["period"] + "-01")
            frame["period"] = (p.dt.year.astype(str) + "-" + p.dt.month.astype(str)
                               if short_month else p.dt.strftime(MONTH_STYLES[month_style]))
        out[name] = frame
    return out


def to_export(tables: dict[str, pd.DataFrame], mapping: Mapping) -> dict[str, pd.DataFrame]:
    out = {}
    for name, frame in tables.items():
        entry = mapping.table(name)
        back = {v: k for k, v in mapping.renames(name).items()}
        frame = frame.copy()
        for column, values in entry.values.items():
            frame[column] = frame[column].replace({v: k for k, v in values.items()})
        out[name] = frame.rename(columns=back)
    return out


@settings(max_examples=6, deadline=None, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(date_style=st.sampled_from(sorted(DATE_STYLES)),
       month_style=st.sampled_from(sorted(MONTH_STYLES)), short_month=st.booleans(),
       form=st.sampled_from(["csv", "csv", "parquet", "xlsx"]),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "gbk", "gb18030"]),
       quote_all=st.booleans(), mapped=st.booleans(), order_seed=st.integers(0, 1000))
def test_same_grades_in_every_spelling(base, reference, date_style, month_style, short_month,
                                       form, encoding, quote_all, mapped, order_seed):
    tables = respell(base, date_style, month_style, short_month)
    mapping = Mapping.load(MAPPING) if mapped else None
    if mapping is not None:
        tables = to_export(tables, mapping)
    rng = np.random.default_rng(order_seed)
    folder = Path(tempfile.mkdtemp(prefix="custvalue-spell-"))
    try:
        paths = {}
        for name, frame in tables.items():
            frame = frame[list(rng.permutation(frame.columns))]
            path = folder / f"{name}.{form}"
            if form == "csv":
                kwargs = {"quoting": csv.QUOTE_ALL} if quote_all else {}
                # the example mapping names the encoding of its files: gbk
                frame.to_csv(path, index=False, encoding="gbk" if mapped else encoding,
                             **kwargs)
            elif form == "parquet":
                frame.astype({c: "string" for c in frame.columns if frame[c].dtype == object}
                             ).to_parquet(path)
            else:
                frame.to_excel(path, index=False)
            paths[name] = path
        got = custvalue.grade(**paths, mapping=mapping, **TREAT)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    a, b = reference.table, got.table
    assert a.index.tolist() == b.index.tolist()
    assert a["tier"].tolist() == b["tier"].tolist()
    assert np.allclose(a["score"].to_numpy(dtype=float), b["score"].to_numpy(dtype=float),
                       equal_nan=True, rtol=0, atol=1e-9)
