"""The three-level indicator tree: dimension -> secondary indicator -> indicator (issue 13.8).

Hand-computed weights and scores, AHP at every level, two-level files unchanged, properties
(one indicator per secondary = two levels; the order of the secondary indicators does not
matter) and the errors of a bad tree, each naming its dotted path.
"""

from __future__ import annotations

import copy
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custvalue.errors import SchemeError
from custvalue.inputs.samples import generate
from custvalue.pipeline import grade
from custvalue.scoring import Scheme, SchemeWarning, score
from custvalue.scoring.ahp_defaults import judged_weights, judgment_matrix, tree_weights
from custvalue.scoring.weights import ahp

ROOT = Path(__file__).resolve().parents[2]
TWO_LEVEL = ROOT / "tests" / "data" / "schemes" / "two_level.toml"
TREAT = {"duplicates": "last", "negative_energy": "allow"}


def _threshold(direction: str = "benefit") -> dict:
    return {"direction": direction, "normalisation": {"method": "threshold", "lower": 0.0,
                                                      "upper": 1.0}}


def _tree() -> dict:
    """Two dimensions; ``a`` has two secondary indicators, ``b`` holds one indicator."""
    return {"dimensions": {
        "a": {"weight": 0.75, "secondary": {
            "g": {"weight": 0.8, "indicators": {
                "x": {"weight": 2 / 3, **_threshold()},
                "y": {"weight": 1 / 3, **_threshold()}}},
            "h": {"weight": 0.2, "indicators": {"z": {"weight": 1.0, **_threshold()}}}}},
        "b": {"weight": 0.25, "indicators": {"u": {"weight": 1.0, **_threshold()}}}}}


def _frame(values: dict[str, list[float]]) -> pd.DataFrame:
    frame = pd.DataFrame(values, dtype=float)
    frame.index = pd.Index([f"c{i}" for i in range(len(frame))], name="customer_id")
    return frame


# ---------------------------------------------------------------------- hand-computed
def test_effective_weights_are_the_product_down_the_tree():
    s = Scheme.from_dict(_tree())
    assert s.levels == 3 and s.secondary_names == ("g", "h")
    w, dim_of, v = s.weight_arrays()
    np.testing.assert_allclose(w, [0.8 * 2 / 3, 0.8 / 3, 0.2, 1.0], rtol=0, atol=1e-15)
    assert dim_of.tolist() == [0, 0, 0, 1] and v.tolist() == [0.75, 0.25]
    glob = s.weight_tree().leaf_weights()
    np.testing.assert_allclose(glob, [0.4, 0.2, 0.15, 0.25], rtol=0, atol=1e-15)
    assert s.secondary_of("y") == "g" and s.secondary_of("u") is None
    assert s.path_of("z") == "dimensions.a.secondary.h.indicators.z"
    assert s.path_of("u") == "dimensions.b.indicators.u"
    rows = s.tree_rows()
    assert [(r["level"], r["name"]) for r in rows] == [
        ("dimension", "a"), ("secondary", "g"), ("indicator", "x"), ("indicator", "y"),
        ("secondary", "h"), ("indicator", "z"), ("dimension", "b"), ("indicator", "u")]
    assert [round(r["global"], 12) for r in rows] == [0.75, 0.6, 0.4, 0.2, 0.15, 0.15, 0.25,
                                                      0.25]


def test_hand_computed_scores_and_respread():
    s = Scheme.from_dict(_tree())
    # c0: x=1, y=0.5, z=0, u=1 -> a = 0.8*(2/3*1 + 1/3*0.5) + 0.2*0 = 2/3; score 0.75*2/3+0.25
    # c1: x missing (respread over the dimension's available indicators y, z by their
    #     effective weights 0.8/3 and 0.2): a = (0.8/3*1 + 0.2*0.5) / (0.8/3 + 0.2)
    t = score(_frame({"x": [1.0, np.nan], "y": [0.5, 1.0], "z": [0.0, 0.5], "u": [1.0, 0.0]}),
              s)
    a1 = (0.8 / 3 * 1.0 + 0.2 * 0.5) / (0.8 / 3 + 0.2)
    np.testing.assert_allclose(t["dim__a"], [200 / 3, 100 * a1], rtol=0, atol=1e-12)
    np.testing.assert_allclose(t["score"], [100 * (0.75 * 2 / 3 + 0.25), 75 * a1],
                               rtol=0, atol=1e-12)


