"""Checks of the input tables against the data contract.

:func:`check_tables` reads every table it is given, compares it with
:mod:`custvalue.contract` and returns a :class:`CheckReport` of findings.  Each finding names
the table, the column, the number of rows, up to five example rows, what custvalue does
about it (the *treatment*) and how to fix it.  Nothing is dropped silently: rows that later
stages leave out are listed in :attr:`CheckReport.excluded` with the reason.

In strict mode the first error is raised as its typed exception (a subclass of
:class:`custvalue.errors.InputError`).

This module is long because every rule of the data contract (types, keys, ranges, the
sanity rules on periods and magnitudes) is one aggregate query over the same lazy plan, and
they report through one finding format; the rules are narwhals expressions, so the same
rules run on polars, DuckDB and Spark, and the few steps each engine runs its own way are
in one section ("engine-specific steps").

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

import datetime as dt
import html
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal, TypedDict, Unpack

import narwhals as nw
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
from custvalue.inputs.engines import (
    Engine,
    Prepared,
    engine_of,
    hold,
    prepare,
    release,
    to_engine,
    with_row_index,
)
from custvalue.inputs.engines import read_errors as engine_errors
from custvalue.inputs.io import TableSource, scan_raw, type_plan
from custvalue.inputs.mapping import Mapping, as_mapping
from custvalue.inputs.parse import unreadable_expr, unreadable_parsed_expr
from custvalue.inputs.tally import FLAG, Proof, Tally

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
    "database_error": errors.DatabaseError,
    "period_in_future": errors.InvalidValueError,
    "period_detached": errors.InvalidValueError,
    "due_before_period": errors.InvalidValueError,
    "closed_before_opened": errors.InvalidValueError,
    "out_of_range": errors.InvalidValueError,
    "implausible_magnitude": errors.InvalidValueError,
}

#: Magnitudes at or above this are errors (``implausible_magnitude``): the indicator stage
#: sums energy in watt-hours and amounts in fen as 64-bit integers, which overflow at
#: ~9.2e18, i.e. ~9.2e15 kWh or yuan; no real reading or bill comes near 1e12.
MAX_MAGNITUDE = 1e12
#: A tail of billing months after a gap of more than this many months without any row...
DETACHED_GAP_MONTHS = 12
#: ... holding under this share of the rows is an error (``period_detached``): a typo.
DETACHED_SHARE = 0.01
#: Billing months outside this range are errors (``out_of_range``): placeholder years
#: such as ``0001-01`` or ``9999-12`` (a window cannot end in them, or would move to them).
PERIOD_RANGE = (dt.date(1900, 1, 1), dt.date(2199, 12, 1))
#: Below this share of the open register customers having a row in the latest month, the
#: window's coverage is implausible (``low_coverage``, a warning).
MIN_COVERAGE = 0.5


logger = logging.getLogger(__name__)


#: Treatment of duplicated ``(customer_id, period)`` rows of ``monthly``.
DuplicatesTreatment = Literal["error", "sum", "last"]
#: Treatment of negative ``active_kwh``.
NegativeEnergyTreatment = Literal["error", "allow"]
#: Treatment of rows of other tables for customers not in the register.
UnknownCustomersTreatment = Literal["error", "exclude"]
#: Treatment of a scheme indicator that no customer can be assessed on.
NotAssessableTreatment = Literal["error", "warn"]
#: A pass over the monthly rows run beside the checks (:func:`check_with_pass`): given the
#: typed plan flagged with :data:`custvalue.inputs.tally.FLAG` and the rows per month
#: (``period``, ``n``, ``nulls``), it returns what it saw, or None if it did not run.
MonthlyPass = Callable[[pl.LazyFrame, pl.DataFrame], "Tally | None"]


class OptionOverrides(TypedDict, total=False):
    """Keyword shortcuts for the fields of :class:`CheckOptions` (``grade(duplicates=...)``).

    A misspelt or unknown keyword is reported as
    :class:`~custvalue.errors.InvalidValueError` ("unknown option") naming the valid ones.
    """

    duplicates: DuplicatesTreatment
    negative_energy: NegativeEnergyTreatment
    unknown_customers: UnknownCustomersTreatment
    not_assessable: NotAssessableTreatment
    customer_classes: Sequence[str]


class CheckOptions(BaseModel):
    """How the checks treat the problems that have more than one reasonable treatment.

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
    not_assessable : {"error", "warn"}
        A scheme indicator that ends up missing for *every* customer (the inputs reach none
        of its rules, e.g. local class names without a mapping): an
        :class:`~custvalue.errors.InputError` (default), or graded without it, with a
        ``warning`` finding ``indicator_not_assessable`` in the grading and a
        :class:`UserWarning` (the CLI prints it in a warning panel).
    customer_classes : tuple of str
        Allowed values of ``customers.customer_class``.
    as_of : date, optional
        The date the data is as of: a ``period`` after its month is an error
        (``period_in_future``).  Without it, a detached tail of months (after a gap of more
        than a year, under 1 % of the rows: a typo such as ``2042-01``) is an error
        (``period_detached``); either way such a typo cannot move the window.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    duplicates: DuplicatesTreatment = "error"
    negative_energy: NegativeEnergyTreatment = "error"
    unknown_customers: UnknownCustomersTreatment = "error"
    not_assessable: NotAssessableTreatment = "error"
    customer_classes: tuple[str, ...] = CUSTOMER_CLASSES
    as_of: dt.date | None = None

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


