"""Improvement plans: the plan reaches the cut, no smaller single change does, units, CLI."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custvalue.analysis.plans import (
    MARGIN,
    cut_scores,
    improvement_plan,
    improvement_plans,
    invert_indicator,
)
from custvalue.errors import InvalidValueError, UnknownCustomerError
from custvalue.grading import Grading
from custvalue.scoring import Scheme, Scorer, score
from custvalue.scoring.normalise import fit_indicator, transform_indicator
from custvalue.scoring.scheme import Indicator
from custvalue.tiers import assign_tiers


def _scheme(method: str = "arithmetic") -> Scheme:
    return Scheme.from_dict({
        "aggregation": method,
        "dimensions": {
            "pay": {"weight": 0.6, "indicators": {
                "on_time_rate": {"weight": 0.5, "normalisation": {
                    "method": "threshold", "lower": 0, "upper": 1}},
                "days_late": {"weight": 0.3, "direction": "cost", "normalisation": {
                    "method": "threshold", "lower": 0, "upper": 30}},
                "faults": {"weight": 0.2, "direction": "cost",
                           "normalisation": {"method": "log_minmax"}},
            }},
            "size": {"weight": 0.4, "indicators": {
                "kwh": {"weight": 0.7, "actionable": False,
                        "normalisation": {"method": "log_minmax"}},
                "suggestions": {"weight": 0.3, "normalisation": {"method": "minmax"}},
            }},
        },
    })


def _frame(seed: int, n: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "on_time_rate": rng.uniform(0, 1, n),
        "days_late": rng.uniform(0, 45, n),
        "faults": rng.exponential(3, n),
        "kwh": rng.lognormal(10, 2, n),
        "suggestions": rng.poisson(1.0, n).astype(float),
    }, index=pd.Index([f"c{i:03d}" for i in range(n)], name="customer_id"))
    gaps = rng.uniform(size=n) < 0.15  # some customers lack an indicator (re-spread)
    frame.loc[gaps, "suggestions"] = np.nan
    return frame


def _grading(frame: pd.DataFrame, scheme: Scheme) -> Grading:
    table = score(frame, scheme)
    tiers = assign_tiers(table["score"].where(table["graded"]), scheme.tiers.quotas)
    table["tier"] = tiers["tier"]
    return Grading.from_table(table, scheme)


def _rescore(grading: Grading, ids: list[str], changes: pd.DataFrame) -> pd.Series:
    """Score ``ids`` with the grading's fitted bounds after applying ``changes``."""
    scheme = grading.scheme
    raw = grading.table[list(scheme.columns)]
    scorer = Scorer(scheme).fit(raw)
    edited = raw.loc[ids].copy()
    for row in changes.itertuples():
        edited.loc[row.customer_id, scheme.indicator(row.indicator).column] = row.planned
    return scorer.transform(edited)["score"]


@pytest.mark.parametrize("method", ["arithmetic", "geometric", "topsis"])
@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_plan_reaches_the_cut_and_no_smaller_single_change_does(method: str, seed: int) -> None:
    scheme = _scheme(method)
    grading = _grading(_frame(seed), scheme)
    plans = improvement_plans(grading, target=2)
    cust = plans.customers
    assert set(cust["tier"]) <= {3}
    planned = cust[cust["status"] == "planned"]
    assert len(planned) + (cust["status"] == "unreachable").sum() == len(cust)
    assert "kwh" not in set(plans.steps["indicator"])  # not actionable
    for cid in planned.index:
        steps = plans.plan(cid)
        cut = planned.at[cid, "cut_score"]
        # the plan, re-scored with the grading's fitted bounds, reaches the cut score
        after = _rescore(grading, [cid], steps.assign(customer_id=cid))
        assert after[cid] >= cut
        assert after[cid] == pytest.approx(planned.at[cid, "score_planned"], abs=1e-9)
        # no smaller change of a single indicator reaches it: back off each by 1 %
        fits = Scorer(scheme).fit(grading.table[list(scheme.columns)]).normaliser_.fits_
        for j, step in steps.iterrows():
            fit = fits[step["indicator"]]
            y = step["norm_current"] + 0.99 * (step["norm_planned"] - step["norm_current"])
            smaller = steps.copy()
            smaller.loc[j, "planned"] = invert_indicator(np.array([y]), fit)[0]
            drop = step["gain"] * 0.01
            if drop > 10 * MARGIN:
                less = _rescore(grading, [cid], smaller.assign(customer_id=cid))
                assert less[cid] < cut, (cid, step["indicator"])


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_arithmetic_plans_are_greedy_by_weight_and_stay_in_range(seed: int) -> None:
    scheme = _scheme()
    grading = _grading(_frame(seed), scheme)
    plans = improvement_plans(grading, target=1)
    steps = plans.steps
    ranges = {"on_time_rate": (0, 1), "days_late": (0, 30), "suggestions": (0, np.inf),
              "faults": (0, np.inf)}
    for name, (lo, hi) in ranges.items():
        part = steps[steps["indicator"] == name]
        assert (part["planned"] >= lo - 1e-12).all() and (part["planned"] <= hi + 1e-12).all()
    # every step but a plan's last takes its indicator to the best normalised value
    last = steps.groupby("customer_id")["step"].transform("max") == steps["step"]
    assert np.allclose(steps.loc[~last, "norm_planned"], 1.0)
    # gains add up to the score change (linear aggregation)
    gained = steps.groupby("customer_id")["gain"].sum()
    cust = plans.customers.loc[gained.index]
    assert np.allclose(cust["score"] + gained, cust["score_planned"], atol=1e-9)


