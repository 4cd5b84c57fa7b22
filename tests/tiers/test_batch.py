"""assign_tiers_batch: the tier rule of assign_tiers / apply_pins for K score vectors at once."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custvalue.errors import InvalidValueError, SchemeError, UnsupportedInputError
from custvalue.tiers import apply_pins, assign_tiers, assign_tiers_batch
from custvalue.tiers._common import order_kernel

QUOTA_SETS = [(0.1, 0.3, 0.5, 0.1), (0.5, 0.5), (0.05, 0.15, 0.8), (1.0,), (0.2, 0.2, 0.2, 0.4)]


def _ids(n: int) -> pd.Index:
    return pd.Index([f"c{i:04d}" for i in range(n)], name="customer_id")


def _expected(row: np.ndarray, quotas: tuple[float, ...], ties: str, by: np.ndarray | None,
              pins: np.ndarray | None, count: bool) -> tuple[np.ndarray, np.ndarray]:
    """Rank and tier of one row by the frame functions (-1 where <NA>)."""
    ids = _ids(row.size)
    scores = pd.Series(row, index=ids)
    group = None if by is None else pd.Series(by, index=ids)
    if pins is not None and (pins >= 0).any():
        frame = pd.DataFrame({"customer_id": ids[pins >= 0], "tier": pins[pins >= 0],
                              "reason": "pinned"})
        res = apply_pins(scores, frame, quotas, count_against_quota=count, ties=ties,
                         by=group)
    else:
        res = assign_tiers(scores, quotas, ties=ties, by=group)
    return (res["rank"].fillna(-1).to_numpy(dtype=np.int64),
            res["tier"].fillna(-1).to_numpy(dtype=np.int64))


def _check_rows(scores: np.ndarray, quotas: tuple[float, ...], ties: str,
                by: np.ndarray | None = None, pins: np.ndarray | None = None,
                count: bool = True) -> None:
    got = assign_tiers_batch(scores, quotas, ties=ties, by=by, pins=pins,
                             count_against_quota=count)
    assert got.rank.shape == got.tier.shape == scores.shape
    for k, row in enumerate(scores):
        rank, tier = _expected(row, quotas, ties, by, pins, count)
        np.testing.assert_array_equal(got.tier[k], tier, err_msg=f"row {k}")
        np.testing.assert_array_equal(got.rank[k], rank, err_msg=f"row {k}")


@pytest.mark.parametrize("ties", ["stable", "together"])
@pytest.mark.parametrize("quotas", QUOTA_SETS)
def test_batch_equals_assign_tiers_row_by_row_with_ties(ties: str,
                                                       quotas: tuple[float, ...]) -> None:
    rng = np.random.default_rng(7)
    for n in (1, 2, 7, 23, 101):
        # few distinct values: many ties, also across the quota cuts
        scores = rng.integers(0, max(2, n // 4), (6, n)).astype(float)
        _check_rows(scores, quotas, ties)


@pytest.mark.parametrize("ties", ["stable", "together"])
def test_batch_with_ungraded_customers_varying_by_row(ties: str) -> None:
    rng = np.random.default_rng(8)
    scores = rng.integers(0, 6, (8, 40)).astype(float)
    scores[rng.random(scores.shape) < 0.2] = np.nan
    scores[3] = np.nan  # a row with nobody graded
    _check_rows(scores, (0.1, 0.3, 0.5, 0.1), ties)


@pytest.mark.parametrize("ties", ["stable", "together"])
@pytest.mark.parametrize("count", [True, False])
def test_batch_with_groups_and_pins(ties: str, count: bool) -> None:
    rng = np.random.default_rng(9)
    n = 60
    scores = rng.integers(0, 8, (5, n)).astype(float)
    scores[rng.random(scores.shape) < 0.1] = np.nan
    by = rng.choice(np.array(["north", "south", "east"]), n)
    pins = np.full(n, -1)
    pins[rng.choice(n, 9, replace=False)] = rng.integers(0, 4, 9)
    _check_rows(scores, (0.1, 0.3, 0.5, 0.1), ties, by=by)
    _check_rows(scores, (0.1, 0.3, 0.5, 0.1), ties, pins=pins, count=count)
    _check_rows(scores, (0.1, 0.3, 0.5, 0.1), ties, by=by, pins=pins, count=count)


def test_pins_overflowing_a_tier() -> None:
    rng = np.random.default_rng(10)
    scores = rng.random((4, 20)).round(1)
    pins = np.full(20, -1)
    pins[:6] = 0  # six pins in a tier of two seats
    for count in (True, False):
        _check_rows(scores, (0.1, 0.3, 0.5, 0.1), "together", pins=pins, count=count)


@settings(max_examples=60, deadline=None)
@given(
    data=st.lists(st.lists(st.one_of(st.integers(0, 4).map(float), st.just(np.nan)),
                           min_size=12, max_size=12), min_size=1, max_size=4),
    ties=st.sampled_from(["stable", "together"]),
    quotas=st.sampled_from(QUOTA_SETS),
    pinned=st.lists(st.integers(-1, 3), min_size=12, max_size=12),
    count=st.booleans(),
)
def test_batch_property(data: list[list[float]], ties: str, quotas: tuple[float, ...],
                        pinned: list[int], count: bool) -> None:
    scores = np.array(data)
    pins = np.minimum(np.array(pinned), len(quotas) - 1)
    _check_rows(scores, quotas, ties)
    _check_rows(scores, quotas, ties, pins=pins, count=count)


def test_batch_rejects_bad_input() -> None:
    with pytest.raises(UnsupportedInputError):
        assign_tiers_batch(np.zeros(3))
    with pytest.raises(InvalidValueError):
        assign_tiers_batch(np.array([[1.0, np.inf]]))
    with pytest.raises(UnsupportedInputError):
        assign_tiers_batch(np.zeros((2, 3)), by=["a", "b"])
    with pytest.raises(InvalidValueError):
        assign_tiers_batch(np.zeros((2, 3)), (0.5, 0.5), pins=[0, 2, -1])
    with pytest.raises(SchemeError):
        assign_tiers_batch(np.zeros((2, 3)), ties="shared")  # type: ignore[arg-type]
    empty = assign_tiers_batch(np.zeros((0, 3)))
    assert empty.tier.shape == (0, 3)


def test_order_kernel_is_the_stable_argsort() -> None:
    rng = np.random.default_rng(4)
    for _ in range(30):
        key = rng.integers(0, int(rng.integers(1, 15)), (3, int(rng.integers(1, 200))))
        key = np.where(rng.random(key.shape) < 0.1, np.inf, key.astype(float))
        np.testing.assert_array_equal(order_kernel(key),
                                      np.argsort(key, axis=1, kind="stable"))