#: The order of the findings of one table (the order the checks are documented in).
_ORDER = ("empty_table", "missing_column", "not_numeric", "not_date", "missing_value",
          "period_in_future", "period_detached", "duplicate_key", "unknown_category",
          "negative_energy", "negative_value",
          "reactive_without_active", "paid_before_period", "closed_before_opened",
          "due_before_period", "out_of_range",
          "implausible_magnitude", "period_outside_account", "unknown_customer", "low_coverage")


class _Rule:
    """One check: a boolean mask (a narwhals expression) over the typed plan and its finding.

    ``raw_mask``: the examples show the cells as read (e.g. the text of a cell that is not
    a number): on polars the rows this polars expression flags in the raw plan, on DuckDB
    and Spark the raw rows of the first hits (:func:`_hits`).
    """

    def __init__(self, column: str | None, code: str, severity: Severity, message: str,
                 mask: nw.Expr, treatment: str = "", fix: str = "",
                 extra: list[str] | None = None, raw_mask: pl.Expr | None = None) -> None:
        self.column, self.code, self.severity, self.message = column, code, severity, message
        self.mask, self.treatment, self.fix = mask, treatment, fix
        # examples of unreadable cells are fetched from the raw plan, to show the raw text
        self.extra, self.raw_mask = extra or [], raw_mask