def test_plan_text_is_in_the_indicators_units() -> None:
    scheme = _scheme()
    frame = _frame(1)
    grading = _grading(frame, scheme)
    cid = grading.table.index[grading.table["tier"] == 3][0]
    grading.table.loc[cid, ["on_time_rate", "norm__on_time_rate"]] = 0.71  # keep it consistent
    grading = _grading(grading.table[list(frame.columns)], scheme)
    steps = improvement_plans(grading, target=0).steps
    rate = steps[steps["indicator"] == "on_time_rate"]
    assert rate["action"].str.match(r"raise .* from \d+(\.\d)? % to \d+(\.\d)? %").all()
    late = steps[steps["indicator"] == "days_late"]
    assert late["action"].str.startswith("cut ").all()
    # shown planned values are rounded in the safe direction
    for row in rate.itertuples():
        shown = float(row.action.rsplit(" to ", 1)[1].split(" ")[0]) / 100
        assert shown >= row.planned - 1e-12


def test_single_plan_equals_the_batch_row_and_statuses() -> None:
    scheme = _scheme()
    grading = _grading(_frame(7), scheme)
    batch = improvement_plans(grading, target=2)
    cid = batch.customers.index[0]
    single = improvement_plan(grading, cid, target=2)
    pd.testing.assert_frame_equal(single.customers, batch.customers.loc[[cid]])
    pd.testing.assert_frame_equal(single.steps, batch.plan(cid))
    best = grading.table.index[grading.table["tier"] == 0][0]
    assert improvement_plan(grading, best).customers.loc[best, "status"] == "already"
    with pytest.raises(UnknownCustomerError):
        improvement_plan(grading, "nobody")
    with pytest.raises(InvalidValueError):
        improvement_plans(grading, target=9)


def test_nothing_actionable_is_unreachable() -> None:
    data = _scheme().to_dict()
    for dim in data["dimensions"].values():
        for ind in dim["indicators"].values():
            ind["actionable"] = False
    scheme = Scheme.from_dict(data)
    plans = improvement_plans(_grading(_frame(3), scheme), target=2)
    assert (plans.customers["status"] == "unreachable").all()
    assert len(plans.steps) == 0 and (plans.customers["changes"] == 0).all()


def test_edited_table_is_refused() -> None:
    scheme = _scheme()
    grading = _grading(_frame(2), scheme)
    cid = grading.table.index[grading.table["tier"] == 3][0]
    grading.table.loc[cid, "norm__days_late"] = 0.123456
    with pytest.raises(InvalidValueError, match="do not give back"):
        improvement_plans(grading)


def test_cut_scores_per_stratum_leave_pins_out() -> None:
    t = pd.DataFrame({"score": [90.0, 10.0, 70.0, 60.0, 50.0, 40.0],
                      "tier": [0, 0, 1, 0, 1, 1], "pinned": [False, True, False, False,
                                                           False, False],
                      "stratum": ["n", "n", "n", "s", "s", "s"]})
    cuts = cut_scores(t, 3)
    assert cuts.loc["n"].tolist() == [90.0, 70.0, 70.0]
    assert cuts.loc["s"].tolist() == [60.0, 40.0, 40.0]


@pytest.mark.parametrize("method,direction", [("threshold", "benefit"), ("minmax", "cost"),
                                              ("log_minmax", "benefit"), ("zscore", "benefit"),
                                              ("rank", "cost"), ("minmax", "target")])
def test_inverse_of_each_method(method: str, direction: str) -> None:
    values = np.array([0.0, 1.0, 2.0, 5.0, 9.0, 20.0])
    norm = {"method": method} if method != "threshold" else {"method": method, "lower": 0,
                                                             "upper": 20}
    ind = Indicator(column="x", weight=1, direction=direction, normalisation=norm,
                    ideal=4.0 if direction == "target" else None)
    fit = fit_indicator(values, ind)
    y = np.array([0.1, 0.35, 0.6, 0.8])
    back = transform_indicator(invert_indicator(y, fit, np.full(4, 9.0)), fit)
    if method == "rank":  # a step function: the inverse reaches at least y
        assert (back >= y - 1e-12).all()
    else:
        assert np.allclose(back, y, atol=1e-12)


