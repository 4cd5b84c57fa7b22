"""Objective weights of a scheme's indicators, computed from a grading's normalised values.

:func:`objective_weights` runs entropy, CRITIC or standard-deviation weighting at every level
of the scheme's tree, each time among the children of one parent:

* **indicators** inside their parent (the dimension of a two-level dimension, the secondary
  indicator of a three-level one), on the graded customers' ``norm__*`` columns (already
  oriented so that 1 is the good end, so every criterion is a benefit criterion);
* **secondary indicators** inside their dimension, on their sub-scores: the weighted mean of
  their indicators' (filled) normalised values with the *scheme's* weights inside the
  secondary indicator — the same weights the ``dim__*`` scores are made with;
* **dimensions** on the ``dim__*`` scores.

The result plugs into :meth:`Scheme.with_weights` directly (``dimensions=``,
``secondary=``, ``indicators=``), alone or mixed level by level with the scheme's own (e.g.
AHP) weights: :meth:`ObjectiveWeights.mix` mixes the indicators' weights inside their
parent, :meth:`ObjectiveWeights.mix_secondary` the secondary weights.  A common choice keeps
the subjective weights at the upper levels (dimensions and secondary indicators, where the
judgment is about policy) and lets the data weigh the indicators inside a secondary
indicator (where they measure one thing); the effective weight of an indicator is then
AHP dimension × AHP secondary × objective (or mixed) indicator weight.

Missing normalised values (no plan, no reactive metering, no audit …) must be filled before
any of the three methods can run; ``impute`` says how, and the share filled per indicator is
returned so that a weight resting on imputed values is visible.

Examples
--------
>>> import custvalue
>>> from custvalue.scoring.objective import objective_weights
>>> t = custvalue.samples.generate(300, months=36, seed=4)
>>> g = custvalue.grade(**t, duplicates="last", negative_energy="allow")
>>> w = objective_weights(g, method="critic")
>>> round(float(w.dimensions.sum()), 12)
1.0
>>> w.indicators.groupby(w.parent_of).sum().round(12).eq(1.0).all()
np.True_
>>> w.secondary.groupby(w.secondary_dimension).sum().round(12).tolist()
[1.0, 1.0, 1.0]
>>> mixed = g.scheme.with_weights(indicators=w.mix(g.scheme, 0.5), name="ahp_critic")
>>> mixed.name
'ahp_critic'
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from custvalue.errors import MissingColumnError, SchemeError
from custvalue.grading import DIM_PREFIX, GradingLike, as_grading
from custvalue.scoring.scheme import Scheme
from custvalue.scoring.weights import critic_weights, entropy_weights, std_weights

__all__ = ["ObjectiveWeights", "objective_weights"]

Method = Literal["entropy", "critic", "std"]
Impute = Literal["median", "neutral", "worst"]

_METHODS: dict[str, Callable[[pd.DataFrame], Any]] = {
    "entropy": entropy_weights, "critic": critic_weights, "std": std_weights}
#: Value given to a missing normalised value by each ``impute`` rule (median: per column).
_FILL = {"neutral": 0.5, "worst": 0.0}


@dataclass(frozen=True)
class ObjectiveWeights:
    """Objective weights of a scheme, as :meth:`Scheme.with_weights` takes them.

    Attributes
    ----------
    method, impute : str
        The weighting method and the rule used for missing normalised values.
    dimensions : pandas.Series
        Weight of each dimension (from the ``dim__*`` scores), summing to 1.
    indicators : pandas.Series
        Within-dimension weight of each indicator (sums to 1 in each dimension).
    imputed_share : pandas.Series
        Share of graded customers whose normalised value of the indicator was imputed.
    dimension_of : pandas.Series
        Dimension of each indicator (for grouping).
    secondary : pandas.Series
        Weight of each secondary indicator inside its dimension (sums to 1 in each
        three-level dimension; empty for a two-level scheme).
    parent_of : pandas.Series
        The parent each indicator's weight sums to 1 under: its secondary indicator, or its
        dimension in a two-level dimension.
    secondary_dimension : pandas.Series
        Dimension of each secondary indicator.
    """

    method: str
    impute: str
    dimensions: pd.Series
    indicators: pd.Series
    imputed_share: pd.Series
    dimension_of: pd.Series
    secondary: pd.Series = field(default_factory=lambda: pd.Series(dtype=float,
                                                                   name="weight"))
    parent_of: pd.Series = field(default_factory=lambda: pd.Series(dtype=object))
    secondary_dimension: pd.Series = field(default_factory=lambda: pd.Series(dtype=object))

    def mix(self, scheme: Scheme, alpha: float = 0.5) -> pd.Series:
        """Within-dimension weights ``alpha × scheme's + (1 − alpha) × objective``.

        The weights are inside each indicator's parent (its dimension, or its secondary
        indicator in a three-level dimension).  The linear mix of two weight vectors that
        each sum to 1 under a parent sums to 1 there too, so the result goes straight into
        ``scheme.with_weights(indicators=...)``.
        """
        if not 0.0 <= alpha <= 1.0:
            raise SchemeError("alpha", f"must be in [0, 1], got {alpha!r}")
        own = pd.Series({name: ind.weight for _, name, ind in scheme.iter_indicators()})
        mixed = alpha * own.reindex(self.indicators.index) + (1 - alpha) * self.indicators
        return mixed.rename("weight")

    def mix_secondary(self, scheme: Scheme, alpha: float = 0.5) -> pd.Series:
        """Secondary weights ``alpha × scheme's + (1 − alpha) × objective`` (inside dimensions).

        Goes straight into ``scheme.with_weights(secondary=...)``; empty for a two-level
        scheme.
        """
        if not 0.0 <= alpha <= 1.0:
            raise SchemeError("alpha", f"must be in [0, 1], got {alpha!r}")
        own = pd.Series({name: g.weight for _, name, g in scheme.iter_secondary()},
                        dtype=float)
        mixed = alpha * own.reindex(self.secondary.index) + (1 - alpha) * self.secondary
        return mixed.rename("weight")


def objective_weights(
    source: GradingLike,
    scheme: Scheme | None = None,
    method: Method = "entropy",
    *,
    impute: Impute = "median",
) -> ObjectiveWeights:
    """Entropy, CRITIC or std weights of a scheme's indicators from a grading.

    Parameters
    ----------
    source : Grading, pandas.DataFrame, str or Path
        A grading or its saved folder (its table and scheme, read by
        :func:`custvalue.grading.as_grading`), or a grading table with ``norm__*``,
        ``dim__*`` and ``graded`` columns (then ``scheme`` is required).
    scheme : Scheme, optional
        The indicator tree (default: the grading's scheme).
    method : {"entropy", "critic", "std"}
        :func:`~custvalue.scoring.weights.entropy_weights`,
        :func:`~custvalue.scoring.weights.critic_weights` or
        :func:`~custvalue.scoring.weights.std_weights`.
    impute : {"median", "neutral", "worst"}
        Fill for missing normalised values: the column's median over the customers who have
        it, 0.5, or 0.  An indicator nobody has is filled with 0.5 (a constant column: it
        gets weight 0).

    Returns
    -------
    ObjectiveWeights

    Raises
    ------
    MissingColumnError
        The table lacks a ``norm__*`` or ``dim__*`` column of the scheme.
    SchemeError
        Unknown ``method`` or ``impute``.
    """
    if method not in _METHODS:
        raise SchemeError("method", f"must be one of {', '.join(_METHODS)}, got {method!r}")
    if impute not in ("median", "neutral", "worst"):
        raise SchemeError("impute", f"must be median, neutral or worst, got {impute!r}")
    if isinstance(source, pd.DataFrame):  # a bare table: only the norm/dim columns are used
        if scheme is None:
            raise SchemeError("scheme", "give a scheme (a bare table does not carry one)")
        table = source
    else:
        grading = as_grading(source, scheme)
        table, scheme = grading.table, grading.scheme
    graded = table[table["graded"].astype(bool)] if "graded" in table.columns else table
    weigh = _METHODS[method]

    indicator_weights: list[pd.Series] = []
    secondary_weights: list[pd.Series] = []
    imputed: dict[str, float] = {}
    dimension_of: dict[str, str] = {}
    parent_of: dict[str, str] = {}
    secondary_dimension: dict[str, str] = {}

    def weigh_children(names: list[str], matrix: pd.DataFrame) -> pd.Series:
        w = weigh(matrix) if len(names) > 1 else [1.0]
        return pd.Series(np.asarray(w, dtype=float), index=names)

    for dim_name, dim in scheme.dimensions.items():  # a loop over the tree's parents
        if not dim.secondary:
            names = list(dim.indicators)
            matrix = _norm_matrix(graded, names)
            imputed.update(matrix.isna().mean().rename(lambda c: c.removeprefix("norm__")))
            indicator_weights.append(weigh_children(names, _fill(matrix, impute)))
            dimension_of.update(dict.fromkeys(names, dim_name))
            parent_of.update(dict.fromkeys(names, dim_name))
            continue
        subscores = {}
        for group_name, group in dim.secondary.items():
            names = list(group.indicators)
            matrix = _norm_matrix(graded, names)
            imputed.update(matrix.isna().mean().rename(lambda c: c.removeprefix("norm__")))
            filled = _fill(matrix, impute)
            indicator_weights.append(weigh_children(names, filled))
            own = np.array([group.indicators[n].weight for n in names])
            subscores[group_name] = filled.to_numpy() @ own
            dimension_of.update(dict.fromkeys(names, dim_name))
            parent_of.update(dict.fromkeys(names, group_name))
            secondary_dimension[group_name] = dim_name
        groups = list(dim.secondary)
        secondary_weights.append(weigh_children(groups, pd.DataFrame(subscores)))

    dims = list(scheme.dimensions)
    dim_cols = [f"{DIM_PREFIX}{d}" for d in dims]
    missing = [c for c in dim_cols if c not in graded.columns]
    if missing:
        raise MissingColumnError("grading", missing[0], "dimension score column missing",
                                 fix="pass a grading table from custvalue.grade")
    dim_matrix = _fill(graded[dim_cols] / 100.0, impute)
    dim_w = weigh(dim_matrix) if len(dims) > 1 else [1.0]
    return ObjectiveWeights(
        method=method, impute=impute,
        dimensions=pd.Series(np.asarray(dim_w, dtype=float), index=dims, name="weight"),
        indicators=pd.concat(indicator_weights).rename("weight"),
        imputed_share=pd.Series(imputed, name="imputed_share"),
        dimension_of=pd.Series(dimension_of, name="dimension"),
        secondary=(pd.concat(secondary_weights) if secondary_weights
                   else pd.Series(dtype=float)).rename("weight"),
        parent_of=pd.Series(parent_of, name="parent"),
        secondary_dimension=pd.Series(secondary_dimension, dtype=object, name="dimension"),
    )


def _norm_matrix(table: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    cols = [f"norm__{n}" for n in names]
    missing = [c for c in cols if c not in table.columns]
    if missing:
        raise MissingColumnError("grading", missing[0], "normalised indicator column missing",
                                 fix="pass a grading table from custvalue.grade")
    return table[cols].astype(float)


def _fill(matrix: pd.DataFrame, impute: str) -> pd.DataFrame:
    if impute == "median":
        fill = matrix.median().fillna(0.5)  # nobody has it: a constant column, weight 0
        return matrix.fillna(fill)
    return matrix.fillna(_FILL[impute])
