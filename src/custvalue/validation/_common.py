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
    from custvalue.scoring.scheme import Scheme

__all__ = ["check_grading", "check_table", "graded_frame", "graded_rows", "load_grading"]


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
