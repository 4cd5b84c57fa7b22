"""Analysis of a grading: tier profiles (seed 000 §3.2), the services each tier gets, and
indicator diagnostics (statistics, correlations, flags; :func:`diagnose`)."""

from custvalue.analysis.diagnostics import Diagnostics, diagnose, indicator_stats
from custvalue.analysis.profiles import profile, top_customers
from custvalue.analysis.services import Catalogue, entitlements, grade_complaint

__all__ = [
    "Catalogue",
    "Diagnostics",
    "diagnose",
    "entitlements",
    "grade_complaint",
    "indicator_stats",
    "profile",
    "top_customers",
]
