"""The regrade cycle: compare two gradings and keep a history of dated snapshots.

The article behind custvalue (seed 001, 篇8) updates, adjusts and checks the grading every
three years (以三年为节点对各类客户等级进行更新、调整和检验).  A regrade is a new grading
of the same customer base over a later window; this module tells what changed:

* :func:`compare` -- the transition matrix between the two gradings' tiers (with rows and
  columns for customers that are new, departed or ungraded), the customers who moved up or
  down a tier and the two indicators that drove each move, and the rank correlation of the
  scores of the customers graded both times.
* :func:`save_snapshot`, :func:`list_snapshots` -- a history folder that keeps each grading
  as a dated sub-folder (``2021-12/``, ``2024-12/`` ...), the input of ``custvalue compare``.
* :func:`grading_table` -- the grading table of a ``Grading``, a plain table or a saved
  grading folder, checked and indexed by ``customer_id``.

See ``docs/regrade.md``.
"""

from __future__ import annotations

import html
import json
import math
import re
import shutil
import tempfile
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from custvalue.errors import (
    ColumnTypeError,
    CustvalueError,
    DuplicateRowsError,
    InvalidValueError,
    MissingColumnError,
    UnsupportedInputError,
)
from custvalue.tiers import DEFAULT_LABELS

__all__ = [
    "GRADING_FILES",
    "Comparison",
    "SnapshotError",
    "compare",
    "grading_table",
    "list_snapshots",
    "save_snapshot",
]

#: Files of a saved grading that a snapshot keeps (``grades.parquet`` is required).
GRADING_FILES: tuple[str, ...] = ("grades.parquet", "manifest.json", "scheme.json", "checks.json",
                                  "summary.txt")
#: Row label of customers only in the current grading, column label of those only in the
#: previous one, and row/column label of customers present but not graded.
NEW, DEPARTED, UNGRADED = "new", "departed", "ungraded"
#: Number of drivers reported per mover.
N_DRIVERS = 2

_NORM = "norm__"
_LABEL_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_MONTH = re.compile(r"\d{4}-\d{2}")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


class SnapshotError(CustvalueError):
    """A snapshot cannot be written: bad label, or the label exists and ``overwrite`` is off."""


# --------------------------------------------------------------------------- the table


def grading_table(source: Any, *, name: str = "grading") -> pd.DataFrame:
    """The grading table of ``source``, indexed by ``customer_id`` and sorted by it.

    Parameters
    ----------
    source : Grading, pandas.DataFrame, str or Path
        Anything with a ``.table`` attribute (a ``Grading``), a table indexed by
        ``customer_id`` or holding it as a column, or a saved grading folder (or the path
        of its ``grades.parquet``).
    name : str, default "grading"
        Name of the table in error messages.

    Returns
    -------
    pandas.DataFrame
        A copy with a string index ``customer_id`` (sorted ascending) and ``tier`` as
        ``Int64`` (``<NA>`` = ungraded).

    Raises
    ------
    UnsupportedInputError
        ``source`` is none of the above, or the folder has no ``grades.parquet``.
    MissingColumnError
        No ``customer_id`` (index or column) or no ``tier`` column.
    DuplicateRowsError
        A ``customer_id`` appears twice.
    InvalidValueError
        A tier is not a non-negative whole number.

    Examples
    --------
    >>> t = grading_table(pd.DataFrame({"customer_id": ["b", "a"], "tier": [1, None]}))
    >>> t.index.tolist(), t["tier"].tolist()
    (['a', 'b'], [<NA>, 1])
    """
    table = getattr(source, "table", source)
    if isinstance(table, str | Path):
        path = Path(table)
        file = path / "grades.parquet" if path.is_dir() else path
        if not file.is_file():
            raise UnsupportedInputError(
                name, None, f"no saved grading at {path} (grades.parquet not found)",
                fix="give a folder written by Grading.save or `custvalue grade --out`",
            )
        table = pd.read_parquet(file)
    if not isinstance(table, pd.DataFrame):
        raise UnsupportedInputError(
            name, None, f"cannot read a grading from {type(source).__name__}",
            fix="give a Grading, a pandas DataFrame or a saved grading folder",
        )
    if table.index.name != "customer_id":
        if "customer_id" not in table.columns:
            raise MissingColumnError(
                name, "customer_id", "no customer_id index or column",
                fix="index the table by customer_id",
            )
        table = table.set_index("customer_id")
    else:
        table = table.copy()
    table.index = table.index.astype(str)
    dup = table.index.duplicated(keep=False)
    if dup.any():
        ids = table.index[dup]
        raise DuplicateRowsError(
            name, "customer_id", "a customer appears more than once",
            examples=[{"customer_id": c} for c in dict.fromkeys(ids)],
            count=int(dup.sum()), fix="keep one row per customer",
        )
    if "tier" not in table.columns:
        raise MissingColumnError(name, "tier", "no tier column",
                                 fix="pass a graded table (custvalue.grading.grade)")
    try:
        tier = pd.to_numeric(table["tier"], errors="raise")
    except (TypeError, ValueError):
        raise ColumnTypeError(name, "tier", "tiers are not numbers",
                              fix="tiers are 0 (特级) .. 3 (三级) or empty") from None
    bad = tier.notna() & ((tier < 0) | (tier % 1 != 0))
    if bad.any():
        raise InvalidValueError(
            name, "tier", "tiers must be whole numbers >= 0",
            examples=[{"customer_id": c, "tier": v} for c, v in tier[bad].head().items()],
            count=int(bad.sum()),
        )
    table["tier"] = tier.astype("Int64")
    return table.sort_index()


