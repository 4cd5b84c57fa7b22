"""The one parser (custvalue.inputs.parse) against a plain-Python reading of every
documented spelling."""

from __future__ import annotations

import datetime as dt
import re

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from custvalue.inputs.parse import parse_series, unreadable_series

SPELLINGS = {
    "iso": lambda d: f"{d:%Y-%m-%d}",
    "slash": lambda d: f"{d.year}/{d.month}/{d.day}",
    "dots": lambda d: f"{d.year}.{d.month:02d}.{d.day:02d}",
    "compact": lambda d: f"{d:%Y%m%d}",
    "time": lambda d: f"{d:%Y-%m-%d} 13:45:00",
    "iso_t": lambda d: f"{d:%Y-%m-%d}T08:00",
    "zh": lambda d: f"{d.year}年{d.month}月{d.day}日",
    "quoted": lambda d: f' "{d:%Y-%m-%d}" ',
}
MONTH_SPELLINGS = {
    "iso": lambda d: f"{d:%Y-%m}",
    "short": lambda d: f"{d.year}-{d.month}",
    "compact": lambda d: f"{d:%Y%m}",
    "slash": lambda d: f"{d.year}/{d.month:02d}",
    "zh": lambda d: f"{d.year}年{d.month}月",
    "a_date": lambda d: f"{d:%Y-%m}-17",
}

dates = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2099, 12, 28))


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(dates, st.sampled_from(sorted(SPELLINGS))), min_size=1,
                max_size=30))
def test_every_date_spelling_reads_the_same_date(cells):
    texts = [SPELLINGS[s](d) for d, s in cells]
    got = parse_series(pl.Series("d", texts), "date").to_list()
    assert got == [d for d, _ in cells]
    months = parse_series(pl.Series("d", texts), "month").to_list()
    assert months == [d.replace(day=1) for d, _ in cells]


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(dates, st.sampled_from(sorted(MONTH_SPELLINGS))), min_size=1,
                max_size=30))
def test_every_month_spelling_reads_the_same_month(cells):
    texts = [MONTH_SPELLINGS[s](d) for d, s in cells]
    got = parse_series(pl.Series("p", texts), "month").to_list()
    assert got == [d.replace(day=1) for d, _ in cells]


def test_month_2024_9_is_september_not_before_december():
    got = parse_series(pl.Series(["2024-9", "2024-12", "2024-10"]), "month")
    assert got.max() == dt.date(2024, 12, 1)
    assert got.to_list()[0] == dt.date(2024, 9, 1)


def test_yyyymmdd_dates_are_days_not_months():
    got = parse_series(pl.Series(["20240105", "20211231"]), "date").to_list()
    assert got == [dt.date(2024, 1, 5), dt.date(2021, 12, 31)]
    got = parse_series(pl.Series([20240105, None]), "date").to_list()
    assert got == [dt.date(2024, 1, 5), None]


def test_unreadable_dates_and_months():
    texts = ["2024-02-30", "2024-13", "someday", "20/04/2024", "", None, " ", "45292"]
    bad = unreadable_series(pl.Series(texts), "date").to_list()
    assert bad == [True, True, True, True, False, False, False, True]
    assert parse_series(pl.Series(texts), "date").null_count() == len(texts)


@given(st.lists(st.one_of(st.floats(allow_nan=False, allow_infinity=False, width=32),
                          st.integers(-10**9, 10**9)), max_size=20),
       st.sampled_from(["plain", "quoted", "padded"]))
def test_numbers_in_any_quoting_read_the_same(values, style):
    fmt = {"plain": "{}", "quoted": '"{}"', "padded": "  {} "}[style]
    got = parse_series(pl.Series([fmt.format(repr(float(v))) for v in values],
                                 dtype=pl.String), "float").to_list()
    assert got == [float(v) for v in values]


def test_number_edge_cases():
    texts = ["", "NaN", "nan", "inf", "-inf", "Infinity", "12,5", "n/a", "1e3", None]
    assert parse_series(pl.Series(texts), "float").to_list() == [
        None, None, None, None, None, None, None, None, 1000.0, None]
    assert unreadable_series(pl.Series(texts), "float").to_list() == [
        False, False, False, True, True, True, True, True, False, False]
    floats = pl.Series([1.0, float("nan"), float("inf"), None])
    assert parse_series(floats, "float").to_list() == [1.0, None, None, None]
    assert unreadable_series(floats, "float").to_list() == [False, False, True, False]
    assert parse_series(pl.Series(["2024", "2024.5"]), "int").to_list() == [2024, None]


def test_ids_keep_leading_zeros_and_lose_float_tails():
    assert parse_series(pl.Series([" 007 ", '"0012"']), "str").to_list() == ["007", "0012"]
    assert parse_series(pl.Series([12.0, None]), "str").to_list() == ["12", None]
    assert parse_series(pl.Series([12, 5]), "str").to_list() == ["12", "5"]


def test_the_oracle_forms_are_documented():
    from custvalue.inputs import parse

    doc = parse.__doc__ or ""
    for needle in ("YYYYMMDD", "YYYY/MM/DD", "YYYYMM", "HH:MM", "NaN", "inf", "Excel serial"):
        assert re.search(re.escape(needle), doc), needle