def test_ahp_at_every_level_hand_computed():
    s = Scheme.from_dict(_tree())

    def m(items, pairs):
        return ahp(judgment_matrix({"items": items, "judgments": [
            {"a": a, "b": b, "value": v} for a, b, v in pairs]}))

    # 2x2 matrices are consistent: a 3:1 judgment gives 0.75 / 0.25 exactly (CR 0)
    res = {"dimensions": m(["a", "b"], [("a", "b", 3)]),
           "a": m(["g", "h"], [("g", "h", 4)]),
           "a.g": m(["x", "y"], [("x", "y", 2)])}
    w = tree_weights(res, s)
    assert w["dimensions"] == pytest.approx({"a": 0.75, "b": 0.25}, abs=1e-12)
    assert w["secondary"] == pytest.approx({"g": 0.8, "h": 0.2}, abs=1e-12)
    assert w["indicators"] == pytest.approx({"x": 2 / 3, "y": 1 / 3}, abs=1e-12)
    judged = s.with_weights(**w)
    np.testing.assert_allclose(judged.weight_tree().leaf_weights(), [0.4, 0.2, 0.15, 0.25],
                               atol=1e-12)
    pairs = judged_weights(judged, res)
    assert set(pairs) == {"a", "b", "a.g", "a.h", "a.g.x", "a.g.y", "b.u"}
    assert pairs["b.u"][1] is None  # no matrix judges b's indicators: reported, not invented
    assert all(math.isclose(w_, t, abs_tol=1e-12) for k, (w_, t) in pairs.items()
               if k != "b.u")
    # a 3x3 consistent matrix (a = 2b = 4c) gives 4/7, 2/7, 1/7 at the indicator level
    res3 = {"dimensions": res["dimensions"],
            "a": m(["x", "y", "z"], [("x", "y", 2), ("x", "z", 4), ("y", "z", 2)])}
    w3 = tree_weights(res3, s)  # judged at the indicator level: secondaries are the sums
    assert w3["secondary"] == pytest.approx({"g": 6 / 7, "h": 1 / 7}, abs=1e-12)
    assert w3["indicators"]["x"] == pytest.approx(2 / 3, abs=1e-12)
    np.testing.assert_allclose(s.with_weights(**w3).weight_arrays()[0][:3],
                               [4 / 7, 2 / 7, 1 / 7], atol=1e-12)


def test_default_judgments_reproduce_the_default_tree():
    from custvalue.scoring.ahp_defaults import ahp_default_weights

    s = Scheme.default()
    w = tree_weights(ahp_default_weights(), s)
    again = s.with_weights(**w)
    np.testing.assert_allclose(again.weight_arrays()[0], s.weight_arrays()[0], atol=1e-12)
    assert all(math.isclose(a, b, abs_tol=1e-12)
               for a, b in judged_weights(s, ahp_default_weights()).values() if b is not None)


def test_default_has_the_seed_structure():
    s = Scheme.default()
    assert s.levels == 3
    assert list(s.dimensions["contribution"].secondary) == ["current_value", "potential_value"]
    bill = s.dimensions["compliance"].secondary["bill_payment"]
    assert bill.label.zh == "电费缴纳情况"
    assert list(bill.indicators) == ["on_time_rate", "days_late", "arrears_ratio"]
    assert len(s.dimensions["compliance"].secondary) == 5
    assert len(s.dimensions["cooperation"].secondary) == 3
    assert len(s.indicator_names) == 16


# ---------------------------------------------------------------------- two-level files
def test_two_level_file_loads_unchanged():
    two = Scheme.load(TWO_LEVEL)
    assert two.levels == 2 and two.secondary_names == ()
    text = TWO_LEVEL.read_text(encoding="utf-8")
    assert "secondary" not in two.to_toml()
    # the hash of the two-level default before the tree (recorded in manifests) is unchanged
    assert two.hash().startswith("ff28774510b9d05c")
    assert Scheme.from_toml(two.to_toml()) == two and "indicators" in text


