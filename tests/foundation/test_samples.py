"""The sample generator: realistic structure, set messiness, determinism, committed files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custvalue.inputs.checks import check_tables
from custvalue.inputs.contract import TABLES
from custvalue.inputs.samples import SAMPLE_WINDOWS, generate, generate_windows, write_sample

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def big():
    return generate(3000, months=36, seed=11)


def test_columns_follow_the_contract(big):
    for name, frame in big.items():
        assert set(frame.columns) == set(TABLES[name].column_names), name


def test_generated_tables_pass_the_checks_with_documented_treatments(big):
    report = check_tables(**big, duplicates="last", negative_energy="allow")
    assert report.ok, str(report)
    assert {f.code for f in report.findings} == {"duplicate_key", "negative_energy"}


def test_class_mix_and_heavy_tail(big):
    share = big["customers"]["customer_class"].value_counts(normalize=True)
    assert 0.6 < share["residential"] < 0.8
    assert 0.01 < share["large_industrial"] < 0.06
    kwh = big["monthly"].groupby("customer_id")["active_kwh"].sum().clip(lower=0)
    top = kwh.sort_values(ascending=False)
    # heavy tail: the top 10 % of customers use most of the energy
    assert top.iloc[: len(top) // 10].sum() / top.sum() > 0.8


def test_messiness_rates(big):
    m = big["monthly"]
    dup = m.duplicated(["customer_id", "period"]).mean()
    assert 0.001 < dup < 0.006
    assert 0.0005 < (m["active_kwh"] < 0).mean() < 0.005
    c = big["customers"]
    assert 0.02 < c["closed"].notna().mean() < 0.07
    assert (pd.to_datetime(c["opened"]) >= "2022-01-01").mean() > 0.02


def test_reactive_metering_only_for_100_kva_and_more(big):
    m = big["monthly"].merge(big["customers"], on="customer_id")
    metered = m["reactive_kvarh"].notna()
    assert (m.loc[metered, "contract_kva"] >= 100).all()
    assert not (metered & (m["customer_class"] == "residential")).any()
    pf = m["active_kwh"] / np.hypot(m["active_kwh"], m["reactive_kvarh"].fillna(0)
                                    + m["reverse_kvarh"].fillna(0))
    low = (pf[metered & (m["active_kwh"] > 0)] < 0.85).mean()
    assert 0.03 < low < 0.25  # some chronically low customers


def test_payment_archetypes(big):
    m = big["monthly"]
    late = pd.to_datetime(m["paid_date"]) > pd.to_datetime(m["due_date"])
    per_customer = late.groupby(m["customer_id"]).mean()
    assert (per_customer == 0).mean() > 0.5  # most always pay on time
    assert (per_customer > 0.5).mean() > 0.03  # some are chronically late
    assert m["paid_date"].isna().any()  # some bills are unpaid


@settings(max_examples=10, deadline=None)
@given(n=st.integers(1, 40), months=st.integers(1, 30), seed=st.integers(0, 2**32 - 1))
def test_deterministic_and_every_customer_in_register(n, months, seed):
    a = generate(n, months=months, seed=seed)
    b = generate(n, months=months, seed=seed)
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name])
    assert len(a["customers"]) == n
    for name in ("monthly", "events", "cooperation", "energy"):
        assert set(a[name]["customer_id"]) <= set(a["customers"]["customer_id"])


def test_windows_share_a_population_with_movement():
    first, second = generate_windows(500, months=24, seed=5)
    ids1, ids2 = set(first["customers"]["customer_id"]), set(second["customers"]["customer_id"])
    assert ids2 - ids1, "some customers join in the second window"
    assert ids1 - ids2, "some customers leave before the second window"
    assert len(ids1 & ids2) > 400
    assert first["monthly"]["period"].max() < second["monthly"]["period"].min()


def test_committed_sample_equals_a_fresh_generation(tmp_path):
    write_sample(tmp_path)
    for window in SAMPLE_WINDOWS:
        for name in TABLES:
            committed = ROOT / "data" / "samples" / window / f"{name}.csv"
            fresh = tmp_path / window / f"{name}.csv"
            assert committed.read_bytes() == fresh.read_bytes(), (
                f"{committed} differs from a fresh generation: run `make samples`")
