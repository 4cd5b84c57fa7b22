"""Tests of custvalue.scoring.weights: AHP, entropy, CRITIC, std and their combination.

Reference numbers come from ``tests/data/weights_fixtures.json`` (written by
``tests/data/make_weights_fixtures.py`` with ahpy, pymcdm and scikit-criteria), so only
``test_live_packages`` needs those packages.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from custvalue.errors import (
    ColumnTypeError,
    EmptyTableError,
    InconsistentJudgmentsError,
    InvalidValueError,
    SchemeError,
    UnsupportedInputError,
)
from custvalue.scoring.weights import (
    CR_LIMIT,
    RANDOM_INDEX,
    AHPResult,
    ahp,
    combine_weights,
    critic_weights,
    entropy_weights,
    std_weights,
)

DATA = Path(__file__).parents[1] / "data"
FIXTURES = json.loads((DATA / "weights_fixtures.json").read_text(encoding="utf-8"))
TOL = 1e-6
OBJECTIVE = {"entropy": entropy_weights, "critic": critic_weights, "std": std_weights}


def _ids(cases):
    return [c["name"] for c in cases]


def _frame(case) -> pd.DataFrame:
    n = len(case["matrix"][0])
    return pd.DataFrame(case["matrix"], columns=[f"x{j}" for j in range(n)])


def _judgments(case) -> pd.DataFrame:
    return pd.DataFrame(case["matrix"], index=case["labels"], columns=case["labels"])


def _pairs(case) -> dict:
    a, labels = case["matrix"], case["labels"]
    n = len(labels)
    return {(labels[i], labels[j]): a[i][j] for i in range(n) for j in range(i + 1, n)}


# --------------------------------------------------------------------------- AHP vs fixtures


@pytest.mark.parametrize("case", FIXTURES["ahp"], ids=_ids(FIXTURES["ahp"]))
def test_ahp_matches_reference(case):
    ref = case["reference"]
    n = len(case["labels"])
    allow = ref["cr"]["saaty2005"] > CR_LIMIT
    eig = ahp(_judgments(case), allow_inconsistent=allow)
    assert list(eig.weights.index) == case["labels"]
    np.testing.assert_allclose(eig.weights, ref["eigenvector_ahpy"], atol=TOL)
    if "eigenvector_pymcdm" in ref:
        np.testing.assert_allclose(eig.weights, ref["eigenvector_pymcdm"], atol=TOL)
    assert eig.lambda_max == pytest.approx(ref["lambda_max_eigenvector"], abs=TOL)
    assert eig.ci == pytest.approx(max(0.0, (ref["lambda_max_eigenvector"] - n) / (n - 1)), abs=TOL)
    for table, cr in ref["cr"].items():
        got = ahp(_judgments(case), random_index=table, allow_inconsistent=True)
        assert got.cr == pytest.approx(cr, abs=TOL), table
    geo = ahp(_judgments(case), method="geometric", allow_inconsistent=allow)
    np.testing.assert_allclose(geo.weights, ref["geometric"], atol=TOL)
    assert geo.lambda_max == pytest.approx(ref["lambda_max_geometric"], abs=TOL)


@pytest.mark.parametrize(
    "case", [c for c in FIXTURES["ahp"] if c["literature"]], ids=lambda c: c["name"]
)
def test_ahp_matches_literature(case):
    lit = case["literature"]
    tol = 0.5 * 10 ** -lit["decimals"] + 1e-9
    result = ahp(_pairs(case), random_index=lit["random_index"])
    for label, w in lit["weights"].items():
        assert result.weights[label] == pytest.approx(w, abs=tol), label
    assert result.cr == pytest.approx(lit["cr"], abs=tol)


@pytest.mark.parametrize("case", FIXTURES["ahp"][:4], ids=_ids(FIXTURES["ahp"][:4]))
def test_ahp_pairs_array_and_frame_agree(case):
    by_frame = ahp(_judgments(case))
    by_pairs = ahp(_pairs(case))
    by_array = ahp(np.asarray(case["matrix"]))
    pd.testing.assert_series_equal(by_pairs.weights, by_frame.weights)
    np.testing.assert_array_equal(by_array.weights.to_numpy(), by_frame.weights.to_numpy())
    assert list(by_array.weights.index) == list(range(len(case["labels"])))


def test_ahp_result_object():
    result = ahp({("a", "b"): 2, ("a", "c"): 4, ("b", "c"): 2})
    assert isinstance(result, AHPResult)
    assert result.n == 3 and result.consistent and result.method == "eigenvector"
    assert result.random_index == RANDOM_INDEX["saaty1980"][2] == 0.58
    assert result.matrix.loc["c", "a"] == 0.25
    assert "CR = 0.0000" in repr(result) and "a  0.5714" in repr(result)
    with pytest.raises(AttributeError):
        result.cr = 1.0  # frozen


@pytest.mark.parametrize("n", [1, 2])
def test_ahp_small_matrices_are_consistent(n):
    result = ahp(np.array([[1.0, 7.0], [1 / 7, 1.0]])[:n, :n])
    assert result.ci == result.cr == 0.0
    assert result.weights.sum() == pytest.approx(1.0)


# --------------------------------------------------------------------------- AHP errors

INCONSISTENT = next(c for c in FIXTURES["ahp"] if c["name"].startswith("random_inconsistent"))


def test_ahp_inconsistent_raises_unless_allowed():
    with pytest.raises(InconsistentJudgmentsError, match=r"CR = 1\.\d+ exceeds 0\.1") as err:
        ahp(_judgments(INCONSISTENT))
    assert isinstance(err.value, SchemeError)
    assert "judgments['c" in str(err.value) and "allow_inconsistent=True" in str(err.value)
    result = ahp(_judgments(INCONSISTENT), allow_inconsistent=True)
    assert not result.consistent and result.cr > CR_LIMIT


def _three_by_three_with_cr(cr: float) -> dict:
    # For a_ab = a_bc = 1 and a_ac = t: lambda_max = 1 + u + 1/u with u = t ** (1/3).
    excess = 2 * RANDOM_INDEX["saaty1980"][2] * cr  # lambda_max - 3
    u = (1 + excess / 2) + np.sqrt((1 + excess / 2) ** 2 - 1)
    return {("a", "b"): 1, ("b", "c"): 1, ("a", "c"): u**3}


def test_ahp_cr_limit():
    below = ahp(_three_by_three_with_cr(CR_LIMIT - 1e-6))
    assert below.cr == pytest.approx(CR_LIMIT - 1e-6, abs=1e-9)
    with pytest.raises(InconsistentJudgmentsError):
        ahp(_three_by_three_with_cr(CR_LIMIT + 1e-6))


@pytest.mark.parametrize(
    ("judgments", "match"),
    [
        (np.ones((2, 3)), r"square matrix, got shape \(2, 3\)"),
        (np.ones(3), "square matrix"),
        ([[1, 2], [0.5]], "not a square matrix"),
        (np.array([[1, -2], [-0.5, 1]]), r"judgments\[0, 1\]: must be positive"),
        (np.array([[1, 0], [np.inf, 1]]), r"judgments\[0, 1\]: must be positive"),
        (np.array([[1, 2], [np.nan, 1]]), r"judgments\[1, 0\]: must be positive"),
        (np.array([[1, 3], [0.33, 1]]), r"judgments\[1, 0\]: 0\.33 is not the reciprocal"),
        (np.array([[2, 1], [1, 1]]), r"judgments\[0, 0\]: the diagonal must be 1"),
        (np.array([["1", "2"], ["0.5", "1"]]), "must be numbers"),
        (np.ones((16, 16)), "16 criteria"),
        ({("a", "b"): 2, ("b", "c"): 3}, r"judgments\['a', 'c'\]: comparison missing"),
        ({("a", "b"): 0}, r"judgments\['a', 'b'\]: must be positive"),
        ({("a", "b"): "3"}, "must be a number"),
        ({("a", "b"): 2, ("b", "a"): 2}, r"judgments\['b', 'a'\]: 2\.0 is not the reciprocal"),
        ({"a": 2}, "keys must be pairs"),
        (pd.DataFrame(np.ones((2, 2)), index=["a", "b"], columns=["b", "a"]), "row labels"),
        (pd.DataFrame(np.ones((2, 2)), index=["a", "a"], columns=["a", "a"]), "unique"),
    ],
)
def test_ahp_rejects_bad_judgments(judgments, match):
    with pytest.raises(SchemeError, match=match):
        ahp(judgments)


def test_ahp_reciprocal_tolerance_is_relative():
    third = 1 / 3
    ahp(np.array([[1, 3e6], [third * 1e-6 * (1 + 1e-12), 1]]))  # within 1e-9 relative
    with pytest.raises(SchemeError, match="not the reciprocal"):
        ahp(np.array([[1, 3], [third * (1 + 1e-6), 1]]))


@pytest.mark.parametrize(
    ("kwargs", "path"),
    [({"method": "mean"}, "method"), ({"random_index": "saaty"}, "random_index")],
)
def test_ahp_rejects_unknown_options(kwargs, path):
    with pytest.raises(SchemeError) as err:
        ahp(np.eye(2) + np.fliplr(np.eye(2)), **kwargs)
    assert err.value.path == path


# --------------------------------------------------------------------------- objective vs fixtures

OBJECTIVE_CASES = [(m, c) for m in OBJECTIVE for c in FIXTURES[m]]


@pytest.mark.parametrize(
    ("method", "case"), OBJECTIVE_CASES, ids=[f"{m}-{c['name']}" for m, c in OBJECTIVE_CASES]
)
def test_objective_matches_reference(method, case):
    ref = case["reference"]
    frame = _frame(case)
    got = OBJECTIVE[method](frame, case["types"])
    assert isinstance(got, pd.Series) and list(got.index) == list(frame.columns)
    np.testing.assert_allclose(got, ref["skcriteria"], atol=TOL)
    array = np.asarray(case["matrix"])
    if method == "critic":
        pym = critic_weights(array, case["types"], convention="pymcdm")
        np.testing.assert_allclose(pym, ref["pymcdm"], atol=TOL)
    elif ref["pymcdm"] is not None:
        np.testing.assert_allclose(OBJECTIVE[method](array, case["types"]), ref["pymcdm"], atol=TOL)


@pytest.mark.parametrize(
    ("method", "case"),
    [(m, c) for m, c in OBJECTIVE_CASES if c["literature"]],
    ids=[f"{m}-{c['name']}" for m, c in OBJECTIVE_CASES if c["literature"]],
)
def test_objective_matches_literature(method, case):
    lit = case["literature"]
    kwargs = {"convention": lit["convention"]} if method == "critic" else {}
    got = OBJECTIVE[method](np.asarray(case["matrix"]), case["types"], **kwargs)
    assert isinstance(got, np.ndarray)
    np.testing.assert_allclose(got, lit["weights"], atol=0.5 * 10 ** -lit["decimals"] + 1e-9)


def test_critic_conventions_differ_only_with_cost_columns():
    case = next(c for c in FIXTURES["critic"] if c["name"] == "tus_adali2019")
    m = np.asarray(case["matrix"])
    sk = critic_weights(m, case["types"])
    pm = critic_weights(m, case["types"], convention="pymcdm")
    assert np.abs(sk - pm).max() > 0.01
    np.testing.assert_allclose(critic_weights(m), pm, atol=1e-12)
    np.testing.assert_allclose(
        critic_weights(m, ["cost", "benefit", "benefit", "benefit", "benefit", "benefit"]), sk
    )


def test_types_do_not_change_entropy_or_std():
    m = np.asarray(FIXTURES["entropy"][1]["matrix"])
    for fn in (entropy_weights, std_weights):
        np.testing.assert_array_equal(fn(m), fn(m, [-1, -1, -1, -1]))


# --------------------------------------------------------------------------- edge cases


@pytest.mark.parametrize("fn", [entropy_weights, std_weights, critic_weights])
def test_constant_column_gets_zero(fn):
    m = np.array([[1.0, 5.0, 2.0], [2.0, 5.0, 9.0], [4.0, 5.0, 3.0], [3.0, 5.0, 1.0]])
    w = fn(m)
    assert w[1] == 0.0
    assert w.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(w[[0, 2]], fn(m[:, [0, 2]]), atol=1e-12)


def test_rounding_noise_column_counts_as_constant():
    m = np.array([[0.3, 1.0], [0.1 + 0.2, 2.0], [0.3, 4.0]])  # 0.1 + 0.2 != 0.3
    for fn in (entropy_weights, std_weights, critic_weights):
        np.testing.assert_array_equal(fn(m), [0.0, 1.0])


@pytest.mark.parametrize("fn", [entropy_weights, std_weights, critic_weights])
@pytest.mark.parametrize("m", [np.full((4, 3), 2.0), np.array([[1.0, 7.0, 3.0]])])
def test_all_constant_gives_equal_weights(fn, m):
    np.testing.assert_array_equal(fn(m), np.full(3, 1 / 3))


def test_critic_degenerate_conflict_shares_equally():
    m = np.array([[1.0, 2.0, 9.0], [2.0, 4.0, 9.0], [3.0, 6.0, 9.0]])  # r = 1, one constant
    np.testing.assert_allclose(critic_weights(m), [0.5, 0.5, 0.0])
    np.testing.assert_allclose(critic_weights(m[:, [0, 2]]), [1.0, 0.0])


def test_entropy_zero_counts_as_zero_information():
    # 0 ln 0 = 0: a column with a single non-zero value has entropy 0, divergence 1.
    m = np.array([[0.0, 1.0], [0.0, 2.0], [5.0, 3.0]])
    p = np.array([1, 2, 3]) / 6
    d = np.array([1.0, 1.0 + (p * np.log(p)).sum() / np.log(3)])
    np.testing.assert_allclose(entropy_weights(m), d / d.sum())


# --------------------------------------------------------------------------- objective errors


def test_nan_rows_are_reported():
    frame = pd.DataFrame(
        {"a": [1.0, np.nan, 3.0, np.nan], "b": [1.0, 2.0, np.nan, 4.0]},
        index=["C1", "C2", "C3", "C4"],
    )
    for fn in OBJECTIVE.values():
        with pytest.raises(InvalidValueError, match="missing") as err:
            fn(frame)
        assert err.value.column == "a" and err.value.count == 3
        assert err.value.examples == [{"row": "C2"}, {"row": "C4"}]


@pytest.mark.parametrize(
    ("matrix", "error", "match"),
    [
        (np.array([[1.0, np.inf], [2.0, 3.0]]), InvalidValueError, "infinite"),
        (np.ones(3), UnsupportedInputError, "2-D"),
        ([[1, 2], [3]], UnsupportedInputError, "2-D"),
        ("abc", UnsupportedInputError, "2-D"),
        (42, UnsupportedInputError, "DataFrame"),
        (np.ones((0, 2)), EmptyTableError, "no rows"),
        (np.ones((3, 0)), UnsupportedInputError, "no criteria"),
        (np.array([[True, False]]), ColumnTypeError, "numbers"),
        (pd.DataFrame({"a": [1.0, 2.0], "b": ["x", "y"]}), ColumnTypeError, "numbers"),
        (pd.DataFrame([[1, 2]], columns=["a", "a"]), InvalidValueError, "unique"),
    ],
)
def test_objective_rejects_bad_matrices(matrix, error, match):
    for fn in OBJECTIVE.values():
        with pytest.raises(error, match=match):
            fn(matrix)


def test_entropy_rejects_negative_values():
    frame = pd.DataFrame({"a": [1.0, 2.0], "b": [-1.0, 2.0]}, index=["C1", "C2"])
    with pytest.raises(InvalidValueError, match="non-negative") as err:
        entropy_weights(frame)
    assert err.value.column == "b" and err.value.examples == [{"row": "C1"}]
    std_weights(frame)
    critic_weights(frame)


@pytest.mark.parametrize(
    ("types", "path"),
    [
        ([1], "types"),
        ([1, 0], "types[1]"),
        (["benefit", "max"], "types[1]"),
        ([True, 1], "types[0]"),
        ("bc", "types"),
        ({"a": 1}, "types"),
        ({"a": 1, "b": "cost", "c": 1}, "types"),
        ({"a": 1, "b": 2}, "types['b']"),
    ],
)
def test_types_are_validated(types, path):
    frame = pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 1.0]})
    for fn in OBJECTIVE.values():
        with pytest.raises(SchemeError) as err:
            fn(frame, types)
        assert err.value.path == path


def test_types_mapping_and_series():
    frame = pd.DataFrame({"a": [1.0, 2.0, 4.0], "b": [3.0, 1.0, 2.0], "c": [1.0, 1.5, 0.0]})
    by_list = critic_weights(frame, [1, -1, 1])
    pd.testing.assert_series_equal(critic_weights(frame, {"b": "cost", "a": 1, "c": 1}), by_list)
    pd.testing.assert_series_equal(
        critic_weights(frame, pd.Series([1, -1, 1], index=list("abc"))), by_list
    )
    with pytest.raises(SchemeError, match="needs a DataFrame"):
        critic_weights(frame.to_numpy(), {"a": 1, "b": 1, "c": 1})
    with pytest.raises(SchemeError, match="convention"):
        critic_weights(frame, convention="diakoulaki")


# --------------------------------------------------------------------------- combine


def test_combine_linear_and_multiplicative():
    s = pd.Series({"a": 0.6, "b": 0.3, "c": 0.1})
    o = pd.Series({"c": 0.6, "a": 0.2, "b": 0.2})  # other order: aligned on labels
    lin = combine_weights(s, o, alpha=0.25)
    np.testing.assert_allclose(
        lin, [0.25 * 0.6 + 0.75 * 0.2, 0.25 * 0.3 + 0.75 * 0.2, 0.25 * 0.1 + 0.75 * 0.6]
    )
    assert list(lin.index) == ["a", "b", "c"]
    mul = combine_weights(s, o, method="multiplicative")
    np.testing.assert_allclose(mul, np.array([0.12, 0.06, 0.06]) / 0.24)
    pd.testing.assert_series_equal(combine_weights(s, o, alpha=1), s.rename("weight"))
    np.testing.assert_allclose(combine_weights(s, o, alpha=0), [0.2, 0.2, 0.6])


def test_combine_accepts_arrays_dicts_and_ahp_results():
    res = ahp({("a", "b"): 3, ("a", "c"): 3, ("b", "c"): 1})
    w = combine_weights(res, {"a": 1, "b": 1, "c": 2})  # scaled to sum 1 first
    np.testing.assert_allclose(w, 0.5 * res.weights + 0.5 * np.array([0.25, 0.25, 0.5]))
    both = combine_weights([2, 2], np.array([0.5, 0.5]))
    assert isinstance(both, np.ndarray)
    np.testing.assert_allclose(both, [0.5, 0.5])
    assert list(combine_weights([1, 1], pd.Series([1, 3], index=["x", "y"])).index) == ["x", "y"]


@pytest.mark.parametrize(
    ("s", "o", "kwargs", "path"),
    [
        ([0.5, 0.5], [1.0], {}, "objective"),
        (pd.Series({"a": 1.0}), pd.Series({"b": 1.0}), {}, "objective"),
        ([0.5, -0.5], [0.5, 0.5], {}, "subjective[1]"),
        ([0.5, np.nan], [0.5, 0.5], {}, "subjective[1]"),
        (pd.Series({"a": 1.0, "b": -1.0}), [1, 1], {}, "subjective['b']"),
        ([0.0, 0.0], [0.5, 0.5], {}, "subjective"),
        ([[0.5, 0.5]], [0.5, 0.5], {}, "subjective"),
        ([], [], {}, "subjective"),
        (["a", "b"], [0.5, 0.5], {}, "subjective"),
        ([1.0, 0.0], [0.0, 1.0], {"method": "multiplicative"}, "objective"),
        ([0.5, 0.5], [0.5, 0.5], {"alpha": 1.5}, "alpha"),
        ([0.5, 0.5], [0.5, 0.5], {"alpha": True}, "alpha"),
        ([0.5, 0.5], [0.5, 0.5], {"method": "geometric"}, "method"),
    ],
)
def test_combine_rejects(s, o, kwargs, path):
    with pytest.raises(SchemeError) as err:
        combine_weights(s, o, **kwargs)
    assert err.value.path == path


# --------------------------------------------------------------------------- properties

# values with two decimals: the properties are about the methods, not about rounding
values = st.integers(0, 100_000).map(lambda k: k / 100)


@st.composite
def matrices(draw, signed=False):
    m = draw(st.integers(1, 12))
    n = draw(st.integers(1, 6))
    x = draw(arrays(np.float64, (m, n), elements=values))
    if signed:
        x = x - draw(arrays(np.float64, (m, n), elements=values))
    types = draw(st.lists(st.sampled_from([1, -1]), min_size=n, max_size=n))
    return x, types


@settings(max_examples=60, deadline=None)
@given(data=matrices(), signed=st.booleans(), fn=st.sampled_from(["entropy", "std", "critic"]))
def test_objective_weights_sum_to_one_and_ignore_row_order(data, signed, fn):
    x, types = data
    if signed and fn != "entropy":
        x = x - 500.0
    w = OBJECTIVE[fn](x, types)
    assert np.all(w >= 0)
    assert w.sum() == pytest.approx(1.0, abs=1e-12)
    perm = np.random.default_rng(0).permutation(x.shape[0])
    np.testing.assert_allclose(OBJECTIVE[fn](x[perm], types), w, atol=1e-9)


@settings(max_examples=60, deadline=None)
@given(
    w=st.lists(st.floats(0.01, 1.0), min_size=1, max_size=15),
    method=st.sampled_from(["eigenvector", "geometric"]),
)
def test_ahp_recovers_consistent_weights(w, method):
    w = np.asarray(w) / np.sum(w)
    result = ahp(np.outer(w, 1.0 / w), method=method)
    np.testing.assert_allclose(result.weights, w, atol=1e-9)
    assert result.cr == pytest.approx(0.0, abs=1e-9)
    assert result.lambda_max == pytest.approx(len(w), abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(
    data=st.integers(1, 8).flatmap(
        lambda n: st.tuples(*(st.lists(st.floats(0.0, 10.0), min_size=n, max_size=n),) * 2)
    ),
    alpha=st.floats(0.0, 1.0),
    method=st.sampled_from(["linear", "multiplicative"]),
)
def test_combine_sums_to_one(data, alpha, method):
    s, o = (np.asarray(v) + 0.001 for v in data)
    w = combine_weights(s, o, method=method, alpha=alpha)
    assert np.all(w >= 0)
    assert w.sum() == pytest.approx(1.0, abs=1e-12)


# --------------------------------------------------------------------------- live packages


def test_live_packages():
    """Recompute the fixtures with ahpy / pymcdm / skcriteria; compare fixture and custvalue."""
    import ahpy  # noqa: F401  (dev dependencies: a missing one is an error, not a skip)
    import pymcdm  # noqa: F401
    import skcriteria  # noqa: F401

    spec = importlib.util.spec_from_file_location(
        "make_weights_fixtures", DATA / "make_weights_fixtures.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    live = module.build()
    for method in ("ahp", *OBJECTIVE):
        assert [c["name"] for c in live[method]] == [c["name"] for c in FIXTURES[method]]
        for fresh, stored in zip(live[method], FIXTURES[method], strict=True):
            for key, value in fresh["reference"].items():
                if isinstance(value, list):
                    np.testing.assert_allclose(value, stored["reference"][key], atol=1e-9)
    for fresh in live["ahp"]:
        got = ahp(_judgments(fresh), allow_inconsistent=True, random_index="donegan-dodd")
        np.testing.assert_allclose(got.weights, fresh["reference"]["eigenvector_ahpy"], atol=TOL)
        assert got.cr == pytest.approx(fresh["reference"]["cr"]["donegan-dodd"], abs=TOL)
    for method in OBJECTIVE:
        for fresh in live[method]:
            got = OBJECTIVE[method](np.asarray(fresh["matrix"]), fresh["types"])
            np.testing.assert_allclose(got, fresh["reference"]["skcriteria"], atol=TOL)


# --------------------------------------------------------------------------- random index
def _slightly_inconsistent(n: int) -> np.ndarray:
    """A consistent matrix a_ij = (j+1)/(i+1) with a_01 doubled (and a_10 halved)."""
    idx = np.arange(1, n + 1, dtype=float)
    m = idx[None, :] / idx[:, None]
    m[0, 1] *= 2.0
    m[1, 0] /= 2.0
    return m


def test_random_index_tables_match_their_sources():
    """Every entry of the RI tables, n = 3..15, against an independent copy: pymcdm's
    ``AHP.RI_M`` (Tummala & Ling) and ahpy's 'dd' (Donegan & Dodd) and 'saaty' (Saaty 2005)
    tables, read back from ahpy's consistency ratio as RI = CI / CR."""
    import ahpy
    from pymcdm.weights.subjective.ahp import AHP

    assert RANDOM_INDEX["tummala-ling"] == tuple(AHP.RI_M[:15])
    for table, key in (("donegan-dodd", "dd"), ("saaty2005", "saaty")):
        for n in range(3, 16):
            m = _slightly_inconsistent(n)
            lam = float(np.max(np.linalg.eigvals(m).real))
            names = [f"c{i:02d}" for i in range(n)]
            pairs = {(names[i], names[j]): float(m[i, j])
                     for i in range(n) for j in range(i + 1, n)}
            comp = ahpy.Compare("m", pairs, precision=12, random_index=key)
            ri = ((lam - n) / (n - 1)) / comp.consistency_ratio
            assert RANDOM_INDEX[table][n - 1] == pytest.approx(ri, rel=1e-6), (table, n)
            got = ahp(m, allow_inconsistent=True, random_index=table)
            assert got.random_index == RANDOM_INDEX[table][n - 1]
    assert RANDOM_INDEX["saaty1980"][2:] == (0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49,
                                             1.51, 1.48, 1.56, 1.57, 1.59)