class _Checker:
    """Runs the checks of one call; collects findings and exclusions in order.

    Every table is checked by aggregate queries on its lazy plan: one query counts the
    rows and every rule's hits at once (``collect(engine="streaming")`` of one row on
    polars; one aggregate query on DuckDB or Spark), and only rules that hit fetch their
    few example rows.  The monthly table is never materialised.  The rules are narwhals
    expressions, so the same rules run on every engine; what differs by engine is in the
    section "engine-specific steps" below (:mod:`custvalue.inputs.engines` reads and types
    the DuckDB and Spark tables).
    """

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

    def run(self, table: Table, raw: nw.LazyFrame, typed: nw.LazyFrame,
            rules: list[_Rule], counted: nw.LazyFrame | None) -> None:
        """Count every rule in one aggregate query; fetch examples of those that hit.

        ``counted``: the rows to count on (``typed``, or the part of it that a
        :class:`~custvalue.inputs.tally.Proof` leaves; None: it shows that no rule hits).
        """
        if not rules:
            return
        counts = (0,) * len(rules) if counted is None else _collect(counted.select(
            *[_count(r.mask, counted).alias(f"r{i}") for i, r in enumerate(rules)])).row(0)
        for rule, count in zip(rules, counts, strict=True):
            if not count:
                continue
            frame = _hits(raw, typed, rule)
            cols = [c for c in dict.fromkeys(["_row", *table.key, rule.column or "",
                                              *rule.extra]) if c in frame.collect_schema()]
            hits = _collect(frame.select(cols), head=errors.MAX_EXAMPLES)
            examples = hits.rename({"_row": "row"}, strict=False).to_dicts()
            self.add(table, rule.column, rule.code, rule.severity, rule.message, int(count),
                     examples, rule.treatment, rule.fix)

    def order(self, first: int) -> None:
        """Findings of one table in the documented order of the checks (stable)."""
        mine = sorted(self.findings[first:], key=lambda f: _ORDER.index(f.code)
                      if f.code in _ORDER else len(_ORDER))
        self.findings[first:] = mine

    # -- structure and types -----------------------------------------------------------------
    def structure(self, table: Table, raw: nw.LazyFrame) -> bool:
        """Required columns present; False (with findings) when the table cannot be typed."""
        names = raw.collect_schema().names()
        missing = [c.name for c in table.required_columns if c.name not in names]
        for name in missing:
            self.add(table, name, "missing_column", "error", "required column is missing",
                     0, [], fix=f"add a '{name}' column "
                     f"({table.column(name).meaning.rstrip('.')}); columns found: "
                     f"{', '.join(names)}")
        return not missing

    @staticmethod
    def type_columns(table: Table, raw: nw.LazyFrame) -> list[tuple[str, str]]:
        schema = raw.collect_schema()
        return [(c.name, c.dtype) for c in table.columns
                if c.name in schema and c.dtype != "str"]

    @staticmethod
    def type_rules(columns: list[tuple[str, str]]) -> list[_Rule]:
        rules = []
        for name, kind in columns:
            flag, raw_mask = nw.col(f"_bad_{name}"), unreadable_expr(name, kind)
            if kind in ("float", "int"):
                rules.append(_Rule(
                    name, "not_numeric", "error",
                    f"values that are not {'numbers' if kind == 'float' else 'integers'}",
                    flag, raw_mask=raw_mask,
                    fix="correct or blank these cells; use '.' as decimal separator (inf is "
                    "not a number)"))
            else:
                expected = ("months (YYYY-MM, YYYYMM or a date)" if kind == "month"
                            else "dates (YYYY-MM-DD, YYYY/M/D, YYYYMMDD ...)")
                rules.append(_Rule(name, "not_date", "error", f"values that are not {expected}",
                                   flag, raw_mask=raw_mask,
                                   fix="write them in one of the forms of docs/data-contract.md"))
        return rules

    # -- content checks ----------------------------------------------------------------------
    @staticmethod
    def required_values(names: list[str], schema: Any) -> list[_Rule]:
        return [_Rule(name, "missing_value", "error",
                      "empty cells in a column that needs a value", nw.col(name).is_null(),
                      fix="fill these cells or remove the rows")
                for name in names if name in schema]

    @staticmethod
    def categories(name: str, allowed: tuple[str, ...]) -> _Rule:
        return _Rule(name, "unknown_category", "error",
                     f"values outside the allowed list ({', '.join(allowed)})",
                     ~nw.col(name).is_in(list(allowed)) & ~nw.col(name).is_null(),
                     fix="map these values onto the allowed list (or configure the list; a "
                     "mapping file can translate the export's own values)")

    def unknown_customers(self, known: bool) -> list[_Rule]:
        """Rows of customers not in the register: ``_known`` is null after the register is
        joined on (:func:`_with_register`)."""
        if not known:
            return []
        exclude = self.options.unknown_customers == "exclude"
        return [_Rule(
            "customer_id", "unknown_customer", "warning" if exclude else "error",
            "rows for customers not in the register", nw.col("_known").is_null(),
            treatment="excluded from grading" if exclude else "",
            fix="add the customers to the register, or pass unknown_customers='exclude'")]

    def excluded_unknown(self, table: Table, typed: nw.LazyFrame) -> None:
        if self.options.unknown_customers != "exclude" or not any(
                f.code == "unknown_customer" and f.table == table.name for f in self.findings):
            return
        key = [c for c in table.key if c != "customer_id"]
        rows = _collect(typed.filter(nw.col("_known").is_null()).select(
            nw.col("_row"), nw.lit(table.name).alias("table"), nw.col("customer_id"),
            nw.concat_str([nw.col(k).cast(nw.String) for k in key], separator="|").alias("key"),
            nw.lit("customer not in the register").alias("reason"),
        ), ordered=True)
        self.excluded.append(rows.drop("_row"))

    def monthly_rules(self, schema: Any, detached: dt.date | None = None) -> list[_Rule]:
        opts = self.options
        allow = opts.negative_energy == "allow"
        rules = [_Rule("active_kwh", "negative_energy", "info" if allow else "error",
                       "negative active energy", nw.col("active_kwh") < 0,
                       treatment="kept as corrections (summed into the month)" if allow else "",
                       fix="pass negative_energy='allow' if these are corrections, else "
                       "correct them")]
        rules += [_Rule(name, "negative_value", "error", "negative values", nw.col(name) < 0,
                        fix="reactive energy and plans are never negative")
                  for name in ("reactive_kvarh", "reverse_kvarh", "planned_kwh")
                  if name in schema]
        reactive = nw.col("reactive_kvarh").fill_null(0).abs()
        if "reverse_kvarh" in schema:
            reactive = reactive + nw.col("reverse_kvarh").fill_null(0).abs()
        if opts.as_of is not None:
            rules.append(_Rule(
                "period", "period_in_future", "error",
                f"billing months after the as-of date ({opts.as_of.isoformat()})",
                nw.col("period") > nw.lit(opts.as_of.replace(day=1)),
                fix="correct these periods (a typo such as 2042-01 would move the window)"))
        low, high = PERIOD_RANGE
        rules.append(_Rule(
            "period", "out_of_range", "error",
            f"billing months outside {low:%Y-%m}–{high:%Y-%m}",
            (nw.col("period") < nw.lit(low)) | (nw.col("period") > nw.lit(high)),
            fix="correct these periods (a placeholder year such as 0001 or 9999?)"))
        if detached is not None:
            rules.append(_Rule(
                "period", "period_detached", "error",
                f"billing months from {detached:%Y-%m} on, after more than "
                f"{DETACHED_GAP_MONTHS} months without any row and holding under "
                f"{DETACHED_SHARE:.0%} of the rows",
                nw.col("period") >= nw.lit(detached),
                fix="correct these periods (a typo such as 2042-01 would move the window to "
                "it), or pass a window"))
        rules.append(_Rule(
            "due_date", "due_before_period", "error", "due dates before the month billed",
            nw.col("due_date") < nw.col("period"), extra=["period"],
            fix="check due_date and period of these rows (YYYYMMDD read as a month?)"))
        rules += _magnitude_rules(["active_kwh", "reactive_kvarh", "reverse_kvarh",
                                   "planned_kwh", "billed_amount", "paid_amount"], schema)
        if "_opened" in schema:
            outside = (nw.col("period") < nw.col("_opened").dt.truncate("1mo")) | (
                nw.col("period") > nw.col("_closed").dt.truncate("1mo"))
            rules.append(_Rule(
                "period", "period_outside_account", "warning",
                "billing months before the account opened or after it closed", outside,
                extra=["_opened", "_closed"],
                treatment="kept (rates use the months the account was open)",
                fix="check the register's opened/closed dates of these customers"))
        rules += [
            _Rule("reactive_kvarh", "reactive_without_active", "warning",
                  "reactive energy in a month with zero active energy",
                  (nw.col("active_kwh") == 0) & (reactive > 0),
                  treatment="month not assessed for power factor", extra=["active_kwh"],
                  fix="check the meter readings of these months"),
            _Rule("paid_date", "paid_before_period", "error",
                  "bill paid before the month it bills", nw.col("paid_date") < nw.col("period"),
                  extra=["period"], fix="check paid_date and period of these rows"),
            _Rule("paid_amount", "missing_value", "warning",
                  "a payment date without a paid amount",
                  ~nw.col("paid_date").is_null() & nw.col("paid_amount").is_null(),
                  treatment="treated as unpaid", extra=["paid_date"], fix="fill paid_amount"),
        ]
        return rules

    def duplicates(self, table: Table, typed: nw.LazyFrame, keys: list[str],
                   severity: Severity, message: str, treatment: str = "", fix: str = "",
                   extra: list[str] | None = None) -> pl.DataFrame | None:
        """Rows whose ``keys`` repeat (:func:`_duplicated_rows`); returns the duplicated
        rows (few, in input order) or None."""
        rows = _duplicated_rows(typed, keys)
        if rows is None or rows.height == 0:
            return None
        cols = [c for c in dict.fromkeys(["_row", *table.key, *keys, *(extra or [])])
                if c in rows.columns]
        examples = rows.select(cols).head(errors.MAX_EXAMPLES).rename({"_row": "row"})
        self.add(table, keys[-1], "duplicate_key", severity, message, rows.height,
                 examples.to_dicts(), treatment, fix)
        return rows


