"""Deprecated path: :mod:`custvalue.io` moved to :mod:`custvalue.inputs.io`.

See ``docs/architecture.md``; this alias will be removed in a later major version.
"""

import warnings

from custvalue.inputs.io import *  # noqa: F403

warnings.warn("custvalue.io moved to custvalue.inputs.io", DeprecationWarning,
              stacklevel=2)
