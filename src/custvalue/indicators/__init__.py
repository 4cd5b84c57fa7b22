"""The indicator stage: one row of raw indicators per register customer.

:func:`compute_indicators` turns the input tables into the indicators of the value scheme
(contribution, compliance, cooperation), each with a ``reason__<indicator>`` column that
says why it is missing.  Each indicator is written once as narwhals expressions and runs
lazily on polars (default, streaming), DuckDB or PySpark; see ``docs/indicators.md``.

Examples
--------
>>> import custvalue.inputs.samples
>>> from custvalue import CheckOptions
>>> from custvalue.indicators import INDICATOR_NAMES, compute_indicators
>>> t = custvalue.samples.generate(30, months=36, seed=5)
>>> out = compute_indicators(**t, options=CheckOptions(duplicates="sum",
...                                                    negative_energy="allow"))
>>> out.shape[0] == len(t["customers"]) and set(INDICATOR_NAMES) <= set(out.columns)
True
"""

from __future__ import annotations

from custvalue.indicators.catalog import (
    BOOKKEEPING_COLUMNS,
    INDICATOR_NAMES,
    INDICATORS,
    REASONS,
    IndicatorSpec,
    output_columns,
)
from custvalue.indicators.engine import compute_indicators, resolve_window
from custvalue.indicators.params import (
    DEFAULT_POWER_FACTOR_RULES,
    IndicatorParams,
    LateFeeRate,
    PowerFactorRule,
    input_treatments,
)
from custvalue.indicators.window import Window, WindowLike

__all__ = [
    "BOOKKEEPING_COLUMNS",
    "DEFAULT_POWER_FACTOR_RULES",
    "INDICATORS",
    "INDICATOR_NAMES",
    "REASONS",
    "IndicatorParams",
    "IndicatorSpec",
    "LateFeeRate",
    "PowerFactorRule",
    "Window",
    "WindowLike",
    "compute_indicators",
    "input_treatments",
    "output_columns",
    "resolve_window",
]
