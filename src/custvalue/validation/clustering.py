"""Clustering validation of the quota tiers: do the tiers match groups found in the data?

This module is long because one validation runs three clusterers, the cluster-to-tier mapping,
six agreement and shape measures and the choice of k, each a small numpy kernel beside the
front that validates, plus the result class that displays them.

The tiers are quota cuts of one weighted score.  A clustering of the same customers on the
normalised indicators (or on the dimension scores), made *without* the weights and the
quotas, is an independent view of the customer base.  :func:`validate_tiers` fits one
(k-means, Gaussian mixture or Ward), orders the clusters by their members' mean score,
maps them onto tiers (the cluster with the highest mean score is tier 0) and measures how
far the two partitions agree.  ``docs/validation.md`` explains how to read every figure.

Figures (all on the graded customers only):

* agreement of tiers and clusters: contingency table, adjusted Rand index (ARI),
  normalised mutual information (NMI), Cramér's V, Spearman's rho between the cluster
  order and the tier;
* shape of the tiers in feature space: silhouette (overall and per tier), Davies–Bouldin
  (also given for the clusters, as the yardstick of what the data allows);
* per customer: its cluster, the tier the cluster suggests, a disagreement flag and the
  distance to every centroid;
* optionally the choice of ``k`` by silhouette and Calinski–Harabasz over ``k_range``.

Design notes (also in ``docs/validation.md``):

* **Row order.**  Rows are sorted by ``customer_id`` before anything is drawn or fitted, so
  the result for a seed does not depend on the order of the table's rows.
* **Missing values.**  ``norm__*`` (or ``dim__*``) values that are missing are imputed with
  the per-column median of the graded customers (``impute="median"``, default: keeps the
  customer at the centre of that axis and creates no artificial group at 0.5) or with the
  neutral 0.5 of the scheme's ``neutral`` policy (``impute="neutral"``).
* **Large N.**  k-means switches to :class:`~sklearn.cluster.MiniBatchKMeans` above
  :data:`MINIBATCH_ABOVE` customers (started from a k-means on :data:`MINIBATCH_INIT`
  sampled customers, then one pass over all); the Gaussian mixture is fitted on at most
  :data:`FIT_SIZE` ``["gmm"]`` customers and Ward (memory and time O(n²)) on at most
  :data:`FIT_SIZE` ``["ward"]``; customers outside the fitting sample are assigned by the
  fitted model (``predict``; for Ward: the nearest centroid of the sample's clusters).
  Silhouettes are computed on a random sample of ``sample_size`` customers.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.stats.contingency import association
from sklearn.cluster import AgglomerativeClustering, KMeans, MiniBatchKMeans
from sklearn.metrics import calinski_harabasz_score
from sklearn.mixture import GaussianMixture
from threadpoolctl import threadpool_limits

from custvalue.errors import InputError, MissingColumnError, SchemeError
from custvalue.grading import GradingLike, Result, jsonable
from custvalue.validation._common import check_grading, graded_frame, load_grading

__all__ = [
    "DEFAULT_SAMPLE_SIZE",
    "FIT_SIZE",
    "MINIBATCH_ABOVE",
    "MINIBATCH_INIT",
    "TierValidation",
    "validate_tiers",
]

Method = Literal["kmeans", "gmm", "ward"]
Features = Literal["indicators", "dimensions"]
Impute = Literal["median", "neutral"]

#: Customers in the random sample on which silhouettes (and the ``k`` scan) are computed.
DEFAULT_SAMPLE_SIZE = 10_000
#: Above this many customers k-means is fitted with MiniBatchKMeans.
MINIBATCH_ABOVE = 200_000
#: Customers sampled for the k-means that starts MiniBatchKMeans.
MINIBATCH_INIT = 50_000
#: Most customers a method is fitted on (the others are assigned by the fitted model).
FIT_SIZE: dict[str, int | None] = {"kmeans": None, "gmm": 100_000, "ward": 10_000}
_METHODS = ("kmeans", "gmm", "ward")
#: Clusterings of fewer rows run scikit-learn's OpenMP loops on one thread.
_SINGLE_THREAD_BELOW = 20_000
_K_CRITERIA = ("silhouette", "calinski_harabasz")


# --------------------------------------------------------------------------- kernels


def _fit_predict_kernel(
    x: np.ndarray, method: str, k: int, seed: int, fit_size: int | None
) -> tuple[np.ndarray, np.ndarray, str]:
    """Cluster the rows of ``x``; return ``(labels, centres (k, p), note)`` (no validation).

    ``note`` says how the model was fitted (empty when plainly on all rows).  Below
    :data:`_SINGLE_THREAD_BELOW` rows scikit-learn's OpenMP loops run on one thread: there
    they gain nothing from more, and lose much when the machine is busy.
    """
    if x.shape[0] < _SINGLE_THREAD_BELOW:
        with threadpool_limits(limits=1, user_api="openmp"):
            return _fit_predict(x, method, k, seed, fit_size)
    return _fit_predict(x, method, k, seed, fit_size)


def _fit_predict(
    x: np.ndarray, method: str, k: int, seed: int, fit_size: int | None
) -> tuple[np.ndarray, np.ndarray, str]:
    n = x.shape[0]
    note = ""
    fit_idx = None
    if fit_size is not None and n > fit_size:
        rng = np.random.default_rng([seed, 2])
        fit_idx = np.sort(rng.choice(n, size=fit_size, replace=False))
    if method == "kmeans":
        if n > MINIBATCH_ABOVE:
            # k-means (k-means++, 3 starts) on a sample of MINIBATCH_INIT customers gives
            # the starting centres; MiniBatchKMeans then refines them over all customers in
            # at most one pass of batches of 8,192 (early stop after 10 batches without
            # improvement).  MiniBatchKMeans started from scratch stops in worse minima.
            rng = np.random.default_rng([seed, 3])
            init_idx = np.sort(rng.choice(n, size=min(MINIBATCH_INIT, n), replace=False))
            start = KMeans(n_clusters=k, random_state=seed, n_init=3).fit(x[init_idx])
            batch = min(8192, max(n // 4, 1))  # several batches even for small n (tests)
            model: Any = MiniBatchKMeans(n_clusters=k, init=start.cluster_centers_, n_init=1,
                                         random_state=seed, batch_size=batch, max_iter=1,
                                         max_no_improvement=10, compute_labels=False)
            note = (f"MiniBatchKMeans (n > {MINIBATCH_ABOVE:,}), started from k-means on "
                    f"{init_idx.size:,} sampled customers")
        else:
            model = KMeans(n_clusters=k, random_state=seed, n_init=3)
        model.fit(x if fit_idx is None else x[fit_idx])
        centres = model.cluster_centers_
        labels = model.predict(x)
    elif method == "gmm":
        model = GaussianMixture(n_components=k, covariance_type="full", reg_covar=1e-4,
                                random_state=seed, n_init=1)
        model.fit(x if fit_idx is None else x[fit_idx])
        centres = model.means_
        labels = model.predict(x)
    else:  # ward
        sub = x if fit_idx is None else x[fit_idx]
        sub_labels = AgglomerativeClustering(n_clusters=k, linkage="ward").fit_predict(sub)
        centres = np.stack([sub[sub_labels == c].mean(axis=0) for c in range(k)])
        if fit_idx is None:
            labels = sub_labels
        else:
            labels = _nearest_kernel(x, centres)
            labels[fit_idx] = sub_labels
    if fit_idx is not None:
        rest = "nearest centroid" if method == "ward" else "predict"
        note = f"fitted on a random sample of {fit_size:,} of {n:,} customers; rest by {rest}"
    return np.asarray(labels, dtype=np.int64), np.asarray(centres, dtype=float), note


def _distances_kernel(x: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Euclidean distance of every row of ``x`` to every centre, ``(n, k)``."""
    d2 = (
        np.einsum("ij,ij->i", x, x)[:, None]
        - 2.0 * (x @ centres.T)
        + np.einsum("ij,ij->i", centres, centres)[None, :]
    )
    return np.sqrt(np.maximum(d2, 0.0))


