"""One result protocol for every result object: dict, frame, text, HTML, JSON, save.

Learned from scikit-criteria's ``Result``: the display is defined once and routed to the
notebook (``_repr_html_``) and the terminal (``str``), so every result looks alike.  A
result class implements :meth:`Result.to_dict` (plain, JSON-serialisable data) and
:meth:`Result.to_frame` (its main table); text, HTML, JSON and ``save`` come from here and
may be refined.

Examples
--------
>>> from dataclasses import dataclass
>>> @dataclass(repr=False)
... class Tally(Result):
...     n: int
...     def to_dict(self): return {"n": self.n}
...     def to_frame(self): return pd.DataFrame({"n": [self.n]})
>>> Tally(3).to_json()
'{\\n  "n": 3\\n}'
>>> "<table" in Tally(3)._repr_html_()
True
"""

from __future__ import annotations

import html
import json
import math
import os
import tempfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["Result", "jsonable", "write_atomic"]


def jsonable(value: Any) -> Any:
    """``value`` as plain JSON data: numpy and pandas scalars unwrapped, NaN and NA as None.

    Examples
    --------
    >>> jsonable({"a": np.int64(2), "b": [np.nan, pd.NA], 3: (1.5,)})
    {'a': 2, 'b': [None, None], '3': [1.5]}
    """
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if isinstance(value, pd.DataFrame):
        return jsonable(value.reset_index().to_dict(orient="records"))
    if isinstance(value, pd.Series):
        return jsonable(value.to_dict())
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, datetime | date | pd.Timestamp):
        return value.isoformat()
    if isinstance(value, bool | int | float | str):
        return value
    return str(value)


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename (never half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class Result:
    """Mixin of every result: ``to_dict``, ``to_frame``, ``to_text``, ``to_html``, ``save``.

    Subclasses implement :meth:`to_dict` and :meth:`to_frame` and usually :meth:`headline`;
    the rest follows.
    """

    def to_dict(self) -> dict[str, Any]:
        """The result as plain, JSON-serialisable data."""
        raise NotImplementedError

    def to_frame(self) -> pd.DataFrame:
        """The result's main table."""
        raise NotImplementedError

    def headline(self) -> str:
        """One line naming the result (the first line of the text and HTML display)."""
        return f"<{type(self).__name__}>"

    def to_text(self) -> str:
        """Plain-text display: the headline and the main table."""
        return f"{self.headline()}\n{self.to_frame().to_string()}"

    def to_html(self) -> str:
        """HTML display (what a notebook shows): the headline and the main table."""
        return (f"<div><p><b>{html.escape(self.headline())}</b></p>"
                f"{self.to_frame().to_html(na_rep='')}</div>")

    def to_json(self, indent: int | None = 2) -> str:
        """:meth:`to_dict` as JSON text (UTF-8, non-ASCII kept)."""
        return json.dumps(jsonable(self.to_dict()), indent=indent, ensure_ascii=False)

    def save(self, path: str | Path) -> Path:
        """Write :meth:`to_json` to ``path`` (a ``.json`` file) atomically; returns the path."""
        out = Path(path)
        write_atomic(out, (self.to_json() + "\n").encode("utf-8"))
        return out

    def __str__(self) -> str:
        return self.to_text()

    def _repr_html_(self) -> str:
        return self.to_html()
