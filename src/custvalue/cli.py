"""The ``custvalue`` command line (typer + rich).

Exit codes: 0 success, 1 internal error, 2 bad input data, 3 bad scheme, 4 a validation
gate failed (``validate --strict``).  Messages are printed without a traceback unless
``--debug`` is given.

This module is long because it holds one small command function per CLI command, each with
its typed options and exit codes; the work itself is in the stages.
"""

from __future__ import annotations

import re
import sys
import warnings
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeVar

import typer
from rich.console import Console

from custvalue.errors import CustvalueError, InputError, SchemeError

if TYPE_CHECKING:  # imported lazily at run time: `custvalue --help` stays fast
    import pandas as pd
    from rich.table import Table

    from custvalue.grading import Grading
    from custvalue.scoring import Scheme

__all__ = ["CSV_DECIMALS", "EXIT_BAD_INPUT", "EXIT_BAD_SCHEME", "EXIT_GATE_FAILED",
           "EXIT_INTERNAL", "app", "cli_hint", "write_spreadsheet_csv"]

EXIT_INTERNAL = 1
EXIT_BAD_INPUT = 2
EXIT_BAD_SCHEME = 3
EXIT_GATE_FAILED = 4
#: Clusters of the report's tier check (``validate_tiers``' default ``k``).
CLUSTERS = 4

app = typer.Typer(
    name="custvalue",
    help="Score electricity customers on value and sort them into service tiers.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# Redirected output (batch logs, CI) is 120 columns wide rather than rich's 80, so that the
# scheme and summary tables are not wrapped cell by cell.
_WIDTH = None if sys.stdout.isatty() else 120
err = Console(stderr=True, width=_WIDTH)
out = Console(width=_WIDTH)

T = TypeVar("T")

#: Decimals kept in ``grades.csv`` (the Parquet file keeps full precision).
CSV_DECIMALS = 6

# Library hints name keyword arguments (``duplicates='sum'``); the CLI shows them as flags.
_HINT = re.compile(r"(?:IndicatorParams\()?\b(duplicates|negative_energy|unknown_customers|"
                   r"not_assessable|"
                   r"overwrite|lang|strata|label|method|features)=(?:'([^']*)'|\"([^\"]*)\"|"
                   r"(True))\)?")


def cli_hint(text: str) -> str:
    """Rewrite the library's keyword hints as command-line flags.

    Examples
    --------
    >>> cli_hint("pass IndicatorParams(duplicates='sum') or unknown_customers='exclude'")
    'pass --duplicates sum or --unknown-customers exclude'
    >>> cli_hint("choose another label or pass overwrite=True")
    'choose another label or pass --overwrite'
    """
    def flag(m: re.Match[str]) -> str:
        name = "--" + m.group(1).replace("_", "-")
        value = m.group(2) if m.group(2) is not None else m.group(3)
        return name if m.group(4) else f"{name} {value}"

    return _HINT.sub(flag, text)


def _version(value: bool) -> None:
    if value:
        from custvalue import __version__

        out.print(f"custvalue {__version__}", highlight=False, markup=False)
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True,
        help="Print the package version and exit.")] = False,
) -> None:
    """Score electricity customers on value and sort them into service tiers."""