def _tier_levels(*tables: pd.DataFrame) -> list[int]:
    """Tiers 0..worst tier seen in any of ``tables`` (empty if none is graded)."""
    worst = max((int(t["tier"].max()) for t in tables if t["tier"].notna().any()), default=-1)
    return list(range(worst + 1))


def _tier_labels(*tables: pd.DataFrame) -> dict[int, tuple[str, str]]:
    """(Chinese, English) label by tier, from the tables' ``tier_zh``/``tier_en`` columns.

    Tiers without a label in any table get the defaults of :func:`custvalue.tiers.assign_tiers`
    (特级客户/special ... for tiers 0-3, ``第{t+1}级``/``tier {t}`` beyond).
    """
    count = max(len(DEFAULT_LABELS), len(_tier_levels(*tables)))
    labels = {t: DEFAULT_LABELS[t] if t < len(DEFAULT_LABELS) else (f"第{t + 1}级", f"tier {t}")
              for t in range(count)}
    for t in tables:
        for pos, col in enumerate(("tier_zh", "tier_en")):
            if col not in t.columns:
                continue
            known = t.loc[t["tier"].notna() & t[col].notna(), ["tier", col]]
            known = known.drop_duplicates("tier")  # one label per tier: loop over tiers
            for tier, text in zip(known["tier"].astype(int), known[col], strict=True):
                pair = list(labels[tier])
                pair[pos] = str(text)
                labels[tier] = (pair[0], pair[1])
    return labels


# --------------------------------------------------------------------------- labels


def _as_dict(obj: Any) -> dict[str, Any]:
    if obj is None:
        return {}
    if isinstance(obj, Mapping):
        return dict(obj)
    if hasattr(obj, "model_dump"):
        return obj.model_dump(mode="json")
    return dict(vars(obj)) if hasattr(obj, "__dict__") else {}


def _window_end(window: Any) -> str | None:
    """``YYYY-MM`` of the end of a manifest window (``{"start", "end"}`` or text), else None."""
    if isinstance(window, Mapping):
        window = window.get("end")
    months = _MONTH.findall(str(window or ""))
    return months[-1] if months else None


def _manifest_label(manifest: Any) -> str | None:
    """Snapshot label from a manifest: window end ``YYYY-MM``, else creation day."""
    data = _as_dict(manifest)
    end = _window_end(data.get("window"))
    if end:
        return end
    day = _DAY.search(str(data.get("created_at") or ""))
    return day.group(0) if day else None


def _read_manifest(folder: Path) -> dict[str, Any]:
    file = folder / "manifest.json"
    if not file.is_file():
        return {}
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _source_label(source: Any, default: str) -> str:
    if isinstance(source, str | Path):
        path = Path(source)
        folder = path if path.is_dir() else path.parent
        return _manifest_label(_read_manifest(folder)) or folder.name or default
    return _manifest_label(getattr(source, "manifest", None)) or default


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


