"""Hand-built indicator frames and Hypothesis strategies shared by the scoring tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import strategies as st

from custvalue.scoring.scheme import Scheme

NAN = np.nan

#: Columns of the default scheme with a plausible (low, high) range for random frames.
RANGES: dict[str, tuple[float, float]] = {
    "kwh_per_year": (0.0, 5e6),
    "revenue_per_year": (0.0, 4e6),
    "avg_price": (0.3, 1.2),
    "usage_growth": (-0.5, 2.0),
    "electricity_share": (0.0, 1.0),
    "substitution_potential": (0.0, 1.0),
    "pf_compliance": (0.0, 1.0),
    "on_time_rate": (0.0, 1.0),
    "days_late": (0.0, 90.0),
    "arrears_ratio": (0.0, 1.2),
    "plan_completion": (0.0, 1.0),
    "violations_per_year": (0.0, 5.0),
    "fault_impact_per_year": (0.0, 300.0),
    "policy_rate": (0.0, 1.0),
    "work_cooperation": (0.0, 5.0),
    "suggestions_per_year": (0.0, 10.0),
}


def indicator_frame() -> pd.DataFrame:
    """Eight customers covering the cases the scoring must handle.

    * K01 large industrial, excellent; K02 large, sloppy payer; K03 commercial, average;
    * K04 residential: no power-factor assessment, no plan, no audit, no policy asked;
    * K05 residential, chronically late, in arrears;
    * K06 new customer: no growth (too short a history), no cooperation score;
    * K07 no billing at all (kWh and revenue missing) -> ungraded;
    * K08 same values as K03 (a tie broken by customer_id).
    """
    data = {
        "kwh_per_year": [4e6, 3e6, 2e5, 2400, 1800, 5e4, NAN, 2e5],
        "revenue_per_year": [2.6e6, 2.1e6, 1.5e5, 1400, 1000, 3.6e4, NAN, 1.5e5],
        "avg_price": [0.65, 0.70, 0.75, 0.58, 0.56, 0.72, NAN, 0.75],
        "usage_growth": [0.06, 0.01, 0.10, 0.02, -0.05, NAN, NAN, 0.10],
        "electricity_share": [0.7, 0.5, NAN, NAN, NAN, NAN, NAN, NAN],
        "substitution_potential": [0.2, 0.1, NAN, NAN, NAN, NAN, NAN, NAN],
        "pf_compliance": [1.0, 0.7, 0.9, NAN, NAN, 1.0, NAN, 0.9],
        "on_time_rate": [1.0, 0.6, 0.95, 1.0, 0.4, 1.0, NAN, 0.95],
        "days_late": [0.0, 12.0, 1.0, 0.0, 40.0, 0.0, NAN, 1.0],
        "arrears_ratio": [0.0, 0.05, 0.0, 0.0, 0.3, 0.0, NAN, 0.0],
        "late_fee": [0.0, 5200.0, 3.0, 0.0, 60.0, 0.0, NAN, 3.0],
        "plan_completion": [0.95, 0.8, NAN, NAN, NAN, NAN, NAN, NAN],
        "violations_per_year": [0.0, 1.0, 0.0, 0.0, 0.0, 0.0, NAN, 0.0],
        "fault_impact_per_year": [0.0, 12.0, 0.0, 0.0, 0.0, 0.0, NAN, 0.0],
        "policy_rate": [1.0, 0.5, 1.0, NAN, NAN, NAN, NAN, 1.0],
        "work_cooperation": [5.0, 3.0, 4.0, 3.5, 2.0, NAN, NAN, 4.0],
        "suggestions_per_year": [2.0, 0.0, 0.5, 0.0, 0.0, 0.0, NAN, 0.5],
    }
    ids = pd.Index([f"K0{i}" for i in range(1, 9)], name="customer_id")
    df = pd.DataFrame(data, index=ids)
    reasons = {
        "kwh_per_year": {"K07": "no_records"},
        "revenue_per_year": {"K07": "no_records"},
        "pf_compliance": {"K04": "not_applicable", "K05": "not_applicable"},
        "usage_growth": {"K06": "short_history"},
    }
    for col, by_id in reasons.items():
        df["reason__" + col] = pd.Series(by_id, dtype=object).reindex(ids).astype(object)
    return df


def small_scheme(**overrides) -> Scheme:
    """Two dimensions, three indicators: easy to compute by hand.

    d1 (weight 0.6): a (0.5, minmax, benefit), b (0.5, minmax, cost);
    d2 (weight 0.4): c (1.0, threshold 0..10, benefit).
    ``overrides`` patch the data: ``{"a": {"missing": "neutral"}}`` or
    ``{"d1": {"missing": "worst"}}`` or top-level keys.
    """
    data = {
        "name": "small",
        "dimensions": {
            "d1": {"weight": 0.6, "indicators": {
                "a": {"weight": 0.5},
                "b": {"weight": 0.5, "direction": "cost"},
            }},
            "d2": {"weight": 0.4, "indicators": {
                "c": {"weight": 1.0, "normalisation": {
                    "method": "threshold", "lower": 0.0, "upper": 10.0}},
            }},
        },
    }
    for key, patch in overrides.items():
        if key in ("a", "b"):
            data["dimensions"]["d1"]["indicators"][key].update(patch)
        elif key == "c":
            data["dimensions"]["d2"]["indicators"][key].update(patch)
        elif key in ("d1", "d2"):
            data["dimensions"][key].update(patch)
        else:
            data[key] = patch
    return Scheme.from_dict(data)


def small_frame(rows: dict[str, tuple[float, float, float]]) -> pd.DataFrame:
    """Frame with columns a, b, c from ``{customer_id: (a, b, c)}``."""
    df = pd.DataFrame.from_dict(rows, orient="index", columns=["a", "b", "c"])
    df.index.name = "customer_id"
    return df.astype(float)


@st.composite
def default_frames(draw, min_rows: int = 2, max_rows: int = 10, missing: bool = True,
                   ungraded: bool = False):
    """Random indicator frames for the default scheme (kWh and revenue always present,
    unless ``ungraded``: then some customers (never all) lack kWh and are ungraded)."""
    n = draw(st.integers(min_rows, max_rows))
    ids = draw(
        st.lists(st.from_regex(r"[A-Z][0-9]{3}", fullmatch=True), min_size=n, max_size=n,
                 unique=True)
    )
    data = {}
    for col, (lo, hi) in RANGES.items():
        values = draw(
            st.lists(
                st.floats(lo, hi, allow_nan=False).map(lambda v: round(v, 4)),
                min_size=n, max_size=n,
            )
        )
        values = np.array(values, dtype=float)
        if missing and col not in ("kwh_per_year", "revenue_per_year"):
            mask = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
            values = np.where(mask & (np.arange(n) % 3 == 0), np.nan, values)
        data[col] = values
    if ungraded:
        mask = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
        mask[draw(st.integers(0, n - 1))] = False  # at least one graded customer
        data["kwh_per_year"] = np.where(mask, np.nan, data["kwh_per_year"])
    return pd.DataFrame(data, index=pd.Index(ids, name="customer_id"))
