"""Compare two gradings: transitions, movers and their drivers, rank correlation.

The article behind custvalue (seed 001, 篇8) updates, adjusts and checks the grading every
three years (以三年为节点对各类客户等级进行更新、调整和检验).  A regrade is a new grading
of the same customer base over a later window; this module tells what changed:

* :func:`compare` -- the transition matrix between the two gradings' tiers (with rows and
  columns for customers that are new, departed or ungraded; keyed by ``(status, tier)``, see
  the tier-key rule in ``docs/tiers.md``), the customers who moved up or
  down a tier and the two indicators that drove each move, and the rank correlation of the
  scores of the customers graded both times.

See ``docs/regrade.md``.

This module is long because the comparison result, the transition kernels and the honest
attribution of each move (data, scheme, cut shift) are one computation.
"""

from __future__ import annotations

import html
import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from custvalue.grading import (
    DEPARTED,
    GRADED,
    NEW,
    NORM_PREFIX,
    UNGRADED,
    GradingLike,
    Result,
    grading_scheme,
    grading_table,
    jsonable,
    state_index,
    state_records,
    tier_labels,
    tier_levels,
    write_atomic,
)
from custvalue.regrade._common import source_label
from custvalue.tiers.cuts import tier_at

__all__ = ["CAUSES", "Comparison", "attribute_moves", "compare", "counterfactual"]

#: Number of drivers reported per mover.
N_DRIVERS = 2


# --------------------------------------------------------------------------- kernels


def _transition_kernel(prev: np.ndarray, cur: np.ndarray, n_rows: int, n_cols: int) -> np.ndarray:
    """Count matrix of (row code, column code) pairs."""
    flat = np.bincount(prev * n_cols + cur, minlength=n_rows * n_cols)
    return flat.reshape(n_rows, n_cols)


