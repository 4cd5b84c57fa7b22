"""Hand-computed values of every indicator, the policies, and properties (hypothesis).

Fixtures are tiny pandas tables built by the helpers below; the expected numbers are worked
out in the comments.  Unless a test says otherwise the window is 2023-01 … 2024-12 (two full
years) and the as-of date 2024-12-31.
"""

from __future__ import annotations

import datetime as dt
import inspect
import math
import os
import shutil
import sys

import duckdb
import narwhals as nw
import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from custvalue.errors import (
    DuplicateRowsError,
    EmptyTableError,
    MissingColumnError,
    NegativeEnergyError,
)
from custvalue.indicators import (
    INDICATOR_NAMES,
    REASONS,
    IndicatorParams,
    LateFeeRate,
    PowerFactorRule,
    Window,
    compute_indicators,
    output_columns,
    resolve_window,
)
from custvalue.indicators.compliance import pf_hundredths
from custvalue.indicators.prepare import epoch_days, idiv
from custvalue.inputs.checks import CheckOptions

WINDOW = ("2023-01", "2024-12")
MONTHS_2023 = [f"2023-{m:02d}" for m in range(1, 13)]
MONTHS_2024 = [f"2024-{m:02d}" for m in range(1, 13)]


# ----------------------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------------------


def customer(cid: str, cls: str = "general_commercial_industrial", kva: float = 250.0,
             opened: str = "2010-01-01", closed: str | None = None) -> dict:
    return {"customer_id": cid, "customer_class": cls, "contract_kva": kva,
            "voltage_kv": 10.0, "industry": "x", "region": "north", "opened": opened,
            "closed": closed}


def _next_month_day(period: str, day: int) -> str:
    y, m = int(period[:4]), int(period[5:7])
    y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return f"{y:04d}-{m:02d}-{day:02d}"


def month(cid: str, period: str, kwh: float | None = 1000.0, kvarh: float | None = None,
          billed: float | None = None, due: str | None = None, paid_date: str | None = "due",
          paid: float | None = None, reverse: float | None = None,
          planned: float | None = None) -> dict:
    """One monthly row; by default billed 0.5 yuan/kWh, due the 20th of the next month and
    paid in full on the due date."""
    billed = round((kwh or 0.0) * 0.5, 2) if billed is None else billed
    due = _next_month_day(period, 20) if due is None else due
    if paid_date == "due":
        paid_date = due
    paid = (billed if paid_date is not None else None) if paid is None else paid
    return {"customer_id": cid, "period": period, "active_kwh": kwh, "reactive_kvarh": kvarh,
            "billed_amount": billed, "due_date": due, "paid_date": paid_date,
            "paid_amount": paid, "reverse_kvarh": reverse, "planned_kwh": planned}


def frame(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows)


#: The backends every hand-computed fixture runs on (see ``pytest_generate_tests``): the
#: tables go in as pandas frames, polars lazy frames, DuckDB relations or Spark DataFrames
#: (local mode, marked ``spark``), and the result comes back as a pandas frame indexed by
#: ``customer_id`` either way.
BACKENDS = ("pandas", "polars_lazy", "duckdb",
            pytest.param("spark", marks=pytest.mark.spark))
#: Spark takes 10-60 s a fixture in local mode (a job per check and per indicator query),
#: so ``make test`` runs these few on Spark (volumes, growth, payments: the three kinds of
#: query) beside the sample's conformance test; ``CUSTVALUE_SPARK_ALL=1`` runs every
#: fixture on Spark too (docs/testing.md).
SPARK_SAMPLE = frozenset({"test_total_kwh_revenue_and_bookkeeping",
                          "test_usage_growth_short_history_and_annualising",
                          "test_a_payment_dated_on_the_as_of_date_counts"})
SPARK_ALL = os.environ.get("CUSTVALUE_SPARK_ALL", "") not in ("", "0")
_backend = {"name": "pandas"}
_spark_session: list = []


def _spark():
    """One local Spark session per test process (skips where Java is missing)."""
    if not _spark_session:
        if shutil.which("java") is None:
            pytest.skip("PySpark needs a Java runtime (java not found on PATH)")
        from pyspark.sql import SparkSession

        # the Python workers (the parser on Spark) run this interpreter, with custvalue
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        session = (SparkSession.builder.master("local[1]").appName("custvalue-fixtures")
                   .config("spark.sql.shuffle.partitions", "1")
                   .config("spark.default.parallelism", "1")
                   .config("spark.ui.enabled", "false")
                   .config("spark.ui.showConsoleProgress", "false")
                   .config("spark.sql.session.timeZone", "UTC")
                   .config("spark.python.sql.dataFrameDebugging.enabled", "false")
                   # small test queries: the JVM's quick compiler only, the serial
                   # collector (about half the JVM's CPU time of a graded sample)
                   .config("spark.driver.extraJavaOptions",
                           "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC")
                   .getOrCreate())
        session.sparkContext.setLogLevel("ERROR")
        _spark_session.append(session)
    return _spark_session[0]


def pytest_generate_tests(metafunc):
    """Run each hand-computed test that goes through :func:`run` once per backend (the
    hypothesis properties run on pandas only: they are about the rules, not the engines)."""
    if "backend" in metafunc.fixturenames:
        fn = metafunc.function
        uses_run = "run(" in inspect.getsource(fn)
        is_property = getattr(fn, "is_hypothesis_test", False)
        backends = BACKENDS if uses_run and not is_property else ("pandas",)
        if not (SPARK_ALL or fn.__name__ in SPARK_SAMPLE):
            backends = tuple(b for b in backends if b != BACKENDS[-1])
        metafunc.parametrize("backend", backends, indirect=True)


@pytest.fixture(autouse=True)
def backend(request):
    _backend["name"] = getattr(request, "param", "pandas")
    yield _backend["name"]
    _backend["name"] = "pandas"


def _to_backend(table: pd.DataFrame | None, con):
    if table is None or _backend["name"] == "pandas":
        return table
    table = table.copy()
    for column in table.columns:  # an all-empty column would have no type in polars
        if table[column].isna().all() and table[column].dtype == object:
            table[column] = table[column].astype("string")
    native = pl.from_pandas(table)
    if _backend["name"] == "polars_lazy":
        return native.lazy()
    if _backend["name"] == "spark":
        return _spark().createDataFrame(native.to_arrow(compat_level=pl.CompatLevel.oldest()))
    return con.from_arrow(native.to_arrow())


def _from_backend(out) -> pd.DataFrame:
    if isinstance(out, pd.DataFrame):
        return out
    if isinstance(out, pl.LazyFrame):
        out = out.collect()
    elif type(out).__module__.startswith("pyspark"):
        out = pl.from_arrow(out.toArrow())
    elif not isinstance(out, pl.DataFrame):  # DuckDB
        out = out.pl()
    result = out.to_pandas().set_index("customer_id")
    for column in ("first_period", "last_period"):
        result[column] = pd.to_datetime(result[column])
    return result