def _rows_per_month(typed: nw.LazyFrame, nulls: bool = False) -> pl.DataFrame:
    """``period`` and ``n``: the rows of each billing month, in order (one small aggregate
    query; it serves the detached-tail rule, the coverage warning and, with ``nulls``, the
    rows without ``customer_id``, the :class:`~custvalue.inputs.tally.Proof`)."""
    counts = [nw.len().alias("n")] + ([nw.col("_no_id").sum().alias("nulls")] if nulls else [])
    native = typed.to_native()
    if isinstance(native, pl.LazyFrame) and "_raw_period" in typed.collect_schema():
        # polars: grouped by the cells as read, then the few distinct cells parsed (the
        # parse is a function of the cell): a third of the time of parsing every row
        cells = _collect(typed.group_by("_raw_period").agg(*counts))
        parsed = type_plan(cells.lazy().rename({"_raw_period": "period"}), "monthly")
        per_month = parsed.group_by("period").agg(pl.exclude("period").sum()).collect()
    else:
        per_month = _collect(typed.group_by("period").agg(*counts))
    return per_month.drop_nulls("period").sort("period")


#: The rules that read only ``period``: the rows per month show their errors before the pass.
_PERIOD_ERRORS = ("period_in_future", "out_of_range", "period_detached")


def _certain_errors(per_month: pl.DataFrame, rules: list[_Rule]) -> bool:
    """Billing months that the period rules report as errors (out of range, detached,
    after the as-of date): their masks evaluated on the months of ``per_month``."""
    masks = [r.mask for r in rules
             if r.column == "period" and r.code in _PERIOD_ERRORS and r.severity == "error"]
    if not masks or per_month.height == 0:
        return False
    hit = nw.any_horizontal(*[m.fill_null(False) for m in masks], ignore_nulls=True)
    return bool(nw.from_native(per_month).select(hit.any()).item())


def _indicator_pass(checker: _Checker, monthly_pass: MonthlyPass | None,
                    typed: nw.LazyFrame, rules: list[_Rule], per_month: pl.DataFrame,
                    height: int) -> Proof | None:
    """Run ``monthly_pass`` over the typed rows flagged where a rule hits and return what
    it proves; None (the checks count on their own) when it is not given, or when errors
    are certain already (a failed register, impossible months): the pass would be
    wasted, or fail on them."""
    if monthly_pass is None or not isinstance(typed.to_native(), pl.LazyFrame) or any(
            f.severity == "error" for f in checker.findings) or _certain_errors(
            per_month, rules):
        return None
    hit = nw.any_horizontal(*[r.mask.fill_null(False) for r in rules], ignore_nulls=True)
    tally = monthly_pass(typed.with_columns(hit.cast(nw.Int64).alias(FLAG)).to_native(),
                         per_month)
    return Proof(tally, per_month, height) if tally is not None else None


def _detached_month(per_month: pl.DataFrame) -> dt.date | None:
    """The first month of a detached tail: after a gap of more than
    :data:`DETACHED_GAP_MONTHS` months without rows, holding under :data:`DETACHED_SHARE`
    of the rows (``per_month`` from :func:`_rows_per_month`)."""
    if per_month.height < 2:
        return None
    months = [d.year * 12 + d.month for d in per_month["period"]]
    counts = per_month["n"].to_list()
    total = sum(counts)
    for i in range(1, len(months)):
        if months[i] - months[i - 1] - 1 > DETACHED_GAP_MONTHS and \
                sum(counts[i:]) < DETACHED_SHARE * total:
            return per_month["period"][i]
    return None


def _magnitude_rules(names: list[str], schema: Any) -> list[_Rule]:
    return [_Rule(name, "implausible_magnitude", "error",
                  f"values of magnitude {MAX_MAGNITUDE:.0e} or more",
                  nw.col(name).abs() >= MAX_MAGNITUDE,
                  fix="check the unit and the decimal point of these cells (sums of such "
                  "values would overflow)") for name in names if name in schema]


