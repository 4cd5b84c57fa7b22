"""Reading input tables from frames and files.

A table may be given as a pandas, polars (eager or lazy), DuckDB or PySpark frame, as a
path to a CSV, Parquet or Excel file, or as a database table or query
(:class:`~custvalue.inputs.database.DatabaseSource`, fetched whole as Arrow).  Paths are
read with polars: Parquet and CSV are *scanned* lazily (nothing is loaded until the
indicators are collected), Excel is read eagerly through pandas/openpyxl.

:func:`scan_typed` is *the* reader: it reads a table once, as a lazy polars plan, and types
every contract column with the one parser of :mod:`custvalue.inputs.parse`.  The checks and
the indicators both consume that plan.  CSV and Excel cells are read as text (so account
numbers keep their leading zeros and every date spelling reaches the one parser); CSV files
in UTF-8 (with or without BOM) are scanned directly, other encodings (GBK / GB18030, as
written by Excel on Chinese Windows) are detected or named (``encoding=``) and transcoded
once into a temporary UTF-8 file.  Every sheet of an Excel workbook is read (they must have
the same columns) unless one is named (``sheet=``).

Examples
--------
>>> import pandas as pd
>>> from custvalue.inputs.io import read_table
>>> frame = read_table(pd.DataFrame({"customer_id": ["C1"], "year": [2024]}), "energy")
>>> type(frame).__name__
'DataFrame'
"""

from __future__ import annotations

import atexit
import codecs
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import narwhals as nw
import polars as pl

from custvalue.errors import UnsupportedInputError
from custvalue.inputs.contract import TABLES
from custvalue.inputs.database import DatabaseSource
from custvalue.inputs.parse import parse_expr

if TYPE_CHECKING:
    from custvalue.inputs.mapping import Mapping

__all__ = ["TableSource", "find_tables", "is_path", "read_table", "scan_raw", "scan_typed",
           "to_polars", "type_plan"]

#: Anything accepted where a table is expected.
TableSource = Any

def is_path(source: object) -> bool:
    """Whether ``source`` names a file rather than holding a frame."""
    return isinstance(source, str | Path)


def read_table(source: TableSource, table: str, *, lazy: bool = True) -> Any:
    """Return ``source`` as a native frame, reading it first if it is a path.

    Parameters
    ----------
    source : frame, path or DatabaseSource
        pandas / polars / DuckDB / PySpark frame, a ``.csv``, ``.parquet`` /
        ``.pq``, ``.xlsx`` / ``.xls`` path, or a database table or query.
    table : str
        Name of the table in the data contract (used for messages and text columns).
    lazy : bool, default True
        For paths: return a ``polars.LazyFrame`` (scan) instead of a ``DataFrame``.

    Returns
    -------
    frame
        The frame itself when a frame was given (pandas in stays pandas), else a polars
        frame typed by the one reader (:func:`scan_typed`).

    Raises
    ------
    UnsupportedInputError
        The path does not exist, has an unknown suffix, or the object is not a frame.
    """
    if isinstance(source, DatabaseSource):
        plan = type_plan(source.read(table).lazy(), table)
        return plan if lazy else plan.collect()
    if not is_path(source):
        try:
            nw.from_native(source)
        except TypeError as exc:
            raise UnsupportedInputError(
                table, None, f"cannot read an object of type {type(source).__name__}",
                fix="pass a pandas/polars/DuckDB/PySpark frame or a CSV/Parquet/Excel path",
            ) from exc
        return source
    frame = type_plan(_path_plan(Path(source), table, None, None), table)
    return frame if lazy else frame.collect()


def to_polars(source: TableSource, table: str) -> pl.DataFrame:
    """Return ``source`` as an eager polars DataFrame, typed by the one reader.

    Examples
    --------
    >>> import pandas as pd
    >>> to_polars(pd.DataFrame({"customer_id": ["C1"]}), "customers").shape
    (1, 1)
    """
    return scan_typed(source, table).collect()


def _is_pandas(native: object) -> bool:
    return type(native).__module__.startswith("pandas")