def run(customers: list[dict], monthly: list[dict], events: list[dict] | None = None,
        cooperation: list[dict] | None = None, energy: list[dict] | None = None,
        window=WINDOW, **params) -> pd.DataFrame:
    # the input treatments are options; the rest are indicator parameters
    treatments = {k: params.pop(k) for k in ("duplicates", "negative_energy") if k in params}
    def opt(rows, columns):
        return None if rows is None else pd.DataFrame(rows, columns=columns)

    monthly_frame = frame(monthly) if monthly else pd.DataFrame(
        columns=list(month("x", "2024-01").keys()))
    con = duckdb.connect() if _backend["name"] == "duckdb" else None
    tables = [frame(customers), monthly_frame,
              opt(events, ["customer_id", "date", "kind", "affected_customers", "note"]),
              opt(cooperation, ["customer_id", "date", "kind", "score"]),
              opt(energy, ["customer_id", "year", "total_energy_tce", "electricity_tce",
                           *(["replaceable_tce"] if energy and "replaceable_tce" in energy[0]
                             else [])])]
    customers_t, monthly_t, events_t, coop_t, energy_t = (_to_backend(t, con) for t in tables)
    return _from_backend(compute_indicators(
        customers_t, monthly_t, events=events_t, cooperation=coop_t, energy=energy_t,
        window=window, params=IndicatorParams(**params),
        options=CheckOptions(**treatments)))


def full_year(cid: str, months: list[str], kwh: float = 1000.0, **kw) -> list[dict]:
    return [month(cid, p, kwh, **kw) for p in months]


# ----------------------------------------------------------------------------------------
# contribution
# ----------------------------------------------------------------------------------------


def test_total_kwh_revenue_and_bookkeeping():
    out = run([customer("C1")], [month("C1", "2023-03", 100.5, billed=50.25),
                                  month("C1", "2024-07", 200.25, billed=100.13)])
    row = out.loc["C1"]
    assert row["total_kwh"] == 300.75
    assert row["revenue"] == pytest.approx(150.38, abs=1e-12)
    assert row["months_observed"] == 2
    assert row["first_period"] == pd.Timestamp("2023-03-01")
    assert row["last_period"] == pd.Timestamp("2024-07-01")
    assert row["exposure_months"] == 24
    assert pd.isna(row["reason__total_kwh"]) and pd.isna(row["reason__revenue"])


def test_annual_rates_over_the_months_open():
    # C1 open all 24 months: 24 × 100 kWh → 2400 kWh, 1200 kWh/year; billed 0.5 yuan/kWh.
    # C2 opened 2024-07-15 (exposure 6 months: Jul…Dec): 6 × 100 kWh → 600, × 12 / 6 = 1200.
    # C3 closed 2023-09-30 (exposure 9 months: Jan…Sep): 9 × 100 → 900, × 12 / 9 = 1200.
    rows = full_year("C1", MONTHS_2023 + MONTHS_2024, 100.0)
    rows += full_year("C2", MONTHS_2024[6:], 100.0) + full_year("C3", MONTHS_2023[:9], 100.0)
    out = run([customer("C1"), customer("C2", opened="2024-07-15"),
               customer("C3", closed="2023-09-30")], rows)
    assert out["exposure_months"].tolist() == [24, 6, 9]
    assert out["total_kwh"].tolist() == [2400.0, 600.0, 900.0]  # window totals stay
    assert out["kwh_per_year"].tolist() == pytest.approx([1200.0] * 3, rel=1e-12)
    assert out["revenue_per_year"].tolist() == pytest.approx([600.0] * 3, rel=1e-12)
    assert out["revenue"].tolist() == pytest.approx([1200.0, 300.0, 450.0], rel=1e-12)


def test_annual_rates_without_exposure():
    # Records but the register says the account opened after the window: no_exposure.
    out = run([customer("C1", opened="2025-03-01")], [month("C1", "2024-05", 10.0)])
    assert out.loc["C1", "reason__kwh_per_year"] == "no_exposure"
    assert np.isnan(out.loc["C1", "kwh_per_year"]) and out.loc["C1", "total_kwh"] == 10.0


def test_rows_outside_the_window_are_ignored():
    out = run([customer("C1")], [month("C1", "2022-12", 999.0), month("C1", "2023-01", 1.0),
                                  month("C1", "2025-01", 999.0)])
    assert out.loc["C1", "total_kwh"] == 1.0
    assert out.loc["C1", "months_observed"] == 1


def test_usage_growth_two_full_years():
    # 2023: 12 × 100 = 1200 kWh; 2024: 12 × 121 = 1452 kWh → 1452 / 1200 − 1 = 0.21.
    rows = full_year("C1", MONTHS_2023, 100.0) + full_year("C1", MONTHS_2024, 121.0)
    out = run([customer("C1")], rows)
    assert out.loc["C1", "usage_growth"] == pytest.approx(0.21, rel=1e-12)


def test_usage_growth_is_compound_over_three_years():
    # 100, 110, 121 per month → (1452 / 1200) ** (1 / 2) − 1 = 0.1.
    months_2022 = [f"2022-{m:02d}" for m in range(1, 13)]
    rows = (full_year("C1", months_2022, 100.0) + full_year("C1", MONTHS_2023, 110.0)
            + full_year("C1", MONTHS_2024, 121.0))
    out = run([customer("C1")], rows, window=("2022-01", "2024-12"))
    assert out.loc["C1", "usage_growth"] == pytest.approx(0.1, rel=1e-12)


def test_usage_growth_uses_first_and_last_full_year():
    # 2022 has 8 readings (not a usable year): growth from 2023 (1320) to 2024 (1452) = 0.1.
    months_2022 = [f"2022-{m:02d}" for m in range(1, 9)]
    rows = (full_year("C1", months_2022, 1.0) + full_year("C1", MONTHS_2023, 110.0)
            + full_year("C1", MONTHS_2024, 121.0))
    out = run([customer("C1")], rows, window=("2022-01", "2024-12"))
    assert out.loc["C1", "usage_growth"] == pytest.approx(0.1, rel=1e-12)


def test_usage_growth_short_history_and_annualising():
    # 2023 has 11 readings (June missing): a usable year by default (9 months), annualised:
    # 1100 × 12 / 11 = 1200 → 1452 / 1200 − 1 = 0.21.
    rows = [month("C1", p, 100.0) for p in MONTHS_2023 if p != "2023-06"]
    rows += full_year("C1", MONTHS_2024, 121.0)
    out = run([customer("C1"), customer("C2")], rows + full_year("C2", MONTHS_2024, 5.0))
    assert out.loc["C1", "usage_growth"] == pytest.approx(0.21, rel=1e-12)
    assert out.loc["C2", "reason__usage_growth"] == "short_history"
    # Asking for complete years: 2023 does not count → short_history.
    out = run([customer("C1")], rows, growth_min_months=12)
    assert np.isnan(out.loc["C1", "usage_growth"])
    assert out.loc["C1", "reason__usage_growth"] == "short_history"
    # 8 readings in 2023 are below the default 9: not usable.
    few = [month("C1", p, 100.0) for p in MONTHS_2023[:8]] + full_year("C1", MONTHS_2024, 1.0)
    assert run([customer("C1")], few).loc["C1", "reason__usage_growth"] == "short_history"


def test_usage_growth_survives_one_missing_month_a_year():
    # True growth 10 %/year with a seasonal profile; one (different) month missing each year.
    season = [1.3, 1.2, 1.0, 0.9, 0.8, 0.9, 1.1, 1.2, 1.0, 0.9, 0.8, 0.9]
    months_2022 = [f"2022-{m:02d}" for m in range(1, 13)]
    rows = []
    for y, months in enumerate((months_2022, MONTHS_2023, MONTHS_2024)):
        rows += [month("C1", p, 1000.0 * season[k] * 1.1 ** y)
                 for k, p in enumerate(months) if k != 3 * y + 1]
    out = run([customer("C1")], rows, window=("2022-01", "2024-12"))
    assert out.loc["C1", "usage_growth"] == pytest.approx(0.1, abs=0.01)
    # hand-computed: 2022 misses Feb (1200 kWh of 12 000): 10 800 × 12 / 11;
    # 2024 misses Aug (1200 × 1.21): (14 520 − 1452) × 12 / 11; two years apart.
    first, last = 10_800 * 12 / 11, (14_520 - 1_452) * 12 / 11
    assert out.loc["C1", "usage_growth"] == pytest.approx((last / first) ** 0.5 - 1, rel=1e-9)


