"""The ``custvalue`` command line (typer + rich).

Exit codes: 0 success, 1 internal error, 2 bad input data, 3 bad scheme.  Messages are
printed without a traceback unless ``--debug`` is given.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console

from custvalue.errors import CustvalueError, InputError, SchemeError

__all__ = ["EXIT_BAD_INPUT", "EXIT_BAD_SCHEME", "EXIT_INTERNAL", "app"]

EXIT_INTERNAL = 1
EXIT_BAD_INPUT = 2
EXIT_BAD_SCHEME = 3

app = typer.Typer(
    name="custvalue",
    help="Score electricity customers on value and sort them into service tiers.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True)
out = Console()

T = TypeVar("T")


def _run(debug: bool, action: Callable[[], T]) -> T:
    """Run ``action`` and map custvalue's errors onto the documented exit codes."""
    try:
        return action()
    except typer.Exit:
        raise
    except InputError as exc:
        if debug:
            raise
        err.print(f"[bold red]bad input[/]: {exc}", highlight=False, markup=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except SchemeError as exc:
        if debug:
            raise
        err.print(f"[bold red]bad scheme[/]: {exc}", highlight=False)
        raise typer.Exit(EXIT_BAD_SCHEME) from None
    except (CustvalueError, Exception) as exc:
        if debug:
            raise
        err.print(f"[bold red]internal error[/]: {type(exc).__name__}: {exc}\n"
                  "run again with --debug for the traceback", highlight=False)
        raise typer.Exit(EXIT_INTERNAL) from None


Debug = Annotated[bool, typer.Option("--debug", help="Show tracebacks.")]


@app.command()
def check(
    data: Annotated[Path, typer.Argument(help="Folder holding customers.csv, monthly.csv, ...")],
    duplicates: Annotated[str, typer.Option(help="error | sum | last")] = "error",
    negative_energy: Annotated[str, typer.Option(help="error | allow")] = "error",
    strict: Annotated[bool, typer.Option(help="Exit 2 on the first error.")] = False,
    debug: Debug = False,
) -> None:
    """Check the input tables in DATA against the data contract and print a summary."""
    from custvalue.checks import check_tables
    from custvalue.io import find_tables

    def action() -> None:
        tables = find_tables(data)
        if "customers" not in tables:
            raise InputError("customers", None, f"no customers table in {data}",
                             fix="add customers.csv (or .parquet / .xlsx)")
        report = check_tables(**tables, duplicates=duplicates, negative_energy=negative_energy,
                              strict=strict)
        out.print(str(report), highlight=False, markup=False, soft_wrap=True)
        _print_table_summary(tables)
        if not report.ok:
            raise typer.Exit(EXIT_BAD_INPUT)

    _run(debug, action)


def _print_table_summary(tables: dict[str, Path]) -> None:
    import polars as pl
    from rich.table import Table

    from custvalue.io import to_polars

    customers = to_polars(tables["customers"], "customers")
    summary = Table(title="customers by class")
    for column in ("class", "customers", "share", "median kVA"):
        summary.add_column(column, justify="left" if column == "class" else "right")
    by_class = customers.group_by("customer_class").agg(
        pl.len().alias("n"), pl.col("contract_kva").median().alias("kva")
    ).sort("customer_class")
    for row in by_class.iter_rows(named=True):
        summary.add_row(row["customer_class"], f"{row['n']:,}",
                        f"{row['n'] / customers.height:.1%}", f"{row['kva']:,.0f}")
    out.print(summary)


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
    from custvalue.samples import generate_windows, write_tables

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
    sys.exit(main())
