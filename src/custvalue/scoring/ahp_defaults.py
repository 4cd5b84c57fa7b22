"""The AHP judgments behind the default scheme's weights, and the AHP run on them.

``default_judgments.toml`` (shipped with the package) holds, for the dimensions and for the
indicators of each dimension, the pairwise judgments on Saaty's 1–9 scale with a reason for
each; :func:`ahp_default_weights` turns them into weights with
:func:`custvalue.scoring.weights.ahp`.  The default scheme's weights are these at full
precision; see ``docs/weights.md``.

**Judgments at every level of a three-level tree.**  A judgments file has one matrix per
parent, named by its path: ``dimensions`` (the dimensions), ``<dimension>`` (the secondary
indicators of a three-level dimension, or the indicators of a two-level one) and
``<dimension>.<secondary>`` (the indicators inside one secondary indicator).  A three-level
dimension may instead be judged at the indicator level alone (``<dimension>`` comparing its
indicators, as the default does): the secondary weights are then the sums of their
indicators' AHP weights (因素组合法).  :func:`tree_weights` turns the AHP results into the
arguments of :meth:`~custvalue.scoring.Scheme.with_weights`; :func:`judged_weights` pairs
every weight of a scheme with the AHP weight that judges it (``custvalue scheme check``).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd

from custvalue.scoring.scheme import Scheme
from custvalue.scoring.weights import AHPResult, ahp

__all__ = ["ahp_default_weights", "default_judgments", "judged_weights", "judgment_matrix",
           "tree_weights"]

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


def _series(derived: Mapping[str, Any], key: str) -> pd.Series | None:
    found = derived.get(key)
    if found is None:
        return None
    weights = getattr(found, "weights", found)  # an AHPResult or its weights
    return pd.Series(weights, dtype=float)


def judged_weights(scheme: Scheme, derived: Mapping[str, Any]
                   ) -> dict[str, tuple[float, float | None]]:
    """Every weight of ``scheme`` next to the AHP weight that judges it.

    Parameters
    ----------
    scheme : Scheme
    derived : mapping of str to AHPResult or pandas.Series
        AHP results (or their weights) by matrix name, as :func:`ahp_default_weights`
        returns them: ``dimensions``, ``<dimension>``, ``<dimension>.<secondary>``.

    Returns
    -------
    dict of str to (float, float or None)
        By dotted label (``compliance``, ``compliance.bill_payment``,
        ``compliance.bill_payment.days_late``, or ``compliance.pf_compliance`` for an
        indicator judged inside its dimension): ``(scheme weight, AHP weight)``, the AHP
        weight None when no matrix judges it.  A dimension judged at the indicator level
        compares the indicators' weights inside the dimension (secondary × own); a
        secondary indicator with one indicator needs no matrix (its weight inside is 1).

    Examples
    --------
    >>> pairs = judged_weights(Scheme.default(), ahp_default_weights())
    >>> weight, target = pairs["compliance.days_late"]
    >>> abs(weight - target) < 1e-12
    True
    """
    out: dict[str, tuple[float, float | None]] = {}

    def put(label: str, weight: float, series: pd.Series | None, key: str) -> None:
        value = None if series is None or key not in series.index else float(series[key])
        out[label] = (float(weight), value)

    dims = _series(derived, "dimensions")
    for dname, dim in scheme.dimensions.items():
        put(dname, dim.weight, dims, dname)
        inside = _series(derived, dname)
        if not dim.secondary:
            for iname, ind in dim.indicators.items():
                put(f"{dname}.{iname}", ind.weight, inside, iname)
            continue
        by_leaf = inside is not None and set(inside.index) <= set(dim.leaves)
        if by_leaf:
            for iname, weight in dim.leaf_weights.items():
                put(f"{dname}.{iname}", weight, inside, iname)
        for gname, group in dim.secondary.items():
            if not by_leaf:
                put(f"{dname}.{gname}", group.weight, inside, gname)
            matrix = _series(derived, f"{dname}.{gname}")
            if matrix is None and (by_leaf or len(group.indicators) == 1):
                continue  # judged at the indicator level, or nothing to judge
            for iname, ind in group.indicators.items():
                put(f"{dname}.{gname}.{iname}", ind.weight, matrix, iname)
    return out


def tree_weights(derived: Mapping[str, Any], scheme: Scheme) -> dict[str, dict[str, float]]:
    """The AHP weights of every level as :meth:`Scheme.with_weights` arguments.

    Parameters
    ----------
    derived : mapping of str to AHPResult or pandas.Series
        By matrix name (``dimensions``, ``<dimension>``, ``<dimension>.<secondary>``).
    scheme : Scheme
        The tree the matrices refer to.

    Returns
    -------
    dict
        ``{"dimensions": ..., "secondary": ..., "indicators": ...}``: weights inside the
        parent at each level (a dimension judged at the indicator level gets secondary
        weights summed from its indicators' AHP weights, and indicator weights divided by
        their secondary's sum).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> s = Scheme.from_dict({"dimensions": {
    ...     "a": {"weight": 0.5, "secondary": {
    ...         "g": {"weight": 0.5, "indicators": {"x": {"weight": 0.5}, "y": {"weight": 0.5}}},
    ...         "h": {"weight": 0.5, "indicators": {"z": {"weight": 1.0}}}}},
    ...     "b": {"weight": 0.5, "indicators": {"u": {"weight": 1.0}}}}})
    >>> m = lambda items, pairs: ahp(judgment_matrix({"items": items, "judgments": [
    ...     {"a": a, "b": b, "value": v} for a, b, v in pairs]}))
    >>> res = {"dimensions": m(["a", "b"], [("a", "b", 3)]),
    ...        "a": m(["g", "h"], [("g", "h", 4)]), "a.g": m(["x", "y"], [("x", "y", 2)])}
    >>> w = tree_weights(res, s)
    >>> {k: {n: round(v, 4) for n, v in d.items()} for k, d in w.items()}
    {'dimensions': {'a': 0.75, 'b': 0.25}, 'secondary': {'g': 0.8, 'h': 0.2}, \
'indicators': {'x': 0.6667, 'y': 0.3333}}
    >>> round(float(s.with_weights(**w).weight_tree().leaf_weights()[0]), 4)  # .75 × .8 × 2/3
    0.4
    """
    dims = _series(derived, "dimensions")
    out: dict[str, dict[str, float]] = {
        "dimensions": {} if dims is None else {str(k): float(v) for k, v in dims.items()},
        "secondary": {}, "indicators": {}}
    for dname, dim in scheme.dimensions.items():
        inside = _series(derived, dname)
        if not dim.secondary:
            if inside is not None:
                out["indicators"].update({str(k): float(v) for k, v in inside.items()})
            continue
        if inside is not None and set(inside.index) <= set(dim.leaves):
            for gname, group in dim.secondary.items():
                total = float(inside.reindex(list(group.indicators)).fillna(0.0).sum())
                out["secondary"][gname] = total
                for iname in group.indicators:
                    share = float(inside.get(iname, 0.0))
                    out["indicators"][iname] = share / total if total > 0 else (
                        1.0 / len(group.indicators))
            continue
        if inside is not None:
            out["secondary"].update({str(k): float(v) for k, v in inside.items()})
        for gname in dim.secondary:
            matrix = _series(derived, f"{dname}.{gname}")
            if matrix is not None:
                out["indicators"].update({str(k): float(v) for k, v in matrix.items()})
    return out
