"""The checks beside the indicator pass report exactly what the checks alone report.

:func:`custvalue.grade` runs the indicator stage as the checks' pass over the monthly rows
(:func:`custvalue.inputs.checks.check_with_pass`): the rules are counted only on the rows
the pass does not prove clean (:class:`custvalue.inputs.tally.Proof`).  Every finding
(count, examples, order), every excluded row and every row count must be the same as
:func:`custvalue.check_tables` alone gives, and the indicators those of
:func:`custvalue.compute_indicators`.
"""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings

import custvalue
from custvalue.indicators import IndicatorParams, compute_indicators, input_treatments
from custvalue.inputs import checks as checks_module
from custvalue.inputs import samples
from custvalue.inputs.checks import CheckOptions, check_with_pass
from custvalue.pipeline import _IndicatorPass, _read_once, _typed_tables

from .test_fuzz_inputs import cases

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def _both(tables: dict, **options: object) -> tuple[checks_module.CheckReport,
                                                     checks_module.CheckReport, _IndicatorPass]:
    """The report with the indicator pass (as grade runs it) and without."""
    params = IndicatorParams.model_validate(options.pop("params", {}))
    window = options.pop("window", None)
    opts = input_treatments(CheckOptions.resolve(**options), params)
    if params.as_of is not None and opts.as_of is None:
        opts = opts.model_copy(update={"as_of": params.as_of})
    raw = _read_once(tables, None, None, None)
    beside = _IndicatorPass(_typed_tables(raw, {}), window, params, opts, None, {})
    return check_with_pass(raw, opts, monthly_pass=beside), check_with_pass(raw, opts), beside


def _same(with_pass: checks_module.CheckReport, alone: checks_module.CheckReport) -> None:
    assert [f.model_dump() for f in with_pass.findings] == \
        [f.model_dump() for f in alone.findings]
    assert with_pass.row_counts == alone.row_counts
    pd.testing.assert_frame_equal(with_pass.excluded.reset_index(drop=True),
                                  alone.excluded.reset_index(drop=True))


def _clean(n: int = 40, months: int = 30) -> dict[str, pd.DataFrame]:
    t = samples.generate(n, months=months, seed=5)
    m = t["monthly"].drop_duplicates(["customer_id", "period"]).reset_index(drop=True)
    m["active_kwh"] = m["active_kwh"].abs()
    m.loc[m["active_kwh"] == 0, "reactive_kvarh"] = None  # no reactive_without_active
    t["monthly"] = m
    return t


def _spy_counted(monkeypatch: pytest.MonkeyPatch) -> list:
    """Record what each monthly rule count ran on (True: every row; None: no query)."""
    seen: list = []
    run = checks_module._Checker.run

    def spy(self, table, raw, typed, rules, counted):  # type: ignore[no-untyped-def]
        if table.name == "monthly":
            seen.append(None if counted is None else True if counted is typed
                        else "some rows")
        return run(self, table, raw, typed, rules, counted)

    monkeypatch.setattr(checks_module._Checker, "run", spy)
    return seen


def test_clean_tables_need_no_monthly_query_of_the_checks(monkeypatch):
    seen = _spy_counted(monkeypatch)
    with_pass, alone, beside = _both(_clean())
    assert beside.result is not None  # the pass ran
    assert seen[:2] == [None, None]  # beside the pass: neither rule query ran
    assert seen[2:] == [True, True]  # alone: both did
    assert with_pass.findings == [] and alone.findings == []
    _same(with_pass, alone)


def _older_rows_with_problems(t: dict) -> None:
    """Rows two years before the window (which ends at the latest month): one with an
    unreadable amount, one duplicated, one of a customer not in the register."""
    m = t["monthly"]
    old = m.iloc[:3].copy()
    old["period"] = "2019-01"
    old = pd.concat([old, old.iloc[[1]]]).reset_index(drop=True)
    old["active_kwh"] = old["active_kwh"].astype(object)
    old.loc[0, "active_kwh"] = "12,5"
    old.loc[2, "customer_id"] = "NOT-IN-REGISTER"
    t["monthly"] = pd.concat([m.astype({"active_kwh": object}), old]).reset_index(drop=True)