def _range_rule(name: str, low: float, high: float, unit: str = "") -> _Rule:
    return _Rule(name, "out_of_range", "error", f"values outside {low:g}–{high:g}{unit}",
                 (nw.col(name) < low) | (nw.col(name) > high),
                 fix=f"{name} is declared on {low:g}–{high:g}{unit}: check the scale")


def _coverage(checker: _Checker, table: Table, per_month: pl.DataFrame,
              duplicated: pl.DataFrame | None, register: nw.LazyFrame | None) -> None:
    """Warn when most register customers open in the latest month have no row in it.

    No query of the monthly rows of its own: the customers with a row in the latest month
    are its rows (``per_month``) less the repeats among the ``duplicated`` rows of that
    month; one count of the register.
    """
    if register is None or per_month.height == 0:
        return
    last = per_month["period"][-1]
    open_then = register.filter(
        (nw.col("_opened").is_null() | (nw.col("_opened").dt.truncate("1mo") <= nw.lit(last)))
        & (nw.col("_closed").is_null() | (nw.col("_closed") >= nw.lit(last))))
    n_open = int(_collect(open_then.select(nw.len())).item())
    if n_open == 0:
        return
    present = int(per_month["n"][-1])
    if duplicated is not None:
        repeats = duplicated.filter(pl.col("period") == last)
        present -= repeats.height - repeats.select("customer_id", "period").n_unique()
    share = present / n_open
    if share < MIN_COVERAGE:
        checker.add(table, "period", "low_coverage", "warning",
                    f"only {share:.0%} of the {n_open} customers open in the latest "
                    f"month ({last:%Y-%m}) have a row in it", n_open - present,
                    [], treatment="graded as given (customers without rows get the reason "
                    "no_records)", fix="check that the export is complete for its latest "
                    "month, or pass a window that ends earlier")


def _run_joined(checker: _Checker, table: Table, raw: nw.LazyFrame, typed: nw.LazyFrame,
                register: nw.LazyFrame, proof: Proof | None) -> nw.LazyFrame:
    """The monthly rules that read the register (months outside the account, unknown
    customers), counted in their own query over the key columns joined with it (on the
    rows a ``proof`` leaves).

    Counted beside the other rules, the join held every column of a streamed batch: the
    checks peaked at 1.55 GB at 1M customers on polars, against 0.73 GB for either half.
    """
    joined = _with_register(typed.select("_row", "customer_id", "period"), register,
                            "monthly")
    rules = [r for r in checker.monthly_rules(joined.collect_schema())
             if r.code == "period_outside_account"]
    rules += checker.unknown_customers(True)
    checker.run(table, raw, joined, rules,
                joined if proof is None else proof.joined_rows(joined))
    return joined


# -- engine-specific steps ----------------------------------------------------------------
# Everything above is shared: narwhals expressions and queries every engine runs alike.
# What each engine does its own way is here: on polars the lean streaming forms the 1M
# benchmark measures, on DuckDB and Spark queries that need no input order.


def _collect(frame: nw.LazyFrame, head: int | None = None,
             ordered: bool = False) -> pl.DataFrame:
    """Run a small query and return its rows as polars.

    polars keeps the input order: the streaming engine, or the first ``head`` rows by the
    default engine.  DuckDB and Spark run it and send the rows through Arrow; the first
    ``head`` rows (and ``ordered`` results) are in input order, ``_row``.
    """
    native = frame.to_native()
    if isinstance(native, pl.LazyFrame):
        if head is not None:
            return native.head(head).collect()
        return native.collect(engine="streaming")
    if head is not None or ordered:
        frame = frame.sort("_row")
    if head is not None:
        frame = frame.head(head)
    out = frame.collect(backend="polars").to_native()
    assert isinstance(out, pl.DataFrame)
    return out


def _count(mask: nw.Expr, frame: nw.LazyFrame) -> nw.Expr:
    """The rows where ``mask`` holds (Spark and DuckDB sum integers, not booleans)."""
    hits = mask.fill_null(False)
    if frame.implementation.is_polars():
        return hits.sum()
    return hits.cast(nw.Int64).sum()


def _hits(raw: nw.LazyFrame, typed: nw.LazyFrame, rule: _Rule) -> nw.LazyFrame:
    """The rows where ``rule`` hits; as read when its examples show the raw cells."""
    if rule.raw_mask is None:
        return typed.filter(rule.mask)
    native = raw.to_native()
    if isinstance(native, pl.LazyFrame):
        return nw.from_native(native.filter(rule.raw_mask))
    first = _collect(typed.filter(rule.mask).select("_row"), head=errors.MAX_EXAMPLES)
    return raw.filter(nw.col("_row").is_in(first["_row"].to_list()))