def test_usage_growth_zero_base_and_negative_end():
    zero = full_year("C1", MONTHS_2023, 0.0) + full_year("C1", MONTHS_2024, 50.0)
    negative = full_year("C2", MONTHS_2023, 10.0) + full_year("C2", MONTHS_2024, -1.0)
    drop = full_year("C3", MONTHS_2023, 10.0) + full_year("C3", MONTHS_2024, 0.0)
    out = run([customer("C1"), customer("C2"), customer("C3")], zero + negative + drop,
              negative_energy="allow")
    assert out.loc["C1", "reason__usage_growth"] == "zero_base"
    assert out.loc["C2", "reason__usage_growth"] == "negative_end"
    assert out.loc["C3", "usage_growth"] == -1.0  # usage fell to nothing
    assert np.isnan(out.loc["C1", "usage_growth"]) and np.isnan(out.loc["C2", "usage_growth"])


def test_usage_growth_needs_two_blocks_in_the_window():
    out = run([customer("C1")], full_year("C1", MONTHS_2024), window=("2024-01", "2024-12"))
    assert out.loc["C1", "reason__usage_growth"] == "short_history"


def test_electricity_share_latest_audit_up_to_window_end():
    energy = [
        {"customer_id": "C1", "year": 2022, "total_energy_tce": 100.0, "electricity_tce": 30.0},
        {"customer_id": "C1", "year": 2024, "total_energy_tce": 80.0, "electricity_tce": 40.0},
        {"customer_id": "C1", "year": 2025, "total_energy_tce": 10.0, "electricity_tce": 9.0},
        {"customer_id": "C2", "year": 2023, "total_energy_tce": 0.0, "electricity_tce": 0.0},
        {"customer_id": "C3", "year": 2026, "total_energy_tce": 5.0, "electricity_tce": 1.0},
    ]
    cs = [customer(c) for c in ("C1", "C2", "C3", "C4")]
    out = run(cs, [month("C1", "2024-01")], energy=energy)
    assert out.loc["C1", "electricity_share"] == 0.5
    assert out.loc["C2", "reason__electricity_share"] == "zero_total_energy"
    assert out.loc["C3", "reason__electricity_share"] == "no_audit"  # only after the window
    assert out.loc["C4", "reason__electricity_share"] == "no_audit"
    without = run(cs, [month("C1", "2024-01")])
    assert (without["reason__electricity_share"] == "no_energy_table").all()


def test_total_energy_and_substitution_potential():
    # C1: latest audit 2024: total 80 tce, electricity 40, replaceable 20 → potential 0.25.
    # C2: replaceable empty on the latest audit → no_replaceable (total still known).
    # C3: total 0 → zero_total_energy for the shares, total_energy_tce 0.
    energy = [
        {"customer_id": "C1", "year": 2022, "total_energy_tce": 100.0, "electricity_tce": 30.0,
         "replaceable_tce": 50.0},
        {"customer_id": "C1", "year": 2024, "total_energy_tce": 80.0, "electricity_tce": 40.0,
         "replaceable_tce": 20.0},
        {"customer_id": "C2", "year": 2024, "total_energy_tce": 10.0, "electricity_tce": 4.0,
         "replaceable_tce": None},
        {"customer_id": "C3", "year": 2023, "total_energy_tce": 0.0, "electricity_tce": 0.0,
         "replaceable_tce": 0.0},
    ]
    cs = [customer(c) for c in ("C1", "C2", "C3", "C4")]
    out = run(cs, [month("C1", "2024-01")], energy=energy)
    assert out["total_energy_tce"].tolist()[:3] == [80.0, 10.0, 0.0]
    assert out.loc["C1", "substitution_potential"] == 0.25
    assert out.loc["C1", "electricity_share"] == 0.5
    assert out.loc["C2", "reason__substitution_potential"] == "no_replaceable"
    assert out.loc["C3", "reason__substitution_potential"] == "zero_total_energy"
    assert out.loc["C4", "reason__total_energy_tce"] == "no_audit"
    # without the optional column every customer is no_replaceable (or no_audit)
    plain = [{k: v for k, v in e.items() if k != "replaceable_tce"} for e in energy]
    out = run(cs, [month("C1", "2024-01")], energy=plain)
    assert out.loc["C1", "reason__substitution_potential"] == "no_replaceable"
    assert out.loc["C1", "total_energy_tce"] == 80.0
    without = run(cs, [month("C1", "2024-01")])
    assert (without["reason__substitution_potential"] == "no_energy_table").all()


def test_average_price():
    # C1: 1000 kWh billed 650 + 2000 kWh billed 1100 → 1750 / 3000 = 0.58333 yuan/kWh.
    # C2: kWh sum to zero (a correction) → zero_kwh.
    rows = [month("C1", "2024-01", 1000.0, billed=650.0),
            month("C1", "2024-02", 2000.0, billed=1100.0),
            month("C2", "2024-01", 100.0, billed=50.0),
            month("C2", "2024-02", -100.0, billed=-50.0)]
    out = run([customer("C1"), customer("C2"), customer("C3")], rows,
              negative_energy="allow")
    assert out.loc["C1", "avg_price"] == pytest.approx(1750 / 3000, rel=1e-12)
    assert out.loc["C2", "reason__avg_price"] == "zero_kwh"
    assert out.loc["C3", "reason__avg_price"] == "no_records"


# ----------------------------------------------------------------------------------------
# power factor
# ----------------------------------------------------------------------------------------

# kWh 895 with kvarh = 1000·sqrt(1 − 0.895²) gives pf == 0.895 in binary floating point;
# the next kvarh up gives 0.8949999999999999, which is 0.895 up to rounding error.
KVARH_AT_0895 = 446.0661385938189
KVARH_JUST_BELOW_0895 = 446.06613859381895


def test_pf_rounding_kernel():
    lf = nw.from_native(pl.LazyFrame({"pf": [0.895, 0.8949999999999999, 0.8949, 0.905, 0.5]}))
    got = lf.select(pf_hundredths(nw.col("pf"))).collect()["pf"].to_list()
    assert got == [90.0, 90.0, 89.0, 91.0, 50.0]
    # Without the epsilon, the float just below 0.895 would round down.
    got = lf.select(pf_hundredths(nw.col("pf"), 0.0)).collect()["pf"].to_list()
    assert got[:2] == [90.0, 89.0]


def test_pf_0895_reaches_090():
    c = customer("C1", "large_industrial", 2000.0)  # standard 0.90
    rows = [month("C1", "2024-01", 895.0, KVARH_AT_0895),
            month("C1", "2024-02", 895.0, KVARH_JUST_BELOW_0895),
            month("C1", "2024-03", 894.9, KVARH_AT_0895)]  # pf 0.89496 → 0.89: misses
    out = run([c], rows)
    assert out.loc["C1", "pf_compliance"] == pytest.approx(2 / 3, rel=1e-15)


