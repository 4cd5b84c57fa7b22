"""Deprecated path: :mod:`custvalue.report` moved to :mod:`custvalue.present.report`.

See ``docs/architecture.md``; this alias will be removed in a later major version.
"""

import warnings

from custvalue.present.report import *  # noqa: F403

warnings.warn("custvalue.report moved to custvalue.present.report", DeprecationWarning,
              stacklevel=2)
