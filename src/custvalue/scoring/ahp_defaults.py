"""The AHP judgments behind the default scheme's weights, and the AHP run on them.

``default_judgments.toml`` (shipped with the package) holds, for the dimensions and for the
indicators of each dimension, the pairwise judgments on Saaty's 1–9 scale with a reason for
each; :func:`ahp_default_weights` turns them into weights with
:func:`custvalue.scoring.weights.ahp`.  The default scheme's weights are these, rounded; see
``docs/weights.md``.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd

from custvalue.scoring.weights import AHPResult, ahp

__all__ = ["ahp_default_weights", "default_judgments", "judgment_matrix"]

_PACKAGE = "custvalue.scoring"
_DEFAULT_JUDGMENTS = "default_judgments.toml"


def default_judgments() -> dict[str, Any]:
    """The AHP pairwise judgments behind the default weights (``default_judgments.toml``).

    Returns
    -------
    dict
        One entry per comparison matrix: ``"dimensions"`` and each dimension's name.  Each
        entry has ``items`` (the compared names, in order) and ``judgments``, a list of
        ``{a, b, value, why}``: ``a`` is ``value`` times as important as ``b`` on Saaty's
        1–9 scale.

    Examples
    --------
    >>> j = default_judgments()
    >>> list(j)
    ['dimensions', 'contribution', 'compliance', 'cooperation']
    >>> j["dimensions"]["judgments"][0]["a"], j["dimensions"]["judgments"][0]["value"]
    ('contribution', 2)
    """
    text = resources.files(_PACKAGE).joinpath(_DEFAULT_JUDGMENTS).read_text(encoding="utf-8")
    return tomllib.loads(text)


def ahp_default_weights(judgments: Mapping[str, Any] | None = None, *,
                        allow_inconsistent: bool = False) -> dict[str, AHPResult]:
    """Run AHP (eigenvector method) on each judgment matrix; return the AHP results by name.

    Uses :func:`custvalue.scoring.weights.ahp` on a reciprocal matrix built from the
    judgments (unlisted pairs are 1, the diagonal is 1).

    Parameters
    ----------
    judgments : mapping, optional
        As returned by :func:`default_judgments` (the default).
    allow_inconsistent : bool, default False
        Return the results of matrices with CR > 0.10 instead of raising (to report all).

    Returns
    -------
    dict of str to AHPResult
        ``"dimensions"`` and one entry per dimension, each with ``.weights`` (pd.Series),
        ``.lambda_max``, ``.ci`` and ``.cr``.

    Examples
    --------
    >>> res = ahp_default_weights()
    >>> round(float(res["dimensions"].weights["contribution"]), 4)
    0.5816
    >>> all(r.cr <= 0.10 for r in res.values())
    True
    """
    judgments = default_judgments() if judgments is None else judgments
    return {name: ahp(judgment_matrix(entry), allow_inconsistent=allow_inconsistent)
            for name, entry in judgments.items()}


def judgment_matrix(entry: Mapping[str, Any]) -> pd.DataFrame:
    """The reciprocal pairwise comparison matrix (a DataFrame) of one judgment entry.

    Examples
    --------
    >>> m = judgment_matrix({"items": ["a", "b"],
    ...                      "judgments": [{"a": "a", "b": "b", "value": 3}]})
    >>> m.loc["b", "a"]
    np.float64(0.3333333333333333)
    """
    items = list(entry["items"])
    m = pd.DataFrame(np.ones((len(items), len(items))), index=items, columns=items)
    for j in entry.get("judgments", ()):
        m.loc[j["a"], j["b"]] = float(j["value"])
        m.loc[j["b"], j["a"]] = 1.0 / float(j["value"])
    return m