def test_pf_reverse_reactive_energy_adds_in_absolute_value():
    # 1000 kWh, forward 300, reverse −200 → kvarh 500 → pf 0.894 → 0.89 < 0.90 (not met);
    # without the reverse, pf 0.958 → met.
    c = customer("C1", "large_industrial", 2000.0)
    out = run([c], [month("C1", "2024-01", 1000.0, 300.0, reverse=-200.0),
                    month("C1", "2024-02", 1000.0, 300.0)])
    assert out.loc["C1", "pf_compliance"] == 0.5
    # Only reverse recorded: still a reading (kvarh = 200 → pf 0.98).
    out = run([c], [month("C1", "2024-01", 1000.0, None, reverse=200.0)])
    assert out.loc["C1", "pf_compliance"] == 1.0


def test_pf_zero_kwh_months_are_not_assessed():
    c = customer("C1", "large_industrial", 2000.0)
    out = run([c], [month("C1", "2024-01", 0.0, 10.0), month("C1", "2024-02", 1000.0, 100.0)])
    assert out.loc["C1", "pf_compliance"] == 1.0  # 1 of 1 assessed, not 1 of 2
    out = run([c], [month("C1", "2024-01", 0.0, 10.0)])
    assert out.loc["C1", "reason__pf_compliance"] == "no_assessable_months"


def test_pf_standard_by_class_and_capacity():
    # Month with pf 0.8480 (kvarh 625 per 1000 kWh) → 0.85; pf 0.80 → 0.80.
    cs = [customer("LI", "large_industrial", 2000.0),     # 0.90: 0.85 misses
          customer("LI160", "large_industrial", 160.0),   # not above 160 → 0.85: met
          customer("GCI", "general_commercial_industrial", 100.0),  # 0.85: met
          customer("AG", "agricultural", 120.0),          # 0.80
          customer("AG99", "agricultural", 99.0),         # below 100 kVA: not assessed
          customer("RES", "residential", 200.0),          # residential: not assessed
          customer("GCI99", "general_commercial_industrial", 99.9)]
    rows = []
    for c in cs:
        rows += [month(c["customer_id"], "2024-01", 1000.0, 620.0),   # pf 0.8499 → 0.85
                 month(c["customer_id"], "2024-02", 1000.0, 750.0)]   # pf 0.80
    out = run(cs, rows)
    assert out.loc["LI", "pf_compliance"] == 0.0
    assert out.loc["LI160", "pf_compliance"] == 0.5
    assert out.loc["GCI", "pf_compliance"] == 0.5
    assert out.loc["AG", "pf_compliance"] == 1.0
    for cid in ("AG99", "RES", "GCI99"):
        assert np.isnan(out.loc[cid, "pf_compliance"])
        assert out.loc[cid, "reason__pf_compliance"] == "not_applicable"


def test_pf_standard_needs_high_voltage_supply():
    # Same months as above (pf 0.85 then 0.80).  A large industrial customer above 160 kVA
    # supplied at 0.4 kV is not a high-voltage customer: 0.85 (met once) instead of 0.90;
    # at 10 kV it is held to 0.90 (never met).  Wholesale 趸售 ≥ 100 kVA: 0.80 (met twice).
    cs = [customer("LI_LV", "large_industrial", 2000.0), customer("LI_HV", "large_industrial",
                                                                   2000.0),
          customer("WS", "wholesale", 500.0), customer("LI_NOV", "large_industrial", 2000.0)]
    cs[0]["voltage_kv"], cs[1]["voltage_kv"], cs[3]["voltage_kv"] = 0.4, 10.0, None
    rows = []
    for c in cs:
        rows += [month(c["customer_id"], "2024-01", 1000.0, 620.0),
                 month(c["customer_id"], "2024-02", 1000.0, 750.0)]
    out = run(cs, rows)
    assert out.loc["LI_LV", "pf_compliance"] == 0.5
    assert out.loc["LI_HV", "pf_compliance"] == 0.0
    assert out.loc["WS", "pf_compliance"] == 1.0
    assert out.loc["LI_NOV", "pf_compliance"] == 0.5  # unknown voltage: the 0.85 rule
    # a rule without a voltage condition ignores voltage
    rule = PowerFactorRule(classes=("large_industrial",), min_kva=160, inclusive=False,
                           standard=0.90)
    out = run(cs, rows, power_factor_rules=(rule,))
    assert out.loc["LI_LV", "pf_compliance"] == 0.0


def test_pf_without_reactive_metering_is_missing_not_zero():
    c = customer("C1", "agricultural", 300.0)
    out = run([c, customer("C2", "large_industrial", 500.0)],
              [month("C1", "2024-01", 100.0, None), month("C1", "2024-02", 100.0, None)])
    assert np.isnan(out.loc["C1", "pf_compliance"])
    assert out.loc["C1", "reason__pf_compliance"] == "no_reactive_metering"
    assert out.loc["C2", "reason__pf_compliance"] == "no_records"


def test_pf_rules_are_configurable():
    rules = (PowerFactorRule(classes=("residential",), min_kva=0.0, standard=0.95),)
    out = run([customer("C1", "residential", 5.0), customer("C2", "large_industrial", 900.0)],
              [month("C1", "2024-01", 100.0, 20.0), month("C2", "2024-01", 100.0, 20.0)],
              power_factor_rules=rules)
    assert out.loc["C1", "pf_compliance"] == 1.0  # pf 0.98 ≥ 0.95
    assert out.loc["C2", "reason__pf_compliance"] == "not_applicable"


# ----------------------------------------------------------------------------------------
# payments
# ----------------------------------------------------------------------------------------


def payment_rows() -> list[dict]:
    return [
        # A: 1000 due 2023-12-20, paid 2024-01-10: 21 days late, 11 in 2023 and 10 in 2024.
        #    fee 1000 × (0.002 × 11 + 0.003 × 10) = 52.
        month("C1", "2023-11", 2000.0, billed=1000.0, due="2023-12-20",
              paid_date="2024-01-10", paid=1000.0),
        # C: 800 paid early: on time.
        month("C1", "2024-01", 1600.0, billed=800.0, due="2024-02-20",
              paid_date="2024-02-15", paid=800.0),
        # E: a credit note (billed ≤ 0): not a bill.
        month("C1", "2024-03", -100.0, billed=-50.0, due="2024-04-20",
              paid_date="2024-04-20", paid=-50.0),
        # F: 0.40 paid one day late: fee 0.0008 → the 1-yuan minimum.
        month("C1", "2024-05", 0.8, billed=0.40, due="2024-06-20", paid_date="2024-06-21",
              paid=0.40),
        # B: 500 due 2024-11-20; 200 paid 2024-11-25 (5 days late), 300 unpaid to the
        #    as-of date 2024-12-31 (41 days).  fee 200·0.002·5 + 300·0.002·41 = 2 + 24.6.
        month("C1", "2024-10", 1000.0, billed=500.0, due="2024-11-20",
              paid_date="2024-11-25", paid=200.0),
        # D: due after the as-of date: not yet assessable.
        month("C1", "2024-12", 1200.0, billed=600.0, due="2025-01-20", paid_date=None),
    ]


def test_payment_indicators_hand_computed():
    out = run([customer("C1")], payment_rows(), negative_energy="allow")
    row = out.loc["C1"]
    billed = 1000 + 800 + 0.40 + 500                      # bills A, C, F, B
    assert row["on_time_rate"] == 0.25                    # only C
    weighted_days = 1000 * 21 + 0.40 * 1 + 200 * 5 + 300 * 41
    assert row["days_late"] == pytest.approx(weighted_days / billed, rel=1e-14)
    assert row["arrears_ratio"] == pytest.approx(300 / billed, rel=1e-14)
    assert row["late_fee"] == pytest.approx(52.0 + 1.0 + 2.0 + 24.6, abs=1e-9)
    assert row["revenue"] == pytest.approx(1000 + 800 - 50 + 0.40 + 500 + 600, abs=1e-9)


