"""Tests of custvalue.scoring.scheme: the Scheme model, its files and the default scheme."""

from __future__ import annotations

import copy
import math
import tomllib
import warnings
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custvalue.errors import SchemeError
from custvalue.scoring.ahp_defaults import ahp_default_weights, default_judgments
from custvalue.scoring.scheme import (
    WEIGHT_TOLERANCE,
    Indicator,
    Normalisation,
    Scheme,
    SchemeWarning,
    Tiers,
)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "data" / "samples" / "scheme.example.toml"
#: The two-level default as it was shipped before the three-level tree (an existing file).
TWO_LEVEL = ROOT / "tests" / "data" / "schemes" / "two_level.toml"


def _two_level() -> dict:
    return Scheme.load(TWO_LEVEL).to_dict()


def _minimal(**dim_patch) -> dict:
    return {"dimensions": {"d": {"weight": 1.0, "indicators": {"x": {"weight": 1.0}}, **dim_patch}}}


# ---------------------------------------------------------------------- default scheme
class TestDefault:
    def test_structure(self):
        s = Scheme.default()
        assert s.dimension_names == ("contribution", "compliance", "cooperation")
        assert s.indicator_names == (
            "kwh_per_year", "revenue_per_year", "avg_price", "usage_growth",
            "electricity_share", "substitution_potential",
            "pf_compliance", "on_time_rate", "days_late", "arrears_ratio", "plan_completion",
            "violations_per_year", "fault_impact_per_year",
            "policy_rate", "work_cooperation", "suggestions_per_year",
        )
        assert "late_fee" not in s.columns  # collinear with days_late x amount: left out

    def test_contribution_is_most_important(self):
        s = Scheme.default()
        w = {k: d.weight for k, d in s.dimensions.items()}
        assert max(w, key=w.get) == "contribution"
        assert w["contribution"] > w["compliance"] > w["cooperation"]

    def test_heavy_tails_on_log_scale(self):
        s = Scheme.default()
        for name in ("kwh_per_year", "revenue_per_year"):
            assert s.indicator(name).normalisation.method == "log_minmax"

    def test_missing_policies_are_fair(self):
        s = Scheme.default()
        for name in ("pf_compliance", "plan_completion", "electricity_share", "policy_rate"):
            assert s.indicator(name).missing == "respread", name
        assert s.indicator("kwh_per_year").missing == "ungraded"
        assert s.indicator("revenue_per_year").missing == "ungraded"
        assert s.indicator("work_cooperation").missing == "neutral"
        # unknown growth (short history) is middling, not replaced by size (issue 13 twins)
        assert s.indicator("usage_growth").missing == "neutral"
        assert s.dimensions["compliance"].missing == "respread"
        assert s.dimensions["cooperation"].missing == "respread"

    def test_directions(self):
        s = Scheme.default()
        costs = {n for _, n, i in s.iter_indicators() if i.direction == "cost"}
        assert costs == {"days_late", "arrears_ratio", "violations_per_year",
                         "fault_impact_per_year"}

    def test_tiers_and_abc(self):
        s = Scheme.default()
        assert s.tiers.quotas == (0.10, 0.30, 0.50, 0.10)
        assert s.tiers.labels_zh == ("特级客户", "一级客户", "二级客户", "三级客户")
        assert s.tiers.labels_en == ("special", "first", "second", "third")
        assert s.abc.quotas == (0.05, 0.15, 0.80)
        assert s.abc.cuts == (0.80, 0.95)
        assert s.aggregation.method == "arithmetic"

    def test_weights_are_the_ahp_weights(self):
        s = Scheme.default()
        res = ahp_default_weights()
        for name, w in res["dimensions"].weights.items():
            assert s.dimensions[name].weight == pytest.approx(float(w), abs=1e-12)
        for dname, dim in s.dimensions.items():
            # the judgments compare a dimension's indicators; the tree's product is exact
            assert list(res[dname].weights.index) == list(dim.leaves)
            for name, w in res[dname].weights.items():
                assert dim.leaf_weights[name] == pytest.approx(float(w), abs=1e-12)
            for group in dim.secondary.values():  # a secondary's weight: its indicators' sum
                total = sum(float(res[dname].weights[n]) for n in group.indicators)
                assert group.weight == pytest.approx(total, abs=1e-12)
        two = Scheme.load(TWO_LEVEL)  # the effective weights are the two-level ones, bit for bit
        assert (s.weight_arrays()[0] == two.weight_arrays()[0]).all()
        assert s.indicator_names == two.indicator_names

    def test_judgments_consistent(self):
        for name, r in ahp_default_weights().items():
            assert r.cr <= 0.10, name
            assert r.lambda_max >= r.n - 1e-9

    def test_every_pair_judged_once(self):
        for name, entry in default_judgments().items():
            items = entry["items"]
            pairs = [frozenset((j["a"], j["b"])) for j in entry["judgments"]]
            assert len(pairs) == len(set(pairs)) == len(items) * (len(items) - 1) // 2, name
            for j in entry["judgments"]:
                assert {j["a"], j["b"]} <= set(items)
                assert 1 <= j["value"] <= 9 and j["why"]

    def test_judgment_items_match_scheme(self):
        s = Scheme.default()
        j = default_judgments()
        assert j["dimensions"]["items"] == list(s.dimension_names)
        for d in s.dimension_names:
            assert j[d]["items"] == list(s.dimensions[d].leaves)

    def test_example_file_is_the_default(self):
        assert Scheme.load(EXAMPLE) == Scheme.default()
        assert "#" in EXAMPLE.read_text(encoding="utf-8")

    def test_package_data(self):
        files = resources.files("custvalue.scoring")
        assert files.joinpath("default_scheme.toml").is_file()
        assert files.joinpath("default_judgments.toml").is_file()

    def test_weight_arrays(self):
        w, dim_of, dw = Scheme.default().weight_arrays()
        assert dim_of.tolist() == [0] * 6 + [1] * 7 + [2] * 3
        for d in range(3):
            assert math.isclose(w[dim_of == d].sum(), 1.0, abs_tol=1e-12)
        assert math.isclose(dw.sum(), 1.0, abs_tol=1e-12)


