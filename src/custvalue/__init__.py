"""custvalue: value scores and service tiers for the customers of an electricity supplier.

The pipeline runs one way: input tables → indicators → scores → tiers → validation and
regrade.  The names most users need are importable from here; the plotting, report and
validation names are imported on first use (they pull in matplotlib and the clustering code).

The library does not print: it logs to the ``custvalue`` logger (one child per module,
e.g. ``custvalue.pipeline``, which logs each stage of :func:`grade` and its time at INFO).

Examples
--------
>>> import custvalue
>>> tables = custvalue.samples.generate(30, months=12, seed=1)
>>> custvalue.check_tables(**tables, duplicates="last", negative_energy="allow").ok
True
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING, Any

from custvalue import errors
from custvalue.errors import CustvalueError, InputError, SchemeError

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from custvalue.analysis.profiles import profile, top_customers
    from custvalue.analysis.services import Catalogue, entitlements, grade_complaint
    from custvalue.grading import Grading
    from custvalue.grading.manifest import Manifest
    from custvalue.indicators import IndicatorParams, compute_indicators
    from custvalue.inputs import samples
    from custvalue.inputs.checks import CheckOptions, CheckReport, check_tables
    from custvalue.inputs.database import DatabaseSource, database_tables
    from custvalue.pipeline import grade
    from custvalue.present import plots
    from custvalue.present.report import render_report, write_report
    from custvalue.regrade import Comparison, list_snapshots, save_snapshot
    from custvalue.regrade.compare import compare
    from custvalue.scoring import Scheme, objective_weights, score
    from custvalue.scoring.explain import explain
    from custvalue.scoring.weights import (
        ahp,
        combine_weights,
        critic_weights,
        entropy_weights,
        std_weights,
    )
    from custvalue.tiers import abc_by_count, abc_by_value, apply_pins, assign_tiers, tier_sizes
    from custvalue.validation import (
        TierStability,
        TierValidation,
        tier_stability,
        validate_tiers,
    )

__version__ = "0.1.0"

# The library logs to the "custvalue" logger (children per module: "custvalue.pipeline" ...)
# and leaves the handlers to the application: without one, nothing is printed.
logging.getLogger(__name__).addHandler(logging.NullHandler())

# Everything else is imported on first use (PEP 562): `import custvalue` and the CLI start
# in a fraction of a second instead of loading polars, scikit-learn and scipy up front.
#: Public names and the module each comes from.
_EXPORTS = {
    **dict.fromkeys(("CheckOptions", "CheckReport", "check_tables"), "custvalue.inputs.checks"),
    "Grading": "custvalue.grading",
    **dict.fromkeys(("DatabaseSource", "database_tables"), "custvalue.inputs.database"),
    "grade": "custvalue.pipeline",
    **dict.fromkeys(("IndicatorParams", "compute_indicators"), "custvalue.indicators"),
    "Manifest": "custvalue.grading",
    **dict.fromkeys(("profile", "top_customers"), "custvalue.analysis.profiles"),
    **dict.fromkeys(("Comparison", "compare", "list_snapshots", "save_snapshot"),
                    "custvalue.regrade"),
    **dict.fromkeys(("render_report", "write_report"), "custvalue.present.report"),
    **dict.fromkeys(("Scheme", "explain", "objective_weights", "score"), "custvalue.scoring"),
    **dict.fromkeys(("ahp", "combine_weights", "critic_weights", "entropy_weights",
                     "std_weights"), "custvalue.scoring.weights"),
    **dict.fromkeys(("Catalogue", "entitlements", "grade_complaint"),
                    "custvalue.analysis.services"),
    **dict.fromkeys(("abc_by_count", "abc_by_value", "apply_pins", "assign_tiers",
                     "tier_sizes"), "custvalue.tiers"),
    **dict.fromkeys(("TierStability", "TierValidation", "tier_stability", "validate_tiers"),
                    "custvalue.validation"),
}


#: Short names of submodules that live in a stage folder (``custvalue.samples`` ...).
_SUBMODULES = {"samples": "custvalue.inputs.samples", "plots": "custvalue.present.plots",
               "report": "custvalue.present.report", "profiles": "custvalue.analysis.profiles",
               "services": "custvalue.analysis.services", "checks": "custvalue.inputs.checks",
               "contract": "custvalue.inputs.contract", "io": "custvalue.inputs.io",
               "manifest": "custvalue.grading.manifest"}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is not None:
        value = getattr(importlib.import_module(module), name)
    else:  # a submodule: custvalue.samples, custvalue.tiers, custvalue.plots ...
        try:
            value = importlib.import_module(_SUBMODULES.get(name, f"custvalue.{name}"))
        except ModuleNotFoundError as exc:
            if exc.name != f"custvalue.{name}":
                raise
            raise AttributeError(f"module 'custvalue' has no attribute {name!r}") from None
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


__all__ = [
    "Catalogue",
    "CheckOptions",
    "CheckReport",
    "Comparison",
    "CustvalueError",
    "DatabaseSource",
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
    "database_tables",
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
