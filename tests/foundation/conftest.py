"""Small valid tables that the foundation tests break on purpose."""

from __future__ import annotations

import pandas as pd
import pytest


def valid_tables() -> dict[str, pd.DataFrame]:
    customers = pd.DataFrame({
        "customer_id": ["C1", "C2", "C3"],
        "customer_class": ["large_industrial", "general_commercial_industrial", "residential"],
        "contract_kva": [2000.0, 150.0, 8.0],
        "voltage_kv": [10.0, 10.0, 0.22],
        "industry": ["steel", "retail", "household"],
        "region": ["north", "south", "east"],
        "opened": ["2010-01-01", "2015-05-05", "2018-03-01"],
        "closed": [None, None, None],
    })
    periods = ["2024-01", "2024-02", "2024-03"]
    monthly = pd.DataFrame({
        "customer_id": [c for c in ("C1", "C2", "C3") for _ in periods],
        "period": periods * 3,
        "active_kwh": [1000.0, 1100.0, 900.0, 50.0, 60.0, 55.0, 10.0, 12.0, 11.0],
        "reactive_kvarh": [400.0, 420.0, 380.0, 30.0, 20.0, 25.0, None, None, None],
        "billed_amount": [650.0, 715.0, 585.0, 39.0, 46.8, 42.9, 5.6, 6.7, 6.2],
        "due_date": ["2024-02-20", "2024-03-20", "2024-04-20"] * 3,
        "paid_date": ["2024-02-10", "2024-03-25", None] * 3,
        "paid_amount": [650.0, 715.0, None, 39.0, 46.8, None, 5.6, 6.7, None],
    })
    events = pd.DataFrame({"customer_id": ["C1"], "date": ["2024-02-02"],
                           "kind": ["violation"], "affected_customers": [None],
                           "note": ["x"]})
    cooperation = pd.DataFrame({"customer_id": ["C1", "C2"], "date": ["2024-01-05"] * 2,
                                "kind": ["policy_requested", "suggestion"],
                                "score": [None, None]})
    energy = pd.DataFrame({"customer_id": ["C1"], "year": [2024],
                           "total_energy_tce": [500.0], "electricity_tce": [200.0]})
    return {"customers": customers, "monthly": monthly, "events": events,
            "cooperation": cooperation, "energy": energy}


@pytest.fixture
def tables() -> dict[str, pd.DataFrame]:
    return valid_tables()