def _run(debug: bool, action: Callable[[], T]) -> T:
    """Run ``action`` and map custvalue's errors onto the documented exit codes."""
    try:
        return action()
    except typer.Exit:
        raise
    except InputError as exc:
        if debug:
            raise
        err.print(f"[bold red]bad input[/]: {_escape(exc)}", highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except SchemeError as exc:
        if debug:
            raise
        what = "bad mapping" if type(exc).__name__ == "MappingError" else "bad scheme"
        err.print(f"[bold red]{what}[/]: {_escape(exc)}", highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_BAD_SCHEME) from None
    except (CustvalueError, Exception) as exc:
        if debug:
            raise
        from custvalue.regrade.snapshots import SnapshotError

        if isinstance(exc, SnapshotError):
            err.print(f"[bold red]bad input[/]: {_escape(exc)}\n  fix: pass --overwrite to "
                      "replace it, or --label NAME for another snapshot", highlight=False,
                      soft_wrap=True)
            raise typer.Exit(EXIT_BAD_INPUT) from None
        err.print(f"[bold red]internal error[/]: {type(exc).__name__}: {_escape(exc)}\n"
                  "run again with --debug for the traceback", highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_INTERNAL) from None


def _escape(exc: BaseException) -> str:
    """The message with hints as CLI flags and rich markup escaped (messages quote rows that
    may hold brackets)."""
    from rich.markup import escape

    return escape(cli_hint(str(exc)))


Debug = Annotated[bool, typer.Option("--debug", help="Show tracebacks.")]
DbOption = Annotated[str | None, typer.Option(
    "--db", help="Read the tables not given as files from this database "
    "(postgresql://user@host:port/db, sqlite:///file.db; ${NAME} from the environment); "
    "the mapping may name each table or query.")]

Duplicates = Literal["error", "sum", "last"]
NegativeEnergy = Literal["error", "allow"]
UnknownCustomers = Literal["error", "exclude"]
NotAssessable = Literal["error", "warn"]
EngineName = Literal["polars", "duckdb", "spark"]


@app.command()
def check(
    data: Annotated[Path | None, typer.Argument(
        help="Folder holding customers.csv, monthly.csv, ... (or --db / --mapping)")] = None,
    duplicates: Annotated[Duplicates, typer.Option(help="Duplicated monthly rows.")] = "error",
    negative_energy: Annotated[NegativeEnergy, typer.Option(
        help="Negative energy readings.")] = "error",
    strict: Annotated[bool, typer.Option(help="Exit 2 on the first error.")] = False,
    mapping: MappingOption = None,
    encoding: EncodingOption = None,
    sheet: SheetOption = None,
    db: DbOption = None,
    debug: Debug = False,
) -> None:
    """Check the input tables in DATA against the data contract and print a summary."""
    from custvalue.inputs.checks import check_tables
    from custvalue.inputs.io import find_tables

    def action() -> None:
        if mapping is not None or db is not None:
            tables = _gather_tables(data, {}, mapping, db)
        elif data is not None:
            tables = dict(find_tables(data))
        else:
            raise InputError("customers", None, "no tables given",
                             fix="pass a folder, --db URI or --mapping FILE")
        if "customers" not in tables:
            raise InputError("customers", None, f"no customers table in {data}",
                             fix="add customers.csv (or .parquet / .xlsx)")
        report = check_tables(tables["customers"], tables.get("monthly"), tables.get("events"),
                              tables.get("cooperation"), tables.get("energy"),
                              duplicates=duplicates, negative_energy=negative_energy,
                              strict=strict, mapping=mapping, encoding=encoding, sheet=sheet)
        out.print(cli_hint(str(report)), highlight=False, markup=False, soft_wrap=True)
        if report.ok:
            _print_table_summary(tables, mapping, encoding, sheet)
        if not report.ok:
            raise typer.Exit(EXIT_BAD_INPUT)

    _run(debug, action)


def _print_table_summary(tables: dict[str, Any], mapping: Path | None = None,
                         encoding: str | None = None, sheet: str | None = None) -> None:
    import polars as pl
    from rich.markup import escape
    from rich.table import Table

    from custvalue.inputs.io import scan_typed
    from custvalue.inputs.mapping import as_mapping

    customers = scan_typed(tables["customers"], "customers", mapping=as_mapping(mapping),
                           encoding=encoding, sheet=sheet).collect()
    summary = Table(title="customers by class")
    for column in ("class", "customers", "share", "median kVA"):
        summary.add_column(column, justify="left" if column == "class" else "right")
    by_class = customers.group_by("customer_class").agg(
        pl.len().alias("n"), pl.col("contract_kva").median().alias("kva")
    ).sort("customer_class")
    for row in by_class.iter_rows(named=True):
        summary.add_row(escape(str(row["customer_class"])), f"{row['n']:,}",
                        f"{row['n'] / customers.height:.1%}", f"{row['kva']:,.0f}")
    out.print(summary)


TableOption = Annotated[Path | None, typer.Option(help="CSV, Parquet or Excel file.")]


MappingOption = Annotated[Path | None, typer.Option(
    help="TOML file mapping the export's column names and values onto the data contract "
    "(and naming its files); see data/samples/mapping.example.toml.")]
EncodingOption = Annotated[str | None, typer.Option(
    help="Encoding of the CSV files: utf-8, gbk, gb18030 (default: detected).")]
SheetOption = Annotated[str | None, typer.Option(
    help="Excel: the one sheet to read (default: every sheet).")]


def _gather_tables(data: Path | None, given: dict[str, Path | None],
                   mapping: Path | None = None, db: str | None = None) -> dict[str, Any]:
    """Tables from --data DIR, then the mapping file's ``file`` entries (relative to --data,
    else to the mapping file), overridden by the per-table options; then the tables the
    mapping reads from a database (its ``[source]`` / ``uri`` / ``table`` / ``query``, or
    ``--db``) for those not given as files."""
    from custvalue.inputs.io import find_tables
    from custvalue.inputs.mapping import Mapping

    tables: dict[str, Any] = dict(find_tables(data)) if data is not None else {}
    spec = Mapping.load(mapping) if mapping is not None else Mapping()
    if mapping is not None:
        base = data if data is not None else mapping.parent
        tables.update({name: base / entry.file for name, entry in spec.tables.items()
                       if entry.file and name != "pins"})
    tables.update({k: v for k, v in given.items() if v is not None})
    named_in_db = {n for n, e in spec.tables.items() if e.in_database}
    files = {n for n in tables if n not in named_in_db or given.get(n)}
    tables.update(spec.database_sources(db, skip=files))
    for name in ("customers", "monthly"):
        if name not in tables:
            raise InputError(name, None, f"no {name} table given",
                             fix=f"pass --{name} FILE, --data DIR holding {name}.csv, "
                             "or --db URI")
    return tables


def _engine_tables(tables: dict[str, Path], engine: EngineName, *,
                   options_given: dict[str, object]) -> dict[str, Any]:
    """The tables read by ``engine`` (DuckDB relations or Spark DataFrames, lazily); the
    checks and the indicators then run there and only the per-customer table is
    collected (docs/scale.md)."""
    if engine == "polars":
        return dict(tables)
    given = [f"--{k}" for k, v in options_given.items() if v is not None]
    if given:
        raise InputError("engine", None, f"{', '.join(given)} apply to the polars reader, not "
                         f"to --engine {engine}",
                         fix="convert the tables to Parquet or UTF-8 CSV with the contract's "
                         "column names, or use --engine polars")
    from custvalue.inputs.engines import read_native, spark_session

    if engine == "duckdb":
        try:
            import duckdb
        except ImportError:
            raise InputError("engine", None, "the duckdb engine needs DuckDB, which is not "
                             "installed", fix="pip install 'duckdb>=1.1', or use --engine "
                             "polars") from None
        context: Any = duckdb.connect()
    else:
        context = spark_session()
    return {k: read_native(v, k, engine, context=context) for k, v in tables.items()}


@app.command()
def grade(
    out_dir: Annotated[Path | None, typer.Option(
        "--out", help="Folder to write the grading to (and/or --to-db).")] = None,
    data: Annotated[Path | None, typer.Option(help="Folder holding the tables as "
                                              "<table>.csv/.parquet/.xlsx.")] = None,
    customers: TableOption = None,
    monthly: TableOption = None,
    events: TableOption = None,
    cooperation: TableOption = None,
    energy: TableOption = None,
    scheme: Annotated[Path | None, typer.Option(help="Scheme file (TOML or JSON).")] = None,
    pins: Annotated[Path | None, typer.Option(
        help="CSV, Parquet or Excel file of customer_id, tier, reason.")] = None,
    pins_outside_quota: Annotated[bool, typer.Option(
        help="Pinned customers do not count against the quotas.")] = False,
    strata: Annotated[str | None, typer.Option(help="Apply quotas within this register "
                                               "column (e.g. region).")] = None,
    duplicates: Annotated[Duplicates, typer.Option(help="Duplicated monthly rows.")] = "error",
    negative_energy: Annotated[NegativeEnergy, typer.Option(
        help="Negative energy readings.")] = "error",
    unknown_customers: Annotated[UnknownCustomers, typer.Option(
        help="Records of customers not in the register.")] = "error",
    not_assessable: Annotated[NotAssessable, typer.Option(
        help="A scheme indicator no customer can be assessed on: stop, or grade without "
        "it and warn.")] = "error",
    history: Annotated[Path | None, typer.Option(
        help="Also keep the grading as a dated snapshot in this folder.")] = None,
    label: Annotated[str | None, typer.Option(
        help="Snapshot label (with --history; default: the window end, e.g. 2024-12).")]
    = None,
    overwrite: Annotated[bool, typer.Option(
        "--overwrite", help="Replace an existing snapshot of the same label.")] = False,
    checks: Annotated[bool, typer.Option(
        help="Run the input checks first (--no-checks: data already checked; the indicator "
        "stage still refuses duplicated months).")] = True,
    mapping: MappingOption = None,
    encoding: EncodingOption = None,
    sheet: SheetOption = None,
    db: DbOption = None,
    to_db: Annotated[str | None, typer.Option(
        "--to-db", help="Also write the grades to this database (URI as for --db).")] = None,
    db_table: Annotated[str, typer.Option(
        "--db-table", help="Table receiving the grades (one row per customer and run).")]
    = "custvalue_grades",
    runs_table: Annotated[str, typer.Option(
        "--runs-table", help="Table receiving one row per run (its manifest).")]
    = "custvalue_runs",
    run_id: Annotated[str | None, typer.Option(
        "--run-id", help="Run id in the database (default: window end and scheme hash); "
        "writing a run id again replaces that run's rows.")] = None,
    force: Annotated[bool, typer.Option(
        "--force", help="Write into a non-empty folder that is not a grading.")] = False,
    raw_csv: Annotated[bool, typer.Option(
        "--raw-csv", help="Write grades.csv cells as they are (no ' before = + - @).")]
    = False,
    quiet: Annotated[bool, typer.Option("--quiet", help="Print only errors.")] = False,
    engine: Annotated[EngineName, typer.Option(
        help="Where the checks and indicators run: polars (default, streaming), duckdb, or "
        "spark (Parquet/CSV; only the per-customer table is collected).")] = "polars",
    debug: Debug = False,
) -> None:
    """Grade a customer base and write grades.parquet, grades.csv, manifest.json, summary.txt."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from custvalue.inputs.checks import CheckOptions
    from custvalue.pipeline import grade as run_grade

    def action() -> None:
        if (label is not None or overwrite) and history is None:
            raise InputError("history", None, "--label and --overwrite name a snapshot",
                             fix="add --history DIR")
        if out_dir is None and (to_db is None or history is not None):
            raise InputError("grading", None, "no --out folder to write the grading to"
                             + (" (--history copies it from there)" if history else ""),
                             fix="add --out DIR" + ("" if history else " or --to-db URI"))
        tables = _gather_tables(data, {"customers": customers, "monthly": monthly,
                                       "events": events, "cooperation": cooperation,
                                       "energy": energy}, mapping, db)
        sources = _engine_tables(tables, engine, options_given={
            "mapping": mapping, "encoding": encoding, "sheet": sheet, "db": db})
        options = CheckOptions.resolve(duplicates=duplicates, negative_energy=negative_energy,
                                       unknown_customers=unknown_customers,
                                       not_assessable=not_assessable)
        columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
        with Progress(*columns, console=err, transient=True, disable=quiet) as bar:
            task = bar.add_task("reading", total=None)

            def progress(stage: str) -> None:
                bar.update(task, description=f"stage: {stage}")

            with warnings.catch_warnings():  # shown below in the warning panel instead
                warnings.filterwarnings("ignore", message=".*missing for every customer")
                result = run_grade(
                    sources["customers"], sources["monthly"], sources.get("events"),
                    sources.get("cooperation"), sources.get("energy"), scheme=scheme, pins=pins,
                    strata=strata, pins_count_against_quota=not pins_outside_quota,
                    options=options, check=checks, progress=progress, mapping=mapping,
                    encoding=encoding, sheet=sheet,
                )
            bar.update(task, description="stage: writing")
            if out_dir is not None:
                write_grading(result, out_dir, force=force, safe_csv=not raw_csv)
            if to_db is not None:
                from custvalue.inputs.database import redact_uri, write_grades

                written_run = write_grades(result, to_db, table=db_table,
                                           runs_table=runs_table, run_id=run_id)
        if history is not None and out_dir is not None:
            from custvalue.regrade import save_snapshot

            save_snapshot(out_dir, history, label, overwrite=overwrite)
        _print_warnings(result.findings)
        if not quiet:
            out.print(result.summary_text(), highlight=False, markup=False, soft_wrap=True)
            stages = ", ".join(f"{k} {v:.2f}s" for k, v in result.manifest.timings.items())
            out.print(f"\nstages: {stages}", highlight=False, markup=False)
            if out_dir is not None:
                out.print(f"wrote {out_dir}", highlight=False, markup=False)
            if to_db is not None:
                out.print(f"wrote run {written_run}: {len(result.table)} rows to {db_table}, "
                          f"its manifest to {runs_table} of {redact_uri(to_db)}",
                          highlight=False, markup=False)

    _run(debug, action)


#: Finding codes the CLI shows in a warning panel even with ``--quiet``: the grading went on,
#: but without something the scheme asked for.
LOUD_WARNINGS = frozenset({"indicator_not_assessable"})


def _print_warnings(findings: list[dict[str, object]]) -> None:
    """Print the findings that changed what was graded in a yellow panel on stderr."""
    loud = [f for f in findings if f.get("code") in LOUD_WARNINGS]
    if not loud:
        return
    from rich.panel import Panel
    from rich.text import Text

    body = Text()
    for f in loud:
        body.append(f"{f.get('column')}: {f.get('message')}\n", style="bold")
        if f.get("fix"):
            body.append(f"  fix: {cli_hint(str(f['fix']))}\n")
    err.print(Panel(body, title="warning: graded without an indicator", border_style="yellow",
                    expand=False))


def write_grading(result: Grading, out_dir: Path, *, force: bool = False,
                  safe_csv: bool = True) -> list[Path]:
    """Save a grading plus the CLI's extra files (grades.csv, summary.txt), as one folder
    written whole or not at all (see :meth:`Grading.save`)."""
    from custvalue.grading import SUMMARY_FILE

    extra = {"grades.csv": spreadsheet_csv_bytes(result.table.reset_index(), safe=safe_csv),
             SUMMARY_FILE: (result.summary_text() + "\n").encode("utf-8")}
    result.save(out_dir, extra=extra, force=force)
    return [out_dir]


def spreadsheet_csv_bytes(frame: pd.DataFrame, *, safe: bool = True) -> bytes:
    """``frame`` as CSV bytes that Excel opens correctly, also on Chinese Windows.

    UTF-8 with a byte-order mark (without it Excel reads the file as the system code page,
    GBK there, and the Chinese tier names turn to mojibake), floats rounded to
    :data:`CSV_DECIMALS` decimals, ``\n`` line ends; with ``safe`` (the default) cells that a
    spreadsheet would run as formulas are neutralised (:func:`spreadsheet_safe`).

    Examples
    --------
    >>> import pandas as pd
    >>> data = spreadsheet_csv_bytes(pd.DataFrame({"tier_zh": ["特级客户"],
    ...                                            "score": [64.150000000001]}))
    >>> data[:3], data.decode("utf-8-sig").splitlines()[1]
    (b'\xef\xbb\xbf', '特级客户,64.15')
    """
    import numpy as np

    table = spreadsheet_safe(frame) if safe else frame
    floats = table.select_dtypes(include=np.floating).columns
    rounded = table.copy()
    rounded[floats] = table[floats].round(CSV_DECIMALS)
    text = rounded.to_csv(index=False, lineterminator="\n")
    return ("\ufeff" + text).encode("utf-8")


def write_spreadsheet_csv(frame: pd.DataFrame, path: Path, *, safe: bool = True) -> Path:
    """Write :func:`spreadsheet_csv_bytes` of ``frame`` to ``path``; return the path.

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = write_spreadsheet_csv(pd.DataFrame({"tier_zh": ["特级客户"],
    ...                                             "score": [64.150000000001]}),
    ...                               Path(d) / "g.csv")
    ...     p.read_bytes()[:3], p.read_text("utf-8-sig").splitlines()[1]
    (b'\xef\xbb\xbf', '特级客户,64.15')
    """
    path.write_bytes(spreadsheet_csv_bytes(frame, safe=safe))
    return path


#: Leading characters that make a spreadsheet read a cell as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells starting with ``= + - @``, tab or CR get a leading ``'`` (numbers untouched).

    Spreadsheets run such cells as formulas (``=HYPERLINK(...)``); the apostrophe makes
    them text.  ``custvalue grade --raw-csv`` writes the cells unchanged.

    Examples
    --------
    >>> import pandas as pd
    >>> safe = spreadsheet_safe(pd.DataFrame({"a": ["=1+1", "ok", "@x"], "b": [-1.0, 2.0, 3.0]}))
    >>> safe["a"].tolist(), safe["b"].tolist()
    (["'=1+1", 'ok', "'@x"], [-1.0, 2.0, 3.0])
    """
    import pandas as pd

    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if isinstance(values.dtype, pd.CategoricalDtype):  # the texts are the categories
            names = pd.Series(values.cat.categories.astype(object))
            risky_names = names.str.startswith(FORMULA_STARTS).fillna(False).astype(bool)
            if risky_names.any():
                out[column] = values.cat.rename_categories(
                    names.where(~risky_names, "'" + names.astype(str)).tolist())
            continue
        if values.dtype == object or str(values.dtype).startswith(("string", "str")):
            text = values.astype("string")
            risky = text.str.startswith(FORMULA_STARTS).fillna(False).astype(bool)
            if risky.any():
                out[column] = values.astype(object).where(~risky, "'" + text.astype(object))
    return out


@app.command()
def validate(
    grading_dir: Annotated[Path, typer.Argument(metavar="DIR",
                                                help="A grading folder (custvalue grade --out).")],
    method: Annotated[Literal["kmeans", "gmm", "ward"], typer.Option(
        help="Clustering method.")] = "kmeans",
    features: Annotated[Literal["indicators", "dimensions"], typer.Option(
        help="What the customers are clustered on.")] = "indicators",
    draws: Annotated[int, typer.Option(help="Weight draws of the robustness analysis.")] = 1000,
    concentration: Annotated[float, typer.Option(
        help="Dirichlet concentration of the weight draws.")] = 100.0,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    gates: Annotated[Path | None, typer.Option(
        help="TOML file whose [gates] table replaces the scheme's thresholds.")] = None,
    strict: Annotated[bool, typer.Option(
        "--strict", help="Exit 4 when a verdict is FAIL.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", help="Print only errors.")] = False,
    debug: Debug = False,
) -> None:
    """Check the tiers of a grading by clustering and by perturbing the weights.

    Writes validation.txt, validation.json, stability.parquet and clusters.parquet into DIR
    and prints PASS / WARN / FAIL per gate of the scheme; with --strict a FAIL exits 4.
    """
    from custvalue.grading import Grading
    from custvalue.validation import tier_stability, validate_tiers, verdicts, write_reports

    def action() -> None:
        grading = Grading.load(grading_dir)
        if gates is not None:
            grading = grading.with_scheme(grading.scheme.model_copy(
                update={"gates": _read_gates(gates)}))
        with _status("clustering", quiet):
            validation = validate_tiers(grading, method=method, features=features,
                                        seed=seed)
        with _status(f"{draws} weight draws", quiet):
            stability = tier_stability(grading, draws=draws, concentration=concentration,
                                       seed=seed)
        paths = write_reports(grading, grading_dir, validation=validation, stability=stability)
        judged = verdicts(validation, stability, grading.scheme)
        if not quiet:
            out.print(str(validation), highlight=False, markup=False, soft_wrap=True)
            out.print("")
            out.print(str(stability), highlight=False, markup=False, soft_wrap=True)
            out.print("")
            out.print("wrote " + ", ".join(str(p) for p in paths.values()), highlight=False,
                      markup=False)
        if not quiet or judged.failed:
            out.print(str(judged), highlight=False, markup=False, soft_wrap=True)
        if strict and judged.failed:
            err.print(f"[bold red]validation failed[/]: {sum(v.failed for v in judged)} "
                      "gate(s) FAIL (--strict)", highlight=False)
            raise typer.Exit(EXIT_GATE_FAILED)

    _run(debug, action)


def _read_gates(path: Path) -> object:
    """The ``[gates]`` table (or the whole file) of a TOML file as :class:`Gates`."""
    import tomllib

    from custvalue.scoring import Gates

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SchemeError("gates", f"cannot read {path}: {exc}") from None
    return Gates(**data.get("gates", data))


def _status(message: str, quiet: bool) -> AbstractContextManager[object]:
    """A spinner on stderr while a stage runs (nothing with --quiet)."""
    return nullcontext() if quiet else err.status(message, spinner="dots")


@app.command()
def compare(
    previous: Annotated[Path, typer.Argument(metavar="PREV", help="Earlier grading folder.")],
    current: Annotated[Path, typer.Argument(metavar="CUR", help="Later grading folder.")],
    out_dir: Annotated[Path | None, typer.Option(
        "--out", help="Folder for transitions.csv, movers.csv, comparison.json/.txt "
        "(default: CUR/compare).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="Print only errors.")] = False,
    debug: Debug = False,
) -> None:
    """Compare two gradings (a regrade): transitions, movers and drivers, rank correlation.

    Prints the comparison and writes transitions.csv (one row per previous x current
    state: status and tier of each), movers.csv, comparison.json/.txt.
    """
    from custvalue.regrade import compare as run_compare

    def action() -> None:
        comparison = run_compare(previous, current)
        target = out_dir if out_dir is not None else current / "compare"
        comparison.save(target)
        if not quiet:
            out.print(str(comparison), highlight=False, markup=False, soft_wrap=True)
            out.print(f"wrote {target}", highlight=False, markup=False)

    _run(debug, action)


@app.command()
def plan(
    grading_dir: Annotated[Path, typer.Argument(metavar="GRADING",
                                                help="A grading folder (custvalue grade --out).")],
    target: Annotated[int | None, typer.Option(
        help="Tier to reach (0 = 特级); default: one tier better than --tier.")] = None,
    tier: Annotated[int | None, typer.Option(
        help="Plan for every customer of this tier; default: the worst (三级).")] = None,
    customer: Annotated[list[str] | None, typer.Option(
        help="Plan for this customer only (repeat for several).")] = None,
    out_file: Annotated[Path | None, typer.Option(
        "--out", help="CSV file for the plan table (default GRADING/plans.csv).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="Print only errors.")] = False,
    debug: Debug = False,
) -> None:
    """Improvement plans: the smallest changes of actionable indicators that reach a tier.

    Writes one row per step (customers without a step on one row) to a CSV table.
    """
    from custvalue.analysis.plans import improvement_plans
    from custvalue.grading import Grading

    def action() -> None:
        grading = Grading.load(grading_dir)
        plans = improvement_plans(grading, target, customers=customer or None, tier=tier)
        target_file = out_file if out_file is not None else grading_dir / "plans.csv"
        target_file.parent.mkdir(parents=True, exist_ok=True)
        plans.to_frame().to_csv(target_file, index=False, lineterminator="\n")
        if not quiet:
            out.print(plans.to_text(), highlight=False, markup=False, soft_wrap=True)
            out.print(f"wrote {target_file}", highlight=False, markup=False)

    _run(debug, action)


@app.command()
def report(
    grading_dir: Annotated[Path, typer.Argument(metavar="DIR", help="A grading folder.")],
    out_file: Annotated[Path | None, typer.Option(
        "--out", help="HTML file to write (default DIR/report.html).")] = None,
    previous: Annotated[Path | None, typer.Option(
        help="An earlier grading folder: adds the tier changes (movers and their causes).")
    ] = None,
    checks: Annotated[bool, typer.Option(
        help="Include clustering validation, tier robustness and indicator diagnostics "
             "(computed).")] = True,
    draws: Annotated[int, typer.Option(help="Weight draws for the robustness section.")] = 500,
    plans: Annotated[bool, typer.Option(
        help="Include the improvement plans of the worst tier's customers.")] = True,
    services: Annotated[bool, typer.Option(
        help="Include the services per tier and the ABC management actions.")] = True,
    monthly: Annotated[Path | None, typer.Option(
        help="The monthly billing table (file, or the data folder holding it): adds the "
             "customer group trends.")] = None,
    group_by: Annotated[str, typer.Option(
        help="Grading column the group trends group by (tier, abc, customer_class ...).")
    ] = "tier",
    complaints: Annotated[Path | None, typer.Option(
        help="A complaints table (CSV, Excel or Parquet: customer_id, reported_level, "
             "trigger columns): adds the complaint grading.")] = None,
    title: Annotated[str | None, typer.Option(help="Title of the report.")] = None,
    lang: Annotated[Literal["zh", "en"], typer.Option(
        help="Language of the report (one language per report).")] = "zh",
    seed: Annotated[int, typer.Option(help="Random seed of the checks.")] = 0,
    quiet: Annotated[bool, typer.Option("--quiet", help="Print only errors.")] = False,
    debug: Debug = False,
) -> None:
    """Write one self-contained HTML report of the grading in DIR, in one language.

    Key findings, overview, tier profiles, charts, validation verdicts, tier changes
    (--previous), improvement plans, services and ABC actions, group trends (--monthly),
    complaint grading (--complaints), the scheme, and a folded technical appendix.
    """
    from custvalue.grading import Grading
    from custvalue.present.report import write_report

    def action() -> None:
        grading = Grading.load(grading_dir)
        extra: dict[str, object] = {"services": services}
        if checks:
            from custvalue.analysis.diagnostics import diagnose
            from custvalue.validation import tier_stability, validate_tiers

            graded = int(grading.table["graded"].sum())
            if graded > CLUSTERS:
                extra["validation"] = validate_tiers(grading, k=CLUSTERS, seed=seed)
            elif not quiet:  # too few to cluster: the report goes without that section
                err.print(f"[yellow]report[/]: the clustering check is left out: {graded} "
                          f"graded customers are too few to form {CLUSTERS} clusters",
                          highlight=False)
            extra["stability"] = tier_stability(grading, draws=draws, seed=seed)
            extra["diagnostics"] = diagnose(grading)
        if previous is not None:
            from custvalue.regrade import compare as run_compare

            extra["comparison"] = run_compare(previous, grading_dir)
        if plans:
            extra["plans"] = grading.improvement_plans()
        if monthly is not None:
            from custvalue.analysis.groups import group_trends

            extra["groups"] = group_trends(_report_monthly(monthly), grading, by=group_by)
        if complaints is not None:
            extra["complaints"] = _report_complaints(complaints)
        target = out_file if out_file is not None else grading_dir / "report.html"
        path = write_report(grading, target, lang=lang, title=title, **extra)
        if not quiet:
            out.print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)", highlight=False,
                      markup=False)

    _run(debug, action)


def _report_monthly(path: Path) -> Path:
    """The monthly table of ``report --monthly``: the file, or ``monthly.*`` in a folder."""
    if path.is_dir():
        from custvalue.inputs.io import find_tables

        found = find_tables(path).get("monthly")
        if found is None:
            raise InputError("monthly", None, f"no monthly table in {path}",
                             fix="pass the monthly file, or the folder holding monthly.csv")
        return found
    return path


def _report_complaints(path: Path) -> pd.DataFrame:
    """The complaints table of ``report --complaints`` (not a contract table: read as is)."""
    import pandas as pd

    from custvalue.errors import UnsupportedInputError
    from custvalue.inputs.io import detect_encoding

    if not path.is_file():
        raise UnsupportedInputError("complaints", None, f"no such file: {path}",
                                    fix="pass a CSV, Excel or Parquet file")
    suffix = path.suffix.lower()
    ids = {"customer_id": str, "complaint_id": str}
    if suffix == ".csv":
        return pd.read_csv(path, encoding=detect_encoding(path), dtype=ids)
    if suffix in (".xlsx", ".xls"):
        return pd.read_excel(path, dtype=ids)
    if suffix in (".parquet", ".pq"):
        return pd.read_parquet(path)
    raise UnsupportedInputError("complaints", None, f"unknown file type {suffix!r}",
                                fix="pass a .csv, .xlsx or .parquet file")


scheme_app = typer.Typer(help="Show, write and check grading schemes.", no_args_is_help=True)
app.add_typer(scheme_app, name="scheme")


def _weights_table(scheme: Scheme, title: str) -> Table:
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=escape(title))
    for column, justify in (("dimension / secondary / indicator", "left"), ("名称", "left"),
                            ("direction", "left"), ("normalisation", "left"),
                            ("missing", "left"), ("weight", "right"), ("global", "right")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    style = {"dimension": "[bold]{}[/]", "secondary": "[italic]{}[/]", "indicator": "{}"}
    for row in scheme.tree_rows():
        # names and labels are the user's text: printed as text, never as rich markup
        name = "  " * row["depth"] + style[row["level"]].format(escape(row["name"]))
        method = row["normalisation"].split(" ")[0]
        direction = row["direction"].split(" ")[0]
        table.add_row(name, escape(row["label_zh"]), direction, method, row["missing"],
                      f"{row['weight']:.4f}", f"{row['global']:.4f}")
    return table


def _scheme_footer(scheme: Scheme) -> str:
    tiers = scheme.tiers
    quota = ", ".join(f"{zh} {q:.0%}" for zh, q in zip(tiers.labels_zh, tiers.quotas,
                                                        strict=True))
    return (f"aggregation {scheme.aggregation.method}; tiers {quota} (ties {tiers.ties}); "
            f"ABC by {scheme.abc.method} on {scheme.abc.basis}; hash {scheme.hash()[:12]}")


@scheme_app.command("show")
def scheme_show(
    file: Annotated[Path | None, typer.Argument(
        help="Scheme file (TOML or JSON); default: the scheme shipped with custvalue.")] = None,
    as_toml: Annotated[bool, typer.Option("--toml", help="Print the scheme as TOML.")] = False,
    debug: Debug = False,
) -> None:
    """Print a scheme's indicator tree with directions, normalisation and weights."""
    from custvalue.scoring import Scheme

    def action() -> None:
        scheme = Scheme.load(file) if file is not None else Scheme.default()
        if as_toml:
            out.print(scheme.to_toml(), highlight=False, markup=False, soft_wrap=True)
            return
        out.print(_weights_table(scheme, f"scheme {scheme.name}"))
        out.print(_scheme_footer(scheme), highlight=False, markup=False)

    _run(debug, action)


@scheme_app.command("init")
def scheme_init(
    file: Annotated[Path, typer.Argument(help="Where to write the scheme (TOML).")] = Path(
        "scheme.toml"),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
    debug: Debug = False,
) -> None:
    """Write the default scheme as an editable TOML file."""
    from custvalue.scoring import Scheme

    def action() -> None:
        if file.exists() and not force:
            raise InputError("scheme", None, f"{file} exists", fix="pass --force to overwrite")
        header = ("# custvalue grading scheme, written by `custvalue scheme init`.\n"
                  "# Edit the weights, directions, normalisations, quotas and labels; check\n"
                  "# with `custvalue scheme check FILE`.  Reference: docs/scheme.md.\n\n")
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(header + Scheme.default().to_toml(), encoding="utf-8")
        out.print(f"wrote {file}", highlight=False, markup=False)

    _run(debug, action)


@scheme_app.command("check")
def scheme_check(
    file: Annotated[Path, typer.Argument(help="Scheme file (TOML or JSON).")],
    judgments: Annotated[Path | None, typer.Option(
        help="AHP judgments file (as default_judgments.toml) to derive and compare the "
        "weights with; default: the shipped judgments when the scheme has their weights.")]
    = None,
    debug: Debug = False,
) -> None:
    """Validate a scheme file; print its weights and, for AHP judgments, λmax and CR.

    Exit 3 when the scheme is invalid, a judgment matrix has CR > 0.10, or the scheme's
    weights differ from what its judgments give.
    """
    import tomllib

    from custvalue.scoring import Scheme
    from custvalue.scoring.ahp_defaults import ahp_default_weights, default_judgments
    from custvalue.scoring.weights import CR_LIMIT

    def action() -> None:
        from custvalue.indicators.catalog import INDICATOR_NAMES

        scheme = Scheme.load(file)
        scheme.check_abc_basis(INDICATOR_NAMES)
        out.print(_weights_table(scheme, f"scheme {scheme.name} ({file})"))
        out.print(_scheme_footer(scheme), highlight=False, markup=False)
        if judgments is not None:
            try:
                source = tomllib.loads(judgments.read_text(encoding="utf-8"))
            except (OSError, tomllib.TOMLDecodeError) as exc:
                raise SchemeError("judgments", f"cannot read {judgments}: {exc}") from None
        else:
            source = default_judgments()
        # computed without the CR guard so that every matrix is shown, then judged below
        try:
            results = ahp_default_weights(source, allow_inconsistent=True)
        except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
            raise SchemeError("judgments", f"malformed judgments ({type(exc).__name__}: "
                              f"{exc}); see default_judgments.toml for the form") from None
        derived = {name: r.weights for name, r in results.items()}
        mismatch = _weight_mismatch(scheme, derived)
        if judgments is None and mismatch:
            out.print("weights set directly (they are not the shipped AHP judgments' "
                      "weights); pass --judgments FILE to check them against judgments",
                      highlight=False, markup=False)
            return
        from rich.table import Table

        table = Table(title="AHP judgment matrices")
        for column in ("matrix", "n", "λmax", "CI", "CR", "verdict"):
            table.add_column(column, justify="left" if column in ("matrix", "verdict")
                             else "right")
        bad = []
        for name, r in results.items():
            ok = r.cr <= CR_LIMIT
            bad += [] if ok else [f"{name}: CR {r.cr:.3f} > {CR_LIMIT}"]
            table.add_row(name, str(len(r.weights)), f"{r.lambda_max:.4f}", f"{r.ci:.4f}",
                          f"{r.cr:.4f}", "consistent" if ok else "[red]inconsistent[/]")
        out.print(table)
        if mismatch:
            bad += [f"weight of {m} differs from its judgments" for m in mismatch]
        if bad:
            raise SchemeError("judgments", "; ".join(bad) + " (revise the judgments, or set "
                              "the weights they give)")
        out.print("scheme OK", highlight=False, markup=False)

    _run(debug, action)


def _weight_mismatch(scheme: Scheme, derived: dict[str, pd.Series]) -> list[str]:
    """Names whose scheme weight is not the AHP weight (relative tolerance 1e-6).

    See :func:`custvalue.scoring.ahp_defaults.judged_weights` for which matrix judges
    which weight at each level of the tree.
    """
    import math

    from custvalue.scoring.ahp_defaults import judged_weights

    return [label for label, (weight, target) in judged_weights(scheme, derived).items()
            if target is None or not math.isclose(weight, target, rel_tol=1e-6)]


@app.command()
def history(
    history_dir: Annotated[Path, typer.Argument(metavar="DIR", help="A history folder "
                                                "(custvalue grade --history DIR).")],
    debug: Debug = False,
) -> None:
    """List the grading snapshots in DIR with their window, scheme and package version."""
    from rich.table import Table

    from custvalue.regrade import list_snapshots

    def action() -> None:
        if not history_dir.is_dir():
            raise InputError("history", None, f"no history folder {history_dir}",
                             fix="give the folder passed to `custvalue grade --history`")
        snaps = list_snapshots(history_dir)
        if snaps.empty:
            out.print(f"no snapshots in {history_dir}", highlight=False, markup=False)
            return
        table = Table(title=f"snapshots in {history_dir}")
        for column in ("label", "window end", "created", "customers", "scheme", "hash",
                       "custvalue"):
            table.add_column(column, justify="right" if column == "customers" else "left")
        for row in snaps.to_dict("records"):  # a loop over snapshots
            table.add_row(row["label"], row["window_end"] or "–",
                          str(row["created_at"] or "–")[:19], f"{row['customers']:,}",
                          row["scheme"] or "–", (row["scheme_hash"] or "–")[:12],
                          row["package_version"] or "–")
        out.print(table)

    _run(debug, action)


@app.command()
def sample(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write the CSV files to.")],
    customers: Annotated[int, typer.Option(help="Number of customers.")] = 2000,
    months: Annotated[int, typer.Option(help="Months per window.")] = 36,
    windows: Annotated[int, typer.Option(help="Consecutive windows to write.")] = 1,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    debug: Debug = False,
) -> None:
    """Write synthetic sample tables (one sub-folder per window when --windows > 1)."""
    from custvalue.inputs.samples import generate_windows, write_tables

    def action() -> None:
        parts = generate_windows(customers, months=months, windows=windows, seed=seed)
        for i, tables in enumerate(parts, start=1):
            folder = out_dir if windows == 1 else out_dir / f"window{i}"
            write_tables(tables, folder)
            out.print(f"wrote {folder} ({len(tables['customers']):,} customers, "
                      f"{len(tables['monthly']):,} monthly rows)")

    _run(debug, action)


def main() -> None:  # pragma: no cover - console entry point
    """Entry point for ``python -m custvalue``."""
    app(prog_name="custvalue")


if __name__ == "__main__":  # pragma: no cover
    main()
