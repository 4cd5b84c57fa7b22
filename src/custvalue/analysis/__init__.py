"""Analysis of a grading: tier profiles (seed 000 §3.2), the services each tier gets, and
improvement plans for the customers to be urged to improve."""

from custvalue.analysis.plans import ImprovementPlans, improvement_plan, improvement_plans
from custvalue.analysis.profiles import profile, top_customers
from custvalue.analysis.services import (
    Catalogue,
    entitlements,
    grade_complaint,
    grade_complaints,
)

__all__ = ["Catalogue", "ImprovementPlans", "entitlements", "grade_complaint",
           "grade_complaints", "improvement_plan", "improvement_plans", "profile",
           "top_customers"]
