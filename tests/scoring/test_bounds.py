"""The fitted bounds as a table and back (what a grading keeps in ``bounds.json``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from custvalue.scoring import Scheme, Scorer
from custvalue.scoring.bounds import BOUNDS_COLUMNS, bounds_table, fits_from_bounds


def _scheme(aggregation: str = "arithmetic") -> Scheme:
    return Scheme.from_dict({
        "aggregation": aggregation,
        "dimensions": {
            "a": {"weight": 0.5, "indicators": {
                "x": {"weight": 0.4, "normalisation": {"method": "minmax",
                                                       "winsorise": [0.1, 0.9]}},
                "y": {"weight": 0.6, "direction": "target", "ideal": 1.0,
                      "normalisation": {"method": "zscore"}}}},
            "b": {"weight": 0.5, "indicators": {
                "z": {"weight": 0.5, "normalisation": {"method": "rank"}},
                "t": {"weight": 0.5, "direction": "cost",
                      "normalisation": {"method": "threshold", "lower": 0, "upper": 30}}}}}})


def _frame(n: int = 50) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"x": rng.lognormal(2, 1, n), "y": rng.normal(1, 0.3, n),
                          "z": rng.poisson(3, n).astype(float), "t": rng.uniform(0, 40, n)},
                         index=pd.Index([f"c{i:02d}" for i in range(n)], name="customer_id"))
    frame.loc[frame.index[::7], "x"] = np.nan
    return frame


@pytest.mark.parametrize("aggregation", ["arithmetic", "topsis"])
def test_the_table_gives_back_the_scores_of_the_fitted_scorer(aggregation: str) -> None:
    scheme, frame = _scheme(aggregation), _frame()
    scorer = Scorer(scheme).fit(frame)
    table = bounds_table(scorer)
    assert list(table.columns) == list(BOUNDS_COLUMNS)
    assert list(table.index) == list(scheme.indicator_names)
    assert table.loc["t", "low"] == 0.0 and table.loc["t", "high"] == 30.0
    assert table.loc["y", "ideal"] == 1.0 and np.isnan(table.loc["x", "ideal"])
    fits, topsis = fits_from_bounds(table, scheme, frame)
    assert (topsis is None) == (aggregation != "topsis")
    # a scorer rebuilt from the table scores new customers exactly as the fitted one
    later = _frame(30) * 1.3
    rebuilt = Scorer(scheme).fit(frame)
    rebuilt.normaliser_.fits_ = fits
    rebuilt.topsis_ = topsis
    pd.testing.assert_frame_equal(rebuilt.transform(later), scorer.transform(later))


def test_rank_needs_the_fitted_column_and_other_settings_are_refused() -> None:
    scheme, frame = _scheme(), _frame()
    table = bounds_table(Scorer(scheme).fit(frame))
    with pytest.raises(ValueError, match="rank indicator 'z'"):
        fits_from_bounds(table, scheme)
    data = scheme.to_dict()
    data["dimensions"]["a"]["indicators"]["x"]["normalisation"]["winsorise"] = None
    with pytest.raises(ValueError, match="'x'"):
        fits_from_bounds(table, Scheme.from_dict(data), frame)
    with pytest.raises(ValueError, match="no bounds"):
        fits_from_bounds(table.drop(index="y"), scheme, frame)
    with pytest.raises(ValueError, match="TOPSIS"):
        fits_from_bounds(table, _scheme("topsis"), frame)
