"""Deprecated path: :mod:`custvalue.scoring.aggregate` moved to :mod:`custvalue.scoring.scorer`.

The aggregation was split into :mod:`~custvalue.scoring.kernels`,
:mod:`~custvalue.scoring.arrays` and :mod:`~custvalue.scoring.scorer`; see
``docs/architecture.md``.  This alias will be removed in a later major version.
"""

import sys
import types
import warnings
from typing import Any

from custvalue.scoring.arrays import *  # noqa: F403
from custvalue.scoring.arrays import aggregate
from custvalue.scoring.kernels import *  # noqa: F403
from custvalue.scoring.scorer import *  # noqa: F403


class _Module(types.ModuleType):
    # Importing this module makes it the package attribute ``custvalue.scoring.aggregate``,
    # which is also the name of the function: calling the module calls the function.
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return aggregate(*args, **kwargs)


sys.modules[__name__].__class__ = _Module
warnings.warn("custvalue.scoring.aggregate moved to custvalue.scoring.scorer", DeprecationWarning,
              stacklevel=2)
