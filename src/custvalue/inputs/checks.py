"""Checks of the input tables against the data contract.

:func:`check_tables` reads every table it is given, compares it with
:mod:`custvalue.contract` and returns a :class:`CheckReport` of findings.  Each finding names
the table, the column, the number of rows, up to five example rows, what custvalue does
about it (the *treatment*) and how to fix it.  Nothing is dropped silently: rows that later
stages leave out are listed in :attr:`CheckReport.excluded` with the reason.

In strict mode the first error is raised as its typed exception (a subclass of
:class:`custvalue.errors.InputError`).

Examples
--------
>>> import pandas as pd
>>> from custvalue.inputs.checks import check_tables
>>> customers = pd.DataFrame({"customer_id": ["C1"], "customer_class": ["residential"],
...     "contract_kva": [8.0], "voltage_kv": [0.22], "industry": ["household"],
...     "region": ["north"], "opened": ["2020-01-01"]})
>>> monthly = pd.DataFrame({"customer_id": ["C1", "C1", "C9"],
...     "period": ["2024-01", "2024-01", "2024-01"], "active_kwh": [100.0, 100.0, 5.0],
...     "reactive_kvarh": [None] * 3, "billed_amount": [55.0, 55.0, 3.0],
...     "due_date": ["2024-02-20"] * 3, "paid_date": ["2024-02-10"] * 3,
...     "paid_amount": [55.0, 55.0, 3.0]})
>>> report = check_tables(customers=customers, monthly=monthly)
>>> [f.code for f in report.findings]
['duplicate_key', 'unknown_customer']
>>> report.ok
False
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable, Sequence
from typing import Any, Literal, TypedDict, Unpack

import pandas as pd
import polars as pl
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from custvalue import errors
from custvalue.inputs.contract import (
    COOPERATION_KINDS,
    CUSTOMER_CLASSES,
    EVENT_KINDS,
    TABLES,
    Table,
)
from custvalue.inputs.io import TableSource, to_polars

__all__ = [
    "CheckOptions",
    "CheckReport",
    "DuplicatesTreatment",
    "Finding",
    "NegativeEnergyTreatment",
    "OptionOverrides",
    "UnknownCustomersTreatment",
    "check_tables",
]

Severity = Literal["error", "warning", "info"]

_ERROR_TYPES: dict[str, type[errors.InputError]] = {
    "missing_column": errors.MissingColumnError,
    "not_numeric": errors.ColumnTypeError,
    "not_date": errors.ColumnTypeError,
    "duplicate_key": errors.DuplicateRowsError,
    "negative_energy": errors.NegativeEnergyError,
    "reactive_without_active": errors.ReactiveWithoutActiveError,
    "unknown_customer": errors.UnknownCustomerError,
    "paid_before_period": errors.PaymentBeforePeriodError,
    "empty_table": errors.EmptyTableError,
    "unknown_category": errors.InvalidValueError,
    "missing_value": errors.InvalidValueError,
    "negative_value": errors.InvalidValueError,
    "unreadable": errors.UnsupportedInputError,
}

logger = logging.getLogger(__name__)


#: Treatment of duplicated ``(customer_id, period)`` rows of ``monthly``.
DuplicatesTreatment = Literal["error", "sum", "last"]
#: Treatment of negative ``active_kwh``.
NegativeEnergyTreatment = Literal["error", "allow"]
#: Treatment of rows of other tables for customers not in the register.
UnknownCustomersTreatment = Literal["error", "exclude"]


class OptionOverrides(TypedDict, total=False):
    """Keyword shortcuts for the fields of :class:`CheckOptions` (``grade(duplicates=...)``).

    A misspelt or unknown keyword is reported as
    :class:`~custvalue.errors.InvalidValueError` ("unknown option") naming the valid ones.
    """

    duplicates: DuplicatesTreatment
    negative_energy: NegativeEnergyTreatment
    unknown_customers: UnknownCustomersTreatment
    customer_classes: Sequence[str]


class CheckOptions(BaseModel):
    """How the input problems that have more than one reasonable treatment are treated.

    The one home of the input treatments: the checks report the rows each treatment
    affects, and the indicator stage applies the same treatments (``grade()`` and
    :func:`~custvalue.indicators.compute_indicators` take these options), so a treatment is
    named once.

    Attributes
    ----------
    duplicates : {"error", "sum", "last"}
        Duplicated ``(customer_id, period)`` rows in ``monthly``: an error (default), or
        summed, or the last row in input order kept.  Either way the rows are reported.
    negative_energy : {"error", "allow"}
        Negative ``active_kwh``: an error (default) or allowed as corrections, reported.
    unknown_customers : {"error", "exclude"}
        Rows of other tables for customers not in the register: an error (default) or
        excluded from grading and listed in :attr:`CheckReport.excluded`.
    customer_classes : tuple of str
        Allowed values of ``customers.customer_class``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    duplicates: DuplicatesTreatment = "error"
    negative_energy: NegativeEnergyTreatment = "error"
    unknown_customers: UnknownCustomersTreatment = "error"
    customer_classes: tuple[str, ...] = CUSTOMER_CLASSES

    @classmethod
    def resolve(cls, options: CheckOptions | None = None, **overrides: object) -> CheckOptions:
        """``options`` (or the defaults) with keyword ``overrides``, validated.

        An override of ``None`` means "not given" and leaves the option as it is.

        Raises
        ------
        custvalue.errors.InvalidValueError
            An unknown option or a value outside its choices (``duplicates="lats"``).

        Examples
        --------
        >>> CheckOptions.resolve(duplicates="last").duplicates
        'last'
        >>> CheckOptions.resolve(duplicate="last")
        Traceback (most recent call last):
        ...
        custvalue.errors.InvalidValueError: table 'options', column 'duplicate': unknown option...
        """
        data = {**(options or cls()).model_dump(),
                **{k: v for k, v in overrides.items() if v is not None}}
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            name = str(first["loc"][0]) if first["loc"] else None
            if first["type"] == "extra_forbidden":
                problem = "unknown option"
                fix = f"use one of {', '.join(cls.model_fields)}"
            else:
                problem = f"{first['msg']} (got {first.get('input')!r})"
                fix = "see the treatments in docs/data-contract.md"
            raise errors.InvalidValueError("options", name, problem, fix=fix) from None


