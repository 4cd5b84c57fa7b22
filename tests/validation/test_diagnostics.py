"""Indicator diagnostics: statistics, correlations within and across dimensions, flags."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from custvalue.analysis import diagnose, indicator_stats
from custvalue.errors import InputError, SchemeError
from custvalue.scoring import Scheme, score

SCHEME = Scheme.from_dict({"dimensions": {
    "size": {"weight": 0.5, "indicators": {"a": {"weight": 0.5}, "b": {"weight": 0.5}}},
    "conduct": {"weight": 0.5, "indicators": {
        "c": {"weight": 0.4}, "d": {"weight": 0.4}, "k": {"weight": 0.2}}}}})


def grading() -> SimpleNamespace:
    rng = np.random.default_rng(0)
    n = 400
    a = rng.lognormal(0, 1.5, n)
    c = rng.random(n)
    raw = pd.DataFrame({
        "a": a,
        "b": a * 1.01 + rng.normal(0, 0.01, n),      # redundant with a
        "c": c,
        "d": 1 - c + rng.normal(0, 0.05, n),          # negative with c
        "k": np.full(n, 3.0),                         # constant
    }, index=pd.Index([f"c{i:03d}" for i in range(n)], name="customer_id"))
    raw.loc[raw.index[:40], "c"] = np.nan
    t = score(raw, SCHEME)
    t["tier"] = 0
    return SimpleNamespace(table=t, scheme=SCHEME)


def test_indicator_stats_match_scipy_and_the_tukey_fences():
    rng = np.random.default_rng(1)
    x = np.concatenate([rng.normal(0, 1, 200), [8.0, 9.0, -7.0], [np.nan] * 5])
    s = indicator_stats(pd.DataFrame({"x": x})).loc["x"]
    v = x[~np.isnan(x)]
    assert s["skew"] == pytest.approx(sps.skew(v, bias=False))
    assert s["kurtosis"] == pytest.approx(sps.kurtosis(v, bias=False))
    q1, q3 = np.quantile(v, [0.25, 0.75])
    assert s["outliers_high"] == int((v > q3 + 1.5 * (q3 - q1)).sum())
    assert s["outliers_low"] == int((v < q1 - 1.5 * (q3 - q1)).sum())
    assert s["missing_share"] == pytest.approx(5 / len(x)) and s["n"] == len(v)


def test_diagnose_flags_redundant_negative_constant_and_skewed_indicators():
    d = diagnose(grading())
    kinds = {(r.kind, r.a, None if pd.isna(r.b) else r.b) for r in d.flags.itertuples()}
    assert ("redundant", "a", "b") in kinds
    assert ("negative", "c", "d") in kinds
    assert ("constant", "k", None) in kinds
    assert ("skewed", "a", None) in kinds
    assert not any(k == "redundant" and {a, b} != {"a", "b"} for k, a, b in kinds)
    assert d.stats.loc["c", "missing_share"] == pytest.approx(0.1)
    g = grading()
    norm = g.table[["norm__a", "norm__c"]].dropna()
    assert d.correlation.loc["a", "c"] == pytest.approx(norm.corr().iloc[0, 1])
    assert list(d.with_dimensions.columns) == ["size", "conduct", "score"]
    assert d.with_dimensions.loc["a", "size"] == pytest.approx(
        g.table["norm__a"].corr(g.table["dim__size"]))
    assert "redundant" not in str(diagnose(g, redundant=1.0).flags["kind"].tolist())
    assert "negative" in d.to_text() or "negatively" in d.to_text()
    assert d.to_dict()["thresholds"]["redundant"] == 0.9


def test_diagnose_rejects_what_it_cannot_read():
    with pytest.raises(SchemeError):
        diagnose(grading(), method="kendall")
    with pytest.raises(InputError):
        diagnose(SimpleNamespace(table=pd.DataFrame({"score": [1.0]}), scheme=SCHEME))
