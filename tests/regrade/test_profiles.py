"""profile() and top_customers() on a hand-made grading of six customers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from custvalue.analysis.profiles import profile, top_customers
from custvalue.errors import InvalidValueError, MissingColumnError

# kWh total 1000, revenue total 600; f is ungraded.
TABLE = pd.DataFrame({
    "customer_id": ["a", "b", "c", "d", "e", "f"],
    "tier": pd.array([0, 1, 1, 2, 2, None], dtype="Int64"),
    "tier_zh": ["特级客户", "一级客户", "一级客户", "二级客户", "二级客户", None],
    "tier_en": ["special", "first", "first", "second", "second", None],
    "region": ["n", "n", "s", "s", "n", "s"],
    "total_kwh": [500.0, 200.0, 100.0, 80.0, 70.0, 50.0],
    "revenue": [300.0, 150.0, 60.0, 50.0, 30.0, 10.0],
    "usage_growth": [0.10, 0.05, -0.05, 0.00, 0.02, np.nan],
    "on_time_rate": [1.0, 0.9, 0.8, 0.7, 0.6, 0.5],
    "arrears_ratio": [0.0, 0.02, 0.04, 0.10, 0.0, 0.20],
    "late_fee": [0.0, 10.0, 20.0, 30.0, 0.0, 40.0],
    "days_late": [0.0, 2.0, 4.0, 6.0, 8.0, 10.0],
    "score": [95.0, 80.0, 70.0, 50.0, 40.0, np.nan],
}).set_index("customer_id")


def test_profile_by_tier() -> None:
    p = profile(TABLE, top_k=1)
    assert p["tier_en"].tolist() == ["special", "first", "second", "ungraded"]
    assert p["tier"].iloc[:3].tolist() == [0, 1, 2] and pd.isna(p["tier"].iloc[3])
    assert p["tier_zh"].iloc[3] == "未评级"
    assert p["status"].tolist() == ["graded", "graded", "graded", "ungraded"]
    assert list(p.columns[:4]) == ["tier", "status", "tier_zh", "tier_en"]
    assert p["customers"].tolist() == [1, 2, 2, 1]
    np.testing.assert_allclose(p["customer_share"], [1 / 6, 2 / 6, 2 / 6, 1 / 6])
    np.testing.assert_allclose(p["kwh"], [500, 300, 150, 50])
    np.testing.assert_allclose(p["kwh_share"], [0.5, 0.3, 0.15, 0.05])
    np.testing.assert_allclose(p["revenue_share"], [0.5, 0.35, 80 / 600, 10 / 600])
    np.testing.assert_allclose(p["revenue_per_customer"], [300, 105, 40, 10])
    # the largest consumer of each group and its share of the group's kWh
    assert p["top_k"].tolist() == [1, 1, 1, 1]
    np.testing.assert_allclose(p["top_kwh"], [500, 200, 80, 50])
    np.testing.assert_allclose(p["top_kwh_share"], [1.0, 2 / 3, 80 / 150, 1.0])
    np.testing.assert_allclose(p["growth_mean"].iloc[:3], [0.10, 0.0, 0.01], atol=1e-12)
    np.testing.assert_allclose(p["growth_median"].iloc[:3], [0.10, 0.0, 0.01], atol=1e-12)
    assert np.isnan(p["growth_mean"].iloc[3])  # f has no growth
    np.testing.assert_allclose(p["on_time_rate_mean"], [1.0, 0.85, 0.65, 0.5])
    np.testing.assert_allclose(p["arrears_ratio"], [0.0, 0.03, 0.05, 0.2])
    assert p["arrears_basis"].tolist() == ["mean"] * 4
    np.testing.assert_allclose(p["late_fee_total"], [0, 30, 30, 40])
    np.testing.assert_allclose(p["days_late_mean"], [0, 3, 7, 10])
    np.testing.assert_allclose(p[["score_min", "score_mean", "score_max"]].iloc[1],
                               [70, 75, 80])


def test_share_columns_sum_to_one_and_nobody_is_dropped() -> None:
    p = profile(TABLE)
    assert p["customers"].sum() == len(TABLE)
    for col in ("customer_share", "kwh_share", "revenue_share"):
        assert p[col].sum() == pytest.approx(1.0)


def test_default_top_k_counts_whole_small_groups() -> None:
    p = profile(TABLE)
    assert p["top_k"].tolist() == [1, 2, 2, 1]
    np.testing.assert_allclose(p["top_kwh_share"], 1.0)


def test_profile_by_region() -> None:
    p = profile(TABLE, by="region", top_k=1)
    assert p.columns[0] == "region"
    assert p["region"].tolist() == ["n"] * 4 + ["s"] * 4
    n = p[p["region"] == "n"].set_index("tier_en")
    s = p[p["region"] == "s"].set_index("tier_en")
    assert n["customers"].tolist() == [1, 1, 1, 0]
    assert s["customers"].tolist() == [0, 1, 1, 1]
    np.testing.assert_allclose(n["kwh_share"], [500 / 770, 200 / 770, 70 / 770, 0.0])
    np.testing.assert_allclose(s["kwh_share"], [0.0, 100 / 230, 80 / 230, 50 / 230])
    assert s.loc["special", "kwh"] == 0.0 and np.isnan(s.loc["special", "growth_mean"])
    for block in (n, s):
        assert block["customer_share"].sum() == pytest.approx(1.0)
        assert block["revenue_share"].sum() == pytest.approx(1.0)


def test_missing_stratum_is_its_own_block() -> None:
    t = TABLE.copy()
    t.loc["a", "customer_class"] = "large"
    p = profile(t, by="customer_class")
    assert p["customer_class"].unique().tolist() == ["large", "(missing)"]
    assert p["customers"].sum() == len(t)


def test_arrears_from_amounts() -> None:
    t = TABLE.assign(arrears=[0.0, 3.0, 2.4, 5.0, 0.0, 2.0],
                     billed=[300.0, 150.0, 60.0, 50.0, 30.0, 10.0])
    p = profile(t)
    assert p["arrears_basis"].tolist() == ["amounts"] * 4
    np.testing.assert_allclose(p["arrears_ratio"], [0.0, 5.4 / 210, 5.0 / 80, 0.2])


def test_missing_source_columns_give_nan() -> None:
    p = profile(TABLE[["tier"]])
    assert p["customers"].tolist() == [1, 2, 2, 1]
    assert p["kwh"].isna().all() and p["late_fee_total"].isna().all()
    assert p["arrears_basis"].isna().all()


def test_column_override() -> None:
    t = TABLE.rename(columns={"total_kwh": "kwh_2024"})
    p = profile(t, columns={"kwh": "kwh_2024"})
    np.testing.assert_allclose(p["kwh_share"], [0.5, 0.3, 0.15, 0.05])
    with pytest.raises(InvalidValueError):
        profile(t, columns={"energy": "kwh_2024"})


def test_all_ungraded() -> None:
    t = TABLE.assign(tier=pd.array([None] * 6, dtype="Int64"))
    p = profile(t)
    assert p["tier_en"].tolist() == ["ungraded"] and p["customers"].tolist() == [6]


def test_bad_arguments() -> None:
    with pytest.raises(MissingColumnError):
        profile(TABLE, by="district")
    with pytest.raises(InvalidValueError):
        profile(TABLE, top_k=0)


def test_top_customers() -> None:
    top = top_customers(TABLE, 1, k=5)
    assert top.index.tolist() == ["b", "c"]
    assert top["position"].tolist() == [1, 2]
    np.testing.assert_allclose(top["share"], [2 / 3, 1 / 3])
    np.testing.assert_allclose(top["cumulative_share"], [2 / 3, 1.0])
    assert top["tier_zh"].tolist() == ["一级客户", "一级客户"]
    assert top_customers(TABLE, None).index.tolist() == ["f"]
    assert top_customers(TABLE, "ungraded").index.tolist() == ["f"]
    assert top_customers(TABLE, 3).empty


def test_top_customers_ties_and_value() -> None:
    t = TABLE.assign(total_kwh=[1.0, 5.0, 5.0, 1.0, 1.0, 1.0])
    assert top_customers(t, 1, k=1).index.tolist() == ["b"]  # tie broken by customer_id
    by_revenue = top_customers(TABLE, 2, value="revenue")
    assert by_revenue.index.tolist() == ["d", "e"]
    np.testing.assert_allclose(by_revenue["share"], [50 / 80, 30 / 80])


def test_top_share_agrees_with_profile() -> None:
    p = profile(TABLE, top_k=1).set_index("tier_en")
    top = top_customers(TABLE, 2, k=1)
    assert top["cumulative_share"].iloc[-1] == pytest.approx(p.loc["second", "top_kwh_share"])


def test_top_customers_bad_arguments() -> None:
    with pytest.raises(InvalidValueError):
        top_customers(TABLE, "special")
    with pytest.raises(InvalidValueError):
        top_customers(TABLE, 0, k=0)
    with pytest.raises(MissingColumnError):
        top_customers(TABLE, 0, value="margin")


def test_doc_examples_run() -> None:
    import doctest

    doc = Path(__file__).resolve().parents[2] / "docs" / "profiles.md"
    result = doctest.testfile(str(doc), module_relative=False,
                              optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
