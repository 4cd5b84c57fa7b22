"""aggregate_draws: the batched aggregation equals aggregate() and score() for every draw."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from custvalue.scoring import (
    Scheme,
    Scorer,
    aggregate,
    aggregate_draws,
    batch_inputs,
    build_arrays,
    score,
    score_result,
)

METHODS = ["arithmetic", "geometric", "topsis"]


def raw_indicators(n: int, seed: int = 0) -> pd.DataFrame:
    """A raw indicator frame with the default scheme's columns and realistic gaps."""
    rng = np.random.default_rng(seed)
    kwh = np.exp(rng.normal(9, 2, n))
    price = rng.uniform(0.5, 0.8, n)
    frame = pd.DataFrame({
        "kwh_per_year": kwh,
        "revenue_per_year": kwh * price,
        "avg_price": price,
        "usage_growth": rng.normal(0.03, 0.1, n),
        "electricity_share": rng.uniform(0, 1, n),
        "substitution_potential": rng.uniform(0, 0.5, n),
        "pf_compliance": rng.uniform(0, 1, n),
        "on_time_rate": rng.uniform(0.5, 1, n),
        "days_late": rng.exponential(5, n),
        "arrears_ratio": rng.exponential(0.02, n),
        "late_fee": rng.exponential(10, n),
        "plan_completion": rng.uniform(0.5, 1, n),
        "violations_per_year": rng.poisson(0.2, n).astype(float),
        "fault_impact_per_year": rng.poisson(0.5, n).astype(float),
        "policy_rate": rng.uniform(0, 1, n),
        "work_cooperation": rng.uniform(0, 5, n),
        "suggestions_per_year": rng.poisson(0.3, n).astype(float),
    }, index=pd.Index([f"C{i:05d}" for i in range(n)], name="customer_id"))
    for col, share in [("usage_growth", 0.1), ("electricity_share", 0.7),
                       ("substitution_potential", 0.7), ("pf_compliance", 0.6),
                       ("plan_completion", 0.8), ("policy_rate", 0.5),
                       ("work_cooperation", 0.4), ("revenue_per_year", 0.02)]:
        frame.loc[rng.random(n) < share, col] = np.nan
    # no revenue, no average price (and the customer is ungraded: revenue is required)
    frame.loc[frame["revenue_per_year"].isna(), "avg_price"] = np.nan
    # some customers without any cooperation record (an empty dimension)
    frame.loc[rng.random(n) < 0.1, ["policy_rate", "work_cooperation",
                                    "suggestions_per_year"]] = np.nan
    return frame


def scheme_for(method: str, fill_dimension: bool = False) -> Scheme:
    data = Scheme.default().model_dump()
    data["aggregation"]["method"] = method
    if fill_dimension:  # an empty cooperation dimension scores neutral instead of re-spreading
        data["dimensions"]["cooperation"]["missing"] = "neutral"
    return Scheme.from_dict(data)


@pytest.mark.parametrize("method", METHODS)
def test_batched_scores_equal_aggregate(method: str) -> None:
    scheme = scheme_for(method)
    table = score_result(raw_indicators(200, seed=3), scheme).table
    norm = table[[f"norm__{i}" for i in scheme.indicator_names]]
    arrays = build_arrays(norm, scheme)
    rng = np.random.default_rng(0)
    w = rng.dirichlet(np.ones(len(scheme.indicator_names)), size=6)
    v = rng.dirichlet(np.ones(len(scheme.dimensions)), size=6)
    w[0, 0] = 0.0  # a zero weight
    ref = aggregate(arrays, w, v).score
    got = aggregate_draws(arrays, w, v)
    np.testing.assert_array_equal(np.isnan(ref), np.isnan(got))
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-12)
    # prepared once, chunked: the same numbers
    np.testing.assert_array_equal(aggregate_draws(batch_inputs(arrays), w, v, cells=400), got)


@pytest.mark.parametrize("fill_dimension", [False, True])
@pytest.mark.parametrize("method", METHODS)
def test_batched_scores_equal_score_for_each_draw(method: str, fill_dimension: bool) -> None:
    scheme = scheme_for(method, fill_dimension)
    raw = raw_indicators(150, seed=5)
    arrays = Scorer(scheme).fit(raw).arrays(raw)
    assert arrays.ungraded.any()  # the ungraded policy is exercised
    rng = np.random.default_rng(1)
    dims, names = scheme.dimension_names, scheme.indicator_names
    _, dim_of, _ = scheme.weight_arrays()
    v = rng.dirichlet(np.full(len(dims), 5.0), size=4)
    w = np.zeros((4, len(names)))
    for d in range(len(dims)):
        idx = np.flatnonzero(dim_of == d)
        w[:, idx] = rng.dirichlet(np.full(idx.size, 5.0), size=4)
    got = aggregate_draws(arrays, w, v) * 100.0
    for k in range(4):
        drawn = scheme.with_weights(dict(zip(dims, v[k], strict=True)),
                                    dict(zip(names, w[k], strict=True)), within="dimension",
                                    normalise=True)
        want = score(raw, drawn)["score"].reindex(arrays.customer_id).to_numpy(dtype=float)
        np.testing.assert_array_equal(np.isnan(got[k]), np.isnan(want))
        np.testing.assert_allclose(got[k], want, rtol=0, atol=1e-9, err_msg=f"draw {k}")