class Finding(BaseModel):
    """One problem found in one column of one table."""

    model_config = ConfigDict(frozen=True)

    table: str
    column: str | None
    code: str
    severity: Severity
    message: str
    count: int
    examples: list[dict[str, Any]] = Field(default_factory=list)
    treatment: str = ""
    fix: str = ""

    def to_error(self) -> errors.InputError:
        """The typed exception that strict mode raises for this finding."""
        kind = _ERROR_TYPES.get(self.code, errors.InputError)
        return kind(self.table, self.column, self.message, self.examples, self.fix, self.count)

    def __str__(self) -> str:
        where = self.table + (f".{self.column}" if self.column else "")
        text = f"[{self.severity}] {where}: {self.message} ({self.count} rows)"
        return text + (f" — {self.treatment}" if self.treatment else "")


class CheckReport(BaseModel):
    """The findings of :func:`check_tables`, plus the rows later stages leave out.

    Attributes
    ----------
    findings : list of Finding
        In a fixed order: table by table as in the contract, then check by check.
    row_counts : dict of str to int
        Rows read per table.
    excluded : pandas.DataFrame
        ``table``, ``customer_id``, ``key`` and ``reason`` of every row that grading leaves
        out under the chosen options.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    findings: list[Finding]
    row_counts: dict[str, int]
    options: CheckOptions
    excluded: pd.DataFrame

    @property
    def ok(self) -> bool:
        """True when no finding is an error."""
        return not self.errors

    @property
    def errors(self) -> list[Finding]:
        """The findings of severity ``error``."""
        return [f for f in self.findings if f.severity == "error"]

    def raise_for_errors(self) -> None:
        """Raise the first error finding as its typed exception, if there is one."""
        if self.errors:
            raise self.errors[0].to_error()

    def to_frame(self) -> pd.DataFrame:
        """The findings as a DataFrame, one row each."""
        cols = ["table", "column", "code", "severity", "count", "message", "treatment"]
        return pd.DataFrame([f.model_dump(include=set(cols)) for f in self.findings],
                            columns=cols)

    def __str__(self) -> str:
        counts = ", ".join(f"{k}: {v:,}" for k, v in self.row_counts.items())
        lines = [f"custvalue input check — rows read: {counts}"]
        if not self.findings:
            lines.append("no findings: the tables meet the data contract")
        lines += [f"  {f}" for f in self.findings]
        if len(self.excluded):
            lines.append(f"  {len(self.excluded)} rows excluded from grading (see .excluded)")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{html.escape(f.severity)}</td><td>{html.escape(f.table)}</td>"
            f"<td>{html.escape(f.column or '')}</td><td>{f.count}</td>"
            f"<td>{html.escape(f.message)}</td><td>{html.escape(f.treatment)}</td></tr>"
            for f in self.findings
        )
        head = "<tr><th>severity</th><th>table</th><th>column</th><th>rows</th>" \
               "<th>problem</th><th>treatment</th></tr>"
        return f"<table>{head}{rows}</table>" if rows else "<p>no findings</p>"


def _examples(frame: pl.DataFrame, mask: pl.Expr | pl.Series, key: list[str],
              extra: list[str]) -> tuple[int, list[dict[str, Any]]]:
    cols = [c for c in dict.fromkeys(["_row", *key, *extra]) if c in frame.columns]
    # Count first and fetch only the few example rows of the few columns shown: filtering
    # the whole frame per check cost ~0.3 s per check on 35M monthly rows.
    if isinstance(mask, pl.Series):
        count = int(mask.sum())
        hits = frame.select(cols).filter(mask).head(errors.MAX_EXAMPLES) if count else None
    else:
        count = int(frame.select(mask.sum()).item() or 0)
        hits = (frame.lazy().filter(mask).select(cols).head(errors.MAX_EXAMPLES).collect()
                if count else None)
    if hits is None:
        return 0, []
    return count, hits.rename({"_row": "row"}, strict=False).to_dicts()


class _Checker:
    """Runs the checks of one call; collects findings and exclusions in order."""

    def __init__(self, options: CheckOptions) -> None:
        self.options = options
        self.findings: list[Finding] = []
        self.excluded: list[pl.DataFrame] = []

    def add(self, table: Table, column: str | None, code: str, severity: Severity,
            message: str, count: int, examples: list[dict[str, Any]], treatment: str = "",
            fix: str = "") -> None:
        self.findings.append(Finding(
            table=table.name, column=column, code=code, severity=severity, message=message,
            count=count, examples=examples, treatment=treatment, fix=fix,
        ))

    def flag(self, table: Table, frame: pl.DataFrame, mask: pl.Expr | pl.Series,
             column: str | None, code: str, severity: Severity, message: str,
             treatment: str = "", fix: str = "", extra: list[str] | None = None) -> int:
        count, rows = _examples(frame, mask, list(table.key), [column or "", *(extra or [])])
        if count:
            self.add(table, column, code, severity, message, count, rows, treatment, fix)
        return count

    # -- structure and types -----------------------------------------------------------------
    def conform(self, table: Table, raw: pl.DataFrame) -> pl.DataFrame | None:
        """Check columns and types; return the frame with typed columns (or None)."""
        if raw.height == 0:
            self.add(table, None, "empty_table", "error", "the table has no rows", 0, [],
                     fix=f"supply a non-empty '{table.name}' table or leave it out")
            return None
        missing = [c.name for c in table.required_columns if c.name not in raw.columns]
        for name in missing:
            self.add(table, name, "missing_column", "error", "required column is missing",
                     raw.height, [], fix=f"add a '{name}' column "
                     f"({table.column(name).meaning.rstrip('.')}); columns found: "
                     f"{', '.join(raw.columns)}")
        if missing:
            return None
        frame = raw.with_row_index("_row")
        casts = []
        for col in table.columns:
            if col.name not in frame.columns:
                continue
            casts.append(self._cast(table, frame, col.name, col.dtype))
        return frame.with_columns(casts)

    def _cast(self, table: Table, frame: pl.DataFrame, name: str,
              dtype: str) -> pl.Expr | pl.Series:
        src = frame[name]
        if dtype == "str":
            return pl.col(name).cast(pl.String)
        if dtype in {"float", "int"}:
            target = pl.Float64 if dtype == "float" else pl.Int64
            typed = src.cast(target, strict=False) if src.dtype != pl.String else \
                src.str.strip_chars().cast(target, strict=False)
            bad = _unreadable(src, typed)
            self.flag(table, frame, bad, name, "not_numeric", "error",
                      f"values that are not {'numbers' if dtype == 'float' else 'integers'}",
                      fix="correct or blank these cells; use '.' as decimal separator")
            return pl.Series(name, typed).alias(name)
        typed = _to_date(src, month=dtype == "month")
        bad = _unreadable(src, typed)
        expected = "months (YYYY-MM)" if dtype == "month" else "dates (YYYY-MM-DD)"
        self.flag(table, frame, bad, name, "not_date", "error", f"values that are not {expected}",
                  fix=f"write {expected} in ISO form")
        return pl.Series(name, typed).alias(name)

    # -- content checks ----------------------------------------------------------------------
    def required_values(self, table: Table, frame: pl.DataFrame, names: list[str]) -> None:
        for name in names:
            self.flag(table, frame, pl.col(name).is_null(), name, "missing_value", "error",
                      "empty cells in a column that needs a value",
                      fix="fill these cells or remove the rows")

    def categories(self, table: Table, frame: pl.DataFrame, name: str,
                   allowed: tuple[str, ...]) -> None:
        self.flag(table, frame, ~pl.col(name).is_in(list(allowed)) & pl.col(name).is_not_null(),
                  name, "unknown_category", "error",
                  f"values outside the allowed list ({', '.join(allowed)})",
                  fix="map these values onto the allowed list (or configure the list)")

    def unknown_customers(self, table: Table, frame: pl.DataFrame, known: pl.Series) -> None:
        mask = ~pl.col("customer_id").is_in(known.implode())
        exclude = self.options.unknown_customers == "exclude"
        count = self.flag(
            table, frame, mask, "customer_id", "unknown_customer",
            "warning" if exclude else "error", "rows for customers not in the register",
            treatment="excluded from grading" if exclude else "",
            fix="add the customers to the register, or pass unknown_customers='exclude'",
        )
        if count and exclude:
            key = [c for c in table.key if c != "customer_id"]
            self.excluded.append(frame.filter(mask).select(
                pl.lit(table.name).alias("table"), pl.col("customer_id"),
                pl.concat_str([pl.col(k).cast(pl.String) for k in key], separator="|")
                .alias("key"),
                pl.lit("customer not in the register").alias("reason"),
            ))

    def monthly_content(self, table: Table, frame: pl.DataFrame) -> None:
        opts = self.options
        dup = _duplicated(frame, ["customer_id", "period"])
        policy = {"error": "", "sum": "summed into one row per customer and month",
                  "last": "the last row in input order is kept"}[opts.duplicates]
        count = self.flag(table, frame, dup, "period", "duplicate_key",
                          "error" if opts.duplicates == "error" else "warning",
                          "more than one row for the same customer and month",
                          treatment=policy, extra=["active_kwh", "billed_amount"],
                          fix="remove the duplicates, or pass duplicates='sum' or 'last'")
        if opts.duplicates == "last" and count:
            rows = frame.filter(dup)  # few rows, in input order
            later = pl.struct("customer_id", "period").is_last_distinct()
            self.excluded.append(rows.filter(~later).select(
                pl.lit("monthly").alias("table"), pl.col("customer_id"),
                pl.col("period").cast(pl.String).alias("key"),
                pl.lit("duplicate (customer_id, period): a later row is kept").alias("reason"),
            ))
        allow = opts.negative_energy == "allow"
        self.flag(table, frame, pl.col("active_kwh") < 0, "active_kwh", "negative_energy",
                  "info" if allow else "error", "negative active energy",
                  treatment="kept as corrections (summed into the month)" if allow else "",
                  fix="pass negative_energy='allow' if these are corrections, else correct them")
        for name in ("reactive_kvarh", "reverse_kvarh", "planned_kwh"):
            if name in frame.columns:
                self.flag(table, frame, pl.col(name) < 0, name, "negative_value", "error",
                          "negative values", fix="reactive energy and plans are never negative")
        reactive = pl.col("reactive_kvarh").fill_null(0).abs()
        if "reverse_kvarh" in frame.columns:
            reactive = reactive + pl.col("reverse_kvarh").fill_null(0).abs()
        self.flag(table, frame, (pl.col("active_kwh") == 0) & (reactive > 0), "reactive_kvarh",
                  "reactive_without_active", "warning",
                  "reactive energy in a month with zero active energy",
                  treatment="month not assessed for power factor", extra=["active_kwh"],
                  fix="check the meter readings of these months")
        self.flag(table, frame, pl.col("paid_date") < pl.col("period"), "paid_date",
                  "paid_before_period", "error", "bill paid before the month it bills",
                  extra=["period"], fix="check paid_date and period of these rows")
        self.flag(table, frame, pl.col("paid_date").is_not_null() & pl.col("paid_amount").is_null(),
                  "paid_amount", "missing_value", "warning",
                  "a payment date without a paid amount", treatment="treated as unpaid",
                  extra=["paid_date"], fix="fill paid_amount")


def _unreadable(src: pl.Series, typed: pl.Series) -> pl.Series:
    """Cells given but not readable as the type (blank text is empty, not wrong)."""
    bad = typed.is_null() & src.is_not_null()
    if src.dtype == pl.String and bad.any():  # strip only when needed: 1.3 s on 35M rows
        bad = bad & (src.str.strip_chars() != "")
    return bad


def _duplicated(frame: pl.DataFrame, keys: list[str]) -> pl.Series:
    """Rows whose ``keys`` occur more than once (like ``is_duplicated``, ~6x faster).

    A hash of the keys is sorted to see whether any value repeats (1-2 s on 35M rows, where
    ``is_duplicated`` takes 12 s); only then are the rows with a repeated hash compared
    exactly, so a hash collision never reports a false duplicate.
    """
    hashed = frame.select(pl.struct(keys).hash(0)).to_series()
    ordered = hashed.sort()
    none = pl.repeat(False, frame.height, dtype=pl.Boolean, eager=True).alias("duplicated")
    if not (ordered == ordered.shift(1)).any():
        return none
    repeated = hashed.is_in(ordered.filter(ordered == ordered.shift(1)).unique().implode())
    candidates = repeated.arg_true()
    exact = frame[candidates].select(pl.struct(keys).is_duplicated()).to_series()
    return none.scatter(candidates.filter(exact), True)


def _to_date(src: pl.Series, *, month: bool) -> pl.Series:
    """Parse a column to ``Date``; a month becomes the first day of that month."""
    if src.dtype == pl.Date:
        out = src
    elif src.dtype == pl.Datetime or isinstance(src.dtype, pl.Datetime):
        out = src.dt.date()
    elif src.dtype == pl.String:
        # One pass in the expected ISO form, then the other accepted forms only for the rows
        # it missed: four formats on each of 35M rows took 8 s, this ~1 s on clean data.
        out = src.str.to_date("%Y-%m" if month else "%Y-%m-%d", strict=False)
        missed = (out.is_null() & src.is_not_null()).arg_true()
        if len(missed):
            text = pl.col(src.name).str.strip_chars()
            retry = pl.DataFrame([src.gather(missed)]).select(pl.coalesce(
                text.str.to_date("%Y-%m-%d", strict=False),
                (text + "-01").str.to_date("%Y-%m-%d", strict=False),
                text.str.to_date("%Y/%m/%d", strict=False),
                text.str.to_date("%Y%m%d", strict=False),
            )).to_series()
            out = out.scatter(missed, retry.dt.truncate("1mo") if month else retry)
        return out  # "%Y-%m" gives the first of the month already: no truncate (1.5 s)
    elif src.dtype == pl.Null:
        out = src.cast(pl.Date)
    else:
        out = pl.Series(src.name, [None] * len(src), dtype=pl.Date)
    return out.dt.truncate("1mo") if month else out


def check_tables(
    customers: TableSource,
    monthly: TableSource | None = None,
    events: TableSource | None = None,
    cooperation: TableSource | None = None,
    energy: TableSource | None = None,
    *,
    options: CheckOptions | None = None,
    strict: bool = False,
    **overrides: Unpack[OptionOverrides],
) -> CheckReport:
    """Check the input tables against the data contract.

    Parameters
    ----------
    customers : frame or path
        The customer register (required).
    monthly, events, cooperation, energy : frame or path, optional
        The other tables; those not given are not checked.
    options : CheckOptions, optional
        Treatments of duplicates, negative energy and unknown customers.
    strict : bool, default False
        Raise the first error as its typed exception instead of returning the report.
    **overrides
        Shortcuts for the fields of :class:`CheckOptions` (:class:`OptionOverrides`:
        ``duplicates``, ``negative_energy``, ``unknown_customers``, ``customer_classes``),
        e.g. ``duplicates="sum"``; ``None`` leaves the option as in ``options``.

    Returns
    -------
    CheckReport

    Raises
    ------
    custvalue.errors.InputError
        In strict mode, for the first finding of severity ``error``; its message names the
        table, the column, up to five example rows and the fix.
    """
    opts = CheckOptions.resolve(options, **overrides)
    checker = _Checker(opts)
    given: dict[str, TableSource] = {
        name: src
        for name, src in {
            "customers": customers, "monthly": monthly, "events": events,
            "cooperation": cooperation, "energy": energy,
        }.items()
        if src is not None
    }
    typed: dict[str, pl.DataFrame] = {}
    row_counts: dict[str, int] = {}
    for name, source in given.items():
        table = TABLES[name]
        try:
            raw = to_polars(source, name)
        except errors.InputError as exc:
            checker.add(table, None, "unreadable", "error", exc.problem, 0, [], fix=exc.fix)
            continue
        row_counts[name] = raw.height
        frame = checker.conform(table, raw)
        if frame is not None:
            typed[name] = frame

    # the checks of each table, in the order their findings are reported
    def customers_checks(t: Table, f: pl.DataFrame) -> None:
        checker.required_values(t, f, ["customer_id", "customer_class", "contract_kva"])
        checker.flag(t, f, pl.col("customer_id").is_duplicated(), "customer_id",
                     "duplicate_key", "error", "the same customer appears more than once",
                     fix="keep one register row per customer")
        checker.categories(t, f, "customer_class", opts.customer_classes)
        checker.flag(t, f, pl.col("contract_kva") < 0, "contract_kva", "negative_value",
                     "error", "negative contracted capacity", fix="correct the capacity")

    def monthly_checks(t: Table, f: pl.DataFrame) -> None:
        checker.required_values(t, f, ["customer_id", "period", "active_kwh",
                                       "billed_amount", "due_date"])
        checker.monthly_content(t, f)

    def events_checks(t: Table, f: pl.DataFrame) -> None:
        checker.required_values(t, f, ["customer_id", "date", "kind"])
        checker.categories(t, f, "kind", EVENT_KINDS)

    def cooperation_checks(t: Table, f: pl.DataFrame) -> None:
        checker.required_values(t, f, ["customer_id", "date", "kind"])
        checker.categories(t, f, "kind", COOPERATION_KINDS)

    def energy_checks(t: Table, f: pl.DataFrame) -> None:
        checker.required_values(t, f, ["customer_id", "year", "total_energy_tce",
                                       "electricity_tce"])
        checker.flag(t, f, pl.col("electricity_tce") > pl.col("total_energy_tce"),
                     "electricity_tce", "negative_value", "error",
                     "electricity exceeds the total energy use", extra=["total_energy_tce"],
                     fix="check the audit figures (both in tce)")

    per_table: dict[str, Callable[[Table, pl.DataFrame], None]] = {
        "customers": customers_checks, "monthly": monthly_checks, "events": events_checks,
        "cooperation": cooperation_checks, "energy": energy_checks,
    }
    for name, frame in typed.items():
        per_table[name](TABLES[name], frame)
        if name != "customers" and "customers" in typed:
            checker.unknown_customers(TABLES[name], frame, typed["customers"]["customer_id"])

    excluded = (
        pl.concat(checker.excluded).to_pandas() if checker.excluded
        else pd.DataFrame({c: pd.Series(dtype="object")
                           for c in ("table", "customer_id", "key", "reason")})
    )
    report = CheckReport(findings=checker.findings, row_counts=row_counts, options=opts,
                         excluded=excluded)
    logger.debug("check_tables: %d findings over %s, %d rows excluded",
                 len(report.findings), ", ".join(typed), len(excluded))
    if strict:
        report.raise_for_errors()
    return report
