"""Deprecated path: :mod:`custvalue.contract` moved to :mod:`custvalue.inputs.contract`.

See ``docs/architecture.md``; this alias will be removed in a later major version.
"""

import warnings

from custvalue.inputs.contract import *  # noqa: F403

warnings.warn("custvalue.contract moved to custvalue.inputs.contract", DeprecationWarning,
              stacklevel=2)
