"""Databases: input tables read from a database, the grades written back to one.

Billing and register tables live in the utility's database, not in CSV files.  A
:class:`DatabaseSource` names one table of a database by URI plus a table name or an SQL
query; it is accepted wherever a table is (``custvalue.grade(customers=DatabaseSource(...),
...)``, :func:`custvalue.check_tables`), and the CLI builds them from the mapping file's
``[source]`` section or ``--db URI``.  The rows are fetched as Arrow through the database's
ADBC driver (``adbc-driver-postgresql``, ``adbc-driver-sqlite``, or any installed
``adbc_driver_<scheme>`` package) and polars' database reader; from there they go through the
same one reader (:func:`custvalue.inputs.io.scan_raw`: the mapping's names and values), the
one parser and the same checks as a file.  No driver code lives here.

URIs::

    postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE   (also postgres://)
    sqlite:///relative/path.db      sqlite:////absolute/path.db

Credentials never need to be written down: ``${NAME}`` in a URI is replaced by the
environment variable ``NAME`` when connecting (``postgresql://grader:${BILLING_PW}@db/bill``),
and PostgreSQL's own ``PGPASSWORD`` / ``~/.pgpass`` work as for ``psql``.  A password is
shown as ``***`` wherever a URI is printed, logged or stored (the manifest, error messages,
``repr``).

:func:`write_grades` writes a grading back: the grades table gets one row per customer and
run (the grading table with a leading ``run_id`` column), the runs table one row per run
(run id, times, scheme hash, package version, input hashes, row counts, the manifest as
JSON).  **Rule:** a run is identified by its run id, by default the window's last month and
the scheme hash's first 12 hex digits (``2024-12_3fa2b1c4d5e6``); writing a run whose id is
already there replaces that run's rows in both tables in one transaction (delete, then
insert, then commit), so a reader sees the old run or the new one, never a mix, and other
runs are untouched.

This module is long because it is the one place that talks to databases, both ways: the URI
and credential rules, the connection, the reader and the write-back share them, and each
public function carries a runnable example.

Examples
--------
>>> import tempfile, pathlib, polars as pl
>>> path = pathlib.Path(tempfile.mkdtemp()) / "billing.db"
>>> with connect(f"sqlite:///{path}", "customers", create=True) as conn:
...     pl.DataFrame({"customer_id": ["007"], "x": [1.5]}).write_database(
...         "register", conn, engine="adbc")
...     conn.commit()
1
>>> source = DatabaseSource(f"sqlite:///{path}", table="register")
>>> source.read("customers").rows()
[('007', 1.5)]
>>> redact_uri("postgresql://grader:s3cret@db.example:5432/billing")
'postgresql://grader:***@db.example:5432/billing'
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote, urlsplit

import polars as pl

from custvalue.errors import DatabaseError
from custvalue.grading.manifest import Fingerprint, fingerprint
from custvalue.inputs.contract import TABLES

if TYPE_CHECKING:
    from custvalue.grading import Grading

__all__ = ["DEFAULT_GRADES_TABLE", "DEFAULT_RUNS_TABLE", "DatabaseSource", "connect",
           "database_tables", "default_run_id", "read_grades", "redact_uri", "write_grades"]

logger = logging.getLogger(__name__)

#: Default name of the table that receives the grades (one row per customer and run).
DEFAULT_GRADES_TABLE = "custvalue_grades"
#: Default name of the table that receives one row per run (its manifest).
DEFAULT_RUNS_TABLE = "custvalue_runs"

_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_SECRET_KEYS = frozenset({"password", "pass", "pwd", "passwd", "secret", "token"})
_DRIVERS = {"postgresql": "postgresql", "postgres": "postgresql", "sqlite": "sqlite"}
_RUN_ID = re.compile(r"^[A-Za-z0-9_.:+-]{1,128}$")
_SQL_TYPES = {"int": "BIGINT", "float": "DOUBLE PRECISION", "bool": "BOOLEAN", "str": "TEXT",
              "date": "DATE", "datetime": "TIMESTAMP"}


# --------------------------------------------------------------------------------------
# URIs and credentials
# --------------------------------------------------------------------------------------

def redact_uri(uri: str) -> str:
    """``uri`` with its password (and password-like query parameters) shown as ``***``.

    Everything else is kept as written.

    Examples
    --------
    >>> redact_uri("postgresql://u:p%40ss@h/db?sslmode=require&password=x")
    'postgresql://u:***@h/db?sslmode=require&password=***'
    >>> redact_uri("sqlite:////data/billing.db")
    'sqlite:////data/billing.db'
    """
    out = _USERINFO.sub(lambda m: f"{m.group(1)}{m.group(2)}:***@", uri, count=1)
    return _QUERY_SECRET.sub(lambda m: f"{m.group(1)}=***", out)


_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)([^:/?#@]*):[^/?#]*@")
_QUERY_SECRET = re.compile(r"(?i)(?<=[?&;])(password|pass|pwd|passwd|secret|token)=[^&;#]*")


def _secrets(uri: str) -> list[str]:
    """The password-like strings of ``uri`` (as written and URL-decoded), to scrub."""
    try:
        parts = urlsplit(uri)
    except ValueError:
        return []
    found = [parts.password or ""]
    found += [v for k, v in parse_qsl(parts.query, keep_blank_values=True)
              if k.lower() in _SECRET_KEYS]
    return sorted({s for f in found if f for s in (f, unquote(f))}, key=len, reverse=True)


def _scrub(text: str, *uris: str) -> str:
    for uri in uris:
        for secret in _secrets(uri):
            text = text.replace(secret, "***")
    return text


def expand_uri(uri: str, table: str = "database") -> str:
    """``uri`` with each ``${NAME}`` replaced by the environment variable ``NAME``.

    Raises
    ------
    DatabaseError
        A variable that is not set.

    Examples
    --------
    >>> import os
    >>> os.environ["CUSTVALUE_DOC_PW"] = "s3cret"
    >>> expand_uri("postgresql://grader:${CUSTVALUE_DOC_PW}@db/billing")
    'postgresql://grader:s3cret@db/billing'
    """
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in os.environ:
            raise DatabaseError(table, None, f"the database URI {redact_uri(uri)} names the "
                                f"environment variable {name}, which is not set",
                                fix=f"export {name}=... before running")
        return os.environ[name]

    return _ENV.sub(value, uri)


def _scheme(uri: str) -> str:
    match = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*):", uri)
    return match.group(1).lower() if match else ""


def _sqlite_path(uri: str) -> str:
    """The file of a ``sqlite:`` URI (``sqlite:///rel.db`` relative, ``sqlite:////abs.db``
    absolute, as in SQLAlchemy and polars)."""
    return re.sub(r"^sqlite:/{0,3}", "", uri, flags=re.IGNORECASE)


@contextmanager
def connect(uri: str, table: str = "database", *, create: bool = False) -> Iterator[Any]:
    """A DB-API connection (ADBC, autocommit off) to the database of ``uri``.

    The driver is chosen by the URI's scheme: ``postgresql`` / ``postgres`` →
    ``adbc_driver_postgresql``, ``sqlite`` → ``adbc_driver_sqlite``, any other ``x`` →
    ``adbc_driver_x`` if that package is installed.  ``${NAME}`` is expanded from the
    environment.  A SQLite file must exist unless ``create``.

    Raises
    ------
    DatabaseError
        No driver for the scheme, a missing SQLite file, a failed connection (the message
        names the URI with the password as ``***``).
    """
    scheme = _scheme(uri)
    if not scheme:
        raise DatabaseError(table, None, f"not a database URI: {redact_uri(uri)!r}",
                            fix="write it as postgresql://user@host:port/database or "
                            "sqlite:///path/to/file.db")
    name = _DRIVERS.get(scheme, scheme.replace("+", "_").replace("-", "_"))
    try:
        driver = importlib.import_module(f"adbc_driver_{name}.dbapi")
    except ImportError:
        raise DatabaseError(table, None, f"no ADBC driver for '{scheme}' URIs "
                            f"({redact_uri(uri)})",
                            fix=f"install adbc-driver-{name.replace('_', '-')}, or use a "
                            "postgresql:// or sqlite:/// URI") from None
    real = expand_uri(uri, table)
    target = real
    if name == "sqlite":
        target = _sqlite_path(real)
        plain = target.split("?", 1)[0]
        if not create and plain not in ("", ":memory:") and not plain.startswith("file:") \
                and not Path(plain).is_file():
            raise DatabaseError(table, None, f"no SQLite database file {plain!r} "
                                f"({redact_uri(uri)})",
                                fix="check the path: sqlite:///relative/path.db or "
                                "sqlite:////absolute/path.db")
    try:
        conn = driver.connect(target)
    except Exception as exc:  # the driver's own error types (adbc_driver_manager.Error)
        raise DatabaseError(table, None, f"cannot connect to {redact_uri(uri)}: "
                            f"{_first_lines(exc, real)}",
                            fix="check the URI, that the server runs, and the credentials "
                            "(in the URI, as ${NAME} from the environment, or PGPASSWORD)"
                            ) from None
    try:
        yield conn
    finally:
        try:
            conn.close()
        except Exception:  # pragma: no cover - closing a broken connection
            logger.debug("closing %s failed", redact_uri(uri))


def _first_lines(exc: BaseException, uri: str, lines: int = 2) -> str:
    text = " ".join(str(exc).strip().splitlines()[:lines])
    return _scrub(text, uri)[:500]


def _quote(name: str) -> str:
    """A table name as a quoted SQL identifier (``schema.table`` quoted part by part)."""
    return ".".join('"' + part.replace('"', '""') + '"' for part in name.split("."))


# --------------------------------------------------------------------------------------
# reading
# --------------------------------------------------------------------------------------

@dataclass(frozen=True, repr=False)
class DatabaseSource:
    """One input table in a database: a URI plus a table name or an SQL query.

    Parameters
    ----------
    uri : str
        ``postgresql://user[:password]@host[:port]/database``, ``sqlite:///path.db`` ...;
        ``${NAME}`` is taken from the environment when connecting.
    table : str, optional
        The table (or view) to read, exactly as named in the database (quoted, so
        case-sensitive; ``schema.table`` allowed).  Default: the contract's name of the table
        it is given for (``monthly`` ...).
    query : str, optional
        An SQL query whose result is the table (instead of ``table``), e.g. to rename
        columns or restrict the months read.

    Examples
    --------
    >>> DatabaseSource("postgresql://grader:s3cret@db/billing", table="bills")
    DatabaseSource('postgresql://grader:***@db/billing', table='bills')
    """

    uri: str
    table: str | None = None
    query: str | None = None

    def __post_init__(self) -> None:
        if self.table is not None and self.query is not None:
            raise DatabaseError(self.table, None, "give a table or a query, not both",
                                fix="drop one of table= and query=")
        if not isinstance(self.uri, str) or not _scheme(self.uri):
            raise DatabaseError(self.table or "database", None,
                                f"not a database URI: {redact_uri(str(self.uri))!r}",
                                fix="write it as postgresql://user@host:port/database or "
                                "sqlite:///path/to/file.db")

    def __repr__(self) -> str:
        what = f", table={self.table!r}" if self.table else \
            f", query={self.query!r}" if self.query else ""
        return f"DatabaseSource({redact_uri(self.uri)!r}{what})"

    def statement(self, table: str) -> str:
        """The SQL that reads the contract table ``table`` from this source."""
        return self.query if self.query is not None else \
            f"SELECT * FROM {_quote(self.table or table)}"

    def describe(self, table: str) -> str:
        """Where the table comes from, without credentials (for messages and manifests).

        Examples
        --------
        >>> DatabaseSource("sqlite:///b.db").describe("monthly")
        'sqlite:///b.db table monthly'
        """
        what = f"query {self.query}" if self.query is not None else \
            f"table {self.table or table}"
        return f"{redact_uri(self.uri)} {what}"

    def read(self, table: str) -> pl.DataFrame:
        """Fetch the rows (eagerly, as Arrow) for the contract table ``table``.

        Raises
        ------
        DatabaseError
            The connection fails, the table does not exist, the query fails.
        """
        name = self.table or table
        logger.info("reading %s from %s", table, self.describe(table))
        with connect(self.uri, table) as conn:
            try:
                frame = _fetch(conn, self.statement(table), _is_sqlite(self.uri))
            except DatabaseError:
                raise
            except Exception as exc:  # the driver's errors: missing table, bad SQL
                real = expand_uri(self.uri, table)
                if self.query is not None:
                    problem = f"the query failed on {redact_uri(self.uri)}: " \
                        f"{_first_lines(exc, real)}"
                    fix = "check the query (run it in the database's own client)"
                else:
                    problem = f"cannot read table '{name}' from {redact_uri(self.uri)}: " \
                        f"{_first_lines(exc, real)}"
                    fix = (f"check the table name (the mapping's [tables.{table}] table = "
                           "'...', exact case) or give a query")
                raise DatabaseError(table, None, problem, fix=fix) from None
        if _is_sqlite(self.uri):
            _refuse_rounded_numbers(frame, table, self.describe(table))
        return _plain_types(frame)

    def fingerprint(self, frame: pl.DataFrame, table: str) -> Fingerprint:
        """The manifest's fingerprint of the rows read: where from (no password), how many,
        their hash."""
        return Fingerprint(kind="database", source=self.describe(table), rows=frame.height,
                           sha256=fingerprint(frame).sha256)


def _is_sqlite(uri: str) -> bool:
    return _DRIVERS.get(_scheme(uri)) == "sqlite"


#: SQLite's ADBC driver infers each column's type from the rows of a batch; one batch for the
#: whole result lets it widen integers to floats and mixed columns to text (it would fail on a
#: column that is empty in the first 1,024 rows and numbers later).
_SQLITE_ONE_BATCH = {"adbc.sqlite.query.batch_rows": str(1 << 30)}
#: How SQLite's driver writes a number into a column it reads as text (7 digits).
_ROUNDED = r"^-?\d\.\d{6}e[+-]\d{2,3}$"


def _fetch(conn: Any, statement: str, sqlite: bool) -> pl.DataFrame:
    """The rows of ``statement`` as a polars frame, fetched as Arrow through ADBC."""
    cursor = conn.cursor()
    try:
        if sqlite:
            cursor.adbc_statement.set_options(**_SQLITE_ONE_BATCH)
        cursor.execute(statement)
        frame = pl.from_arrow(cursor.fetch_arrow_table())
    finally:
        cursor.close()
        conn.rollback()  # nothing to keep: end the read transaction
    assert isinstance(frame, pl.DataFrame)  # a table, not a column
    return frame


def _refuse_rounded_numbers(frame: pl.DataFrame, table: str, where: str) -> None:
    """A SQLite column holding both numbers and text comes back as text with the numbers
    rounded to 7 digits: refuse it rather than grade on rounded values."""
    for name, dtype in frame.schema.items():
        if dtype != pl.String:
            continue
        hits = frame.filter(pl.col(name).str.contains(_ROUNDED))
        if hits.height:
            raise DatabaseError(
                table, name, f"the column mixes numbers and text in SQLite ({where}); its "
                "driver then returns the numbers rounded to 7 digits", hits.head(5).to_dicts(),
                fix=f"store one type per column, or read it with a query that casts: "
                f"CAST({name} AS REAL) for numbers, CAST({name} AS TEXT) for text",
                count=hits.height)


def _plain_types(frame: pl.DataFrame) -> pl.DataFrame:
    """Database types the one parser does not know as text (decimals stay numbers)."""
    exprs = [pl.col(n).cast(pl.String) for n, t in frame.schema.items()
             if isinstance(t, pl.Binary | pl.Object | pl.List | pl.Struct | pl.Time
                           | pl.Duration)]
    return frame.with_columns(exprs) if exprs else frame


def _exists(conn: Any, name: str) -> bool:
    cursor = conn.cursor()
    try:
        cursor.execute(f"SELECT * FROM {_quote(name)} WHERE 1 = 0")
        cursor.fetchall()
        return True
    except Exception:  # the driver's "no such table"
        return False
    finally:
        cursor.close()
        conn.rollback()


def database_tables(uri: str, tables: dict[str, str] | None = None,
                    queries: dict[str, str] | None = None) -> dict[str, DatabaseSource]:
    """The contract's tables in one database, as sources for :func:`custvalue.grade`.

    ``customers`` and ``monthly`` are always read (by default from tables of those names);
    ``events``, ``cooperation`` and ``energy`` when named in ``tables`` / ``queries`` or
    when a table of the contract's name exists.

    Parameters
    ----------
    uri : str
        The database.
    tables : dict, optional
        Contract name -> table name in the database (``{"monthly": "billing.bills"}``).
    queries : dict, optional
        Contract name -> SQL query.

    Examples
    --------
    >>> import tempfile, pathlib, polars as pl
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "b.db"
    >>> with connect(f"sqlite:///{path}", create=True) as conn:
    ...     for name in ("customers", "monthly", "energy"):
    ...         _ = pl.DataFrame({"customer_id": ["1"]}).write_database(name, conn,
    ...                                                                 engine="adbc")
    ...     conn.commit()
    >>> sorted(database_tables(f"sqlite:///{path}"))
    ['customers', 'energy', 'monthly']
    """
    tables, queries = dict(tables or {}), dict(queries or {})
    for name in [*tables, *queries]:
        if name not in TABLES:
            raise DatabaseError(name, None, f"'{name}' is not a table of the data contract",
                                fix=f"use one of {', '.join(TABLES)}")
    out: dict[str, DatabaseSource] = {}
    with connect(uri, "customers") as conn:
        for name in TABLES:
            if name in queries:
                out[name] = DatabaseSource(uri, query=queries[name])
            elif name in tables or name in ("customers", "monthly") or _exists(conn, name):
                out[name] = DatabaseSource(uri, table=tables.get(name))
    return out


# --------------------------------------------------------------------------------------
# writing the grades back
# --------------------------------------------------------------------------------------

def default_run_id(grading: Grading) -> str:
    """``<window end>_<scheme hash[:12]>``: the same window and scheme is the same run.

    Examples
    --------
    >>> import custvalue
    >>> t = custvalue.samples.generate(40, months=24, seed=1)
    >>> g = custvalue.grade(**t, duplicates="last", negative_energy="allow")
    >>> default_run_id(g) == f"{g.manifest.window['end']}_{g.manifest.scheme_hash[:12]}"
    True
    """
    end = grading.manifest.window.get("end", "all")
    return f"{end}_{grading.manifest.scheme_hash[:12]}"


def _kind(dtype: pl.DataType) -> str:
    if dtype == pl.Boolean:
        return "bool"
    if dtype.is_integer():
        return "int"
    if dtype.is_numeric():
        return "float"
    if dtype == pl.Date:
        return "date"
    if isinstance(dtype, pl.Datetime):
        return "datetime"
    return "str"


def _grades_frame(grading: Grading, run_id: str) -> pl.DataFrame:
    """The grading table as plain SQL-friendly columns, ``run_id`` first, NaN as null."""
    frame = pl.from_pandas(grading.table.reset_index(), nan_to_null=True)
    exprs = []
    for name, dtype in frame.schema.items():
        kind = _kind(dtype)
        if kind == "float" and dtype != pl.Float64:
            exprs.append(pl.col(name).cast(pl.Float64))
        elif kind == "int" and dtype != pl.Int64:
            exprs.append(pl.col(name).cast(pl.Int64))
        elif isinstance(dtype, pl.Datetime):
            exprs.append(pl.col(name).dt.replace_time_zone(None).cast(pl.Datetime("us")))
        elif kind == "str" and dtype != pl.String:
            exprs.append(pl.col(name).cast(pl.String))
    frame = frame.with_columns(exprs) if exprs else frame
    return frame.select(pl.lit(run_id).alias("run_id"), pl.all())


def _runs_frame(grading: Grading, run_id: str) -> pl.DataFrame:
    manifest = grading.manifest
    table = grading.table
    return pl.DataFrame({
        "run_id": [run_id],
        "created_at": [manifest.created_at],
        "written_at": [datetime.now(UTC).isoformat(timespec="seconds")],
        "scheme_hash": [manifest.scheme_hash],
        "package_version": [manifest.package_version],
        "window_start": [str(manifest.window.get("start", ""))],
        "window_end": [str(manifest.window.get("end", ""))],
        "customers": [len(table)],
        "graded": [int(table["graded"].sum()) if "graded" in table else None],
        "input_hashes": [json.dumps({k: v.sha256 for k, v in manifest.inputs.items()},
                                    sort_keys=True)],
        "row_counts": [json.dumps(manifest.row_counts, sort_keys=True)],
        "manifest": [manifest.model_dump_json()],
    }, schema_overrides={"graded": pl.Int64, "customers": pl.Int64})


def _arrow(frame: pl.DataFrame) -> Any:
    """Arrow with plain ``string`` columns (what every ADBC driver ingests)."""
    import pyarrow as pa

    table = frame.to_arrow(compat_level=pl.CompatLevel.oldest())
    schema = pa.schema([pa.field(f.name, pa.string()) if pa.types.is_large_string(f.type)
                        else f for f in table.schema])
    return table.cast(schema)


def _columns(conn: Any, name: str) -> list[str]:
    cursor = conn.cursor()
    try:
        cursor.execute(f"SELECT * FROM {_quote(name)} WHERE 1 = 0")
        cursor.fetchall()
        return [d[0] for d in cursor.description]
    finally:
        cursor.close()


def _replace_run(conn: Any, name: str, frame: pl.DataFrame, run_id: str, exists: bool,
                 postgres: bool) -> None:
    """Delete ``run_id``'s rows of ``name`` and insert ``frame`` (inside the transaction);
    columns the table lacks are added first."""
    cursor = conn.cursor()
    try:
        if exists:
            if postgres:  # one writer at a time: a second one waits here for the commit
                cursor.execute(f"LOCK TABLE {_quote(name)} IN SHARE ROW EXCLUSIVE MODE")
            have = set(_columns(conn, name))
            for column, dtype in frame.schema.items():
                if column not in have:
                    cursor.execute(f"ALTER TABLE {_quote(name)} ADD COLUMN "
                                   f"{_quote(column)} {_SQL_TYPES[_kind(dtype)]}")
            cursor.execute(f"DELETE FROM {_quote(name)} WHERE run_id = '{run_id}'")
        schema, _, bare = name.rpartition(".")
        cursor.adbc_ingest(bare, _arrow(frame), mode="create_append",
                           db_schema_name=schema or None)
    finally:
        cursor.close()


def write_grades(grading: Grading, uri: str, *, table: str = DEFAULT_GRADES_TABLE,
                 runs_table: str = DEFAULT_RUNS_TABLE, run_id: str | None = None) -> str:
    """Write the grading to a database: its rows to ``table``, its manifest to ``runs_table``.

    Both tables are created on first use.  The run's earlier rows (same ``run_id``) are
    replaced in one transaction; columns a new run has and the table lacks are added
    (older runs get nulls there).  See the module for the rule.

    Parameters
    ----------
    grading : Grading
    uri : str
        The database (``${NAME}`` from the environment; a SQLite file is created if missing).
    table, runs_table : str
        Table names (default ``custvalue_grades``, ``custvalue_runs``).
    run_id : str, optional
        Default :func:`default_run_id` (window end and scheme hash); letters, digits and
        ``_ . : + -`` only.

    Returns
    -------
    str
        The run id written.

    Raises
    ------
    DatabaseError
        A bad URI, a failed connection or write (nothing is written then).

    Examples
    --------
    >>> import custvalue, tempfile, pathlib
    >>> t = custvalue.samples.generate(40, months=24, seed=1)
    >>> g = custvalue.grade(**t, duplicates="last", negative_energy="allow")
    >>> uri = f"sqlite:///{pathlib.Path(tempfile.mkdtemp()) / 'out.db'}"
    >>> run = write_grades(g, uri, run_id="demo")
    >>> back = read_grades(uri, run_id="demo")
    >>> len(back) == len(g.table), list(back.columns[:2])
    (True, ['run_id', 'customer_id'])
    """
    run_id = run_id or default_run_id(grading)
    if not _RUN_ID.match(run_id):
        raise DatabaseError(table, "run_id", f"run id {run_id!r} has other characters than "
                            "letters, digits and _ . : + -", fix="choose a simpler run id")
    grades = _grades_frame(grading, run_id)
    runs = _runs_frame(grading, run_id)
    with connect(uri, table, create=True) as conn:
        postgres = _DRIVERS.get(_scheme(uri)) == "postgresql"
        exists = {name: _exists(conn, name) for name in (table, runs_table)}
        try:
            _replace_run(conn, table, grades, run_id, exists[table], postgres)
            _replace_run(conn, runs_table, runs, run_id, exists[runs_table], postgres)
            conn.commit()
        except Exception as exc:
            conn.rollback()
            if isinstance(exc, DatabaseError):
                raise
            raise DatabaseError(table, None, f"writing run {run_id} to {redact_uri(uri)} "
                                f"failed, nothing was written: "
                                f"{_first_lines(exc, expand_uri(uri, table))}",
                                fix="check the table names and the database user's rights "
                                "(CREATE, INSERT, DELETE)") from None
    logger.info("wrote run %s: %d rows to %s, one to %s of %s", run_id, grades.height,
                table, runs_table, redact_uri(uri))
    return run_id


def read_grades(uri: str, run_id: str | None = None, *,
                table: str = DEFAULT_GRADES_TABLE) -> Any:
    """The grades of one run (or of all runs) from a database, as a pandas frame.

    Rows are sorted by ``run_id`` and ``customer_id``; integer columns are ``Int64`` (the
    tier), and each database returns its own types otherwise (SQLite has no boolean or date
    type: ``graded`` comes back as 0/1 there, dates as text).

    Raises
    ------
    DatabaseError
        A bad URI, no such table, an unknown run id.
    """
    query = f"SELECT * FROM {_quote(table)}"
    if run_id is not None:
        if not _RUN_ID.match(run_id):
            raise DatabaseError(table, "run_id", f"run id {run_id!r} is not valid",
                                fix="letters, digits and _ . : + - only")
        query += f" WHERE run_id = '{run_id}'"
    frame = DatabaseSource(uri, query=query).read(table)
    if run_id is not None and frame.height == 0:
        raise DatabaseError(table, "run_id", f"no run {run_id!r} in {table} of "
                            f"{redact_uri(uri)}", fix="list the runs in the runs table")
    out = frame.sort(["run_id", "customer_id"]).to_pandas()
    for name, dtype in frame.schema.items():  # integers with nulls stay integers
        if dtype.is_integer():
            out[name] = out[name].astype("Int64")
    return out
