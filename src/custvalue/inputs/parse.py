"""The one parser of input values: one polars expression per column kind.

Every table custvalue reads goes through these expressions once, in
:func:`custvalue.inputs.io.scan_typed`; the checks (:mod:`custvalue.inputs.checks`) and the
indicators (:mod:`custvalue.indicators`) both consume the typed plan, so a value the checks
accept is the value the indicators use.

Accepted spellings (surrounding blanks and quotes ``"`` ``'`` are ignored everywhere):

========  ==================================================================================
kind      accepted
========  ==================================================================================
``str``   any text; numbers given for text (an id column stored as integers) become their
          decimal digits (``1234.0`` becomes ``"1234"``); leading zeros of text survive
``float`` ``12``, ``-1.5``, ``1e3``; empty, ``""`` and the text ``NaN`` are missing;
          ``inf`` / ``-inf`` and anything else (``12,5``, ``n/a``) is unreadable
``int``   as ``float``, and the value must be a whole number
``date``  ``YYYY-MM-DD``, ``YYYY/MM/DD``, ``YYYY.MM.DD`` (month and day may have one digit:
          ``2024/9/5``), ``YYYYMMDD`` (text or an 8-digit integer), ``YYYY年M月D日``, each
          optionally followed by a time ``HH:MM[:SS[.fff]]`` (after a blank or ``T``),
          which is dropped; native dates and datetimes
``month`` ``YYYY-MM``, ``YYYY/MM``, ``YYYY.MM`` (``2024-9`` is September), ``YYYYMM`` (text
          or a 6-digit integer), ``YYYY年M月``, or any accepted date (its month is used);
          read as the first day of the month
========  ==================================================================================

Text stored as categories (a polars ``Categorical`` / ``Enum`` or a pandas ``category``
column) is read as its text.

Excel serial day numbers (``45292``) are *not* read as dates: an integer in a date column
must be ``YYYYMMDD`` (Excel date cells themselves arrive as dates and are read).

Examples
--------
>>> import polars as pl
>>> from custvalue.inputs.parse import parse_expr
>>> lf = pl.LazyFrame({"d": ["2024-09-05", "2024/9/5", "20240905", "2024-09-05 13:45:00",
...                          "2024年9月5日", "2024-02-30", None]})
>>> lf.select(parse_expr("d", "date")).collect()["d"].to_list()  # doctest: +ELLIPSIS
[datetime.date(2024, 9, 5), datetime.date(2024, 9, 5), ..., None, None]
>>> lf = pl.LazyFrame({"p": ["2024-9", "202409", "2024/09", "2024-09-17", "2024-12"]})
>>> [f"{d:%Y-%m}" for d in lf.select(parse_expr("p", "month")).collect()["p"]]
['2024-09', '2024-09', '2024-09', '2024-09', '2024-12']
"""

from __future__ import annotations

from typing import Any

import polars as pl

__all__ = ["MISSING_TEXT", "STRIP_CHARS", "given_series", "parse_expr", "parse_series",
           "unreadable_expr", "unreadable_parsed_expr", "unreadable_series"]

#: Text that means "no value" in a number column (compared case-insensitively, stripped).
MISSING_TEXT: tuple[str, ...] = ("", "nan")

#: The characters stripped from both ends of a text cell (blanks and quotes).
STRIP_CHARS = " \t\r\n\"'"
_STRIP = STRIP_CHARS
_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d*)?)?)?"
_DATE_SEP = r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})" + _TIME + "$"
_DATE_ZH = r"^(\d{4})年(\d{1,2})月(\d{1,2})日" + _TIME + "$"
_DATE_COMPACT = r"^(\d{4})(\d{2})(\d{2})$"
_MONTH_SEP = r"^(\d{4})[-/.](\d{1,2})$"
_MONTH_ZH = r"^(\d{4})年(\d{1,2})月$"
_MONTH_COMPACT = r"^(\d{4})(\d{2})$"


def _ymd(text: pl.Series, pattern: str, day: bool = True) -> pl.Series:
    """Date from a regex with year, month (and day) groups, validated by the calendar."""
    parts = pl.DataFrame({"p": text.str.extract_groups(pattern)}).unnest("p")
    iso = parts.select(pl.concat_str([
        pl.col("1"), pl.lit("-"), pl.col("2").str.zfill(2), pl.lit("-"),
        pl.col("3").str.zfill(2) if day else pl.lit("01"),
    ])).to_series()
    return iso.str.to_date("%Y-%m-%d", strict=False)


def _slow_date(text: pl.Series) -> pl.Series:
    out = _ymd(text, _DATE_SEP)
    for pattern in (_DATE_COMPACT, _DATE_ZH):
        out = out.fill_null(_ymd(text, pattern))
    return out


def _slow_month(text: pl.Series) -> pl.Series:
    out = _ymd(text, _MONTH_SEP, day=False)
    for pattern in (_MONTH_COMPACT, _MONTH_ZH):
        out = out.fill_null(_ymd(text, pattern, day=False))
    return out.fill_null(_slow_date(text).dt.truncate("1mo"))


