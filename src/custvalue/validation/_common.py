"""Helpers shared by the clustering check and the robustness analysis (public inside
:mod:`custvalue.validation`).

A grading reaches validation as anything :func:`custvalue.grading.as_grading` reads (a
:class:`~custvalue.grading.Grading` or its saved folder; a bare table has no scheme and is
refused with an :class:`~custvalue.errors.InputError`): :func:`load_grading` converts and
checks it once, :func:`graded_frame` is the one place that picks its graded rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from custvalue.errors import InvalidValueError, MissingColumnError
from custvalue.grading import Grading, GradingLike, as_grading

if TYPE_CHECKING:
    from custvalue.scoring.scheme import Scheme, WeightTree

__all__ = ["check_grading", "check_table", "dirichlet_kernel", "draw_weights", "graded_frame",
           "graded_rows", "load_grading"]


def dirichlet_kernel(rng: np.random.Generator, base: np.ndarray, concentration: float,
                     draws: int) -> np.ndarray:
    """``(draws, len(base))`` Dirichlet draws with alpha = concentration × base (zeros kept).

    A group with one positive weight keeps it at 1 (and draws nothing from ``rng``).
    """
    out = np.zeros((draws, base.size))
    pos = base > 0
    if pos.sum() == 1:
        out[:, pos] = 1.0
    elif pos.any():
        out[:, pos] = rng.dirichlet(concentration * base[pos], size=draws)
    return out


def draw_weights(tree: WeightTree, rng: np.random.Generator, concentration: float,
                 draws: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weight draws at every level of a scheme's tree, the rule of the robustness analyses.

    The dimension weights are drawn first (``Dir(c v)``), then dimension by dimension the
    weights of its groups (secondary indicators, ``Dir(c u_d)``) and, group by group, the
    weights of the indicators inside each (``Dir(c w_g)``).  A two-level dimension's
    indicators are each an implicit group of one (see
    :class:`custvalue.scoring.WeightTree`), so it draws exactly what it drew before the
    tree had three levels: the same numbers for the same seed.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray, numpy.ndarray)
        Indicator weights inside their dimension ``(draws, I)`` (what the aggregation
        takes), dimension weights ``(draws, D)`` and group weights ``(draws, S)``.
    """
    v = dirichlet_kernel(rng, tree.dim_weights, concentration, draws)
    u = np.zeros((draws, tree.group_weights.size))
    w = np.zeros((draws, tree.indicator_weights.size))
    for d in range(tree.dim_weights.size):  # a loop over the tree's parents
        groups = np.flatnonzero(tree.group_dim == d)
        u[:, groups] = dirichlet_kernel(rng, tree.group_weights[groups], concentration, draws)
        for g in groups:
            idx = np.flatnonzero(tree.group_of == g)
            w[:, idx] = dirichlet_kernel(rng, tree.indicator_weights[idx], concentration,
                                         draws)
    return tree.effective(u, w), v, u


def graded_rows(table: pd.DataFrame) -> np.ndarray:
    if "graded" in table.columns:
        graded = table["graded"].fillna(False).to_numpy(dtype=bool)
    else:
        graded = table["score"].notna().to_numpy()
    return graded & table["score"].notna().to_numpy() & table["tier"].notna().to_numpy()


def load_grading(grading: GradingLike) -> Grading:
    """The grading as a :class:`Grading` (via ``as_grading``), its table checked.

    Raises
    ------
    InputError
        Not a grading (a bare table has no scheme), no ``score``/``tier`` column, or
        duplicate customer ids.
    """
    g = grading if isinstance(grading, Grading) else as_grading(grading)
    check_table(g.table)
    return g


def check_grading(grading: GradingLike) -> tuple[pd.DataFrame, Scheme]:
    """The table and scheme of a grading (see :func:`load_grading`)."""
    g = load_grading(grading)
    return g.table, g.scheme


def check_table(table: pd.DataFrame) -> None:
    for col in ("score", "tier"):
        if col not in table.columns:
            raise MissingColumnError("grading", col, f"the grading table has no '{col}' column")
    if not table.index.is_unique:
        dup = table.index[table.index.duplicated()][:5]
        raise InvalidValueError("grading", "customer_id", "customer ids are not unique",
                                examples=[{"customer_id": c} for c in dup])


def graded_frame(grading: GradingLike,
                 columns: Sequence[str] = ()) -> tuple[pd.DataFrame, Scheme]:
    """The graded rows of a grading's table, sorted by ``customer_id``, and its scheme.

    Only ``score``, ``tier`` and ``columns`` are kept.  Shared by the validation functions
    (not exported from the package).
    """
    table, scheme = check_grading(grading)
    keep = list(dict.fromkeys(["score", "tier", *columns]))
    rows = table.loc[graded_rows(table), keep]
    if not pd.api.types.is_string_dtype(rows.index):
        rows = rows.set_axis(rows.index.astype(str))
    if not rows.index.is_monotonic_increasing:
        rows = rows.sort_index(kind="stable")
    return rows, scheme
