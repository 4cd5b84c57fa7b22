"""The grading, at the ground floor: its table contract, the :class:`Grading` object, the
manifest, one result protocol and one converter.

Every stage after the tiers imports from here and from nowhere above it.  ``grade()`` — the
pipeline that *makes* a grading — lives one floor up, in :mod:`custvalue.pipeline`.

Examples
--------
>>> from custvalue.grading import GRADES_FILE, STATUSES
>>> GRADES_FILE, STATUSES
('grades.parquet', ('graded', 'ungraded', 'new', 'departed'))
"""

from __future__ import annotations

import warnings
from typing import Any

from custvalue.grading.contract import (
    BOUNDS_FILE,
    CHECKS_FILE,
    DEFAULT_LABELS,
    DEFAULT_QUOTAS,
    DEPARTED,
    DIM_PREFIX,
    GRADED,
    GRADES_FILE,
    GRADING_FILES,
    MANIFEST_FILE,
    NEW,
    NORM_PREFIX,
    RANK_DECIMALS,
    REASON_PREFIX,
    REGISTER_COLUMNS,
    SCHEME_FILE,
    SHORT_HISTORY,
    STATE_LEVELS,
    STATUS_LABELS,
    STATUSES,
    SUMMARY_FILE,
    UNGRADED,
    UNGRADED_LABELS,
    Status,
    state_index,
    state_records,
    tier_label,
    tier_status,
)
from custvalue.grading.convert import (
    GradingLike,
    as_grading,
    grading_scheme,
    grading_table,
    tier_labels,
    tier_levels,
)
from custvalue.grading.manifest import SCHEMA_VERSION, Fingerprint, Manifest, fingerprint
from custvalue.grading.protocol import Result, jsonable, write_atomic
from custvalue.grading.result import Grading

__all__ = [
    "BOUNDS_FILE",
    "CHECKS_FILE",
    "DEFAULT_LABELS",
    "DEFAULT_QUOTAS",
    "DEPARTED",
    "DIM_PREFIX",
    "GRADED",
    "GRADES_FILE",
    "GRADING_FILES",
    "MANIFEST_FILE",
    "NEW",
    "NORM_PREFIX",
    "RANK_DECIMALS",
    "REASON_PREFIX",
    "REGISTER_COLUMNS",
    "SCHEMA_VERSION",
    "SCHEME_FILE",
    "SHORT_HISTORY",
    "STATE_LEVELS",
    "STATUSES",
    "STATUS_LABELS",
    "SUMMARY_FILE",
    "UNGRADED",
    "UNGRADED_LABELS",
    "Fingerprint",
    "Grading",
    "GradingLike",
    "Manifest",
    "Result",
    "Status",
    "as_grading",
    "fingerprint",
    "grading_scheme",
    "grading_table",
    "jsonable",
    "state_index",
    "state_records",
    "tier_label",
    "tier_labels",
    "tier_levels",
    "tier_status",
    "write_atomic",
]


def __getattr__(name: str) -> Any:
    # `custvalue.grading.grade` was the pipeline's home before the grading got its floor.
    if name == "grade":
        warnings.warn("custvalue.grading.grade moved to custvalue.pipeline.grade "
                      "(also custvalue.grade)", DeprecationWarning, stacklevel=2)
        from custvalue.pipeline import grade

        return grade
    raise AttributeError(f"module 'custvalue.grading' has no attribute {name!r}")