def _parse_text(src: pl.Series, kind: str) -> pl.Series:
    """Parse text: the ISO form in one pass, the other forms only for the cells it missed
    (clean data costs one ``to_date``; 10M cells ~0.6 s)."""
    out = src.str.to_date("%Y-%m" if kind == "month" else "%Y-%m-%d", strict=False)
    missed = (out.is_null() & src.is_not_null()).arg_true()
    if len(missed):
        text = src.gather(missed).str.strip_chars(_STRIP)
        retry = _slow_month(text) if kind == "month" else _slow_date(text)
        out = out.scatter(missed, retry)
    return out


def _numeric_text(src: pl.Series) -> pl.Series:
    """Integers and whole floats as their digits (an id or YYYYMMDD stored as a number)."""
    if src.dtype.is_float():
        whole = src.is_finite() & (src == src.floor())
        return pl.select(pl.when(whole).then(src.cast(pl.Int64, strict=False).cast(pl.String))
                         .otherwise(src.cast(pl.String))).to_series().alias(src.name)
    return src.cast(pl.String)


def parse_series(src: pl.Series, kind: str) -> pl.Series:
    """The series parsed as the contract ``kind`` (see :func:`parse_expr`).

    Examples
    --------
    >>> import polars as pl
    >>> parse_series(pl.Series(["2024-9", "202410", "2024/11/30", "x"]), "month").to_list()
    [datetime.date(2024, 9, 1), datetime.date(2024, 10, 1), datetime.date(2024, 11, 1), None]
    """
    dtype = src.dtype
    if isinstance(dtype, pl.Categorical | pl.Enum):  # text stored as categories
        src = src.cast(pl.String)
        dtype = src.dtype
    if kind == "str":
        if dtype == pl.String:
            return src.str.strip_chars(_STRIP)
        if dtype.is_numeric():
            return _numeric_text(src)
        return src.cast(pl.String)
    if kind in ("float", "int"):
        if dtype == pl.String:
            value = src.cast(pl.Float64, strict=False)
            missed = (value.is_null() & src.is_not_null()).arg_true()
            if len(missed):  # strip blanks and quotes only where the plain cast failed
                retry = src.gather(missed).str.strip_chars(_STRIP).cast(pl.Float64,
                                                                        strict=False)
                value = value.scatter(missed, retry)
        elif dtype.is_numeric() or dtype in (pl.Boolean, pl.Null):
            value = src.cast(pl.Float64)
        else:
            value = pl.Series(src.name, [None] * len(src), dtype=pl.Float64)
        value = value.set(~value.is_finite().fill_null(False), None)  # nan, inf -> null
        if kind == "int":
            value = value.set(value != value.floor(), None).cast(pl.Int64)
        return value.alias(src.name)
    if kind not in ("date", "month"):
        raise ValueError(f"unknown column kind {kind!r}")
    if dtype == pl.Date:
        day = src
    elif isinstance(dtype, pl.Datetime):
        day = src.dt.date()
    elif dtype == pl.String:
        return _parse_text(src, kind).alias(src.name)
    elif dtype.is_numeric():
        return _parse_text(_numeric_text(src), kind).alias(src.name)
    elif dtype == pl.Null:
        day = src.cast(pl.Date)
    else:
        day = pl.Series(src.name, [None] * len(src), dtype=pl.Date)
    return (day.dt.truncate("1mo") if kind == "month" else day).alias(src.name)


def given_series(src: pl.Series) -> pl.Series:
    """Whether each cell holds a value (not null, not blank text, not ``NaN``)."""
    if src.dtype == pl.String:
        text = src.str.strip_chars(_STRIP).str.to_lowercase()
        return src.is_not_null() & ~text.is_in(list(MISSING_TEXT))
    if src.dtype.is_float():
        return src.is_not_null() & ~src.is_nan()
    return src.is_not_null()


def unreadable_series(src: pl.Series, kind: str) -> pl.Series:
    """Cells holding a value the parser cannot read as ``kind``."""
    if kind == "str":
        return pl.Series(src.name, [False] * len(src), dtype=pl.Boolean)
    return _unreadable_pair(parse_series(src, kind), src).alias(src.name)


def _unreadable_pair(parsed: pl.Series, src: pl.Series) -> pl.Series:
    bad = parsed.is_null() & src.is_not_null()
    if bad.any():  # strip and compare only the few cells that did not parse
        idx = bad.arg_true()
        bad = bad.scatter(idx, given_series(src.gather(idx)))
    return bad