@pytest.mark.parametrize("scenario", [
    "clean", "negative_in_window", "older_rows", "unknown_in_window", "before_opening",
    "duplicates_sum", "duplicates_last", "empty_ids", "as_of", "window_given",
    "month_after_as_of",
])
def test_each_kind_of_row_is_reported_as_the_checks_alone_report_it(scenario):
    t = _clean()
    m, c = t["monthly"], t["customers"]
    options: dict = {"unknown_customers": "exclude", "negative_energy": "allow"}
    if scenario == "negative_in_window":
        m.loc[[3, 9], "active_kwh"] = -5.0
    elif scenario == "older_rows":
        _older_rows_with_problems(t)
    elif scenario == "unknown_in_window":
        m.loc[[0, 1, 7], "customer_id"] = "NOT-IN-REGISTER"
    elif scenario == "before_opening":
        c.loc[c["customer_id"] == m.loc[0, "customer_id"], "opened"] = pd.Timestamp("2040-01-01")
    elif scenario in ("duplicates_sum", "duplicates_last"):
        t["monthly"] = pd.concat([m, m.iloc[[4, 4, 20]]]).reset_index(drop=True)
        options["duplicates"] = scenario.split("_")[1]
    elif scenario == "empty_ids":
        m.loc[[2, 5], "customer_id"] = None
    elif scenario == "as_of":
        options["params"] = {"as_of": "2024-09-30"}
    elif scenario == "month_after_as_of":  # an error certain before the pass: it is skipped
        options["params"] = {"as_of": "2024-03-31"}
    elif scenario == "window_given":
        options["window"] = ("2022-01", "2022-12")
    with_pass, alone, beside = _both(t, **options)
    ran = scenario != "month_after_as_of"
    assert (beside.result is not None) == ran, "the pass runs unless an error is certain"
    _same(with_pass, alone)
    if scenario not in ("clean", "as_of", "window_given"):
        assert with_pass.findings, "each scenario has something to report"


def test_a_failing_pass_leaves_the_checks_to_count_on_their_own(monkeypatch):
    def fail(*args, **kwargs):
        raise custvalue.errors.InputError("monthly", None, "the pass failed")

    monkeypatch.setattr("custvalue.indicators.engine.indicators_with_tally", fail)
    t = _clean()
    t["monthly"].loc[[3], "active_kwh"] = -5.0
    with_pass, alone, beside = _both(t)
    assert beside.result is None
    _same(with_pass, alone)
    assert [f.code for f in with_pass.findings] == ["negative_energy"]


def test_the_pass_gives_the_indicators_of_compute_indicators():
    t = _clean()
    _, _, beside = _both(t, duplicates="sum")
    assert beside.result is not None
    window, indicators = beside.result
    expected = compute_indicators(**t, window=window, options=CheckOptions(duplicates="sum"))
    got = indicators.to_pandas().set_index("customer_id")
    pd.testing.assert_frame_equal(got[expected.columns], expected, check_dtype=False)


def test_grade_with_checks_equals_grade_without_on_clean_tables():
    t = _clean()
    checked, unchecked = custvalue.grade(**t), custvalue.grade(**t, check=False)
    pd.testing.assert_frame_equal(checked.table, unchecked.table)
    assert checked.manifest.window == unchecked.manifest.window
    assert set(checked.manifest.timings) == {"checks", "indicators", "scoring", "tiers"}


@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(cases())
def test_fuzzed_tables_get_the_same_report_with_the_pass_as_without(case):
    tables, _, options = case
    options = {k: v for k, v in options.items() if k != "not_assessable"}
    try:
        with_pass, alone, _ = _both(tables, **options)
    except custvalue.errors.CustvalueError:
        return  # refused before the checks (a bad window or option): no report to compare
    _same(with_pass, alone)
