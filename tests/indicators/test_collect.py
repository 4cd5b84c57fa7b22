"""compute_indicators(collect=True): a polars plan in, one streaming query, a frame out."""

from __future__ import annotations

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from custvalue.errors import DuplicateRowsError, NegativeEnergyError
from custvalue.indicators import compute_indicators
from custvalue.inputs.checks import CheckOptions
from custvalue.inputs.io import scan_typed
from custvalue.inputs.samples import generate

TREAT = CheckOptions(duplicates="sum", negative_energy="allow")


@pytest.fixture(scope="module")
def plans() -> dict[str, pl.LazyFrame]:
    tables = generate(120, months=24, seed=11)
    return {k: scan_typed(v, k) for k, v in tables.items()}


def test_collect_gives_the_frame_the_plan_gives(plans: dict[str, pl.LazyFrame]) -> None:
    lazy = compute_indicators(**plans, options=TREAT)
    assert isinstance(lazy, pl.LazyFrame)
    eager = compute_indicators(**plans, options=TREAT, collect=True)
    assert isinstance(eager, pl.DataFrame)
    assert eager.height == 120
    assert_frame_equal(eager, lazy.collect())


def test_collect_keeps_the_checks(plans: dict[str, pl.LazyFrame]) -> None:
    monthly = plans["monthly"]
    twice = pl.concat([monthly, monthly.head(1)])
    with pytest.raises(DuplicateRowsError):
        compute_indicators(plans["customers"], twice, collect=True,
                           options=CheckOptions(negative_energy="allow"))
    negative = monthly.with_columns(pl.col("active_kwh").abs()).head(50).with_columns(
        pl.when(pl.int_range(pl.len()) == 3).then(-1.0).otherwise(pl.col("active_kwh"))
        .alias("active_kwh"))
    with pytest.raises(NegativeEnergyError):
        compute_indicators(plans["customers"], negative, collect=True,
                           options=CheckOptions(duplicates="sum"))
