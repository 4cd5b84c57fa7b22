"""The checks the indicator stage runs itself, folded into its pass over the monthly rows.

:func:`custvalue.indicators.compute_indicators` refuses duplicated register ids and, under
the policy ``error``, duplicated ``(customer_id, period)`` and negative monthly rows
(:class:`RowChecks`).  Run by :func:`custvalue.grade` beside the input checks, it raises
nothing and sums the input checks' flag instead (a
:class:`~custvalue.inputs.tally.Tally`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import narwhals as nw
import polars as pl

from custvalue.errors import DuplicateRowsError, NegativeEnergyError
from custvalue.indicators.params import IndicatorParams
from custvalue.indicators.window import Window, month_start
from custvalue.inputs.checks import CheckOptions
from custvalue.inputs.tally import FLAG, Tally

__all__ = ["RowChecks", "collect"]


def collect(frame: nw.LazyFrame) -> nw.DataFrame[Any]:
    """Run a query: a polars plan by the streaming engine (bounded memory: the in-memory
    engine loads every column the plan reads, 8 GB and more for 34M monthly rows), other
    backends as they run.

    Examples
    --------
    >>> import polars as pl
    >>> collect(nw.from_native(pl.LazyFrame({"a": [1, 2]})).select(nw.col("a").sum())).item()
    3
    """
    if frame.implementation.is_polars():
        return frame.collect(engine="streaming")
    return frame.collect()



def _fmt_month(p: Any) -> str:
    return f"{month_start(int(p)):%Y-%m}" if p is not None else "None"


class RowChecks:
    """Duplicated register ids; duplicated and negative monthly rows (policy ``error``).

    Rows counted: ``monthly`` rows inside the window of customers in the register (the
    rows the indicators would use).
    """

    def __init__(self, customers: nw.LazyFrame, raw_monthly: nw.LazyFrame,
                 params: IndicatorParams, window: Window, treat: CheckOptions,
                 tally: bool = False) -> None:
        self.customers = customers
        self.window = window
        # tally: the input checks run beside (grade); nothing is raised here, the sums
        # behind their proof (:class:`custvalue.inputs.tally.Tally`) are kept instead
        self.tally = tally
        # Duplicated months of a customer show as carries in a sum of 2**month: the sum's
        # count of one bits is below the row count.  Cheaper in memory than n_unique.
        self.bitmask = window.months <= 62
        self.raw = raw_monthly.join(customers.select("customer_id"), on="customer_id",
                                    how="semi")
        self.params = params
        self.columns: list[str] = ["_chk_hits", "_chk_rows", "_chk_beyond"] if tally else []
        if treat.duplicates == "error":
            self.columns.append("_chk_dup")
        if treat.negative_energy == "error" and not tally:
            self.columns.append("_chk_neg")

    def aggregations(self) -> list[nw.Expr]:
        """Per-customer check columns folded into the monthly aggregation."""
        out = []
        if self.tally:
            out += [nw.col(FLAG).sum().alias("_chk_hits"),
                    nw.col("_rows").sum().alias("_chk_rows")]
        if "_chk_dup" in self.columns:
            if self.bitmask:
                # An integer power: 0.2 s at 34M rows in polars, a float power 0.5 s.
                bit = nw.lit(2, dtype=nw.Int64) ** (nw.col("_p") - self.window.start_index)
                out.append(bit.cast(nw.Int64).sum().alias("_chk_dup"))
            else:
                out.append((nw.len() - nw.col("_p").n_unique()).alias("_chk_dup"))
        if "_chk_neg" in self.columns:
            out.append(nw.col("_neg").sum().alias("_chk_neg"))
        return out

    def customer_columns(self) -> list[nw.Expr]:
        """Per-customer check columns after the register is joined on (tally: customers
        with rows before the month the account opened or after the month it closed)."""
        if not self.tally:
            return []
        beyond = (nw.col("_p_min") < nw.col("_opened_p")) | (
            nw.col("_p_max") > nw.col("_closed_p"))
        return [beyond.fill_null(False).cast(nw.Int64).alias("_chk_beyond")]

    def _repeats(self, result: pl.DataFrame) -> pl.Series:
        """Per customer: a month more than once among its rows."""
        if "_chk_dup" not in self.columns:  # rows folded by the policy: more rows than months
            return result["_chk_rows"].fill_null(0) > result["months_observed"]
        found = result["_chk_dup"].fill_null(0)
        if self.bitmask:
            return found.bitwise_count_ones().cast(pl.Int64) < result["months_observed"]
        return found > 0

    def tally_of(self, result: pl.DataFrame) -> Tally:
        """The :class:`~custvalue.inputs.tally.Tally` of a result computed with ``tally``."""
        return Tally(start=self.window.start, end=self.window.end,
                     rows=int(result["_chk_rows"].fill_null(0).sum()),
                     hits=int(result["_chk_hits"].fill_null(0).sum()),
                     duplicated=bool(self._repeats(result).any()),
                     beyond=int(result["_chk_beyond"].sum()))

    def run_eager(self, result: pl.DataFrame) -> None:
        if self.tally:  # the input checks report instead
            return
        dup_ids = result["customer_id"].is_duplicated()
        if dup_ids.any():
            self._raise_register(int(dup_ids.sum()),
                                 result.filter(dup_ids)["customer_id"].unique().sort())
        if "_chk_dup" in self.columns and self._repeats(result).any():
            self._raise_duplicates()
        if "_chk_neg" in self.columns and (result["_chk_neg"].fill_null(0) > 0).any():
            self._raise_negative(int(result["_chk_neg"].fill_null(0).sum()))

    def run_lazy(self, collect_one: Callable[[nw.LazyFrame], dict[str, Any]]) -> None:
        """One aggregate query (one row) over the monthly rows, if a policy is ``error``.

        Duplicated register ids were checked before the plan was built
        (:func:`_lazy_window_and_register`).
        """
        if not self.columns:
            return
        keys = self.raw.group_by("customer_id", "_p").agg(
            nw.len().alias("n"), nw.col("_neg").sum().alias("neg"))
        row = collect_one(keys.select((nw.col("n") - 1).sum().alias("dups"),
                                      nw.col("neg").sum().alias("negs")))
        if "_chk_dup" in self.columns and (row.get("dups") or 0) > 0:
            self._raise_duplicates()
        if "_chk_neg" in self.columns and (row.get("negs") or 0) > 0:
            self._raise_negative(int(row["negs"]))

    def _examples(self, frame: nw.LazyFrame) -> list[dict[str, Any]]:
        rows = collect(frame.sort("customer_id", "_p").head(5).select(
            "customer_id", "_p", "active_kwh", "_billed_c")).rows(named=True)
        return [{"customer_id": r["customer_id"], "period": _fmt_month(r["_p"]),
                 "active_kwh": r["active_kwh"],
                 "billed_amount": None if r["_billed_c"] is None else r["_billed_c"] / 100}
                for r in rows]

    @staticmethod
    def _raise_register(count: int, ids: Any) -> None:
        raise DuplicateRowsError(
            "customers", "customer_id", "the register has duplicated customer_id values",
            [{"customer_id": i} for i in list(ids)[:5]],
            fix="keep one register row per customer", count=count)

    def _raise_duplicates(self) -> None:
        dup = self.raw.with_columns(_n=nw.len().over("customer_id", "_p")).filter(
            nw.col("_n") > 1)
        keys = dup.group_by("customer_id", "_p").agg(nw.len().alias("n"))
        count = collect(keys.select((nw.col("n") - 1).sum())).item()
        raise DuplicateRowsError(
            "monthly", "period", "more than one row for the same (customer_id, period)",
            self._examples(dup),
            fix="remove the duplicated rows, or pass the option duplicates='sum' to "
                "sum them or duplicates='last' to keep the last row in input order",
            count=count)

    def _raise_negative(self, count: int) -> None:
        raise NegativeEnergyError(
            "monthly", "active_kwh", "negative active energy",
            self._examples(self.raw.filter(nw.col("active_kwh") < 0)),
            fix="correct the rows, or pass the option negative_energy='allow' if "
                "they are corrections (they are then summed into their month)",
            count=count)
