"""Shared pieces of the database tests: the bundled sample, graded from CSV as the reference,
and a loader that writes its tables into a database."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import polars as pl
import pytest

import custvalue
from custvalue.grading import Grading
from custvalue.inputs.contract import TABLES
from custvalue.inputs.database import connect

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "samples" / "2022-2024"
#: The demo's treatments (Makefile TREAT): the sample has duplicated months and corrections.
TREAT = {"duplicates": "last", "negative_energy": "allow"}
TREAT_CLI = ["--duplicates", "last", "--negative-energy", "allow"]


def load_sample(uri: str, *, names: dict[str, str] | None = None,
                renames: dict[str, dict[str, str]] | None = None,
                parse_dates: bool = False) -> None:
    """Write the sample's five CSV tables into the database at ``uri`` (replacing them).

    ``names`` renames tables, ``renames`` columns (as an export would call them);
    ``parse_dates`` stores dates as DATE columns (else as text, as in the CSV).
    """
    names, renames = names or {}, renames or {}
    with connect(uri, create=True) as conn:
        for table in TABLES:
            frame = pl.read_csv(SAMPLE / f"{table}.csv", infer_schema_length=None,
                                schema_overrides={"customer_id": pl.String})
            if parse_dates:  # (polars' try_parse_dates costs seconds here)
                dates = [c.name for c in TABLES[table].columns if c.dtype == "date"
                         and frame.schema.get(c.name) == pl.String]
                frame = frame.with_columns(pl.col(dates).str.to_date("%Y-%m-%d"))
            frame = frame.rename(renames.get(table, {}))
            frame.write_database(names.get(table, table), conn, engine="adbc",
                                 if_table_exists="replace")
        conn.commit()


@pytest.fixture(scope="module")
def csv_grading() -> Grading:
    """The sample graded from its CSV files: what every database read must reproduce."""
    return custvalue.grade(**{t: SAMPLE / f"{t}.csv" for t in TABLES}, **TREAT)


def assert_same_grades(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    """Identical tiers and graded flags, equal scores, the same customers in the same order."""
    assert list(got.index) == list(expected.index)
    pd.testing.assert_series_equal(got["tier"].astype("Int64"), expected["tier"])
    pd.testing.assert_series_equal(got["graded"].astype(bool), expected["graded"])
    pd.testing.assert_series_equal(got["score"], expected["score"], check_exact=False,
                                   rtol=0, atol=1e-9)


@pytest.fixture(scope="module")
def sample_loader() -> Callable[..., None]:
    """:func:`load_sample`."""
    return load_sample


@pytest.fixture(scope="module")
def same_grades() -> Callable[[pd.DataFrame, pd.DataFrame], None]:
    """:func:`assert_same_grades`."""
    return assert_same_grades
