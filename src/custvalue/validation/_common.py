"""Helpers shared by the clustering check and the robustness analysis (public inside
:mod:`custvalue.validation`).

A grading reaches validation as a :class:`~custvalue.grading.Grading` (or a saved folder):
:func:`graded_frame` is the one place that picks its graded rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from custvalue.errors import InputError, InvalidValueError, MissingColumnError

__all__ = ["check_grading", "graded_frame", "graded_rows"]


def graded_rows(table: pd.DataFrame) -> np.ndarray:
    if "graded" in table.columns:
        graded = table["graded"].fillna(False).to_numpy(dtype=bool)
    else:
        graded = table["score"].notna().to_numpy()
    return graded & table["score"].notna().to_numpy() & table["tier"].notna().to_numpy()


def check_grading(grading: Any) -> tuple[pd.DataFrame, Any]:
    table = getattr(grading, "table", None)
    scheme = getattr(grading, "scheme", None)
    if not isinstance(table, pd.DataFrame) or scheme is None:
        raise InputError("grading", None, "expected a Grading (an object with .table and "
                         f".scheme), got {type(grading).__name__}",
                         fix="pass the result of custvalue.grade or Grading.load")
    for col in ("score", "tier"):
        if col not in table.columns:
            raise MissingColumnError("grading", col, f"the grading table has no '{col}' column")
    if not table.index.is_unique:
        dup = table.index[table.index.duplicated()][:5]
        raise InvalidValueError("grading", "customer_id", "customer ids are not unique",
                                examples=[{"customer_id": c} for c in dup])
    return table, scheme


def graded_frame(grading: Any, columns: Sequence[str] = ()) -> tuple[pd.DataFrame, Any]:
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