# ---------------------------------------------------------------------- files
class TestFiles:
    def test_toml_round_trip_exact(self):
        s = Scheme.default()
        text = s.to_toml()
        back = Scheme.from_toml(text)
        assert back == s and back.hash() == s.hash()
        assert back.to_toml() == text

    def test_json_round_trip_exact(self):
        s = Scheme.default()
        back = Scheme.from_json(s.to_json())
        assert back == s and back.to_json() == s.to_json()

    def test_toml_is_valid_toml(self):
        data = tomllib.loads(Scheme.default().to_toml())
        bill = data["dimensions"]["compliance"]["secondary"]["bill_payment"]
        assert bill["indicators"]["days_late"]["direction"] == "cost"
        assert "indicators" not in data["dimensions"]["compliance"]

    @pytest.mark.parametrize("suffix", [".toml", ".json", ".TOML"])
    def test_save_load(self, tmp_path, suffix):
        path = Scheme.default().save(tmp_path / f"s{suffix}")
        assert Scheme.load(path) == Scheme.default()
        assert Scheme.load(str(path)) == Scheme.default()

    def test_from_toml_accepts_path_and_str_path(self, tmp_path):
        path = Scheme.default().save(tmp_path / "s.toml")
        assert Scheme.from_toml(path) == Scheme.from_toml(str(path)) == Scheme.default()

    def test_bad_suffix(self, tmp_path):
        with pytest.raises(SchemeError, match=r"toml or \.json"):
            Scheme.default().save(tmp_path / "s.yaml")
        with pytest.raises(SchemeError, match=r"toml or \.json"):
            Scheme.load(tmp_path / "s.yaml")

    def test_missing_file(self, tmp_path):
        with pytest.raises(SchemeError, match="no such file"):
            Scheme.from_toml(str(tmp_path / "nope.toml"))

    def test_bad_toml_and_json(self):
        with pytest.raises(SchemeError, match="not valid TOML"):
            Scheme.from_toml("dimensions = [\n")
        with pytest.raises(SchemeError, match="not valid JSON"):
            Scheme.from_json("{\n")

    def test_hash(self):
        s = Scheme.default()
        assert len(s.hash()) == 64 and s.hash() == Scheme.default().hash()
        changed = s.with_weights({"contribution": 0.6, "compliance": 0.3, "cooperation": 0.1})
        assert changed.hash() != s.hash()

    def test_frozen(self):
        s = Scheme.default()
        with pytest.raises(Exception):  # noqa: B017 - pydantic's frozen-instance error
            s.name = "x"  # type: ignore[misc]

    def test_repr(self):
        r = repr(Scheme.default())
        assert "contribution" in r and "sha256=" in r

    def test_aggregation_string_accepted(self):
        s = Scheme.from_dict({**_minimal(), "aggregation": "geometric"})
        assert s.aggregation.method == "geometric" and s.aggregation.floor == 0.01

    def test_column_defaults_to_name(self):
        assert Scheme.from_dict(_minimal()).indicator("x").column == "x"


