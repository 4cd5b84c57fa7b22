"""Analysis of a grading: tier profiles (seed 000 §3.2), the services each tier gets,
improvement plans for the customers to be urged to improve, group trends, and indicator
diagnostics (statistics, correlations, flags; :func:`diagnose`)."""

from custvalue.analysis.diagnostics import Diagnostics, diagnose, indicator_stats
from custvalue.analysis.groups import GroupTrends, group_trends
from custvalue.analysis.plans import ImprovementPlans, improvement_plan, improvement_plans
from custvalue.analysis.profiles import profile, top_customers
from custvalue.analysis.services import (
    Catalogue,
    entitlements,
    grade_complaint,
    grade_complaints,
)

__all__ = ["Catalogue", "Diagnostics", "GroupTrends", "ImprovementPlans", "diagnose",
           "entitlements", "grade_complaint", "grade_complaints", "group_trends",
           "improvement_plan", "improvement_plans", "indicator_stats", "profile",
           "top_customers"]
