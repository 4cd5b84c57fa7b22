"""One exception hierarchy for everything custvalue raises on purpose.

Every error a user can cause derives from :class:`CustvalueError`.  Errors about input
tables derive from :class:`InputError` and carry the table, the column, up to five
example rows and the fix, so that the message alone tells what to change.  Errors about a
grading scheme derive from :class:`SchemeError` and name the path in the scheme.

The command-line interface maps :class:`InputError` to exit code 2, :class:`SchemeError`
to exit code 3 and anything else to exit code 1.

Every exception class carries a stable, machine-readable ``code`` class attribute
(``"missing_column"``, ``"scheme_error"`` ...) for services that route errors without parsing
messages, and survives a :mod:`pickle` round trip with all its attributes (``table``,
``column``, ``examples``, ``fix``, ``count``, ``path``, ``problem`` ...), so errors raised in a
process pool reach the parent intact.  ``docs/data-contract.md`` lists the codes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any, ClassVar

__all__ = [
    "ColumnTypeError",
    "CustvalueError",
    "DatabaseError",
    "DuplicateRowsError",
    "EmptyTableError",
    "InconsistentJudgmentsError",
    "InputError",
    "InvalidValueError",
    "MissingColumnError",
    "NegativeEnergyError",
    "PaymentBeforePeriodError",
    "ReactiveWithoutActiveError",
    "SchemeError",
    "UnknownCustomerError",
    "UnsupportedInputError",
]

MAX_EXAMPLES = 5


def _rebuild(cls: type[BaseException], args: tuple[Any, ...],
             state: dict[str, Any]) -> BaseException:
    """Unpickle an exception without calling its ``__init__`` (whose signature varies)."""
    exc = cls.__new__(cls, *args)
    exc.args = args
    exc.__dict__.update(state)
    return exc


class PicklableMixin:
    """``__reduce__`` that restores ``args`` and every instance attribute.

    The default pickling of an exception calls ``cls(*self.args)``, which fails (or loses the
    attributes) when ``__init__`` takes other arguments than the message.
    """

    def __reduce__(self) -> tuple[Any, ...]:
        assert isinstance(self, BaseException)
        return (_rebuild, (type(self), self.args, dict(self.__dict__)))


class CustvalueError(PicklableMixin, Exception):
    """Base class of every error custvalue raises on purpose.

    Attributes
    ----------
    code : str
        Stable machine-readable name of the error kind (a class attribute).

    Examples
    --------
    >>> import pickle
    >>> err = MissingColumnError("monthly", "kwh", "column is missing", fix="add it")
    >>> err.code
    'missing_column'
    >>> back = pickle.loads(pickle.dumps(err))
    >>> (type(back).__name__, back.table, back.column, back.fix, str(back) == str(err))
    ('MissingColumnError', 'monthly', 'kwh', 'add it', True)
    """

    code: ClassVar[str] = "custvalue_error"


def _format_value(value: Any) -> str:
    # Dates read better as ISO text than as ``datetime.date(2024, 3, 1)``.
    if isinstance(value, date | datetime):
        return value.isoformat()
    return repr(value)


def _format_examples(examples: Sequence[Mapping[str, Any]]) -> str:
    lines = []
    for row in list(examples)[:MAX_EXAMPLES]:
        lines.append("    " + ", ".join(f"{k}={_format_value(v)}" for k, v in row.items()))
    return "\n".join(lines)


class InputError(CustvalueError):
    """An input table breaks the data contract.

    Parameters
    ----------
    table : str
        Name of the table in the data contract (``customers``, ``monthly`` ...).
    column : str or None
        The offending column, if one column is to blame.
    problem : str
        What is wrong, in one sentence.
    examples : sequence of mappings, optional
        Up to five offending rows (more are cut); each row is shown as ``key=value``.
    fix : str, optional
        What the user should do about it.
    count : int, optional
        How many rows are affected in all.
    """

    code: ClassVar[str] = "input_error"

    def __init__(
        self,
        table: str,
        column: str | None,
        problem: str,
        examples: Sequence[Mapping[str, Any]] = (),
        fix: str = "",
        count: int | None = None,
    ) -> None:
        self.table = table
        self.column = column
        self.problem = problem
        self.examples = [dict(r) for r in list(examples)[:MAX_EXAMPLES]]
        self.fix = fix
        self.count = count
        where = f"table '{table}'" + (f", column '{column}'" if column else "")
        msg = f"{where}: {problem}"
        if count is not None:
            msg += f" ({count} row{'s' if count != 1 else ''})"
        if self.examples:
            msg += f"\n  example rows (up to {MAX_EXAMPLES}):\n" + _format_examples(self.examples)
        if fix:
            msg += f"\n  fix: {fix}"
        super().__init__(msg)


class MissingColumnError(InputError):
    """A required column is absent."""

    code: ClassVar[str] = "missing_column"


class ColumnTypeError(InputError):
    """Values of a column cannot be read as the declared type (number, date, month)."""

    code: ClassVar[str] = "column_type"


class InvalidValueError(InputError):
    """Values are of the right type but outside what the contract allows."""

    code: ClassVar[str] = "invalid_value"


class DuplicateRowsError(InputError):
    """The same key appears more than once, e.g. two ``monthly`` rows for one customer-month."""

    code: ClassVar[str] = "duplicate_rows"


class NegativeEnergyError(InputError):
    """Negative energy readings where corrections are not allowed."""

    code: ClassVar[str] = "negative_energy"


class ReactiveWithoutActiveError(InputError):
    """Reactive energy recorded in a month whose active energy is zero."""

    code: ClassVar[str] = "reactive_without_active"


class UnknownCustomerError(InputError):
    """Records or events for a customer that is not in the register."""

    code: ClassVar[str] = "unknown_customer"


class PaymentBeforePeriodError(InputError):
    """A bill paid before the start of the month it bills."""

    code: ClassVar[str] = "paid_before_period"


class EmptyTableError(InputError):
    """A table has no rows."""

    code: ClassVar[str] = "empty_table"


class UnsupportedInputError(InputError):
    """The object or file given for a table cannot be read."""

    code: ClassVar[str] = "unsupported_input"


class DatabaseError(InputError):
    """A database table cannot be read or written: a bad URI, an unreachable server, a
    missing table, a failing query (credentials are never part of the message)."""

    code: ClassVar[str] = "database_error"


class SchemeError(CustvalueError):
    """A grading scheme (or weighting input) is invalid.

    Parameters
    ----------
    path : str
        Dotted path to the offending part, e.g.
        ``dimensions.compliance.indicators.pf_compliance.weight``.
    problem : str
        What is wrong.
    """

    code: ClassVar[str] = "scheme_error"

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"{path}: {problem}" if path else problem)


class InconsistentJudgmentsError(SchemeError):
    """AHP pairwise judgments whose consistency ratio exceeds the allowed bound."""

    code: ClassVar[str] = "inconsistent_judgments"
