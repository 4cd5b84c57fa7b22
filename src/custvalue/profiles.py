"""Deprecated path: :mod:`custvalue.profiles` moved to :mod:`custvalue.analysis.profiles`.

See ``docs/architecture.md``; this alias will be removed in a later major version.
"""

import warnings

from custvalue.analysis.profiles import *  # noqa: F403

warnings.warn("custvalue.profiles moved to custvalue.analysis.profiles", DeprecationWarning,
              stacklevel=2)
