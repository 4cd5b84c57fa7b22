"""The one label table: every code the library produces has a business label in both
languages (Chinese in zh, no Chinese in en), and the lookups behave."""

from __future__ import annotations

import math
import re

import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from custvalue.analysis.services import COMPLAINT_TRIGGERS, MANAGEMENT_LABELS, Catalogue
from custvalue.errors import InvalidValueError
from custvalue.grading import STATUSES
from custvalue.indicators.catalog import INDICATOR_NAMES, REASONS
from custvalue.inputs.contract import CUSTOMER_CLASSES, TABLES
from custvalue.present.findings import Fmt, key_findings
from custvalue.present.labels import KINDS, label, label_series, labels, scheme_label
from custvalue.scoring.scheme import Gates, Scheme

CJK = re.compile(r"[\u2e80-\u9fff\uff00-\uffef]")

CODES = {
    "customer_class": CUSTOMER_CLASSES,
    "reason": (*REASONS, "departed", "short_history"),
    "indicator": INDICATOR_NAMES,
    "status": STATUSES,
    "complaint_trigger": tuple(COMPLAINT_TRIGGERS),
    "management": tuple(MANAGEMENT_LABELS),
    "complaint_level": ("ordinary", "key", "emergency"),
    "gate": tuple(Gates.model_fields),
    "dimension": Scheme.default().dimension_names,
    "abc": tuple(Catalogue.default().abc),
    "table": TABLES,
}


@pytest.mark.parametrize("kind", sorted(CODES))
def test_every_code_has_a_label_in_both_languages(kind):
    zh, en = labels(kind, "zh"), labels(kind, "en")
    for code in CODES[kind]:
        assert code in zh and code in en, (kind, code)
        assert CJK.search(zh[code]), (kind, code, zh[code])
        assert not CJK.search(en[code]), (kind, code, en[code])


def test_every_kind_is_bilingual():
    for kind in KINDS:
        for code, text in labels(kind, "en").items():
            assert text and not CJK.search(text), (kind, code)
        for code, text in labels(kind, "zh").items():
            assert text, (kind, code)


def test_management_labels_agree_with_the_catalogue():
    assert {k: labels("management")[k] for k in MANAGEMENT_LABELS} == MANAGEMENT_LABELS


def test_lookups():
    assert label("customer_class", "residential") == "居民生活用电"
    assert label("customer_class", "residential", "en") == "residential"
    assert label("reason", "odd_new_code", "en") == "odd new code"  # unknown: readable
    assert label("cause", "data + cut shift", "en") == "its own data + a shift of the cut scores"
    assert label("status", pd.NA) == "–" and label("status", float("nan")) == "–"
    s = label_series("abc", pd.Series(["A", None, "B"]), "en")
    assert s.tolist() == ["class A (key)", "–", "class B (ordinary)"]
    with pytest.raises(InvalidValueError, match="kind"):
        label("nonsense", "x")
    with pytest.raises(InvalidValueError, match="lang"):
        labels("abc", "de")


def test_the_scheme_label_comes_first():
    scheme = Scheme.default()
    renamed = Scheme.from_dict({**scheme.to_dict(), "dimensions": {
        **scheme.to_dict()["dimensions"],
        "cooperation": {**scheme.to_dict()["dimensions"]["cooperation"],
                        "label": {"zh": "合作程度", "en": "partnership"}}}})
    assert scheme_label(renamed, "dimension", "cooperation", "en") == "partnership"
    assert scheme_label(None, "dimension", "cooperation", "en") == "cooperation"


@settings(max_examples=200, deadline=None)
@given(st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False))
def test_money_and_energy_are_shown_in_the_languages_units(value):
    """万元 and 万kWh in Chinese, yuan and MWh in English: the text reads back as the value
    in the unit, to the decimals shown."""
    zh, en = Fmt("zh"), Fmt("en")
    assert math.isclose(float(zh.money(value).replace(",", "")), value / 1e4,
                        rel_tol=5e-3, abs_tol=0.051)
    assert math.isclose(float(en.money(value).replace(",", "")), value, rel_tol=5e-3,
                        abs_tol=0.51)
    assert math.isclose(float(zh.energy(value).replace(",", "")), value / 1e4,
                        rel_tol=5e-3, abs_tol=0.051)
    assert math.isclose(float(en.energy(value).replace(",", "")), value / 1e3,
                        rel_tol=5e-3, abs_tol=0.051)


@settings(max_examples=100, deadline=None)
@given(st.text(min_size=1, max_size=30))
def test_any_code_gets_a_readable_label(code):
    assume(" + " not in code)  # compound causes are labelled part by part
    text = label("reason", code, "en")
    known = labels("reason", "en")
    assert text == (known[code] if code in known else code.replace("_", " ")) and text


def test_key_findings_name_the_widest_dimension_and_indicator_gaps():
    """The separation sentence picks the dimension and the normalised indicator whose
    means differ most between the best and the worst tier, with the gap."""
    scheme = Scheme.default()
    dims = scheme.dimension_names
    table = pd.DataFrame({
        "score": [90.0, 80.0, 40.0, 30.0],
        "tier": pd.array([0, 0, 1, 1], dtype="Int64"),
        f"dim__{dims[0]}": [70.0, 70.0, 60.0, 60.0],   # gap 10
        f"dim__{dims[1]}": [90.0, 80.0, 30.0, 20.0],   # gap 60: the widest
        "norm__on_time_rate": [1.0, 0.9, 0.5, 0.6],    # gap 0.40: the widest indicator
        "norm__late_fee": [0.2, 0.2, 0.1, 0.1],        # gap 0.10
    })
    en = key_findings(table, {0: "top", 1: "low"}, Fmt("en"), scheme=scheme)
    second = scheme_label(scheme, "dimension", dims[1], "en")
    assert f"The tiers differ most in {second}: top customers average 85.0 points, " \
        "low customers 25.0;" in en[1]
    assert "the indicator that differs most is on-time payment rate (normalised values " \
        "0.40 apart)" in en[1]
    flat = table.assign(**{c: 1.0 for c in table.columns if c.startswith(("dim__", "norm__"))})
    flat = flat.drop(columns=[c for c in flat.columns if c.startswith("norm__")])
    (only,) = [s for s in key_findings(flat, {0: "top", 1: "low"}, Fmt("en"), scheme=scheme)
               if "differ" in s]
    assert "indicator that differs" not in only  # no norm__ columns: no indicator clause
