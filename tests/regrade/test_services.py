"""The service catalogue, entitlements and complaint grading."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custvalue.analysis.services import (
    COMPLAINT_LEVELS,
    COMPLAINT_TRIGGERS,
    Catalogue,
    CatalogueError,
    entitlements,
    grade_complaint,
    grade_complaints,
)
from custvalue.errors import InvalidValueError, SchemeError

TABLE = pd.DataFrame({
    "customer_id": ["a", "b", "c", "d", "e", "f"],
    "tier": pd.array([0, 1, 2, 3, None, 2], dtype="Int64"),
}).set_index("customer_id")


def _data() -> dict:
    return Catalogue.default().to_dict()


# ------------------------------------------------------------------ the default catalogue


def test_default_catalogue_follows_the_domain() -> None:
    cat = Catalogue.default()
    assert list(cat.tiers) == [0, 1, 2, 3]
    value_added = {"green_channel", "service_specialist", "appointment", "expert_clinic",
                   "last_off_first_on", "old_district_upgrade"}
    for tier in (0, 1):
        assert value_added <= set(cat.tiers[tier].services)
        assert cat.tiers[tier].complaint_level == "key"  # important customer: at least key
    assert "sms_notification" in cat.tiers[2].services
    assert not value_added & set(cat.tiers[2].services)
    assert "paid_services" in cat.tiers[3].services and cat.services["paid_services"].charged
    assert len(cat.tiers[3].services) <= len(cat.tiers[2].services)
    hours = [cat.tiers[t].response_hours for t in range(4)]
    assert hours == sorted(hours) and hours[0] < hours[2]  # better tiers answered faster
    assert cat.ungraded.tier == 2
    for svc in cat.services.values():
        assert svc.name_zh and svc.name_en and svc.description
    assert cat.services["green_channel"].name_zh == "绿色通道"
    assert cat.services["last_off_first_on"].name_zh == "后停先送"
    assert "tier 0" in str(cat)


def test_default_is_package_data() -> None:
    package = resources.files("custvalue.analysis")
    text = package.joinpath("service_catalogue.toml").read_text("utf-8")
    assert Catalogue.from_toml(text) == Catalogue.default()


# ------------------------------------------------------------------ round trips


def test_toml_round_trip_text_and_file(tmp_path: Path) -> None:
    cat = Catalogue.default()
    assert Catalogue.from_toml(cat.to_toml()) == cat
    path = cat.save(tmp_path / "catalogue.toml")
    assert Catalogue.load(path) == cat
    assert Catalogue.from_toml(str(path)) == cat


def test_json_round_trip(tmp_path: Path) -> None:
    cat = Catalogue.default()
    assert Catalogue.from_json(cat.to_json()) == cat
    assert Catalogue.load(cat.save(tmp_path / "c.json")) == cat


def test_custom_catalogue_round_trip(tmp_path: Path) -> None:
    data = _data()
    data["name"] = "three tiers"
    data["services"]["energy_report"] = {"name_zh": "能源效益报告", "name_en": "energy report",
                                         "description": "Paid energy-efficiency report.",
                                         "charged": True}
    data["tiers"] = {"0": {"services": ["basic_service", "energy_report"],
                           "complaint_level": "emergency", "response_hours": 1.5},
                     "1": {"services": ["basic_service"], "response_hours": 24},
                     "2": {"services": [], "response_hours": 48}}
    data["ungraded"] = {"tier": 1, "note": "new"}
    cat = Catalogue.from_dict(data)
    assert Catalogue.load(cat.save(tmp_path / "custom.toml")) == cat
    assert cat.tiers[1].complaint_level == "ordinary"


@pytest.mark.parametrize(("change", "path"), [
    (lambda d: d["tiers"]["0"]["services"].append("helicopter"), "tiers.0.services.8"),
    (lambda d: d["tiers"].pop("1"), "tiers"),
    (lambda d: d["ungraded"].update(tier=7), "ungraded.tier"),
    (lambda d: d["tiers"]["2"]["services"].append("basic_service"), "tiers.2.services.2"),
    (lambda d: d["tiers"]["3"].update(response_hours=0), "tiers.3.response_hours"),
    (lambda d: d["tiers"]["3"].update(complaint_level="urgent"), "tiers.3.complaint_level"),
    (lambda d: d["services"]["sms_notification"].pop("name_zh"),
     "services.sms_notification.name_zh"),
    (lambda d: d.update(colour="red"), "colour"),
])
def test_invalid_catalogues_name_the_path(change, path: str) -> None:
    data = _data()
    change(data)
    with pytest.raises(CatalogueError) as info:
        Catalogue.from_dict(data)
    assert info.value.path == path
    assert isinstance(info.value, SchemeError)


def test_bad_files(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="not valid TOML"):
        Catalogue.from_toml("tiers = [")
    with pytest.raises(CatalogueError, match="no such file"):
        Catalogue.from_toml(str(tmp_path / "missing.toml"))
    with pytest.raises(CatalogueError, match="format"):
        Catalogue.default().save(tmp_path / "c.yaml")
    with pytest.raises(CatalogueError, match="format"):
        Catalogue.load(tmp_path / "c.yaml")


# ------------------------------------------------------------------ entitlements


def test_entitlements_for_every_customer() -> None:
    e = entitlements(TABLE)
    assert e.index.tolist() == TABLE.index.tolist()
    cat = Catalogue.default()
    assert list(e.columns) == ["tier", "service_tier", *cat.services, "complaint_level",
                               "response_hours", "note"]
    for name in cat.services:
        assert e[name].dtype == bool
    assert e.loc["a", "green_channel"] and e.loc["b", "last_off_first_on"]
    assert not e.loc["c", "green_channel"] and e.loc["c", "sms_notification"]
    assert e.loc["d", "paid_services"] and not e.loc["d", "sms_notification"]
    assert e["complaint_level"].tolist() == ["key", "key", "ordinary", "ordinary",
                                             "ordinary", "ordinary"]
    assert e["response_hours"].tolist() == [2.0, 4.0, 24.0, 24.0, 24.0, 24.0]
    # the ungraded customer gets tier-2 service and the note
    assert pd.isna(e.loc["e", "tier"]) and e.loc["e", "service_tier"] == 2
    assert (e.loc["e", list(cat.services)] == e.loc["c", list(cat.services)]).all()
    assert e.loc["e", "note"] == cat.ungraded.note
    assert e["note"].isna().sum() == 5


def test_entitlements_with_custom_catalogue() -> None:
    data = _data()
    data["ungraded"] = {"tier": 3, "note": "limited until graded"}
    e = entitlements(TABLE, Catalogue.from_dict(data))
    assert e.loc["e", "paid_services"] and e.loc["e", "note"] == "limited until graded"


def test_entitlements_unknown_tier() -> None:
    t = TABLE.assign(tier=pd.array([0, 1, 2, 3, None, 5], dtype="Int64"))
    with pytest.raises(InvalidValueError, match="not in the service catalogue"):
        entitlements(t)


# ------------------------------------------------------------------ complaints


def test_grade_complaint_scalars() -> None:
    assert grade_complaint(0, "ordinary") == "key"
    assert grade_complaint(1, "key") == "key"
    assert grade_complaint(1, "emergency") == "emergency"
    assert grade_complaint(2, "ordinary") == "ordinary"
    assert grade_complaint(3, "emergency") == "emergency"
    assert grade_complaint(None, "ordinary") == "ordinary"
    assert grade_complaint(pd.NA) == "ordinary"
    assert grade_complaint(np.int64(0), None) == "key"  # missing report: the floor
    assert grade_complaint(2, "应急投诉") == "emergency"
    assert grade_complaint(2, "关键") == "key"
    assert grade_complaint(2, " Key ") == "key"


def test_grade_complaint_vectorised() -> None:
    tiers = pd.Series(pd.array([0, 1, 2, 3, None], dtype="Int64"), index=list("vwxyz"))
    reported = pd.Series(["ordinary", "emergency", "key", "普通", None], index=list("vwxyz"))
    out = grade_complaint(tiers, reported)
    assert out.index.tolist() == list("vwxyz") and out.name == "complaint_level"
    assert out.tolist() == ["key", "emergency", "key", "ordinary", "ordinary"]
    assert grade_complaint(tiers, "ordinary").tolist() == ["key", "key", "ordinary",
                                                           "ordinary", "ordinary"]
    assert grade_complaint([2, 2], ["key", "ordinary"]).tolist() == ["key", "ordinary"]
    assert grade_complaint(2, reported).index.tolist() == list("vwxyz")


def test_grade_complaint_errors() -> None:
    with pytest.raises(InvalidValueError, match="unknown complaint levels"):
        grade_complaint(0, "urgent")
    with pytest.raises(InvalidValueError, match="catalogue"):
        grade_complaint(9, "key")
    with pytest.raises(InvalidValueError, match="whole numbers"):
        grade_complaint(1.5, "key")
    with pytest.raises(InvalidValueError, match="indexes"):
        grade_complaint(pd.Series([0], index=["a"]), pd.Series(["key"], index=["b"]))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.one_of(st.none(), st.integers(0, 3)),
                          st.sampled_from(COMPLAINT_LEVELS)), min_size=1, max_size=30))
def test_effective_level_is_at_least_reported_and_the_tier_floor(pairs: list) -> None:
    cat = Catalogue.default()
    tiers = pd.Series(pd.array([t for t, _ in pairs], dtype="Int64"))
    reported = pd.Series([lvl for _, lvl in pairs])
    out = grade_complaint(tiers, reported)
    rank = {lvl: i for i, lvl in enumerate(COMPLAINT_LEVELS)}
    for (tier, lvl), eff in zip(pairs, out, strict=True):
        floor = cat.minimum_level(tier)
        assert rank[eff] >= rank[lvl]
        assert rank[eff] >= rank[floor]
        assert rank[eff] == max(rank[lvl], rank[floor])
        if tier in (0, 1):
            assert eff != "ordinary"
        assert grade_complaint(tier, lvl) == eff  # the scalar form agrees


def test_doc_examples_run() -> None:
    import doctest

    doc = Path(__file__).resolve().parents[2] / "docs" / "services.md"
    result = doctest.testfile(str(doc), module_relative=False,
                              optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


# ------------------------------------------------------------------ ABC classes (issue 16)


def test_default_abc_actions_follow_the_seed() -> None:
    cat = Catalogue.default()
    assert list(cat.abc) == ["A", "B", "C"]
    assert [cat.abc[k].management_zh for k in "ABC"] == ["优先发展", "保持", "限制或舍弃"]
    assert "green_channel" in cat.abc["A"].services  # 绿色通道等大客户待遇
    assert cat.abc["C"].cost_recovery and "paid_services" in cat.abc["C"].services
    assert not cat.abc["A"].cost_recovery and not cat.abc["B"].services
    fees = cat.fee_schedule()
    assert {"fault_handling", "energy_report", "power_factor_guidance"} <= set(fees["item"])
    assert fees["amount"].isna().all()  # at cost: amounts are the utility's
    assert "class C: 限制或舍弃" in str(cat)


def test_entitlements_add_the_abc_class() -> None:
    table = TABLE.assign(abc=pd.array(["A", "C", "A", "C", None, "B"], dtype="string"))
    e = entitlements(table)
    base = entitlements(TABLE)
    assert list(e.columns) == [*base.columns, "abc", "management", "management_zh",
                               "cost_recovery", "abc_services"]
    # tier services are kept, the class adds its own (OR)
    assert e.loc["c", "green_channel"] and not base.loc["c", "green_channel"]
    assert e.loc["c", "abc_services"] == "green_channel; service_specialist"
    assert e.loc["a", "abc_services"] == ""  # tier 0 has them already
    assert e.loc["b", "paid_services"] and e.loc["b", "cost_recovery"]
    assert e.loc["f", "management"] == "maintain" and not e.loc["f", "cost_recovery"]
    assert pd.isna(e.loc["e", "management"]) and not e.loc["e", "green_channel"]
    assert e["management_zh"].tolist()[:4] == ["优先发展", "限制或舍弃", "优先发展", "限制或舍弃"]
    with pytest.raises(InvalidValueError, match="ABC classes"):
        entitlements(TABLE.assign(abc=["A", "D", "A", "A", "A", "A"]))


def test_abc_catalogue_is_checked_and_round_trips() -> None:
    data = _data()
    data["abc"]["A"]["services"] = ["helicopter"]
    with pytest.raises(CatalogueError, match=r"abc\.A\.services\.0: unknown service"):
        Catalogue.from_dict(data)
    data = _data()
    data["abc"]["B"]["management"] = "ignore"
    with pytest.raises(CatalogueError, match=r"abc\.B\.management"):
        Catalogue.from_dict(data)
    data = _data()
    data["services"]["sms_notification"]["fees"] = {"x": {"name_zh": "x", "name_en": "x"}}
    with pytest.raises(CatalogueError, match="charged"):
        Catalogue.from_dict(data)
    data = _data()
    data["services"]["paid_services"]["fees"]["fault_handling"]["amount"] = 120.0
    cat = Catalogue.from_dict(data)
    assert Catalogue.from_toml(cat.to_toml()) == cat
    assert cat.fee_schedule().set_index("item").loc["fault_handling", "amount"] == 120.0
    no_abc = _data()
    del no_abc["abc"]
    plain = Catalogue.from_dict(no_abc)
    table = TABLE.assign(abc=["A", "C", "A", "C", None, "B"])
    assert list(entitlements(table, plain).columns) == list(entitlements(TABLE).columns)


# ------------------------------------------------------------------ complaint triggers (issue 16)

TRIGGERS = {"repeat_after_poor_handling": "key", "from_higher_organisation": "key",
            "important_customer": "key", "economic_loss_risk": "emergency",
            "social_impact_risk": "emergency"}


@pytest.mark.parametrize("trigger,level", list(TRIGGERS.items()))
def test_every_trigger_sets_its_grade(trigger: str, level: str) -> None:
    assert grade_complaint(3, **{trigger: True}) == level
    assert grade_complaint(3, **{trigger: False}) == "ordinary"
    d = grade_complaint(2, detail=True, **{trigger: True})
    text = COMPLAINT_TRIGGERS[trigger][2]
    assert d.loc[0, "reason"] == f"{level}: {text}"
    assert d.loc[0, "department"] == Catalogue.default().complaints[level].department_en


def test_every_combination_of_triggers_and_tier_floor() -> None:
    import itertools

    names = list(TRIGGERS)
    combos = list(itertools.product([False, True], repeat=len(names)))
    tiers = [0, 1, 2, 3, None]
    rows = [(t, *c) for t in tiers for c in combos]  # 5 x 32 complaints, one table
    table = pd.DataFrame(rows, columns=["tier", *names])
    table["tier"] = table["tier"].astype("Int64")
    out = grade_complaints(table)
    cat = Catalogue.default()
    order = list(COMPLAINT_LEVELS)
    for i, (tier, *flags) in enumerate(rows):
        floor = cat.minimum_level(None if pd.isna(tier) else tier)
        fired = [TRIGGERS[n] for n, on in zip(names, flags, strict=True) if on]
        expected = max([floor, *fired], key=order.index)
        row = out.iloc[i]
        assert row["complaint_level"] == expected, (tier, flags)
        assert row["department_zh"] == cat.complaints[expected].department_zh
        reason = row["reason"]
        assert reason.startswith(expected + ": ")
        # the reason names every trigger at the grade, no trigger below it, and the floor
        # when the floor is the grade
        for n, on in zip(names, flags, strict=True):
            named = COMPLAINT_TRIGGERS[n][2] in reason
            assert named == (on and TRIGGERS[n] == expected), (tier, flags, n)
        assert (f"tier {tier} floor" in reason) == (floor == expected != "ordinary"
                                                     and not pd.isna(tier))
        if expected == "ordinary":
            assert "no trigger" in reason


def test_complaints_table_with_grading_and_reported_level() -> None:
    complaints = pd.DataFrame({
        "customer_id": ["a", "d", "x", "c"],
        "reported_level": ["普通", None, "ordinary", "应急投诉"],
        "repeat_after_poor_handling": [False, True, None, False],
    })
    out = grade_complaints(complaints, TABLE)
    assert out["tier"].tolist()[:2] == [0, 3] and pd.isna(out["tier"].iloc[2])
    assert out["complaint_level"].tolist() == ["key", "key", "ordinary", "emergency"]
    assert out.loc[0, "reason"] == "key: tier 0 floor"
    assert out.loc[3, "reason"] == "emergency: reported as emergency"
    assert out.loc[2, "reason"].startswith("ordinary: a service-quality complaint")
    assert out["complaint_level_zh"].tolist()[-1] == "应急投诉"
    with pytest.raises(InvalidValueError, match="true or false"):
        grade_complaints(complaints.assign(economic_loss_risk=["yes", 0, 1, 0]), TABLE)
    with pytest.raises(InvalidValueError, match="unknown complaint trigger"):
        grade_complaint(1, typhoon=True)
    from custvalue.errors import MissingColumnError
    with pytest.raises(MissingColumnError):
        grade_complaints(complaints)


def test_old_call_still_works_and_departments_are_required() -> None:
    assert grade_complaint(0) == "key"
    assert grade_complaint(pd.Series([2, 1]), pd.Series(["key", None])).tolist() == ["key",
                                                                                   "key"]
    data = _data()
    del data["complaints"]["emergency"]
    with pytest.raises(CatalogueError, match="no department for emergency"):
        Catalogue.from_dict(data)
