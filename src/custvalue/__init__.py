"""custvalue: value scores and service tiers for the customers of an electricity supplier.

The pipeline runs one way: input tables → indicators → scores → tiers → validation and
regrade.  The names most users need are importable from here; the plotting, report and
validation names are imported on first use (they pull in matplotlib and the clustering code).

Examples
--------
>>> import custvalue
>>> tables = custvalue.samples.generate(30, months=12, seed=1)
>>> custvalue.check_tables(**tables, duplicates="last", negative_energy="allow").ok
True
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from custvalue import errors, samples
from custvalue.checks import CheckOptions, CheckReport, check_tables
from custvalue.errors import CustvalueError, InputError, SchemeError
from custvalue.grading import Grading, grade
from custvalue.indicators import IndicatorParams, compute_indicators
from custvalue.manifest import Manifest
from custvalue.profiles import profile, top_customers
from custvalue.regrade import Comparison, compare, list_snapshots, save_snapshot
from custvalue.scoring import Scheme, explain, objective_weights, score
from custvalue.scoring.weights import (
    ahp,
    combine_weights,
    critic_weights,
    entropy_weights,
    std_weights,
)
from custvalue.services import Catalogue, entitlements, grade_complaint
from custvalue.tiers import abc_by_count, abc_by_value, apply_pins, assign_tiers, tier_sizes

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from custvalue.report import render_report, write_report
    from custvalue.validation import (
        TierStability,
        TierValidation,
        tier_stability,
        validate_tiers,
    )

__version__ = "0.1.0"

#: Names imported on first access: ``name -> module``.
_LAZY = {
    "render_report": "custvalue.report",
    "write_report": "custvalue.report",
    "TierStability": "custvalue.validation",
    "TierValidation": "custvalue.validation",
    "tier_stability": "custvalue.validation",
    "validate_tiers": "custvalue.validation",
    "plots": "custvalue.plots",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'custvalue' has no attribute {name!r}")
    mod = importlib.import_module(module)
    return mod if module.endswith(f".{name}") else getattr(mod, name)


__all__ = [
    "Catalogue",
    "CheckOptions",
    "CheckReport",
    "Comparison",
    "CustvalueError",
    "Grading",
    "IndicatorParams",
    "InputError",
    "Manifest",
    "Scheme",
    "SchemeError",
    "TierStability",
    "TierValidation",
    "__version__",
    "abc_by_count",
    "abc_by_value",
    "ahp",
    "apply_pins",
    "assign_tiers",
    "check_tables",
    "combine_weights",
    "compare",
    "compute_indicators",
    "critic_weights",
    "entitlements",
    "entropy_weights",
    "errors",
    "explain",
    "grade",
    "grade_complaint",
    "list_snapshots",
    "objective_weights",
    "plots",
    "profile",
    "render_report",
    "samples",
    "save_snapshot",
    "score",
    "std_weights",
    "tier_sizes",
    "tier_stability",
    "top_customers",
    "validate_tiers",
    "write_report",
]
