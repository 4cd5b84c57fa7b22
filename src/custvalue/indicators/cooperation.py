"""Cooperation indicators: ``policy_rate``, ``work_cooperation``, ``suggestions_per_year``.

From the ``cooperation`` table, rows dated inside the window:

* ``policy_rate = min(n(policy_implemented) / n(policy_requested), 1)``; missing
  (``no_policy_requests``) when nothing was requested;
* ``work_cooperation`` = mean ``score`` of the ``work_cooperation`` rows that have one;
  missing (``no_cooperation_scores``) when there is none;
* ``suggestions_per_year = n(suggestion) × 12 / exposure_months``; missing
  (``no_exposure``) when the account was not open in the window.

Without a cooperation table all three are missing with ``no_cooperation_table``.

Examples
--------
>>> import polars as pl, narwhals as nw
>>> from custvalue.indicators.cooperation import cooperation_aggregation
>>> rows = nw.from_native(pl.LazyFrame({"customer_id": ["C1", "C1", "C1"],
...     "kind": ["policy_requested", "policy_implemented", "work_cooperation"],
...     "_score": [None, None, 4_000_000]}))
>>> cooperation_aggregation(rows).collect().rows()
[('C1', 1, 1, 4000000, 1, 0)]
"""

from __future__ import annotations

import narwhals as nw

from custvalue.indicators.context import Context, Indicator, flag, ratio
from custvalue.indicators.contribution import per_year
from custvalue.indicators.prepare import SCALE_FINE

__all__ = ["COOPERATION_COLUMNS", "cooperation_aggregation", "indicators"]

#: Columns of :func:`cooperation_aggregation` (0 for customers without records).
COOPERATION_COLUMNS = ("_requested", "_implemented", "_score_sum", "_score_n", "_suggestions")


def cooperation_aggregation(cooperation: nw.LazyFrame) -> nw.LazyFrame:
    """Per customer: requests, implementations, score sum and count, suggestions."""
    kind = nw.col("kind")
    scored = (kind == "work_cooperation") & ~nw.col("_score").is_null()
    return cooperation.group_by("customer_id").agg(
        flag(kind == "policy_requested").sum().alias("_requested"),
        flag(kind == "policy_implemented").sum().alias("_implemented"),
        nw.when(scored).then(nw.col("_score")).otherwise(0).sum().alias("_score_sum"),
        flag(scored).sum().alias("_score_n"),
        flag(kind == "suggestion").sum().alias("_suggestions"),
    )


def indicators(ctx: Context) -> list[Indicator]:
    """The cooperation indicators on the per-customer frame."""
    names = ("policy_rate", "work_cooperation", "suggestions_per_year")
    if "cooperation" not in ctx.given:
        return [Indicator(n, None, [(True, "no_cooperation_table")]) for n in names]
    rate = ratio(nw.col("_implemented"), nw.col("_requested"))
    return [
        Indicator("policy_rate", nw.min_horizontal(rate, nw.lit(1.0)),
                  [(nw.col("_requested") == 0, "no_policy_requests")]),
        Indicator("work_cooperation",
                  ratio(nw.col("_score_sum"), nw.col("_score_n") * SCALE_FINE),
                  [(nw.col("_score_n") == 0, "no_cooperation_scores")]),
        Indicator("suggestions_per_year", per_year("_suggestions"),
                  [(nw.col("_exposure") <= 0, "no_exposure")]),
    ]
