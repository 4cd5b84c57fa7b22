"""The grading table contract: the one place that says what a grading is.

Every stage after the tiers reads gradings, and every stage before it writes part of one.
This module holds what they must agree on, and nothing else:

* the column names and prefixes of the grading table (``norm__``, ``dim__``, ``reason__``,
  ``score``, ``tier`` ...) and the register columns carried into it;
* the **tier-key rule**: a tier is an integer (0 = 特级, best) wherever it appears, in a
  column, an index or a dict key; a customer without a tier has ``<NA>`` in ``tier`` and its
  state in a separate ``status`` column, with the words of :data:`STATUSES`
  (``graded``, ``ungraded``, ``new``, ``departed``).  Where tiers and statuses share one
  axis (the rows and columns of a regrade's transition matrix) the key is the pair
  ``(status, tier)`` of :func:`state_index`: ``("graded", 0)`` … and ``("new", NaN)``;
  status words are never mixed into tier keys, and tiers become text only where JSON forces
  it (object keys);
* the default tier labels and quotas of the source article;
* the file layout of a saved grading.

Examples
--------
>>> tier_status(pd.array([0, None, 3], dtype="Int64")).tolist()
['graded', 'ungraded', 'graded']
>>> GRADES_FILE, norm_column("kwh"), dim_column("contribution")
('grades.parquet', 'norm__kwh', 'dim__contribution')
>>> [(r["status"], r["tier"]) for r in state_records(state_index([0, 1], [UNGRADED]))]
[('graded', 0), ('graded', 1), ('ungraded', None)]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final, Literal

import pandas as pd

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
    "SCHEME_FILE",
    "SHORT_HISTORY",
    "STATE_LEVELS",
    "STATUSES",
    "STATUS_LABELS",
    "SUMMARY_FILE",
    "UNGRADED",
    "UNGRADED_LABELS",
    "Status",
    "dim_column",
    "norm_column",
    "reason_column",
    "state_index",
    "state_records",
    "tier_label",
    "tier_status",
]

# -- columns -------------------------------------------------------------------------------
#: Register columns carried into every grading table (for strata, profiles and reports).
REGISTER_COLUMNS: Final = ("customer_class", "contract_kva", "voltage_kv", "industry",
                           "region", "opened", "closed", "importance")
#: Prefix of the normalised indicator columns (0..1, 1 = best).
NORM_PREFIX: Final = "norm__"
#: Prefix of the dimension score columns (0..100).
DIM_PREFIX: Final = "dim__"
#: Prefix of the columns that say why an indicator is missing.
REASON_PREFIX: Final = "reason__"
#: Scores (0–100) are compared at this many decimals when ranking and tiering: closer
#: scores tie, so that rank order and tier order agree under floating-point noise.
RANK_DECIMALS: Final = 9


def norm_column(indicator: str) -> str:
    """Name of the normalised column of ``indicator``."""
    return NORM_PREFIX + indicator


def dim_column(dimension: str) -> str:
    """Name of the score column of ``dimension``."""
    return DIM_PREFIX + dimension


def reason_column(indicator: str) -> str:
    """Name of the column saying why ``indicator`` is missing."""
    return REASON_PREFIX + indicator


# -- the tier-key rule -----------------------------------------------------------------------
Status = Literal["graded", "ungraded", "new", "departed"]
#: A customer with a tier, one in the register without a tier, one only in the current
#: grading of a comparison, one only in the previous grading.
GRADED: Final = "graded"
UNGRADED: Final = "ungraded"
NEW: Final = "new"
DEPARTED: Final = "departed"
STATUSES: Final = (GRADED, UNGRADED, NEW, DEPARTED)
#: ``reason`` of a register customer open fewer months of the window than the scheme's
#: ``eligibility.min_exposure_months``: it gets a provisional score and tier, outside the
#: quotas.  (A closed account's reason is :data:`DEPARTED`.)
SHORT_HISTORY: Final = "short_history"
#: (Chinese, English) display label of each status that has no tier.
UNGRADED_LABELS: Final = ("未评级", "ungraded")
STATUS_LABELS: Final = {UNGRADED: UNGRADED_LABELS, NEW: ("新增", "new"),
                        DEPARTED: ("退出", "departed"), GRADED: ("已评级", "graded")}

#: The article's quotas: 特级 10 %, 一级 30 %, 二级 50 %, 三级 10 % of the customer count.
DEFAULT_QUOTAS: Final[tuple[float, ...]] = (0.10, 0.30, 0.50, 0.10)
#: (Chinese, English) label of each tier, best first.
DEFAULT_LABELS: Final[tuple[tuple[str, str], ...]] = (
    ("特级客户", "special"),
    ("一级客户", "first"),
    ("二级客户", "second"),
    ("三级客户", "third"),
)


def tier_label(tier: int) -> tuple[str, str]:
    """(Chinese, English) default label of ``tier``, also beyond the article's four.

    Examples
    --------
    >>> tier_label(0), tier_label(5)
    (('特级客户', 'special'), ('第6级', 'tier 5'))
    """
    return DEFAULT_LABELS[tier] if tier < len(DEFAULT_LABELS) else (f"第{tier + 1}级",
                                                                     f"tier {tier}")


def tier_status(tier: pd.Series | pd.api.extensions.ExtensionArray) -> pd.Series:
    """The ``status`` of each row of a tier column: ``graded`` with a tier, else ``ungraded``."""
    tiers = pd.Series(tier)
    return pd.Series(pd.Categorical.from_codes(tiers.isna().to_numpy().astype("int8"),
                                               categories=pd.Index([GRADED, UNGRADED])),
                     index=tiers.index).astype("string")


#: Names of the two levels of a state key (a row or column of a transition matrix).
STATE_LEVELS: Final = ("status", "tier")


def state_index(tiers: Sequence[int], statuses: Sequence[str] = ()) -> pd.MultiIndex:
    """State keys ``(status, tier)``: one ``graded`` key per tier, then one per status.

    The ``tier`` level is an integer level (``int64``): the tier for ``graded`` keys,
    missing for the others (pandas' missing level value, shown as ``NaN``).  Selecting by
    status works on either axis, and ``frame.loc["graded"]`` of a frame on these keys is
    indexed by the integer tier alone.

    Parameters
    ----------
    tiers : sequence of int
        The tiers, best first (0 = 特级).
    statuses : sequence of str
        Status words (of :data:`STATUSES`, other than ``graded``) after the tiers.

    Examples
    --------
    >>> idx = state_index([0, 1], [UNGRADED, NEW])
    >>> idx.names, idx.levels[1].dtype
    (FrozenList(['status', 'tier']), dtype('int64'))
    >>> [(s, None if pd.isna(t) else int(t)) for s, t in idx]
    [('graded', 0), ('graded', 1), ('ungraded', None), ('new', None)]
    """
    bad = [s for s in statuses if s not in STATUSES or s == GRADED]
    if bad:
        raise ValueError(f"not a status without a tier: {bad[0]!r}")
    tiers = [int(t) for t in tiers]
    words = list(dict.fromkeys([GRADED, *statuses]))
    status_codes = [0] * len(tiers) + [words.index(s) for s in statuses]
    tier_codes = list(range(len(tiers))) + [-1] * len(statuses)
    # list[Any]: pandas-stubs does not accept an Index as a level (not a SequenceNotStr)
    levels: list[Any] = [pd.Index(words, dtype="string"), pd.Index(tiers, dtype="int64")]
    return pd.MultiIndex(levels=levels, codes=[status_codes, tier_codes],
                         names=list(STATE_LEVELS))


def state_records(index: pd.Index) -> list[dict[str, Any]]:
    """State keys as JSON objects ``{"status": ..., "tier": int or None}``.

    Examples
    --------
    >>> state_records(state_index([0], [NEW]))
    [{'status': 'graded', 'tier': 0}, {'status': 'new', 'tier': None}]
    """
    return [{"status": str(s), "tier": None if pd.isna(t) else int(t)} for s, t in index]


# -- the saved layout ------------------------------------------------------------------------
#: Files of a saved grading; the first three are required.
GRADES_FILE: Final = "grades.parquet"
SCHEME_FILE: Final = "scheme.json"
MANIFEST_FILE: Final = "manifest.json"
CHECKS_FILE: Final = "checks.json"
SUMMARY_FILE: Final = "summary.txt"
#: The fitted normalisation bounds (and TOPSIS reference) the scores were made with, one
#: record per indicator (``custvalue.scoring.bounds``); since schema version 3, optional.
BOUNDS_FILE: Final = "bounds.json"
GRADING_FILES: Final = (GRADES_FILE, SCHEME_FILE, MANIFEST_FILE, CHECKS_FILE, SUMMARY_FILE,
                        BOUNDS_FILE)
REQUIRED_FILES: Final = (GRADES_FILE, SCHEME_FILE, MANIFEST_FILE)
