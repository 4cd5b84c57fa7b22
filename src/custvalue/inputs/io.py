"""Reading input tables from frames and files.

A table may be given as a pandas, polars (eager or lazy), DuckDB or PySpark frame, or as a
path to a CSV, Parquet or Excel file.  Paths are read with polars: Parquet and CSV are
*scanned* lazily (nothing is loaded until the indicators are collected), Excel is read
eagerly through pandas/openpyxl.

Examples
--------
>>> import pandas as pd
>>> from custvalue.inputs.io import read_table
>>> frame = read_table(pd.DataFrame({"customer_id": ["C1"], "year": [2024]}), "energy")
>>> type(frame).__name__
'DataFrame'
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import narwhals as nw
import polars as pl

from custvalue.errors import UnsupportedInputError
from custvalue.inputs.contract import TABLES

__all__ = ["TableSource", "find_tables", "is_path", "read_table", "to_polars"]

#: Anything accepted where a table is expected.
TableSource = Any

_TEXT_COLUMNS = ("customer_id",)


def is_path(source: object) -> bool:
    """Whether ``source`` names a file rather than holding a frame."""
    return isinstance(source, str | Path)


def _text_overrides(table: str) -> dict[str, type[pl.DataType]]:
    # Account numbers look numeric but are identifiers: leading zeros must survive.
    spec = TABLES.get(table)
    if spec is None:  # a side table (e.g. pins): only the key is known to be text
        return {"customer_id": pl.String}
    return {c.name: pl.String for c in spec.columns if c.dtype == "str"}


def read_table(source: TableSource, table: str, *, lazy: bool = True) -> Any:
    """Return ``source`` as a native frame, reading it first if it is a path.

    Parameters
    ----------
    source : frame or path
        pandas / polars / DuckDB / PySpark frame, or a ``.csv``, ``.parquet`` /
        ``.pq``, ``.xlsx`` / ``.xls`` path.
    table : str
        Name of the table in the data contract (used for messages and text columns).
    lazy : bool, default True
        For paths: return a ``polars.LazyFrame`` (scan) instead of a ``DataFrame``.

    Returns
    -------
    frame
        The frame itself when a frame was given (pandas in stays pandas), else a polars
        frame.

    Raises
    ------
    UnsupportedInputError
        The path does not exist, has an unknown suffix, or the object is not a frame.
    """
    if not is_path(source):
        try:
            nw.from_native(source)
        except TypeError as exc:
            raise UnsupportedInputError(
                table, None, f"cannot read an object of type {type(source).__name__}",
                fix="pass a pandas/polars/DuckDB/PySpark frame or a CSV/Parquet/Excel path",
            ) from exc
        return source
    path = Path(source)
    if not path.exists():
        raise UnsupportedInputError(table, None, f"file not found: {path}",
                                    fix="check the path")
    suffix = path.suffix.lower()
    overrides = _text_overrides(table)
    if suffix in {".parquet", ".pq"}:
        frame = pl.scan_parquet(path)
        schema = frame.collect_schema()
        casts = [pl.col(c).cast(pl.String) for c in overrides if c in schema
                 and schema[c] != pl.String]
        frame = frame.with_columns(casts) if casts else frame
    elif suffix in {".csv", ".txt"}:
        frame = pl.scan_csv(path, schema_overrides=overrides, try_parse_dates=True,
                            infer_schema_length=10_000)
    elif suffix in {".xlsx", ".xlsm", ".xls"}:
        import pandas as pd

        pdf = pd.read_excel(path, dtype={c: str for c in overrides})
        frame = pl.from_pandas(pdf).lazy()
    else:
        raise UnsupportedInputError(
            table, None, f"unknown file type '{suffix}' for {path}",
            fix="use .csv, .parquet or .xlsx",
        )
    return frame if lazy else frame.collect()


def to_polars(source: TableSource, table: str) -> pl.DataFrame:
    """Return ``source`` as an eager polars DataFrame (used by the checks).

    Examples
    --------
    >>> import pandas as pd
    >>> to_polars(pd.DataFrame({"customer_id": ["C1"]}), "customers").shape
    (1, 1)
    """
    native = read_table(source, table, lazy=False)
    if isinstance(native, pl.DataFrame):
        return native
    if isinstance(native, pl.LazyFrame):
        return native.collect()
    if _is_pandas(native):
        return _pandas_to_polars(native)
    frame = nw.from_native(native)
    if isinstance(frame, nw.LazyFrame):
        frame = frame.collect()
    return frame.to_polars()


def _is_pandas(native: object) -> bool:
    return type(native).__module__.startswith("pandas")


def _pandas_to_polars(frame: Any) -> pl.DataFrame:
    """Convert pandas to polars; object columns of mixed types are kept as text.

    Mixed object columns (a number column with a stray ``"12,5"``) cannot become Arrow
    numbers; as text they reach the checks, which report the offending cells.
    """
    try:
        return pl.from_pandas(frame)
    except (TypeError, ValueError, ArithmeticError, pl.exceptions.PolarsError):
        pass
    except Exception as exc:  # pyarrow.lib.ArrowInvalid and friends
        if "arrow" not in type(exc).__module__.lower():
            raise
    mixed = [c for c in frame.columns if frame[c].dtype == object]
    return pl.from_pandas(frame.astype({c: "string" for c in mixed}))


_SUFFIXES = (".parquet", ".pq", ".csv", ".xlsx", ".xls")


def find_tables(folder: str | Path) -> dict[str, Path]:
    """Find the contract's tables in a folder, as ``<table>.<csv|parquet|xlsx>`` files.

    Returns a mapping from table name to path for the tables present; Parquet is preferred
    over CSV and Excel when several forms of one table are present.

    Examples
    --------
    >>> sorted(find_tables("data/samples/2022-2024"))
    ['cooperation', 'customers', 'energy', 'events', 'monthly']
    """
    base = Path(folder)
    if not base.is_dir():
        raise UnsupportedInputError("customers", None, f"not a folder: {base}",
                                    fix="pass the folder that holds customers.csv etc.")
    found: dict[str, Path] = {}
    for name in TABLES:
        for suffix in _SUFFIXES:
            path = base / f"{name}{suffix}"
            if path.exists():
                found[name] = path
                break
    return found
