"""The input tables on DuckDB and Spark: read, typed by the one parser, kept on the engine.

custvalue grades on three engines (:data:`ENGINES`).  On ``polars`` (the default) a table
is one lazy polars plan (:func:`custvalue.inputs.io.scan_typed`).  On ``duckdb`` and
``spark`` the tables stay on that engine from the first read to the per-customer
indicator table: the input checks (:func:`custvalue.check_tables`) and the indicators
(:func:`custvalue.indicators.compute_indicators`) are queries the engine runs, and only
aggregates (counts, a few example rows, one row per customer) reach Python.

The values are parsed by the *same* parser as on polars (:mod:`custvalue.inputs.parse`),
run by the engine on Arrow batches of the table:

* Spark: one ``mapInArrow`` step (the executors' Python workers parse each batch;
  custvalue must be importable there);
* DuckDB: vectorised Arrow UDFs (one per column kind and input type), called by DuckDB on
  chunks of 2,048 rows.

So a cell reads as the same value on every engine, and a cell the parser cannot read is
flagged (column ``_bad_<name>``) where the checks count it.

Examples
--------
>>> import duckdb, datetime
>>> con = duckdb.connect()
>>> rel = con.sql("SELECT ' C1 ' AS customer_id, '2024/9' AS period, '1.5' AS active_kwh")
>>> engine_of(rel)
'duckdb'
>>> type_native(rel, "monthly").fetchall()
[('C1', datetime.date(2024, 9, 1), 1.5)]
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import polars as pl

from custvalue.errors import UnsupportedInputError
from custvalue.inputs.contract import TABLES
from custvalue.inputs.parse import parse_series, unreadable_series

__all__ = ["ENGINES", "Engine", "engine_of", "hold", "read_native", "release",
           "spark_session", "to_engine", "type_native", "with_row_index"]

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
    module = type(source).__module__
    if module.startswith("duckdb") or module.startswith("_duckdb"):
        return "duckdb"
    if module.startswith("pyspark"):
        return "spark"
    return "polars"


def spark_session() -> Any:
    """The active Spark session, or a new one (local mode outside ``spark-submit``).

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
    # the Python workers parse the values: they must run this interpreter (with custvalue)
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    session = (SparkSession.builder.appName("custvalue")
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.execution.arrow.maxRecordsPerBatch", "100000")
               .getOrCreate())
    return session


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


#: Rows per Arrow batch the parser sees on DuckDB (a batch is the unit held in Python).
DUCKDB_BATCH_ROWS = 1_000_000
_ARROW = {"str": "string", "float": "float64", "int": "int64", "date": "date32",
          "month": "date32"}


def _parse_batch(batch: Any, kinds: dict[str, str], flags: bool, offset: int | None) -> Any:
    """One Arrow batch through the one parser: the contract columns typed, the others as
    they are, then ``_bad_<c>`` flags (``flags``) and the row index from ``offset``."""
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
    if flags:
        for name, kind in kinds.items():
            if kind != "str":
                names.append(f"_bad_{name}")
                columns.append(unreadable_series(frame[name], kind).to_arrow())
    if offset is not None:
        names.append(ROW)
        columns.append(pa.array(range(offset, offset + batch.num_rows), type=pa.int64()))
    return pa.RecordBatch.from_arrays(columns, names=names)


def type_native(native: Any, table: str, *, flags: bool = False) -> Any:
    """The contract columns of a DuckDB or Spark frame parsed by the one parser.

    Other columns pass through unchanged.  With ``flags`` (the checks) each parsed column
    ``c`` of a kind other than text gets a boolean ``_bad_c`` (the cell holds a value the
    parser cannot read) and the frame gets the input order as ``_row``.

    * DuckDB: the relation is streamed in Arrow batches of :data:`DUCKDB_BATCH_ROWS` rows
      through the parser into a table of the relation's connection (the parser runs once;
      the checks' queries and the indicators read that table, which lives as long as the
      returned relation).  One batch at a time is held in Python.
    * Spark: a lazy ``mapInArrow`` step (the executors parse each Arrow batch; its size is
      ``spark.sql.execution.arrow.maxRecordsPerBatch``); with ``flags`` the input order is
      ``monotonically_increasing_id()`` (:func:`with_row_index`).
    """
    engine = engine_of(native)
    if engine == "duckdb":
        return _type_duckdb(native, table, flags)
    if engine == "spark":
        return _type_spark(native, table, flags)
    raise UnsupportedInputError(table, None, f"not a DuckDB or Spark frame: "
                                f"{type(native).__name__}", fix="use custvalue.inputs.io."
                                "type_plan for polars plans")


