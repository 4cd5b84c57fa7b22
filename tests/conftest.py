"""Shared test settings.

Hypothesis profiles: ``default`` is hypothesis' own; ``mutation`` (``--hypothesis-profile
mutation``, used by ``scripts/mutation.py``) runs fewer, derandomised examples so that a
mutant's verdict is repeatable and a sampled mutation pass finishes in minutes per module.
"""

from hypothesis import HealthCheck, settings

settings.register_profile(
    "mutation", max_examples=25, derandomize=True, deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