def _drivers_kernel(delta: np.ndarray, sign: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Column positions and values of the ``k`` largest changes in the direction ``sign``.

    ``delta`` is (movers, indicators) with no NaN; ``sign`` is +1 for an upgrade and -1
    for a downgrade.  Position -1 where fewer than ``k`` indicators moved that way.  Equal
    changes keep the column order (stable sort).
    """
    if delta.shape[1] < k:  # fewer indicators than drivers: pad with "no change"
        delta = np.pad(delta, ((0, 0), (0, k - delta.shape[1])))
    signed = delta * sign[:, None]
    order = np.argsort(-signed, axis=1, kind="stable")[:, :k]
    value = np.take_along_axis(delta, order, axis=1)
    moved = np.take_along_axis(signed, order, axis=1) > 0
    return np.where(moved, order, -1), np.where(moved, value, np.nan)


# --------------------------------------------------------------------------- drivers


def _source_scheme(source: GradingLike) -> Any:
    """The scheme of a ``Grading`` or of a saved grading folder (``scheme.json``), else None."""
    scheme = grading_scheme(source)
    return scheme if hasattr(scheme, "indicator_names") else None


def _norm_names(table: pd.DataFrame) -> list[str]:
    return [c[len(NORM_PREFIX):] for c in table.columns if c.startswith(NORM_PREFIX)]


def _contributions(
    table: pd.DataFrame, ids: pd.Index, names: list[str], scheme: Any
) -> np.ndarray:
    """``(len(ids), len(names))``: norm × effective weight, or the norm value without a
    scheme; 0 where the indicator is missing, unavailable or not in the grading."""
    part = table.reindex(ids)
    out = np.zeros((len(ids), len(names)))
    pos = {name: j for j, name in enumerate(names)}
    if scheme is None:
        for name in _norm_names(part):  # a loop over indicators
            norm = part[NORM_PREFIX + name].to_numpy(dtype=float, na_value=np.nan)
            out[:, pos[name]] = np.nan_to_num(norm, nan=0.0)
        return out
    if not len(ids):
        return out
    from custvalue.scoring import build_arrays, effective_weights

    arrays = build_arrays(part, scheme)
    weights, _ = effective_weights(arrays.available, arrays.indicator_weights,
                                   arrays.dim_of, arrays.dim_weights, arrays.dim_fill)
    parts = np.where(arrays.available, weights * np.nan_to_num(arrays.values), 0.0)
    for i, name in enumerate(arrays.indicators):  # a loop over indicators
        out[:, pos[name]] = parts[:, i]
    return out


def _driver_setup(
    prev: pd.DataFrame, cur: pd.DataFrame, prev_src: Any, cur_src: Any
) -> tuple[str, list[str], Any, Any]:
    """Basis (``effective`` or ``norm``), indicator names and the two schemes (or None)."""
    schemes = (_source_scheme(prev_src), _source_scheme(cur_src))
    complete = all(
        s is not None and all(NORM_PREFIX + n in t.columns for n in s.indicator_names)
        for s, t in zip(schemes, (prev, cur), strict=True)
    )
    if complete:
        names = [*schemes[1].indicator_names, *schemes[0].indicator_names]
        return "effective", list(dict.fromkeys(names)), schemes[0], schemes[1]
    return "norm", list(dict.fromkeys([*_norm_names(cur), *_norm_names(prev)])), None, None


_BASIS_TEXT = {
    "effective": "change of norm × effective weight (each grading's scheme, missing weights "
                 "re-spread), in score points",
    "norm": "change of the normalised value (no scheme available), on the 0–1 scale",
}


# --------------------------------------------------------------------------- attribution

#: Causes of a move, in the order the attribution applies them.
CAUSES = ("data", "cut shift", "scheme")


def _cuts_of(table: pd.DataFrame, n_tiers: int) -> pd.DataFrame:
    from custvalue.tiers.cuts import cut_scores

    if "score" not in table.columns:  # no scores: no cuts (every tier unreachable)
        return pd.DataFrame(np.nan, index=pd.Index(["all"], name="stratum"),
                            columns=range(max(n_tiers, 1)))
    return cut_scores(table, max(n_tiers, 1))


def _stratum_of(table: pd.DataFrame, ids: pd.Index) -> np.ndarray | None:
    if "stratum" not in table.columns:
        return None
    return table["stratum"].reindex(ids).astype(str).to_numpy()


def counterfactual(current: pd.DataFrame, scheme: Any) -> pd.DataFrame | None:
    """The current customers scored and tiered with ``scheme`` (new data, old scheme).

    The scheme's bounds are fitted on the current table's raw indicators, as
    :func:`custvalue.grade` fits them, and its quotas cut the tiers (with the current
    strata when the table has a ``stratum`` column; pins are not applied).  None when the
    table lacks a raw column the scheme reads.

    Returns
    -------
    pandas.DataFrame or None
        The scored table (``norm__*``, ``score`` ...) with ``tier``.
    """
    if scheme is None or any(c not in current.columns for c in scheme.columns):
        return None
    from custvalue.scoring import Scorer
    from custvalue.tiers import assign_tiers

    raw = current[list(scheme.columns)]
    scored = Scorer(scheme).fit(raw).transform(raw)
    by = current["stratum"] if "stratum" in current.columns else None
    tiers = assign_tiers(scored["score"].where(scored["graded"]), scheme.tiers.quotas,
                         ties=scheme.tiers.ties, by=by)
    scored["tier"] = tiers["tier"]
    if by is not None:
        scored["stratum"] = by
    return scored


def attribute_moves(
    prev: pd.DataFrame,
    cur: pd.DataFrame,
    movers: pd.DataFrame,
    scheme_prev: Any,
    scheme_cur: Any,
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Split each mover's move into data, cut shift and scheme (see :func:`compare`).

    Returns the attribution columns (indexed like ``movers``) and the counterfactual table
    (new data, old scheme; None when it is not needed or cannot be built).
    """
    ids = movers.index
    sign = np.where(movers["direction"].to_numpy() == "up", 1, -1)
    tp = movers["tier_previous"].to_numpy(dtype=np.int64)
    tc = movers["tier_current"].to_numpy(dtype=np.int64)
    sp, sc = _score(prev, ids), _score(cur, ids)
    k = len(tier_levels(prev, cur))
    changed = (None if scheme_prev is None or scheme_cur is None
               else scheme_prev.hash() != scheme_cur.hash())
    mid_table, sm, mid_cuts = None, None, None
    if changed is False:  # same scheme: the new data under the old scheme is the current
        sm, mid_cuts = sc, _cuts_of(cur, k)
    elif changed:
        mid_table = counterfactual(cur, scheme_prev)
        if mid_table is not None:
            sm, mid_cuts = _score(mid_table, ids), _cuts_of(mid_table, k)
    split = sm is not None
    prev_cuts, cur_cuts = _cuts_of(prev, k), _cuts_of(cur, k)
    stratum_p, stratum_c = _stratum_of(prev, ids), _stratum_of(cur, ids)
    own = sm if sm is not None else sc  # the customer's own score with the old cuts' scale
    t0 = tier_at(sp, prev_cuts, stratum_p)
    t1 = tier_at(own, prev_cuts, stratum_p)                          # own score change
    t2 = tier_at(own, mid_cuts if mid_cuts is not None else cur_cuts, stratum_c)  # cut shift
    t3 = tier_at(sc, cur_cuts, stratum_c)                            # the new scheme
    ok = (t0 >= 0) & (t1 >= 0) & (t2 >= 0) & (t3 >= 0)
    out = pd.DataFrame(index=ids)
    out["data_change"] = (sm - sp) if split else np.full(len(ids), np.nan)
    out["scheme_change"] = (sc - sm) if split else np.full(len(ids), np.nan)
    for col, value in (("data_steps", t0 - t1), ("cut_steps", t1 - t2),
                       ("scheme_steps", t2 - t3)):
        out[col] = pd.array(np.where(ok, value, 0), dtype="Int64")
    out["other_steps"] = pd.array(np.where(ok, (tp - t0) + (t3 - tc), tp - tc), dtype="Int64")
    # which parts pushed the customer the way it moved: points for data and scheme,
    # tier steps for the cut shift
    if split:
        data_on = sign * np.nan_to_num(sm - sp) > 0
        scheme_on = sign * np.nan_to_num(sc - sm) > 0
    else:
        data_on = sign * np.nan_to_num(sc - sp) > 0
        scheme_on = np.zeros(len(ids), dtype=bool)
    cut_on = sign * out["cut_steps"].to_numpy(dtype=np.int64) > 0
    # a new scheme comes with its own cut scores: its tier steps count as the scheme's
    scheme_moved = scheme_on | (sign * out["scheme_steps"].to_numpy(dtype=np.int64) > 0)
    other_on = ~(data_on | scheme_moved | cut_on) & ok
    labels = [("data" if split else "score", data_on), ("cut shift", cut_on),
              ("scheme", scheme_moved), ("pin or tie", other_on),
              ("unknown (no score)", ~ok)]
    cause = np.full(len(ids), "", dtype=object)
    for label, on in labels:  # a loop over the four components
        cause = np.where(on & (cause != ""), cause + " + " + label,
                         np.where(on, label, cause))
    out["cause"] = pd.array(cause, dtype="string")
    out["cut_shift_only"] = cut_on & ~data_on & ~scheme_moved
    out["_data_on"], out["_scheme_on"] = data_on, scheme_on
    return out, mid_table


def _honest_drivers(
    movers: pd.DataFrame, attribution: pd.DataFrame, prev: pd.DataFrame, cur: pd.DataFrame,
    mid: pd.DataFrame | None, names: list[str], basis: str, scheme_p: Any, scheme_c: Any,
) -> pd.DataFrame:
    """Re-derive the drivers from the parts that moved each customer's score its way.

    Drivers come from the own-data part (old scheme on both sides) when it moved the
    score in the direction of the move, from the scheme part (same data, the two schemes)
    when that did, from both summed when both did, and are left empty when neither did
    (a move by the cut shift alone, or by a pin or tie).
    """
    ids = movers.index
    sign = np.where(movers["direction"].to_numpy() == "up", 1.0, -1.0)
    scale = 1.0 if basis == "norm" else 100.0
    data = attribution["_data_on"].to_numpy(dtype=bool)
    scheme = attribution["_scheme_on"].to_numpy(dtype=bool)
    before = _contributions(prev, ids, names, scheme_p)
    after = _contributions(cur, ids, names, scheme_c)
    if mid is not None and basis == "effective":
        middle = _contributions(mid, ids, names, scheme_p)
        delta = scale * (np.where(data[:, None], middle - before, 0.0)
                         + np.where(scheme[:, None], after - middle, 0.0))
    else:
        delta = scale * np.where((data | scheme)[:, None], after - before, 0.0)
    pos, val = _drivers_kernel(delta, sign, N_DRIVERS)
    name_arr = np.array([*names, *[""] * N_DRIVERS], dtype=object)
    movers = movers.copy()
    for j in range(N_DRIVERS):
        driver = pd.Series(name_arr[pos[:, j]], index=ids, dtype="string")
        movers[f"driver_{j + 1}"] = driver.mask(pos[:, j] < 0)
        movers[f"driver_{j + 1}_change"] = val[:, j]
    return movers


# --------------------------------------------------------------------------- result


def _state_text(key: tuple[str, Any]) -> str:
    """Display text of a state key: the tier number, or the status word (display only)."""
    status, tier = key
    return str(status) if pd.isna(tier) else str(int(tier))


@dataclass(eq=False, repr=False)
class Comparison(Result):
    """What changed between two gradings (see :func:`compare`).

    Attributes
    ----------
    previous_label, current_label : str
        Names of the two gradings (window end ``YYYY-MM`` where known).
    transitions : pandas.DataFrame
        Customer counts; rows are the previous state, columns the current state, both keyed
        by ``(status, tier)`` (:func:`custvalue.grading.state_index`): ``("graded", 0)``,
        ``("graded", 1)`` ... then ``("ungraded", NaN)`` and, for rows, ``("new", NaN)``,
        for columns ``("departed", NaN)`` (the tier level is integer; NaN is pandas'
        missing level value).  ``transitions.loc["graded", "graded"]`` is the
        tier × tier matrix with integer keys.  The cell (``new``, ``departed``) is always 0.
    transition_shares : pandas.DataFrame
        ``transitions`` divided by its row sums (NaN for an empty row): of the customers in
        a previous state, the share in each current state.
    movers : pandas.DataFrame
        Customers graded both times whose tier changed, by ``customer_id``: ``direction``
        (``"up"``/``"down"``), ``tier_previous``, ``tier_current``, ``steps`` (previous −
        current tier: positive is up), ``score_previous``, ``score_current``,
        ``score_change``, ``driver_1``, ``driver_1_change``, ``driver_2``,
        ``driver_2_change`` (see ``drivers_basis``), and the attribution: ``data_change``,
        ``scheme_change`` (points), ``data_steps``, ``cut_steps``, ``scheme_steps``,
        ``other_steps``, ``cause``, ``cut_shift_only`` (see :func:`compare`).
    new, departed : pandas.DataFrame
        Customers only in the current (new) or only in the previous (departed) grading,
        with their ``tier`` and ``score`` in the grading that has them.
    n_previous, n_current, n_common, n_common_graded : int
        Customers in each grading, in both, and graded in both.
    kendall_tau, kendall_p, spearman_rho, spearman_p : float
        Rank correlation of the scores of the customers graded in both (NaN below 2).
    drivers_basis : str
        ``"effective"`` (weighted by each grading's effective weights, in score points) or
        ``"norm"`` (change of the normalised values); see :func:`compare`.
    scheme_changed : bool or None
        Whether the two gradings' schemes differ (by hash); None when a scheme is unknown.
    scheme_hashes : (str or None, str or None)
        The two schemes' SHA-256 hashes.
    """

    previous_label: str
    current_label: str
    transitions: pd.DataFrame
    transition_shares: pd.DataFrame
    movers: pd.DataFrame
    new: pd.DataFrame
    departed: pd.DataFrame
    n_previous: int
    n_current: int
    n_common: int
    n_common_graded: int
    kendall_tau: float
    kendall_p: float
    spearman_rho: float
    spearman_p: float
    drivers_basis: str
    tier_names: dict[int, str] = field(default_factory=dict)
    scheme_changed: bool | None = None
    scheme_hashes: tuple[str | None, str | None] = (None, None)

    @property
    def upgrades(self) -> pd.DataFrame:
        """Movers to a better tier (lower tier number)."""
        return self.movers[self.movers["direction"] == "up"]

    @property
    def downgrades(self) -> pd.DataFrame:
        """Movers to a worse tier (higher tier number)."""
        return self.movers[self.movers["direction"] == "down"]

    @property
    def n_stayed(self) -> int:
        """Customers graded both times whose tier did not change."""
        return self.n_common_graded - len(self.movers)

    def summary(self) -> dict[str, Any]:
        """The headline numbers as a plain dict."""
        return {
            "previous": self.previous_label,
            "current": self.current_label,
            "n_previous": self.n_previous,
            "n_current": self.n_current,
            "n_common": self.n_common,
            "n_common_graded": self.n_common_graded,
            "n_new": len(self.new),
            "n_departed": len(self.departed),
            "n_stayed": self.n_stayed,
            "n_up": len(self.upgrades),
            "n_down": len(self.downgrades),
            "kendall_tau": self.kendall_tau,
            "kendall_p": self.kendall_p,
            "spearman_rho": self.spearman_rho,
            "spearman_p": self.spearman_p,
            "drivers_basis": self.drivers_basis,
            "scheme_changed": self.scheme_changed,
            "n_cut_shift_only": int(self.movers["cut_shift_only"].sum())
            if "cut_shift_only" in self.movers else 0,
        }

    def to_dict(self) -> dict[str, Any]:
        """Everything as JSON types (NaN becomes ``null``); what ``comparison.json`` holds.

        ``transitions`` holds ``rows`` and ``columns`` as state objects
        ``{"status": ..., "tier": int or null}``, ``counts`` and ``row_shares`` as nested
        lists in that order.
        """
        return jsonable({
            "summary": self.summary(),
            "drivers": _BASIS_TEXT[self.drivers_basis],
            "scheme_changed": self.scheme_changed,
            "scheme_hashes": list(self.scheme_hashes),
            "tier_names": self.tier_names,
            "transitions": {
                "rows": state_records(self.transitions.index),
                "columns": state_records(self.transitions.columns),
                "counts": self.transitions.to_numpy().tolist(),
                "row_shares": self.transition_shares.to_numpy().tolist(),
            },
            "movers": self.movers,
            "new": self.new,
            "departed": self.departed,
        })

    def to_frame(self) -> pd.DataFrame:
        """The transition matrix (:attr:`transitions`)."""
        return self.transitions

    def tidy_transitions(self) -> pd.DataFrame:
        """One row per (previous, current) cell: ``previous_status``, ``previous_tier``,
        ``current_status``, ``current_tier``, ``count``, ``row_share`` (``transitions.csv``).
        """
        rows, cols = self.transitions.index, self.transitions.columns
        r = np.repeat(np.arange(len(rows)), len(cols))
        c = np.tile(np.arange(len(cols)), len(rows))
        return pd.DataFrame({
            "previous_status": rows.get_level_values("status")[r],
            "previous_tier": rows.get_level_values("tier")[r],
            "current_status": cols.get_level_values("status")[c],
            "current_tier": cols.get_level_values("tier")[c],
            "count": self.transitions.to_numpy().ravel(),
            "row_share": self.transition_shares.to_numpy().ravel(),
        })

    def _display_matrix(self) -> pd.DataFrame:
        """The transitions with flat labels (tier numbers, status words), for display."""
        shown = self.transitions.copy()
        # both axes are (status, tier) MultiIndexes; the stubs type columns as Index[str]
        previous = [_state_text(k) for k in cast("pd.MultiIndex", shown.index)]
        current = [_state_text(k) for k in cast("pd.MultiIndex", shown.columns)]
        shown.index = pd.Index(previous, name="previous")
        shown.columns = pd.Index(current, name="current")
        return shown

    def _headline(self) -> list[str]:
        s = self.summary()
        kept = s["n_stayed"] / s["n_common_graded"] if s["n_common_graded"] else math.nan
        return [
            f"Regrade: {self.previous_label} -> {self.current_label}",
            f"customers: {s['n_previous']:,} previous, {s['n_current']:,} current; "
            f"{s['n_common']:,} in both, {s['n_new']:,} new, {s['n_departed']:,} departed",
            f"graded in both: {s['n_common_graded']:,}; same tier {s['n_stayed']:,} "
            f"({kept:.1%}), up {s['n_up']:,}, down {s['n_down']:,}",
            f"rank correlation of scores: Kendall tau {self.kendall_tau:.3f}, "
            f"Spearman rho {self.spearman_rho:.3f}",
            self._scheme_line(),
        ]

    def headline(self) -> str:
        """One line: the two gradings compared."""
        return self._headline()[0]

    def _scheme_line(self) -> str:
        if self.scheme_changed is None:
            return "scheme: unknown for one grading; moves split into score and cut shift"
        if not self.scheme_changed:
            return (f"scheme: unchanged ({str(self.scheme_hashes[1])[:12]}); moves split "
                    f"into data and cut shift ({self.summary()['n_cut_shift_only']:,} by a "
                    f"cut shift alone)")
        return (f"scheme: CHANGED ({str(self.scheme_hashes[0])[:12]} -> "
                f"{str(self.scheme_hashes[1])[:12]}); moves split into data, cut shift and "
                f"scheme ({self.summary()['n_cut_shift_only']:,} by a cut shift alone)")

    def _legend(self) -> str:
        idx = self.transitions.index
        tiers = set(idx.get_level_values("tier")[idx.get_level_values("status") == GRADED])
        return "tiers: " + ", ".join(f"{t} = {n}" for t, n in sorted(self.tier_names.items())
                                     if t in tiers)

    def to_text(self) -> str:
        """The headline numbers, the transition matrix, the largest moves and the drivers."""
        lines = self._headline()
        lines += ["", "transitions (rows: previous, columns: current; customers):",
                  self._display_matrix().to_string(), self._legend()]
        if len(self.movers):
            top = self.movers.assign(
                _steps=self.movers["steps"].abs(), _change=self.movers["score_change"].abs()
            ).sort_values(["_steps", "_change"], ascending=False, kind="stable").head(10)
            cols = ["tier_previous", "tier_current", "score_change", "cause", "driver_1",
                    "driver_2"]
            cols = [c for c in cols if c in top.columns]
            lines += ["", f"largest moves ({len(top)} of {len(self.movers):,}):",
                      top[cols].to_string(float_format=lambda x: f"{x:.2f}")]
        lines += ["", f"drivers: {_BASIS_TEXT[self.drivers_basis]}"]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (f"Comparison({self.previous_label!r} -> {self.current_label!r}: "
                f"{self.n_common_graded} graded in both, {len(self.upgrades)} up, "
                f"{len(self.downgrades)} down, {len(self.new)} new, "
                f"{len(self.departed)} departed, tau={self.kendall_tau:.3f})")

    def to_html(self) -> str:
        """The headline numbers, the transition matrix and the first 20 movers as HTML."""
        head = "".join(f"<li>{html.escape(line)}</li>" for line in self._headline()[1:])
        movers = self.movers.head(20).to_html(float_format=lambda x: f"{x:.2f}")
        return (
            f"<div><h4>{html.escape(self.headline())}</h4><ul>{head}</ul>"
            f"<p>Transitions (rows: previous, columns: current)</p>"
            f"{self._display_matrix().to_html()}<p>{html.escape(self._legend())}</p>"
            f"<p>Movers (first 20 of {len(self.movers)}; drivers: "
            f"{html.escape(_BASIS_TEXT[self.drivers_basis])})</p>{movers}</div>"
        )

    def save(self, path: str | Path) -> Path:
        """Write ``transitions.csv``, ``movers.csv``, ``comparison.json`` and
        ``comparison.txt`` to the folder ``path``; returns the folder.

        ``transitions.csv`` is tidy (:meth:`tidy_transitions`): one row per (previous,
        current) cell, each state as a ``*_status`` and a ``*_tier`` column, with its
        ``count`` and ``row_share``.  Each file is written through a temporary file and a
        rename.
        """
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        files = {
            "transitions.csv": self.tidy_transitions().to_csv(index=False,
                                                              lineterminator="\n"),
            "movers.csv": self.movers.to_csv(lineterminator="\n"),
            "comparison.json": self.to_json() + "\n",
            "comparison.txt": self.to_text() + "\n",
        }
        for name, text in files.items():
            write_atomic(folder / name, text.encode("utf-8"))
        return folder


# --------------------------------------------------------------------------- compare


def _correlation(x: np.ndarray, y: np.ndarray) -> tuple[float, float, float, float]:
    keep = ~(np.isnan(x) | np.isnan(y))  # e.g. a pinned tier without a score
    x, y = x[keep], y[keep]
    if x.size < 2:
        return (math.nan,) * 4
    with warnings.catch_warnings():  # constant input: scipy warns and returns NaN
        warnings.simplefilter("ignore")
        from scipy import stats  # imported here: scipy.stats costs ~0.6 s at import

        k = stats.kendalltau(x, y)
        s = stats.spearmanr(x, y)
    return float(k.statistic), float(k.pvalue), float(s.statistic), float(s.pvalue)


def _score(table: pd.DataFrame, ids: pd.Index) -> np.ndarray:
    if "score" not in table.columns:
        return np.full(len(ids), np.nan)
    return table["score"].reindex(ids).to_numpy(dtype=float, na_value=np.nan)


def compare(
    previous: GradingLike,
    current: GradingLike,
    *,
    labels: tuple[str, str] | None = None,
) -> Comparison:
    """Compare two gradings of the same customer base (a regrade against the last grading).

    Customers are matched on ``customer_id``.  A customer is *graded* in a grading when its
    ``tier`` is not ``<NA>``.

    **Transition matrix.**  ``transitions[r, c]`` counts customers whose previous state is
    ``r`` and current state is ``c``.  States are keyed ``(status, tier)``: the tiers
    ``("graded", 0)`` (0 = 特级) … best first, then ``("ungraded", NaN)`` (present but
    without a tier), ``("new", NaN)`` (row: only in the current grading) and
    ``("departed", NaN)`` (column: only in the previous grading; the tier level is integer,
    NaN is pandas' missing level value).  Every customer of
    either grading is counted exactly once; ``transitions.loc["graded", "graded"]`` is the
    tier × tier block with integer keys.  ``transition_shares`` divides each row by its
    sum: the diagonal shares are the tier retention rates.

    **Movers and drivers.**  A mover is graded both times with a different tier; it moved
    *up* when the current tier number is lower.  Its drivers are the ``N_DRIVERS`` (2)
    indicators with the largest change of weighted contribution in the direction of the
    move (the largest rises for an upgrade, the largest falls for a downgrade)::

        change_i = 100 × (W_i,cur · x_i,cur − W_i,prev · x_i,prev)

    ``x_i`` is the normalised value the score used (``norm__<i>``, imputed under a
    ``neutral``/``worst`` policy) and ``W_i`` the customer's *effective* weight of indicator
    ``i`` in that grading: dimension weight × indicator weight, after the weights of
    missing indicators and dimensions are re-spread
    (:func:`custvalue.scoring.effective_weights` on each grading's own scheme, so a change
    of weights between the gradings shows too).  An indicator the customer lacks, or that
    a grading's scheme does not have, contributes 0.  ``change_i`` is in score points;
    for the arithmetic aggregation the changes of all indicators (plus any filled
    dimension) add up to the score change.  This needs each grading's scheme: a
    ``Grading`` has it, a saved folder has it in ``scheme.json``.  Without a scheme for
    both (plain tables), ``drivers_basis`` is ``"norm"`` and ``change_i`` is the change of
    the ``norm__<i>`` value itself (0–1 scale; missing counts as 0).

    Indicators that moved against the direction of the move are never drivers, so a mover
    may have fewer than two (``<NA>``).  Equal changes keep the indicator order (current
    grading first).

    **Attribution: data, cut shift, scheme.**  Each mover's tier steps are split in this
    order, against the cut scores (the lowest score placed in each tier, pins left out,
    per stratum; :func:`custvalue.tiers.cut_scores`): (a) **data** — its own score on the
    new data under the *old* scheme (:func:`counterfactual`: the old scheme fitted on the
    current table's raw indicators) against the previous cuts; (b) **cut shift** — the same
    score against the cuts of that counterfactual grading (everybody else's data moved
    them); (c) **scheme** — the current score and cuts (the new scheme with its own cuts).
    ``data_steps + cut_steps + scheme_steps + other_steps == steps``; ``other_steps`` holds
    what the cuts do not see (a pin, a tie broken by id).  ``data_change`` and
    ``scheme_change`` split ``score_change`` in points (NaN when a scheme is unknown or
    the current table lacks the old scheme's raw columns; then the score change is
    ``score`` as a whole).  ``cause`` names the parts that pushed the customer the way it
    moved (data or scheme: points in that direction, or the scheme's steps; cut shift: its
    steps), joined by ``" + "``; ``cut_shift_only`` marks customers moved by the cut shift
    alone.  **The drivers are named only from the parts that moved the score in the
    direction of the move**: the data part compares the contributions under the old
    scheme on both sides, the scheme part the two schemes on the new data; a move by the
    cut shift alone names no driver.  ``Comparison.scheme_changed`` says whether the two
    schemes differ (their hashes).

    **Rank correlation.**  Kendall's τ-b and Spearman's ρ (``scipy.stats.kendalltau``,
    ``scipy.stats.spearmanr``) between previous and current ``score`` of the customers
    graded in both (and with a score in both); NaN with fewer than two such customers or
    constant scores.

    Parameters
    ----------
    previous, current : Grading, pandas.DataFrame, str or Path
        The two gradings (see :func:`grading_table`).  A ``Grading`` (or a saved folder)
        also contributes its scheme (the drivers' weights) and manifest (the label).
    labels : (str, str), optional
        Names of the two gradings.  Default: the end of each manifest's window
        (``YYYY-MM``), else its creation date, else ``"previous"`` / ``"current"``.

    Returns
    -------
    Comparison

    Raises
    ------
    InputError
        From :func:`grading_table`.

    Examples
    --------
    >>> prev = pd.DataFrame({"customer_id": ["a", "b", "c"], "tier": [0, 1, 1],
    ...                      "score": [90.0, 60.0, 50.0]})
    >>> cur = pd.DataFrame({"customer_id": ["a", "b", "d"], "tier": [1, 0, 1],
    ...                     "score": [70.0, 80.0, 40.0]})
    >>> cmp = compare(prev, cur)
    >>> cmp.transitions.columns.get_level_values("status").tolist()
    ['graded', 'graded', 'ungraded', 'departed']
    >>> cmp.transitions.loc["graded", "graded"].to_numpy().tolist()
    [[0, 1], [1, 0]]
    >>> cmp.transitions.loc["new", "departed"].to_numpy().tolist()
    [[0]]
    >>> cmp.transitions.loc["graded", "departed"].to_numpy().tolist()
    [[0], [1]]
    >>> cmp.movers["direction"].to_dict()
    {'a': 'down', 'b': 'up'}
    >>> cmp.new.index.tolist(), cmp.departed.index.tolist()
    (['d'], ['c'])
    """
    prev = grading_table(previous, name="previous grading")
    cur = grading_table(current, name="current grading")
    if labels is None:
        labels = (source_label(previous, "previous"), source_label(current, "current"))
        if labels[0] == labels[1]:
            labels = (f"{labels[0]} (previous)", f"{labels[1]} (current)")
    levels = tier_levels(prev, cur)
    k = len(levels)

    # --- transition matrix: codes 0..k-1 tiers, k ungraded, k+1 new/departed
    all_ids = prev.index.union(cur.index)
    pt = prev["tier"].reindex(all_ids)
    ct = cur["tier"].reindex(all_ids)
    in_prev = all_ids.isin(prev.index)
    in_cur = all_ids.isin(cur.index)
    prev_code = np.where(~in_prev, k + 1, pt.fillna(k).to_numpy(dtype=np.int64))
    cur_code = np.where(~in_cur, k + 1, ct.fillna(k).to_numpy(dtype=np.int64))
    counts = _transition_kernel(prev_code, cur_code, k + 2, k + 2)
    transitions = pd.DataFrame(
        counts,
        index=state_index(levels, [UNGRADED, NEW]),
        columns=state_index(levels, [UNGRADED, DEPARTED]),
    )
    row_sum = transitions.sum(axis=1).to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = counts / row_sum[:, None]
    transition_shares = pd.DataFrame(shares, index=transitions.index,
                                     columns=transitions.columns)

    # --- movers
    common = prev.index.intersection(cur.index)
    both = common[prev["tier"].reindex(common).notna().to_numpy()
                  & cur["tier"].reindex(common).notna().to_numpy()]
    tp = prev["tier"].reindex(both).to_numpy(dtype=np.int64)
    tc = cur["tier"].reindex(both).to_numpy(dtype=np.int64)
    moved = tp != tc
    ids = both[moved]
    sign = np.where(tc[moved] < tp[moved], 1.0, -1.0)
    basis, names, scheme_p, scheme_c = _driver_setup(prev, cur, previous, current)
    scale = 1.0 if basis == "norm" else 100.0
    delta = scale * (_contributions(cur, ids, names, scheme_c)
                     - _contributions(prev, ids, names, scheme_p))
    pos, val = _drivers_kernel(delta, sign, N_DRIVERS)
    name_arr = np.array([*names, *[""] * N_DRIVERS], dtype=object)
    sp, sc = _score(prev, ids), _score(cur, ids)
    movers = pd.DataFrame({
        "direction": np.where(sign > 0, "up", "down"),
        "tier_previous": tp[moved],
        "tier_current": tc[moved],
        "steps": tp[moved] - tc[moved],
        "score_previous": sp,
        "score_current": sc,
        "score_change": sc - sp,
    }, index=ids)
    for j in range(N_DRIVERS):
        driver = pd.Series(name_arr[pos[:, j]], index=ids, dtype="string")
        movers[f"driver_{j + 1}"] = driver.mask(pos[:, j] < 0)
        movers[f"driver_{j + 1}_change"] = val[:, j]
    movers.index.name = "customer_id"
    attribution, mid = attribute_moves(prev, cur, movers, _source_scheme(previous),
                                       _source_scheme(current))
    movers = _honest_drivers(movers, attribution, prev, cur, mid, names, basis, scheme_p,
                             scheme_c).join(attribution.drop(columns=["_data_on",
                                                                      "_scheme_on"]))
    schemes = (_source_scheme(previous), _source_scheme(current))
    hashes = tuple(None if x is None else x.hash() for x in schemes)

    # --- new and departed
    def side(table: pd.DataFrame, where: pd.Index) -> pd.DataFrame:
        out = pd.DataFrame({"tier": table["tier"].reindex(where),
                            "score": _score(table, where)}, index=where)
        out.index.name = "customer_id"
        return out

    new = side(cur, cur.index.difference(prev.index))
    departed = side(prev, prev.index.difference(cur.index))
    tau, tau_p, rho, rho_p = _correlation(_score(prev, both), _score(cur, both))
    return Comparison(
        previous_label=str(labels[0]),
        current_label=str(labels[1]),
        transitions=transitions,
        transition_shares=transition_shares,
        movers=movers,
        new=new,
        departed=departed,
        n_previous=len(prev),
        n_current=len(cur),
        n_common=len(common),
        n_common_graded=len(both),
        kendall_tau=tau,
        kendall_p=tau_p,
        spearman_rho=rho,
        spearman_p=rho_p,
        drivers_basis=basis,
        tier_names={t: zh for t, (zh, _) in tier_labels(prev, cur).items() if t in levels},
        scheme_changed=None if None in hashes else hashes[0] != hashes[1],
        scheme_hashes=(hashes[0], hashes[1]),
    )