def test_two_level_and_three_level_default_grade_byte_identically():
    tables = generate(300, months=24, seed=13)
    new = grade(**tables, **TREAT)
    old = grade(**tables, scheme=Scheme.load(TWO_LEVEL), **TREAT)
    cols = [c for c in old.table.columns if c.startswith(("norm__", "dim__"))] + ["score"]
    np.testing.assert_array_equal(new.table[cols].to_numpy(float), old.table[cols].to_numpy(float))
    pd.testing.assert_series_equal(new.table["tier"], old.table["tier"])


# ---------------------------------------------------------------------- properties
def _two_level_random(draw) -> dict:
    n_dims = draw(st.integers(1, 3))
    dims = {}
    k = 0
    for d in range(n_dims):
        n = draw(st.integers(1, 4))
        raw = [draw(st.floats(0.05, 1.0)) for _ in range(n)]
        inds = {}
        for j in range(n):
            inds[f"i{k}"] = {"weight": raw[j] / sum(raw), "missing": draw(st.sampled_from(
                ["respread", "neutral", "worst"])), **_threshold(draw(st.sampled_from(
                    ["benefit", "cost"])))}
            k += 1
        dims[f"d{d}"] = {"weight": 1.0, "indicators": inds,
                         "missing": draw(st.sampled_from(["respread", "neutral"]))}
    return {"aggregation": draw(st.sampled_from(["arithmetic", "geometric", "topsis"])),
            "dimensions": dims}


def _singletons(data: dict) -> dict:
    out = copy.deepcopy(data)
    for dim in out["dimensions"].values():
        inds = dim.pop("indicators")
        dim["secondary"] = {f"s_{n}": {"weight": ind["weight"],
                                       "indicators": {n: {**ind, "weight": 1.0}}}
                            for n, ind in inds.items()}
    return out


@st.composite
def _case(draw):
    data = _two_level_random(draw)
    names = [n for dim in data["dimensions"].values() for n in dim["indicators"]]
    n = 25
    values = {}
    for name in names:
        col = np.array([draw(st.floats(0.0, 1.0)) for _ in range(n)])
        col[np.array([draw(st.booleans()) and draw(st.booleans()) for _ in range(n)])] = np.nan
        values[name] = col
    return data, _frame(values)


def _scores(data: dict, frame: pd.DataFrame) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SchemeWarning)
        scheme = Scheme.from_dict(data, normalise=True)
    return score(frame, scheme)["score"].to_numpy(dtype=float)


@settings(max_examples=40, deadline=None)
@given(_case())
def test_one_indicator_per_secondary_equals_the_two_level_score(case):
    data, frame = case
    np.testing.assert_array_equal(_scores(_singletons(data), frame), _scores(data, frame))


@settings(max_examples=40, deadline=None)
@given(_case(), st.randoms(use_true_random=False))
def test_order_of_the_secondary_indicators_does_not_change_scores(case, rnd):
    data, frame = case
    tree = _singletons(data)
    # group the singletons in pairs, then shuffle the secondary indicators of each dimension
    for dim in tree["dimensions"].values():
        items = list(dim["secondary"].items())
        merged = {}
        for j in range(0, len(items), 2):
            part = items[j:j + 2]
            total = sum(g["weight"] for _, g in part)
            merged[part[0][0]] = {"weight": total, "indicators": {
                n: {**ind, "weight": g["weight"] / total}
                for _, g in part for n, ind in g["indicators"].items()}}
        dim["secondary"] = merged
    base = _scores(tree, frame)
    shuffled = copy.deepcopy(tree)
    for dim in shuffled["dimensions"].values():
        keys = list(dim["secondary"])
        rnd.shuffle(keys)
        dim["secondary"] = {k: dim["secondary"][k] for k in keys}
    got = _scores(shuffled, frame)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(base))
    np.testing.assert_allclose(got, base, rtol=0, atol=1e-9)
    np.testing.assert_allclose(base, _scores(data, frame), rtol=0, atol=1e-9)


