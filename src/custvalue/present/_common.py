"""Helpers shared by the plots and the report (public inside :mod:`custvalue.present`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from custvalue.errors import UnsupportedInputError

__all__ = ["frame_of"]


def frame_of(obj: Any, attrs: Sequence[str], what: str) -> pd.DataFrame:
    """The DataFrame itself, or the first DataFrame attribute of ``obj`` among ``attrs``."""
    if isinstance(obj, pd.DataFrame):
        return obj
    for name in attrs:
        value = getattr(obj, name, None)
        if callable(value) and not isinstance(value, pd.DataFrame):
            continue
        if isinstance(value, pd.DataFrame):
            return value
    raise UnsupportedInputError(
        what, None, f"expected a pandas DataFrame or an object with one of the attributes "
        f"{', '.join(attrs)}; got {type(obj).__name__}")
