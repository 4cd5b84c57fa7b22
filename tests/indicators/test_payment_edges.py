"""Edges of the payment and exposure rules, worked out by hand where the mutation pass found
untested numbers: a payment or a due date exactly on the as-of date, one month of exposure,
one-fen and one-yuan amounts, and what ``paid_tolerance`` does.

The window is 2023-01 … 2024-12 and the as-of date 2024-12-31 (see test_indicator_values).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # pytest runs with --import-mode=importlib
# the fixtures run on every backend, like those of test_indicator_values
from test_indicator_values import backend, customer, month, pytest_generate_tests, run

__all__ = ["backend", "pytest_generate_tests"]


def test_a_payment_dated_on_the_as_of_date_counts():
    # 100 due 2024-12-20, paid on the as-of date 2024-12-31: paid late 11 days, nothing unpaid;
    # fee 100 × 0.002 × 11 = 2.2
    on = run([customer("C1")], [month("C1", "2024-11", 200.0, billed=100.0, due="2024-12-20",
                                      paid_date="2024-12-31", paid=100.0)])
    assert on.loc["C1", "arrears_ratio"] == 0.0
    assert on.loc["C1", "days_late"] == 11.0
    assert on.loc["C1", "on_time_rate"] == 0.0
    assert on.loc["C1", "late_fee"] == pytest.approx(2.2, abs=1e-9)
    # one day later it is not known at the as-of date: unpaid, 11 days by the as-of date
    after = run([customer("C1")], [month("C1", "2024-11", 200.0, billed=100.0,
                                         due="2024-12-20", paid_date="2025-01-01",
                                         paid=100.0)])
    assert after.loc["C1", "arrears_ratio"] == 1.0
    assert after.loc["C1", "days_late"] == 11.0


def test_a_bill_due_on_the_as_of_date():
    # due 2024-12-31 and unpaid: a bill (due on or before the as-of date), in arrears, but
    # not late yet (0 days, no fee)
    out = run([customer("C1")], [month("C1", "2024-11", 200.0, billed=100.0, due="2024-12-31",
                                       paid_date=None)])
    assert out.loc["C1", "on_time_rate"] == 0.0
    assert out.loc["C1", "arrears_ratio"] == 1.0
    assert out.loc["C1", "days_late"] == 0.0
    assert out.loc["C1", "late_fee"] == 0.0
    # paid on that day: on time
    paid = run([customer("C1")], [month("C1", "2024-11", 200.0, billed=100.0,
                                        due="2024-12-31", paid_date="2024-12-31", paid=100.0)])
    assert paid.loc["C1", "on_time_rate"] == 1.0
    assert paid.loc["C1", "arrears_ratio"] == 0.0
    # due the day after: not a bill yet
    later = run([customer("C1")], [month("C1", "2024-11", 200.0, billed=100.0,
                                         due="2025-01-01", paid_date=None)])
    assert later.loc["C1", "reason__on_time_rate"] == "no_bills_due"


def test_one_month_of_exposure():
    cs = [customer("LAST", opened="2024-12-31"),                          # 2024-12 only
          customer("FIRST", opened="2001-01-01", closed="2023-01-05")]    # 2023-01 only
    events = [{"customer_id": "LAST", "date": "2024-12-31", "kind": "violation"},
              {"customer_id": "FIRST", "date": "2023-01-02", "kind": "fault_affecting_others",
               "affected_customers": 3}]
    out = run(cs, [month("LAST", "2024-12")], events=events)
    assert out.loc["LAST", "exposure_months"] == 1
    assert out.loc["LAST", "violations_per_year"] == 12.0  # 1 × 12 / 1
    assert out.loc["FIRST", "exposure_months"] == 1
    assert out.loc["FIRST", "fault_impact_per_year"] == 36.0  # 3 × 12 / 1
    assert out.loc["FIRST", "violations_per_year"] == 0.0


def test_one_fen_and_one_yuan_amounts():
    rows = [
        # 0.01 billed, never paid: 0.01 in arrears 41 days; fee 0.01·0.002·41 → minimum 1.0
        month("C1", "2024-10", 0.02, billed=0.01, due="2024-11-20", paid_date=None),
        # 1.00 billed, 0.99 paid on time: one fen short, so not paid in full
        month("C1", "2024-01", 2.0, billed=1.0, due="2024-02-20", paid_date="2024-02-20",
              paid=0.99),
        # 1.00 billed and paid on time
        month("C1", "2024-02", 2.0, billed=1.0, due="2024-03-20", paid_date="2024-03-20",
              paid=1.0),
    ]
    out = run([customer("C1")], rows)
    billed = 0.01 + 1.0 + 1.0
    assert out.loc["C1", "on_time_rate"] == pytest.approx(1 / 3, rel=1e-15)
    assert out.loc["C1", "arrears_ratio"] == pytest.approx((0.01 + 0.01) / billed, rel=1e-12)
    # the short fen of 2024-01 is late from its due date to the as-of date: 315 days
    days = 0.01 * 41 + 0.01 * 315
    assert out.loc["C1", "days_late"] == pytest.approx(days / billed, rel=1e-12)
    assert out.loc["C1", "late_fee"] == pytest.approx(2.0, abs=1e-9)  # two late bills, minimum
    assert out.loc["C1", "revenue"] == pytest.approx(2.01, abs=1e-12)


def test_paid_tolerance_is_in_yuan_and_the_default_is_to_the_fen():
    """Amounts are held in whole fen, so only a tolerance of 0.01 yuan or more changes a
    result; the default 0 says what happens: a bill is paid in full when paid to the fen."""
    from custvalue.indicators import IndicatorParams

    assert IndicatorParams().paid_tolerance == 0.0
    rows = [month("C1", "2024-01", 2000.0, billed=1000.0, paid=999.99),   # one fen short
            month("C1", "2024-02", 2000.0, billed=1000.0, paid=999.0)]    # one yuan short
    default = run([customer("C1")], rows)
    assert default.loc["C1", "on_time_rate"] == 0.0
    assert default.loc["C1", "arrears_ratio"] == pytest.approx(1.01 / 2000, rel=1e-12)
    half_fen = run([customer("C1")], rows, paid_tolerance=0.005)
    assert half_fen.loc["C1"].equals(default.loc["C1"])
    fen = run([customer("C1")], rows, paid_tolerance=0.01)
    assert fen.loc["C1", "on_time_rate"] == 0.5
    assert fen.loc["C1", "arrears_ratio"] == pytest.approx(1.0 / 2000, rel=1e-12)
    yuan = run([customer("C1")], rows, paid_tolerance=1.0)
    assert yuan.loc["C1", "on_time_rate"] == 1.0
    assert yuan.loc["C1", "arrears_ratio"] == 0.0
