"""Each validation case of the data contract: finding, typed error and message."""

from __future__ import annotations

import pandas as pd
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custvalue import errors
from custvalue.inputs.checks import check_tables

from .conftest import valid_tables


def codes(report) -> list[str]:
    return [f.code for f in report.findings]


def assert_names(exc: errors.InputError, table: str, column: str, needle: str) -> None:
    text = str(exc)
    assert f"table '{table}'" in text
    assert f"column '{column}'" in text
    assert needle in text  # an example row is quoted
    assert "fix:" in text


def test_valid_tables_have_no_findings(tables):
    report = check_tables(**tables)
    assert report.findings == []
    assert report.ok
    assert report.row_counts == {k: len(v) for k, v in tables.items()}


def test_missing_required_column(tables):
    tables["monthly"] = tables["monthly"].drop(columns="billed_amount")
    with pytest.raises(errors.MissingColumnError) as info:
        check_tables(**tables, strict=True)
    assert info.value.table == "monthly" and info.value.column == "billed_amount"
    assert "columns found" in str(info.value)


def test_non_numeric_values(tables):
    m = tables["monthly"].astype({"active_kwh": object})
    m.loc[4, "active_kwh"] = "12,5"
    tables["monthly"] = m
    with pytest.raises(errors.ColumnTypeError) as info:
        check_tables(**tables, strict=True)
    assert_names(info.value, "monthly", "active_kwh", "'12,5'")
    assert info.value.count == 1


def test_non_date_values(tables):
    tables["monthly"].loc[2, "due_date"] = "20/04/2024"
    with pytest.raises(errors.ColumnTypeError) as info:
        check_tables(**tables, strict=True)
    assert_names(info.value, "monthly", "due_date", "C1")
    assert "row=2," in str(info.value)  # 0-based position of the row in the table


def test_month_accepts_text_and_dates(tables):
    tables["monthly"]["period"] = pd.to_datetime(tables["monthly"]["period"] + "-15")
    assert check_tables(**tables).ok


@pytest.mark.parametrize("policy", ["error", "sum", "last"])
def test_duplicated_customer_month(tables, policy):
    m = tables["monthly"]
    tables["monthly"] = pd.concat([m, m.iloc[[1]]], ignore_index=True)
    report = check_tables(**tables, duplicates=policy)
    (finding,) = report.findings
    assert finding.code == "duplicate_key" and finding.count == 2
    assert finding.severity == ("error" if policy == "error" else "warning")
    if policy == "last":
        # the earlier of the two rows is listed as excluded, with the reason
        assert report.excluded[["table", "customer_id", "key"]].values.tolist() == [
            ["monthly", "C1", "2024-02-01"]]
    if policy == "error":
        with pytest.raises(errors.DuplicateRowsError) as info:
            report.raise_for_errors()
        assert_names(info.value, "monthly", "period", "'C1'")


@pytest.mark.parametrize("policy", ["error", "allow"])
def test_negative_energy(tables, policy):
    tables["monthly"].loc[3, ["active_kwh", "billed_amount"]] = [-20.0, -15.6]
    report = check_tables(**tables, negative_energy=policy)
    (finding,) = report.findings
    assert (finding.code, finding.count) == ("negative_energy", 1)
    if policy == "error":
        with pytest.raises(errors.NegativeEnergyError) as info:
            report.raise_for_errors()
        assert_names(info.value, "monthly", "active_kwh", "'C2'")
    else:
        assert report.ok and "corrections" in finding.treatment


def test_reactive_where_active_is_zero(tables):
    tables["monthly"].loc[0, "active_kwh"] = 0.0
    report = check_tables(**tables)
    (finding,) = report.findings
    assert finding.code == "reactive_without_active" and finding.severity == "warning"
    assert finding.examples[0]["customer_id"] == "C1"
    assert isinstance(finding.to_error(), errors.ReactiveWithoutActiveError)


@pytest.mark.parametrize("table", ["monthly", "events", "cooperation", "energy"])
def test_unknown_customers(tables, table):
    tables[table].loc[0, "customer_id"] = "C404"
    with pytest.raises(errors.UnknownCustomerError) as info:
        check_tables(**tables, strict=True)
    assert_names(info.value, table, "customer_id", "'C404'")
    report = check_tables(**tables, unknown_customers="exclude")
    assert report.ok
    assert report.excluded["customer_id"].tolist() == ["C404"]
    assert report.excluded["reason"].tolist() == ["customer not in the register"]


def test_months_outside_the_account_and_unknown_customers_together(tables):
    """The two rules that read the register (their own query) count every hit and show
    the first rows in input order, beside the rules of the plain query."""
    tables["customers"].loc[1, "opened"] = "2024-03-01"  # C2's January and February
    tables["customers"].loc[2, "closed"] = "2024-01-15"  # C3's February and March
    tables["monthly"].loc[8, "customer_id"] = "C404"     # C3's March: unknown instead
    tables["monthly"].loc[0, "active_kwh"] = -1.0        # a rule of the plain query
    report = check_tables(**tables, unknown_customers="exclude", negative_energy="allow")
    found = {f.code: f for f in report.findings}
    assert [f.code for f in report.findings] == [
        "negative_energy", "period_outside_account", "unknown_customer"]
    outside = found["period_outside_account"]
    assert outside.count == 3 and outside.severity == "warning"
    assert [(e["row"], e["customer_id"]) for e in outside.examples] == [
        (3, "C2"), (4, "C2"), (7, "C3")]
    unknown = found["unknown_customer"]
    assert unknown.count == 1 and unknown.examples[0]["row"] == 8
    assert report.excluded["customer_id"].tolist() == ["C404"]