def _source_scheme(source: Any) -> Any:
    """The scheme of a ``Grading`` or of a saved grading folder (``scheme.json``), else None."""
    scheme = getattr(source, "scheme", None)
    if scheme is None and isinstance(source, str | Path):
        path = Path(source)
        file = (path if path.is_dir() else path.parent) / "scheme.json"
        if file.is_file():
            from custvalue.scoring import Scheme

            scheme = Scheme.from_json(file)
    return scheme if hasattr(scheme, "indicator_names") else None


def _norm_names(table: pd.DataFrame) -> list[str]:
    return [c[len(_NORM):] for c in table.columns if c.startswith(_NORM)]


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
            norm = part[_NORM + name].to_numpy(dtype=float, na_value=np.nan)
            out[:, pos[name]] = np.nan_to_num(norm, nan=0.0)
        return out
    if not len(ids):
        return out
    from custvalue.scoring.aggregate import build_arrays, effective_weights

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
        s is not None and all(_NORM + n in t.columns for n in s.indicator_names)
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


# --------------------------------------------------------------------------- result


def _jsonable(value: Any) -> Any:
    """Plain JSON types: NaN/NA -> None, numpy scalars -> Python scalars."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [_jsonable(v) for v in value]
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    flat = frame.reset_index()
    return [_jsonable(dict(zip(flat.columns, row, strict=True)))
            for row in flat.itertuples(index=False, name=None)]


@dataclass(eq=False)
class Comparison:
    """What changed between two gradings (see :func:`compare`).

    Attributes
    ----------
    previous_label, current_label : str
        Names of the two gradings (window end ``YYYY-MM`` where known).
    transitions : pandas.DataFrame
        Customer counts; rows are the previous state (tiers ``"0"``, ``"1"`` ...,
        ``"ungraded"``, ``"new"``), columns the current state (tiers, ``"ungraded"``,
        ``"departed"``).  The cell (``"new"``, ``"departed"``) is always 0.
    transition_shares : pandas.DataFrame
        ``transitions`` divided by its row sums (NaN for an empty row): of the customers in
        a previous state, the share in each current state.
    movers : pandas.DataFrame
        Customers graded both times whose tier changed, by ``customer_id``: ``direction``
        (``"up"``/``"down"``), ``tier_previous``, ``tier_current``, ``steps`` (previous −
        current tier: positive is up), ``score_previous``, ``score_current``,
        ``score_change``, ``driver_1``, ``driver_1_change``, ``driver_2``,
        ``driver_2_change`` (see ``drivers_basis``).
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
        }

    def to_dict(self) -> dict[str, Any]:
        """Everything as JSON types (NaN becomes ``null``); what ``comparison.json`` holds."""
        return _jsonable({
            "summary": self.summary(),
            "drivers": _BASIS_TEXT[self.drivers_basis],
            "transitions": {
                "rows": list(self.transitions.index),
                "columns": list(self.transitions.columns),
                "counts": self.transitions.to_numpy().tolist(),
                "row_shares": self.transition_shares.to_numpy().tolist(),
            },
            "movers": _records(self.movers),
            "new": _records(self.new),
            "departed": _records(self.departed),
        })

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
        ]

    def _legend(self) -> str:
        return "tiers: " + ", ".join(f"{t} = {n}" for t, n in sorted(self.tier_names.items())
                                     if str(t) in self.transitions.index)

    def __str__(self) -> str:
        lines = self._headline()
        lines += ["", "transitions (rows: previous, columns: current; customers):",
                  self.transitions.to_string(), self._legend()]
        if len(self.movers):
            top = self.movers.assign(
                _steps=self.movers["steps"].abs(), _change=self.movers["score_change"].abs()
            ).sort_values(["_steps", "_change"], ascending=False, kind="stable").head(10)
            cols = ["tier_previous", "tier_current", "score_change", "driver_1", "driver_2"]
            lines += ["", f"largest moves ({len(top)} of {len(self.movers):,}):",
                      top[cols].to_string(float_format=lambda x: f"{x:.2f}")]
        lines += ["", f"drivers: {_BASIS_TEXT[self.drivers_basis]}"]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (f"Comparison({self.previous_label!r} -> {self.current_label!r}: "
                f"{self.n_common_graded} graded in both, {len(self.upgrades)} up, "
                f"{len(self.downgrades)} down, {len(self.new)} new, "
                f"{len(self.departed)} departed, tau={self.kendall_tau:.3f})")

    def _repr_html_(self) -> str:
        head = "".join(f"<li>{html.escape(line)}</li>" for line in self._headline()[1:])
        movers = self.movers.head(20).to_html(float_format=lambda x: f"{x:.2f}")
        return (
            f"<h4>{html.escape(self._headline()[0])}</h4><ul>{head}</ul>"
            f"<p>Transitions (rows: previous, columns: current)</p>"
            f"{self.transitions.to_html()}<p>{html.escape(self._legend())}</p>"
            f"<p>Movers (first 20 of {len(self.movers)}; drivers: "
            f"{html.escape(_BASIS_TEXT[self.drivers_basis])})</p>{movers}"
        )

    def save(self, folder: str | Path) -> list[Path]:
        """Write ``transitions.csv``, ``movers.csv``, ``comparison.json``, ``comparison.txt``.

        ``transitions.csv`` is tidy: one row per (``previous``, ``current``) cell with its
        ``count`` and ``row_share``.  Returns the written paths.
        """
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        tidy = pd.DataFrame({
            "count": self.transitions.stack(),
            "row_share": self.transition_shares.stack(),
        }).reset_index()
        paths = [folder / n for n in ("transitions.csv", "movers.csv", "comparison.json",
                                      "comparison.txt")]
        tidy.to_csv(paths[0], index=False, lineterminator="\n")
        self.movers.to_csv(paths[1], lineterminator="\n")
        paths[2].write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=2) + "\n",
                            encoding="utf-8")
        paths[3].write_text(str(self) + "\n", encoding="utf-8")
        return paths


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
    previous: Any,
    current: Any,
    *,
    labels: tuple[str, str] | None = None,
) -> Comparison:
    """Compare two gradings of the same customer base (a regrade against the last grading).

    Customers are matched on ``customer_id``.  A customer is *graded* in a grading when its
    ``tier`` is not ``<NA>``.

    **Transition matrix.**  ``transitions[r, c]`` counts customers whose previous state is
    ``r`` and current state is ``c``.  States are the tiers (``"0"`` = 特级 … best first),
    ``"ungraded"`` (present but without a tier), ``"new"`` (row: only in the current
    grading) and ``"departed"`` (column: only in the previous grading).  Every customer of
    either grading is counted exactly once.  ``transition_shares`` divides each row by its
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
    >>> cmp.transitions.columns.tolist()
    ['0', '1', 'ungraded', 'departed']
    >>> cmp.transitions.loc[["0", "1", "new"], ["0", "1", "departed"]].to_numpy().tolist()
    [[0, 1, 0], [1, 0, 1], [0, 1, 0]]
    >>> cmp.movers["direction"].to_dict()
    {'a': 'down', 'b': 'up'}
    >>> cmp.new.index.tolist(), cmp.departed.index.tolist()
    (['d'], ['c'])
    """
    prev = grading_table(previous, name="previous grading")
    cur = grading_table(current, name="current grading")
    if labels is None:
        labels = (_source_label(previous, "previous"), _source_label(current, "current"))
        if labels[0] == labels[1]:
            labels = (f"{labels[0]} (previous)", f"{labels[1]} (current)")
    levels = _tier_levels(prev, cur)
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
    tiers = [str(t) for t in levels]
    transitions = pd.DataFrame(
        counts,
        index=pd.Index([*tiers, UNGRADED, NEW], name="previous"),
        columns=pd.Index([*tiers, UNGRADED, DEPARTED], name="current"),
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
        tier_names={t: zh for t, (zh, _) in _tier_labels(prev, cur).items() if t in levels},
    )


