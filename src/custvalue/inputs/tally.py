"""What the indicator stage's pass over the monthly rows proves for the input checks.

:func:`custvalue.grade` checks the monthly table and computes the indicators in one pass
over its rows (on polars): the checks add one flag per row, true where any of their
rules that read no other table hits (:data:`FLAG`), and the indicator stage sums it per
customer beside its own sums and hands back a :class:`Tally`.  The checks then count a
rule only on the rows the pass has not proven clean (:class:`Proof`): on a clean table
whose months all lie in the window, no query of their own reads the monthly rows again.
Where the pass saw a hit (or rows it could not see: months outside the window, empty ids,
customers not in the register), the checks run their queries as they do alone, so every
count and example is the same either way.

Examples
--------
>>> import datetime as dt, polars as pl
>>> per_month = pl.DataFrame({"period": [dt.date(2024, 1, 1), dt.date(2024, 2, 1)],
...                           "n": [3, 3], "nulls": [0, 1]})
>>> tally = Tally(start=dt.date(2024, 2, 1), end=dt.date(2024, 2, 1), rows=2, hits=0,
...               duplicated=False, beyond=0)
>>> proof = Proof(tally, per_month, height=6)
>>> proof.outside, proof.unknown, proof.sound
(4, 0, True)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import narwhals as nw
import polars as pl

__all__ = ["FLAG", "Proof", "Tally"]

#: The per-row flag the checks add to the monthly plan: 1 where a rule hits, else 0.
FLAG = "_check_hit"


@dataclass(frozen=True)
class Tally:
    """What the indicator pass saw of the monthly rows of register customers.

    Attributes
    ----------
    start, end : date
        The first and last month of the window: the pass reads the rows of these months
        that have a ``customer_id``.
    rows : int
        Of those, the rows of customers in the register.
    hits : int
        Of those, the rows where :data:`FLAG` is set.
    duplicated : bool
        Some register customer has a month more than once among them.
    beyond : int
        The register customers with some of them before the month the account opened or
        after the month it closed.
    """

    start: dt.date
    end: dt.date
    rows: int
    hits: int
    duplicated: bool
    beyond: int


class Proof:
    """Which monthly rows the checks must still count a rule on, given a :class:`Tally`.

    ``per_month``: ``period``, ``n`` (rows) and ``nulls`` (rows without ``customer_id``)
    of each month; ``height``: the rows of the table.  ``outside``: rows the pass did
    not read (other months, no id, no readable month); ``unknown``: rows it read of
    customers not in the register.  Each method returns the frame to count on, or None
    when the pass proves that no row hits.  Nothing is proven unless the tally covers
    every row the pass read (``sound``): the rows of unknown customers are in no tally.
    """

    def __init__(self, tally: Tally, per_month: pl.DataFrame, height: int) -> None:
        self.tally = tally
        inside = per_month.filter(pl.col("period").is_between(tally.start, tally.end))
        read = int((inside["n"] - inside["nulls"]).sum())
        self.outside = height - read
        self.unknown = read - tally.rows
        # (a negative count would mean the tally is not of these rows)
        self.sound = self.unknown == 0 and self.outside >= 0

    def _outside_rows(self) -> nw.Expr:
        read = ((nw.col("period") >= nw.lit(self.tally.start))
                & (nw.col("period") <= nw.lit(self.tally.end))
                & ~nw.col("customer_id").is_null())
        return ~read.fill_null(False)

    def _rest(self, frame: nw.LazyFrame, proven: bool) -> nw.LazyFrame | None:
        if not (self.sound and proven):
            return frame
        return frame.filter(self._outside_rows()) if self.outside else None

    def rule_rows(self, typed: nw.LazyFrame) -> nw.LazyFrame | None:
        """The rows to count the flagged rules on."""
        return self._rest(typed, self.tally.hits == 0)

    def duplicate_rows(self, typed: nw.LazyFrame) -> nw.LazyFrame | None:
        """The rows to look for repeated ``(customer_id, period)`` in (a repeat is of one
        month, so repeats among the rows the pass read are all in its tally)."""
        return self._rest(typed, not self.tally.duplicated)

    def joined_rows(self, joined: nw.LazyFrame) -> nw.LazyFrame | None:
        """The rows (joined with the register) to count unknown customers and months
        outside the account on."""
        return self._rest(joined, self.tally.beyond == 0)
