"""Deprecated path: :mod:`custvalue.samples` moved to :mod:`custvalue.inputs.samples`.

See ``docs/architecture.md``; this alias will be removed in a later major version.
"""

import warnings

from custvalue.inputs.samples import *  # noqa: F403

warnings.warn("custvalue.samples moved to custvalue.inputs.samples", DeprecationWarning,
              stacklevel=2)
