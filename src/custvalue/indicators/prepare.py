"""Typing, window filter and duplicate handling of the input tables (narwhals, lazily).

Every function takes and returns a :class:`narwhals.LazyFrame`, so the same code runs on
polars, DuckDB and PySpark.  Months become *month indices* (``year * 12 + month - 1``,
column ``_p``) and dates *epoch days* (days since 1970-01-01): integers that every backend
compares and subtracts the same way.

* ``period`` may be ``"YYYY-MM"`` (or ``"YYYY-MM-DD"``) text, a date or a datetime; the
  month it falls in is used.
* Dates may be ``"YYYY-MM-DD"`` text, dates or datetimes (the calendar date is used).
* ``customer_id`` is read as text.
* Quantities that are summed are read as integers in fixed point, rounded half up
  (:func:`fixed`): active energy and plans to the watt-hour (0.001 kWh, columns ``_kwh_m``,
  ``_plan_m``), amounts to the fen (0.01 yuan, ``_billed_c``, ``_paid_c``).  Integer sums
  do not depend on the order of the rows, so every backend and every run gives the same
  sums bit for bit (floating-point sums in parallel engines differ in the last bits).
  Reactive energy stays a float: it only enters the monthly power factor.

Examples
--------
>>> import polars as pl, narwhals as nw
>>> from custvalue.indicators.prepare import month_index_expr
>>> lf = nw.from_native(pl.LazyFrame({"period": ["2024-01", "2024-12"]}))
>>> lf.select(month_index_expr("period", nw.String)).collect()["period"].to_list()
[24288, 24299]
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import narwhals as nw

from custvalue.errors import MissingColumnError
from custvalue.indicators.window import Window
from custvalue.inputs.contract import TABLES

if TYPE_CHECKING:
    from custvalue.inputs.checks import DuplicatesTreatment

__all__ = [
    "ROW_INDEX",
    "SCALE_AMOUNT",
    "SCALE_ENERGY",
    "SCALE_FINE",
    "date_expr",
    "epoch_days",
    "fixed",
    "float_expr",
    "idiv",
    "jan1_epoch_days",
    "month_index_expr",
    "prepare_cooperation",
    "prepare_customers",
    "prepare_energy",
    "prepare_events",
    "prepare_monthly",
    "require_columns",
]

#: Name of the input-order row index added to ``monthly`` for ``duplicates="last"``.
ROW_INDEX = "_row"

#: Fixed-point scales: energy in watt-hours, amounts and late fees in fen, scores/tce in
#: millionths.
SCALE_ENERGY, SCALE_AMOUNT, SCALE_FINE = 1000, 100, 1_000_000

# Columns of the prepared monthly rows that are summed under duplicates="sum".
_MONTHLY_SUMMED = ("active_kwh", "reactive_kvarh", "reverse_kvarh",
                   "_kwh_m", "_billed_c", "_paid_c", "_plan_m")


def require_columns(frame: nw.LazyFrame, table: str) -> nw.Schema:
    """Return the schema of ``frame``; raise if a required column of ``table`` is absent.

    Raises
    ------
    MissingColumnError
        Naming the table, the missing column and the columns present.

    Examples
    --------
    >>> import polars as pl, narwhals as nw
    >>> require_columns(nw.from_native(pl.LazyFrame({"customer_id": ["C1"]})), "energy")
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    custvalue.errors.MissingColumnError: table 'energy', column 'year': required column ...
    """
    schema = frame.collect_schema()
    for column in TABLES[table].required_columns:
        if column.name not in schema:
            raise MissingColumnError(
                table, column.name, f"required column '{column.name}' is missing "
                f"(columns present: {', '.join(schema.names())})",
                fix=f"add the column '{column.name}' ({column.meaning})")
    return schema


def _is_text(dtype: Any) -> bool:
    return dtype == nw.String or dtype == nw.Categorical or dtype == nw.Enum


def month_index_expr(name: str, dtype: Any) -> nw.Expr:
    """``year * 12 + month - 1`` of the month column ``name`` (text, date or datetime).

    Examples
    --------
    >>> import polars as pl, narwhals as nw, datetime
    >>> lf = nw.from_native(pl.LazyFrame({"d": [datetime.date(1970, 1, 31)]}))
    >>> lf.select(month_index_expr("d", nw.Date)).collect()["d"].to_list()
    [23640]
    """
    col = nw.col(name)
    if _is_text(dtype):
        text = col.cast(nw.String)
        year = text.str.slice(0, 4).cast(nw.Int64)
        month = text.str.slice(5, 2).cast(nw.Int64)
    else:
        day = date_expr(name, dtype)
        year = day.dt.year().cast(nw.Int64)
        month = day.dt.month().cast(nw.Int64)
    return (year * 12 + month - 1).alias(name)


def date_expr(name: str, dtype: Any) -> nw.Expr:
    """The column ``name`` as a date (from ``YYYY-MM-DD`` text, a date or a datetime).

    Examples
    --------
    >>> import polars as pl, narwhals as nw
    >>> lf = nw.from_native(pl.LazyFrame({"d": ["2024-02-29", None]}))
    >>> lf.select(date_expr("d", nw.String)).collect()["d"].to_list()
    [datetime.date(2024, 2, 29), None]
    """
    col = nw.col(name)
    if dtype == nw.Date:
        return col
    if _is_text(dtype):
        return col.cast(nw.String).str.slice(0, 10).str.to_date("%Y-%m-%d")
    if dtype == nw.Datetime:
        return col.cast(nw.Date)
    return col.cast(nw.Date)


def epoch_days(day: nw.Expr) -> nw.Expr:
    """Days since 1970-01-01 of a date expression, by integer arithmetic only.

    ``365 (y - 1970) + leap days before y - 477 + day of year - 1``, valid for years ≥ 1
    (477 leap days fall before 1970).  Written with year and day-of-year so that it runs
    unchanged on every backend (date subtraction is not portable).

    Examples
    --------
    >>> import polars as pl, narwhals as nw, datetime
    >>> days = [datetime.date(1970, 1, 1), datetime.date(2000, 3, 1), datetime.date(2024, 12, 31)]
    >>> lf = nw.from_native(pl.LazyFrame({"d": days}))
    >>> lf.select(epoch_days(nw.col("d")).alias("e")).collect()["e"].to_list()
    [0, 11017, 20088]
    """
    y = day.dt.year().cast(nw.Int64)
    doy = day.dt.ordinal_day().cast(nw.Int64)
    return jan1_epoch_days(y) + doy - 1


def jan1_epoch_days(year: nw.Expr) -> nw.Expr:
    """Epoch days of 1 January of ``year`` (an integer expression)."""
    y1 = year - 1
    return 365 * (year - 1970) + idiv(y1, 4) - idiv(y1, 100) + idiv(y1, 400) - 477


def idiv(value: nw.Expr, k: int) -> nw.Expr:
    """``floor(value / k)`` of an integer expression and a positive integer ``k``.

    Computed as ``floor((value + 0.5) × (1 / k))``: exact for integers (the half keeps the
    quotient at least ``0.5 / k`` away from the next integer, far more than the rounding
    error) and, unlike ``//``, a plain expression on every backend (no division-by-zero
    guards, which make large query plans in Spark).

    Examples
    --------
    >>> import polars as pl, narwhals as nw
    >>> lf = nw.from_native(pl.LazyFrame({"x": [-1, 0, 399, 400, 2023, 2000]}))
    >>> lf.select(idiv(nw.col("x"), 400)).collect()["x"].to_list()
    [-1, 0, 0, 1, 5, 5]
    """
    return ((value + 0.5) * (1.0 / k)).floor().cast(nw.Int64)


def fixed(value: nw.Expr, scale: int) -> nw.Expr:
    """``floor(value × scale + 0.5)`` as a 64-bit integer: fixed point, rounded half up.

    Examples
    --------
    >>> import polars as pl, narwhals as nw
    >>> lf = nw.from_native(pl.LazyFrame({"yuan": [12.345, 0.005, -1.005, None]}))
    >>> lf.select(fixed(nw.col("yuan"), 100)).collect()["yuan"].to_list()
    [1235, 1, -100, None]
    """
    return (value * float(scale) + 0.5).floor().cast(nw.Int64)


def float_expr(name: str, schema: nw.Schema) -> nw.Expr:
    """The column as a 64-bit float, or a null float column when it is absent.

    Examples
    --------
    >>> import polars as pl, narwhals as nw
    >>> lf = nw.from_native(pl.LazyFrame({"a": [1]}))
    >>> lf.select(float_expr("a", lf.collect_schema()), float_expr("b", lf.collect_schema())
    ...           ).collect().rows()
    [(1.0, None)]
    """
    if name not in schema:
        return nw.lit(None, dtype=nw.Float64).alias(name)
    return nw.col(name).cast(nw.Float64)


def _date_days(name: str, schema: nw.Schema, polars: bool) -> nw.Expr:
    if name not in schema or schema[name] == nw.Unknown:
        return nw.lit(None, dtype=nw.Int64)
    day = date_expr(name, schema[name])
    if polars:  # a polars date is stored as epoch days: the cast is free
        return day.cast(nw.Int32).cast(nw.Int64)
    return epoch_days(day)


def _month_of(name: str, schema: nw.Schema) -> nw.Expr:
    if name not in schema:
        return nw.lit(None, dtype=nw.Int64)
    dtype = schema[name]
    if dtype == nw.Unknown:
        return nw.lit(None, dtype=nw.Int64)
    return month_index_expr(name, dtype)


def prepare_customers(frame: nw.LazyFrame, window: Window) -> nw.LazyFrame:
    """Register rows with the exposure in months inside the window.

    Output columns: ``customer_id``, ``customer_class``, ``contract_kva``, ``voltage_kv``,
    ``_exposure``, and the month indices ``_opened_p`` and ``_closed_p`` (null if empty).
    ``_exposure`` counts the window months from the month of ``opened`` (window start if
    empty) to the month of ``closed`` (window end if empty or absent), both inclusive;
    0 when the account was not open in the window.

    Examples
    --------
    >>> import polars as pl, narwhals as nw
    >>> reg = nw.from_native(pl.LazyFrame({"customer_id": ["A", "B", "C"],
    ...     "customer_class": ["residential"] * 3, "contract_kva": [8.0] * 3,
    ...     "voltage_kv": [0.22] * 3, "industry": ["x"] * 3, "region": ["n"] * 3,
    ...     "opened": ["2010-01-01", "2024-04-15", "2025-01-01"],
    ...     "closed": [None, None, None]}))
    >>> w = Window(start="2023-01", end="2024-12")
    >>> prepare_customers(reg, w).collect()["_exposure"].to_list()
    [24, 9, 0]
    """
    schema = require_columns(frame, "customers")
    opened = _month_of("opened", schema)
    closed = _month_of("closed", schema)
    ws, we = window.start_index, window.end_index
    first = nw.max_horizontal(opened.fill_null(ws), nw.lit(ws))
    last = nw.min_horizontal(closed.fill_null(we), nw.lit(we))
    return frame.select(
        nw.col("customer_id").cast(nw.String),
        nw.col("customer_class").cast(nw.String),
        float_expr("contract_kva", schema),
        float_expr("voltage_kv", schema),  # issue 13: the power-factor rules' voltage
        nw.max_horizontal(last - first + 1, nw.lit(0)).cast(nw.Int64).alias("_exposure"),
        opened.alias("_opened_p"),
        closed.alias("_closed_p"),
    )


def prepare_monthly(frame: nw.LazyFrame, window: Window,
                    duplicates: DuplicatesTreatment,
                    carry: tuple[str, ...] = ()) -> nw.LazyFrame:
    """Typed monthly rows inside the window, one per customer-month after the policy.

    Output columns: ``customer_id``, ``_p`` (month index); ``active_kwh``,
    ``reactive_kvarh``, ``reverse_kvarh`` as floats (an absent optional column as nulls);
    the fixed-point integers ``_kwh_m`` (Wh), ``_billed_c``, ``_paid_c`` (fen) and
    ``_plan_m`` (Wh); ``_due`` and ``_paid_day`` (epoch days) and ``_due_year``; ``_neg``
    (input rows with negative ``active_kwh`` folded into the row) and ``_rows`` (input rows
    folded into the row).

    Duplicated ``(customer_id, period)`` rows are left as they are under
    ``duplicates="error"`` (the engine checks for them), summed under ``"sum"`` (amounts
    summed, an amount stays empty only if it is empty on every row; dates: the latest), and
    reduced to the row with the highest :data:`ROW_INDEX` under ``"last"``.

    ``carry``: integer columns of ``frame`` kept as they are, summed over the input rows
    folded into a row (like ``_rows``); the input checks carry their flag through.
    """
    schema = require_columns(frame, "monthly")
    polars = frame.implementation.is_polars()
    ws, we = window.start_index, window.end_index
    due = date_expr("due_date", schema["due_date"]) if schema["due_date"] != nw.Unknown \
        else nw.lit(None, dtype=nw.Date)
    cols = [
        nw.col("customer_id").cast(nw.String),
        month_index_expr("period", schema["period"]).alias("_p"),
        *[float_expr(c, schema) for c in ("active_kwh", "reactive_kvarh", "reverse_kvarh")],
        fixed(float_expr("active_kwh", schema), SCALE_ENERGY).alias("_kwh_m"),
        fixed(float_expr("billed_amount", schema), SCALE_AMOUNT).alias("_billed_c"),
        fixed(float_expr("paid_amount", schema), SCALE_AMOUNT).alias("_paid_c"),
        fixed(float_expr("planned_kwh", schema), SCALE_ENERGY).alias("_plan_m"),
        _date_days("due_date", schema, polars).alias("_due"),
        due.dt.year().cast(nw.Int64).alias("_due_year"),
        _date_days("paid_date", schema, polars).alias("_paid_day"),
    ]
    if duplicates == "last":
        cols.append(nw.col(ROW_INDEX))
    cols += [nw.col(c) for c in carry]
    rows = frame.select(*cols).filter(
        nw.col("_p") >= ws, nw.col("_p") <= we, ~nw.col("customer_id").is_null())
    neg = nw.when(nw.col("active_kwh") < 0).then(1).otherwise(0)
    key = ["customer_id", "_p"]
    if duplicates == "error":
        return rows.with_columns(_neg=neg, _rows=nw.lit(1))
    if duplicates == "last":
        return rows.with_columns(
            *[nw.col(c).sum().over(*key) for c in carry],
            _neg=neg.sum().over(*key),
            _rows=nw.len().over(*key),
            _last=nw.col(ROW_INDEX).max().over(*key),
        ).filter(nw.col(ROW_INDEX) == nw.col("_last")).drop(ROW_INDEX, "_last")
    # duplicates == "sum"
    summed = rows.with_columns(_neg=neg).group_by(key).agg(
        *[nw.col(c).sum() for c in _MONTHLY_SUMMED],
        *[nw.col(c).count().alias(f"_n{c}") for c in _MONTHLY_SUMMED],
        nw.col("_due").max(), nw.col("_due_year").max(), nw.col("_paid_day").max(),
        nw.col("_neg").sum(), nw.len().alias("_rows"), *[nw.col(c).sum() for c in carry],
    )
    return summed.with_columns(
        *[nw.when(nw.col(f"_n{c}") > 0).then(nw.col(c)).alias(c) for c in _MONTHLY_SUMMED]
    ).drop(*[f"_n{c}" for c in _MONTHLY_SUMMED])


def prepare_events(frame: nw.LazyFrame, window: Window) -> nw.LazyFrame:
    """Events inside the window: ``customer_id``, ``kind``, ``_affected`` (float)."""
    schema = require_columns(frame, "events")
    return frame.select(
        nw.col("customer_id").cast(nw.String),
        _month_of("date", schema).alias("_p"),
        nw.col("kind").cast(nw.String),
        float_expr("affected_customers", schema).alias("_affected"),
    ).filter(nw.col("_p") >= window.start_index, nw.col("_p") <= window.end_index)


def prepare_cooperation(frame: nw.LazyFrame, window: Window) -> nw.LazyFrame:
    """Cooperation records inside the window: ``customer_id``, ``kind``, ``_score``.

    ``_score`` is the score in millionths of a point (fixed point, see :func:`fixed`).
    """
    schema = require_columns(frame, "cooperation")
    return frame.select(
        nw.col("customer_id").cast(nw.String),
        _month_of("date", schema).alias("_p"),
        nw.col("kind").cast(nw.String),
        fixed(float_expr("score", schema), SCALE_FINE).alias("_score"),
    ).filter(nw.col("_p") >= window.start_index, nw.col("_p") <= window.end_index)


def prepare_energy(frame: nw.LazyFrame, window: Window) -> nw.LazyFrame:
    """Audits of a year up to the window's end year: ``customer_id``, ``_year``, tce
    (``_total_tce``, ``_elec_tce``, ``_repl_tce``; the optional ``replaceable_tce`` column
    absent reads as nulls).

    The tce columns are in millionths (fixed point, see :func:`fixed`).
    """
    schema = require_columns(frame, "energy")
    return frame.select(
        nw.col("customer_id").cast(nw.String),
        nw.col("year").cast(nw.Int64).alias("_year"),
        fixed(float_expr("total_energy_tce", schema), SCALE_FINE).alias("_total_tce"),
        fixed(float_expr("electricity_tce", schema), SCALE_FINE).alias("_elec_tce"),
        # issue 13: optional audit column (absent → nulls)
        fixed(float_expr("replaceable_tce", schema), SCALE_FINE).alias("_repl_tce"),
    ).filter(nw.col("_year") <= window.end.year)