def _type_checked(raw: nw.LazyFrame, name: str, kinds: list[tuple[str, str]],
                  prepared: Prepared | None) -> nw.LazyFrame:
    """The typed plan with the unreadable flags ``_bad_<c>``: on polars one plan from the
    raw one (each column parsed once, flagged from its parsed and its raw cells); on
    DuckDB and Spark the table :func:`custvalue.inputs.engines.prepare` typed."""
    native = raw.to_native()
    if not isinstance(native, pl.LazyFrame):
        assert prepared is not None
        return nw.from_native(prepared.typed).lazy()
    given = native.collect_schema()
    # empty ids from the raw cells (the parsed ids are stripped text: a pass per row)
    no_id = [pl.col("customer_id").is_null().alias("_no_id")] if "customer_id" in given else []
    typed = type_plan(native.with_columns(
        [pl.col(c).alias(f"_raw_{c}") for c, _ in kinds] + no_id), name)
    return nw.from_native(typed.with_columns(
        [unreadable_parsed_expr(c, f"_raw_{c}", given[c]).alias(f"_bad_{c}")
         for c, _ in kinds]))


def _with_register(typed: nw.LazyFrame, register: nw.LazyFrame | None,
                   name: str) -> nw.LazyFrame:
    """``typed`` with ``_known`` (true for a customer of the register, null for another;
    true for an empty id, which is a missing value) and, on ``monthly``, the register's
    ``_opened`` and ``_closed``.

    polars: a left join that keeps the row order (on ``monthly`` it serves the unknown
    customers and the months outside the account; a third of the time of a lookup of
    the ids with ``is_in``).  DuckDB and Spark: left joins on the engine.
    """
    if register is None or name == "customers":
        return typed
    columns = ["customer_id", "_opened", "_closed"] if name == "monthly" else ["customer_id"]
    keys = register.select(*columns).with_columns(_known=nw.lit(True))
    native = typed.to_native()
    if isinstance(native, pl.LazyFrame):  # the examples are the first rows in input order
        joined = nw.from_native(native.join(keys.to_native(), on="customer_id", how="left",
                                            maintain_order="left"))
    else:
        joined = typed.join(keys, on="customer_id", how="left")
    if name == "monthly":
        return joined
    return joined.with_columns(_known=nw.when(nw.col("customer_id").is_null()).then(
        nw.lit(True)).otherwise(nw.col("_known")))


def _register_of(typed: nw.LazyFrame, schema: Any, unique: bool = False) -> nw.LazyFrame:
    """``customer_id``, ``_opened`` and ``_closed`` of each register customer (the first
    row of a repeated one; ``unique``: the ids are known not to repeat): small, one row
    per customer (polars: in memory; DuckDB and Spark: a query on the held table)."""
    cols = [nw.col("customer_id"), nw.col("opened").alias("_opened"),
            (nw.col("closed") if "closed" in schema
             else nw.lit(None, dtype=nw.Date)).alias("_closed")]
    native = typed.to_native()
    if isinstance(native, pl.LazyFrame):
        eager = _collect(typed.select(cols))
        if not unique:
            eager = eager.unique("customer_id", keep="first", maintain_order=True)
        return nw.from_native(eager.lazy())
    first = typed.with_columns(_first=nw.col("_row").min().over("customer_id"))
    register = first.filter((nw.col("_row") == nw.col("_first"))
                            | nw.col("customer_id").is_null()).select(cols)
    return nw.from_native(hold(register.to_native())).lazy()  # computed once


def _duplicated_rows(typed: nw.LazyFrame | pl.LazyFrame,
                     keys: list[str]) -> pl.DataFrame | None:
    """The rows of ``typed`` whose ``keys`` occur more than once, in input order.

    polars: by sorting a 64-bit hash of the keys (a lazy query of one column: no group-by
    table of every key); rows with a repeated hash are then compared exactly, so a hash
    collision never reports a false duplicate.  DuckDB and Spark: the rows of each key
    counted by a window on the engine (one pass, no join back).
    """
    if isinstance(typed, pl.LazyFrame):
        typed = nw.from_native(typed)
    native = typed.to_native()
    if isinstance(native, pl.LazyFrame):
        hashed = native.select(pl.struct(keys).hash(0).alias("h"))
        ordered = hashed.sort("h")
        repeated = ordered.filter(pl.col("h") == pl.col("h").shift(1)).select(
            pl.col("h").unique()).collect(engine="streaming")["h"]
        if repeated.len() == 0:
            return None
        candidates = native.filter(pl.struct(keys).hash(0).is_in(repeated.implode())).collect()
    else:
        counted = typed.with_columns(_n=nw.col("_row").count().over(*keys))
        candidates = _collect(counted.filter(nw.col("_n") > 1).drop("_n"))
        if candidates.height == 0:
            return None
    return candidates.filter(pl.struct(keys).is_duplicated()).sort("_row")


