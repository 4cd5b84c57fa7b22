"""Deprecated path: :mod:`custvalue.checks` moved to :mod:`custvalue.inputs.checks`.

See ``docs/architecture.md``; this alias will be removed in a later major version.
"""

import warnings

from custvalue.inputs.checks import *  # noqa: F403

warnings.warn("custvalue.checks moved to custvalue.inputs.checks", DeprecationWarning,
              stacklevel=2)