def _pandas_to_polars(frame: Any) -> pl.DataFrame:
    """Convert pandas to polars; object columns of mixed types are kept as text.

    Mixed object columns (a number column with a stray ``"12,5"``) cannot become Arrow
    numbers; as text they reach the checks, which report the offending cells.  Period
    columns (``period[M]``) become their text (``2024-01``), which the parser reads.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"period": pd.PeriodIndex(["2024-01", "2024-02"], freq="M")})
    >>> _pandas_to_polars(frame)["period"].to_list()
    ['2024-01', '2024-02']
    """
    import pandas as pd

    periods = [c for c in frame.columns if isinstance(frame[c].dtype, pd.PeriodDtype)]
    if periods:
        frame = frame.astype({c: "string" for c in periods})
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


# --------------------------------------------------------------------------------------
# the one reader
# --------------------------------------------------------------------------------------

_UTF8 = ("utf8", "utf-8", "utf_8", "utf-8-sig", "utf8-sig", "utf_8_sig")
_TEMP: list[Path] = []


def _cleanup_temp() -> None:  # pragma: no cover - at interpreter exit
    for folder in _TEMP:
        shutil.rmtree(folder, ignore_errors=True)


atexit.register(_cleanup_temp)


def detect_encoding(path: str | Path, sample: int = 1 << 20) -> str:
    """``"utf-8"`` when the file's first megabyte is UTF-8 (with or without BOM), else
    ``"gb18030"`` (a superset of GBK and GB2312, what Excel on Chinese Windows writes).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = p.write_bytes("户号".encode("gbk") + b"\\n")
    >>> detect_encoding(p)
    'gb18030'
    """
    with open(path, "rb") as fh:
        head = fh.read(sample)
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8"


def _utf8_path(path: Path, table: str, encoding: str | None) -> Path:
    """``path`` itself when it is UTF-8, else a UTF-8 copy in a temporary folder."""
    name = (encoding or detect_encoding(path)).lower()
    if name in _UTF8:
        return path
    try:
        codecs.lookup(name)
    except LookupError:
        raise UnsupportedInputError(table, None, f"unknown encoding {encoding!r}",
                                    fix="name an encoding such as utf-8, gbk or gb18030"
                                    ) from None
    folder = Path(tempfile.mkdtemp(prefix="custvalue-"))
    _TEMP.append(folder)
    target = folder / (path.stem + ".utf8.csv")
    try:
        with open(path, encoding=name, newline="") as src, \
                open(target, "w", encoding="utf-8", newline="") as dst:
            shutil.copyfileobj(src, dst, 1 << 22)
    except UnicodeError as exc:
        raise UnsupportedInputError(
            table, None, f"{path} is not valid {name} text ({exc})",
            fix="save the file as UTF-8, or name its encoding (encoding='gbk')") from None
    return target


def _read_excel(path: Path, table: str, sheet: str | int | None) -> pl.LazyFrame:
    import pandas as pd

    try:
        sheets = pd.read_excel(path, sheet_name=sheet if sheet is not None else None,
                               dtype=str)
    except ValueError as exc:  # a sheet that is not there
        raise UnsupportedInputError(table, None, f"cannot read {path}: {exc}",
                                    fix="name one of the workbook's sheets (sheet=)") from None
    if isinstance(sheets, pd.DataFrame):
        return pl.from_pandas(sheets).with_columns(pl.all().cast(pl.String)).lazy()
    frames = [f for f in sheets.values() if len(f.columns)]
    if not frames:
        raise UnsupportedInputError(table, None, f"{path} has no sheet with data",
                                    fix="check the workbook")
    first = list(frames[0].columns)
    for name, frame in sheets.items():
        if len(frame.columns) and sorted(map(str, frame.columns)) != sorted(map(str, first)):
            raise UnsupportedInputError(
                table, None, f"sheet '{name}' of {path} has other columns than the first "
                f"sheet ({', '.join(map(str, frame.columns))} vs {', '.join(map(str, first))})",
                fix="name the sheet to read (sheet='...') or give every sheet the same columns")
    return pl.concat([pl.from_pandas(f[first]).with_columns(pl.all().cast(pl.String))
                      for f in frames]).lazy()