def test_unpaid_arrears_carried_across_the_year_end():
    # 200 due 2023-11-20, never paid: 41 days in 2023 at 0.2 % and 366 days of 2024 at 0.3 %:
    # 200 × (0.002 × 41 + 0.003 × 366) = 236.
    rows = [month("C1", "2023-10", 400.0, billed=200.0, due="2023-11-20", paid_date=None)]
    out = run([customer("C1")], rows)
    assert out.loc["C1", "late_fee"] == pytest.approx(236.0, abs=1e-9)
    assert out.loc["C1", "arrears_ratio"] == 1.0
    assert out.loc["C1", "days_late"] == 407.0
    assert out.loc["C1", "on_time_rate"] == 0.0


def test_residential_late_fee_is_one_per_mille_in_any_year():
    rows = [month("C1", "2023-11", 200.0, billed=100.0, due="2023-12-20",
                  paid_date="2024-01-09", paid=100.0),          # 20 days → 2.0
            month("C1", "2024-02", 200.0, billed=100.0, due="2024-03-20",
                  paid_date="2024-04-09", paid=100.0)]          # 20 days → 2.0
    out = run([customer("C1", "residential", 8.0)], rows)
    assert out.loc["C1", "late_fee"] == pytest.approx(4.0, abs=1e-9)
    rates = {"residential": LateFeeRate(current_year=0.01, carried_over=0.01)}
    out = run([customer("C1", "residential", 8.0)], rows, late_fee_rates=rates)
    assert out.loc["C1", "late_fee"] == pytest.approx(40.0, abs=1e-9)


def test_payment_after_the_as_of_date_counts_as_unpaid():
    rows = [month("C1", "2024-04", 200.0, billed=100.0, due="2024-05-20",
                  paid_date="2024-07-05", paid=100.0)]
    out = run([customer("C1")], rows, window=("2023-07", "2024-06"))  # as of 2024-06-30
    assert out.loc["C1", "arrears_ratio"] == 1.0
    assert out.loc["C1", "days_late"] == 41.0
    # With the as-of date moved past the payment it is a late payment instead.
    out = run([customer("C1")], rows, window=("2023-07", "2024-06"),
              as_of=dt.date(2024, 12, 31))
    assert out.loc["C1", "arrears_ratio"] == 0.0
    assert out.loc["C1", "days_late"] == 46.0


def test_paid_in_full_tolerance():
    rows = [month("C1", "2024-01", billed=100.0, paid=99.996),   # 100.00 to the fen: in full
            month("C1", "2024-02", billed=100.0, paid=99.99)]    # 0.01 short: not
    out = run([customer("C1")], rows)
    assert out.loc["C1", "on_time_rate"] == 0.5
    assert out.loc["C1", "arrears_ratio"] == pytest.approx(0.01 / 200, rel=1e-12)


def test_no_bills_due():
    rows = [month("C1", "2024-12", billed=10.0, due="2025-01-20", paid_date=None),
            month("C1", "2024-11", billed=0.0)]
    out = run([customer("C1")], rows)
    for name in ("on_time_rate", "days_late", "arrears_ratio", "late_fee"):
        assert np.isnan(out.loc["C1", name])
        assert out.loc["C1", f"reason__{name}"] == "no_bills_due"


# ----------------------------------------------------------------------------------------
# plan, events, exposure, cooperation
# ----------------------------------------------------------------------------------------


def test_plan_completion():
    rows = [month("C1", "2024-01", 900.0, planned=1000.0),
            month("C1", "2024-02", 1300.0, planned=1000.0),
            month("C1", "2024-03", 5000.0),                 # no plan: ignored
            month("C2", "2024-01", 5000.0, planned=1000.0),  # 1 − 4000/1000 → clipped to 0
            month("C3", "2024-01", 100.0),
            month("C4", "2024-01", 100.0, planned=0.0)]
    out = run([customer(c) for c in ("C1", "C2", "C3", "C4")], rows)
    assert out.loc["C1", "plan_completion"] == pytest.approx(0.9, rel=1e-15)  # 2200 vs 2000
    assert out.loc["C2", "plan_completion"] == 0.0
    assert out.loc["C3", "reason__plan_completion"] == "no_plan"
    assert out.loc["C4", "reason__plan_completion"] == "zero_plan"
    # the option: actual ÷ plan, not clipped (2200 / 2000 = 1.1; 5000 / 1000 = 5)
    ratio = run([customer(c) for c in ("C1", "C2", "C3", "C4")], rows,
                plan_completion="ratio")
    assert ratio.loc["C1", "plan_completion"] == pytest.approx(1.1, rel=1e-15)
    assert ratio.loc["C2", "plan_completion"] == 5.0
    assert ratio.loc["C4", "reason__plan_completion"] == "zero_plan"


def test_events_per_year_of_exposure():
    cs = [customer("NEW", opened="2024-04-15"),         # 2024-04 … 2024-12: 9 months
          customer("GONE", opened="2001-01-01", closed="2023-06-30"),  # 6 months
          customer("LATE", opened="2025-02-01"),        # opens after the window
          customer("QUIET")]                            # 24 months, no events
    events = [
        {"customer_id": "NEW", "date": "2024-05-02", "kind": "violation"},
        {"customer_id": "NEW", "date": "2024-11-30", "kind": "violation"},
        {"customer_id": "NEW", "date": "2022-05-02", "kind": "violation"},  # before window
        {"customer_id": "NEW", "date": "2024-06-01", "kind": "fault_affecting_others",
         "affected_customers": 5},
        {"customer_id": "NEW", "date": "2024-07-01", "kind": "fault_affecting_others"},
        {"customer_id": "GONE", "date": "2023-02-01", "kind": "violation"},
        {"customer_id": "NOBODY", "date": "2024-02-01", "kind": "violation"},
    ]
    out = run(cs, [month("NEW", "2024-05")], events=events)
    assert out.loc["NEW", "exposure_months"] == 9
    assert out.loc["NEW", "violations_per_year"] == pytest.approx(2 / 0.75, rel=1e-15)
    assert out.loc["NEW", "fault_impact_per_year"] == pytest.approx(6 / 0.75, rel=1e-15)
    assert out.loc["GONE", "exposure_months"] == 6
    assert out.loc["GONE", "violations_per_year"] == 2.0
    assert out.loc["LATE", "exposure_months"] == 0
    assert out.loc["LATE", "reason__violations_per_year"] == "no_exposure"
    assert out.loc["QUIET", "violations_per_year"] == 0.0
    assert pd.isna(out.loc["QUIET", "reason__violations_per_year"])
    assert "NOBODY" not in out.index
    without = run(cs, [month("NEW", "2024-05")])
    assert (without["reason__fault_impact_per_year"] == "no_events_table").all()


