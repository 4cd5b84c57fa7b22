"""Group analyses of seed 000 §3.2: annual series, trend, concentration, credit, prospect."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from custvalue.analysis.groups import group_trends
from custvalue.errors import InvalidValueError, MissingColumnError


def _monthly(months: int = 36, start: str = "2022-01") -> pd.DataFrame:
    periods = pd.period_range(start, periods=months, freq="M")
    year = np.arange(months) // 12
    kwh = {
        "a": 100.0 * 1.1 ** year,         # +10 % a year: growing
        "b": np.full(months, 50.0),       # flat: stable
        "c": 60.0 * 0.8 ** year,          # -20 % a year: declining
        "d": np.full(months, 10.0),       # ungraded customer
    }
    rows = []
    for cid, series in kwh.items():  # test data: a handful of customers
        for p, v in zip(periods, series, strict=True):
            due = (p + 1).to_timestamp() + pd.Timedelta(days=19)
            late = 10 if cid == "b" else 0
            paid = due + pd.Timedelta(days=late)
            amount = 0.5 * v
            paid_amount = amount if not (cid == "c" and p == periods[-1]) else 0.0
            rows.append({"customer_id": cid, "period": str(p), "active_kwh": v,
                         "billed_amount": amount, "due_date": due.date(),
                         "paid_date": paid.date() if paid_amount else None,
                         "paid_amount": paid_amount})
    return pd.DataFrame(rows)


GRADING = pd.DataFrame({"customer_id": ["a", "b", "c", "d"], "tier": [0, 1, 1, None],
                        "abc": ["A", "B", "B", None],
                        "region": ["north", "north", "south", "south"]})


def test_series_trend_and_prospect_by_tier() -> None:
    tr = group_trends(_monthly(), GRADING, top_k=1, window=("2022-01", "2024-12"))
    assert tr.groups.index.tolist() == ["0", "1", "ungraded"]
    s = tr.series.set_index(["group", "year"])
    assert s.loc[("0", 1), "kwh"] == pytest.approx(1200.0)
    assert s.loc[("0", 3), "kwh"] == pytest.approx(1452.0)
    assert s.loc[("1", 2), "customers"] == 2 and not s["partial"].any()
    g = tr.groups
    assert g.at["0", "kwh_growth"] == pytest.approx(0.10)
    assert g.at["0", "prospect"] == "growing" and g.at["ungraded", "prospect"] == "stable"
    # group 1 = b (flat 600) + c (720, 576, 460.8): falling
    assert g.at["1", "prospect"] == "declining" and g.at["1", "kwh_growth"] < -0.02
    assert g.at["0", "statement"].startswith("growing: kWh 1.2 MWh (Y1) → 1.45 MWh (Y3), "
                                             "+10.0% a year")
    # concentration: the top customer of group 1 is b (1800 kWh of 1800 + 1756.8)
    assert g.at["1", "top_share"] == pytest.approx(1800.0 / (1800.0 + 720 + 576 + 460.8))
    assert g["kwh_share"].sum() == pytest.approx(1.0)
    # credit: b pays 10 days late, c leaves its last bill unpaid
    assert g.at["0", "on_time_rate"] == 1.0 and g.at["0", "days_late"] == 0.0
    assert g.at["1", "on_time_rate"] == pytest.approx(35 / 72)
    unpaid = 0.5 * 60 * 0.8 ** 2
    billed_1 = 0.5 * (1800.0 + 720 + 576 + 460.8)
    assert g.at["1", "arrears_ratio"] == pytest.approx(unpaid / billed_1)
    assert g.at["1", "days_late"] > 0


def test_any_column_and_partial_last_year() -> None:
    tr = group_trends(_monthly(30), GRADING, by="region", window=("2022-01", "2024-06"))
    s = tr.series.set_index(["group", "year"])
    assert bool(s.loc[("north", 3), "partial"]) and s.loc[("north", 3), "months"] == 6
    # the partial year is scaled to twelve months ...
    assert s.loc[("north", 3), "kwh"] == pytest.approx(12 * (121.0 + 50.0))
    # ... and left out of the trend (two whole years)
    assert tr.groups.at["north", "kwh_last"] == pytest.approx(12 * (110.0 + 50.0))
    by_abc = group_trends(_monthly(), GRADING, by="abc")
    # the customer without a tier is "ungraded" under ABC too, as under tiers
    assert by_abc.groups.index.tolist() == ["A", "B", "ungraded"]
    assert by_abc.groups.at["ungraded", "customers"] == 1
    assert by_abc.window == ("2022-01", "2024-12")  # from the monthly table


def test_errors() -> None:
    with pytest.raises(MissingColumnError):
        group_trends(_monthly(), GRADING, by="county")
    with pytest.raises(MissingColumnError):
        group_trends(_monthly().drop(columns="paid_amount"), GRADING)
    with pytest.raises(InvalidValueError):
        group_trends(_monthly(), GRADING, window=("2030-01", "2030-12"))
    with pytest.raises(InvalidValueError):
        group_trends(_monthly(), GRADING, top_k=0)


def test_plot_has_a_line_per_group() -> None:
    from matplotlib.figure import Figure

    from custvalue.present.plots import group_trend_lines

    tr = group_trends(_monthly(), GRADING)
    ax = group_trend_lines(tr, lang="en", ax=Figure().subplots())
    lines = [line for line in ax.get_lines() if str(line.get_gid()).startswith("trend-")]
    assert len(lines) == 3
    assert np.allclose(lines[0].get_ydata(), [100.0, 110.0, 121.0])
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[0].endswith("(+10.0%/yr, growing)")