def test_cli_plan_writes_a_table(tmp_path) -> None:
    from typer.testing import CliRunner

    from custvalue.cli import app

    scheme = _scheme()
    grading = _grading(_frame(11), scheme)
    grading.save(tmp_path / "g")
    out = tmp_path / "plans.csv"
    result = CliRunner().invoke(app, ["plan", str(tmp_path / "g"), "--target", "2",
                                      "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out)
    expected = improvement_plans(grading, target=2).to_frame()
    assert len(table) == len(expected)
    assert set(table["customer_id"]) == set(grading.table.index[grading.table["tier"] == 3])
    assert np.allclose(table["score_planned"], expected["score_planned"])


def _scored_grading(frame: pd.DataFrame, scheme: Scheme) -> Grading:
    """A grading that keeps its fitted bounds, as ``grade`` makes it."""
    from custvalue.scoring.bounds import bounds_table

    scorer = Scorer(scheme).fit(frame)
    table = scorer.transform(frame)
    table["tier"] = assign_tiers(table["score"].where(table["graded"]),
                                 scheme.tiers.quotas)["tier"]
    return Grading.from_table(table, scheme, bounds=bounds_table(scorer))


@pytest.mark.parametrize("method", ["arithmetic", "topsis"])
def test_stored_bounds_give_the_plans_of_refitted_ones(method: str, tmp_path) -> None:
    """Plans from the bounds a grading keeps (in memory, saved and loaded) equal plans
    from bounds refitted on its table (a grading saved before the bounds were kept)."""
    import json

    from custvalue.grading import BOUNDS_FILE, MANIFEST_FILE

    scheme = _scheme(method)
    grading = _scored_grading(_frame(4, n=120), scheme)
    assert grading.bounds is not None
    refit = improvement_plans(Grading.from_table(grading.table, scheme), target=1)
    stored = improvement_plans(grading, target=1)
    pd.testing.assert_frame_equal(stored.customers, refit.customers)
    pd.testing.assert_frame_equal(stored.steps, refit.steps)
    # saved and loaded: the bounds come back from bounds.json, exactly
    folder = grading.save(tmp_path / "g")
    back = Grading.load(folder)
    pd.testing.assert_frame_equal(back.bounds, grading.bounds)
    pd.testing.assert_frame_equal(improvement_plans(back, target=1).steps, stored.steps)
    # a folder of schema version 2 (no bounds.json, no checksums) loads and plans by refitting
    (folder / BOUNDS_FILE).unlink()
    (folder / "checksums.json").unlink()
    manifest = json.loads((folder / MANIFEST_FILE).read_text("utf-8"))
    (folder / MANIFEST_FILE).write_text(json.dumps({**manifest, "schema_version": 2}),
                                        encoding="utf-8")
    old = Grading.load(folder)
    assert old.bounds is None and old.manifest.schema_version == 2
    pd.testing.assert_frame_equal(improvement_plans(old, target=1).customers,
                                  stored.customers)


def test_bounds_of_other_settings_are_refitted_not_used() -> None:
    """Bounds kept from a scheme with another threshold are not used: the plans refit."""
    from custvalue.scoring.bounds import fits_from_bounds

    scheme = _scheme()
    grading = _scored_grading(_frame(5), scheme)
    data = scheme.to_dict()
    data["dimensions"]["pay"]["indicators"]["days_late"]["normalisation"]["upper"] = 60
    other = Scheme.from_dict(data)
    with pytest.raises(ValueError, match="days_late"):
        fits_from_bounds(grading.bounds, other)
    # with the other scheme the table's normalised values are not reproduced: refused
    with pytest.raises(InvalidValueError, match="do not give back"):
        improvement_plans(grading.with_scheme(other), target=2)
    # a bounds table edited by hand (another fitted maximum) is caught by the same check
    edited = grading.bounds.copy()
    edited.loc["faults", "high"] *= 2
    from dataclasses import replace

    with pytest.raises(InvalidValueError, match="do not give back"):
        improvement_plans(replace(grading, bounds=edited), target=2)


def test_a_customer_list_may_start_with_customers_already_there() -> None:
    scheme = _scheme()
    grading = _scored_grading(_frame(6), scheme)
    tiers = grading.table["tier"]
    ids = [tiers.index[tiers == 0][0], *tiers.index[tiers == 3][:3], tiers.index[tiers == 1][0]]
    plans = improvement_plans(grading, target=1, customers=ids)
    assert plans.customers["status"].tolist()[0] == "already"
    assert plans.customers.loc[ids[0], "plan"] == ""
    batch = improvement_plans(grading, target=1)
    pd.testing.assert_frame_equal(plans.customers.loc[ids[1:4]], batch.customers.loc[ids[1:4]])
