r"""Robustness of the tiers under weight uncertainty: Monte-Carlo draws and one-at-a-time moves.

This module is long because the Monte-Carlo draws and the one-at-a-time moves share one
preparation step (arrays, strata, quotas) and one result class with its tables and reports, and
half of its lines are the formulas' docstrings.

The weights of a scheme come from expert judgments (AHP) or from the data (entropy,
CRITIC); either way they are uncertain.  :func:`tier_stability` asks how much the tiers
depend on them:

* **Monte Carlo.**  Each draw replaces every weight group of the scheme by a Dirichlet
  draw centred on it, level by level: the dimension weights :math:`v \sim
  \mathrm{Dir}(c\,v^0)`; inside each dimension, the weights of its secondary indicators
  :math:`u_d \sim \mathrm{Dir}(c\,u^0_d)` (three-level dimensions) and inside each secondary
  indicator the weights of its indicators :math:`w_g \sim \mathrm{Dir}(c\,w^0_g)`, or the
  indicator weights of a two-level dimension :math:`w_d \sim \mathrm{Dir}(c\,w^0_d)`, where
  :math:`c` is the ``concentration``; an indicator's weight inside its dimension is then
  :math:`u_g w_i` (:func:`custvalue.validation._common.draw_weights`, shared with
  :func:`~custvalue.validation.uncertainty`).  A weight :math:`p` of a group then has mean
  :math:`p` and standard deviation :math:`\sqrt{p(1-p)/(c+1)}` (about 0.05 for
  :math:`p = 0.3` at :math:`c = 100`).  Zero weights stay zero; a group with one positive
  weight keeps it at 1.  All customers are rescored per draw — with the scheme's missing
  value policies (re-spread, neutral, worst, ungraded) and aggregation exactly as the
  grading — and re-tiered as the grading was: ranked by score (ties by ``customer_id``
  ascending), cut by :func:`custvalue.tiers.tier_sizes`, with the scheme's tie rule, the
  grading's strata and its pins.  Per customer this gives the probability of each
  tier, the modal tier, and the 5–95 % interval of the rank.
* **One weight at a time.**  Each dimension weight, each secondary indicator's weight and
  each indicator weight (inside its parent) is moved alone by −25 %, −10 %, +10 % and +25 %
  (the other weights of its group rescaled so that the group still sums to 1); the table
  gives the share of customers whose tier changes (``level`` ``dimension``, ``secondary``
  or ``indicator``).  The only indicator of a secondary indicator cannot move (its row
  is empty): move the secondary indicator instead.

**One formula, one tier rule.**  This module only draws the weights and summarises.  The
scores of a chunk of ``K`` draws come from :func:`custvalue.scoring.aggregate_draws` (the
batched form of the scoring stage's aggregation: the same numbers as
:func:`custvalue.scoring.aggregate`, as matrix products) and the tiers from
:func:`custvalue.tiers.assign_tiers_batch` (the rule of :func:`~custvalue.tiers.assign_tiers`
and :func:`~custvalue.tiers.apply_pins` for K score vectors at once).  Scores are tiered at
the precision :func:`custvalue.grade` tiers them (``RANK_DECIMALS`` on the 0–100 scale), with
the scheme's tie rule, the grading's strata and its pins.  The loop over chunks only bounds
memory.

**Row order.**  Rows are sorted by ``customer_id`` first and the weight draws depend on the
seed only (never on the rows), so a seed gives the same per-customer results whatever the
order of the table's rows.

See ``docs/validation.md`` for how to read the results.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from custvalue.errors import InputError, SchemeError
from custvalue.grading import RANK_DECIMALS, Grading, GradingLike, Result, jsonable
from custvalue.tiers import assign_tiers_batch
from custvalue.validation._common import (
    check_grading,
    draw_weights,
    graded_frame,
    load_grading,
)

__all__ = [
    "BORDERLINE",
    "SENSITIVITY_STEPS",
    "TierStability",
    "rescore",
    "tier_stability",
    "write_reports",
]

#: A customer is *borderline* when the probability of its modal tier is below this.
BORDERLINE = 0.9
#: Relative moves of one weight in the one-at-a-time sensitivity table.
SENSITIVITY_STEPS: tuple[float, ...] = (-0.25, -0.10, 0.10, 0.25)
#: Draws per chunk are chosen so that ``draws × customers`` stays below this.
_CHUNK_CELLS = 2_000_000


# --------------------------------------------------------------------------- kernels


def _move_kernel(base: np.ndarray, j: int, step: float) -> np.ndarray | None:
    """``base`` with entry ``j`` times ``1 + step`` (capped at 1) and the others rescaled.

    None when the entry cannot move (it is the group's only positive weight).
    """
    others = base.sum() - base[j]
    if others <= 0:
        return None
    new = min(base[j] * (1.0 + step), 1.0)
    out = base * ((1.0 - new) / others)
    out[j] = new
    return out


# --------------------------------------------------------------------------- result


@dataclass(frozen=True, eq=False, repr=False)
class TierStability(Result):
    """The result of :func:`tier_stability` (see ``docs/validation.md`` to read it).

    Attributes
    ----------
    draws, seed : int
        Monte-Carlo draws and their seed.
    concentration : float
        Dirichlet concentration ``c`` (alpha = c × weights).
    quotas : tuple of float
        The tier quotas applied per draw.
    strata : str or None
        Register column within which the quotas were applied (``None``: all customers).
    n_customers : int
        Graded customers.
    customers : pandas.DataFrame
        Per customer (index ``customer_id``, sorted): ``score`` (the grading's), ``tier``
        (the grading's), ``base_score`` and ``base_tier`` (recomputed with the scheme's
        weights), ``p_tier0 .. p_tier{T-1}`` (share of draws in each tier; they sum to 1),
        ``modal_tier``, ``p_modal``, ``p_same`` (probability of the base tier),
        ``borderline`` (``p_modal < borderline``), ``rank`` (base rank, 1 = best),
        ``rank_lo``, ``rank_median``, ``rank_hi`` (5 %, 50 % and 95 % quantiles of the rank
        over the draws; observed ranks, inverted-CDF rule).
    sensitivity : pandas.DataFrame
        One row per weight (``level`` dimension/secondary/indicator, ``dimension``,
        ``name``, ``weight`` inside its parent) with the share of customers whose tier
        changes when that weight alone moves by each of :data:`SENSITIVITY_STEPS`
        (columns ``-25%`` ... ``+25%``; NaN when the weight cannot move), and ``max``.
    borderline : float
        The threshold on ``p_modal``.
    max_score_error : float
        Largest ``|base_score - score|`` (0–100 scale): how exactly the unperturbed weights
        reproduce the grading (expected below 1e-9).
    tier_mismatch : int
        Customers whose ``base_tier`` differs from the grading's ``tier`` (other quotas or
        strata than the grading's, or an edited table or scheme).
    notes : tuple of str
    """

    draws: int
    concentration: float
    seed: int
    quotas: tuple[float, ...]
    strata: str | None
    n_customers: int
    customers: pd.DataFrame = field(repr=False)
    sensitivity: pd.DataFrame = field(repr=False)
    borderline: float = BORDERLINE
    max_score_error: float = 0.0
    tier_mismatch: int = 0
    notes: tuple[str, ...] = ()

    @property
    def n_tiers(self) -> int:
        """Number of tiers."""
        return len(self.quotas)

    @property
    def borderline_share(self) -> float:
        """Share of customers flagged borderline."""
        return float(self.customers["borderline"].mean()) if len(self.customers) else math.nan

    @property
    def expected_change(self) -> float:
        """Expected share of customers whose tier differs from the base tier in a draw."""
        return float(1.0 - self.customers["p_same"].mean()) if len(self.customers) else math.nan

    def tier_summary(self) -> pd.DataFrame:
        """Per base tier: customers, mean probability of staying, borderline share.

        Also the mean probability of landing in each tier (``p_tier*``), i.e. the rows of a
        tier-to-tier transition matrix.
        """
        c = self.customers
        cols = [f"p_tier{t}" for t in range(self.n_tiers)]
        g = c.groupby("base_tier", sort=True)
        out = g[cols].mean()
        out.insert(0, "customers", g.size())
        out.insert(1, "p_same", g["p_same"].mean())
        out.insert(2, "borderline", g["borderline"].mean())
        out.index = out.index.astype(int).rename("tier")
        return out

    def to_dict(self) -> dict[str, Any]:
        """Summary figures and the sensitivity table as JSON-serialisable plain data."""
        ts = self.tier_summary()
        steps = [c for c in self.sensitivity.columns if c.endswith("%")]
        to = [f"p_tier{j}" for j in range(self.n_tiers)]
        return jsonable({
            "draws": self.draws, "concentration": self.concentration, "seed": self.seed,
            "quotas": list(self.quotas), "strata": self.strata,
            "n_customers": self.n_customers, "borderline_threshold": self.borderline,
            "borderline_share": self.borderline_share,
            "expected_change": self.expected_change,
            "max_score_error": self.max_score_error,
            "tier_mismatch": self.tier_mismatch,
            "tiers": [
                {"tier": int(cast(int, t)), "customers": int(r["customers"]), "p_same": r["p_same"],
                 "borderline": r["borderline"], "to": r[to].tolist()}
                for t, r in ts.iterrows()
            ],
            "sensitivity": self.sensitivity[["level", "dimension", "name", "weight",
                                             *steps, "max"]].to_dict(orient="records"),
            "notes": list(self.notes),
        })

    def to_frame(self) -> pd.DataFrame:
        """The per-tier summary (:meth:`tier_summary`); per customer: :attr:`customers`."""
        return self.tier_summary()

    def headline(self) -> str:
        """One line: draws, concentration, seed, customers."""
        return self._lines()[0]

    def _lines(self) -> list[str]:
        lines = [
            f"Tier stability: {self.draws:,} Dirichlet weight draws (concentration "
            f"{self.concentration:g}, seed {self.seed}) over {self.n_customers:,} graded "
            "customers" + (f", quotas within {self.strata}" if self.strata else ""),
            "",
            f"  borderline customers (modal tier < {self.borderline:.0%} of draws)  "
            f"{self.borderline_share:>7.1%}",
            f"  expected share changing tier in a draw             {self.expected_change:>7.1%}",
            f"  unperturbed weights reproduce the scores to        {self.max_score_error:.1e}",
            "",
            "  tier  customers  stays  borderline   → " + "".join(
                f"{f'tier {t}':>8}" for t in range(self.n_tiers)),
        ]
        for t, r in self.tier_summary().iterrows():
            lines.append(
                f"  {t:>4}  {int(r['customers']):>9,}  {r['p_same']:>5.1%}  "
                f"{r['borderline']:>10.1%}     " + "".join(
                    f"{r[f'p_tier{j}']:>8.1%}" for j in range(self.n_tiers)))
        steps = [c for c in self.sensitivity.columns if c.endswith("%")]
        lines += ["", "Share of customers changing tier when one weight moves alone "
                  "(siblings rescaled)",
                  f"  {'weight':<34}{'value':>7}" + "".join(f"{s:>8}" for s in steps)]
        tree = bool((self.sensitivity["level"] == "secondary").any())
        indent = {"dimension": "", "secondary": "  ", "indicator": "    " if tree else "  "}
        for _, r in self.sensitivity.iterrows():
            name = indent.get(r["level"], "  ") + str(r["name"])
            lines.append(f"  {name:<34}{r['weight']:>7.3f}" + "".join(
                f"{'—' if pd.isna(r[s]) else format(r[s], '.1%'):>8}" for s in steps))
        if self.notes:
            lines += ["", *(f"note: {n}" for n in self.notes)]
        return lines

    def to_text(self) -> str:
        """The figures, the per-tier summary and the sensitivity table as aligned text."""
        return "\n".join(self._lines())

    def __repr__(self) -> str:
        return (f"<TierStability {self.draws:,} draws, c={self.concentration:g}, "
                f"n={self.n_customers:,}: borderline {self.borderline_share:.1%}, "
                f"expected change {self.expected_change:.1%}>")

    def to_html(self) -> str:
        """The per-tier summary and the sensitivity table as HTML (the notebook display)."""
        esc = html.escape
        ts = self.tier_summary()
        head = "".join(f"<th>→ tier {t}</th>" for t in range(self.n_tiers))
        body = "".join(
            f"<tr><th>{t}</th><td>{int(r['customers']):,}</td><td>{r['p_same']:.1%}</td>"
            f"<td>{r['borderline']:.1%}</td>"
            + "".join(f"<td>{r[f'p_tier{j}']:.1%}</td>" for j in range(self.n_tiers))
            + "</tr>" for t, r in ts.iterrows())
        steps = [c for c in self.sensitivity.columns if c.endswith("%")]
        shead = "".join(f"<th>{esc(s)}</th>" for s in steps)
        sbody = "".join(
            f"<tr><td>{esc(r['level'])}</td><td>{esc(r['name'])}</td>"
            f"<td>{r['weight']:.3f}</td>" + "".join(
                f"<td>{'—' if pd.isna(r[s]) else format(r[s], '.1%')}</td>" for s in steps)
            + "</tr>" for _, r in self.sensitivity.iterrows())
        notes = "".join(f"<li>{esc(n)}</li>" for n in self.notes)
        return (f"<div><p><b>{esc(repr(self))}</b></p>"
                f"<table><tr><th>tier</th><th>customers</th><th>stays</th>"
                f"<th>borderline</th>{head}</tr>{body}</table>"
                f"<table><tr><th>level</th><th>weight</th><th>value</th>{shead}</tr>"
                f"{sbody}</table>" + (f"<ul>{notes}</ul>" if notes else "") + "</div>")


# --------------------------------------------------------------------------- front


def _arrays(grading: Grading) -> tuple[Any, pd.DataFrame, Any]:
    """Scoring arrays of the graded customers, their table rows and the scheme."""
    from custvalue.scoring import build_arrays

    table, scheme = check_grading(grading)
    if not hasattr(scheme, "weight_arrays"):
        raise SchemeError("", "tier_stability needs a custvalue.scoring.Scheme "
                          f"(got {type(scheme).__name__})")
    norm_cols = [f"norm__{i}" for i in scheme.indicator_names]
    missing = [c for c in norm_cols if c not in table.columns]
    if missing:
        raise InputError("grading", missing[0], f"the grading table has no columns {missing[:5]}",
                         fix="pass a Grading made by custvalue.grade")
    # all rows, sorted: the TOPSIS reference is fitted on every customer, as in grade()
    norm = table[norm_cols]
    if not pd.api.types.is_string_dtype(norm.index):
        norm = norm.set_axis(norm.index.astype(str))
    if not norm.index.is_monotonic_increasing:
        norm = norm.sort_index(kind="stable")
    arrays = build_arrays(norm, scheme)
    rows, _ = graded_frame(grading)
    keep = norm.index.get_indexer(rows.index)
    return arrays.rows(keep), rows, scheme


def _weight_matrix(
    given: Any, names: Sequence[str], base: np.ndarray, what: str
) -> np.ndarray:
    """``(K, len(names))`` weights from None, a mapping by name, or an array."""
    if given is None:
        return base[None, :].copy()
    if isinstance(given, Mapping):
        out = base.copy()
        for name, value in given.items():
            if name not in names:
                raise SchemeError(f"{what}.{name}", f"no such {what[:-1]} in the scheme")
            out[list(names).index(name)] = float(value)
        return out[None, :]
    arr = np.asarray(given, dtype=float)
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] != len(names):
        raise SchemeError(what, f"expected {len(names)} weights per row (got shape {arr.shape})")
    if not np.isfinite(arr).all() or (arr < 0).any():
        raise SchemeError(what, "weights must be finite and non-negative")
    return arr


def rescore(
    grading: GradingLike,
    dimension_weights: Mapping[str, float] | np.ndarray | None = None,
    indicator_weights: Mapping[str, float] | np.ndarray | None = None,
) -> pd.DataFrame:
    """Scores (0–100) of the graded customers under other weights, one column per weight set.

    The scheme's normalised values, missing-value policies and aggregation are kept; only
    the weights change.  With the scheme's own weights the scores equal the grading's.

    Parameters
    ----------
    grading : Grading, str or Path
        A grading or its saved folder (anything :func:`custvalue.grading.as_grading` reads;
        a bare table has no scheme): its table has the ``norm__*`` columns.
    dimension_weights : mapping of str to float, or array ``(D,)`` / ``(K, D)``, optional
        Dimension weights (a mapping replaces the named ones; rows need not sum to 1 —
        only ratios matter, as in the scoring).  Default: the scheme's.
    indicator_weights : mapping of str to float, or array ``(I,)`` / ``(K, I)``, optional
        Within-dimension indicator weights in :attr:`Scheme.indicator_names` order.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``customer_id`` (sorted), columns ``0 .. K-1``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from types import SimpleNamespace
    >>> from custvalue.scoring import Scheme
    >>> from custvalue.validation import rescore
    >>> scheme = Scheme.from_dict({"dimensions": {
    ...     "a": {"weight": 0.5, "indicators": {"x": {"weight": 1.0}}},
    ...     "b": {"weight": 0.5, "indicators": {"y": {"weight": 1.0}}}}})
    >>> table = pd.DataFrame({"norm__x": [1.0, 0.0], "norm__y": [0.0, np.nan],
    ...                       "score": [50.0, 0.0], "tier": [0, 1]}, index=["c1", "c2"])
    >>> rescore(SimpleNamespace(table=table, scheme=scheme), {"a": 0.8, "b": 0.2})
    ... # doctest: +NORMALIZE_WHITESPACE
                    0
    customer_id
    c1           80.0
    c2            0.0
    """
    from custvalue.scoring import aggregate_draws

    arrays, rows, scheme = _arrays(load_grading(grading))
    w0, _, v0 = scheme.weight_arrays()
    v = _weight_matrix(dimension_weights, scheme.dimension_names, v0, "dimensions")
    w = _weight_matrix(indicator_weights, scheme.indicator_names, w0, "indicators")
    k = max(v.shape[0], w.shape[0])
    v = np.broadcast_to(v, (k, v.shape[1]))
    w = np.broadcast_to(w, (k, w.shape[1]))
    score = aggregate_draws(arrays, w, v) * 100.0
    return pd.DataFrame(score.T, index=rows.index.rename("customer_id"),
                        columns=pd.RangeIndex(k))


@dataclass(frozen=True)
class _Retier:
    """The grading's tier rule for ``(K, N)`` unit scores of its graded customers.

    ``by`` holds the strata of the graded customers (then of ``extra`` customers), ``pins``
    their pinned tiers (-1 = none); ``extra`` customers are pinned but ungraded: they take
    seats when pins count against the quota, so they enter every tiering without a score.
    """

    quotas: tuple[float, ...]
    ties: str
    by: np.ndarray | None
    pins: np.ndarray | None
    count_pins: bool
    extra: int

    @classmethod
    def of(cls, grading: Grading, ids: pd.Index, quotas: tuple[float, ...], strata: str | None,
           ties: str) -> _Retier:
        table = grading.table
        options = _options(grading)
        pins = extra_ids = None
        if "pinned" in table.columns and table["pinned"].fillna(False).astype(bool).any():
            pinned = table["pinned"].fillna(False).astype(bool)
            pinned.index = pinned.index.astype(str)
            tier = table["tier"].set_axis(pinned.index)
            extra_ids = pinned.index[pinned.to_numpy() & ~pinned.index.isin(ids)]
            all_ids = ids.append(extra_ids)
            pins = (tier.where(pinned).reindex(all_ids).fillna(-1)
                    .to_numpy(dtype=np.int64))
        all_ids = ids if extra_ids is None else ids.append(extra_ids)
        by = None
        if strata is not None:
            if strata not in table.columns:
                raise InputError("grading", strata, f"no strata column {strata!r} in the table")
            column = table[strata].set_axis(table.index.astype(str))
            by = column.reindex(all_ids).astype(object).fillna("").to_numpy()
        return cls(quotas=quotas, ties=str(ties), by=by, pins=pins,
                   count_pins=bool(options.get("pins_count_against_quota", True)),
                   extra=0 if extra_ids is None else len(extra_ids))

    def __call__(self, score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Rank and tier ``(K, N)`` of unit scores ``(K, N)`` (rank -1 / tier -1: none)."""
        # tiered at the precision grade() tiers at: the 0-100 score at RANK_DECIMALS
        points = np.round(score * 100.0, RANK_DECIMALS)
        if self.extra:
            points = np.hstack([points, np.full((points.shape[0], self.extra), np.nan)])
        out = assign_tiers_batch(points, self.quotas, ties=self.ties,  # type: ignore[arg-type]
                                 by=self.by, pins=self.pins,
                                 count_against_quota=self.count_pins)
        n = score.shape[1]
        return out.rank[:, :n], out.tier[:, :n]


def _options(grading: Grading) -> Mapping[str, Any]:
    """The run options recorded in the grading's manifest."""
    return grading.manifest.options


def _strata(grading: Grading, strata: str | None) -> str | None:
    if strata is not None:
        return strata
    return _options(grading).get("strata")


def tier_stability(
    grading: GradingLike,
    draws: int = 1000,
    concentration: float = 100.0,
    seed: int = 0,
    quotas: Sequence[float] | None = None,
    *,
    strata: str | None = None,
    borderline: float = BORDERLINE,
    steps: Sequence[float] = SENSITIVITY_STEPS,
) -> TierStability:
    r"""How stable is each customer's tier when the weights are uncertain?

    Draws ``draws`` weight sets around the scheme's (dimension weights
    :math:`\sim \mathrm{Dir}(c\,v^0)`, each dimension's indicator weights
    :math:`\sim \mathrm{Dir}(c\,w^0_d)`, ``c = concentration``), rescores every graded
    customer under each draw with the scheme's missing-value policies and aggregation, and
    re-tiers them (rank by score, ties by ``customer_id``; sizes by
    :func:`custvalue.tiers.tier_sizes`; within ``strata`` groups when the grading used
    them).  Then moves each weight alone by ``steps`` and counts tier changes.

    Parameters
    ----------
    grading : Grading, str or Path
        A grading or its saved folder (anything :func:`custvalue.grading.as_grading` reads;
        a bare table has no scheme): its table has ``norm__*``, ``score``, ``tier`` and
        ``graded``, indexed by ``customer_id``.
    draws : int, default 1000
        Monte-Carlo draws.
    concentration : float, default 100
        Dirichlet concentration: larger is tighter around the scheme's weights (weight
        ``p`` has standard deviation ``sqrt(p (1 - p) / (c + 1))``).
    seed : int, default 0
        Seed of the draws; they do not depend on the rows, so the per-customer results do
        not depend on the row order.
    quotas : sequence of float, optional
        Tier quotas (default: the scheme's).
    strata : str, optional
        Register column to apply the quotas within (default: the grading manifest's
        ``strata`` option, if any).
    borderline : float, default 0.9
        A customer whose modal tier has a probability below this is *borderline*.
    steps : sequence of float, default (-0.25, -0.10, 0.10, 0.25)
        Relative moves of one weight for the sensitivity table.

    Returns
    -------
    TierStability

    Raises
    ------
    InputError
        Not a grading, missing columns, no graded customer, unknown strata column.
    SchemeError
        Bad ``draws``, ``concentration``, ``quotas``, ``borderline`` or ``steps``.

    Notes
    -----
    Every draw is tiered as :func:`custvalue.grade` tiered the grading: scores at
    ``RANK_DECIMALS`` on the 0–100 scale, the scheme's tie rule (``together`` included),
    the strata, and the grading's pins (its ``pinned`` column; pinned customers keep their
    tier, and take seats unless the manifest says ``pins_count_against_quota=False``), all
    by :func:`custvalue.tiers.assign_tiers_batch`.  ``tier_mismatch`` counts the customers
    whose grading tier differs all the same.  Memory: the ranks of all draws are kept
    (``draws × customers`` 4-byte integers, 400 MB for 1,000 × 100,000) for the rank
    intervals.

    Examples
    --------
    Two dimensions of one indicator each; customer c2 sits exactly on the cut between two
    tiers, c1 and c4 are far from any cut:

    >>> import numpy as np, pandas as pd
    >>> from types import SimpleNamespace
    >>> from custvalue.scoring import Scheme
    >>> from custvalue.validation import tier_stability
    >>> scheme = Scheme.from_dict({"tiers": {"quotas": [0.5, 0.5], "labels_zh": ["甲", "乙"],
    ...     "labels_en": ["A", "B"]}, "dimensions": {
    ...     "a": {"weight": 0.5, "indicators": {"x": {"weight": 1.0}}},
    ...     "b": {"weight": 0.5, "indicators": {"y": {"weight": 1.0}}}}})
    >>> x = np.array([1.0, 0.8, 0.2, 0.0]); y = np.array([1.0, 0.2, 0.8, 0.0])
    >>> table = pd.DataFrame({"norm__x": x, "norm__y": y, "score": 50 * (x + y),
    ...                       "tier": [0, 0, 1, 1], "graded": True},
    ...                      index=["c1", "c2", "c3", "c4"])
    >>> st = tier_stability(SimpleNamespace(table=table, scheme=scheme), draws=200)
    >>> st.customers[["p_tier0", "p_tier1", "borderline"]].round(2)
    ... # doctest: +NORMALIZE_WHITESPACE
                 p_tier0  p_tier1  borderline
    customer_id
    c1              1.00     0.00       False
    c2              0.56     0.44        True
    c3              0.44     0.56        True
    c4              0.00     1.00       False

    c2 and c3 tie under the scheme's weights (score 50); a draw that favours ``x`` puts c2
    in the better tier, one that favours ``y`` puts c3 there.
    >>> st.max_score_error < 1e-9
    True
    """
    if isinstance(draws, bool) or not isinstance(draws, int | np.integer) or draws < 1:
        raise SchemeError("stability.draws", f"draws must be a positive integer (got {draws!r})")
    if not (isinstance(concentration, int | float) and math.isfinite(concentration)
            and concentration > 0):
        raise SchemeError("stability.concentration",
                          f"concentration must be a positive number (got {concentration!r})")
    if not 0.0 < borderline <= 1.0:
        raise SchemeError("stability.borderline", f"borderline must be in (0, 1] (got "
                          f"{borderline!r})")
    steps = tuple(float(s) for s in steps)
    if any(not math.isfinite(s) or s <= -1.0 for s in steps):
        raise SchemeError("stability.steps", f"steps must be finite and > -1 (got {steps})")

    from custvalue.scoring import aggregate_draws, batch_inputs
    from custvalue.tiers import tier_sizes

    g = load_grading(grading)
    arrays, rows, scheme = _arrays(g)
    n = len(rows)
    if n == 0:
        raise InputError("grading", "graded", "no graded customer to re-tier")
    quotas = tuple(float(q) for q in (scheme.tiers.quotas if quotas is None else quotas))
    n_tiers = len(quotas)
    tier_sizes(n, quotas)  # validates the quotas (SchemeError)
    strata = _strata(g, strata)
    retier = _Retier.of(g, rows.index, quotas, strata, scheme.tiers.ties)

    prep = batch_inputs(arrays)
    w0, _, v0 = scheme.weight_arrays()

    # base: the scheme's weights
    base_score = aggregate_draws(prep, w0[None, :], v0[None, :])
    base_rank, base_tier = (a[0] for a in retier(base_score))
    base_score = base_score[0] * 100.0
    grading_score = rows["score"].to_numpy(dtype=float)
    err = np.abs(base_score - grading_score)
    max_err = float(np.nanmax(err)) if err.size else 0.0
    if np.isnan(base_score).any():
        max_err = math.inf
    grading_tier = rows["tier"].to_numpy(dtype=np.int64)

    # Monte-Carlo weight draws: dimensions, then each dimension's secondary indicators, then
    # the indicators of each (a two-level dimension: its indicators, as before)
    rng = np.random.default_rng(seed)
    tree = scheme.weight_tree()
    w_draws, v_draws, _ = draw_weights(tree, rng, concentration, draws)

    counts = np.zeros((n, n_tiers), dtype=np.int64)
    rank_dtype = np.uint16 if n < 2**16 else np.uint32
    ranks = np.empty((n, draws), dtype=rank_dtype)
    chunk = max(1, _CHUNK_CELLS // max(n, 1))
    cust = np.arange(n)
    for s in range(0, draws, chunk):
        e = min(s + chunk, draws)
        rank, tier = retier(aggregate_draws(prep, w_draws[s:e], v_draws[s:e]))
        cell = cust[None, :] * n_tiers + tier
        if (tier < 0).any():  # a customer left without a score by a draw: not counted
            cell = cell[tier >= 0]
        counts += np.bincount(cell.ravel(), minlength=n * n_tiers).reshape(n, n_tiers)
        ranks[:, s:e] = rank.T

    rank_q = np.empty((n, 3))
    for s in range(0, n, 8192):
        rank_q[s:s + 8192] = np.quantile(ranks[s:s + 8192], [0.05, 0.5, 0.95], axis=1,
                                         method="inverted_cdf").T
    del ranks

    # one weight at a time: a dimension, a secondary indicator or an indicator inside its
    # parent (an indicator of a two-level dimension is its own implicit group)
    u0, l0 = tree.group_weights, tree.indicator_weights
    labels, sets_w, sets_v = [], [], []
    for d, dname in enumerate(scheme.dimension_names):
        for step in steps:
            moved = _move_kernel(v0, d, step)
            labels.append(("dimension", dname, dname, step, moved is not None))
            sets_v.append(v0 if moved is None else moved)
            sets_w.append(w0)

    def move_group(k: int, step: float) -> tuple[np.ndarray, bool]:
        idx = np.flatnonzero(tree.group_dim == tree.group_dim[k])
        moved = _move_kernel(u0[idx], int(np.flatnonzero(idx == k)[0]), step)
        u = u0.copy()
        if moved is not None:
            u[idx] = moved
        return tree.effective(u, l0), moved is not None

    for gi in np.flatnonzero(tree.explicit).tolist():
        for step in steps:
            w, ok = move_group(gi, step)
            labels.append(("secondary", tree.dimensions[tree.group_dim[gi]], tree.groups[gi],
                           step, ok))
            sets_w.append(w)
            sets_v.append(v0)
    for i, (dname, iname, _) in enumerate(scheme.iter_indicators()):
        k = int(tree.group_of[i])
        for step in steps:
            if not tree.explicit[k]:
                w, ok = move_group(k, step)
            else:
                idx = np.flatnonzero(tree.group_of == k)
                moved = _move_kernel(l0[idx], int(np.flatnonzero(idx == i)[0]), step)
                local = l0.copy()
                if moved is not None:
                    local[idx] = moved
                w, ok = tree.effective(u0, local), moved is not None
            labels.append(("indicator", dname, iname, step, ok))
            sets_w.append(w)
            sets_v.append(v0)
    changed = np.empty(len(labels))
    sw, sv = np.asarray(sets_w), np.asarray(sets_v)
    for s in range(0, len(labels), chunk):
        _, tier = retier(aggregate_draws(prep, sw[s:s + chunk], sv[s:s + chunk]))
        changed[s:s + chunk] = (tier != base_tier[None, :]).mean(axis=1)
    step_names = [f"{s:+.0%}" for s in steps]
    sens_rows: dict[tuple[str, str, str], dict[str, Any]] = {}
    for (level, dname, name, step, ok), share in zip(labels, changed, strict=True):
        weight = (v0[scheme.dimension_names.index(name)] if level == "dimension" else
                  u0[tree.groups.index(name)] if level == "secondary" else
                  scheme.indicator(name).weight)
        row = sens_rows.setdefault((level, dname, name), {
            "level": level, "dimension": dname, "name": name, "weight": float(weight)})
        row[f"{step:+.0%}"] = share if ok else math.nan
    sensitivity = pd.DataFrame(list(sens_rows.values()),
                               columns=["level", "dimension", "name", "weight", *step_names])
    sensitivity["max"] = sensitivity[step_names].max(axis=1, skipna=True)

    # per customer
    p = counts / float(draws)
    modal = p.argmax(axis=1)
    p_modal = p[cust, modal]
    out = pd.DataFrame({
        "score": grading_score,
        "tier": pd.array(grading_tier, dtype="Int64"),
        "base_score": base_score,
        "base_tier": base_tier,
    }, index=rows.index.rename("customer_id"))
    for t in range(n_tiers):
        out[f"p_tier{t}"] = p[:, t]
    out["modal_tier"] = modal
    out["p_modal"] = p_modal
    out["p_same"] = p[cust, base_tier]
    out["borderline"] = p_modal < borderline
    out["rank"] = base_rank
    out["rank_lo"] = rank_q[:, 0].astype(np.int64)
    out["rank_median"] = rank_q[:, 1].astype(np.int64)
    out["rank_hi"] = rank_q[:, 2].astype(np.int64)

    mismatch = int((base_tier != grading_tier).sum())
    notes = []
    if max_err > 1e-6:
        notes.append(f"the scheme's weights reproduce the grading's scores only to "
                     f"{max_err:.3g} points: was the table or the scheme changed?")
    if mismatch:
        notes.append(f"{mismatch:,} customers have a grading tier other than the scheme's "
                     "weights give (other quotas or strata, or an edited table): p_same "
                     "refers to base_tier")
    return TierStability(
        draws=int(draws), concentration=float(concentration), seed=int(seed), quotas=quotas,
        strata=strata, n_customers=n, customers=out, sensitivity=sensitivity,
        borderline=float(borderline), max_score_error=max_err, tier_mismatch=mismatch,
        notes=tuple(notes),
    )


def write_reports(
    grading: GradingLike,
    folder: str | Path,
    *,
    validation: Any = None,
    stability: TierStability | None = None,
    **options: Any,
) -> dict[str, Path]:
    """Validate a grading; write ``validation.json``/``.txt``, ``stability``/``clusters.parquet``.

    Parameters
    ----------
    grading : Grading, str or Path
        The grading or its saved folder (see :func:`custvalue.grading.as_grading`).
    folder : str or Path
        Where to write (created if needed); typically the folder of a saved grading.
    validation : TierValidation, optional
        A result of :func:`validate_tiers` (computed with the defaults if not given).
    stability : TierStability, optional
        A result of :func:`tier_stability` (computed with the defaults if not given).
    **options
        Passed on when computing: ``method``, ``k``, ``features``, ``k_range``,
        ``sample_size``, ``impute`` to :func:`validate_tiers`; ``draws``, ``concentration``,
        ``quotas``, ``strata``, ``borderline``, ``steps`` to :func:`tier_stability`;
        ``seed`` to both.

    Returns
    -------
    dict of str to Path
        ``{"json": ..., "text": ..., "parquet": ..., "clusters": ...}``; the JSON and text
        files end with the verdicts against the scheme's ``gates`` (:func:`verdicts`); the two
        Parquet
        files have one row per customer of the grading table (tier probabilities; cluster,
        suggested tier and centroid distances), ungraded customers with empty figures,
        ``graded`` and ``reason``.

    Examples
    --------
    >>> import tempfile, numpy as np, pandas as pd
    >>> from types import SimpleNamespace
    >>> from custvalue.scoring import Scheme
    >>> from custvalue.validation import write_reports
    >>> scheme = Scheme.from_dict({"dimensions": {
    ...     "a": {"weight": 0.5, "indicators": {"x": {"weight": 1.0}}},
    ...     "b": {"weight": 0.5, "indicators": {"y": {"weight": 1.0}}}}})
    >>> rng = np.random.default_rng(0)
    >>> x, y = rng.random(40), rng.random(40)
    >>> score = 50 * (x + y)
    >>> tier = np.searchsorted([0.1, 0.4, 0.9], (-score).argsort().argsort() / 40,
    ...                        side="right")
    >>> table = pd.DataFrame({"norm__x": x, "norm__y": y, "score": score, "tier": tier,
    ...                       "graded": True}, index=[f"c{i:02d}" for i in range(40)])
    >>> with tempfile.TemporaryDirectory() as d:
    ...     paths = write_reports(SimpleNamespace(table=table, scheme=scheme), d, draws=50)
    ...     sorted(p.name for p in paths.values())
    ['clusters.parquet', 'stability.parquet', 'validation.json', 'validation.txt']
    """
    import json

    from custvalue.validation.clustering import validate_tiers
    from custvalue.validation.gates import verdicts

    v_keys = {"method", "k", "features", "k_range", "sample_size", "impute", "seed"}
    s_keys = {"draws", "concentration", "quotas", "strata", "borderline", "steps", "seed"}
    unknown = set(options) - v_keys - s_keys
    if unknown:
        raise TypeError(f"write_reports() got unknown options {sorted(unknown)}")
    g = load_grading(grading)
    if validation is None:
        validation = validate_tiers(g, **{k: v for k, v in options.items()
                                                if k in v_keys})
    if stability is None:
        stability = tier_stability(g, **{k: v for k, v in options.items()
                                               if k in s_keys})
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"json": out / "validation.json", "text": out / "validation.txt",
             "parquet": out / "stability.parquet", "clusters": out / "clusters.parquet"}
    judged = verdicts(validation, stability, getattr(grading, "scheme", None))
    data = {"clustering": validation.to_dict(), "stability": stability.to_dict(),
            "verdicts": judged.to_dict()}
    paths["json"].write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n",
                             encoding="utf-8")
    paths["text"].write_text(f"{validation}\n\n{stability}\n\n{judged}\n",
                             encoding="utf-8")
    # Per-customer files list every customer of the grading once: the ungraded ones with
    # empty figures and the grading's reason, so that nobody silently drops out.
    for key, frame in (("parquet", stability.customers), ("clusters", validation.customers)):
        _every_customer(g.table, frame).to_parquet(paths[key], index=False,
                                                         compression="zstd")
    return paths


def _every_customer(table: pd.DataFrame, per_customer: pd.DataFrame) -> pd.DataFrame:
    """``per_customer`` (graded customers) reindexed to all rows of the grading table."""
    out = per_customer.reindex(table.index.sort_values())
    out.index.name = "customer_id"
    out.insert(0, "graded", table["graded"].reindex(out.index).astype(bool).to_numpy())
    if "reason" in table.columns:
        out["reason"] = table["reason"].reindex(out.index).to_numpy()
    return out.reset_index()
