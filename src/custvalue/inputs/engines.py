"""The input tables on DuckDB and Spark: read, typed by the one parser, kept on the engine.

custvalue grades on three engines (:data:`ENGINES`).  On ``polars`` (the default) a table
is one lazy polars plan (:func:`custvalue.inputs.io.scan_typed`).  On ``duckdb`` and
``spark`` the tables stay on that engine from the first read to the per-customer
indicator table: the input checks (:func:`custvalue.check_tables`) and the indicators
(:func:`custvalue.indicators.compute_indicators`) are queries the engine runs, and only
aggregates (counts, a few example rows, one row per customer) reach Python.

A cell reads as the same value on every engine (:mod:`custvalue.inputs.parse` is the
reference), in one of two ways, chosen per column by :func:`prepare`:

* **natively** (engine expressions, no Python): columns that arrive typed (Parquet
  numbers and dates), text ids, and text in the canonical forms (``2024-09-05``,
  ``2024-09``, ``-1.5``, ``1e3``): a strict pattern picks these cells and the engine's
  own cast reads them, with the parser's result (calendar days are in the pattern, so a
  cast never fails);
* **by the parser itself**, run by the engine on Arrow batches, for a column with a cell
  in any other form (``2024/9/5``, ``YYYYMMDD``, ``" 1.5 "`` ...): Spark runs one
  ``mapInArrow`` step (the executors' Python workers; custvalue must be importable
  there); DuckDB streams the relation through the parser into a table.

One aggregate query per table counts its rows and the cells the native path cannot read;
a cell the parser cannot read is flagged (column ``_bad_<name>``) where the checks count it.

Examples
--------
>>> import duckdb, datetime
>>> con = duckdb.connect()
>>> rel = con.sql("SELECT ' C1 ' AS customer_id, '2024/9' AS period, '1.5' AS active_kwh")
>>> engine_of(rel)
'duckdb'
>>> type_native(rel, "monthly").fetchall()
[('C1', datetime.date(2024, 9, 1), 1.5)]
>>> p = prepare(con.sql("SELECT 'C1' AS customer_id, '2024-09' AS period, 'x' AS active_kwh"),
...             "monthly")
>>> p.rows, p.parsed_in_python, nw.from_native(p.typed).collect().row(0)
(1, ('active_kwh',), ('C1', datetime.date(2024, 9, 1), None, 0, False, True))
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import narwhals as nw
import polars as pl

from custvalue.errors import UnsupportedInputError
from custvalue.inputs.contract import TABLES
from custvalue.inputs.parse import STRIP_CHARS, parse_series, unreadable_series

__all__ = ["ENGINES", "Engine", "Prepared", "engine_of", "hold", "prepare", "read_errors",
           "read_native", "release", "spark_session", "to_engine", "type_native",
           "with_row_index"]

#: The engines a grade runs on (``custvalue grade --engine``).
Engine = Literal["polars", "duckdb", "spark"]
ENGINES: tuple[str, ...] = ("polars", "duckdb", "spark")

#: Column added by :func:`with_row_index`: the input order (examples name their row).
ROW = "_row"


def engine_of(source: object) -> Engine:
    """``"duckdb"`` or ``"spark"`` for a frame native to that engine, else ``"polars"``.

    Examples
    --------
    >>> import pandas as pd
    >>> engine_of(pd.DataFrame()), engine_of("monthly.parquet")
    ('polars', 'polars')
    """
    if isinstance(source, Prepared):
        source = source.raw
    module = type(source).__module__
    if module.startswith("duckdb") or module.startswith("_duckdb"):
        return "duckdb"
    if module.startswith("pyspark"):
        return "spark"
    return "polars"


def spark_session() -> Any:
    """The active Spark session, or a new one (local mode outside ``spark-submit``).

    A session this function creates on a local master gets local defaults: as many
    shuffle partitions as cores (Spark's 200 are meant for clusters: on one machine
    each costs a task per shuffle), UTC, no console progress bar.  An active session
    (yours, or ``spark-submit``'s) is used as it is.

    Raises
    ------
    UnsupportedInputError
        PySpark is not installed (``pip install pyspark``; it needs a Java runtime).
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise UnsupportedInputError(
            "engine", None, "the spark engine needs PySpark, which is not installed",
            fix="pip install 'pyspark>=3.5' (and a Java runtime), or use --engine polars "
            "or duckdb") from None
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    # the Python workers may parse values: they must run this interpreter (with custvalue)
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    session = (SparkSession.builder.appName("custvalue")
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.execution.arrow.maxRecordsPerBatch", "100000")
               .getOrCreate())
    context = session.sparkContext
    if str(context.master).startswith("local") and \
            not context.getConf().contains("spark.sql.shuffle.partitions"):
        session.conf.set("spark.sql.shuffle.partitions", str(context.defaultParallelism))
    return session


def read_errors(engine: Engine) -> tuple[type[BaseException], ...]:
    """The exceptions that mean "cannot read the table" on ``engine``.

    Examples
    --------
    >>> OSError in read_errors("polars")
    True
    """
    out: list[type[BaseException]] = [pl.exceptions.PolarsError, OSError]
    if engine == "duckdb":
        import duckdb

        out.append(duckdb.Error)
    elif engine == "spark":
        from pyspark.errors import PySparkException

        out.append(PySparkException)
    return tuple(out)


def _duckdb_connection(source: Any = None) -> Any:
    con = getattr(source, "_con", None)
    if con is not None:
        return con
    import duckdb

    return duckdb.default_connection()


def read_native(path: str | Path, table: str, engine: Engine, *, context: Any = None) -> Any:
    """Read a Parquet or CSV file as a DuckDB relation or a Spark DataFrame (lazily).

    CSV cells are read as text (the one parser types them, as on polars); CSV must be
    UTF-8.  ``context`` is the DuckDB connection or the Spark session (default: the
    default connection / :func:`spark_session`).  A folder is read as a Parquet dataset
    (Spark) or as ``<folder>/*.parquet`` (DuckDB).

    Raises
    ------
    UnsupportedInputError
        Another file type (Excel: use the polars engine), or a path that does not exist.

    Examples
    --------
    >>> import duckdb
    >>> rel = read_native("data/samples/2022-2024/energy.csv", "energy", "duckdb",
    ...                   context=duckdb.connect())
    >>> sorted(set(map(str, rel.types)))
    ['VARCHAR']
    """
    text = str(path)
    local = "://" not in text
    if local and not Path(text).exists():
        raise UnsupportedInputError(table, None, f"file not found: {text}", fix="check the path")
    is_dir = local and Path(text).is_dir()
    suffix = Path(text).suffix.lower()
    if not is_dir and suffix not in {".parquet", ".pq", ".csv"}:
        raise UnsupportedInputError(
            table, None, f"the {engine} engine reads Parquet and CSV, not '{suffix}' ({text})",
            fix="convert the file to Parquet, or use --engine polars (reads Excel too)")
    if engine == "duckdb":
        con = context if context is not None else _duckdb_connection()
        if suffix == ".csv":
            return con.read_csv(text, all_varchar=True, header=True)
        return con.read_parquet(f"{text}/*.parquet" if is_dir else text)
    if engine == "spark":
        session = context if context is not None else spark_session()
        if suffix == ".csv":
            return session.read.option("header", True).option("inferSchema", False).csv(text)
        return session.read.parquet(text)
    raise UnsupportedInputError(table, None, f"no native reader for engine {engine!r}",
                                fix="use the polars reader (custvalue.inputs.io.scan_raw)")


def to_engine(source: Any, table: str, engine: Engine, *, like: Any) -> Any:
    """``source`` as a frame of ``engine`` (the engine of the frame ``like``).

    A frame of that engine is returned as it is; a Parquet/CSV path is read by the engine;
    anything else (pandas, polars, Excel) is read by the polars reader, untyped, and
    loaded through Arrow (such tables are the small ones).
    """
    if engine_of(source) == engine:
        return source
    if isinstance(source, str | Path) and Path(source).suffix.lower() in {
            ".parquet", ".pq", ".csv"}:
        return read_native(source, table, engine, context=_context(like, engine))
    from custvalue.inputs.io import scan_raw

    arrow = scan_raw(source, table).collect().to_arrow(compat_level=pl.CompatLevel.oldest())
    if engine == "duckdb":
        return _duckdb_connection(like).from_arrow(arrow)
    return like.sparkSession.createDataFrame(arrow)


def _context(frame: Any, engine: Engine) -> Any:
    return _duckdb_connection(frame) if engine == "duckdb" else frame.sparkSession


def with_row_index(native: Any, name: str = ROW) -> Any:
    """The frame with the input order as an integer column ``name``.

    DuckDB: ``row_number() OVER () - 1`` (DuckDB keeps insertion order); Spark:
    ``monotonically_increasing_id()`` (partition, then position: deterministic for the
    same files).
    """
    if engine_of(native) == "duckdb":
        return native.project(f'*, row_number() OVER () - 1 AS "{name}"')
    from pyspark.sql import functions as F

    return native.withColumn(name, F.monotonically_increasing_id())


def _kinds(table: str, names: list[str]) -> dict[str, str]:
    spec = TABLES.get(table)
    kinds = {c.name: c.dtype for c in spec.columns} if spec else {"customer_id": "str"}
    return {name: kind for name, kind in kinds.items() if name in names}


# -- the native path: engine expressions with the parser's results ---------------------------

_YEAR = "[1-9][0-9]{3}"
#: A valid calendar day (29 February of leap years only), ``YYYY-MM-DD``.
_DAY = (f"^{_YEAR}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])$"
        f"|^{_YEAR}-(0[13-9]|1[0-2])-(29|30)$"
        f"|^{_YEAR}-(0[13578]|1[02])-31$"
        "|^([1-9][0-9](0[48]|[2468][048]|[13579][26])|(1[26]|[2468][048]|[3579][26])00)"
        "-02-29$")
#: Text cells the engines read natively, per kind: exactly what the parser reads from them.
FAST_PATTERNS: dict[str, str] = {
    "float": "^-?[0-9]+([.][0-9]+)?([eE][-+]?[0-9]{1,3})?$",
    "int": "^-?[0-9]{1,15}$",
    "date": _DAY,
    "month": f"^{_YEAR}-(0[1-9]|1[0-2])$",
}
_INT_LIMIT = 9.2e18  # beyond it a float is no 64-bit integer (a cast would fail on Spark)


def _reads_natively(kind: str, dtype: Any) -> bool:
    """Whether engine expressions give the parser's result for a column of ``dtype`` (text:
    for the cells of :data:`FAST_PATTERNS`; typed numbers, dates and integer ids)."""
    if dtype == nw.String:
        return True
    if kind == "str":
        return dtype.is_integer()
    if kind in ("float", "int"):
        return dtype.is_numeric() or dtype == nw.Boolean
    return dtype in (nw.Date, nw.Datetime)


def _miss(name: str, kind: str, dtype: Any) -> nw.Expr | None:
    """Text cells of a non-text column outside :data:`FAST_PATTERNS` (the parser reads
    them)."""
    if dtype != nw.String or kind == "str":
        return None
    return ~nw.col(name).is_null() & ~nw.col(name).str.contains(FAST_PATTERNS[kind])


def _parse_natively(frame: nw.LazyFrame, kinds: dict[str, str]) -> nw.LazyFrame:
    """``frame`` with the columns of ``kinds`` parsed by engine expressions (as the parser
    would: :func:`custvalue.inputs.parse.parse_series` is the reference, the tests compare)
    and their flags ``_bad_<c>``; the other columns as they are.

    Three projections, so that each pattern and cast runs once a cell (an engine inlines a
    cheap column reference, not a pattern match or a cast used twice): the pattern matches
    ``_m_<c>``, the values ``_v_<c>``, then the results.
    """
    schema = frame.collect_schema()
    text = {c: k for c, k in kinds.items() if schema[c] == nw.String and k != "str"}
    if text:
        frame = frame.with_columns(*[nw.col(c).str.contains(FAST_PATTERNS[k])
                                     .fill_null(False).alias(f"_m_{c}")
                                     for c, k in text.items()])
    values = []
    for name, kind in kinds.items():
        col, dtype = nw.col(name), schema[name]
        cell: nw.Expr
        value: nw.Expr
        if name in text:
            cell = nw.when(nw.col(f"_m_{name}")).then(col)  # a cast sees only these cells
            if kind == "month":
                cell = nw.concat_str([cell, nw.lit("-01")])
            value = cell.cast({"float": nw.Float64, "int": nw.Int64}.get(kind, nw.Date))
        elif kind == "str":
            value = col.str.strip_chars(STRIP_CHARS) if dtype == nw.String else \
                col.cast(nw.String)
        elif kind in ("float", "int"):
            value = col.cast(nw.Float64)
        else:
            value = col if dtype == nw.Date else col.cast(nw.Date)
            value = value.dt.truncate("1mo") if kind == "month" else value
        values.append(value.alias(f"_v_{name}"))
    if values:
        frame = frame.with_columns(*values)
    parsed: dict[str, nw.Expr] = {}
    bad: list[nw.Expr] = []
    for name, kind in kinds.items():
        col, value, dtype = nw.col(name), nw.col(f"_v_{name}"), schema[name]
        given = ~col.is_null()
        if kind == "float":
            parsed[name] = nw.when(value.is_finite()).then(value)
            readable = value.is_finite().fill_null(False)
        elif kind == "int" and name not in text:
            whole = value.is_finite() & (value == value.floor()) & (value.abs() < _INT_LIMIT)
            parsed[name] = nw.when(whole).then(value).cast(nw.Int64)
            readable = whole.fill_null(False)
        else:  # a text cell of the pattern, a date, an id: read whenever given
            parsed[name] = value
            readable = ~value.is_null()
        if dtype in (nw.Float32, nw.Float64):
            given = given & ~col.is_nan().fill_null(False)  # NaN is a missing value
        if kind != "str":
            bad.append((given & ~readable).alias(f"_bad_{name}"))
    return frame.select(*[parsed[c].alias(c) if c in parsed else nw.col(c)
                          for c in schema.names()], *bad)


@dataclass(frozen=True)
class Prepared:
    """A table read and typed once on its engine, for the checks and the indicators.

    Attributes
    ----------
    table : str
        The contract table.
    raw : DuckDB relation or Spark DataFrame
        The table as read, with its input order as ``_row``.
    typed : DuckDB relation or Spark DataFrame
        The contract columns typed (the parser's values), ``_row``, and a boolean
        ``_bad_<c>`` per typed column (the cell holds a value the parser cannot read);
        held on the engine (:func:`hold`) until :func:`release`.
    rows : int
        Rows of the table.
    parsed_in_python : tuple of str
        The columns the parser read (cells in forms the engine does not read natively);
        the others were read by engine expressions.
    """

    table: str
    raw: Any
    typed: Any
    rows: int
    parsed_in_python: tuple[str, ...]

    @property
    def for_indicators(self) -> Any:
        """``typed`` without ``_row`` and the flags (what the indicators read)."""
        frame = nw.from_native(self.typed)
        helpers = [c for c in frame.collect_schema().names()
                   if c == ROW or c.startswith("_bad_")]
        return frame.drop(*helpers).to_native()


def prepare(native: Any, table: str) -> Prepared:
    """Read and type a DuckDB or Spark frame once (:class:`Prepared`).

    One aggregate query counts the rows and, per text column of another kind, the cells
    outside :data:`FAST_PATTERNS`; columns without such cells are read by engine
    expressions, the others by the parser run on the engine.  A table the parser read is
    held (:func:`hold`: it runs once): give it back with :func:`release`.

    Raises
    ------
    UnsupportedInputError
        ``native`` is not a DuckDB or Spark frame.
    """
    engine = engine_of(native)
    if engine == "polars":
        raise UnsupportedInputError(table, None, f"not a DuckDB or Spark frame: "
                                    f"{type(native).__name__}", fix="use custvalue.inputs.io."
                                    "type_plan for polars plans")
    columns = list(nw.from_native(native).collect_schema().names())
    raw = native if ROW in columns else with_row_index(native)
    frame = nw.from_native(raw).lazy()
    schema = frame.collect_schema()
    kinds = _kinds(table, schema.names())
    misses = {c: _miss(c, k, schema[c]) for c, k in kinds.items()}
    stats = frame.select(nw.len().alias(ROW), *[
        m.cast(nw.Int64).sum().alias(c) for c, m in misses.items() if m is not None]
    ).collect(backend="polars").to_native().row(0, named=True)
    python = tuple(c for c, k in kinds.items()
                   if not _reads_natively(k, schema[c]) or stats.get(c))
    typed = _parse_natively(frame, {c: k for c, k in kinds.items() if c not in python})
    out = typed.to_native()
    if python:  # held: the parser runs once, not once per query
        out = hold(_parse_in_engine(out, {c: kinds[c] for c in python}))
    return Prepared(table, raw, out, int(stats[ROW] or 0), python)


def type_native(native: Any, table: str) -> Any:
    """The contract columns of a DuckDB or Spark frame parsed as the one parser does.

    Other columns pass through unchanged (:func:`prepare` without its helper columns).
    A Spark frame is persisted (``unpersist`` it when done); on DuckDB a table the parser
    wrote lives as long as the connection (:func:`prepare` and :func:`release` free it).
    """
    return prepare(native, table).for_indicators


# -- the parser run by the engine on Arrow batches -------------------------------------------

#: Rows per Arrow batch the parser sees on DuckDB (a batch is the unit held in Python).
DUCKDB_BATCH_ROWS = 1_000_000
_ARROW = {"str": "string", "float": "float64", "int": "int64", "date": "date32",
          "month": "date32"}


def _parse_batch(batch: Any, kinds: dict[str, str]) -> Any:
    """One Arrow batch through the one parser: the columns of ``kinds`` typed, the others
    as they are, then the ``_bad_<c>`` flags of the parsed columns."""
    import pyarrow as pa

    frame = pl.from_arrow(pa.Table.from_batches([batch], schema=batch.schema).select(
        list(kinds)))
    assert isinstance(frame, pl.DataFrame)
    names, columns = [], []
    for name in batch.schema.names:
        names.append(name)
        columns.append(parse_series(frame[name], kinds[name]).to_arrow(
            compat_level=pl.CompatLevel.oldest()).cast(getattr(pa, _ARROW[kinds[name]])())
            if name in kinds else batch.column(name))
    for name, kind in kinds.items():
        if kind != "str":
            names.append(f"_bad_{name}")
            columns.append(unreadable_series(frame[name], kind).to_arrow())
    return pa.RecordBatch.from_arrays(columns, names=names)


def _parse_in_engine(native: Any, kinds: dict[str, str]) -> Any:
    if engine_of(native) == "duckdb":
        return _type_duckdb(native, kinds)
    return _type_spark(native, kinds)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _drop_table(con: Any, name: str) -> None:
    with contextlib.suppress(Exception):  # the connection may be closed already
        con.execute(f"DROP TABLE IF EXISTS {name}")


def _type_duckdb(rel: Any, kinds: dict[str, str]) -> Any:
    """DuckDB: the relation streamed in Arrow batches of :data:`DUCKDB_BATCH_ROWS` rows
    through the parser into a table of its connection (the parser runs once; the checks
    and the indicators read that table, which lives until :func:`release` or as long as
    the connection).  One batch at a time is held in Python."""
    import uuid

    import pyarrow as pa

    con = _duckdb_connection(rel)
    name = f"custvalue_{uuid.uuid4().hex[:12]}"
    reader = rel.to_arrow_reader(DUCKDB_BATCH_ROWS) if hasattr(rel, "to_arrow_reader") \
        else rel.fetch_record_batch(DUCKDB_BATCH_ROWS)
    writer = con.cursor()  # inserts while the relation streams on its own connection
    empty = pa.RecordBatch.from_pylist([], schema=reader.schema)
    writer.register("custvalue_batch", pa.Table.from_batches([_parse_batch(empty, kinds)]))
    writer.execute(f"CREATE TABLE {name} AS SELECT * FROM custvalue_batch")
    for raw in reader:
        writer.register("custvalue_batch", pa.Table.from_batches([_parse_batch(raw, kinds)]))
        writer.execute(f"INSERT INTO {name} SELECT * FROM custvalue_batch")
    writer.unregister("custvalue_batch")
    writer.close()
    return con.table(name)


def _type_spark(frame: Any, kinds: dict[str, str]) -> Any:
    """Spark: a lazy ``mapInArrow`` step (the executors parse each Arrow batch; its size
    is ``spark.sql.execution.arrow.maxRecordsPerBatch``)."""
    from pyspark.sql import types as T

    spark_type = {"str": T.StringType(), "float": T.DoubleType(), "int": T.LongType(),
                  "date": T.DateType(), "month": T.DateType()}
    fields = [T.StructField(f.name, spark_type[kinds[f.name]], True) if f.name in kinds
              else f for f in frame.schema.fields]
    fields += [T.StructField(f"_bad_{c}", T.BooleanType(), True)
               for c, k in kinds.items() if k != "str"]

    def parse(batches: Iterator[Any]) -> Iterator[Any]:
        for batch in batches:
            yield _parse_batch(batch, kinds)

    return frame.mapInArrow(parse, T.StructType(fields))


def hold(native: Any) -> Any:
    """Keep a typed frame for several queries: Spark persists it on the executors' disks
    (``DISK_ONLY``: the table is read and parsed once, not once per query, and no executor
    or driver heap holds the rows); a DuckDB relation is a table already (the parser's
    output) or a query DuckDB runs again (the native path: no copy of the table).  Give it
    back with :func:`release`."""
    if engine_of(native) == "spark":
        from pyspark import StorageLevel

        return native.persist(StorageLevel.DISK_ONLY)
    return native


def release(native: Any) -> None:
    """Free what :func:`hold` (or the parser on DuckDB) kept for ``native`` (a frame
    :func:`hold` returned, or a :class:`Prepared` table)."""
    if isinstance(native, Prepared):
        native = native.typed
    engine = engine_of(native)
    if engine == "spark":
        native.unpersist()
    elif engine == "duckdb":
        name = getattr(native, "alias", "")
        if str(name).startswith("custvalue_"):
            _drop_table(_duckdb_connection(native), str(name))
