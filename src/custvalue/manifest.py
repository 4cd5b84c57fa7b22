"""Deprecated path: :mod:`custvalue.manifest` moved to :mod:`custvalue.grading.manifest`.

See ``docs/architecture.md``; this alias will be removed in a later major version.
"""

import warnings

from custvalue.grading.manifest import *  # noqa: F403

warnings.warn("custvalue.manifest moved to custvalue.grading.manifest", DeprecationWarning,
              stacklevel=2)
