"""Verdicts and gates: thresholds in the scheme, PASS / WARN / FAIL per figure."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from custvalue.errors import SchemeError
from custvalue.scoring import Gates, Scheme
from custvalue.validation import verdicts
from custvalue.validation.gates import judge


def test_default_gates_leave_the_scheme_hash_and_files_unchanged():
    s = Scheme.default()
    assert "gates" not in s.to_dict()
    assert s.gates == Gates()
    data = s.to_dict()
    data["gates"] = {"min_ari": {"warn": 0.3, "fail": 0.1}}
    t = Scheme.from_dict(data)
    assert t.hash() != s.hash()
    assert Scheme.from_toml(t.to_toml()) == t and Scheme.from_json(t.to_json()) == t
    assert t.gates.min_ari.warn == 0.3 and t.gates.max_borderline == Gates().max_borderline


def test_gates_in_the_wrong_order_name_their_path():
    data = Scheme.default().to_dict()
    data["gates"] = {"max_borderline": {"warn": 0.5, "fail": 0.2}}
    with pytest.raises(SchemeError) as info:
        Scheme.from_dict(data)
    assert info.value.path == "gates.max_borderline"
    data["gates"] = {"min_ari": {"warn": 0.1, "fail": 0.2}}
    with pytest.raises(SchemeError, match="fail <= warn"):
        Scheme.from_dict(data)
    data["gates"] = {"min_arl": {"warn": 0.5, "fail": 0.2}}
    with pytest.raises(SchemeError, match="unknown key"):
        Scheme.from_dict(data)


@pytest.mark.parametrize(("gate", "figure", "status", "threshold"), [
    ("min_ari", 0.30, "PASS", 0.20),
    ("min_ari", 0.20, "PASS", 0.20),      # at the threshold: passes
    ("min_ari", 0.19, "WARN", 0.20),
    ("min_ari", 0.05, "WARN", 0.20),
    ("min_ari", 0.049, "FAIL", 0.05),
    ("max_borderline", 0.20, "PASS", 0.20),
    ("max_borderline", 0.21, "WARN", 0.20),
    ("max_borderline", 0.36, "FAIL", 0.35),
    ("max_borderline", math.nan, "WARN", 0.20),
])
def test_judge_at_and_around_the_thresholds(gate, figure, status, threshold):
    g = getattr(Gates(), gate)
    v = judge(gate, figure, g.warn, g.fail)
    assert (v.status, v.threshold) == (status, threshold)
    if status != "PASS" and not math.isnan(figure):
        assert f"{figure:.1%}" in v.sentence or f"{figure:.3f}" in v.sentence


@given(st.floats(0, 1), st.floats(0, 1), st.floats(0, 1))
def test_a_worse_figure_never_gets_a_better_status(a, b, c):
    warn, fail = sorted((b, c))
    order = ("PASS", "WARN", "FAIL")
    lo, hi = sorted((a, (a + 1) / 2))
    assert order.index(judge("max_x", lo, warn, fail).status) <= \
        order.index(judge("max_x", hi, warn, fail).status)
    fail2, warn2 = sorted((b, c))
    assert order.index(judge("min_x", hi, warn2, fail2).status) <= \
        order.index(judge("min_x", lo, warn2, fail2).status)


def test_verdicts_read_every_figure_and_the_schemes_gates():
    val = SimpleNamespace(ari=0.188, disagreement=0.45)
    sens = pd.DataFrame({"-25%": [0.5], "-10%": [0.01], "+10%": [0.04], "+25%": [0.5]})
    stab = SimpleNamespace(borderline_share=0.25, expected_change=0.08, sensitivity=sens)
    vs = verdicts(val, stab)
    got = {v.gate: (v.status, v.figure) for v in vs}
    assert got == {"min_ari": ("WARN", 0.188), "max_disagreement": ("PASS", 0.45),
                   "max_borderline": ("WARN", 0.25), "max_expected_change": ("PASS", 0.08),
                   "max_change_10pct": ("PASS", 0.04)}   # ±25 % columns are not read
    assert vs.status == "WARN" and not vs.failed
    strict = Scheme.default().model_copy(update={"gates": Gates(
        max_borderline={"warn": 0.1, "fail": 0.2})})
    vs = verdicts(val, stab, strict)
    assert vs.failed and vs.status == "FAIL"
    assert vs.to_dict()["verdicts"][2] == {
        "gate": "max_borderline", "status": "FAIL", "figure": 0.25, "threshold": 0.2,
        "sentence": vs.items[2].sentence}
    assert len(verdicts(val)) == 2 and len(verdicts(stability=stab)) == 3
