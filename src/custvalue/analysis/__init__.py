"""Analysis of a grading: tier profiles (seed 000 §3.2), the services each tier gets, and
improvement plans for the customers to be urged to improve, group trends."""

from custvalue.analysis.groups import GroupTrends, group_trends
from custvalue.analysis.plans import ImprovementPlans, improvement_plan, improvement_plans
from custvalue.analysis.profiles import profile, top_customers
from custvalue.analysis.services import (
    Catalogue,
    entitlements,
    grade_complaint,
    grade_complaints,
)

__all__ = ["Catalogue", "GroupTrends", "ImprovementPlans", "entitlements", "grade_complaint",
           "grade_complaints", "group_trends", "improvement_plan", "improvement_plans", "profile",
           "top_customers"]