def test_cooperation_indicators():
    coop = [
        *[{"customer_id": "C1", "date": "2024-01-05", "kind": "policy_requested"}] * 3,
        *[{"customer_id": "C1", "date": "2024-02-05", "kind": "policy_implemented"}] * 2,
        {"customer_id": "C1", "date": "2023-12-31", "kind": "work_cooperation", "score": 4.0},
        {"customer_id": "C1", "date": "2024-12-31", "kind": "work_cooperation", "score": 3.5},
        {"customer_id": "C1", "date": "2024-06-30", "kind": "work_cooperation"},  # no score
        *[{"customer_id": "C1", "date": "2024-03-01", "kind": "suggestion"}] * 3,
        *[{"customer_id": "C2", "date": "2024-01-05", "kind": "policy_requested"}] * 2,
        *[{"customer_id": "C2", "date": "2024-01-05", "kind": "policy_implemented"}] * 4,
        {"customer_id": "C3", "date": "2022-01-05", "kind": "policy_requested"},  # outside
    ]
    out = run([customer(c) for c in ("C1", "C2", "C3")], [], cooperation=coop)
    assert out.loc["C1", "policy_rate"] == pytest.approx(2 / 3, rel=1e-15)
    assert out.loc["C1", "work_cooperation"] == 3.75
    assert out.loc["C1", "suggestions_per_year"] == 1.5  # 3 over 2 years
    assert out.loc["C2", "policy_rate"] == 1.0  # clipped
    assert out.loc["C2", "reason__work_cooperation"] == "no_cooperation_scores"
    assert out.loc["C3", "reason__policy_rate"] == "no_policy_requests"
    assert out.loc["C3", "suggestions_per_year"] == 0.0
    without = run([customer("C1")], [])
    assert without.loc["C1", "reason__policy_rate"] == "no_cooperation_table"


def test_customer_without_records_keeps_its_row_with_reasons():
    out = run([customer("C1", "large_industrial", 2000.0), customer("C2")],
              [month("C2", "2024-01")], events=[], cooperation=[], energy=[])
    row = out.loc["C1"]
    assert row["months_observed"] == 0 and pd.isna(row["first_period"])
    expected = {"total_kwh": "no_records", "revenue": "no_records",
                "usage_growth": "no_records", "electricity_share": "no_audit",
                "pf_compliance": "no_records", "on_time_rate": "no_records",
                "days_late": "no_records", "arrears_ratio": "no_records",
                "late_fee": "no_records", "plan_completion": "no_records",
                "policy_rate": "no_policy_requests",
                "work_cooperation": "no_cooperation_scores"}
    for name, reason in expected.items():
        assert np.isnan(row[name]), name
        assert row[f"reason__{name}"] == reason, name
        assert reason in REASONS
    for name in ("violations_per_year", "fault_impact_per_year", "suggestions_per_year"):
        assert row[name] == 0.0 and pd.isna(row[f"reason__{name}"])


# ----------------------------------------------------------------------------------------
# policies: duplicates, negative energy, unknown customers, register
# ----------------------------------------------------------------------------------------


def dup_rows() -> list[dict]:
    return [month("C1", "2024-01", 100.0, billed=50.0, due="2024-02-20",
                  paid_date="2024-02-10", paid=50.0),
            month("C1", "2024-02", 10.0),
            month("C1", "2024-01", 70.0, billed=35.0, due="2024-02-20",
                  paid_date="2024-02-25", paid=35.0)]


def test_duplicates_error_names_table_column_rows_and_fix():
    with pytest.raises(DuplicateRowsError) as info:
        run([customer("C1")], dup_rows())
    err = info.value
    assert (err.table, err.column, err.count) == ("monthly", "period", 1)
    assert err.examples[0]["customer_id"] == "C1" and err.examples[0]["period"] == "2024-01"
    assert "duplicates='sum'" in err.fix and "'last'" in err.fix


def test_duplicates_sum():
    out = run([customer("C1")], dup_rows(), duplicates="sum")
    row = out.loc["C1"]
    assert row["total_kwh"] == 180.0 and row["revenue"] == 90.0
    assert row["months_observed"] == 2
    # The summed January bill (85) was paid in full, at the latest date (5 days late).
    assert row["on_time_rate"] == 0.5
    assert row["days_late"] == pytest.approx(85 * 5 / 90, rel=1e-14)


def test_duplicates_last_keeps_the_last_row_in_input_order():
    out = run([customer("C1")], dup_rows(), duplicates="last")
    assert out.loc["C1", "total_kwh"] == 80.0
    assert out.loc["C1", "on_time_rate"] == 0.5
    rows = dup_rows()
    rows[0], rows[2] = rows[2], rows[0]
    out = run([customer("C1")], rows, duplicates="last")
    assert out.loc["C1", "total_kwh"] == 110.0
    assert out.loc["C1", "on_time_rate"] == 1.0


def test_duplicates_last_on_a_lazy_polars_input():
    monthly = pl.from_pandas(frame(dup_rows())).lazy()
    out = compute_indicators(pl.from_pandas(frame([customer("C1")])), monthly, window=WINDOW,
                             options=CheckOptions(duplicates="last"))
    assert isinstance(out, pl.LazyFrame)
    assert out.collect()["total_kwh"].to_list() == [80.0]


def test_duplicates_of_unknown_customers_are_ignored():
    rows = [month("C1", "2024-01"), month("ZZ", "2024-01"), month("ZZ", "2024-01")]
    out = run([customer("C1")], rows)
    assert list(out.index) == ["C1"]


def test_negative_energy_error_and_allow():
    rows = [month("C1", "2024-01", 100.0), month("C1", "2024-02", -30.0, 5.0, billed=-15.0)]
    with pytest.raises(NegativeEnergyError) as info:
        run([customer("C1", "large_industrial", 2000.0)], rows)
    assert (info.value.table, info.value.column, info.value.count) == ("monthly", "active_kwh", 1)
    assert "negative_energy='allow'" in info.value.fix
    out = run([customer("C1", "large_industrial", 2000.0)], rows, negative_energy="allow")
    assert out.loc["C1", "total_kwh"] == 70.0
    # Jan has no reading, Feb a reading but negative kWh: nothing to assess.
    assert out.loc["C1", "reason__pf_compliance"] == "no_assessable_months"


def test_negative_correction_summed_into_its_month():
    rows = [month("C1", "2024-01", 100.0, billed=50.0, paid=50.0),
            month("C1", "2024-01", -20.0, billed=-10.0, paid=-10.0)]
    out = run([customer("C1")], rows, duplicates="sum", negative_energy="allow")
    assert out.loc["C1", "total_kwh"] == 80.0
    assert out.loc["C1", "months_observed"] == 1
    assert out.loc["C1", "on_time_rate"] == 1.0  # the net bill of 40 was paid in full
    with pytest.raises(NegativeEnergyError):
        run([customer("C1")], rows, duplicates="sum")


def test_register_duplicates_raise():
    with pytest.raises(DuplicateRowsError) as info:
        run([customer("C1"), customer("C1")], [month("C1", "2024-01")])
    assert info.value.table == "customers"


def test_missing_column_and_empty_monthly():
    monthly = frame([month("C1", "2024-01")]).drop(columns="billed_amount")
    with pytest.raises(MissingColumnError) as info:
        compute_indicators(frame([customer("C1")]), monthly, window=WINDOW)
    assert info.value.column == "billed_amount"
    with pytest.raises(EmptyTableError):
        run([customer("C1")], [], window=None)


# ----------------------------------------------------------------------------------------
# window, output contract, inputs
# ----------------------------------------------------------------------------------------


