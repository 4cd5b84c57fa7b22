"""A fair grading (issue 13): departed accounts and short histories outside the quotas,
annual rates that let a customer open part of the window compete on equal terms ("twins")."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import custvalue
from custvalue.grading import DEPARTED, SHORT_HISTORY
from custvalue.inputs.samples import generate
from custvalue.pipeline import _provisional_tiers, grade
from custvalue.regrade.compare import compare
from custvalue.scoring import Scheme

TREAT = {"duplicates": "last", "negative_energy": "allow"}
WINDOW_END = pd.Timestamp("2024-12-31")


@pytest.fixture(scope="module")
def tables():
    return generate(400, months=36, seed=21)


@pytest.fixture(scope="module")
def grading(tables):
    return grade(**tables, **TREAT)


def _closed(table: pd.DataFrame) -> pd.Series:
    return pd.to_datetime(table["closed"], errors="coerce") <= WINDOW_END


def test_closed_accounts_are_never_in_a_tier(tables, grading):
    t = grading.table
    closed = _closed(t)
    assert closed.sum() > 5  # the sample has accounts that closed inside the window
    assert t.loc[closed, "tier"].isna().all()
    assert (t.loc[closed, "reason"] == DEPARTED).all()
    assert not t.loc[closed, "graded"].any()
    # still in the output, with their indicators
    assert t.loc[closed, "kwh_per_year"].notna().any()
    # every register customer exactly once, every ungraded one with a reason
    assert sorted(t.index) == sorted(tables["customers"]["customer_id"])
    assert t.index.is_unique
    assert t.loc[t["tier"].isna(), "reason"].notna().all()


def test_quota_counts_are_exact_over_the_graded_customers(grading):
    graded = grading.table[grading.table["tier"].notna()]
    sizes = custvalue.tiers.tier_sizes(len(graded), grading.scheme.tiers.quotas)
    counts = graded["tier"].value_counts().reindex(range(4), fill_value=0).to_numpy()
    np.testing.assert_array_equal(counts, sizes)
    ranks = graded["rank"].astype(int).sort_values().to_numpy()
    np.testing.assert_array_equal(ranks, np.arange(1, len(graded) + 1))


def test_option_keeps_the_old_behaviour_for_departed_accounts(tables, grading):
    data = Scheme.default().to_dict()
    data["eligibility"] = {"departed": "graded", "min_exposure_months": 0}
    old = grade(**tables, scheme=Scheme.from_dict(data), **TREAT)
    closed = _closed(old.table)
    assert old.table.loc[closed, "tier"].notna().sum() > 0
    assert not (old.table["reason"] == DEPARTED).any()
    assert len(old.graded) > len(grading.graded)


def test_short_history_gets_a_provisional_tier(tables, grading):
    t = grading.table
    short = t["reason"] == SHORT_HISTORY
    assert short.sum() > 0
    assert (t.loc[short, "exposure_months"] < 12).all()
    assert t.loc[short, "tier"].isna().all() and t.loc[short, "score"].isna().all()
    assert t.loc[short, "provisional"].all() and not t.loc[~short, "provisional"].any()
    assert t.loc[short, "provisional_score"].notna().all()
    assert t.loc[~short, "provisional_tier"].isna().all()
    # the provisional tier is the best tier whose cut score (lowest graded score) it reaches
    cuts = t[t["tier"].notna()].groupby("tier")["score"].min()
    for cid, row in t[short].iterrows():
        reached = [k for k, c in cuts.items() if row["provisional_score"] >= c]
        assert row["provisional_tier"] == (min(reached) if reached else len(cuts) - 1), cid
    # graded customers are not short: exposure at least the minimum
    assert (t.loc[t["tier"].notna(), "exposure_months"] >= 12).all()


def test_provisional_tier_hand_computed():
    score = pd.Series([90.0, 70.0, 69.0, 50.0, 10.0, np.nan, np.nan, np.nan])
    tier = pd.Series([0, 1, 1, 2, 3, None, None, None], dtype="Int64")
    prov = pd.Series([np.nan] * 5 + [70.0, 69.5, 1.0])
    # cuts: 特级 90, 一级 69, 二级 50, 三级 10 → 70 and 69.5 reach 一级; 1.0 none → 三级
    assert _provisional_tiers(prov, score, tier, 4).tolist()[5:] == [1, 1, 3]


def test_regrade_treats_short_histories_as_ungraded(grading):
    short = grading.table.index[grading.table["reason"] == SHORT_HISTORY]
    result = compare(grading, grading)
    assert result.n_common_graded == int(grading.table["tier"].notna().sum())
    assert result.n_common_graded == len(grading.table) - int(grading.table["tier"].isna().sum())
    assert len(short) and not set(short) & set(result.movers.index)


# ----------------------------------------------------------------------------------------
# twins: the same monthly behaviour, a shorter history
# ----------------------------------------------------------------------------------------


def _twins(tables: dict[str, pd.DataFrame], ids: list[str],
           lengths: list[int]) -> dict[str, pd.DataFrame]:
    """Copies of ``ids`` (prefixed ``T_``) with only their last ``lengths`` months."""
    reg = tables["customers"].set_index("customer_id")
    starts = {cid: (WINDOW_END.to_period("M") - (n - 1)).to_timestamp()
              for cid, n in zip(ids, lengths, strict=True)}
    start = pd.Series(starts)
    as_text = isinstance(reg["opened"].dropna().iloc[0], str)  # CSV text or dates
    twin_reg = reg.loc[ids].assign(
        opened=[s.strftime("%Y-%m-%d") if as_text else s.date() for s in start], closed=None)
    twin_reg.index = "T_" + twin_reg.index
    out = {"customers": pd.concat([tables["customers"], twin_reg.reset_index()],
                                  ignore_index=True)}

    def copy(name: str, column: str) -> pd.DataFrame:
        frame = tables[name]
        mine = frame[frame["customer_id"].isin(ids)]
        when = pd.to_datetime(mine[column].astype(str).str[:10].where(
            mine[column].astype(str).str.len() > 7, mine[column].astype(str) + "-01"))
        mine = mine[when.to_numpy() >= start.reindex(mine["customer_id"]).to_numpy()]
        return pd.concat([frame, mine.assign(customer_id="T_" + mine["customer_id"])],
                         ignore_index=True)

    out["monthly"] = copy("monthly", "period")
    out["events"] = copy("events", "date")
    out["cooperation"] = copy("cooperation", "date")
    energy = tables["energy"]
    mine = energy[energy["customer_id"].isin(ids)]
    out["energy"] = pd.concat([energy, mine.assign(customer_id="T_" + mine["customer_id"])],
                              ignore_index=True)
    return out


SAMPLE = Path(__file__).resolve().parents[2] / "data" / "samples" / "2022-2024"


@pytest.fixture(scope="module")
def bundled():
    """The bundled sample of the issue (data/samples/2022-2024) and its grading."""
    names = ("customers", "monthly", "events", "cooperation", "energy")
    tables = {n: pd.read_csv(SAMPLE / f"{n}.csv", dtype={"customer_id": str}) for n in names}
    return tables, grade(**tables, **TREAT)


def _originals(grading) -> list[str]:
    t = grading.table
    whole = (t["exposure_months"] == 36) & t["tier"].notna()
    return sorted(t.index[whole])


def test_twins_with_24_months_keep_their_tier(bundled):
    tables, grading = bundled
    ids = _originals(grading)
    assert len(ids) > 1000
    g = grade(**_twins(tables, ids, [24] * len(ids)), **TREAT)
    t = g.table
    orig = t.loc[ids, "tier"].astype(int).to_numpy()
    twin = t.loc[["T_" + i for i in ids], "tier"].astype(int).to_numpy()
    assert (orig == twin).mean() >= 0.90, (orig == twin).mean()


def test_twins_with_13_to_18_months_show_no_systematic_shift(bundled):
    tables, grading = bundled
    ids = _originals(grading)
    lengths = [13 + k % 6 for k in range(len(ids))]
    g = grade(**_twins(tables, ids, lengths), **TREAT)
    t = g.table
    orig = t.loc[ids, "tier"].astype(int).to_numpy()
    twin = t.loc[["T_" + i for i in ids], "tier"].astype(int).to_numpy()
    diff = twin - orig
    assert abs(diff.mean()) <= 0.2, diff.mean()
    assert np.abs(diff).max() <= 1, np.abs(diff).max()


# ----------------------------------------------------------------------------------------
# important power users: a tier floor recorded like a pin
# ----------------------------------------------------------------------------------------


def test_importance_floor_pins_with_a_reason(tables, grading):
    t = grading.table
    graded = t[t["tier"].notna()]
    low = list(graded.sort_values("score").index[:3])  # three 三级 customers
    reg = tables["customers"].copy()
    reg["importance"] = None
    reg.loc[reg["customer_id"].isin(low[:2]), "importance"] = "一级"
    reg.loc[reg["customer_id"] == low[2], "importance"] = "临时性"
    data = Scheme.default().to_dict()
    data["importance"] = {"floors": {"特级": 0, "一级": 1}}
    g = grade(**{**tables, "customers": reg}, scheme=Scheme.from_dict(data), **TREAT)
    out = g.table
    assert (out.loc[low[:2], "tier"] == 1).all()
    assert out.loc[low[:2], "pinned"].all()
    assert (out.loc[low[:2], "pin_reason"] == "important power user 一级: floor tier 1").all()
    assert out.loc[low[2], "tier"] == 3 and not out.loc[low[2], "pinned"]  # no floor for 临时性
    # the floors take quota seats: the counts over the graded customers stay exact
    sizes = custvalue.tiers.tier_sizes(int(out["tier"].notna().sum()), g.scheme.tiers.quotas)
    counts = out["tier"].value_counts().reindex(range(4), fill_value=0).to_numpy()
    np.testing.assert_array_equal(counts, sizes)
    # a customer already above its floor is not pinned
    top = graded.sort_values("score").index[-1]
    reg.loc[reg["customer_id"] == top, "importance"] = "一级"
    g2 = grade(**{**tables, "customers": reg}, scheme=Scheme.from_dict(data), **TREAT)
    assert g2.table.loc[top, "tier"] == 0 and not g2.table.loc[top, "pinned"]


def test_importance_floor_must_name_a_tier():
    data = Scheme.default().to_dict()
    data["importance"] = {"floors": {"特级": 4}}
    with pytest.raises(custvalue.errors.SchemeError, match=r"importance\.floors"):
        Scheme.from_dict(data)


def _importance_scheme(levels: dict[str, float] | None) -> dict:
    """The default scheme with ``importance_level`` as a fifth of the cooperation dimension
    (a secondary indicator of its own)."""
    data = Scheme.default().to_dict()
    coop = data["dimensions"]["cooperation"]["secondary"]
    for sec in coop.values():
        sec["weight"] *= 0.8
    coop["sensitivity"] = {"weight": 0.2, "indicators": {"importance": {
        "column": "importance_level", "direction": "benefit", "weight": 1.0,
        "missing": "respread", "normalisation": {"method": "minmax"}}}}
    data["importance"] = {"levels": levels} if levels is not None else {}
    return data


def test_importance_as_a_scored_indicator(tables, grading):
    reg = tables["customers"].copy()
    graded = grading.table.index[grading.table["graded"]]
    ids = list(graded[[3, 10, 40]])
    reg["importance"] = None
    reg.loc[reg["customer_id"] == ids[0], "importance"] = "特级"
    reg.loc[reg["customer_id"] == ids[1], "importance"] = " 一级 "  # spaces are stripped
    reg.loc[reg["customer_id"] == ids[2], "importance"] = "医院"  # not listed: 0
    scheme = Scheme.from_dict(_importance_scheme({"特级": 1.0, "一级": 0.5}))
    g = grade(**{**tables, "customers": reg}, scheme=scheme, **TREAT)
    level = g.table["importance_level"]
    assert level.loc[ids].tolist() == [1.0, 0.5, 0.0]
    assert (level.drop(index=ids[:2]) == 0).all()
    # raising one customer's grade raises its score and nobody else's
    up = reg.copy()
    up.loc[up["customer_id"] == ids[2], "importance"] = "特级"
    g2 = grade(**{**tables, "customers": up}, scheme=scheme, **TREAT)
    diff = g2.table["score"] - g.table["score"]
    assert diff.loc[ids[2]] > 0
    assert np.allclose(diff.drop(index=ids[2]).dropna(), 0)


def test_importance_indicator_needs_levels_and_the_register_column(tables):
    with pytest.raises(custvalue.errors.SchemeError, match=r"importance\.levels"):
        Scheme.from_dict(_importance_scheme(None))
    scheme = Scheme.from_dict(_importance_scheme({"特级": 1.0}))
    reg = tables["customers"].drop(columns=["importance"], errors="ignore")
    with pytest.raises(custvalue.errors.InputError, match="importance") as info:
        grade(**{**tables, "customers": reg}, scheme=scheme, **TREAT)
    assert info.value.table == "customers" and info.value.column == "importance"


CHINESE_CLASSES = {"large_industrial": "大工业", "general_commercial_industrial": "一般工商业",
                   "agricultural": "农业生产", "residential": "居民生活"}


def _chinese_register(tables) -> pd.DataFrame:
    reg = tables["customers"].copy()
    assert set(reg["customer_class"].unique()) <= set(CHINESE_CLASSES)
    reg["customer_class"] = reg["customer_class"].map(CHINESE_CLASSES)
    return reg


def test_an_indicator_missing_for_everyone_stops_the_grade(tables):
    reg = _chinese_register(tables)
    with pytest.raises(custvalue.errors.InputError, match="pf_compliance") as info:
        grade(**{**tables, "customers": reg}, check=False, **TREAT)
    assert info.value.table == "indicators" and info.value.column == "pf_compliance"
    assert "not_applicable" in str(info.value) and "not_assessable='warn'" in info.value.fix
    assert info.value.examples and "customer_id" in info.value.examples[0]


def test_an_indicator_missing_for_everyone_is_a_loud_warning_when_chosen(tables):
    reg = _chinese_register(tables)
    with pytest.warns(UserWarning, match="pf_compliance is missing for every customer"):
        g = grade(**{**tables, "customers": reg}, check=False, not_assessable="warn", **TREAT)
    found = [f for f in g.findings if f["code"] == "indicator_not_assessable"]
    assert [f["column"] for f in found] == ["pf_compliance"]
    assert "not_applicable" in found[0]["message"] and found[0]["severity"] == "warning"
    assert g.table["pf_compliance"].isna().all()


def test_chinese_class_names_are_graded_identically_after_mapping(tables, grading):
    """A register in the export's own words (户号, 用电类别 = 大工业 …) read through a mapping
    gives the grading of the English register: same tiers, scores, reasons, and the
    power-factor rules (class × capacity × voltage) reach every customer they reached."""
    reg = _chinese_register(tables).rename(columns={"customer_id": "户号",
                                                    "customer_class": "用电类别",
                                                    "voltage_kv": "电压等级"})
    mapping = {"columns": {"户号": "customer_id"},
               "tables": {"customers": {
                   "columns": {"用电类别": "customer_class", "电压等级": "voltage_kv"},
                   "values": {"customer_class": {v: k for k, v in CHINESE_CLASSES.items()}}}}}
    monthly = tables["monthly"].rename(columns={"customer_id": "户号"})
    g = grade(**{**tables, "customers": reg, "monthly": monthly}, mapping=mapping, **TREAT)
    english = grading.table
    assert english["pf_compliance"].notna().sum() > 20  # the rules reach many customers
    pd.testing.assert_frame_equal(g.table, english)
    assert g.manifest.scheme_hash == grading.manifest.scheme_hash


