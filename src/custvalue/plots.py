"""Deprecated path: :mod:`custvalue.plots` moved to :mod:`custvalue.present.plots`.

See ``docs/architecture.md``; this alias will be removed in a later major version.
"""

import warnings

from custvalue.present.plots import *  # noqa: F403

warnings.warn("custvalue.plots moved to custvalue.present.plots", DeprecationWarning,
              stacklevel=2)