# -- DuckDB: the parser streamed into a table ---------------------------------------------


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _drop_table(con: Any, name: str) -> None:  # pragma: no cover - at garbage collection
    with contextlib.suppress(Exception):  # the connection may be closed already
        con.execute(f"DROP TABLE IF EXISTS {name}")


def _type_duckdb(rel: Any, table: str, flags: bool) -> Any:
    import uuid
    import weakref

    import pyarrow as pa

    con = _duckdb_connection(rel)
    if ROW in rel.columns:  # numbered again below, in the order the rows stream
        rel = rel.project(", ".join(_quote(c) for c in rel.columns if c != ROW))
    kinds = _kinds(table, list(rel.columns))
    name = f"custvalue_{table}_{uuid.uuid4().hex[:12]}"
    reader = rel.to_arrow_reader(DUCKDB_BATCH_ROWS) if hasattr(rel, "to_arrow_reader") \
        else rel.fetch_record_batch(DUCKDB_BATCH_ROWS)
    writer = con.cursor()  # inserts while the relation streams on its own connection
    empty = pa.RecordBatch.from_pylist([], schema=reader.schema)
    batch = _parse_batch(empty, kinds, flags, 0 if flags else None)
    writer.register("custvalue_batch", pa.Table.from_batches([batch]))
    writer.execute(f"CREATE TABLE {name} AS SELECT * FROM custvalue_batch")
    offset = 0
    for raw in reader:
        batch = _parse_batch(raw, kinds, flags, offset if flags else None)
        offset += raw.num_rows
        writer.register("custvalue_batch", pa.Table.from_batches([batch]))
        writer.execute(f"INSERT INTO {name} SELECT * FROM custvalue_batch")
    writer.unregister("custvalue_batch")
    writer.close()
    out = con.table(name)
    weakref.finalize(out, _drop_table, con, name)
    return out


# -- Spark: mapInArrow -------------------------------------------------------------------


def _type_spark(frame: Any, table: str, flags: bool) -> Any:
    from pyspark.sql import types as T

    if flags and ROW not in frame.columns:
        frame = with_row_index(frame)
    kinds = _kinds(table, list(frame.columns))
    spark_type = {"str": T.StringType(), "float": T.DoubleType(), "int": T.LongType(),
                  "date": T.DateType(), "month": T.DateType()}
    fields = [T.StructField(f.name, spark_type[kinds[f.name]], True) if f.name in kinds
              else f for f in frame.schema.fields]
    if flags:
        fields += [T.StructField(f"_bad_{c}", T.BooleanType(), True)
                   for c, k in kinds.items() if k != "str"]

    def parse(batches: Iterator[Any]) -> Iterator[Any]:
        for batch in batches:
            yield _parse_batch(batch, kinds, flags, None)

    return frame.mapInArrow(parse, T.StructType(fields))


def hold(native: Any) -> Any:
    """Keep a typed frame for several queries: Spark persists it on the executors' disks
    (``DISK_ONLY``: the parser runs once, not once per query, and no executor or driver
    heap holds the rows); a DuckDB relation from :func:`type_native` is a table already.
    Give it back with :func:`release`."""
    if engine_of(native) == "spark":
        from pyspark import StorageLevel

        return native.persist(StorageLevel.DISK_ONLY)
    return native


def release(native: Any) -> None:
    """Free what :func:`hold` (or :func:`type_native` on DuckDB) kept for ``native``."""
    engine = engine_of(native)
    if engine == "spark":
        native.unpersist()
    elif engine == "duckdb":
        name = getattr(native, "alias", "")
        if str(name).startswith("custvalue_"):
            _drop_table(_duckdb_connection(native), str(name))