# ---------------------------------------------------------------------- validation
def _error(data, **kw) -> SchemeError:
    with pytest.raises(SchemeError) as info:
        Scheme.from_dict(data, **kw)
    return info.value


class TestValidation:
    def test_negative_weight_path(self):
        data = _two_level()
        data["dimensions"]["compliance"]["indicators"]["pf_compliance"]["weight"] = -0.1
        err = _error(data)
        assert err.path == "dimensions.compliance.indicators.pf_compliance.weight"
        assert "dimensions.compliance.indicators.pf_compliance.weight" in str(err)

    def test_indicator_sum_path(self):
        data = _two_level()
        data["dimensions"]["compliance"]["indicators"]["pf_compliance"]["weight"] += 0.1
        err = _error(data)
        assert err.path == "dimensions.compliance.indicators"
        assert "normalise=True" in err.problem

    def test_dimension_sum_path(self):
        data = Scheme.default().to_dict()
        data["dimensions"]["cooperation"]["weight"] = 0.5
        assert _error(data).path == "dimensions"

    def test_tolerance(self):
        data = _minimal()
        data["dimensions"]["d"]["weight"] = 1.0 + WEIGHT_TOLERANCE / 2
        Scheme.from_dict(data)
        data["dimensions"]["d"]["weight"] = 1.0 + 10 * WEIGHT_TOLERANCE
        assert _error(data).path == "dimensions"

    def test_target_needs_ideal(self):
        data = _minimal()
        data["dimensions"]["d"]["indicators"]["x"]["direction"] = "target"
        assert _error(data).path == "dimensions.d.indicators.x.ideal"
        data["dimensions"]["d"]["indicators"]["x"]["ideal"] = 1.0
        assert Scheme.from_dict(data).indicator("x").ideal == 1.0

    def test_ideal_only_for_target(self):
        data = _minimal()
        data["dimensions"]["d"]["indicators"]["x"]["ideal"] = 1.0
        assert _error(data).path == "dimensions.d.indicators.x.ideal"

    def test_threshold_bounds(self):
        data = _minimal()
        data["dimensions"]["d"]["indicators"]["x"]["normalisation"] = {
            "method": "threshold", "lower": 5.0, "upper": 1.0}
        assert _error(data).path == "dimensions.d.indicators.x.normalisation.upper"
        data["dimensions"]["d"]["indicators"]["x"]["normalisation"] = {"method": "threshold"}
        assert _error(data).path == "dimensions.d.indicators.x.normalisation.lower"
        data["dimensions"]["d"]["indicators"]["x"]["normalisation"] = {
            "method": "minmax", "lower": 0.0}
        assert _error(data).path == "dimensions.d.indicators.x.normalisation.lower"

    @pytest.mark.parametrize("q", [(0.5, 0.5), (-0.1, 0.9), (0.2, 1.1), (0.9, 0.1)])
    def test_winsorise_quantiles(self, q):
        data = _minimal()
        data["dimensions"]["d"]["indicators"]["x"]["normalisation"] = {"winsorise": list(q)}
        assert _error(data).path == "dimensions.d.indicators.x.normalisation.winsorise"

    def test_unknown_key_and_literal(self):
        data = _minimal()
        data["dimensions"]["d"]["indicators"]["x"]["wieght"] = 1.0
        err = _error(data)
        assert err.path == "dimensions.d.indicators.x.wieght" and "unknown key" in err.problem
        data = _minimal()
        data["dimensions"]["d"]["indicators"]["x"]["direction"] = "up"
        assert _error(data).path == "dimensions.d.indicators.x.direction"
        data = _minimal()
        data["dimensions"]["d"]["indicators"]["x"]["missing"] = "zero"
        assert _error(data).path == "dimensions.d.indicators.x.missing"

    def test_bad_names(self):
        data = {"dimensions": {"bad name": _minimal()["dimensions"]["d"]}}
        assert _error(data).path.startswith("dimensions.bad name")

    def test_duplicate_indicator_across_dimensions(self):
        data = {"dimensions": {
            "d1": {"weight": 0.5, "indicators": {"x": {"weight": 1.0}}},
            "d2": {"weight": 0.5, "indicators": {"x": {"weight": 1.0}}},
        }}
        assert _error(data).path == "dimensions.d2.indicators.x"

    def test_empty(self):
        assert _error({"dimensions": {}}).path == "dimensions"
        assert _error({"dimensions": {"d": {"weight": 1, "indicators": {}}}}).path == (
            "dimensions.d.indicators"
        )

    def test_tiers_and_abc(self):
        assert _error({**_minimal(), "tiers": {"quotas": [0.5, 0.6]}}).path == "tiers.quotas"
        assert _error({**_minimal(), "tiers": {"quotas": [0.5, 0.5]}}).path == "tiers.labels_zh"
        assert _error({**_minimal(), "tiers": {"ties": "random"}}).path == "tiers.ties"
        assert _error({**_minimal(), "abc": {"cuts": [0.95, 0.8]}}).path == "abc.cuts"
        assert _error({**_minimal(), "abc": {"cuts": [0.8]}}).path == "abc.cuts"
        assert _error({**_minimal(), "abc": {"quotas": [0.5, 0.5, 0.5]}}).path == "abc.quotas"

    def test_several_problems_listed(self):
        data = _minimal()
        data["dimensions"]["d"]["indicators"]["x"]["direction"] = "up"
        data["dimensions"]["d"]["indicators"]["x"]["missing"] = "zero"
        err = _error(data)
        assert "also" in err.problem and "missing" in err.problem

    def test_not_a_mapping(self):
        with pytest.raises(SchemeError, match="table of settings"):
            Scheme.from_dict([1, 2])  # type: ignore[arg-type]

    def test_constructors_raise_scheme_error(self):
        with pytest.raises(SchemeError) as info:
            Indicator(column="x", weight=-1)
        assert info.value.path == "weight"
        with pytest.raises(SchemeError):
            Normalisation(method="threshold", lower=1, upper=0)
        with pytest.raises(SchemeError):
            Tiers(quotas=(0.5, 0.6), labels_zh=("a", "b"), labels_en=("a", "b"))