def _check_one(checker: _Checker, table: Table, raw: nw.LazyFrame,
               register: nw.LazyFrame | None, prepared: Prepared | None = None,
               monthly_pass: MonthlyPass | None = None, height: int = 0
               ) -> nw.LazyFrame | None:
    """The checks of one table (aggregate queries on its lazy plan); returns the register
    (after ``customers``).  ``monthly``: with ``monthly_pass`` (and a ``register``), its
    rules are counted on the rows that the pass does not prove clean."""
    name, opts = table.name, checker.options
    kinds = checker.type_columns(table, raw)
    typed = _type_checked(raw, name, kinds, prepared)
    schema = typed.collect_schema()
    keyed = typed  # monthly: its key columns joined with the register (``_known``)
    proof: Proof | None = None  # monthly: what the pass proves
    rules = checker.type_rules(kinds)
    if name == "customers":
        rules += checker.required_values(["customer_id", "customer_class", "contract_kva"],
                                         schema)
        rules += [checker.categories("customer_class", opts.customer_classes),
                  _Rule("contract_kva", "negative_value", "error",
                        "negative contracted capacity", nw.col("contract_kva") < 0,
                        fix="correct the capacity")]
        if "closed" in schema:
            rules.append(_Rule("closed", "closed_before_opened", "error",
                               "accounts closed before they opened",
                               nw.col("closed") < nw.col("opened"), extra=["opened"],
                               fix="check opened and closed of these accounts"))
        rules += _magnitude_rules(["contract_kva"], schema)
    elif name == "monthly":
        rules += checker.required_values(["customer_id", "period", "active_kwh",
                                          "billed_amount", "due_date"], schema)
        pass_ok = monthly_pass is not None and register is not None and "_no_id" in schema
        per_month = _rows_per_month(typed, nulls=pass_ok)
        detached = _detached_month(per_month)
        rules += checker.monthly_rules(schema, detached)
        if pass_ok:
            proof = _indicator_pass(checker, monthly_pass, typed, rules, per_month, height)
        if register is not None:  # the two rules that read it count in their own query
            keyed = _run_joined(checker, table, raw, typed, register, proof)
    elif name in ("events", "cooperation"):
        rules += checker.required_values(["customer_id", "date", "kind"], schema)
        rules.append(checker.categories(
            "kind", EVENT_KINDS if name == "events" else COOPERATION_KINDS))
        if name == "cooperation" and "score" in schema:
            rules.append(_range_rule("score", 0, 5, " points"))
        if name == "events" and "affected_customers" in schema:
            rules.append(_Rule("affected_customers", "negative_value", "error",
                               "negative counts of customers", nw.col("affected_customers")
                               < 0, fix="a count is never negative"))
    else:  # energy
        rules += checker.required_values(["customer_id", "year", "total_energy_tce",
                                          "electricity_tce"], schema)
        rules += [_Rule(c, "negative_value", "error", "negative energy use",
                        nw.col(c) < 0, fix="energy use in tce is never negative")
                  for c in ("total_energy_tce", "electricity_tce", "replaceable_tce")
                  if c in schema]
        rules.append(_Rule("electricity_tce", "negative_value", "error",
                           "electricity exceeds the total energy use",
                           nw.col("electricity_tce") > nw.col("total_energy_tce"),
                           extra=["total_energy_tce"],
                           fix="check the audit figures (both in tce)"))
        rules += _magnitude_rules(["total_energy_tce", "electricity_tce", "replaceable_tce"],
                                  schema)
    if name not in ("customers", "monthly"):
        typed = _with_register(typed, register, name)
    if name not in ("customers", "monthly"):  # monthly: in _run_joined
        rules += checker.unknown_customers(register is not None)
    checker.run(table, raw, typed, rules, typed if proof is None else proof.rule_rows(typed))
    if name == "customers":
        repeated = checker.duplicates(table, typed, ["customer_id"], "error",
                                      "the same customer appears more than once",
                                      fix="keep one register row per customer")
        register = _register_of(typed, schema, unique=repeated is None)
    elif name == "monthly":
        policy = {"error": "", "sum": "summed into one row per customer and month",
                  "last": "the last row in input order is kept"}[opts.duplicates]
        searched = typed if proof is None else proof.duplicate_rows(typed)
        dup = None if searched is None else checker.duplicates(
            table, searched, ["customer_id", "period"],
            "error" if opts.duplicates == "error" else "warning",
            "more than one row for the same customer and month", treatment=policy,
            extra=["active_kwh", "billed_amount"],
            fix="remove the duplicates, or pass duplicates='sum' or 'last'")
        _coverage(checker, table, per_month, dup, register)
        if opts.duplicates == "last" and dup is not None:
            later = pl.struct("customer_id", "period").is_last_distinct()
            checker.excluded.append(dup.filter(~later).select(
                pl.lit("monthly").alias("table"), pl.col("customer_id"),
                pl.col("period").cast(pl.String).alias("key"),
                pl.lit("duplicate (customer_id, period): a later row is kept")
                .alias("reason")))
    if name != "customers" and register is not None:
        checker.excluded_unknown(table, keyed if name == "monthly" else typed)
    return register


def _engine(given: dict[str, Any]) -> Engine:
    """The engine the checks run on: that of ``monthly`` (the big table) when it is a
    DuckDB or Spark frame, else that of the register, else polars."""
    for name in ("monthly", "customers"):
        if name in given and engine_of(given[name]) != "polars":
            return engine_of(given[name])
    return "polars"


def _raw_plan(source: TableSource, name: str, engine: Engine, given: dict[str, Any],
              mapping: Mapping | None, encoding: str | None,
              sheet: str | int | None) -> nw.LazyFrame:
    """The table as read, untyped, with its input order as ``_row``, on ``engine``."""
    if isinstance(source, Prepared):
        return nw.from_native(source.raw).lazy()
    if engine == "polars":
        plan = scan_raw(source, name, mapping=mapping, encoding=encoding, sheet=sheet)
        return nw.from_native(plan.with_row_index("_row"))
    if mapping is not None:
        raise errors.UnsupportedInputError(
            name, None, f"an input mapping is applied by the polars reader, not on {engine}",
            fix=f"rename the columns in {engine} before grading, or use the polars engine")
    like = given["monthly"] if engine_of(given.get("monthly")) == engine else given["customers"]
    return nw.from_native(with_row_index(to_engine(source, name, engine, like=like))).lazy()


