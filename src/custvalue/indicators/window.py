"""The grading window: a run of whole calendar months, and the as-of date.

Months are handled as integer *month indices* ``year * 12 + month - 1`` so that every
backend can compare and subtract them; dates as *epoch days* (days since 1970-01-01).

Examples
--------
>>> from custvalue.indicators.window import Window
>>> w = Window.coerce(("2022-01", "2024-12"))
>>> w
Window(start='2022-01', end='2024-12', months=36)
>>> w.as_of()
datetime.date(2024, 12, 31)
>>> Window.ending("2024-12", months=12).start
datetime.date(2024, 1, 1)
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from custvalue.errors import InvalidValueError

__all__ = ["Window", "WindowLike", "epoch_day", "month_index", "month_start", "parse_month"]

_MONTH_RE = re.compile(r"^\s*(\d{4})-(\d{1,2})(?:-(\d{1,2}))?")


def parse_month(value: Any) -> dt.date:
    """Return the first day of the month ``value`` falls in.

    Accepts ``"YYYY-MM"`` (or ``"YYYY-MM-DD"``) text and anything with ``year`` and
    ``month`` attributes (``date``, ``datetime``, ``pandas.Timestamp``).

    Examples
    --------
    >>> parse_month("2024-03"), parse_month("2024-03-17")
    (datetime.date(2024, 3, 1), datetime.date(2024, 3, 1))
    >>> import datetime
    >>> parse_month(datetime.datetime(2023, 12, 31, 23, 59))
    datetime.date(2023, 12, 1)
    """
    if isinstance(value, str):
        m = _MONTH_RE.match(value)
        if not m:
            raise ValueError(f"cannot read {value!r} as a month; use 'YYYY-MM'")
        return dt.date(int(m.group(1)), int(m.group(2)), 1)
    if hasattr(value, "year") and hasattr(value, "month"):
        return dt.date(int(value.year), int(value.month), 1)
    raise ValueError(f"cannot read {value!r} as a month; use 'YYYY-MM' or a date")


def month_index(value: Any) -> int:
    """``year * 12 + month - 1`` of a month (see :func:`parse_month`).

    Examples
    --------
    >>> month_index("2024-01") - month_index("2023-12")
    1
    """
    d = parse_month(value)
    return d.year * 12 + d.month - 1


def month_start(index: int) -> dt.date:
    """The first day of the month with the given month index.

    Examples
    --------
    >>> month_start(month_index("2022-07"))
    datetime.date(2022, 7, 1)
    """
    return dt.date(index // 12, index % 12 + 1, 1)


#: Month index of 0001-01 and of 9999-12: the months a Python date can hold.
FIRST_MONTH_INDEX, LAST_MONTH_INDEX = 12, 9999 * 12 + 11


def _ym(day: dt.date) -> str:
    """``YYYY-MM`` with a four-digit year also before year 1000 (``%Y`` gives ``1-01``)."""
    return f"{day.year:04d}-{day.month:02d}"


def epoch_day(day: dt.date) -> int:
    """Days since 1970-01-01.

    Examples
    --------
    >>> import datetime
    >>> epoch_day(datetime.date(1970, 1, 2))
    1
    """
    return (day - dt.date(1970, 1, 1)).days


class Window(BaseModel):
    """A grading window of whole months, ``start`` to ``end`` inclusive.

    Attributes
    ----------
    start, end : date
        First days of the first and the last month.  Anything :func:`parse_month` reads is
        accepted (``"2022-01"``, a date inside the month ...).

    Examples
    --------
    >>> w = Window(start="2022-01", end="2024-12")
    >>> w.months, w.full_years, w.start_index == month_index("2022-01")
    (36, 3, True)
    >>> Window(start="2024-01", end="2023-12")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for Window
    ...
    """

    model_config = ConfigDict(frozen=True)

    start: dt.date
    end: dt.date

    @field_validator("start", "end", mode="before")
    @classmethod
    def _to_month(cls, value: Any) -> dt.date:
        return parse_month(value)

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.end < self.start:
            raise ValueError(f"window end {_ym(self.end)} is before its start "
                             f"{_ym(self.start)}")
        return self

    def __repr__(self) -> str:
        return f"Window(start='{_ym(self.start)}', end='{_ym(self.end)}', months={self.months})"

    @classmethod
    def ending(cls, end: Any, months: int = 36) -> Window:
        """The ``months`` months ending with the month ``end`` (the latest ``period`` of
        ``monthly``: the default window of :func:`custvalue.indicators.compute_indicators`).

        Raises
        ------
        custvalue.errors.InvalidValueError
            The window would start before January of year 1 (``end`` a placeholder month
            such as ``0001-03``): naming ``monthly.period``.

        Examples
        --------
        >>> Window.ending("0001-03", months=36)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        custvalue.errors.InvalidValueError: table 'monthly', column 'period': the 36 months ...
        """
        last = month_index(end)
        if last - months + 1 < FIRST_MONTH_INDEX:
            raise InvalidValueError(
                "monthly", "period", f"the {months} months ending {_ym(month_start(last))} "
                "would start before January of year 1", [{"period": _ym(month_start(last))}],
                fix="correct the periods (a placeholder year?), or pass a window or a "
                "shorter window_months")
        return cls(start=month_start(last - months + 1), end=month_start(last))

    @classmethod
    def coerce(cls, value: Any) -> Window:
        """A :class:`Window` from a Window, a ``(start, end)`` pair or a mapping.

        Raises
        ------
        custvalue.errors.InvalidValueError
            ``value`` is no window: an unreadable month, the end before the start, or not
            a pair (the message names the problem).

        Examples
        --------
        >>> Window.coerce({"start": "2023-01", "end": "2023-06"}).months
        6
        >>> Window.coerce(("2024-03", "2024-01"))  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        custvalue.errors.InvalidValueError: table 'window': ...window end 2024-01 is before ...
        """
        if isinstance(value, Window):
            return value
        fix = "pass Window(start, end) or a (start, end) pair such as ('2022-01', '2024-12')"
        try:
            if isinstance(value, Mapping):
                return cls(**value)
            if isinstance(value, list | tuple) and len(value) == 2:
                return cls(start=value[0], end=value[1])
        except ValidationError as exc:
            problem = "; ".join(
                (f"{e['loc'][0]}: " if e["loc"] and e["type"] == "missing" else "")
                + str(e.get("ctx", {}).get("error") or e["msg"]) for e in exc.errors())
            raise InvalidValueError("window", None, problem, fix=fix) from None
        raise InvalidValueError("window", None, f"cannot read {value!r} as a window", fix=fix)

    @property
    def start_index(self) -> int:
        """Month index of the first month."""
        return self.start.year * 12 + self.start.month - 1

    @property
    def end_index(self) -> int:
        """Month index of the last month."""
        return self.end.year * 12 + self.end.month - 1

    @property
    def months(self) -> int:
        """Number of months in the window."""
        return self.end_index - self.start_index + 1

    @property
    def full_years(self) -> int:
        """Number of whole 12-month blocks, counted back from the window's end."""
        return self.months // 12

    @property
    def last_day(self) -> dt.date:
        """The last day of the window's last month (also for December of year 9999)."""
        return self.end.replace(day=calendar.monthrange(self.end.year, self.end.month)[1])

    def as_of(self, override: dt.date | None = None) -> dt.date:
        """The as-of date: ``override`` if given, else :attr:`last_day`."""
        return override if override is not None else self.last_day

    def to_dict(self, as_of: dt.date | None = None) -> dict[str, Any]:
        """Plain description (for ``attrs`` and manifests).

        Examples
        --------
        >>> Window(start="2024-01", end="2024-12").to_dict()
        {'start': '2024-01', 'end': '2024-12', 'months': 12, 'as_of': '2024-12-31'}
        """
        return {"start": _ym(self.start), "end": _ym(self.end),
                "months": self.months, "as_of": self.as_of(as_of).isoformat()}


#: What a ``window=`` argument accepts: a :class:`Window`, a ``(start, end)`` pair of months
#: (``"2022-01"`` or dates) or a mapping with ``start`` and ``end``.
WindowLike = Window | tuple[str | dt.date, str | dt.date] | Mapping[str, str | dt.date]
