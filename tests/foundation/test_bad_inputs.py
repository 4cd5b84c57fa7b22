"""The corpus of bad and oddly spelled inputs (tests/data/bad_inputs/), through the API and
the CLI: each case is accepted with the clean grades or refused naming table and column."""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import custvalue
from custvalue import errors
from custvalue.cli import app
from custvalue.inputs.io import find_tables

CORPUS = Path(__file__).parents[1] / "data" / "bad_inputs"
CASES = sorted(p.name for p in CORPUS.iterdir() if (p / "expected.toml").exists())
TREAT = {"duplicates": "sum", "negative_energy": "allow"}
runner = CliRunner()


def expected(case: str) -> dict:
    return tomllib.loads((CORPUS / case / "expected.toml").read_text(encoding="utf-8"))


def tables(case: str) -> dict:
    exp = expected(case)
    if "mapping" in exp:
        from custvalue.inputs.mapping import Mapping

        spec = Mapping.load(CORPUS / case / exp["mapping"])
        return {"mapping": spec, **{n: CORPUS / case / e.file for n, e in spec.tables.items()}}
    return find_tables(CORPUS / case)


def run_api(case: str) -> custvalue.Grading:
    return custvalue.grade(**tables(case), **TREAT)


@pytest.fixture(scope="module")
def clean() -> custvalue.Grading:
    return run_api("clean")


def test_the_corpus_has_cases_of_both_kinds():
    kinds = {expected(c)["exit"] for c in CASES}
    assert kinds == {0, 2} and len(CASES) >= 10


@pytest.mark.parametrize("case", CASES)
def test_api(case, clean):
    exp = expected(case)
    if exp["exit"] == 2:
        with pytest.raises(errors.InputError) as info:
            run_api(case)
        assert info.value.table == exp["table"]
        assert info.value.column == exp.get("column")
        if "column" in exp:
            assert info.value.examples, "the error quotes example rows"
        report = custvalue.check_tables(**tables(case), **TREAT)
        assert exp["code"] in [f.code for f in report.errors]
        return
    got = run_api(case)
    if exp.get("finding"):
        assert exp["finding"] in [f["code"] for f in got.findings]
    if exp.get("same_as_clean"):
        a, b = clean.table, got.table
        assert a.index.tolist() == b.index.tolist()
        assert a["tier"].tolist() == b["tier"].tolist()
        assert np.allclose(a["score"].to_numpy(dtype=float), b["score"].to_numpy(dtype=float),
                           equal_nan=True)


@pytest.mark.parametrize("case", CASES)
def test_cli(case, tmp_path):
    exp = expected(case)
    args = ["grade", "--data", str(CORPUS / case), "--out", str(tmp_path / "g"),
            "--duplicates", "sum", "--negative-energy", "allow", "--quiet"]
    if "mapping" in exp:
        args += ["--mapping", str(CORPUS / case / exp["mapping"])]
    result = runner.invoke(app, args)
    assert result.exit_code == exp["exit"], result.output
    if exp["exit"] == 2:
        assert f"table '{exp['table']}'" in result.output
        if "column" in exp:
            assert f"column '{exp['column']}'" in result.output
            assert "row=" in result.output
        assert "internal error" not in result.output


def test_a_bad_mapping_is_exit_3_naming_the_problem(tmp_path):
    bad = tmp_path / "mapping.toml"
    bad.write_text('[tables.monthy]\nfile = "x.csv"\n', encoding="utf-8")
    result = runner.invoke(app, ["grade", "--data", str(CORPUS / "clean"), "--out",
                                 str(tmp_path / "g"), "--mapping", str(bad)])
    assert result.exit_code == 3, result.output
    assert "bad mapping" in result.output and "monthy" in result.output
    doubled = tmp_path / "doubled.toml"
    doubled.write_text('[columns]\n"a" = "customer_id"\n"b" = "customer_id"\n',
                       encoding="utf-8")
    from custvalue.inputs.mapping import Mapping, MappingError

    with pytest.raises(MappingError, match="several columns map onto customer_id"):
        Mapping.load(doubled)


def test_a_named_sheet_and_a_named_encoding(tmp_path):
    from custvalue.inputs.io import scan_typed

    case = CORPUS / "excel_two_sheets"
    both = scan_typed(case / "monthly.xlsx", "monthly").collect()
    one = scan_typed(case / "monthly.xlsx", "monthly", sheet="2023").collect()
    assert one.height < both.height and one["period"].min().year == 2023
    with pytest.raises(errors.UnsupportedInputError, match="2099"):
        scan_typed(case / "monthly.xlsx", "monthly", sheet="2099")
    gbk = CORPUS / "gbk_contract_names" / "customers.csv"
    named = scan_typed(gbk, "customers", encoding="gbk").collect()
    assert named["region"].str.contains("供电所").all()
    with pytest.raises(errors.UnsupportedInputError, match="not valid utf-16"):
        scan_typed(gbk, "customers", encoding="utf-16").collect()


def test_periods_after_the_as_of_date_are_errors():
    import datetime as dt

    t = find_tables(CORPUS / "clean")
    report = custvalue.check_tables(**t, **TREAT, as_of=dt.date(2023, 6, 30))
    future = [f for f in report.errors if f.code == "period_in_future"]
    assert future and future[0].column == "period"
    assert 0 < future[0].count < report.row_counts["monthly"]
    assert custvalue.check_tables(**t, **TREAT, as_of=dt.date(2030, 1, 1)).ok
    with pytest.raises(errors.InvalidValueError, match="as-of date"):
        custvalue.grade(**t, **TREAT, params={"as_of": dt.date(2023, 6, 30)})


@pytest.mark.parametrize("case", ["deep", "zero_judgment", "abc_basis"])
def test_scheme_problems_are_exit_3(case, tmp_path):
    from importlib import resources

    scheme = tmp_path / "s.toml"
    scheme.write_text(custvalue.Scheme.default().to_toml(), encoding="utf-8")
    args = ["scheme", "check", str(scheme)]
    if case == "deep":
        scheme.write_text("a = " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    elif case == "zero_judgment":
        text = (resources.files("custvalue.scoring") / "default_judgments.toml").read_text(
            encoding="utf-8")
        judgments = tmp_path / "j.toml"
        judgments.write_text(text.replace("value = 2", "value = 0", 1), encoding="utf-8")
        args += ["--judgments", str(judgments)]
    else:
        toml = custvalue.Scheme.default().to_toml()
        assert 'basis = "revenue"' in toml
        scheme.write_text(toml.replace('basis = "revenue"', 'basis = "foo"'), encoding="utf-8")
    result = runner.invoke(app, args)
    assert result.exit_code == 3, result.output
    assert "internal error" not in result.output
