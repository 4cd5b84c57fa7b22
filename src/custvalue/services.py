"""Deprecated path: :mod:`custvalue.services` moved to :mod:`custvalue.analysis.services`.

See ``docs/architecture.md``; this alias will be removed in a later major version.
"""

import warnings

from custvalue.analysis.services import *  # noqa: F403

warnings.warn("custvalue.services moved to custvalue.analysis.services", DeprecationWarning,
              stacklevel=2)