class TestNormalise:
    def test_rescales_with_warning_and_note(self):
        data = _two_level()
        for ind in data["dimensions"]["compliance"]["indicators"].values():
            ind["weight"] = 1.0
        with pytest.warns(SchemeWarning, match="dimensions.compliance.indicators"):
            s = Scheme.from_dict(data, normalise=True)
        w = [i.weight for i in s.dimensions["compliance"].indicators.values()]
        assert w == [1 / 7] * 7
        assert s.notes == ("dimensions.compliance.indicators: weights summed to 7.0; "
                           "rescaled to sum to 1",)
        assert Scheme.from_toml(s.to_toml()) == s  # the note survives the round trip

    def test_no_change_no_note(self):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            s = Scheme.from_dict(Scheme.default().to_dict(), normalise=True)
        assert s == Scheme.default()

    def test_from_toml_normalise(self):
        text = """
[dimensions.a]
weight = 3
[dimensions.a.indicators.x]
weight = 2
[dimensions.b]
weight = 1
[dimensions.b.indicators.y]
weight = 1
"""
        with pytest.warns(SchemeWarning):
            s = Scheme.from_toml(text, normalise=True)
        assert (s.dimensions["a"].weight, s.dimensions["b"].weight) == (0.75, 0.25)
        assert s.indicator("x").weight == 1.0

    def test_invalid_weights_still_reported(self):
        data = _minimal()
        data["dimensions"]["d"]["indicators"]["x"]["weight"] = -2.0
        assert _error(data, normalise=True).path == "dimensions.d.indicators.x.weight"

    def test_with_weights(self):
        s = Scheme.default()
        with pytest.warns(SchemeWarning):
            t = s.with_weights({"contribution": 2, "compliance": 1, "cooperation": 1},
                               normalise=True)
        assert t.dimensions["contribution"].weight == 0.5
        with pytest.raises(SchemeError, match="no such dimension"):
            s.with_weights({"nope": 1.0})
        with pytest.raises(SchemeError, match="no such indicator"):
            s.with_weights(indicators={"nope": 1.0})


