"""The grading scheme: dimensions, indicators, weights, tiers and ABC settings as typed data.

This module is long because a scheme is one typed tree (text, normalisation, indicator,
dimension, tiers, ABC, aggregation, scheme) whose validators must see each other to name the
dotted path of a bad entry; most of the lines are field documentation.

A :class:`Scheme` is a tree of up to three levels, as the seed's article describes it
(每个维度之下有若干二级指标和三级指标).  Each **dimension** (客户用电贡献, 客户用电规范性,
客户合作 in the default) has a weight and holds either **indicators** directly (a two-level
dimension) or **secondary indicators** (:class:`Secondary`, 二级指标 such as 电费缴纳情况)
that hold the indicators (a three-level dimension).  Each indicator names its source
``column`` in the indicator frame, its ``direction`` (benefit, cost, or target with an
``ideal`` value), how it is normalised to [0, 1], its weight inside its parent and what to do
when a customer's value is missing.  The effective weight of an indicator is the product of
the weights down the tree (dimension × secondary × indicator); :meth:`Scheme.weight_tree`
has them as arrays.  The scheme also carries the tier quotas, the ABC settings and the
aggregation method, so that one file fixes a grading completely.

**How a secondary indicator takes part in the score.**  It is a level of weights and of
reporting: the aggregation sees each indicator with its effective weight inside the
dimension, so a missing indicator's weight is re-spread over the customer's available
indicators of the whole dimension in proportion to their effective weights (a secondary
indicator none of whose indicators is available thus passes its weight to the other
secondary indicators in proportion to theirs).  A two-level scheme scores bit for bit as
before, and a tree whose secondary indicators each hold one indicator scores as the
two-level scheme with the secondary weights as indicator weights.

Schemes are frozen pydantic models.  They load from and save to TOML and JSON with an exact
round trip, and every validation problem is raised as :class:`custvalue.errors.SchemeError`
naming the dotted path of the offending entry, for example
``dimensions.compliance.secondary.bill_payment.indicators.days_late.weight``.

The weights under one parent (the dimensions, the secondary indicators or the indicators
of one dimension, the indicators of one secondary indicator) must sum to 1 within
:data:`WEIGHT_TOLERANCE`.  Loading with ``normalise=True`` rescales them instead, records a
note in :attr:`Scheme.notes` and warns with :class:`SchemeWarning`.

Examples
--------
>>> from custvalue.scoring.scheme import Scheme
>>> scheme = Scheme.default()
>>> scheme.dimension_names
('contribution', 'compliance', 'cooperation')
>>> scheme.indicator("pf_compliance").missing
'respread'
>>> scheme.dimensions["compliance"].secondary["bill_payment"].label.zh
'电费缴纳情况'
>>> Scheme.from_toml(scheme.to_toml()) == scheme
True
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import math
import warnings
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

import numpy as np
from pydantic import (
    BaseModel,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from custvalue.config import (
    NAME_PATTERN,
    ConfigModel,
    PathError,
    config_error,
    parse_source,
    to_toml,
)
from custvalue.errors import SchemeError

__all__ = [
    "ABC",
    "NAME_PATTERN",
    "WEIGHT_TOLERANCE",
    "Aggregation",
    "Dimension",
    "Eligibility",
    "Gate",
    "Gates",
    "Importance",
    "Indicator",
    "Normalisation",
    "Scheme",
    "SchemeWarning",
    "Secondary",
    "Text",
    "Tiers",
    "WeightTree",
]

#: Weights under one parent must sum to 1 within this tolerance.
WEIGHT_TOLERANCE = 1e-9

Direction = Literal["benefit", "cost", "target"]
Method = Literal["minmax", "log_minmax", "zscore", "rank", "threshold"]
MissingPolicy = Literal["respread", "neutral", "worst", "ungraded"]
AggregationMethod = Literal["arithmetic", "geometric", "topsis"]
Name = Annotated[str, StringConstraints(pattern=NAME_PATTERN)]

_PACKAGE = "custvalue.scoring"
_DEFAULT_SCHEME = "default_scheme.toml"
_INLINE_KEYS = frozenset({"label", "description", "normalisation", *(
    "min_ari", "max_disagreement", "max_borderline", "max_expected_change", "max_change_10pct")})


class SchemeWarning(UserWarning):
    """A scheme was accepted after an automatic change (e.g. weights rescaled to sum to 1)."""

    code: ClassVar[str] = "scheme_warning"


class Text(ConfigModel):
    """A bilingual text: Chinese (``zh``) and English (``en``).

    Examples
    --------
    >>> Text(zh="用电量", en="electricity consumption").en
    'electricity consumption'
    """

    zh: str = ""
    en: str = ""


class Normalisation(ConfigModel):
    """How an indicator's raw values are mapped onto [0, 1] (before the direction is applied).

    Parameters
    ----------
    method : {'minmax', 'log_minmax', 'zscore', 'rank', 'threshold'}
        ``minmax``: ``(x - min) / (max - min)``; ``log_minmax``: the same on
        ``sign(x) log(1 + |x|)``; ``zscore``: standard normal CDF of ``(x - mean) / std``;
        ``rank``: mid-rank percentile among the fitted customers; ``threshold``: 0 at or below
        ``lower``, 1 at or above ``upper``, linear between (fixed bounds, nothing learned).
    lower, upper : float, optional
        The bounds of ``threshold`` (required there, not allowed for other methods).
    winsorise : (float, float), optional
        Quantiles ``(lo_q, hi_q)`` of the fitted values; values are clipped to them before
        any method is applied.

    Examples
    --------
    >>> Normalisation(method="threshold", lower=0, upper=30).upper
    30.0
    >>> Normalisation(method="threshold", lower=0)
    Traceback (most recent call last):
    ...
    custvalue.errors.SchemeError: upper: method 'threshold' needs both lower and upper
    """

    method: Method = "minmax"
    lower: float | None = None
    upper: float | None = None
    winsorise: tuple[float, float] | None = None

    @model_validator(mode="after")
    def _check(self) -> Normalisation:
        if self.method == "threshold":
            for key in ("lower", "upper"):
                if getattr(self, key) is None:
                    raise PathError(
                        (key,), "method 'threshold' needs both lower and upper"
                    )
            if not self.lower < self.upper:  # type: ignore[operator]
                raise PathError(
                    ("upper",), f"upper ({self.upper}) must be greater than lower ({self.lower})"
                )
        else:
            for key in ("lower", "upper"):
                if getattr(self, key) is not None:
                    raise PathError(
                        (key,), f"{key} is only used by method 'threshold' (got {self.method!r})"
                    )
        if self.winsorise is not None:
            lo, hi = self.winsorise
            if not 0.0 <= lo < hi <= 1.0:
                raise PathError(
                    ("winsorise",),
                    f"winsorise quantiles must satisfy 0 <= lo < hi <= 1 (got {self.winsorise})",
                )
        return self


class Indicator(ConfigModel):
    """One indicator of a dimension.

    Parameters
    ----------
    column : str
        Source column in the indicator frame (defaults to the indicator's name when the
        indicator is read inside a :class:`Dimension`).
    direction : {'benefit', 'cost', 'target'}
        ``benefit``: more is better; ``cost``: less is better; ``target``: closest to
        ``ideal`` is best.
    ideal : float, optional
        The best value of a ``target`` indicator (required there, not allowed otherwise).
    weight : float
        Weight inside the dimension (the indicator weights of a dimension sum to 1).
    missing : {'respread', 'neutral', 'worst', 'ungraded'}
        What a missing value does: ``respread`` re-spreads the indicator's weight over the
        customer's available indicators of the dimension; ``neutral`` scores it 0.5;
        ``worst`` scores it 0; ``ungraded`` leaves the customer without a score.
    normalisation : Normalisation
        How raw values are mapped onto [0, 1].
    actionable : bool, default True
        Whether a customer can change the indicator by its own conduct (paying on time,
        correcting its power factor, avoiding violations).  Improvement plans
        (:mod:`custvalue.analysis.plans`) change only actionable indicators; the default
        scheme marks the consumption indicators (kWh, revenue, growth) not actionable.
    label, description : Text
        Bilingual name and description.

    Examples
    --------
    >>> Indicator(column="days_late", direction="cost", weight=0.1).direction
    'cost'
    >>> Indicator(column="total_kwh", weight=0.3, actionable=False).actionable
    False
    >>> Indicator(column="plan", direction="target", weight=1)
    Traceback (most recent call last):
    ...
    custvalue.errors.SchemeError: ideal: direction 'target' needs an ideal value
    """

    column: Annotated[str, StringConstraints(min_length=1)]
    direction: Direction = "benefit"
    ideal: float | None = None
    weight: float = Field(ge=0.0)
    missing: MissingPolicy = "respread"
    normalisation: Normalisation = Field(default_factory=Normalisation)
    actionable: bool = True
    label: Text = Field(default_factory=Text)
    description: Text = Field(default_factory=Text)

    @model_validator(mode="after")
    def _check(self) -> Indicator:
        if self.direction == "target" and self.ideal is None:
            raise PathError(("ideal",), "direction 'target' needs an ideal value")
        if self.direction != "target" and self.ideal is not None:
            raise PathError(
                ("ideal",), f"ideal is only used with direction 'target' (got {self.direction!r})"
            )
        return self


def _fill_columns(data: Any) -> Any:
    """Give each indicator of a mapping ``{"indicators": {...}}`` its name as ``column``."""
    if isinstance(data, Mapping) and isinstance(data.get("indicators"), Mapping):
        data = dict(data)
        filled = {}
        for name, ind in data["indicators"].items():
            if isinstance(ind, Mapping) and "column" not in ind:
                ind = {"column": name, **ind}
            filled[name] = ind
        data["indicators"] = filled
    return data


class Secondary(ConfigModel):
    """A secondary indicator (二级指标): a weight inside its dimension, labels, indicators.

    The middle level of a three-level tree (dimension → secondary indicator → indicator,
    e.g. 客户用电规范性 → 电费缴纳情况 → on-time rate, days late, arrears).  Its indicators'
    weights are weights *inside the secondary indicator* and sum to 1; an indicator's
    effective weight inside the dimension is ``secondary.weight × indicator.weight``.

    Examples
    --------
    >>> s = Secondary(weight=0.4, indicators={"on_time_rate": {"weight": 0.6},
    ...                                       "days_late": {"weight": 0.4, "direction": "cost"}})
    >>> s.indicators["days_late"].column, s.indicators["days_late"].weight
    ('days_late', 0.4)
    """

    weight: float = Field(ge=0.0)
    label: Text = Field(default_factory=Text)
    description: Text = Field(default_factory=Text)
    indicators: dict[Name, Indicator] = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _default_columns(cls, data: Any) -> Any:
        return _fill_columns(data)

    @model_validator(mode="after")
    def _check(self) -> Secondary:
        _check_sum(("indicators",), {k: i.weight for k, i in self.indicators.items()})
        return self


class Dimension(ConfigModel):
    """A dimension: a weight, a missing-dimension policy, labels and its indicators.

    A dimension holds either ``indicators`` directly (a two-level tree, weights inside the
    dimension) or ``secondary`` indicators (:class:`Secondary`, a three-level tree: weights
    of the secondary indicators inside the dimension, of the indicators inside their
    secondary indicator), never both.

    ``missing`` applies when *none* of the dimension's indicators is available for a
    customer: ``respread`` re-spreads the dimension's weight over the customer's other
    dimensions, ``neutral`` scores the dimension 0.5, ``worst`` 0, and ``ungraded`` leaves
    the customer without a score.

    Examples
    --------
    >>> d = Dimension(weight=1, indicators={"policy_rate": {"weight": 1}})
    >>> d.indicators["policy_rate"].column
    'policy_rate'
    >>> t = Dimension(weight=1, secondary={
    ...     "payment": {"weight": 0.5, "indicators": {"on_time_rate": {"weight": 1}}},
    ...     "power_factor": {"weight": 0.5, "indicators": {"pf_compliance": {"weight": 1}}}})
    >>> list(t.leaves), t.leaf_weights["pf_compliance"]
    (['on_time_rate', 'pf_compliance'], 0.5)
    """

    weight: float = Field(ge=0.0)
    missing: MissingPolicy = "respread"
    label: Text = Field(default_factory=Text)
    description: Text = Field(default_factory=Text)
    indicators: dict[Name, Indicator] = Field(default_factory=dict)
    secondary: dict[Name, Secondary] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _default_columns(cls, data: Any) -> Any:
        return _fill_columns(data)

    @model_validator(mode="after")
    def _check(self) -> Dimension:
        if self.indicators and self.secondary:
            raise PathError(("secondary",), "a dimension holds either indicators or secondary "
                            "indicators, not both: move its indicators into a secondary one")
        if not self.indicators and not self.secondary:
            raise PathError(("indicators",), "a dimension needs indicators (or secondary "
                            "indicators holding them)")
        if self.secondary:
            _check_sum(("secondary",), {k: g.weight for k, g in self.secondary.items()})
        else:
            _check_sum(("indicators",), {k: i.weight for k, i in self.indicators.items()})
        return self

    @property
    def levels(self) -> int:
        """2 for indicators held directly, 3 with secondary indicators."""
        return 3 if self.secondary else 2

    @property
    def leaves(self) -> dict[str, Indicator]:
        """Every indicator of the dimension in order (weights inside their parent)."""
        if not self.secondary:
            return dict(self.indicators)
        return {n: ind for g in self.secondary.values() for n, ind in g.indicators.items()}

    @property
    def leaf_weights(self) -> dict[str, float]:
        """Effective weight of each indicator inside the dimension (secondary × own)."""
        if not self.secondary:
            return {n: ind.weight for n, ind in self.indicators.items()}
        return {n: g.weight * ind.weight for g in self.secondary.values()
                for n, ind in g.indicators.items()}


@dataclass(frozen=True, eq=False)
class WeightTree:
    """The weights of a scheme, level by level, as arrays (:meth:`Scheme.weight_tree`).

    Every dimension is read as a three-level tree: the indicators of a two-level dimension
    are each their own *implicit* group (group weight = the indicator's weight inside the
    dimension, indicator weight 1), so that one rule serves both forms.

    Attributes
    ----------
    dimensions, groups, indicators : tuple of str
        Names in scheme order (``D`` dimensions, ``S`` groups, ``I`` indicators); an implicit
        group has its indicator's name.
    explicit : numpy.ndarray of bool, shape (S,)
        True for a secondary indicator of the scheme, False for an implicit group.
    group_dim : (S,) int, group_of : (I,) int, dim_of : (I,) int
        Parent positions.
    dim_weights : (D,), group_weights : (S,), indicator_weights : (I,)
        Weights inside the parent: dimensions, groups inside their dimension, indicators
        inside their group.

    Examples
    --------
    >>> s = Scheme.from_dict({"dimensions": {
    ...     "a": {"weight": 0.6, "secondary": {
    ...         "g": {"weight": 0.5, "indicators": {"x": {"weight": 0.8}, "y": {"weight": 0.2}}},
    ...         "h": {"weight": 0.5, "indicators": {"z": {"weight": 1.0}}}}},
    ...     "b": {"weight": 0.4, "indicators": {"u": {"weight": 1.0}}}}})
    >>> tree = s.weight_tree()
    >>> tree.groups, tree.explicit.tolist()
    (('g', 'h', 'u'), [True, True, False])
    >>> tree.effective().tolist(), tree.leaf_weights().tolist()
    ([0.4, 0.1, 0.5, 1.0], [0.24, 0.06, 0.3, 0.4])
    """

    dimensions: tuple[str, ...]
    groups: tuple[str, ...]
    indicators: tuple[str, ...]
    explicit: np.ndarray
    group_dim: np.ndarray
    group_of: np.ndarray
    dim_of: np.ndarray
    dim_weights: np.ndarray
    group_weights: np.ndarray
    indicator_weights: np.ndarray

    def effective(self, group_weights: np.ndarray | None = None,
                  indicator_weights: np.ndarray | None = None) -> np.ndarray:
        """Indicator weights inside their dimension, ``(..., I)``: group × own weight.

        ``group_weights`` ``(S,)`` or ``(K, S)`` and ``indicator_weights`` ``(I,)`` or
        ``(K, I)`` replace the tree's (e.g. weight draws).  An implicit group's indicator
        weight is 1, so a two-level dimension's weights come back bit for bit.
        """
        u = self.group_weights if group_weights is None else np.asarray(group_weights, float)
        w = (self.indicator_weights if indicator_weights is None
             else np.asarray(indicator_weights, float))
        return u[..., self.group_of] * w

    def leaf_weights(self) -> np.ndarray:
        """Global weight of each indicator, ``(I,)``: dimension × group × own (sums to 1)."""
        return self.dim_weights[self.dim_of] * self.effective()


def _check_sum(path: tuple[str, ...], weights: Mapping[str, float]) -> None:
    total = math.fsum(weights.values())
    if abs(total - 1.0) > WEIGHT_TOLERANCE:
        listed = ", ".join(f"{k}={v!r}" for k, v in weights.items())
        raise PathError(
            path,
            f"weights sum to {total!r}, not 1 ({listed}); fix them or load with normalise=True",
        )


class Tiers(ConfigModel):
    """Quota tiers: share of customers per tier, best first, with bilingual labels.

    ``ties`` tells the tier stage (:func:`custvalue.tiers.assign_tiers`) what to do with
    equal scores at a quota boundary: ``stable`` breaks ties by customer id ascending (the
    quotas are met exactly, as in ``rank``); ``together`` keeps tied customers in the same
    (better) tier.

    Examples
    --------
    >>> Tiers().labels_en
    ('special', 'first', 'second', 'third')
    """

    quotas: tuple[float, ...] = (0.10, 0.30, 0.50, 0.10)
    labels_zh: tuple[str, ...] = ("特级客户", "一级客户", "二级客户", "三级客户")
    labels_en: tuple[str, ...] = ("special", "first", "second", "third")
    ties: Literal["stable", "together"] = "stable"

    @model_validator(mode="after")
    def _check(self) -> Tiers:
        if not self.quotas:
            raise PathError(("quotas",), "at least one tier is needed")
        for i, q in enumerate(self.quotas):
            if not 0.0 <= q <= 1.0:
                raise PathError(("quotas", str(i)), f"a quota is a share in [0, 1] (got {q!r})")
        _check_sum(("quotas",), {str(i): q for i, q in enumerate(self.quotas)})
        for key in ("labels_zh", "labels_en"):
            if len(getattr(self, key)) != len(self.quotas):
                raise PathError(
                    (key,),
                    f"{len(getattr(self, key))} labels for {len(self.quotas)} quotas",
                )
        return self


class ABC(ConfigModel):
    """ABC classification settings.

    ``method='count'`` cuts the ranked customers by ``quotas`` (A 5 %, B 15 %, C 80 %);
    ``method='value'`` sorts customers by the ``basis`` column (descending) and cuts the
    cumulative share of its total at ``cuts`` (A up to 80 %, B up to 95 %, C the rest).

    Examples
    --------
    >>> ABC().cuts
    (0.8, 0.95)
    """

    method: Literal["count", "value"] = "count"
    quotas: tuple[float, ...] = (0.05, 0.15, 0.80)
    cuts: tuple[float, ...] = (0.80, 0.95)
    basis: Annotated[str, StringConstraints(min_length=1)] = "revenue"
    labels: tuple[str, ...] = ("A", "B", "C")

    @model_validator(mode="after")
    def _check(self) -> ABC:
        if len(self.quotas) != len(self.labels):
            raise PathError(
                ("quotas",),
                f"{len(self.quotas)} quotas for {len(self.labels)} labels",
            )
        for i, q in enumerate(self.quotas):
            if not 0.0 <= q <= 1.0:
                raise PathError(
                    ("quotas", str(i)), f"a quota is a share in [0, 1] (got {q!r})"
                )
        _check_sum(("quotas",), {str(i): q for i, q in enumerate(self.quotas)})
        if len(self.cuts) != len(self.labels) - 1:
            raise PathError(
                ("cuts",),
                f"{len(self.labels)} classes need {len(self.labels) - 1} cuts "
                f"(got {len(self.cuts)})",
            )
        cuts = (*self.cuts,)
        if cuts and (
            cuts[0] <= 0.0
            or cuts[-1] > 1.0
            or any(a > b for a, b in itertools.pairwise(cuts))
        ):
            raise PathError(
                ("cuts",),
                f"need 0 < first cut <= ... <= last cut <= 1 (got {self.cuts})",
            )
        return self


class Eligibility(ConfigModel):
    """Which customers are placed in the quota tiers.

    Attributes
    ----------
    departed : {"ungraded", "graded"}, default "ungraded"
        A customer whose account closed on or before the window's end (register ``closed``
        up to the window's last day).  ``ungraded``: it stays in every output without a tier,
        with the reason ``departed``, and the quota counts are taken over the others (the
        rule of the trade: a closed account is reported, not graded).  ``graded``: the
        earlier behaviour — closed accounts are graded like the others.
    min_exposure_months : int, default 12
        A customer open fewer months than this inside the window (``exposure_months``) is
        not placed in the quotas: reason ``short_history``, with its indicators, a
        provisional score and the tier that score would reach against the graded
        customers' cut scores (``provisional_score``, ``provisional_tier``,
        ``provisional``).  0 places everyone.

    Examples
    --------
    >>> Eligibility().departed, Eligibility().min_exposure_months
    ('ungraded', 12)
    """

    departed: Literal["ungraded", "graded"] = "ungraded"
    min_exposure_months: int = Field(default=12, ge=0, le=1200)


#: The indicator column :attr:`Importance.levels` fills from the register's importance grade.
IMPORTANCE_LEVEL = "importance_level"


class Importance(ConfigModel):
    """Important power users (重要电力用户, the seed's 政治经济敏感性): a tier floor, an
    indicator, or both.

    Attributes
    ----------
    column : str, default "importance"
        Optional register column with the customer's grade (e.g. 特级 / 一级 / 二级 /
        临时性 of GB/Z 29328, or the utility's own words: 医院, 政府 ...).
    floors : dict of str to int, default {} (no floor)
        Grade → the worst tier a graded customer of that grade may have (0 = 特级).  A
        customer whose quota tier is worse is pinned at its floor, with the reason
        ``"important power user <grade>: floor tier <t>"`` (see :mod:`custvalue.tiers.pins`);
        floors take quota seats like pins.  Departed and short-history customers are not
        floored (they have no tier).
    levels : dict of str to float, optional (default: no indicator)
        Grade → a value in [0, 1] for the indicator column ``importance_level``
        (:data:`IMPORTANCE_LEVEL`); a customer whose grade is not listed, or who has none,
        gets 0.  A scheme indicator with ``column = "importance_level"`` scores it like any
        other indicator; such an indicator without ``levels`` is a :class:`SchemeError`.

    Examples
    --------
    >>> Importance(floors={"特级": 0, "一级": 1}).floors["一级"]
    1
    >>> Importance(levels={"特级": 1.0, "一级": 0.6}).levels["一级"]
    0.6
    """

    column: Annotated[str, StringConstraints(min_length=1)] = "importance"
    floors: dict[str, Annotated[int, Field(ge=0)]] = Field(default_factory=dict)
    # None, not {}, when absent: the scheme's JSON (and so its hash) stays as before levels
    levels: dict[str, Annotated[float, Field(ge=0, le=1)]] | None = None


class Aggregation(ConfigModel):
    """How normalised indicators are combined into the score.

    Parameters
    ----------
    method : {'arithmetic', 'geometric', 'topsis'}
        Weighted arithmetic mean (default), weighted geometric mean, or TOPSIS closeness.
    floor : float
        Geometric mean only: values below ``floor`` count as ``floor`` so that one zero does
        not zero the score (default 0.01, one point on the 0–100 scale).
    topsis_normalisation : {'vector', 'minmax'}
        TOPSIS only: how the normalised matrix is rescaled before the ideal and anti-ideal
        are taken (classic vector normalisation, or min-max).

    A plain string is accepted for ``aggregation`` and read as its ``method``.

    Examples
    --------
    >>> Aggregation(method="geometric").floor
    0.01
    """

    method: AggregationMethod = "arithmetic"
    floor: float = Field(default=0.01, gt=0.0, le=1.0)
    topsis_normalisation: Literal["vector", "minmax"] = "vector"


class Gate(ConfigModel):
    """A warning and a failure threshold on one validation figure.

    For a *minimum* (e.g. :attr:`Gates.min_ari`) a figure below ``warn`` is a warning and
    below ``fail`` a failure (so ``fail <= warn``); for a *maximum* (``max_*``) above.

    Examples
    --------
    >>> Gate(warn=0.2, fail=0.05).fail
    0.05
    """

    warn: float = Field(ge=0.0)
    fail: float = Field(ge=0.0)


def _gate(warn: float, fail: float) -> Any:
    return Field(default_factory=lambda: Gate(warn=warn, fail=fail))


class Gates(ConfigModel):
    """Thresholds that turn validation and robustness figures into PASS / WARN / FAIL.

    Used by :func:`custvalue.validation.verdicts` (``custvalue validate`` prints them and,
    with ``--strict``, exits 4 on a failure).  The defaults are documented in
    ``docs/validation.md`` (section *Verdicts and gates*).

    Attributes
    ----------
    min_ari : Gate, default warn 0.20 / fail 0.05
        Adjusted Rand index of tiers against an independent clustering
        (:attr:`TierValidation.ari`): below ``fail`` the tiers look no more like the data's
        groups than chance.
    max_disagreement : Gate, default warn 0.50 / fail 0.70
        Share of customers whose cluster suggests another tier.
    max_borderline : Gate, default warn 0.20 / fail 0.35
        Share of customers whose modal tier has probability below the borderline level
        under weight uncertainty (:attr:`TierStability.borderline_share`).
    max_expected_change : Gate, default warn 0.10 / fail 0.20
        Expected share of customers changing tier in one weight draw
        (:attr:`TierStability.expected_change`).
    max_change_10pct : Gate, default warn 0.05 / fail 0.10
        Largest share of customers changing tier when one weight alone moves by -10 % or
        +10 % (the one-at-a-time table of :func:`tier_stability`).

    Examples
    --------
    >>> Gates().max_borderline.warn
    0.2
    >>> Gates(min_ari={"warn": 0.1, "fail": 0.3})
    Traceback (most recent call last):
    ...
    custvalue.errors.SchemeError: min_ari: a minimum needs fail <= warn (got warn 0.1, fail 0.3)
    """

    min_ari: Gate = _gate(0.20, 0.05)
    max_disagreement: Gate = _gate(0.50, 0.70)
    max_borderline: Gate = _gate(0.20, 0.35)
    max_expected_change: Gate = _gate(0.10, 0.20)
    max_change_10pct: Gate = _gate(0.05, 0.10)

    @model_validator(mode="after")
    def _check(self) -> Gates:
        for name in type(self).model_fields:
            gate = getattr(self, name)
            if name.startswith("min_") and gate.fail > gate.warn:
                raise PathError((name,), f"a minimum needs fail <= warn (got warn {gate.warn}, "
                                f"fail {gate.fail})")
            if name.startswith("max_") and gate.fail < gate.warn:
                raise PathError((name,), f"a maximum needs warn <= fail (got warn {gate.warn}, "
                                f"fail {gate.fail})")
        return self


def _is_weight(value: Any) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value >= 0
    )


def _rescale(data: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Rescale weights that do not sum to 1 (``normalise=True``); return new data and notes."""
    data = copy.deepcopy(data)
    notes: list[str] = []

    def rescale(items: object, path: str) -> None:
        if not isinstance(items, Mapping) or not items:
            return
        entries = [v for v in items.values() if isinstance(v, dict)]
        if len(entries) != len(items) or not all(_is_weight(v.get("weight")) for v in entries):
            return  # leave it to validation to report the problem
        total = math.fsum(v["weight"] for v in entries)
        if total <= 0 or abs(total - 1.0) <= WEIGHT_TOLERANCE:
            return
        for v in entries:
            v["weight"] = v["weight"] / total
        notes.append(f"{path}: weights summed to {total!r}; rescaled to sum to 1")

    dims = data.get("dimensions")
    if isinstance(dims, Mapping):
        rescale(dims, "dimensions")
        for name, dim in dims.items():
            if isinstance(dim, Mapping):
                rescale(dim.get("indicators"), f"dimensions.{name}.indicators")
                groups = dim.get("secondary")
                rescale(groups, f"dimensions.{name}.secondary")
                if isinstance(groups, Mapping):
                    for gname, group in groups.items():
                        if isinstance(group, Mapping):
                            rescale(group.get("indicators"),
                                    f"dimensions.{name}.secondary.{gname}.indicators")
    if notes:
        data["notes"] = [*data.get("notes", ()), *notes]
    return data, notes


class Scheme(ConfigModel):
    """A complete grading scheme.

    Build one with :meth:`default`, :meth:`from_dict`, :meth:`from_toml`, :meth:`from_json`
    or :meth:`load`; all raise :class:`~custvalue.errors.SchemeError` with the dotted path of
    the first problem (and list the others).

    Parameters
    ----------
    name : str
        A short name for reports.
    description : Text
        Bilingual description.
    aggregation : Aggregation
        Aggregation method and its options (a plain method string is accepted).
    tiers : Tiers
        Tier quotas and labels.
    abc : ABC
        ABC classification settings.
    eligibility : Eligibility
        Which customers are placed in the tiers (departed accounts, short histories).
    importance : Importance
        Tier floors for important power users (none by default).
    dimensions : dict of str to Dimension
        The dimensions in display order; indicator names are unique across dimensions.
    gates : Gates
        Validation and robustness thresholds (PASS / WARN / FAIL); they do not change the
        grading and are written (and hashed) only when they differ from the defaults.
    notes : tuple of str
        Notes about automatic changes (e.g. weights rescaled by ``normalise=True``).

    Examples
    --------
    >>> s = Scheme.from_dict({"dimensions": {"size": {"weight": 1.0, "indicators": {
    ...     "total_kwh": {"weight": 1.0, "normalisation": {"method": "log_minmax"}}}}}})
    >>> s.indicator_names
    ('total_kwh',)
    >>> len(s.hash())
    64
    >>> from custvalue.errors import SchemeError
    >>> try:
    ...     Scheme.from_dict({"dimensions": {"size": {"weight": 1.0, "indicators": {
    ...         "total_kwh": {"weight": -1.0}}}}})
    ... except SchemeError as exc:
    ...     print(exc.path); print(exc.problem)
    dimensions.size.indicators.total_kwh.weight
    Input should be greater than or equal to 0 (got -1.0)
    """

    name: str = "custom"
    description: Text = Field(default_factory=Text)
    aggregation: Aggregation = Field(default_factory=Aggregation)
    tiers: Tiers = Field(default_factory=Tiers)
    abc: ABC = Field(default_factory=ABC)
    eligibility: Eligibility = Field(default_factory=Eligibility)
    importance: Importance = Field(default_factory=Importance)
    dimensions: dict[Name, Dimension] = Field(min_length=1)
    gates: Gates = Field(default_factory=Gates)
    notes: tuple[str, ...] = ()

    @field_validator("aggregation", mode="before")
    @classmethod
    def _aggregation_string(cls, value: Any) -> Any:
        return {"method": value} if isinstance(value, str) else value

    @model_validator(mode="after")
    def _check(self) -> Scheme:
        _check_sum(("dimensions",), {k: d.weight for k, d in self.dimensions.items()})
        for grade, floor in self.importance.floors.items():
            if floor >= len(self.tiers.quotas):
                raise PathError(("importance", "floors", grade),
                                f"tier {floor} does not exist ({len(self.tiers.quotas)} tiers)")
        if IMPORTANCE_LEVEL in self.columns and not self.importance.levels:
            raise PathError(("importance", "levels"), "an indicator scores the column "
                            f"{IMPORTANCE_LEVEL!r} but no importance grade has a level; "
                            "give levels, e.g. {\"特级\" = 1.0, \"一级\" = 0.6}")
        seen: dict[str, str] = {}
        for dname, dim in self.dimensions.items():
            for iname in dim.indicators:
                if iname in seen:
                    raise PathError(
                        ("dimensions", dname, "indicators", iname),
                        f"indicator name already used in dimension {seen[iname]!r}; "
                        "indicator names must be unique across dimensions",
                    )
                seen[iname] = dname
            for gname, group in dim.secondary.items():
                for iname in group.indicators:
                    if iname in seen:
                        raise PathError(
                            ("dimensions", dname, "secondary", gname, "indicators", iname),
                            f"indicator name already used in {seen[iname]!r}; indicator "
                            "names must be unique across the scheme",
                        )
                    seen[iname] = f"{dname}.{gname}"
        groups: dict[str, str] = {}
        for dname, dim in self.dimensions.items():
            for gname in dim.secondary:
                where = groups.get(gname) or (f"indicator {seen[gname]}" if gname in seen
                                              else None)
                if where is not None:
                    raise PathError(
                        ("dimensions", dname, "secondary", gname),
                        f"name already used by {where}; secondary indicator names must be "
                        "unique across the scheme and differ from the indicator names",
                    )
                groups[gname] = f"secondary indicator {dname}.{gname}"
        return self

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, normalise: bool = False) -> Scheme:
        """Validate a plain mapping (as read from TOML or JSON) into a scheme.

        Parameters
        ----------
        data : mapping
            The scheme as nested dicts, lists and scalars.
        normalise : bool, default False
            Rescale weights that do not sum to 1 under their parent, record a note in
            :attr:`notes` and warn with :class:`SchemeWarning`, instead of raising.

        Returns
        -------
        Scheme

        Raises
        ------
        SchemeError
            With the dotted path of the first problem.

        Examples
        --------
        >>> import warnings
        >>> data = {"dimensions": {"a": {"weight": 2, "indicators": {"x": {"weight": 1}}},
        ...                        "b": {"weight": 2, "indicators": {"y": {"weight": 1}}}}}
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     s = Scheme.from_dict(data, normalise=True)
        >>> s.dimensions["a"].weight, s.notes
        (0.5, ('dimensions: weights summed to 4.0; rescaled to sum to 1',))
        >>> from custvalue.errors import SchemeError
        >>> try:
        ...     Scheme.from_dict(data)
        ... except SchemeError as exc:
        ...     print(exc.path, "|", exc.problem.split(";")[0])
        dimensions | weights sum to 4.0, not 1 (a=2.0, b=2.0)
        """
        if isinstance(data, BaseModel):
            data = data.model_dump()
        if not isinstance(data, Mapping):
            raise SchemeError("", f"a scheme is a table of settings (got {type(data).__name__})")
        data = dict(data)
        notes: list[str] = []
        if normalise:
            data, notes = _rescale(data)
        try:
            scheme = cls.model_validate(data)
        except ValidationError as exc:
            raise config_error(exc) from None
        for note in notes:
            warnings.warn(note, SchemeWarning, stacklevel=3)
        return scheme

    @classmethod
    def from_toml(cls, source: str | Path, *, normalise: bool = False) -> Scheme:
        """Read a scheme from TOML text or a ``.toml`` file.

        Parameters
        ----------
        source : str or Path
            A path (``Path``, or a one-line string naming an existing file) or TOML text.
        normalise : bool, default False
            See :meth:`from_dict`.

        Returns
        -------
        Scheme

        Examples
        --------
        >>> text = '''
        ... [dimensions.size]
        ... weight = 1.0
        ... [dimensions.size.indicators.total_kwh]
        ... weight = 1.0
        ... normalisation = { method = "log_minmax" }
        ... '''
        >>> Scheme.from_toml(text).dimensions["size"].indicators["total_kwh"].column
        'total_kwh'
        """
        data = parse_source(source, "toml", what="a scheme")
        return cls.from_dict(data, normalise=normalise)

    @classmethod
    def from_json(cls, source: str | Path, *, normalise: bool = False) -> Scheme:
        """Read a scheme from JSON text or a ``.json`` file.

        Parameters
        ----------
        source : str or Path
            A path (``Path``, or a one-line string naming an existing file) or JSON text.
        normalise : bool, default False
            See :meth:`from_dict`.

        Returns
        -------
        Scheme

        Examples
        --------
        >>> s = Scheme.default()
        >>> Scheme.from_json(s.to_json()) == s
        True
        """
        data = parse_source(source, "json", what="a scheme")
        return cls.from_dict(data, normalise=normalise)

    def check_abc_basis(self, columns: Collection[str]) -> None:
        """Raise unless ``abc.basis`` is ``score``, one of ``columns`` or a scheme column.

        Raises
        ------
        custvalue.errors.SchemeError
            At ``abc.basis``, listing what is allowed.

        Examples
        --------
        >>> Scheme.default().check_abc_basis(["revenue"])
        >>> bad = Scheme.default().model_copy(update={"abc": ABC(basis="foo")})
        >>> bad.check_abc_basis(["revenue"])  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        custvalue.errors.SchemeError: abc.basis: unknown basis 'foo'...
        """
        allowed = {"score", *columns, *(ind.column for _, _, ind in self.iter_indicators())}
        if self.abc.basis not in allowed:
            raise SchemeError("abc.basis", f"unknown basis {self.abc.basis!r}; use 'score' or "
                              f"an indicator ({', '.join(sorted(allowed - {'score'}))})")

    @classmethod
    def load(cls, path: str | Path, *, normalise: bool = False) -> Scheme:
        """Read a scheme file, TOML or JSON by its suffix.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> with tempfile.TemporaryDirectory() as d:
        ...     p = Scheme.default().save(pathlib.Path(d) / "s.json")
        ...     Scheme.load(p) == Scheme.default()
        True
        """
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix == ".toml":
            return cls.from_toml(path, normalise=normalise)
        if suffix == ".json":
            return cls.from_json(path, normalise=normalise)
        raise SchemeError("", f"cannot tell the format of {path}: use a .toml or .json file")

    @classmethod
    def default(cls) -> Scheme:
        """The default scheme shipped with custvalue (``default_scheme.toml``).

        Its weights come from the AHP judgments in ``default_judgments.toml`` (see
        ``docs/scheme.md`` and
        :func:`custvalue.scoring.ahp_defaults.ahp_default_weights`).

        Examples
        --------
        >>> s = Scheme.default()
        >>> s.name, s.aggregation.method
        ('default', 'arithmetic')
        >>> max(s.dimensions, key=lambda d: s.dimensions[d].weight)
        'contribution'
        """
        return _default_scheme()

    def with_weights(
        self,
        dimensions: Mapping[str, float] | None = None,
        indicators: Mapping[str, float] | None = None,
        *,
        secondary: Mapping[str, float] | None = None,
        within: Literal["parent", "dimension"] = "parent",
        normalise: bool = False,
        name: str | None = None,
    ) -> Scheme:
        """A copy with some dimension, secondary and/or indicator weights replaced.

        Parameters
        ----------
        dimensions : mapping of str to float, optional
            New dimension weights by dimension name.
        indicators : mapping of str to float, optional
            New indicator weights by indicator name (names are unique): weights inside the
            parent — the dimension, or the secondary indicator in a three-level dimension.
        secondary : mapping of str to float, optional
            New weights of secondary indicators inside their dimension, by name.
        within : {"parent", "dimension"}, default "parent"
            ``"dimension"``: ``indicators`` are weights inside the dimension (as
            :meth:`weight_arrays` has them, e.g. weight draws); in a three-level dimension
            each secondary indicator's weight becomes the sum of its indicators' (new)
            weights and each indicator's weight inside it its share of that sum (equal
            shares when the sum is 0).  ``secondary`` must then be None.
        normalise : bool, default False
            Rescale each parent's weights to sum to 1 (see :meth:`from_dict`).
        name : str, optional
            Name of the new scheme (default: this scheme's name), shown in reports.

        Returns
        -------
        Scheme

        Examples
        --------
        >>> s = Scheme.default().with_weights({"contribution": 0.5, "compliance": 0.3,
        ...                                    "cooperation": 0.2}, name="flatter")
        >>> s.dimensions["cooperation"].weight, s.name
        (0.2, 'flatter')
        >>> t = Scheme.default().with_weights(
        ...     indicators={"on_time_rate": 0.5, "days_late": 0.2, "arrears_ratio": 0.3})
        >>> t.dimensions["compliance"].secondary["bill_payment"].indicators["days_late"].weight
        0.2
        >>> w, _, _ = Scheme.default().weight_arrays()
        >>> u = Scheme.default().with_weights(
        ...     indicators=dict(zip(Scheme.default().indicator_names, w)), within="dimension")
        >>> bool(np.allclose(u.weight_arrays()[0], w, rtol=0, atol=1e-15))
        True
        """
        if within not in ("parent", "dimension"):
            raise SchemeError("within", f"must be 'parent' or 'dimension' (got {within!r})")
        if within == "dimension" and indicators is not None:
            if secondary is not None:
                raise SchemeError("secondary", "give secondary weights or indicator weights "
                                  "inside the dimension (within='dimension'), not both")
            inside = {**{n: float(x) for n, x in zip(self.indicator_names,
                                                      self.weight_arrays()[0], strict=True)},
                      **{n: float(x) for n, x in dict(indicators).items()}}
            for n in dict(indicators):
                self.dimension_of(n)  # names it when unknown
            secondary, local = {}, {}
            for _, gname, node in self.iter_secondary():
                names = list(node.indicators)
                total = math.fsum(inside[n] for n in names)
                secondary[gname] = total
                for n in names:
                    local[n] = inside[n] / total if total > 0 else 1.0 / len(names)
                    if total > 0 and total * local[n] != inside[n]:
                        # the nearest weight whose product with the total is exact
                        up = float(np.nextafter(local[n], 2.0))
                        down = float(np.nextafter(local[n], -1.0))
                        local[n] = next((c for c in (up, down) if total * c == inside[n]),
                                        local[n])
            indicators = {**{n: inside[n] for _, n, _ in self.iter_indicators()
                             if self.secondary_of(n) is None}, **local}
        data = self.model_dump()
        if name is not None:
            data["name"] = name
        # dict(...): a pandas Series (e.g. objective_weights) has no truth value
        for dim_name, w in dict(dimensions if dimensions is not None else {}).items():
            if dim_name not in data["dimensions"]:
                raise SchemeError(f"dimensions.{dim_name}", "no such dimension")
            data["dimensions"][dim_name]["weight"] = w
        for group_name, w in dict(secondary if secondary is not None else {}).items():
            if group_name not in self.secondary_names:
                raise SchemeError(f"secondary.{group_name}", "no such secondary indicator")
            dim = self.dimension_of(group_name)
            data["dimensions"][dim]["secondary"][group_name]["weight"] = w
        for ind_name, w in dict(indicators if indicators is not None else {}).items():
            dim = self.dimension_of(ind_name)
            group = self.secondary_of(ind_name)
            node = data["dimensions"][dim]
            if group is not None:
                node = node["secondary"][group]
            node["indicators"][ind_name]["weight"] = w
        return Scheme.from_dict(data, normalise=normalise)

    # ------------------------------------------------------------------ output
    def to_dict(self) -> dict[str, Any]:
        """The scheme as plain data (JSON types; unset optional values left out).

        Examples
        --------
        >>> Scheme.default().to_dict()["tiers"]["quotas"]
        [0.1, 0.3, 0.5, 0.1]
        """
        data = self.model_dump(mode="json", exclude_none=True)
        for dim in data["dimensions"].values():  # a two-level file stays as it was
            for key in ("indicators", "secondary"):
                if not dim[key]:
                    del dim[key]
        if not data["notes"]:
            del data["notes"]
        if self.gates == Gates():  # thresholds at their defaults: hash unchanged
            del data["gates"]
        return data

    def to_json(self, indent: int | None = 2) -> str:
        """JSON text; ``Scheme.from_json(s.to_json()) == s`` exactly.

        Examples
        --------
        >>> Scheme.default().to_json(indent=None)[:20]
        '{"name":"default","d'
        """
        if indent is None:
            return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"))
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent) + "\n"

    def to_toml(self) -> str:
        """TOML text; ``Scheme.from_toml(s.to_toml()) == s`` exactly.

        Labels, descriptions and normalisations are written as inline tables; floats are
        written with ``repr`` so that every number reads back bit for bit.

        Examples
        --------
        >>> print(Scheme.default().to_toml().splitlines()[0])
        name = "default"
        """
        return to_toml(self.to_dict(), inline_keys=_INLINE_KEYS)

    def save(self, path: str | Path) -> Path:
        """Write the scheme to ``path`` as TOML or JSON, by suffix; return the path.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> with tempfile.TemporaryDirectory() as d:
        ...     p = Scheme.default().save(pathlib.Path(d) / "scheme.toml")
        ...     Scheme.load(p).hash() == Scheme.default().hash()
        True
        """
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix == ".toml":
            text = self.to_toml()
        elif suffix == ".json":
            text = self.to_json()
        else:
            raise SchemeError("", f"cannot tell the format of {path}: use a .toml or .json file")
        path.write_text(text, encoding="utf-8")
        return path

    def hash(self) -> str:
        """SHA-256 (hex) of the canonical JSON: compact, keys in model order, UTF-8.

        Examples
        --------
        >>> Scheme.default().hash() == Scheme.from_toml(Scheme.default().to_toml()).hash()
        True
        """
        return hashlib.sha256(self.to_json(indent=None).encode("utf-8")).hexdigest()

    # ------------------------------------------------------------------ access
    @property
    def dimension_names(self) -> tuple[str, ...]:
        """Dimension names in scheme order."""
        return tuple(self.dimensions)

    @property
    def indicator_names(self) -> tuple[str, ...]:
        """Indicator names in scheme order (dimension by dimension)."""
        return tuple(i for d in self.dimensions.values() for i in d.leaves)

    @property
    def secondary_names(self) -> tuple[str, ...]:
        """Names of the secondary indicators in scheme order (empty for a two-level tree).

        Examples
        --------
        >>> Scheme.default().secondary_names[:3]
        ('current_value', 'potential_value', 'power_factor')
        """
        return tuple(g for d in self.dimensions.values() for g in d.secondary)

    @property
    def levels(self) -> int:
        """3 when any dimension has secondary indicators, else 2.

        Examples
        --------
        >>> Scheme.default().levels
        3
        """
        return 3 if any(d.secondary for d in self.dimensions.values()) else 2

    @property
    def columns(self) -> tuple[str, ...]:
        """Distinct source columns the scheme reads, in scheme order."""
        return tuple(dict.fromkeys(ind.column for _, _, ind in self.iter_indicators()))

    def iter_indicators(self) -> Iterator[tuple[str, str, Indicator]]:
        """Yield ``(dimension, indicator_name, indicator)`` in scheme order.

        ``indicator.weight`` is its weight inside its parent (its secondary indicator in a
        three-level dimension); :meth:`weight_arrays` has the weights inside the dimension.

        Examples
        --------
        >>> next(Scheme.default().iter_indicators())[:2]
        ('contribution', 'kwh_per_year')
        """
        for dname, dim in self.dimensions.items():
            for iname, ind in dim.leaves.items():
                yield dname, iname, ind

    def iter_secondary(self) -> Iterator[tuple[str, str, Secondary]]:
        """Yield ``(dimension, secondary_name, secondary)`` in scheme order.

        Examples
        --------
        >>> d, name, group = next(Scheme.default().iter_secondary())
        >>> d, name, list(group.indicators)
        ('contribution', 'current_value', ['kwh_per_year', 'revenue_per_year', 'avg_price'])
        """
        for dname, dim in self.dimensions.items():
            for gname, group in dim.secondary.items():
                yield dname, gname, group

    def dimension_of(self, indicator: str) -> str:
        """The dimension holding ``indicator`` (or the secondary indicator of that name).

        Examples
        --------
        >>> Scheme.default().dimension_of("pf_compliance")
        'compliance'
        >>> Scheme.default().dimension_of("bill_payment")
        'compliance'
        """
        for dname, dim in self.dimensions.items():
            if indicator in dim.indicators or indicator in dim.secondary:
                return dname
            if any(indicator in g.indicators for g in dim.secondary.values()):
                return dname
        raise SchemeError(f"indicators.{indicator}", "no such indicator in the scheme")

    def secondary_of(self, indicator: str) -> str | None:
        """The secondary indicator holding ``indicator`` (None in a two-level dimension).

        Examples
        --------
        >>> Scheme.default().secondary_of("days_late")
        'bill_payment'
        """
        dim = self.dimensions[self.dimension_of(indicator)]
        for gname, group in dim.secondary.items():
            if indicator in group.indicators:
                return gname
        if indicator in dim.indicators:
            return None
        raise SchemeError(f"indicators.{indicator}", "no such indicator in the scheme")

    def path_of(self, name: str) -> str:
        """The dotted path of an indicator or secondary indicator in the scheme file.

        Examples
        --------
        >>> Scheme.default().path_of("days_late")
        'dimensions.compliance.secondary.bill_payment.indicators.days_late'
        """
        dname = self.dimension_of(name)
        if name in self.dimensions[dname].secondary:
            return f"dimensions.{dname}.secondary.{name}"
        group = self.secondary_of(name)
        if group is None:
            return f"dimensions.{dname}.indicators.{name}"
        return f"dimensions.{dname}.secondary.{group}.indicators.{name}"

    def indicator(self, name: str) -> Indicator:
        """The indicator called ``name``.

        Examples
        --------
        >>> Scheme.default().indicator("days_late").direction
        'cost'
        """
        return self.dimensions[self.dimension_of(name)].leaves[name]

    def weight_tree(self) -> WeightTree:
        """The weights of every level as arrays (see :class:`WeightTree`).

        Examples
        --------
        >>> tree = Scheme.default().weight_tree()
        >>> len(tree.dimensions), len(tree.groups), len(tree.indicators)
        (3, 10, 16)
        """
        names, group_of, w = [], [], []
        groups, explicit, group_dim, u = [], [], [], []
        for d, dim in enumerate(self.dimensions.values()):
            if dim.secondary:
                for gname, group in dim.secondary.items():
                    groups.append(gname)
                    explicit.append(True)
                    group_dim.append(d)
                    u.append(group.weight)
                    for iname, ind in group.indicators.items():
                        names.append(iname)
                        group_of.append(len(groups) - 1)
                        w.append(ind.weight)
            else:  # each indicator its own implicit group: weight inside the dimension, then 1
                for iname, ind in dim.indicators.items():
                    groups.append(iname)
                    explicit.append(False)
                    group_dim.append(d)
                    u.append(ind.weight)
                    names.append(iname)
                    group_of.append(len(groups) - 1)
                    w.append(1.0)
        gof = np.array(group_of, dtype=np.intp)
        gdim = np.array(group_dim, dtype=np.intp)
        return WeightTree(
            dimensions=self.dimension_names, groups=tuple(groups), indicators=tuple(names),
            explicit=np.array(explicit, dtype=bool), group_dim=gdim, group_of=gof,
            dim_of=gdim[gof], dim_weights=np.array([d.weight for d in self.dimensions.values()],
                                                   dtype=float),
            group_weights=np.array(u, dtype=float), indicator_weights=np.array(w, dtype=float))

    def weight_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(indicator_weights (I,), dim_of (I,) int, dim_weights (D,))`` for the kernels.

        ``indicator_weights`` are the weights inside the dimension in
        :attr:`indicator_names` order (in a three-level dimension the product of the
        secondary indicator's weight and the indicator's weight inside it); ``dim_of[i]``
        is the position of indicator ``i``'s dimension.

        Examples
        --------
        >>> w, dim_of, dw = Scheme.default().weight_arrays()
        >>> w.shape, dim_of[:4].tolist(), round(float(dw.sum()), 12)
        ((16,), [0, 0, 0, 0], 1.0)
        """
        tree = self.weight_tree()
        return tree.effective(), tree.dim_of, tree.dim_weights

    def __repr__(self) -> str:
        dims = ", ".join(
            f"{k} {d.weight:.3f} ({len(d.leaves)})" for k, d in self.dimensions.items()
        )
        return (
            f"Scheme({self.name!r}: {dims}; aggregation={self.aggregation.method}, "
            f"sha256={self.hash()[:12]})"
        )

    __str__ = __repr__

    def tree_rows(self) -> list[dict[str, Any]]:
        """The indicator tree as rows, parents first (what the displays show).

        Each row has ``level`` (``dimension``, ``secondary`` or ``indicator``), ``depth``
        (0, 1 or 2), ``name``, ``label_zh``, ``label_en``, ``direction``, ``normalisation``,
        ``missing``, ``weight`` (inside the parent) and ``global`` (the product down the
        tree: for an indicator its effective weight in the score).

        Examples
        --------
        >>> rows = Scheme.default().tree_rows()
        >>> [(r["depth"], r["name"]) for r in rows[9:13]]
        [(0, 'compliance'), (1, 'power_factor'), (2, 'pf_compliance'), (1, 'bill_payment')]
        >>> round(sum(r["global"] for r in rows if r["level"] == "indicator"), 12)
        1.0
        """
        rows: list[dict[str, Any]] = []

        def node(level: str, depth: int, name: str, item: Any, weight: float,
                 glob: float) -> None:
            ind = item if isinstance(item, Indicator) else None
            norm = ""
            direction = ""
            if ind is not None:
                norm = ind.normalisation.method
                if ind.normalisation.winsorise is not None:
                    norm += (f" (winsorise {ind.normalisation.winsorise[0]:g}–"
                             f"{ind.normalisation.winsorise[1]:g})")
                direction = ind.direction + (f" ({ind.ideal:g})" if ind.ideal is not None
                                             else "")
            rows.append({"level": level, "depth": depth, "name": name,
                         "label_zh": item.label.zh, "label_en": item.label.en,
                         "direction": direction, "normalisation": norm,
                         "missing": getattr(item, "missing", ""), "weight": weight,
                         "global": glob})

        for dname, dim in self.dimensions.items():
            node("dimension", 0, dname, dim, dim.weight, dim.weight)
            for iname, ind in dim.indicators.items():
                node("indicator", 1, iname, ind, ind.weight, dim.weight * ind.weight)
            for gname, group in dim.secondary.items():
                gw = dim.weight * group.weight
                node("secondary", 1, gname, group, group.weight, gw)
                for iname, ind in group.indicators.items():
                    node("indicator", 2, iname, ind, ind.weight, gw * ind.weight)
        return rows

    def _repr_html_(self) -> str:
        """The indicator tree as an HTML table (what a notebook shows).

        Examples
        --------
        >>> html = Scheme.default()._repr_html_()
        >>> html.count("<tr") == 1 + 3 + 10 + 16, "电费缴纳情况" in html
        (True, True)
        """
        from html import escape

        head = ("<tr><th>dimension / secondary / indicator</th><th>名称</th><th>label</th>"
                "<th>direction</th><th>normalisation</th><th>missing</th><th>weight</th>"
                "<th>global</th></tr>")
        styles = {"dimension": " style='font-weight:bold'",
                  "secondary": " style='font-style:italic'", "indicator": ""}
        rows = [f"<tr{styles[r['level']]}><td>{'&nbsp;&nbsp;' * r['depth']}"
                f"{escape(r['name'])}</td><td>{escape(r['label_zh'])}</td>"
                f"<td>{escape(r['label_en'])}</td><td>{escape(r['direction'])}</td>"
                f"<td>{escape(r['normalisation'])}</td><td>{r['missing']}</td>"
                f"<td>{r['weight']:.4f}</td><td>{r['global']:.4f}</td></tr>"
                for r in self.tree_rows()]
        tiers = ", ".join(f"{escape(zh)} {q:.0%}" for zh, q in
                          zip(self.tiers.labels_zh, self.tiers.quotas, strict=True))
        notes = "".join(f"<li>{escape(n)}</li>" for n in self.notes)
        return (f"<div><p><b>Scheme {escape(self.name)}</b> — aggregation "
                f"{self.aggregation.method}; tiers {tiers}; sha256 {self.hash()[:12]}</p>"
                f"<table>{head}{''.join(rows)}</table>"
                + (f"<ul>{notes}</ul>" if notes else "") + "</div>")


# ---------------------------------------------------------------------- defaults
@lru_cache(maxsize=1)
def _default_scheme() -> Scheme:
    text = resources.files(_PACKAGE).joinpath(_DEFAULT_SCHEME).read_text(encoding="utf-8")
    return Scheme.from_toml(text)




_MOVED_TO_AHP_DEFAULTS = ("ahp_default_weights", "default_judgments", "judgment_matrix")


def __getattr__(name: str) -> Any:
    # Deprecated spellings: the AHP defaults moved to custvalue.scoring.ahp_defaults.
    if name in _MOVED_TO_AHP_DEFAULTS:
        warnings.warn(f"custvalue.scoring.scheme.{name} moved to "
                      f"custvalue.scoring.ahp_defaults.{name}", DeprecationWarning, stacklevel=2)
        from custvalue.scoring import ahp_defaults

        return getattr(ahp_defaults, name)
    raise AttributeError(f"module 'custvalue.scoring.scheme' has no attribute {name!r}")