# ---------------------------------------------------------------------- errors
def _error(data, **kw) -> SchemeError:
    with pytest.raises(SchemeError) as info:
        Scheme.from_dict(data, **kw)
    return info.value


def test_empty_secondary_names_its_path():
    data = _tree()
    data["dimensions"]["a"]["secondary"]["h"]["indicators"] = {}
    assert _error(data).path == "dimensions.a.secondary.h.indicators"


def test_duplicate_indicator_across_secondaries_names_its_path():
    data = _tree()
    data["dimensions"]["a"]["secondary"]["h"]["indicators"] = {"x": {"weight": 1.0}}
    err = _error(data)
    assert err.path == "dimensions.a.secondary.h.indicators.x"
    assert "a.g" in err.problem


def test_duplicate_indicator_across_levels_names_its_path():
    data = _tree()
    data["dimensions"]["b"]["indicators"] = {"z": {"weight": 1.0}}
    assert _error(data).path == "dimensions.b.indicators.z"


def test_secondary_named_like_an_indicator_or_twice_names_its_path():
    data = _tree()
    data["dimensions"]["a"]["secondary"]["u"] = data["dimensions"]["a"]["secondary"].pop("h")
    err = _error(data)
    assert err.path == "dimensions.a.secondary.u" and "indicator" in err.problem
    data = _tree()
    data["dimensions"]["b"] = {"weight": 0.25, "secondary": {
        "g": {"weight": 1.0, "indicators": {"u": {"weight": 1.0}}}}}
    assert _error(data).path == "dimensions.b.secondary.g"


@pytest.mark.parametrize("where, path", [
    (("a", "secondary", "g", "indicators", "x"), "dimensions.a.secondary.g.indicators"),
    (("a", "secondary", "g"), "dimensions.a.secondary"),
    (("b", "indicators", "u"), "dimensions.b.indicators"),
])
def test_weights_not_summing_name_their_path_and_normalise_rescales(where, path):
    data = _tree()
    node = data["dimensions"]
    for key in where:
        node = node[key]
    node["weight"] += 0.5
    err = _error(data)
    assert err.path == path and "normalise=True" in err.problem
    with pytest.warns(SchemeWarning, match=path):
        s = Scheme.from_dict(data, normalise=True)
    assert any(n.startswith(path + ":") for n in s.notes)
    np.testing.assert_allclose(
        s.weight_tree().leaf_weights().sum(), 1.0, atol=1e-12)


def test_negative_secondary_weight_and_both_forms_name_their_path():
    data = _tree()
    data["dimensions"]["a"]["secondary"]["g"]["weight"] = -0.1
    assert _error(data).path == "dimensions.a.secondary.g.weight"
    data = _tree()
    data["dimensions"]["b"]["secondary"] = {"s": {"weight": 1.0, "indicators": {
        "v": {"weight": 1.0}}}}
    assert _error(data).path == "dimensions.b.secondary"
    data = _tree()
    del data["dimensions"]["b"]["indicators"]
    assert _error(data).path == "dimensions.b.indicators"


def test_with_weights_at_every_level():
    s = Scheme.from_dict(_tree())
    t = s.with_weights({"a": 0.5, "b": 0.5}, {"x": 0.5, "y": 0.5}, secondary={"g": 0.5,
                                                                             "h": 0.5})
    np.testing.assert_allclose(t.weight_tree().leaf_weights(), [0.125, 0.125, 0.25, 0.5])
    with pytest.raises(SchemeError) as info:
        s.with_weights(secondary={"nope": 1.0})
    assert info.value.path == "secondary.nope"
    inside = s.with_weights(indicators={"x": 0.3, "y": 0.3, "z": 0.4}, within="dimension")
    assert inside.dimensions["a"].secondary["g"].weight == pytest.approx(0.6)
    assert inside.dimensions["a"].secondary["g"].indicators["x"].weight == pytest.approx(0.5)


