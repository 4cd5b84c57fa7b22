"""Tiers: exact quota tiers (largest remainder), strata, pins and ABC classes.

Pure functions on one-row-per-customer data indexed by ``customer_id``; see
``docs/tiers.md``.

* :func:`tier_sizes` -- exact tier sizes for N customers (largest remainder).
* :func:`assign_tiers` -- rank on the score and fill the tiers, per group if asked.
* :func:`assign_tiers_batch` -- the same rule (ties, groups, pins) for K score vectors at
  once, as arrays (Monte-Carlo robustness).
* :func:`tier_report` -- target against actual count per tier (and group).
* :func:`cut_scores`, :func:`tier_at` -- the score each tier needs, and the tier a score
  reaches.
* :func:`apply_pins` -- tiers with some customers pinned to a tier, with an audit trail.
* :func:`abc_by_count`, :func:`abc_by_value` -- ABC classes by count quota or by Pareto
  share of value.
"""

from custvalue.tiers.abc import (
    DEFAULT_ABC_CUTS,
    DEFAULT_ABC_QUOTAS,
    abc_by_count,
    abc_by_value,
)
from custvalue.tiers.cuts import cut_scores, tier_at
from custvalue.tiers.pins import apply_pins
from custvalue.tiers.quotas import (
    DEFAULT_LABELS,
    DEFAULT_QUOTAS,
    QUOTA_TOLERANCE,
    TierBatch,
    TiesRule,
    assign_tiers,
    assign_tiers_batch,
    tier_report,
    tier_sizes,
)

__all__ = [
    "DEFAULT_ABC_CUTS",
    "DEFAULT_ABC_QUOTAS",
    "DEFAULT_LABELS",
    "DEFAULT_QUOTAS",
    "QUOTA_TOLERANCE",
    "TierBatch",
    "TiesRule",
    "abc_by_count",
    "abc_by_value",
    "apply_pins",
    "assign_tiers",
    "assign_tiers_batch",
    "cut_scores",
    "tier_at",
    "tier_report",
    "tier_sizes",
]