def _path_plan(path: Path, table: str, encoding: str | None,
               sheet: str | int | None) -> pl.LazyFrame:
    if not path.exists():
        raise UnsupportedInputError(table, None, f"file not found: {path}", fix="check the path")
    suffix = path.suffix.lower()
    if suffix in {".parquet", ".pq"}:
        return pl.scan_parquet(path)
    if suffix in {".csv", ".txt", ".tsv"}:
        source = _utf8_path(path, table, encoding)
        return pl.scan_csv(source, infer_schema=False, separator="\t" if suffix == ".tsv"
                           else ",")
    if suffix in {".xlsx", ".xlsm", ".xls"}:
        return _read_excel(path, table, sheet)
    raise UnsupportedInputError(table, None, f"unknown file type '{suffix}' for {path}",
                                fix="use .csv, .parquet or .xlsx")


def scan_raw(source: TableSource, table: str, *, mapping: Mapping | None = None,
             encoding: str | None = None, sheet: str | int | None = None) -> pl.LazyFrame:
    """The table as an untyped lazy polars plan, with the mapping's names and values applied.

    CSV and Excel cells are text; Parquet, frames and database tables keep their own types
    (a database table is fetched whole, as Arrow).  A pandas frame
    indexed by ``customer_id`` has the index as a column.

    Raises
    ------
    UnsupportedInputError
        A missing file, an unknown suffix or encoding, an object that is not a frame.
    """
    if mapping is not None:
        entry = mapping.table(table)
        encoding = encoding or entry.encoding
        sheet = sheet if sheet is not None else entry.sheet
    if isinstance(source, pl.LazyFrame):
        plan = source
    elif isinstance(source, pl.DataFrame):
        plan = source.lazy()
    elif is_path(source):
        plan = _path_plan(Path(source), table, encoding, sheet)
    elif isinstance(source, DatabaseSource):
        plan = source.read(table).lazy()
    else:
        if _is_pandas(source):
            if "customer_id" not in source.columns and source.index.name == "customer_id":
                source = source.reset_index()
            plan = _pandas_to_polars(source).lazy()
        else:
            try:
                frame = nw.from_native(source)
            except TypeError as exc:
                raise UnsupportedInputError(
                    table, None, f"cannot read an object of type {type(source).__name__}",
                    fix="pass a pandas/polars/DuckDB/PySpark frame or a CSV/Parquet/Excel path",
                ) from exc
            impl = frame.implementation
            if impl.is_pyspark() or impl.is_pyspark_connect():
                arrow = pl.from_arrow(nw.to_native(frame).toArrow())
                assert isinstance(arrow, pl.DataFrame)  # a Spark frame is a table
                plan = arrow.lazy()
            else:
                if isinstance(frame, nw.LazyFrame):
                    frame = frame.collect()
                plan = frame.to_polars().lazy()
    if mapping is not None:
        plan = mapping.apply(plan, table)
    return plan


def type_plan(plan: pl.LazyFrame, table: str) -> pl.LazyFrame:
    """The contract columns of ``plan`` parsed to their types by the one parser.

    Columns the contract does not declare pass through unchanged; ``customer_id`` is text
    in every table (side tables such as pins too).

    Examples
    --------
    >>> import polars as pl
    >>> lf = pl.LazyFrame({"customer_id": [7], "year": ["2024"], "x": [1]})
    >>> type_plan(lf, "energy").collect().rows()
    [('7', 2024, 1)]
    """
    schema = plan.collect_schema()
    spec = TABLES.get(table)
    kinds = {c.name: c.dtype for c in spec.columns} if spec else {"customer_id": "str"}
    exprs = [parse_expr(name, kind, schema[name]) for name, kind in kinds.items()
             if name in schema]
    return plan.with_columns(exprs) if exprs else plan


def scan_typed(source: TableSource, table: str, *, mapping: Mapping | None = None,
               encoding: str | None = None, sheet: str | int | None = None) -> pl.LazyFrame:
    """Read ``table`` once, lazily, typed by the one parser (:mod:`custvalue.inputs.parse`).

    Unreadable cells are null in the result; :func:`custvalue.check_tables` reports them
    (table, column, example rows) from the same plan.

    Examples
    --------
    >>> import pandas as pd
    >>> m = pd.DataFrame({"customer_id": ["007"], "period": ["2024-9"], "active_kwh": ["1.5"]})
    >>> scan_typed(m, "monthly").collect().row(0)
    ('007', datetime.date(2024, 9, 1), 1.5)
    """
    return type_plan(scan_raw(source, table, mapping=mapping, encoding=encoding, sheet=sheet),
                     table)