# ---------------------------------------------------------------------- properties
names = st.builds(
    str.__add__,
    st.sampled_from("abcdefghijklmnopqrstuvwxyz_"),
    st.text("abcdefghijklmnopqrstuvwxyz0123456789_", max_size=8),
)
texts = st.text(max_size=12)
labels = st.builds(dict, zh=texts, en=texts)


@st.composite
def weights(draw, n):
    raw = draw(st.lists(st.floats(0.01, 100.0), min_size=n, max_size=n))
    total = math.fsum(raw)
    return [x / total for x in raw]


@st.composite
def normalisations(draw):
    method = draw(st.sampled_from(["minmax", "log_minmax", "zscore", "rank", "threshold"]))
    out: dict = {"method": method}
    if method == "threshold":
        lower = draw(st.floats(-1e6, 1e6))
        out["lower"] = lower
        out["upper"] = lower + draw(st.floats(1e-3, 1e6))
    if draw(st.booleans()):
        lo = draw(st.floats(0.0, 0.49))
        out["winsorise"] = [lo, draw(st.floats(0.5, 1.0))]
    return out


@st.composite
def schemes(draw):
    dim_names = draw(st.lists(names, min_size=1, max_size=3, unique=True))
    ind_names = draw(st.lists(names, min_size=len(dim_names), max_size=len(dim_names) + 6,
                              unique=True))
    cuts = sorted(draw(st.lists(st.floats(0.01, 1.0), min_size=2, max_size=2)))
    if cuts[0] == cuts[1]:
        cuts[1] = min(1.0, cuts[0] + 0.01) if cuts[0] < 1.0 else 1.0
    n_tiers = draw(st.integers(1, 5))
    dims: dict = {}
    dws = draw(weights(len(dim_names)))
    chunks = np.array_split(np.array(ind_names, dtype=object), len(dim_names))
    for dname, dw, chunk in zip(dim_names, dws, chunks, strict=True):
        iws = draw(weights(len(chunk)))
        inds = {}
        for iname, iw in zip(chunk, iws, strict=True):
            direction = draw(st.sampled_from(["benefit", "cost", "target"]))
            ind = {
                "column": draw(names),
                "direction": direction,
                "weight": iw,
                "missing": draw(st.sampled_from(["respread", "neutral", "worst", "ungraded"])),
                "normalisation": draw(normalisations()),
                "label": draw(labels),
                "description": draw(labels),
            }
            if direction == "target":
                ind["ideal"] = draw(st.floats(-1e9, 1e9))
            inds[str(iname)] = ind
        dims[dname] = {"weight": dw, "missing": draw(st.sampled_from(["respread", "neutral"])),
                       "label": draw(labels), "indicators": inds}
        if draw(st.booleans()):  # a three-level dimension: its indicators in secondaries
            keys = list(inds)
            cut = draw(st.integers(1, len(keys)))
            parts = [keys[:cut], keys[cut:]] if cut < len(keys) else [keys]
            gws = draw(weights(len(parts)))
            secondary = {}
            for k, (part, gw) in enumerate(zip(parts, gws, strict=True)):
                lws = draw(weights(len(part)))
                secondary[f"Sec{k}_{dname}"] = {
                    "weight": gw, "label": draw(labels),
                    "indicators": {n: {**inds[n], "weight": w} for n, w in
                                   zip(part, lws, strict=True)}}
            del dims[dname]["indicators"]
            dims[dname]["secondary"] = secondary
    return Scheme.from_dict({
        "name": draw(texts),
        "description": draw(labels),
        "aggregation": {"method": draw(st.sampled_from(["arithmetic", "geometric", "topsis"])),
                        "floor": draw(st.floats(1e-6, 1.0)),
                        "topsis_normalisation": draw(st.sampled_from(["vector", "minmax"]))},
        "tiers": {"quotas": [1.0 / n_tiers] * n_tiers,
                  "labels_zh": draw(st.lists(texts, min_size=n_tiers, max_size=n_tiers)),
                  "labels_en": draw(st.lists(texts, min_size=n_tiers, max_size=n_tiers)),
                  "ties": draw(st.sampled_from(["stable", "together"]))},
        "abc": {"method": draw(st.sampled_from(["count", "value"])), "cuts": cuts,
                "basis": draw(names)},
        "dimensions": dims,
        "notes": draw(st.lists(texts, max_size=2)),
    })