def test_default_window_is_36_months_ending_at_the_latest_period(backend):
    rows = [month("C1", "2021-12", 5.0), month("C1", "2022-01", 7.0),
            month("C1", "2024-12", 11.0)]
    out = run([customer("C1")], rows, window=None)
    if backend == "pandas":  # only a pandas result carries attrs
        assert out.attrs["window"] == {"start": "2022-01", "end": "2024-12", "months": 36,
                                       "as_of": "2024-12-31"}
    assert out.loc["C1", "total_kwh"] == 18.0
    assert resolve_window(frame(rows)) == Window(start="2022-01", end="2024-12")
    out = run([customer("C1")], rows, window=None, window_months=12)
    assert out.loc["C1", "total_kwh"] == 11.0


def test_window_accepts_window_objects_and_dates():
    rows = [month("C1", "2024-03"), month("C1", "2024-04")]
    a = run([customer("C1")], rows, window=Window(start="2024-01", end="2024-03"))
    b = run([customer("C1")], rows, window=(dt.date(2024, 1, 15), "2024-03"))
    pd.testing.assert_frame_equal(a, b)
    assert a.loc["C1", "total_kwh"] == 1000.0


def test_output_contract_pandas():
    cs = [customer("B"), customer("A"), customer("C")]
    out = run(cs, [month("C", "2024-01")])
    assert out.index.name == "customer_id" and list(out.index) == ["A", "B", "C"]
    assert list(out.columns) == output_columns()[1:]
    for name in INDICATOR_NAMES:
        assert out[name].dtype == np.float64
    assert out["months_observed"].dtype == np.int64


def test_period_and_dates_as_dates_and_mixed_inputs(tmp_path):
    rows = payment_rows()
    text = run([customer("C1")], rows, negative_energy="allow")
    typed = frame(rows)
    typed["period"] = pd.to_datetime(typed["period"]) + pd.Timedelta(days=9)  # any day
    for c in ("due_date", "paid_date"):
        typed[c] = pd.to_datetime(typed[c]).dt.date
    as_dates = compute_indicators(frame([customer("C1")]), typed, window=WINDOW,
                                  options=CheckOptions(negative_energy="allow"))
    pd.testing.assert_frame_equal(text, as_dates)
    # pandas register + Parquet monthly: runs on polars, returns polars.
    path = tmp_path / "monthly.parquet"
    pl.from_pandas(frame(rows)).write_parquet(path)
    from_path = compute_indicators(frame([customer("C1")]), path, window=WINDOW,
                                   options=CheckOptions(negative_energy="allow"))
    assert isinstance(from_path, pl.DataFrame)
    got = from_path.to_pandas().set_index("customer_id")
    pd.testing.assert_frame_equal(got, text, check_dtype=False, check_index_type=False)


