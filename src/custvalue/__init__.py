"""custvalue: value scores and service tiers for the customers of an electricity supplier.

The pipeline runs one way: input tables → indicators → scores → tiers → validation and
regrade.  The names most users need are importable from here.

Examples
--------
>>> import custvalue
>>> tables = custvalue.samples.generate(30, months=12, seed=1)
>>> custvalue.check_tables(**tables, duplicates="last", negative_energy="allow").ok
True
"""

from __future__ import annotations

from custvalue import errors, samples
from custvalue.checks import CheckOptions, CheckReport, check_tables
from custvalue.errors import CustvalueError, InputError, SchemeError

__version__ = "0.1.0"

__all__ = [
    "CheckOptions",
    "CheckReport",
    "CustvalueError",
    "InputError",
    "SchemeError",
    "__version__",
    "check_tables",
    "errors",
    "samples",
]
