"""Tier sizes and reports worked out by hand where the mutation pass found untested numbers:
quotas whose fractions do not sum exactly to 1, and the order of ``tier_report`` groups."""

from __future__ import annotations

from fractions import Fraction

import pandas as pd
import pytest

from custvalue.errors import SchemeError
from custvalue.tiers import assign_tiers, tier_report, tier_sizes


def test_quotas_a_billionth_short_of_one_are_rescaled_before_the_remainders():
    """(0.1, 0.2, 0.699999999) sum to 1 - 1e-9 (within the tolerance).  Rescaled to sum to 1,
    n = 10⁹ gives the exact shares 100000000.1, 200000000.2, 699999999.7: the one customer
    left after the floors goes to the last tier (largest remainder .7).  Read unscaled, the
    floors would be exact and leave one customer for the first tier."""
    n = 10**9
    quotas = (0.1, 0.2, 0.699999999)
    decimal = [Fraction(str(q)) for q in quotas]  # the quotas as written
    shares = [n * q / sum(decimal) for q in decimal]
    assert [float(s - int(s)) for s in shares] == pytest.approx([0.1, 0.2, 0.7])
    assert tier_sizes(n, quotas).tolist() == [100_000_000, 200_000_000, 700_000_000]


def test_quotas_half_a_billionth_short():
    """(0.5, 0.4999999995): n = 10⁹ gives shares 500000000.25 and 499999999.75 (rescaled):
    the customer left after the floors goes to the second tier."""
    quotas = (0.5, 0.4999999995)
    assert tier_sizes(10**9, quotas).tolist() == [500_000_000, 500_000_000]
    assert tier_sizes(3, quotas).tolist() == [2, 1]
    assert tier_sizes(1, quotas).tolist() == [1, 0]
    with pytest.raises(SchemeError, match="sum to 1"):
        tier_sizes(3, (0.5, 0.500001))


def test_thirds_are_exact():
    """Three float thirds are read as exactly 1/3 each: equal remainders, better tier first."""
    assert tier_sizes(4, (1 / 3, 1 / 3, 1 / 3)).tolist() == [2, 1, 1]
    assert tier_sizes(5, (1 / 3, 1 / 3, 1 / 3)).tolist() == [2, 2, 1]
    assert tier_sizes(30, (1 / 3, 1 / 3, 1 / 3)).tolist() == [10, 10, 10]


def test_tier_report_groups_come_sorted_with_their_own_targets():
    scores = pd.Series({"a": 9.0, "b": 8.0, "c": 7.0, "d": 6.0, "e": 5.0, "f": 4.0})
    region = pd.Series({"a": "north", "b": "south", "c": "north", "d": "east", "e": "south",
                        "f": "north"})
    result = assign_tiers(scores, quotas=(0.5, 0.5), by=region)
    report = tier_report(result)
    assert report["group"].tolist() == ["east", "east", "north", "north", "south", "south"]
    assert report["tier"].tolist() == [0, 1, 0, 1, 0, 1]
    # east: 1 customer, remainders .5/.5 -> the better tier; north: 3 -> 2 + 1; south: 1 + 1
    assert report["base"].tolist() == [1, 1, 3, 3, 2, 2]
    assert report["target"].tolist() == [1, 0, 2, 1, 1, 1]
    assert report["actual"].tolist() == [1, 0, 2, 1, 1, 1]
    assert report["deviation"].tolist() == [0] * 6
    # the same rows, given in another order, give the same report
    shuffled = result.loc[["f", "d", "b", "a", "e", "c"]]
    pd.testing.assert_frame_equal(tier_report(shuffled, quotas=(0.5, 0.5)), report)


def test_tier_report_with_numeric_groups_and_an_empty_tier():
    scores = pd.Series({f"c{i}": float(10 - i) for i in range(7)})
    group = pd.Series({f"c{i}": [3, 1, 3, 1, 3, 1, 2][i] for i in range(7)})
    report = tier_report(assign_tiers(scores, quotas=(0.2, 0.8), by=group))
    assert report["group"].tolist() == [1, 1, 2, 2, 3, 3]
    # group 1: 3 customers -> 0.6 / 2.4 -> floors 0, 2, remainders .6/.4 -> [1, 2];
    # group 2: 1 customer -> .2/.8 -> [0, 1]; group 3: 3 customers -> [1, 2]
    assert report["target"].tolist() == [1, 2, 0, 1, 1, 2]
    assert report["quota"].tolist() == [0.2, 0.8] * 3
