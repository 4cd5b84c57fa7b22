"""Cut scores: the score a customer needs to be in each tier, and the tier a score reaches.

The quota tiers are cut by rank, so the cut score of a tier is the lowest score of a
customer placed in it by its score.  :func:`cut_scores` reads them from a grading table;
:func:`tier_at` tells which tier a score reaches against given cut scores.  Improvement
plans (:mod:`custvalue.analysis.plans`) aim at a cut score; the regrade attribution
(:mod:`custvalue.regrade.compare`) places scores against the previous and the current cuts.

Examples
--------
>>> t = pd.DataFrame({"score": [90.0, 70.0, 60.0, 20.0], "tier": [0, 1, 1, 2]})
>>> cuts = cut_scores(t, 3)
>>> tier_at(np.array([95.0, 65.0, 59.0]), cuts).tolist()
[0, 1, 2]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from custvalue.grading import RANK_DECIMALS

__all__ = ["cut_scores", "tier_at"]


def cut_scores(table: pd.DataFrame, n_tiers: int) -> pd.DataFrame:
    """Cut score of each tier: the lowest score of a customer placed in it by its score.

    Pinned customers (``pinned`` true) are left out; with a ``stratum`` column the cuts are
    per stratum (one row per stratum, else one row ``"all"``).  A tier with no such customer
    takes the cut of the next better tier that has one (NaN if none).

    Returns
    -------
    pandas.DataFrame
        Index: stratum (``"all"`` without strata); columns ``0 .. n_tiers-1``.

    Examples
    --------
    >>> t = pd.DataFrame({"score": [90.0, 70.0, 60.0, 20.0], "tier": [0, 1, 1, 2],
    ...                   "graded": True})
    >>> cut_scores(t, 3).loc["all"].tolist()
    [90.0, 60.0, 20.0]
    """
    score = table["score"].to_numpy(dtype=float, na_value=np.nan)
    tier = table["tier"].to_numpy(dtype=float, na_value=np.nan)
    keep = ~np.isnan(score) & ~np.isnan(tier) & (tier < n_tiers)
    if "pinned" in table.columns:
        keep &= ~table["pinned"].fillna(False).to_numpy(dtype=bool)
    if "stratum" in table.columns:
        codes, strata = pd.factorize(table["stratum"].astype(str), sort=True)
        strata = pd.Index(strata, name="stratum")
    else:
        codes, strata = np.zeros(len(table), dtype=np.int64), pd.Index(["all"], name="stratum")
    lowest = np.full(len(strata) * n_tiers, np.inf)
    np.minimum.at(lowest, codes[keep] * n_tiers + tier[keep].astype(np.int64), score[keep])
    lowest[np.isinf(lowest)] = np.nan
    out = pd.DataFrame(lowest.reshape(len(strata), n_tiers), index=strata,
                       columns=range(n_tiers))
    return out.ffill(axis=1)


def tier_at(score: np.ndarray, cuts: pd.DataFrame, stratum: np.ndarray | None = None
            ) -> np.ndarray:
    """The best tier whose cut score ``score`` reaches (the worst tier when none).

    Scores and cuts are compared at :data:`~custvalue.grading.RANK_DECIMALS` decimals; a
    tier with no cut (NaN) is never reached.  ``stratum`` picks each score's row of
    ``cuts`` (default: the first row).  NaN scores give -1.

    Examples
    --------
    >>> cuts = pd.DataFrame([[80.0, 50.0, 0.0]], index=["all"], columns=range(3))
    >>> tier_at(np.array([80.0, 79.9, 10.0, np.nan]), cuts).tolist()
    [0, 1, 2, -1]
    """
    s = np.round(np.asarray(score, dtype=float), RANK_DECIMALS)
    table = cuts.to_numpy(dtype=float)
    rows = (np.zeros(s.size, dtype=np.intp) if stratum is None
            else cuts.index.get_indexer(pd.Index(np.asarray(stratum).astype(str))))
    c = np.round(table[np.clip(rows, 0, None)], RANK_DECIMALS)
    with np.errstate(invalid="ignore"):
        reach = s[:, None] >= c
    reach[:, -1] = True  # the worst tier takes every score
    out = np.argmax(reach, axis=1)
    return np.where(np.isnan(s) | (rows < 0), -1, out)