# --------------------------------------------------------------------------- history


def save_snapshot(
    grading: Any,
    history_dir: str | Path,
    label: str | None = None,
    *,
    overwrite: bool = False,
) -> Path:
    """Keep a grading as the dated snapshot ``history_dir/<label>/``.

    The snapshot holds the files of a saved grading (:data:`GRADING_FILES`: the required
    ``grades.parquet``, and ``manifest.json``, ``scheme.json``, ``checks.json``,
    ``summary.txt`` where present; the CLI's ``grades.csv`` copy is not kept).  It is
    written to a temporary folder inside ``history_dir`` first and then renamed, so a
    failed write leaves no half snapshot.

    Parameters
    ----------
    grading : str, Path, Grading or pandas.DataFrame
        A saved grading folder (as written by ``Grading.save`` or ``custvalue grade
        --out``), a ``Grading`` (saved with its ``save`` method), or a bare grading table
        (written as ``grades.parquet`` alone).
    history_dir : str or Path
        The history folder; created if needed.
    label : str, optional
        Sub-folder name.  Default: the end of the grading window in the manifest
        (``YYYY-MM``, e.g. ``2024-12``), else the manifest's creation date
        (``YYYY-MM-DD``), else today's date (UTC).  Letters, digits, ``.``, ``_``, ``-``.
    overwrite : bool, default False
        Replace an existing snapshot of the same label instead of raising.

    Returns
    -------
    Path
        The snapshot folder.

    Raises
    ------
    SnapshotError
        Bad label, or the snapshot exists and ``overwrite`` is False.
    UnsupportedInputError
        The folder holds no ``grades.parquet``, or ``grading`` cannot be saved.

    Examples
    --------
    >>> import tempfile
    >>> table = pd.DataFrame({"tier": [0, 1]}, index=pd.Index(["a", "b"], name="customer_id"))
    >>> with tempfile.TemporaryDirectory() as d:
    ...     path = save_snapshot(table, d, label="2024-12")
    ...     print(path.name, list_snapshots(d)["label"].tolist())
    2024-12 ['2024-12']
    """
    history = Path(history_dir)
    if isinstance(grading, str | Path):
        folder = Path(grading)
        if not (folder / "grades.parquet").is_file():
            raise UnsupportedInputError(
                "grading", None, f"no saved grading at {folder} (grades.parquet not found)",
                fix="give a folder written by Grading.save or `custvalue grade --out`",
            )
        default = _manifest_label(_read_manifest(folder))
    elif isinstance(grading, pd.DataFrame) or hasattr(grading, "save"):
        default = _manifest_label(getattr(grading, "manifest", None))
    else:
        raise UnsupportedInputError(
            "grading", None, f"cannot save {type(grading).__name__} as a snapshot",
            fix="give a saved grading folder, a Grading or a grading table",
        )
    label = label or default or datetime.now(UTC).strftime("%Y-%m-%d")
    if not _LABEL_PATTERN.match(label):
        raise SnapshotError(
            f"snapshot label {label!r}: use letters, digits, '.', '_' and '-' "
            "(e.g. 2024-12)"
        )
    target = history / label
    if target.exists() and not overwrite:
        raise SnapshotError(
            f"snapshot {target} exists; choose another label or pass overwrite=True"
        )
    history.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{label}.", dir=history))
    staged = tmp / "snapshot"
    try:
        if isinstance(grading, str | Path):
            staged.mkdir()
            for name in GRADING_FILES:
                if (Path(grading) / name).is_file():
                    shutil.copy2(Path(grading) / name, staged / name)
        elif isinstance(grading, pd.DataFrame):
            staged.mkdir()
            grading_table(grading).to_parquet(staged / "grades.parquet")
        else:
            grading.save(staged)
        if target.exists():
            shutil.rmtree(target)
        staged.rename(target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def list_snapshots(history_dir: str | Path) -> pd.DataFrame:
    """The snapshots in a history folder, oldest label first.

    A snapshot is a sub-folder holding ``grades.parquet`` (hidden folders are skipped).

    Parameters
    ----------
    history_dir : str or Path
        The history folder (a missing folder has no snapshots).

    Returns
    -------
    pandas.DataFrame
        Columns ``label``, ``path``, ``window_end`` (``YYYY-MM`` or None), ``created_at``
        (as in the manifest, or None) and ``customers`` (rows of ``grades.parquet``),
        sorted by ``label``.

    Examples
    --------
    >>> list_snapshots("no/such/folder").columns.tolist()
    ['label', 'path', 'window_end', 'created_at', 'customers']
    """
    import pyarrow.parquet as pq

    history = Path(history_dir)
    rows = []
    folders = sorted(history.iterdir()) if history.is_dir() else []
    for folder in folders:  # a loop over snapshots
        grades = folder / "grades.parquet"
        if folder.name.startswith(".") or not grades.is_file():
            continue
        manifest = _read_manifest(folder)
        rows.append({
            "label": folder.name,
            "path": folder,
            "window_end": _window_end(manifest.get("window")),
            "created_at": manifest.get("created_at"),
            "customers": pq.ParquetFile(grades).metadata.num_rows,
        })
    columns = ["label", "path", "window_end", "created_at", "customers"]
    return pd.DataFrame(rows, columns=columns)
