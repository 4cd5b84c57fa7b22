"""Analysis of a grading: tier profiles (seed 000 §3.2) and the services each tier gets."""

from custvalue.analysis.profiles import profile, top_customers
from custvalue.analysis.services import Catalogue, entitlements, grade_complaint

__all__ = ["Catalogue", "entitlements", "grade_complaint", "profile", "top_customers"]
