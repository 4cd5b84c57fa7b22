"""objective_weights: entropy / CRITIC / std weights of a scheme from a grading table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from custvalue import errors
from custvalue.scoring import (
    Scheme,
    critic_weights,
    entropy_weights,
    objective_weights,
    std_weights,
)

SCHEME = Scheme.from_dict({"dimensions": {
    "a": {"weight": 0.6, "indicators": {"x": {"weight": 0.7}, "y": {"weight": 0.3}}},
    "b": {"weight": 0.4, "indicators": {"u": {"weight": 0.5}, "v": {"weight": 0.5}}},
}})


def table(seed: int = 0, n: int = 50) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = pd.DataFrame({f"norm__{c}": rng.random(n) for c in "xyuv"},
                     index=[f"C{i:03d}" for i in range(n)])
    t.loc[t.index[:10], "norm__y"] = np.nan           # 20 % without y
    t["norm__v"] = np.nan                              # nobody has v
    t["dim__a"] = 100 * rng.random(n)
    t["dim__b"] = 100 * rng.random(n)
    t["graded"] = True
    t.loc[t.index[-5:], "graded"] = False              # ignored
    t.loc[t.index[-5:], ["norm__x", "dim__a"]] = 99.0  # would distort the weights if used
    return t


@pytest.mark.parametrize(("method", "fn"), [("entropy", entropy_weights),
                                            ("critic", critic_weights), ("std", std_weights)])
def test_weights_are_the_plain_functions_on_the_filled_graded_rows(method, fn):
    t = table()
    w = objective_weights(t, SCHEME, method)
    graded = t[t["graded"]]
    a = graded[["norm__x", "norm__y"]]
    a = a.fillna(a.median())
    np.testing.assert_allclose(w.indicators[["x", "y"]], np.asarray(fn(a)), rtol=1e-12)
    np.testing.assert_allclose(w.dimensions, np.asarray(fn(graded[["dim__a", "dim__b"]] / 100)),
                               rtol=1e-12)
    assert w.indicators.groupby(w.dimension_of).sum().to_numpy() == pytest.approx([1, 1])


def test_an_indicator_nobody_has_gets_no_entropy_weight_and_its_share_is_reported():
    w = objective_weights(table(), SCHEME, "entropy")
    assert w.indicators["v"] == 0.0 and w.indicators["u"] == pytest.approx(1.0)
    assert w.imputed_share["v"] == 1.0
    assert w.imputed_share["y"] == pytest.approx(10 / 45)
    assert w.imputed_share["x"] == 0.0


def test_impute_rules_change_the_fill():
    t = table()
    worst = objective_weights(t, SCHEME, "std", impute="worst")
    graded = t[t["graded"]]
    expected = std_weights(graded[["norm__x", "norm__y"]].fillna(0.0))
    np.testing.assert_allclose(worst.indicators[["x", "y"]], np.asarray(expected), rtol=1e-12)
    assert not np.allclose(worst.indicators[["x", "y"]],
                           objective_weights(t, SCHEME, "std").indicators[["x", "y"]])


def test_mix_goes_straight_into_with_weights():
    w = objective_weights(table(), SCHEME, "critic")
    own = w.mix(SCHEME, 1.0)
    assert own.to_dict() == {"x": 0.7, "y": 0.3, "u": 0.5, "v": 0.5}
    pd.testing.assert_series_equal(w.mix(SCHEME, 0.0), w.indicators)
    half = SCHEME.with_weights(indicators=w.mix(SCHEME, 0.5).to_dict(), name="half")
    assert half.dimensions["a"].indicators["x"].weight == pytest.approx(
        0.5 * 0.7 + 0.5 * w.indicators["x"])
    with pytest.raises(errors.SchemeError):
        w.mix(SCHEME, 1.5)


def test_bad_arguments_are_typed_errors():
    with pytest.raises(errors.SchemeError, match="method"):
        objective_weights(table(), SCHEME, "gini")
    with pytest.raises(errors.SchemeError, match="impute"):
        objective_weights(table(), SCHEME, impute="mean")
    with pytest.raises(errors.SchemeError, match="scheme"):
        objective_weights(table())
    with pytest.raises(errors.MissingColumnError):
        objective_weights(table().drop(columns="norm__u"), SCHEME)