@settings(max_examples=60, deadline=None)
@given(schemes())
def test_round_trips_exact_for_random_schemes(s):
    toml_text = s.to_toml()
    assert Scheme.from_toml(toml_text) == s
    assert Scheme.from_toml(toml_text).to_toml() == toml_text
    assert Scheme.from_json(s.to_json()) == s
    assert Scheme.from_json(s.to_json()).hash() == s.hash()
    assert tomllib.loads(toml_text) == s.to_dict()


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_invalid_weights_name_their_path(data):
    base = _two_level()
    d = copy.deepcopy(base)
    dname = data.draw(st.sampled_from(list(d["dimensions"])))
    kind = data.draw(st.sampled_from(["negative", "nan", "inf", "text", "sum_ind", "sum_dim"]))
    iname = data.draw(st.sampled_from(list(d["dimensions"][dname]["indicators"])))
    ind = d["dimensions"][dname]["indicators"][iname]
    bad = {"negative": -data.draw(st.floats(1e-6, 10)), "nan": math.nan, "inf": math.inf,
           "text": "heavy"}
    if kind in bad:
        ind["weight"] = bad[kind]
        path = f"dimensions.{dname}.indicators.{iname}.weight"
    elif kind == "sum_ind":
        ind["weight"] += data.draw(st.floats(1e-6, 5.0))
        path = f"dimensions.{dname}.indicators"
    else:
        d["dimensions"][dname]["weight"] += data.draw(st.floats(1e-6, 5.0))
        path = "dimensions"
    with pytest.raises(SchemeError) as info:
        Scheme.from_dict(d)
    assert info.value.path == path
    assert str(info.value).startswith(path + ":")
