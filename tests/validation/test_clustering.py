"""Clustering validation of the tiers: planted groups, noise, metrics, reproducibility."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr
from scipy.stats.contingency import association
from sklearn.metrics import (
    adjusted_rand_score,
    davies_bouldin_score,
    normalized_mutual_info_score,
    silhouette_samples,
)

from custvalue.errors import InputError, MissingColumnError, SchemeError
from custvalue.scoring import Scheme
from custvalue.validation import TierValidation, validate_tiers
from custvalue.validation import clustering as cl

QUOTAS = (0.10, 0.30, 0.50, 0.10)


@dataclass
class FakeGrading:
    table: pd.DataFrame
    scheme: Any


def _scheme(p: int, n_dims: int = 2) -> Scheme:
    """``p`` indicators i0..i{p-1} spread over ``n_dims`` dimensions, equal weights."""
    dims: dict[str, Any] = {}
    per = np.array_split(np.arange(p), n_dims)
    for d, idx in enumerate(per):
        inds = {f"i{i}": {"weight": 1.0 / len(idx)} for i in idx}
        dims[f"d{d}"] = {"weight": 1.0 / n_dims, "indicators": inds}
    return Scheme.from_dict({"dimensions": dims}, normalise=True)


def _grading(x: np.ndarray, score: np.ndarray, tier: np.ndarray, n_dims: int = 2,
             ids: list[str] | None = None) -> FakeGrading:
    n, p = x.shape
    scheme = _scheme(p, n_dims)
    ids = ids or [f"c{i:05d}" for i in range(n)]
    table = pd.DataFrame({f"norm__i{j}": x[:, j] for j in range(p)},
                         index=pd.Index(ids, name="customer_id"))
    for d, dim in scheme.dimensions.items():
        cols = [f"norm__{i}" for i in dim.indicators]
        table[f"dim__{d}"] = 100 * table[cols].mean(axis=1)
    table["score"] = score
    table["tier"] = pd.array(tier, dtype="Int64")
    table["graded"] = ~np.isnan(score)
    return FakeGrading(table, scheme)


def _tiers_of(score: np.ndarray) -> np.ndarray:
    """Quota tiers of a score (rank order; the article's 10/30/50/10)."""
    n = score.size
    order = np.argsort(-score, kind="stable")
    sizes = np.round(np.asarray(QUOTAS) * n).astype(int)
    sizes[-1] = n - sizes[:-1].sum()
    tier = np.empty(n, dtype=np.int64)
    tier[order] = np.repeat(np.arange(4), sizes)
    return tier


def planted(n: int = 400, p: int = 5, spread: float = 0.03, seed: int = 0) -> FakeGrading:
    """Tiers built from four well-separated groups: the group is the tier."""
    rng = np.random.default_rng(seed)
    sizes = (np.asarray(QUOTAS) * n).astype(int)
    group = np.repeat(np.arange(4), sizes)
    centre = (3 - group)[:, None] / 3.0 * np.ones(p)
    x = np.clip(centre + rng.normal(0, spread, (n, p)), 0, 1)
    score = 100 * x.mean(axis=1)
    return _grading(x, score, _tiers_of(score))


def noise(n: int = 3000, p: int = 4, seed: int = 1) -> FakeGrading:
    """Uniform features; tiers from a score unrelated to them."""
    rng = np.random.default_rng(seed)
    x = rng.random((n, p))
    score = 100 * rng.random(n)
    return _grading(x, score, _tiers_of(score))


# ----------------------------------------------------------------------------- planted


@pytest.mark.parametrize("method", ["kmeans", "gmm", "ward"])
def test_planted_groups_recovered(method: str) -> None:
    v = validate_tiers(planted(), method=method)
    assert v.ari > 0.9
    assert v.nmi > 0.9
    assert v.cramers_v > 0.9
    assert v.spearman > 0.9
    assert v.disagreement < 0.05
    assert v.silhouette > 0.8
    assert v.cluster_tier == {0: 0, 1: 1, 2: 2, 3: 3}
    assert list(v.centroids["mean_score"]) == sorted(v.centroids["mean_score"], reverse=True)


@pytest.mark.parametrize("method", ["kmeans", "gmm", "ward"])
def test_noise_gives_ari_near_zero(method: str) -> None:
    v = validate_tiers(noise(), method=method)
    assert abs(v.ari) < 0.05
    assert v.nmi < 0.05
    assert v.disagreement > 0.4


def test_reproducible_for_a_seed_and_row_order() -> None:
    g = noise(800)
    a = validate_tiers(g, seed=3, sample_size=300)
    b = validate_tiers(g, seed=3, sample_size=300)
    pd.testing.assert_frame_equal(a.customers, b.customers)
    assert a.to_dict() == b.to_dict()
    shuffled = FakeGrading(g.table.sample(frac=1.0, random_state=5), g.scheme)
    c = validate_tiers(shuffled, seed=3, sample_size=300)
    pd.testing.assert_frame_equal(a.customers, c.customers)
    assert a.to_dict() == c.to_dict()


# ----------------------------------------------------------------------------- metrics


def test_agreement_kernel_matches_sklearn_and_scipy() -> None:
    rng = np.random.default_rng(7)
    for _ in range(25):
        n = int(rng.integers(10, 2000))
        k = int(rng.integers(2, 7))
        t = rng.integers(0, 4, n)
        c = np.where(rng.random(n) < rng.random(), t % k, rng.integers(0, k, n))
        ct = np.bincount(t * k + c, minlength=4 * k).reshape(4, k)
        got = cl._agreement_kernel(ct)
        assert got["ari"] == pytest.approx(adjusted_rand_score(t, c), abs=1e-12)
        assert got["nmi"] == pytest.approx(normalized_mutual_info_score(t, c), abs=1e-12)
        assert got["spearman"] == pytest.approx(spearmanr(t, c).statistic, abs=1e-12)
        nz = ct[ct.sum(1) > 0][:, ct.sum(0) > 0]
        assert got["cramers_v"] == pytest.approx(association(nz, method="cramer"), abs=1e-12)


def test_silhouette_and_davies_bouldin_kernels_match_sklearn() -> None:
    rng = np.random.default_rng(2)
    x = rng.random((600, 3))
    a = rng.integers(0, 4, 600)
    b = (x[:, 0] * 3).astype(int)
    sa, sb = cl._silhouette_kernel(x, [a, b], chunk=97)
    np.testing.assert_allclose(sa, silhouette_samples(x, a), atol=1e-12)
    np.testing.assert_allclose(sb, silhouette_samples(x, b), atol=1e-12)
    assert cl._davies_bouldin_kernel(x, a, 4) == pytest.approx(davies_bouldin_score(x, a))
    # a group of one has silhouette 0
    single = np.r_[np.zeros(599, dtype=int), 1]
    assert cl._silhouette_kernel(x, [single])[0][-1] == 0.0


def test_figures_are_consistent_with_the_customer_frame() -> None:
    v = validate_tiers(noise(500), sample_size=200)
    cust = v.customers
    assert cust.index.is_monotonic_increasing and cust.index.name == "customer_id"
    assert v.contingency.to_numpy().sum() == v.n_customers == len(cust)
    ct = pd.crosstab(cust["tier"].astype(int), cust["cluster"])
    np.testing.assert_array_equal(ct.to_numpy(), v.contingency.to_numpy())
    assert v.disagreement == pytest.approx(cust["disagree"].mean())
    assert (cust["tier_gap"] == cust["suggested_tier"] - cust["tier"].astype(int)).all()
    dist = cust[[f"dist_{c}" for c in range(v.k)]].to_numpy()
    x = v.centroids[list(v.feature_names)].to_numpy()
    assert dist.shape == (500, 4) and (dist >= 0).all()
    assert np.isfinite(x).all()
    assert v.silhouette_sample == 200
    assert set(v.silhouette_per_tier) == {0, 1, 2, 3}


# ----------------------------------------------------------------------------- options


def test_choice_of_k_by_silhouette_and_calinski_harabasz() -> None:
    g = planted()
    v = validate_tiers(g, k="silhouette", k_range=range(2, 7))
    assert v.k == 4
    assert v.best_k == {"silhouette": 4, "calinski_harabasz": 4}
    assert list(v.k_scan["k"]) == [2, 3, 4, 5, 6]
    assert any("chosen by silhouette" in n for n in v.notes)
    w = validate_tiers(g, k=3, k_range=[2, 4])
    assert w.k == 3 and list(w.k_scan["k"]) == [2, 4]


def test_k_other_than_tiers_maps_clusters_by_score() -> None:
    v = validate_tiers(planted(), k=2)
    tiers = [v.cluster_tier[c] for c in range(2)]
    assert tiers == sorted(tiers) and tiers[0] < tiers[1]
    assert v.contingency.shape == (4, 2)


def test_dimension_features() -> None:
    v = validate_tiers(planted(), features="dimensions")
    assert v.feature_names == ("dim__d0", "dim__d1")
    assert v.ari > 0.9


def test_missing_values_imputed_and_ungraded_left_out() -> None:
    g = planted()
    t = g.table.copy()
    t.iloc[::7, 0] = np.nan
    t.iloc[:5, t.columns.get_loc("score")] = np.nan
    t.iloc[:5, t.columns.get_loc("tier")] = pd.NA
    t.iloc[:5, t.columns.get_loc("graded")] = False
    v = validate_tiers(FakeGrading(t, g.scheme))
    assert v.n_customers == len(t) - 5
    assert any("imputed with the column median" in n for n in v.notes)
    w = validate_tiers(FakeGrading(t, g.scheme), impute="neutral")
    assert any("imputed with the 0.5" in n for n in w.notes)


def test_large_n_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    g = planted(600)
    monkeypatch.setattr(cl, "MINIBATCH_ABOVE", 100)
    v = validate_tiers(g)
    assert v.ari > 0.9 and any("MiniBatchKMeans" in n for n in v.notes)
    monkeypatch.setitem(cl.FIT_SIZE, "ward", 150)
    monkeypatch.setitem(cl.FIT_SIZE, "gmm", 150)
    for method in ("ward", "gmm"):
        r = validate_tiers(g, method=method)
        assert r.ari > 0.9
        assert any("random sample of 150" in n for n in r.notes)


def test_report_text_html_and_json() -> None:
    v = validate_tiers(planted(), k_range=[3, 4])
    assert isinstance(v, TierValidation)
    text = str(v)
    assert "adjusted Rand index" in text and "Choice of k" in text
    assert repr(v).startswith("<TierValidation kmeans k=4")
    assert v._repr_html_().startswith("<div>")
    data = json.loads(json.dumps(v.to_dict(customers=True)))
    assert data["contingency"]["counts"] == v.contingency.to_numpy().tolist()
    assert data["ari"] == pytest.approx(v.ari)
    assert len(data["disagreements"]) == int(v.customers["disagree"].sum())


def test_result_protocol(tmp_path: Path) -> None:
    v = validate_tiers(planted(), k_range=[3, 4])
    assert str(v) == v.to_text() and v._repr_html_() == v.to_html()
    assert "\n" not in repr(v) and v.headline().startswith("Tier validation by kmeans")
    assert "<table" in v._repr_html_()
    assert v.to_frame() is v.contingency
    assert v.to_frame().index.dtype == np.int64  # tier keys are integers
    data = json.loads(json.dumps(v.to_dict(), allow_nan=False))
    assert data == json.loads(v.to_json())
    assert data["contingency"]["tiers"] == [0, 1, 2, 3]
    # object keys: integers as text only because JSON forces it
    assert data["cluster_tier"] == {str(c): t for c, t in v.cluster_tier.items()}
    assert [c["cluster"] for c in data["centroids"]] == list(range(v.k))
    assert [r["k"] for r in data["k_scan"]] == [3, 4]
    saved = v.save(tmp_path / "validation.json")
    assert json.loads(saved.read_text("utf-8")) == data


# ----------------------------------------------------------------------------- errors


def test_errors() -> None:
    g = planted(100)
    with pytest.raises(SchemeError, match="unknown method"):
        validate_tiers(g, method="dbscan")  # type: ignore[arg-type]
    with pytest.raises(SchemeError, match=r"validation\.k"):
        validate_tiers(g, k=1)
    with pytest.raises(SchemeError, match=r"validation\.k"):
        validate_tiers(g, k="elbow")  # type: ignore[arg-type]
    with pytest.raises(SchemeError, match="features"):
        validate_tiers(g, features="raw")  # type: ignore[arg-type]
    with pytest.raises(SchemeError, match="sample_size"):
        validate_tiers(g, k_range=[2, 8], sample_size=5)
    with pytest.raises(InputError, match="expected a Grading"):
        validate_tiers(g.table)
    with pytest.raises(MissingColumnError):
        validate_tiers(FakeGrading(g.table.drop(columns="norm__i0"), g.scheme))
    with pytest.raises(InputError, match="too few"):
        validate_tiers(FakeGrading(g.table.iloc[:4], g.scheme))