def test_paid_before_period(tables):
    tables["monthly"].loc[5, "paid_date"] = "2023-12-31"
    with pytest.raises(errors.PaymentBeforePeriodError) as info:
        check_tables(**tables, strict=True)
    assert_names(info.value, "monthly", "paid_date", "2023-12-31")


@pytest.mark.parametrize("table", ["customers", "monthly", "energy"])
def test_empty_table(tables, table):
    tables[table] = tables[table].iloc[0:0]
    with pytest.raises(errors.EmptyTableError) as info:
        check_tables(**tables, strict=True)
    assert info.value.table == table


def test_unknown_class_and_kind(tables):
    tables["customers"].loc[1, "customer_class"] = "commercial"
    tables["events"].loc[0, "kind"] = "theft"
    report = check_tables(**tables)
    assert codes(report) == ["unknown_category", "unknown_category"]
    assert [f.table for f in report.findings] == ["customers", "events"]


def test_polars_input_and_paths(tables, tmp_path):
    pl_tables = {k: pl.from_pandas(v) for k, v in tables.items()}
    assert check_tables(**pl_tables).ok
    paths = {}
    for name, frame in tables.items():
        suffix = {"customers": "xlsx", "monthly": "parquet"}.get(name, "csv")
        path = tmp_path / f"{name}.{suffix}"
        if suffix == "xlsx":
            frame.to_excel(path, index=False)
        elif suffix == "parquet":
            frame.to_parquet(path)
        else:
            frame.to_csv(path, index=False)
        paths[name] = path
    report = check_tables(**paths)
    assert report.ok, str(report)


def test_leading_zero_ids_survive_csv(tables, tmp_path):
    for frame in tables.values():
        frame["customer_id"] = frame["customer_id"].str.replace("C", "00")
    for name, frame in tables.items():
        frame.to_csv(tmp_path / f"{name}.csv", index=False)
    report = check_tables(**{n: tmp_path / f"{n}.csv" for n in tables})
    assert report.ok, str(report)


def test_unreadable_source():
    with pytest.raises(errors.UnsupportedInputError):
        check_tables(customers="does/not/exist.csv", strict=True)


# --- injected faults: the report accounts for every one -------------------------------------

FAULTS = ("non_numeric", "bad_date", "duplicate", "negative", "unknown", "paid_early")


@st.composite
def faulty_tables(draw):
    tables = valid_tables()
    m = tables["monthly"].astype({"active_kwh": object, "due_date": object})
    chosen = draw(st.lists(st.sampled_from(FAULTS), unique=True, min_size=1))
    # each fault lands on its own row so that counts add up exactly
    rows = draw(st.permutations(range(len(m))))
    injected: dict[str, int] = {}
    for fault, row in zip(chosen, rows, strict=False):
        if fault == "non_numeric":
            m.loc[row, "active_kwh"] = "n/a"
            injected["not_numeric"] = 1
        elif fault == "bad_date":
            m.loc[row, "due_date"] = "someday"
            injected["not_date"] = 1
        elif fault == "negative":
            m.loc[row, "active_kwh"] = -5.0
            injected["negative_energy"] = 1
        elif fault == "unknown":
            m.loc[row, "customer_id"] = "C999"
            injected["unknown_customer"] = 1
        elif fault == "paid_early":
            m.loc[row, "paid_date"] = "2020-01-01"
            injected["paid_before_period"] = 1
        elif fault == "duplicate":
            injected["duplicate_key"] = 2
            dup_row = row
    if "duplicate" in chosen:
        m = pd.concat([m, m.iloc[[dup_row]]], ignore_index=True)
    tables["monthly"] = m
    return tables, injected


@settings(max_examples=40, deadline=None)
@given(faulty_tables())
def test_report_accounts_for_every_injected_fault(case):
    tables, injected = case
    report = check_tables(**tables)
    found: dict[str, int] = {}
    for f in report.findings:
        found[f.code] = found.get(f.code, 0) + f.count
    # A duplicated row can also carry another fault: it then counts twice for that fault.
    for code, count in injected.items():
        assert code in found, (code, str(report))
        assert found[code] >= count
    assert set(found) <= set(injected) | {"missing_value", "reactive_without_active"}
    assert not report.ok


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(st.tuples(st.sampled_from(["C1", "C2", "C3", None]),
                               st.integers(0, 4)), max_size=40))
def test_lazy_duplicate_rows_equal_polars_is_duplicated(rows):
    import polars as pl

    from custvalue.inputs.checks import _duplicated_rows

    frame = pl.DataFrame({"customer_id": [r[0] for r in rows], "period": [r[1] for r in rows]},
                         schema={"customer_id": pl.String, "period": pl.Int64})
    expected = frame.with_row_index("_row").filter(
        pl.struct("customer_id", "period").is_duplicated())["_row"].to_list()
    got = _duplicated_rows(frame.lazy().with_row_index("_row"), ["customer_id", "period"])
    assert (got["_row"].to_list() if got is not None else []) == expected