def check_tables(
    customers: TableSource,
    monthly: TableSource | None = None,
    events: TableSource | None = None,
    cooperation: TableSource | None = None,
    energy: TableSource | None = None,
    *,
    options: CheckOptions | None = None,
    strict: bool = False,
    mapping: Mapping | dict[str, Any] | str | Path | None = None,
    encoding: str | None = None,
    sheet: str | int | None = None,
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
    mapping : Mapping, dict or path, optional
        The export's column names and values onto the contract
        (:class:`custvalue.inputs.mapping.Mapping`, a dict of its fields or a TOML file).
    encoding : str, optional
        Encoding of CSV files (default: UTF-8 with or without BOM, else GB18030, detected).
    sheet : str or int, optional
        Excel: the one sheet to read (default: every sheet).
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
    given: dict[str, TableSource] = {
        name: src
        for name, src in {
            "customers": customers, "monthly": monthly, "events": events,
            "cooperation": cooperation, "energy": energy,
        }.items()
        if src is not None
    }
    report = check_with_pass(given, opts, mapping=mapping, encoding=encoding, sheet=sheet)
    if strict:
        report.raise_for_errors()
    return report


def check_with_pass(given: dict[str, TableSource], options: CheckOptions, *,
                    monthly_pass: MonthlyPass | None = None,
                    mapping: Mapping | dict[str, Any] | str | Path | None = None,
                    encoding: str | None = None, sheet: str | int | None = None
                    ) -> CheckReport:
    """:func:`check_tables` of the ``given`` tables, with a pass over the monthly rows
    run beside them (:func:`custvalue.grade` runs the indicator stage as it).

    ``monthly_pass`` (polars only) is called once, when the rules of ``monthly`` are known
    and no error is certain yet, with the typed plan flagged where a rule hits
    (:data:`custvalue.inputs.tally.FLAG`); the rules are then counted only on the rows its
    :class:`~custvalue.inputs.tally.Tally` does not prove clean.  The report is the one
    :func:`check_tables` gives.
    """
    opts = options
    mapping = as_mapping(mapping)
    checker = _Checker(opts)
    row_counts: dict[str, int] = {}
    register: nw.LazyFrame | None = None
    engine = _engine(given)
    read_errors = engine_errors(engine)
    own: list[Prepared] = []  # tables typed here on DuckDB or Spark: released at the end
    for name, source in given.items():
        table = TABLES[name]
        prepared = source if isinstance(source, Prepared) else None
        try:
            raw = _raw_plan(source, name, engine, given, mapping, encoding, sheet)
            raw.collect_schema()
        except errors.DatabaseError as exc:  # keeps its code, column and example rows
            checker.add(table, exc.column, exc.code, "error", exc.problem, exc.count or 0,
                        exc.examples, fix=exc.fix)
            continue
        except errors.InputError as exc:
            checker.add(table, None, "unreadable", "error", exc.problem, 0, [], fix=exc.fix)
            continue
        except read_errors as exc:
            checker.add(table, None, "unreadable", "error", f"cannot read the table: {exc}",
                        0, [], fix="check the file (format, encoding, separator)")
            continue
        try:
            if engine == "polars":
                height = int(_collect(raw.select(nw.len())).item())
            else:  # one query: the rows, and what the engine cannot read natively
                if prepared is None:
                    prepared = prepare(raw.to_native(), name)
                    own.append(prepared)
                height = prepared.rows
        except read_errors as exc:
            checker.add(table, None, "unreadable", "error", f"cannot read the table: {exc}",
                        0, [], fix="check the file (format, encoding, quoting, separator)")
            continue
        row_counts[name] = height
        if height == 0:
            checker.add(table, None, "empty_table", "error", "the table has no rows", 0, [],
                        fix=f"supply a non-empty '{name}' table or leave it out")
            continue
        if not checker.structure(table, raw):
            continue
        first = len(checker.findings)
        try:
            register = _check_one(checker, table, raw, register, prepared,
                                  monthly_pass, height)
        except read_errors as exc:  # damaged past its first rows
            del checker.findings[first:]
            checker.add(table, None, "unreadable", "error", f"cannot read the table: {exc}",
                        0, [], fix="check the file (format, encoding, quoting, separator)")
        checker.order(first)
    for held in own:
        release(held)
    if register is not None and engine != "polars":
        release(register.to_native())

    excluded = (
        pl.concat(checker.excluded).to_pandas() if checker.excluded
        else pd.DataFrame({c: pd.Series(dtype="object")
                           for c in ("table", "customer_id", "key", "reason")})
    )
    report = CheckReport(findings=checker.findings, row_counts=row_counts, options=opts,
                         excluded=excluded)
    logger.debug("check_tables: %d findings (%d errors) over %s%s", len(report.findings),
                 sum(f.severity == "error" for f in report.findings), ", ".join(row_counts),
                 " (beside a pass over the monthly rows)" if monthly_pass else "")
    return report