def unreadable_parsed_expr(parsed: str, raw: str, dtype: Any = None) -> pl.Expr:
    """:func:`unreadable_expr` from a column already parsed (``parsed``) and its raw cells
    (``raw``): the same flags without parsing the column a second time.

    ``dtype``, the raw column's type when known: a column that arrives typed (numbers,
    dates) is flagged by a native expression, text on the batches (a blank cell is empty,
    not unreadable, and only the cells that did not parse are stripped to tell).

    Examples
    --------
    >>> import polars as pl
    >>> lf = pl.LazyFrame({"x": ["1", "", "inf", "12,5", None]})
    >>> lf = lf.with_columns(pl.col("x").alias("raw"), parse_expr("x", "float"))
    >>> lf.select(unreadable_parsed_expr("x", "raw")).collect()["x"].to_list()
    [False, False, True, True, False]
    >>> lf = pl.LazyFrame({"x": [1.0, float("inf"), float("nan"), None, 2.5]})
    >>> lf = lf.with_columns(pl.col("x").alias("raw"), parse_expr("x", "int", pl.Float64))
    >>> lf.select(unreadable_parsed_expr("x", "raw", pl.Float64)).collect()["x"].to_list()
    [False, True, False, False, True]
    """
    if dtype is not None and not isinstance(dtype, pl.Categorical | pl.Enum) and (
            dtype.is_numeric() or dtype in (pl.Boolean, pl.Null, pl.Date)
            or isinstance(dtype, pl.Datetime)):
        # given_series of a typed cell: not null, and not NaN for a float
        given = pl.col(raw).is_not_null()
        if dtype.is_float():
            given = given & pl.col(raw).is_not_nan()
        return (pl.col(parsed).is_null() & given).alias(parsed)
    return pl.struct(pl.col(parsed).alias("p"), pl.col(raw).alias("r")).map_batches(
        lambda s: _unreadable_pair(s.struct.field("p"), s.struct.field("r")),
        return_dtype=pl.Boolean, is_elementwise=True).alias(parsed)


def parse_expr(name: str, kind: str, dtype: Any = None) -> pl.Expr:
    """The column ``name`` parsed as the contract ``kind``: an expression for lazy plans.

    ``kind`` is ``str``, ``float``, ``int``, ``date`` or ``month``; the result is
    ``String``, ``Float64``, ``Int64`` or ``Date`` (a month as its first day).  Unreadable
    cells become null: :func:`unreadable_expr` finds them.  ``dtype``, the column's type
    when known (:func:`custvalue.inputs.io.type_plan` passes it), lets columns that
    arrive typed (numbers, dates: Parquet, frames) and text ids be parsed by native polars
    expressions with the same result as :func:`parse_series`, which runs on the batches
    otherwise (half the CPU time for the float columns of a Parquet file).

    Examples
    --------
    >>> import polars as pl
    >>> lf = pl.LazyFrame({"x": [' "1.5" ', "", "NaN", "inf", "12,5", None]})
    >>> lf.select(parse_expr("x", "float")).collect()["x"].to_list()
    [1.5, None, None, None, None, None]
    >>> pl.LazyFrame({"id": [7.0, None]}).select(parse_expr("id", "str")
    ...     ).collect()["id"].to_list()
    ['7', None]
    """
    native = _native_expr(name, kind, dtype)
    if native is not None:
        return native.alias(name)
    return pl.col(name).map_batches(lambda s: parse_series(s, kind),
                                    return_dtype=_RESULT[kind], is_elementwise=True).alias(name)


def _native_expr(name: str, kind: str, dtype: Any) -> pl.Expr | None:
    """:func:`parse_series` as a native expression for the types where it needs no text
    parsing (None: use the batch function)."""
    if dtype is None or kind not in _RESULT:
        return None
    col = pl.col(name)
    if kind == "str":
        return col.str.strip_chars(_STRIP) if dtype == pl.String else None
    if kind in ("float", "int"):
        if not (dtype.is_numeric() or dtype in (pl.Boolean, pl.Null)):
            return None
        value = col.cast(pl.Float64)
        ok = value.is_finite()
        if kind == "float":
            return pl.when(ok).then(value)
        return pl.when(ok & (value == value.floor())).then(value).cast(pl.Int64)
    if dtype == pl.Date:
        day = col
    elif isinstance(dtype, pl.Datetime):
        day = col.dt.date()
    elif dtype == pl.Null:
        day = col.cast(pl.Date)
    else:
        return None
    return day.dt.truncate("1mo") if kind == "month" else day


def unreadable_expr(name: str, kind: str, dtype: Any = None) -> pl.Expr:
    """Cells that hold a value the parser cannot read as ``kind`` (true = unreadable).

    Examples
    --------
    >>> import polars as pl
    >>> lf = pl.LazyFrame({"x": ["1", "", "inf", "12,5", None]})
    >>> lf.select(unreadable_expr("x", "float")).collect()["x"].to_list()
    [False, False, True, True, False]
    """
    return pl.col(name).map_batches(lambda s: unreadable_series(s, kind),
                                    return_dtype=pl.Boolean, is_elementwise=True).alias(name)


_RESULT = {"str": pl.String, "float": pl.Float64, "int": pl.Int64, "date": pl.Date,
           "month": pl.Date}
