"""Validation: clustering checks of the tiers and their robustness under weight uncertainty.

* :func:`validate_tiers` -- compare the tiers with a k-means / Gaussian-mixture / Ward
  clustering of the same customers (ARI, NMI, Cramér's V, Spearman, silhouette,
  Davies–Bouldin, per-customer disagreements, choice of k).
* :func:`tier_stability` -- Dirichlet draws of the weights around the scheme's: per customer
  the probability of each tier, the modal tier, a 5–95 % rank interval and a borderline
  flag; per weight the share of customers changing tier when it alone moves.
* :func:`rescore` -- the scores under other weights (same policies and aggregation).
* :func:`uncertainty` -- tier probabilities and first-order / total sensitivity indices
  over method choices (normalisation, aggregation, missing values, winsorising) and
  weights; :func:`leave_one_out` -- tier changes when an indicator or dimension is removed.
* :func:`verdicts` -- PASS / WARN / FAIL of those figures against the scheme's ``gates``.
* :func:`write_reports` -- ``validation.json``, ``validation.txt`` and ``stability.parquet``.

See ``docs/validation.md`` for how to read the figures.
"""

from custvalue.validation.clustering import (
    DEFAULT_SAMPLE_SIZE,
    FIT_SIZE,
    MINIBATCH_ABOVE,
    MINIBATCH_INIT,
    TierValidation,
    validate_tiers,
)
from custvalue.validation.gates import Verdict, Verdicts, verdicts
from custvalue.validation.stability import (
    BORDERLINE,
    SENSITIVITY_STEPS,
    TierStability,
    rescore,
    tier_stability,
    write_reports,
)
from custvalue.validation.uncertainty import (
    DEFAULT_CHOICES,
    Uncertainty,
    leave_one_out,
    sobol_indices,
    uncertainty,
)

__all__ = [
    "BORDERLINE",
    "DEFAULT_CHOICES",
    "DEFAULT_SAMPLE_SIZE",
    "FIT_SIZE",
    "MINIBATCH_ABOVE",
    "MINIBATCH_INIT",
    "SENSITIVITY_STEPS",
    "TierStability",
    "TierValidation",
    "Uncertainty",
    "Verdict",
    "Verdicts",
    "leave_one_out",
    "rescore",
    "sobol_indices",
    "tier_stability",
    "uncertainty",
    "validate_tiers",
    "verdicts",
    "write_reports",
]
