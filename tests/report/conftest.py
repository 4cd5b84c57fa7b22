"""Hand-made grading results for the plot and report tests (Agg backend, figures closed).

The stand-ins carry the attribute names of the real results (``Grading``, ``Manifest``,
``TierValidation``, ``Comparison``); ``test_stand_ins_have_the_real_attribute_names`` in
``test_report.py`` holds them to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from pydantic import BaseModel

from custvalue.present.plots import demo_table
from custvalue.scoring.scheme import Scheme


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture
def table() -> pd.DataFrame:
    """A 300-customer grading table in the documented layout (about 5 % ungraded)."""
    return demo_table(300, seed=11)


@pytest.fixture
def tiny() -> pd.DataFrame:
    """Ten customers written out by hand: one 特级, three 一级, five 二级, one 三级."""
    ids = [f"K{i:02d}" for i in range(10)]
    score = [95.0, 80.0, 75.0, 70.0, 60.0, 55.0, 50.0, 45.0, 40.0, 20.0]
    tier = [0, 1, 1, 1, 2, 2, 2, 2, 2, 3]
    zh = ["特级客户", "一级客户", "二级客户", "三级客户"]
    en = ["special", "first", "second", "third"]
    return pd.DataFrame(
        {
            "total_kwh": [900.0, 500, 400, 300, 100, 90, 80, 70, 60, 10],
            "revenue": [800.0, 420, 350, 260, 90, 80, 70, 60, 50, 5],
            "dim__contribution": [99.0, 85, 80, 72, 60, 58, 50, 44, 41, 10],
            "dim__compliance": [90.0, 75, 70, 66, 62, 50, 52, 47, 39, 35],
            "dim__cooperation": [88.0, 70, 66, 70, 55, 54, 48, 45, 38, 30],
            "score": score,
            "rank": pd.array(range(1, 11), dtype="Int64"),
            "tier": pd.array(tier, dtype="Int64"),
            "tier_zh": [zh[t] for t in tier],
            "tier_en": [en[t] for t in tier],
            "abc": ["A", "B", "C", "C", "C", "C", "C", "C", "C", "C"],
            "graded": [True] * 10,
            "reason": [None] * 10,
        },
        index=pd.Index(ids, name="customer_id"),
    )


@pytest.fixture
def contingency() -> pd.DataFrame:
    """Tiers x clusters counts, as validate_tiers reports them."""
    return pd.DataFrame([[25, 4, 1], [30, 50, 10], [2, 60, 88], [0, 5, 25]],
                        index=pd.Index([0, 1, 2, 3], name="tier"),
                        columns=pd.Index(["c0", "c1", "c2"], name="cluster"))


@pytest.fixture
def transitions() -> pd.DataFrame:
    """Previous tier x new tier counts, with customers who joined and left."""
    return pd.DataFrame([[20, 5, 0, 0, 1], [4, 70, 10, 0, 2], [0, 12, 120, 8, 5],
                         [0, 0, 6, 20, 3], [2, 6, 15, 4, 0]],
                        index=pd.Index([0, 1, 2, 3, "new"], name="previous"),
                        columns=pd.Index([0, 1, 2, 3, "left"], name="new"))


@pytest.fixture
def stability(table: pd.DataFrame) -> pd.DataFrame:
    """Per-customer tier probabilities p_tier0..p_tier3 (rows sum to 1) and the tier."""
    graded = table[table["graded"]]
    rng = np.random.default_rng(5)
    probs = rng.dirichlet([0.4] * 4, size=len(graded))
    frame = pd.DataFrame(probs, index=graded.index,
                         columns=[f"p_tier{k}" for k in range(4)])
    frame["tier"] = graded["tier"]
    return frame


class FakeManifest(BaseModel):
    package_version: str = "0.1.0"
    scheme_hash: str = "ab" * 32
    row_counts: dict[str, int] = {"customers": 300, "grading": 300}
    window: dict[str, str] = {"start": "2022-01", "end": "2024-12"}
    options: dict[str, Any] = {"ties": "stable", "note": "<b>not bold</b>"}
    created_at: str = "2025-01-01T00:00:00+00:00"


@dataclass
class FakeGrading:
    """Duck-typed stand-in for custvalue.grading.Grading."""

    table: pd.DataFrame
    scheme: Any = field(default_factory=Scheme.default)
    manifest: Any = field(default_factory=FakeManifest)

    def summary(self) -> pd.DataFrame:
        t = self.table
        rows = []
        for k, (zh, en) in enumerate(zip(self.scheme.tiers.labels_zh,
                                         self.scheme.tiers.labels_en, strict=True)):
            s = t.loc[(t["tier"] == k).fillna(False), "score"]
            rows.append({"tier": k, "status": "graded", "tier_zh": zh, "tier_en": en,
                         "customers": len(s), "customer_share": len(s) / len(t),
                         "target_share": self.scheme.tiers.quotas[k],
                         "score_min": s.min(), "score_max": s.max(), "cut_score": s.min()})
        out = pd.DataFrame(rows)
        out.index = pd.Index(pd.array(out.pop("tier"), dtype="Int64"), name="tier")
        return out


@dataclass
class FakeValidation:
    """A few fields of :class:`custvalue.validation.TierValidation`, same names."""

    contingency: pd.DataFrame
    ari: float = 0.41
    silhouette: float = 0.23
    method: str = "kmeans"
    disagreement: float = 0.3


@dataclass
class FakeComparison:
    """A few fields of :class:`custvalue.regrade.Comparison`, same names."""

    transitions: pd.DataFrame
    kendall_tau: float = 0.78
    n_common: int = 31


@pytest.fixture
def grading(table: pd.DataFrame) -> FakeGrading:
    return FakeGrading(table)


@pytest.fixture(scope="session")
def real() -> dict[str, Any]:
    """A real sample grading (300 customers, 36 months) and every input the report takes:
    validation, robustness (50 draws), a comparison with a grading of other data, the
    improvement plans, group trends, graded complaints and diagnostics (about 15 s)."""
    import custvalue
    from custvalue.analysis.diagnostics import diagnose
    from custvalue.analysis.groups import group_trends
    from custvalue.regrade import compare
    from custvalue.validation import tier_stability, validate_tiers

    treat = {"duplicates": "last", "negative_energy": "allow"}
    tables = custvalue.samples.generate(300, months=36, seed=5)
    grading = custvalue.grade(**tables, **treat)
    previous = custvalue.grade(**custvalue.samples.generate(300, months=36, seed=6), **treat)
    ids = grading.table.index[::10][:25]
    complaints = pd.DataFrame({
        "complaint_id": [f"Q{i:02d}" for i in range(len(ids))],
        "customer_id": ids,
        "reported_level": ["key" if i % 7 == 0 else "ordinary" for i in range(len(ids))],
        "repeat_after_poor_handling": [i % 5 == 1 for i in range(len(ids))],
        "economic_loss_risk": [i == 3 for i in range(len(ids))],
    })
    return {
        "grading": grading,
        "validation": validate_tiers(grading, seed=0),
        "stability": tier_stability(grading, draws=50, seed=0),
        "comparison": compare(previous, grading),
        "plans": grading.improvement_plans(),
        "groups": group_trends(tables["monthly"], grading),
        "complaints": complaints,
        "diagnostics": diagnose(grading),
    }
