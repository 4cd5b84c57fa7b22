"""Scoring: weights, normalisation, aggregation and explanations (see docs/architecture.md).

* :func:`ahp` -- AHP priority weights and consistency from pairwise judgments.
* :func:`entropy_weights`, :func:`critic_weights`, :func:`std_weights` -- objective
  weights from the indicator values.
* :func:`combine_weights` -- linear or multiplicative mix of subjective and objective
  weights.
* :func:`objective_weights` -- entropy / CRITIC / std weights of a scheme's indicators from
  a grading, ready for :meth:`Scheme.with_weights`.
* :class:`Scheme` -- the grading scheme (dimensions, indicators, tiers, ABC), TOML/JSON.
* :class:`Normaliser` -- fit/transform of the ``norm__*`` columns.
* :func:`score`, :func:`score_result`, :class:`Scorer` -- the value score, dimension
  scores and ranks; :func:`aggregate` and the ``aggregate_*`` kernels for weight draws,
  :func:`aggregate_draws` for many draws at once (Monte-Carlo robustness).
* :func:`explain` -- per-indicator contributions of one customer's score.
"""

from custvalue.scoring.ahp_defaults import ahp_default_weights, default_judgments
from custvalue.scoring.arrays import (
    ScoringArrays,
    aggregate,
    aggregate_draws,
    batch_inputs,
    build_arrays,
)
from custvalue.scoring.explain import Explanation, explain
from custvalue.scoring.kernels import (
    Aggregated,
    TopsisReference,
    aggregate_arithmetic,
    aggregate_geometric,
    aggregate_topsis,
    effective_weights,
)
from custvalue.scoring.normalise import NEUTRAL, Normaliser, NotFittedError, example_frame
from custvalue.scoring.objective import ObjectiveWeights, objective_weights
from custvalue.scoring.scheme import (
    ABC,
    Aggregation,
    Dimension,
    Eligibility,
    Gate,
    Gates,
    Importance,
    Indicator,
    Normalisation,
    Scheme,
    SchemeWarning,
    Secondary,
    Text,
    Tiers,
    WeightTree,
)
from custvalue.scoring.scorer import Scorer, ScoreResult, rank_scores, score, score_result
from custvalue.scoring.weights import (
    CR_LIMIT,
    RANDOM_INDEX,
    AHPResult,
    ahp,
    combine_weights,
    critic_weights,
    entropy_weights,
    std_weights,
)

__all__ = [
    "ABC",
    "CR_LIMIT",
    "NEUTRAL",
    "RANDOM_INDEX",
    "AHPResult",
    "Aggregated",
    "Aggregation",
    "Dimension",
    "Eligibility",
    "Explanation",
    "Gate",
    "Gates",
    "Importance",
    "Indicator",
    "Normalisation",
    "Normaliser",
    "NotFittedError",
    "ObjectiveWeights",
    "Scheme",
    "SchemeWarning",
    "ScoreResult",
    "Scorer",
    "ScoringArrays",
    "Secondary",
    "Text",
    "Tiers",
    "TopsisReference",
    "WeightTree",
    "aggregate",
    "aggregate_arithmetic",
    "aggregate_draws",
    "aggregate_geometric",
    "aggregate_topsis",
    "ahp",
    "ahp_default_weights",
    "batch_inputs",
    "build_arrays",
    "combine_weights",
    "critic_weights",
    "default_judgments",
    "effective_weights",
    "entropy_weights",
    "example_frame",
    "explain",
    "objective_weights",
    "rank_scores",
    "score",
    "score_result",
    "std_weights",
]