# ---------------------------------------------------------------------- every level
def test_objective_weights_at_every_level():
    from custvalue.scoring.objective import objective_weights
    from custvalue.scoring.weights import std_weights

    s = Scheme.from_dict(_tree())
    rng = np.random.default_rng(2)
    frame = _frame({n: rng.uniform(0, 1, 40) for n in ("x", "y", "z", "u")})
    frame.iloc[:5, 1] = np.nan  # y missing for five customers: filled with its median
    table = score(frame, s)
    w = objective_weights(table, s, method="std")
    norm = table[[f"norm__{n}" for n in "xyzu"]].set_axis(list("xyzu"), axis=1)
    filled = norm.fillna(norm.median())
    # indicators inside their parent: x, y inside g; z alone in h; u alone in dimension b
    np.testing.assert_allclose(w.indicators[["x", "y"]], std_weights(filled[["x", "y"]]),
                               rtol=1e-12)
    assert w.indicators["z"] == 1.0 and w.indicators["u"] == 1.0
    assert w.parent_of.to_dict() == {"x": "g", "y": "g", "z": "h", "u": "b"}
    # secondary indicators inside a: on their sub-scores with the scheme's own weights
    sub = pd.DataFrame({"g": filled["x"] * (2 / 3) + filled["y"] * (1 / 3), "h": filled["z"]})
    np.testing.assert_allclose(w.secondary[["g", "h"]], std_weights(sub), rtol=1e-12)
    assert w.secondary_dimension.to_dict() == {"g": "a", "h": "a"}
    # mixed level by level and applied: effective = dimension x secondary x indicator
    mixed = s.with_weights(w.dimensions, w.mix(s, 0.5), secondary=w.mix_secondary(s, 0.5))
    g_w = 0.5 * 0.8 + 0.5 * w.secondary["g"]
    x_w = 0.5 * (2 / 3) + 0.5 * w.indicators["x"]
    assert mixed.weight_tree().leaf_weights()[0] == pytest.approx(
        w.dimensions["a"] * g_w * x_w, abs=1e-12)
    # a two-level scheme: no secondary level, indicators inside the dimension as before
    flat = Scheme.from_dict(_two_level_of_tree())
    w2 = objective_weights(score(frame, flat), flat, method="std")
    assert w2.secondary.empty
    np.testing.assert_allclose(w2.indicators[["x", "y", "z"]],
                               std_weights(filled[["x", "y", "z"]]), rtol=1e-12)


def test_explanation_by_secondary_adds_up():
    from custvalue.scoring import score_result

    s = Scheme.from_dict(_tree())
    frame = _frame({"x": [1.0, np.nan], "y": [0.5, 1.0], "z": [0.0, 0.5], "u": [1.0, 0.0]})
    ex = score_result(frame, s).explain("c0")
    assert list(ex.table.columns[:2]) == ["dimension", "secondary"]
    assert ex.table["secondary"].tolist()[:3] == ["g", "g", "h"]
    assert pd.isna(ex.table.loc["u", "secondary"])  # a two-level dimension: no secondary
    by = ex.by_secondary
    # c0: g = 0.75 * 0.8 * (2/3 * 1 + 1/3 * 0.5) = 0.5; h = 0; u (its own group) = 0.25
    assert by.to_dict() == pytest.approx({("a", "g"): 50.0, ("a", "h"): 0.0, ("b", "u"): 25.0})
    assert by.sum() == pytest.approx(ex.score)
    assert ex.to_dict()["by_secondary"] == pytest.approx({"a.g": 50.0, "a.h": 0.0, "b.u": 25.0})
    # a two-level scheme's explanation has no secondary column (unchanged)
    flat = score_result(frame, Scheme.from_dict(_two_level_of_tree()))
    assert "secondary" not in flat.explain("c0").table.columns


def _two_level_of_tree() -> dict:
    data = _tree()
    a = data["dimensions"]["a"]
    groups = a.pop("secondary")
    a["indicators"] = {n: {**ind, "weight": g["weight"] * ind["weight"]}
                       for g in groups.values() for n, ind in g["indicators"].items()}
    return data
