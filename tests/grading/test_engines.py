"""The whole grade on DuckDB and Spark: the same grades as polars, and no full collect.

The bundled sample (data/samples/2022-2024, with the demo treatments of the Makefile) is
graded on polars (the reference), on DuckDB and on Spark in local mode; the grades must be
the same: byte-identical tier columns, scores equal to 1e-9, the same reasons.  Each run
also records every frame that reaches Python and demands that none has more rows than
there are customers (the monthly table has 34 times as many): the checks and the
indicators run on the engine and only aggregates and the per-customer table come back.

One Spark session serves the file (it costs 10-20 s to start).
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import custvalue
from custvalue.cli import EXIT_BAD_INPUT, app
from custvalue.inputs.engines import read_native
from custvalue.inputs.io import find_tables

sys.path.insert(0, str(Path(__file__).parents[1] / "indicators"))  # --import-mode=importlib
from test_indicator_values import _spark

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "samples" / "2022-2024"
TREAT = {"duplicates": "last", "negative_energy": "allow"}
TABLES = find_tables(SAMPLE)
N_CUSTOMERS = pl.scan_csv(TABLES["customers"]).select(pl.len()).collect().item()
N_MONTHLY = pl.scan_csv(TABLES["monthly"]).select(pl.len()).collect().item()
runner = CliRunner()


@pytest.fixture(scope="module")
def reference() -> custvalue.Grading:
    """The sample graded on polars from its CSV files."""
    return custvalue.grade(**{k: str(v) for k, v in TABLES.items()}, **TREAT)


def assert_same_grades(got: custvalue.Grading, want: custvalue.Grading) -> None:
    a, b = want.table, got.table
    assert a.index.equals(b.index)
    for col in ("tier", "tier_zh", "tier_en"):  # byte-identical tiers
        assert a[col].astype(str).str.cat(sep="\n").encode() == \
            b[col].astype(str).str.cat(sep="\n").encode(), col
        assert a[col].dtype == b[col].dtype, col
    np.testing.assert_allclose(b["score"].to_numpy(float), a["score"].to_numpy(float),
                               rtol=0, atol=1e-9)
    assert a["score"].isna().equals(b["score"].isna())
    pd.testing.assert_series_equal(a["reason"].astype(str), b["reason"].astype(str))
    pd.testing.assert_series_equal(a["graded"], b["graded"])
    assert want.findings == got.findings


def test_sample_is_bigger_than_one_row_per_customer():
    assert N_MONTHLY > 10 * N_CUSTOMERS  # else the row-count tests below prove nothing


# ----------------------------------------------------------------------------------------
# polars: a LazyFrame in, no collect of the monthly rows
# ----------------------------------------------------------------------------------------


def test_polars_lazy_grade_collects_no_frame_longer_than_the_register(reference, monkeypatch):
    heights: list[int] = []
    original = pl.LazyFrame.collect

    def spy(self, *args, **kwargs):
        out = original(self, *args, **kwargs)
        if isinstance(out, pl.DataFrame):
            heights.append(out.height)
        return out

    monkeypatch.setattr(pl.LazyFrame, "collect", spy)
    lazy = {k: pl.scan_csv(v, infer_schema=False) for k, v in TABLES.items()}
    got = custvalue.grade(**lazy, **TREAT)
    monkeypatch.undo()
    assert heights, "the spy saw no collect"
    assert max(heights) <= N_CUSTOMERS, sorted(heights)[-5:]
    assert_same_grades(got, reference)


# ----------------------------------------------------------------------------------------
# DuckDB
# ----------------------------------------------------------------------------------------


def test_duckdb_grades_as_polars_and_collects_no_monthly_rows(reference, monkeypatch):
    duckdb = pytest.importorskip("duckdb")
    import narwhals as nw

    heights: list[int] = []
    original = nw.LazyFrame.collect

    def spy(self, *args, **kwargs):
        out = original(self, *args, **kwargs)
        heights.append(len(out))
        return out

    monkeypatch.setattr(nw.LazyFrame, "collect", spy)
    con = duckdb.connect()
    frames = {k: read_native(v, k, "duckdb", context=con) for k, v in TABLES.items()}
    got = custvalue.grade(**frames, **TREAT)
    monkeypatch.undo()
    assert heights and max(heights) <= N_CUSTOMERS, sorted(heights)[-5:]
    assert_same_grades(got, reference)


# ----------------------------------------------------------------------------------------
# Spark (local mode, one session for the file)
# ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def spark():
    """The one local Spark session of this test process (``test_indicator_values._spark``,
    shared with the indicator tests: not stopped here)."""
    pytest.importorskip("pyspark")
    return _spark()


@pytest.mark.spark
@pytest.mark.slow
def test_spark_grades_as_polars_and_collects_no_monthly_rows(reference, spark, monkeypatch):
    frames = {k: read_native(v, k, "spark", context=spark) for k, v in TABLES.items()}
    # the concrete class (Spark 4: pyspark.sql.classic.dataframe.DataFrame) defines the actions
    DataFrame = type(frames["monthly"])
    pulled: list[tuple[str, int]] = []
    for method in ("collect", "toArrow", "toPandas", "take", "head", "tail",
                   "toLocalIterator"):
        original = getattr(DataFrame, method)

        def spy(self, *args, _original=original, _name=method, **kwargs):
            out = _original(self, *args, **kwargs)
            try:
                pulled.append((_name, len(out)))
            except TypeError:
                pulled.append((_name, 1))
            return out

        monkeypatch.setattr(DataFrame, method, spy)
    got = custvalue.grade(**frames, **TREAT)
    monkeypatch.undo()
    assert pulled, "the spy saw no action"
    assert max(n for _, n in pulled) <= N_CUSTOMERS, sorted(pulled, key=lambda p: p[1])[-5:]
    assert_same_grades(got, reference)


# ----------------------------------------------------------------------------------------
# the command line
# ----------------------------------------------------------------------------------------


def test_cli_engine_duckdb_writes_the_same_grades(reference, tmp_path):
    pytest.importorskip("duckdb")
    out = tmp_path / "g"
    result = runner.invoke(app, ["grade", "--data", str(SAMPLE), "--duplicates", "last",
                                 "--negative-energy", "allow", "--engine", "duckdb",
                                 "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    written = pd.read_parquet(out / "grades.parquet")
    assert written["tier"].astype(str).tolist() == reference.table["tier"].astype(str).tolist()


def test_cli_unknown_engine_exits_2_naming_the_choices(tmp_path):
    result = runner.invoke(app, ["grade", "--data", str(SAMPLE), "--engine", "presto",
                                 "--out", str(tmp_path / "g")])
    assert result.exit_code == 2
    text = " ".join(re.sub("[│╭╮╰╯─]", " ", result.output).split())
    assert "presto" in text and "'polars', 'duckdb', 'spark'" in text


def test_cli_spark_missing_is_a_clear_input_error(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyspark", None)
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    result = runner.invoke(app, ["grade", "--data", str(SAMPLE), "--engine", "spark",
                                 "--out", str(tmp_path / "g")])
    assert result.exit_code == EXIT_BAD_INPUT
    text = " ".join(result.output.split())
    assert "needs PySpark" in text and "pip install" in text
    assert not (tmp_path / "g").exists()


def test_cli_engine_refuses_options_of_the_polars_reader(tmp_path):
    result = runner.invoke(app, ["grade", "--data", str(SAMPLE), "--engine", "duckdb",
                                 "--encoding", "gbk", "--out", str(tmp_path / "g")])
    assert result.exit_code == EXIT_BAD_INPUT
    assert "--encoding" in result.output and "--engine polars" in " ".join(
        result.output.split())


def test_native_reader_refuses_excel(tmp_path):
    from custvalue.errors import UnsupportedInputError

    path = tmp_path / "customers.xlsx"
    path.write_bytes(b"")
    with pytest.raises(UnsupportedInputError, match="Parquet and CSV"):
        read_native(path, "customers", "duckdb")


# ----------------------------------------------------------------------------------------
# the same values and findings as the parser, read natively or by the parser on the engine
# ----------------------------------------------------------------------------------------

#: Cells of each kind that the engines read natively (FAST_PATTERNS), with their traps:
#: calendar days (29 February of leap and common years, centuries), overflow to inf.
NATIVE_CELLS = {
    "float": ["1.5", "-0", "0.1", "12.50", "1e3", "-2.5E-3", "1e400", "007", None],
    "int": ["2024", "-3", "007", "123456789012345", None],
    "date": ["2024-09-05", "2024-02-29", "2000-02-29", "2024-12-31", "2024-04-30", None],
    "month": ["2024-09", "2024-12", "1999-01", None],
}
#: Cells in other forms (and days not in the calendar): the column goes to the parser.
OTHER_CELLS = {"float": [" 1.5 ", "inf", "NaN", "12,5", "", "1d"],
               "int": ["12.0", "12.5", " 7 "],
               "date": ["2024/9/5", "20240905", "2024年9月5日", "2024-09-05 13:45", "x",
                        "2023-02-29", "1900-02-29", "2024-04-31", "2024-00-10"],
               "month": ["2024/9", "202409", "2024-09-17", "2024年9月", "2024-13",
                         "2024-00"]}
COLUMN = {"float": ("monthly", "active_kwh"), "int": ("energy", "year"),
          "date": ("monthly", "due_date"), "month": ("monthly", "period")}


def _parsed_by_engine(cells: list[str | None], kind: str, con) -> tuple[list, list, tuple]:
    import narwhals as nw

    from custvalue.inputs.engines import prepare, release

    table, name = COLUMN[kind]
    rel = con.from_arrow(pl.DataFrame({"customer_id": ["C1"] * len(cells), name: cells},
                                      schema={"customer_id": pl.String, name: pl.String})
                         .to_arrow())
    prepared = prepare(rel, table)
    out = nw.from_native(prepared.typed).collect(backend="polars").to_native().sort("_row")
    release(prepared)
    return out[name].to_list(), out[f"_bad_{name}"].to_list(), prepared.parsed_in_python


@pytest.mark.parametrize("kind", list(NATIVE_CELLS))
def test_duckdb_reads_canonical_text_natively_as_the_parser(kind):
    duckdb = pytest.importorskip("duckdb")
    from custvalue.inputs.parse import parse_series, unreadable_series

    con = duckdb.connect()
    cells = NATIVE_CELLS[kind]
    src = pl.Series(cells, dtype=pl.String)
    values, bad, python = _parsed_by_engine(cells, kind, con)
    assert python == ()  # no cell needed the parser
    assert values == parse_series(src, kind).to_list()
    assert bad == unreadable_series(src, kind).to_list()
    values, bad, python = _parsed_by_engine(cells + OTHER_CELLS[kind], kind, con)
    assert python == (COLUMN[kind][1],)  # the parser read the column
    src = pl.Series(cells + OTHER_CELLS[kind], dtype=pl.String)
    assert values == parse_series(src, kind).to_list()
    assert bad == unreadable_series(src, kind).to_list()


@given(st.lists(st.dates(min_value=dt.date(1000, 1, 1)), min_size=1, max_size=20),
       st.lists(st.floats(allow_nan=False, allow_infinity=False, width=64), min_size=1,
                max_size=20))
@settings(max_examples=40, deadline=None)
def test_native_dates_and_numbers_are_the_parsers(days, numbers):
    duckdb = pytest.importorskip("duckdb")
    from custvalue.inputs.parse import parse_series

    con = duckdb.connect()
    for kind, cells in (("date", [d.isoformat() for d in days]),
                        ("float", [repr(x) for x in numbers])):
        values, _, python = _parsed_by_engine(cells, kind, con)
        if python == ():  # repr gives 1e-05 (native) or 1e+20 (the parser's: '+')
            assert values == parse_series(pl.Series(cells), kind).to_list()


def _messy_tables(folder: Path) -> dict[str, Path]:
    """Small text tables with a cell of each kind of trouble (and a form only the parser
    reads), written as CSV."""
    customers = pl.DataFrame({
        "customer_id": ["C1", "C2", "C3", "C3"], "customer_class": ["residential"] * 4,
        "contract_kva": ["8", "8.5", "x", "9"], "voltage_kv": ["0.22"] * 4,
        "industry": ["household"] * 4, "region": ["north"] * 4,
        "opened": ["2020-01-01", "2020/2/3", "2024-01-01", "2020-01-01"]})
    monthly = pl.DataFrame({
        "customer_id": ["C1", "C1", "C1", "C2", "C9", "C2"],
        "period": ["2024-01", "2024-01", "2024/2", "2024-01", "2024-01", "2024-13"],
        "active_kwh": ["100", "100", "-5", " 7.5 ", "1", "n/a"],
        "reactive_kvarh": ["1", None, "0", "2", None, "1"],
        "billed_amount": ["55", "55", "1e400", "3", "1", "2"],
        "due_date": ["2024-02-20", "2024-02-20", "20240320", "2023-12-01", "2024-02-20",
                     "2024-02-30"],
        "paid_date": ["2024-02-10", None, "2024-03-01", "2024-02-01", None, None],
        "paid_amount": ["55", None, "1", None, None, None]})
    paths = {"customers": folder / "customers.csv", "monthly": folder / "monthly.csv"}
    customers.write_csv(paths["customers"])
    monthly.write_csv(paths["monthly"])
    return paths


def _findings(report) -> list[dict]:
    return [f.model_dump() for f in report.findings]


def test_duckdb_checks_messy_text_as_polars(tmp_path):
    duckdb = pytest.importorskip("duckdb")
    paths = _messy_tables(tmp_path)
    want = custvalue.check_tables(**{k: str(v) for k, v in paths.items()})
    assert {f.code for f in want.findings} >= {"not_numeric", "not_date", "duplicate_key",
                                               "unknown_customer", "negative_energy"}
    con = duckdb.connect()
    got = custvalue.check_tables(**{k: read_native(v, k, "duckdb", context=con)
                                    for k, v in paths.items()})
    assert _findings(got) == _findings(want)
    assert got.row_counts == want.row_counts


@pytest.mark.spark
def test_spark_checks_messy_text_as_polars(tmp_path, spark):
    """The parser itself runs in Spark's Python workers (mapInArrow) for these columns."""
    paths = _messy_tables(tmp_path)
    want = custvalue.check_tables(**{k: str(v) for k, v in paths.items()})
    got = custvalue.check_tables(**{k: read_native(v, k, "spark", context=spark)
                                    for k, v in paths.items()})
    assert _findings(got) == _findings(want)