def _nearest_kernel(x: np.ndarray, centres: np.ndarray, chunk: int = 262_144) -> np.ndarray:
    """Index of the nearest centre of every row (chunked to bound memory)."""
    out = np.empty(x.shape[0], dtype=np.int64)
    for s in range(0, x.shape[0], chunk):
        out[s:s + chunk] = _distances_kernel(x[s:s + chunk], centres).argmin(axis=1)
    return out


def _silhouette_kernel(
    x: np.ndarray, labelings: Sequence[np.ndarray], chunk: int = 512
) -> list[np.ndarray]:
    """Silhouette value of every row of ``x`` under each labeling, one distance pass.

    ``s(i) = (b(i) - a(i)) / max(a(i), b(i))`` with ``a`` the mean distance to the other
    members of ``i``'s group and ``b`` the smallest mean distance to another group;
    ``s(i) = 0`` when ``i`` is alone in its group (Rousseeuw 1987, as scikit-learn's
    ``silhouette_samples``).  The distances of a chunk of rows to all rows are computed once
    and summed per group of every labeling by one matrix product with the stacked one-hot
    matrices.
    """
    n = x.shape[0]
    sq = np.einsum("ij,ij->i", x, x)
    widths = [int(lab.max()) + 1 if lab.size else 0 for lab in labelings]
    offsets = np.concatenate([[0], np.cumsum(widths)])
    onehot = np.zeros((n, int(offsets[-1])))
    rows = np.arange(n)
    for lab, off in zip(labelings, offsets[:-1], strict=True):
        onehot[rows, off + lab] = 1.0
    sums = np.empty_like(onehot)
    for s in range(0, n, chunk):
        e = min(s + chunk, n)
        d = x[s:e] @ x.T
        d *= -2.0
        d += sq[s:e, None]
        d += sq[None, :]
        np.maximum(d, 0.0, out=d)
        np.sqrt(d, out=d)
        d[np.arange(e - s), np.arange(s, e)] = 0.0
        sums[s:e] = d @ onehot
    out = []
    for lab, lo, hi in zip(labelings, offsets[:-1], offsets[1:], strict=True):
        tot = sums[:, lo:hi]
        counts = onehot[:, lo:hi].sum(axis=0)
        own = counts[lab]
        with np.errstate(divide="ignore", invalid="ignore"):
            a = tot[rows, lab] / (own - 1.0)
            means = tot / counts[None, :]
        means[rows, lab] = np.inf
        means[:, counts == 0] = np.inf
        b = means.min(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            sil = (b - a) / np.maximum(a, b)
        out.append(np.where((own > 1) & np.isfinite(sil), sil, 0.0))
    return out


def _davies_bouldin_kernel(x: np.ndarray, labels: np.ndarray, k: int) -> float:
    """Davies–Bouldin index: mean over groups of ``max_j (s_i + s_j) / d(c_i, c_j)``.

    ``s_i`` is the mean distance of group ``i``'s members to its centroid ``c_i``; empty
    groups are left out (as scikit-learn's ``davies_bouldin_score``, without its copies).
    """
    counts = np.bincount(labels, minlength=k).astype(float)
    keep = counts > 0
    if keep.sum() < 2:
        return float("nan")
    centres = np.stack([np.bincount(labels, weights=x[:, j], minlength=k)
                        for j in range(x.shape[1])], axis=1) / np.maximum(counts, 1)[:, None]
    spread = np.zeros(k)
    for s in range(0, x.shape[0], 262_144):
        part = x[s:s + 262_144] - centres[labels[s:s + 262_144]]
        spread += np.bincount(labels[s:s + 262_144],
                              weights=np.sqrt(np.einsum("ij,ij->i", part, part)), minlength=k)
    spread = (spread / np.maximum(counts, 1))[keep]
    c = centres[keep]
    dist = np.sqrt(np.maximum(((c[:, None, :] - c[None, :, :]) ** 2).sum(axis=2), 0.0))
    if np.allclose(spread, 0) or np.allclose(dist, 0):
        return 0.0
    dist[dist == 0] = np.inf  # the diagonal, and coinciding centroids, count as 0
    ratio = (spread[:, None] + spread[None, :]) / dist
    return float(np.mean(ratio.max(axis=1)))


def _agreement_kernel(ct: np.ndarray) -> dict[str, float]:
    """ARI, NMI, Cramér's V and Spearman's rho from a contingency table (rows x columns).

    * ARI (Hubert & Arabie 1985): ``(I - E) / ((A + B) / 2 - E)`` with ``I = sum C(n_ij, 2)``,
      ``A = sum C(a_i, 2)``, ``B = sum C(b_j, 2)``, ``E = A B / C(n, 2)``.
    * NMI: ``MI / ((H(rows) + H(columns)) / 2)`` (scikit-learn's arithmetic normalisation).
    * Cramér's V: :func:`scipy.stats.contingency.association` on the non-empty rows and
      columns.
    * Spearman's rho with ties: the Pearson correlation of the mid-ranks of the row and
      column numbers, each cell weighted by its count.

    Computing them from the table (``k x T`` numbers) instead of from the labels
    (``n`` numbers) keeps a million customers cheap; the values equal scikit-learn's and
    SciPy's (tested).
    """
    ct = np.asarray(ct, dtype=float)
    n = ct.sum()
    a, b = ct.sum(axis=1), ct.sum(axis=0)
    out = {"ari": float("nan"), "nmi": float("nan"), "cramers_v": float("nan"),
           "spearman": float("nan")}
    if n < 2:
        return out

    def comb2(v: np.ndarray | float) -> Any:
        return np.asarray(v) * (np.asarray(v) - 1.0) / 2.0

    index = comb2(ct).sum()
    sa, sb = comb2(a).sum(), comb2(b).sum()
    expected = sa * sb / comb2(n)
    top = (sa + sb) / 2.0
    out["ari"] = 1.0 if top == expected else float((index - expected) / (top - expected))

    def entropy(p: np.ndarray) -> float:
        p = p[p > 0] / n
        return float(-(p * np.log(p)).sum())

    ha, hb = entropy(a), entropy(b)
    nzr, nzc = np.nonzero(ct)
    v = ct[nzr, nzc]
    mi = float((v / n * (np.log(v * n) - np.log(a[nzr] * b[nzc]))).sum())
    mi = max(mi, 0.0)
    if ha == 0.0 and hb == 0.0:
        out["nmi"] = 1.0
    elif ha == 0.0 or hb == 0.0:
        out["nmi"] = 0.0
    else:
        out["nmi"] = mi / ((ha + hb) / 2.0)

    nz = ct[a > 0][:, b > 0]
    if min(nz.shape) >= 2:
        out["cramers_v"] = float(association(nz.astype(np.int64), method="cramer"))
        ra = np.cumsum(a) - a + (a + 1.0) / 2.0  # mid-rank of each row value
        rb = np.cumsum(b) - b + (b + 1.0) / 2.0
        ma, mb = (a * ra).sum() / n, (b * rb).sum() / n
        cov = (ct * np.outer(ra - ma, rb - mb)).sum()
        va, vb = (a * (ra - ma) ** 2).sum(), (b * (rb - mb) ** 2).sum()
        out["spearman"] = float(cov / np.sqrt(va * vb))
    return out


def _order_clusters_kernel(labels: np.ndarray, score: np.ndarray, k: int) -> np.ndarray:
    """Position of each cluster when sorted by mean score, highest first (empty ones last)."""
    counts = np.bincount(labels, minlength=k)
    sums = np.bincount(labels, weights=score, minlength=k)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(counts > 0, sums / np.maximum(counts, 1), -np.inf)
    order = np.lexsort((np.arange(k), -mean))  # by mean score desc, then old label
    position = np.empty(k, dtype=np.int64)
    position[order] = np.arange(k)
    return position


# --------------------------------------------------------------------------- result


@dataclass(frozen=True, eq=False, repr=False)
class TierValidation(Result):
    """The result of :func:`validate_tiers` (see ``docs/validation.md`` to read it).

    Attributes
    ----------
    method, features, impute : str
        What was clustered and how missing values were filled.
    k, seed : int
        Number of clusters and the random seed.
    n_customers : int
        Graded customers validated.
    feature_names : tuple of str
        The columns clustered (``norm__*`` or ``dim__*``).
    contingency : pandas.DataFrame
        Customers per tier (rows ``0..T-1``) and cluster (columns ``0..k-1``, numbered by
        mean score, 0 = highest).
    cluster_tier : dict of int to int
        The tier each cluster suggests.
    ari, nmi, cramers_v, spearman : float
        Agreement of tiers and clusters (NaN where undefined).
    silhouette, silhouette_per_tier : float, dict of int to float
        Silhouette of the *tiers* as a partition of the feature space, overall and per tier
        (on a sample of ``silhouette_sample`` customers).
    silhouette_clusters : float
        Silhouette of the clusters on the same sample: what the data allows.
    davies_bouldin, davies_bouldin_clusters : float
        Davies–Bouldin index of the tiers and of the clusters (all customers).
    disagreement : float
        Share of customers whose cluster suggests another tier.
    customers : pandas.DataFrame
        Per customer (index ``customer_id``, sorted): ``score``, ``tier``, ``cluster``,
        ``suggested_tier``, ``disagree``, ``tier_gap`` (suggested minus actual tier: > 0
        the cluster looks worse than the tier) and ``dist_0..dist_{k-1}``, the Euclidean
        distance to each centroid in feature space.
    centroids : pandas.DataFrame
        Cluster centres (rows: clusters by mean score) with ``mean_score`` and ``size``.
    k_scan : pandas.DataFrame or None
        Per ``k`` of ``k_range``: ``silhouette``, ``calinski_harabasz``, ``davies_bouldin``.
    best_k : dict of str to int
        Best ``k`` by ``silhouette`` and by ``calinski_harabasz`` (empty without a scan).
    silhouette_sample : int
        Customers in the silhouette sample.
    notes : tuple of str
        How the model was fitted (samples, MiniBatchKMeans), imputed cells.
    """

    method: str
    features: str
    impute: str
    k: int
    seed: int
    n_customers: int
    feature_names: tuple[str, ...]
    contingency: pd.DataFrame
    cluster_tier: dict[int, int]
    ari: float
    nmi: float
    cramers_v: float
    spearman: float
    silhouette: float
    silhouette_per_tier: dict[int, float]
    silhouette_clusters: float
    davies_bouldin: float
    davies_bouldin_clusters: float
    disagreement: float
    customers: pd.DataFrame = field(repr=False)
    centroids: pd.DataFrame = field(repr=False)
    k_scan: pd.DataFrame | None = None
    best_k: dict[str, int] = field(default_factory=dict)
    silhouette_sample: int = 0
    notes: tuple[str, ...] = ()

    @property
    def disagreements(self) -> pd.DataFrame:
        """The rows of :attr:`customers` whose cluster suggests another tier."""
        return self.customers[self.customers["disagree"]]

    def to_dict(self, customers: bool = False) -> dict[str, Any]:
        """The figures as JSON-serialisable plain data.

        Parameters
        ----------
        customers : bool, default False
            Also include the per-customer rows of the disagreeing customers.
        """
        ct = self.contingency
        out = {
            "method": self.method, "features": self.features, "impute": self.impute,
            "k": self.k, "seed": self.seed, "n_customers": self.n_customers,
            "feature_names": list(self.feature_names),
            "contingency": {
                "tiers": [int(t) for t in ct.index],
                "clusters": [int(c) for c in ct.columns],
                "counts": ct.to_numpy().astype(int).tolist(),
            },
            # object keys: JSON makes the integer cluster and tier keys text
            "cluster_tier": {int(c): int(t) for c, t in self.cluster_tier.items()},
            "ari": self.ari, "nmi": self.nmi,
            "cramers_v": self.cramers_v, "spearman": self.spearman,
            "silhouette": self.silhouette,
            "silhouette_per_tier": dict(self.silhouette_per_tier),
            "silhouette_clusters": self.silhouette_clusters,
            "davies_bouldin": self.davies_bouldin,
            "davies_bouldin_clusters": self.davies_bouldin_clusters,
            "disagreement": self.disagreement,
            "n_disagree": int(self.customers["disagree"].sum()),
            "silhouette_sample": self.silhouette_sample,
            "centroids": self.centroids.rename_axis("cluster"),
            "k_scan": None if self.k_scan is None else self.k_scan.to_dict(orient="records"),
            "best_k": dict(self.best_k),
            "notes": list(self.notes),
        }
        if customers:
            out["disagreements"] = self.disagreements
        return jsonable(out)

    def to_frame(self) -> pd.DataFrame:
        """The contingency table: customers per tier (rows) and cluster (columns).

        The per-customer rows are in :attr:`customers`.
        """
        return self.contingency

    def headline(self) -> str:
        """One line: method, ``k``, features, customers, seed."""
        return self._lines()[0]

    def _lines(self) -> list[str]:
        f = "{:.3f}".format
        lines = [
            f"Tier validation by {self.method} (k={self.k}) on {self.features} "
            f"({len(self.feature_names)} features, missing: {self.impute}), "
            f"{self.n_customers:,} graded customers, seed {self.seed}",
            "",
            "Agreement of tiers and clusters",
            f"  adjusted Rand index      {f(self.ari):>8}   (1 same partition, 0 chance)",
            f"  normalised mutual info   {f(self.nmi):>8}   (1 same partition, 0 independent)",
            f"  Cramér's V               {f(self.cramers_v):>8}   (1 perfect association)",
            f"  Spearman cluster ~ tier  {f(self.spearman):>8}   (1 same order)",
            f"  customers in disagreement {self.disagreement:>7.1%}",
            "",
            f"Shape (silhouette on {self.silhouette_sample:,} sampled customers)",
            f"  silhouette of tiers      {f(self.silhouette):>8}   "
            f"(clusters: {f(self.silhouette_clusters)})",
            "  per tier                 " + "  ".join(
                f"{t}: {f(v)}" for t, v in self.silhouette_per_tier.items()),
            f"  Davies–Bouldin of tiers  {f(self.davies_bouldin):>8}   "
            f"(clusters: {f(self.davies_bouldin_clusters)}; lower is better)",
            "",
            "Customers per tier (rows) and cluster (columns, by mean score; "
            "suggested tier in brackets)",
        ]
        ct = self.contingency
        head = "  tier " + "".join(f"{f'{c} [{self.cluster_tier[int(c)]}]':>12}"
                                   for c in ct.columns)
        lines.append(head)
        for t, row in ct.iterrows():
            lines.append(f"  {t:>4} " + "".join(f"{int(v):>12,}" for v in row))
        if self.k_scan is not None:
            lines += ["", "Choice of k (on the silhouette sample)",
                      "     k  silhouette  Calinski–Harabasz  Davies–Bouldin"]
            for _, r in self.k_scan.iterrows():
                lines.append(f"  {int(r['k']):>4}  {r['silhouette']:>10.3f}  "
                             f"{r['calinski_harabasz']:>17.1f}  {r['davies_bouldin']:>14.3f}")
            lines.append("  best k: " + ", ".join(f"{c} {v}" for c, v in self.best_k.items()))
        if self.notes:
            lines += ["", *(f"note: {n}" for n in self.notes)]
        return lines

    def to_text(self) -> str:
        """The figures, the contingency table and the choice of ``k`` as aligned text."""
        return "\n".join(self._lines())

    def __repr__(self) -> str:
        return (f"<TierValidation {self.method} k={self.k} on {self.features}: "
                f"ARI {self.ari:.3f}, NMI {self.nmi:.3f}, V {self.cramers_v:.3f}, "
                f"silhouette {self.silhouette:.3f}, disagreement {self.disagreement:.1%}, "
                f"n={self.n_customers:,}>")

    def to_html(self) -> str:
        """The figures and the contingency table as HTML (the notebook display)."""
        esc = html.escape
        metrics = [("adjusted Rand index", self.ari), ("normalised mutual information", self.nmi),
                   ("Cramér's V", self.cramers_v), ("Spearman cluster ~ tier", self.spearman),
                   ("silhouette of tiers", self.silhouette),
                   ("silhouette of clusters", self.silhouette_clusters),
                   ("Davies–Bouldin of tiers", self.davies_bouldin),
                   ("Davies–Bouldin of clusters", self.davies_bouldin_clusters)]
        rows = "".join(f"<tr><td>{esc(name)}</td><td>{v:.3f}</td></tr>" for name, v in metrics)
        rows += f"<tr><td>customers in disagreement</td><td>{self.disagreement:.1%}</td></tr>"
        ct = self.contingency
        head = "".join(f"<th>cluster {c} → tier {self.cluster_tier[int(c)]}</th>"
                       for c in ct.columns)
        body = "".join(
            f"<tr><th>tier {t}</th>" + "".join(f"<td>{int(v):,}</td>" for v in r) + "</tr>"
            for t, r in ct.iterrows())
        notes = "".join(f"<li>{esc(n)}</li>" for n in self.notes)
        return (f"<div><p><b>{esc(repr(self))}</b></p><table>{rows}</table>"
                f"<table><tr><th></th>{head}</tr>{body}</table>"
                + (f"<ul>{notes}</ul>" if notes else "") + "</div>")


# --------------------------------------------------------------------------- front


def _feature_names(table: pd.DataFrame, scheme: Any, features: str) -> list[str]:
    """The feature columns in scheme order (``norm__<indicator>`` or ``dim__<dimension>``)."""
    if features == "indicators":
        names = [f"norm__{i}" for d in scheme.dimensions.values()
                 for i in (getattr(d, "leaves", None) or d.indicators)]
    else:
        names = [f"dim__{d}" for d in scheme.dimensions]
    missing = [c for c in names if c not in table.columns]
    if missing:
        raise MissingColumnError(
            "grading", missing[0],
            f"the grading table has no {features} columns {missing[:5]}",
            fix="pass a Grading made by custvalue.grade (or a table with these columns)")
    return names


def _quotas(scheme: Any, n_tiers: int) -> np.ndarray:
    tiers = getattr(scheme, "tiers", None)
    quotas = getattr(tiers, "quotas", None)
    if quotas is None or len(quotas) != n_tiers:
        quotas = (0.10, 0.30, 0.50, 0.10) if n_tiers == 4 else [1.0 / n_tiers] * n_tiers
    return np.asarray(quotas, dtype=float)


def _cluster_tiers(
    labels_pos: np.ndarray, score: np.ndarray, k: int, quotas: np.ndarray
) -> np.ndarray:
    """Tier suggested by each (score-ordered) cluster.

    ``k`` equal to the number of tiers: cluster ``c`` suggests tier ``c``.  Otherwise: the
    tier that the cluster's mean score falls in, by the share of customers scoring higher
    against the cumulative quotas.
    """
    n_tiers = len(quotas)
    if k == n_tiers:
        return np.arange(k)
    counts = np.bincount(labels_pos, minlength=k)
    mean = np.bincount(labels_pos, weights=score, minlength=k) / np.maximum(counts, 1)
    ordered = np.sort(score)
    above = score.size - np.searchsorted(ordered, mean, side="right")
    share = above / max(score.size, 1)
    edges = np.cumsum(quotas)[:-1]
    return np.minimum(np.searchsorted(edges, share, side="right"), n_tiers - 1)


def _scan_k(
    x: np.ndarray, method: str, k_range: Sequence[int], seed: int
) -> pd.DataFrame:
    rows = []
    for kk in k_range:
        labels, _, _ = _fit_predict_kernel(x, method, int(kk), seed, None)
        if np.unique(labels).size < 2:
            rows.append({"k": int(kk), "silhouette": np.nan,
                         "calinski_harabasz": np.nan, "davies_bouldin": np.nan})
            continue
        sil = float(_silhouette_kernel(x, [labels])[0].mean())
        rows.append({"k": int(kk), "silhouette": sil,
                     "calinski_harabasz": float(calinski_harabasz_score(x, labels)),
                     "davies_bouldin": _davies_bouldin_kernel(x, labels, int(kk))})
    return pd.DataFrame(rows)


def validate_tiers(
    grading: GradingLike,
    method: Method = "kmeans",
    k: int | Literal["silhouette", "calinski_harabasz"] = 4,
    features: Features = "indicators",
    seed: int = 0,
    k_range: Sequence[int] | None = None,
    sample_size: int = DEFAULT_SAMPLE_SIZE,
    impute: Impute = "median",
) -> TierValidation:
    """Check the tiers of a grading against a clustering of the same customers.

    The graded customers are clustered on their normalised indicators (``norm__*``) or
    dimension scores (``dim__*`` / 100) with ``method``; the clusters are numbered by the
    mean score of their members (0 = highest) and cluster ``c`` suggests tier ``c`` (when
    ``k`` differs from the number of tiers: the tier its mean score falls in).  Agreement:

    * ARI, the Rand index corrected for chance (Hubert & Arabie 1985): 1 for identical
      partitions, about 0 for independent ones, negative below chance;
    * NMI, mutual information over the arithmetic mean of the two entropies;
    * Cramér's V = sqrt(chi² / (n (min(r, c) - 1))) of the contingency table;
    * Spearman's rho between the customer's cluster number and tier;

    and shape, on the feature space: silhouette (Rousseeuw 1987) of the tiers overall and
    per tier, and of the clusters, on a random sample of ``sample_size`` customers;
    Davies–Bouldin (1979) of the tiers and the clusters on all customers.

    Parameters
    ----------
    grading : Grading, str or Path
        A grading or its saved folder (anything :func:`custvalue.grading.as_grading` reads;
        a bare table has no scheme): its table has ``score``, ``tier``, ``graded`` and the
        feature columns, indexed by ``customer_id``.
    method : {"kmeans", "gmm", "ward"}, default "kmeans"
        k-means (MiniBatchKMeans above :data:`MINIBATCH_ABOVE` customers), Gaussian mixture
        (full covariances, fitted on at most :data:`FIT_SIZE` ``["gmm"]`` customers) or
        Ward's agglomerative clustering (fitted on at most :data:`FIT_SIZE` ``["ward"]``
        customers; the others go to the nearest centroid).
    k : int or {"silhouette", "calinski_harabasz"}, default 4
        Number of clusters, or the criterion by which to pick it from ``k_range``.
    features : {"indicators", "dimensions"}, default "indicators"
        What to cluster.
    seed : int, default 0
        Seed of every random choice; the same seed gives the same result whatever the
        order of the table's rows.
    k_range : sequence of int, optional
        Values of ``k`` to scan (default ``2..8`` when ``k`` is a criterion): each is fitted
        on the silhouette sample and scored by silhouette, Calinski–Harabasz and
        Davies–Bouldin.
    sample_size : int, default 10_000
        Customers sampled for the silhouettes and the ``k`` scan (all when fewer).
    impute : {"median", "neutral"}, default "median"
        Fill for missing feature values: the column's median over the graded customers, or
        0.5.

    Returns
    -------
    TierValidation

    Raises
    ------
    InputError
        Not a grading, missing columns, fewer than ``k + 1`` graded customers.
    SchemeError
        Unknown ``method``, ``features``, ``impute`` or ``k``.

    References
    ----------
    Hubert, L. and Arabie, P. (1985). Comparing partitions. *J. Classification* 2, 193–218.
    Rousseeuw, P. J. (1987). Silhouettes. *J. Comput. Appl. Math.* 20, 53–65.
    Davies, D. L. and Bouldin, D. W. (1979). A cluster separation measure. *IEEE PAMI* 1(2).
    Caliński, T. and Harabasz, J. (1974). A dendrite method for cluster analysis.
    *Comm. Statist.* 3(1), 1–27.

    Examples
    --------
    Four well-separated groups of customers whose tiers follow the groups:

    >>> from types import SimpleNamespace
    >>> import numpy as np, pandas as pd
    >>> from custvalue.validation import validate_tiers
    >>> rng = np.random.default_rng(0)
    >>> group = np.repeat([0, 1, 2, 3], [10, 30, 50, 10])
    >>> x = (3 - group)[:, None] / 3 + rng.normal(0, 0.03, (100, 2))
    >>> table = pd.DataFrame({"norm__a": x[:, 0], "norm__b": x[:, 1],
    ...                       "score": 50 * x.sum(axis=1), "tier": group, "graded": True},
    ...                      index=[f"c{i:03d}" for i in range(100)])
    >>> scheme = SimpleNamespace(dimensions={"d": SimpleNamespace(indicators={"a": 0, "b": 0})},
    ...                          tiers=SimpleNamespace(quotas=(0.1, 0.3, 0.5, 0.1)))
    >>> v = validate_tiers(SimpleNamespace(table=table, scheme=scheme))
    >>> round(v.ari, 3), round(v.cramers_v, 3), v.disagreement
    (1.0, 1.0, 0.0)
    >>> v.contingency.to_numpy().diagonal().tolist()
    [10, 30, 50, 10]
    """
    if method not in _METHODS:
        raise SchemeError("validation.method", f"unknown method {method!r}; use one of "
                          f"{', '.join(_METHODS)}")
    if features not in ("indicators", "dimensions"):
        raise SchemeError("validation.features",
                          f"unknown features {features!r}; use 'indicators' or 'dimensions'")
    if impute not in ("median", "neutral"):
        raise SchemeError("validation.impute",
                          f"unknown impute {impute!r}; use 'median' or 'neutral'")
    if isinstance(k, str):
        if k not in _K_CRITERIA:
            raise SchemeError("validation.k", f"k is a number of clusters or one of "
                              f"{', '.join(_K_CRITERIA)} (got {k!r})")
        k_range = range(2, 9) if k_range is None else k_range
    elif isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 2:
        raise SchemeError("validation.k", f"k must be an integer >= 2 (got {k!r})")
    if k_range is not None:
        k_range = sorted({int(v) for v in k_range})
        if not k_range or k_range[0] < 2:
            raise SchemeError("validation.k_range", f"values of k must be >= 2 (got {k_range})")
    if not isinstance(sample_size, int | np.integer) or sample_size < 2:
        raise SchemeError("validation.sample_size",
                          f"sample_size must be an integer >= 2 (got {sample_size!r})")

    grading = load_grading(grading)
    table, scheme = check_grading(grading)
    names = _feature_names(table, scheme, features)
    rows, scheme = graded_frame(grading, names)
    x = rows[names].to_numpy(dtype=np.float64, na_value=np.nan)
    if features == "dimensions":
        x = x / 100.0
    n = x.shape[0]
    k_max = max([int(k)] if not isinstance(k, str) else [], default=2)
    if k_range:
        k_max = max(k_max, max(k_range))
    if n < k_max + 1:
        raise InputError("grading", None,
                         f"{n} graded customers are too few to form {k_max} clusters",
                         fix="grade more customers or lower k")
    notes: list[str] = []
    holes = np.isnan(x)
    if holes.any():
        if impute == "median":
            fill = np.full(x.shape[1], 0.5)  # a column without any value: 0.5
            some = ~holes.all(axis=0)
            fill[some] = np.nanmedian(x[:, some], axis=0)
        else:
            fill = np.full(x.shape[1], 0.5)
        x = np.where(holes, fill[None, :], x)
        notes.append(f"{int(holes.sum()):,} missing feature values ({holes.mean():.1%}) "
                     f"imputed with the {'column median' if impute == 'median' else '0.5'}")

    score = rows["score"].to_numpy(dtype=np.float64)
    tier = rows["tier"].to_numpy(dtype=np.int64)
    quotas = _quotas(scheme, max(len(getattr(getattr(scheme, "tiers", None), "quotas", ())),
                                 int(tier.max()) + 1))
    n_tiers = len(quotas)

    rng = np.random.default_rng([seed, 1])
    sample = (np.arange(n) if n <= sample_size
              else np.sort(rng.choice(n, size=int(sample_size), replace=False)))

    k_scan = None
    best_k: dict[str, int] = {}
    if k_range:
        if sample.size <= max(k_range):
            raise SchemeError("validation.sample_size", f"a sample of {sample.size} customers "
                              f"cannot be split into {max(k_range)} clusters; raise sample_size")
        k_scan = _scan_k(x[sample], method, k_range, seed)
        for crit in _K_CRITERIA:
            col = k_scan[crit]
            if col.notna().any():
                best_k[crit] = int(k_scan["k"].to_numpy()[int(col.to_numpy().argmax())])
        if isinstance(k, str):
            if k not in best_k:
                raise InputError("grading", None, "no value of k gave two or more clusters")
            crit, k = k, best_k[k]
            notes.append(f"k = {k} chosen by {crit} over k in {list(k_range)}")
    k = int(k)

    raw, centres, note = _fit_predict_kernel(x, method, k, seed, FIT_SIZE[method])
    if note:
        notes.insert(0, note)
    position = _order_clusters_kernel(raw, score, k)
    cluster = position[raw]
    centres_ordered = np.empty_like(centres)
    centres_ordered[position] = centres
    cluster_tier = _cluster_tiers(cluster, score, k, quotas)
    suggested = cluster_tier[cluster]
    dist = np.empty((n, k))
    for s in range(0, n, 262_144):
        dist[s:s + 262_144] = _distances_kernel(x[s:s + 262_144], centres_ordered)

    # agreement (from the tiers x clusters table)
    ct = np.bincount(tier * k + cluster, minlength=n_tiers * k).reshape(n_tiers, k)
    agree = _agreement_kernel(ct)

    # shape
    sil_t, sil_c = _silhouette_kernel(x[sample], [tier[sample], cluster[sample]])
    ts = tier[sample]
    sil_per_tier = {t: (float(sil_t[ts == t].mean()) if (ts == t).any() else float("nan"))
                    for t in range(n_tiers)}
    db_t = _davies_bouldin_kernel(x, tier, n_tiers)
    db_c = _davies_bouldin_kernel(x, cluster, k)

    index = rows.index.rename("customer_id")
    cust = pd.DataFrame({
        "score": score,
        "tier": pd.array(tier, dtype="Int64"),
        "cluster": cluster,
        "suggested_tier": suggested,
        "disagree": suggested != tier,
        "tier_gap": suggested - tier,
    }, index=index)
    for c in range(k):
        cust[f"dist_{c}"] = dist[:, c]
    sizes = np.bincount(cluster, minlength=k)
    mean_score = np.bincount(cluster, weights=score, minlength=k) / np.maximum(sizes, 1)
    centroids = pd.DataFrame(centres_ordered, columns=names,
                             index=pd.RangeIndex(k, name="cluster"))
    centroids["mean_score"] = np.where(sizes > 0, mean_score, np.nan)
    centroids["size"] = sizes
    contingency = pd.DataFrame(ct, index=pd.RangeIndex(n_tiers, name="tier"),
                               columns=pd.RangeIndex(k, name="cluster"))
    return TierValidation(
        method=method, features=features, impute=impute, k=k, seed=int(seed),
        n_customers=n, feature_names=tuple(names), contingency=contingency,
        cluster_tier={c: int(cluster_tier[c]) for c in range(k)},
        ari=agree["ari"], nmi=agree["nmi"], cramers_v=agree["cramers_v"],
        spearman=agree["spearman"],
        silhouette=float(sil_t.mean()), silhouette_per_tier=sil_per_tier,
        silhouette_clusters=float(sil_c.mean()), davies_bouldin=db_t,
        davies_bouldin_clusters=db_c, disagreement=float(np.mean(suggested != tier)),
        customers=cust, centroids=centroids, k_scan=k_scan, best_k=best_k,
        silhouette_sample=int(sample.size), notes=tuple(notes),
    )