def test_epoch_day_and_integer_division_helpers():
    days = [dt.date(1970, 1, 1), dt.date(1900, 3, 1), dt.date(2000, 2, 29),
            dt.date(2024, 12, 31), dt.date(2100, 3, 1)]
    lf = nw.from_native(pl.LazyFrame({"d": days}))
    got = lf.select(epoch_days(nw.col("d")).alias("e")).collect()["e"].to_list()
    assert got == [(d - dt.date(1970, 1, 1)).days for d in days]
    xs = list(range(-1000, 3000, 7))
    lf = nw.from_native(pl.LazyFrame({"x": xs}))
    for k in (4, 12, 100, 400):
        assert lf.select(idiv(nw.col("x"), k)).collect()["x"].to_list() == [x // k for x in xs]


# ----------------------------------------------------------------------------------------
# properties
# ----------------------------------------------------------------------------------------

PERIODS = MONTHS_2023 + MONTHS_2024
CLASSES = ("large_industrial", "general_commercial_industrial", "agricultural", "residential")


@st.composite
def tables(draw):
    n = draw(st.integers(1, 4))
    cs = [customer(f"C{i}", draw(st.sampled_from(CLASSES)),
                   draw(st.sampled_from([8.0, 100.0, 160.0, 400.0])),
                   opened=draw(st.sampled_from(["2010-01-01", "2023-07-10", "2024-02-01"])))
          for i in range(n)]
    rows = []
    for c in cs:
        periods = draw(st.lists(st.sampled_from(PERIODS), unique=True, max_size=8))
        for p in periods:
            kwh = draw(st.floats(0, 5000, allow_nan=False).map(lambda x: round(x, 1)))
            kvarh = draw(st.none() | st.floats(0, 4000).map(lambda x: round(x, 1)))
            late = draw(st.integers(-10, 60))
            due = _next_month_day(p, 20)
            paid_on = (dt.date.fromisoformat(due) + dt.timedelta(days=late)).isoformat()
            share = draw(st.sampled_from([0.0, 0.5, 1.0]))
            billed = round(kwh * 0.6, 2)
            rows.append(month(c["customer_id"], p, kwh, kvarh, billed=billed, due=due,
                              paid_date=paid_on if share > 0 else None,
                              paid=round(billed * share, 2) if share > 0 else None,
                              planned=draw(st.none() | st.just(1000.0))))
    return cs, rows


PROPERTY_SETTINGS = settings(max_examples=15, deadline=None,
                             suppress_health_check=[HealthCheck.too_slow])


DAYS = [f"{p}-{d:02d}" for p in PERIODS for d in (1, 15, 28)]


@st.composite
def rich_tables(draw):
    """:func:`tables` plus what the plain strategy never draws: closed accounts (some closed
    before the window), duplicated monthly rows (exact copies and conflicting ones),
    customers without any record (ungraded), and events, cooperation and energy rows."""
    cs, rows = draw(tables())
    for c in cs:
        c["closed"] = draw(st.none() | st.sampled_from(["2022-06-30", "2023-08-31",
                                                        "2024-11-15"]))
    cs.append(customer("NOREC", draw(st.sampled_from(CLASSES))))  # never a monthly row
    if rows:
        for r in draw(st.lists(st.sampled_from(rows), max_size=3)):
            copy = dict(r)
            if draw(st.booleans()):  # a conflicting duplicate: other kWh
                copy["active_kwh"] = round(copy["active_kwh"] + 10.0, 1)
            rows.append(copy)
    ids = [c["customer_id"] for c in cs] + ["NOBODY"]
    events = [{"customer_id": draw(st.sampled_from(ids)), "date": draw(st.sampled_from(DAYS)),
               "kind": draw(st.sampled_from(["violation", "fault_affecting_others"])),
               "affected_customers": draw(st.none() | st.integers(1, 9)), "note": None}
              for _ in range(draw(st.integers(0, 5)))]
    kinds = ["policy_requested", "policy_implemented", "work_cooperation", "suggestion"]
    coop = []
    for _ in range(draw(st.integers(0, 6))):
        kind = draw(st.sampled_from(kinds))
        coop.append({"customer_id": draw(st.sampled_from(ids)),
                     "date": draw(st.sampled_from(DAYS)), "kind": kind,
                     "score": draw(st.none() | st.sampled_from([1.0, 3.5, 5.0]))
                     if kind == "work_cooperation" else None})
    energy = [{"customer_id": draw(st.sampled_from(ids)), "year": year,
               "total_energy_tce": total, "electricity_tce": round(total * share, 2)}
              for year, total, share in draw(st.lists(st.tuples(
                  st.sampled_from([2022, 2023, 2024, 2025]), st.sampled_from([0.0, 50.0, 80.0]),
                  st.sampled_from([0.0, 0.4, 1.0])), max_size=4))]
    return cs, rows, events, coop, energy


@PROPERTY_SETTINGS
@given(rich_tables(), st.randoms(use_true_random=False))
def test_property_rich_tables_one_row_each_and_order_free(data, rnd):
    """Every register customer once (the one without records included, with reasons), a
    value xor a reason everywhere, and summed duplicates make the row order irrelevant."""
    cs, rows, events, coop, energy = data
    out = run(cs, rows, events, coop, energy, duplicates="sum")
    assert list(out.index) == sorted(c["customer_id"] for c in cs)
    for name in INDICATOR_NAMES:
        assert (out[name].isna() == out[f"reason__{name}"].notna()).all(), name
    assert out.loc["NOREC", "reason__total_kwh"] == "no_records"
    for table in (rows, events, coop, energy):
        rnd.shuffle(table)
    rnd.shuffle(cs)
    again = run(cs, rows, events, coop, energy, duplicates="sum")
    pd.testing.assert_frame_equal(out, again)
    # exposure never exceeds the window, and a closed account's ends at its closing month
    assert out["exposure_months"].between(0, 24).all()
    closed = {c["customer_id"]: c["closed"] for c in cs if c["closed"]}
    for cid, day in closed.items():
        if day < "2023-01-01":
            assert out.loc[cid, "exposure_months"] == 0


@PROPERTY_SETTINGS
@given(rich_tables())
def test_property_duplicates_last_and_sum_agree_on_exact_copies(data):
    """Keeping the last row or summing differ only where a duplicate conflicts; the policy
    'error' names the duplicated rows."""
    cs, rows, events, coop, energy = data
    keys = [(r["customer_id"], r["period"]) for r in rows]
    has_duplicates = len(set(keys)) < len(keys)
    if has_duplicates:
        with pytest.raises(DuplicateRowsError):
            run(cs, rows, events, coop, energy)
    last = run(cs, rows, events, coop, energy, duplicates="last")
    assert list(last.index) == sorted(c["customer_id"] for c in cs)
    if not has_duplicates:
        pd.testing.assert_frame_equal(last, run(cs, rows, events, coop, energy,
                                                duplicates="sum"))


@PROPERTY_SETTINGS
@given(tables(), st.randoms(use_true_random=False))
def test_property_row_order_does_not_matter(data, rnd):
    cs, rows = data
    a = run(cs, rows)
    rnd.shuffle(rows)
    rnd.shuffle(cs)
    b = run(cs, rows)
    pd.testing.assert_frame_equal(a, b)


RATE_INDICATORS = ("kwh_per_year", "revenue_per_year", "violations_per_year",
                   "fault_impact_per_year", "suggestions_per_year")


@PROPERTY_SETTINGS
@given(st.lists(st.floats(0, 5000, allow_nan=False).map(lambda x: round(x, 1)),
                min_size=12, max_size=12),
       st.integers(0, 3), st.integers(0, 2), st.integers(0, 3), st.integers(1, 3))
def test_property_rates_do_not_depend_on_exposure(year, violations, faults, suggestions,
                                                   years):
    """The same monthly behaviour over 1, 2 or 3 years gives the same annual rates."""
    def tables_for(n_years: int):
        months = [f"{2025 - n_years + k // 12}-{k % 12 + 1:02d}" for k in range(12 * n_years)]
        rows = [month("C1", p, year[k % 12]) for k, p in enumerate(months)]
        events, coop = [], []
        for y in range(n_years):
            day = f"{2025 - n_years + y}-06-15"
            events += [{"customer_id": "C1", "date": day, "kind": "violation",
                        "affected_customers": None, "note": None}] * violations
            events += [{"customer_id": "C1", "date": day, "kind": "fault_affecting_others",
                        "affected_customers": 3.0, "note": None}] * faults
            coop += [{"customer_id": "C1", "date": day, "kind": "suggestion",
                      "score": None}] * suggestions
        opened = f"{2025 - n_years}-01-01"
        return run([customer("C1", opened=opened)], rows, events, coop,
                   window=("2022-01", "2024-12"))

    base, scaled = tables_for(1), tables_for(years)
    assert scaled.loc["C1", "exposure_months"] == 12 * years
    for name in RATE_INDICATORS:
        assert scaled.loc["C1", name] == pytest.approx(base.loc["C1", name], rel=1e-9,
                                                        abs=1e-9), name
    assert scaled.loc["C1", "kwh_per_year"] == pytest.approx(sum(year), rel=1e-9, abs=1e-9)


@PROPERTY_SETTINGS
@given(tables())
def test_property_one_row_per_register_customer(data):
    cs, rows = data
    rows = [*rows, month("UNKNOWN", "2024-01")]
    out = run(cs, rows)
    assert list(out.index) == sorted(c["customer_id"] for c in cs)
    assert out.index.is_unique
    for name in INDICATOR_NAMES:  # a value xor a reason
        assert (out[name].isna() == out[f"reason__{name}"].notna()).all(), name


@PROPERTY_SETTINGS
@given(tables(), st.integers(1, 30))
def test_property_paying_later_never_lowers_days_late_or_fee(data, extra):
    cs, rows = data
    before = run(cs, rows)
    later = []
    for r in rows:
        r = dict(r)
        if r["paid_date"] is not None:
            r["paid_date"] = (dt.date.fromisoformat(r["paid_date"])
                              + dt.timedelta(days=extra)).isoformat()
        later.append(r)
    after = run(cs, later)
    for name in ("days_late", "late_fee", "arrears_ratio"):
        both = before[name].notna()
        assert (after.loc[both, name] >= before.loc[both, name] - 1e-9).all(), name
    both = before["on_time_rate"].notna()
    assert (after.loc[both, "on_time_rate"] <= before.loc[both, "on_time_rate"]).all()


@PROPERTY_SETTINGS
@given(tables(), st.floats(0.1, 1000))
def test_property_more_energy_more_total(data, extra):
    cs, rows = data
    if not rows:
        return
    before = run(cs, rows)
    bumped = [dict(r) for r in rows]
    bumped[0]["active_kwh"] = bumped[0]["active_kwh"] + round(extra, 1)
    after = run(cs, bumped)
    cid = bumped[0]["customer_id"]
    assert after.loc[cid, "total_kwh"] > before.loc[cid, "total_kwh"]
    assert math.isclose(after["total_kwh"].drop(cid).sum(), before["total_kwh"].drop(cid).sum())


def test_determinism_repeated_runs_are_identical():
    import custvalue.inputs.samples

    t = custvalue.samples.generate(400, months=24, seed=11)
    treat = CheckOptions(duplicates="sum", negative_energy="allow")
    tables_pl = {k: pl.from_pandas(v) for k, v in t.items()}
    first = compute_indicators(**tables_pl, options=treat)
    for _ in range(3):
        assert compute_indicators(**tables_pl, options=treat).equals(first)


def test_optional_columns_may_be_absent():
    rows = frame([month("C1", "2024-01", 1000.0, 300.0, planned=900.0)]).drop(
        columns=["reverse_kvarh", "planned_kwh"])
    events = pd.DataFrame({"customer_id": ["C1"], "date": ["2024-03-01"],
                           "kind": ["fault_affecting_others"]})
    coop = pd.DataFrame({"customer_id": ["C1"], "date": ["2024-03-01"],
                         "kind": ["work_cooperation"]})
    reg = frame([customer("C1", "large_industrial", 2000.0)]).drop(columns="closed")
    out = compute_indicators(reg, rows, events, coop, window=WINDOW)
    assert out.loc["C1", "pf_compliance"] == 1.0
    assert out.loc["C1", "reason__plan_completion"] == "no_plan"
    assert out.loc["C1", "fault_impact_per_year"] == 0.5  # one fault, one customer, 2 years
    assert out.loc["C1", "reason__work_cooperation"] == "no_cooperation_scores"
