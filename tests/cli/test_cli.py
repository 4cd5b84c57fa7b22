"""The `custvalue` command line: outputs, exit codes (0/1/2/3) and messages.

Through typer's test runner (fast, in-process) and as a subprocess (the real entry point,
real exit codes, no traceback on stderr unless --debug).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import custvalue
from custvalue.cli import EXIT_BAD_INPUT, EXIT_BAD_SCHEME, EXIT_GATE_FAILED, EXIT_INTERNAL, app
from custvalue.grading import Grading

runner = CliRunner()
TREAT = ["--duplicates", "last", "--negative-energy", "allow"]


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "custvalue", *args], capture_output=True,
                          text=True, check=False)


@pytest.fixture(scope="module")
def windows(tmp_path_factory) -> tuple[Path, Path]:
    """Two consecutive 36-month windows of 240 customers as CSV folders."""
    base = tmp_path_factory.mktemp("windows")
    parts = custvalue.samples.generate_windows(240, months=36, windows=2, seed=7)
    folders = []
    for i, tables in enumerate(parts, start=1):
        custvalue.samples.write_tables(tables, base / f"w{i}")
        folders.append(base / f"w{i}")
    return folders[0], folders[1]


@pytest.fixture(scope="module")
def graded(windows, tmp_path_factory) -> tuple[Path, Path]:
    """Both windows graded with the CLI."""
    out = tmp_path_factory.mktemp("graded")
    dirs = []
    for folder in windows:
        target = out / folder.name
        result = runner.invoke(app, ["grade", "--data", str(folder), *TREAT,
                                     "--out", str(target)])
        assert result.exit_code == 0, result.output
        dirs.append(target)
    return dirs[0], dirs[1]


# -- grade ----------------------------------------------------------------------------------
def test_grade_writes_every_file_and_prints_the_summary(windows, graded):
    folder = graded[0]
    for name in ("grades.parquet", "grades.csv", "manifest.json", "summary.txt",
                 "scheme.json", "checks.json"):
        assert (folder / name).is_file(), name
    g = Grading.load(folder)
    register = pd.read_csv(windows[0] / "customers.csv", dtype={"customer_id": str})
    assert sorted(g.table.index) == sorted(register["customer_id"])
    csv = pd.read_csv(folder / "grades.csv", dtype={"customer_id": str})
    assert csv["customer_id"].tolist() == g.table.index.tolist()
    assert (csv["tier"].fillna(-1).to_numpy() == g.table["tier"].fillna(-1).to_numpy()).all()
    summary = (folder / "summary.txt").read_text("utf-8")
    assert "特级客户" in summary and "window 2022-01" in summary


def test_grade_with_table_options_equals_grade_with_data_folder(windows, graded, tmp_path):
    w = windows[0]
    args = ["grade", "--customers", str(w / "customers.csv"), "--monthly",
            str(w / "monthly.csv"), "--events", str(w / "events.csv"), "--cooperation",
            str(w / "cooperation.csv"), "--energy", str(w / "energy.csv"), *TREAT,
            "--out", str(tmp_path / "g"), "--quiet"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert result.output == ""  # --quiet
    a = (graded[0] / "grades.parquet").read_bytes()
    b = (tmp_path / "g" / "grades.parquet").read_bytes()
    assert a == b


def test_grade_reads_parquet_and_excel(windows, graded, tmp_path):
    """The register as Excel, the monthly table as Parquet: the same grades as from CSV."""
    tables = {n: pd.read_csv(windows[0] / f"{n}.csv", dtype={"customer_id": str})
              for n in ("customers", "monthly")}
    tables["customers"].to_excel(tmp_path / "customers.xlsx", index=False, engine="openpyxl")
    tables["monthly"].to_parquet(tmp_path / "monthly.parquet")
    result = runner.invoke(app, ["grade", "--customers", str(tmp_path / "customers.xlsx"),
                                 "--monthly", str(tmp_path / "monthly.parquet"), *TREAT,
                                 "--out", str(tmp_path / "g"), "--quiet"])
    assert result.exit_code == 0, result.output
    got = Grading.load(tmp_path / "g").table
    assert sorted(got.index) == sorted(tables["customers"]["customer_id"])
    # the same two tables from CSV give the same scores and tiers
    csv = runner.invoke(app, ["grade", "--customers", str(windows[0] / "customers.csv"),
                              "--monthly", str(windows[0] / "monthly.csv"), *TREAT,
                              "--out", str(tmp_path / "csv"), "--quiet"])
    assert csv.exit_code == 0, csv.output
    want = Grading.load(tmp_path / "csv").table
    pd.testing.assert_series_equal(got["score"], want["score"])
    pd.testing.assert_series_equal(got["tier"], want["tier"])


def test_grade_untreated_duplicates_exit_2_without_traceback(windows, tmp_path):
    proc = cli("grade", "--data", str(windows[0]), "--out", str(tmp_path / "g"))
    assert proc.returncode == EXIT_BAD_INPUT
    assert "bad input" in proc.stderr and "monthly" in proc.stderr
    assert "duplicates" in proc.stderr  # names the option that fixes it
    assert "--duplicates sum" in proc.stderr and "IndicatorParams" not in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "g" / "grades.parquet").exists()


def test_debug_shows_the_traceback(windows, tmp_path):
    proc = cli("grade", "--data", str(windows[0]), "--out", str(tmp_path / "g"), "--debug")
    assert proc.returncode != 0
    assert "Traceback" in proc.stderr and "DuplicateRowsError" in proc.stderr


def test_grade_missing_register_exits_2(tmp_path):
    result = runner.invoke(app, ["grade", "--data", str(tmp_path), "--out",
                                 str(tmp_path / "g")])
    assert result.exit_code == EXIT_BAD_INPUT
    assert "customers" in result.output


def test_grade_bad_scheme_exits_3(windows, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(custvalue.Scheme.default().to_toml().replace(
        'direction = "benefit"', 'direction = "sideways"', 1), encoding="utf-8")
    proc = cli("grade", "--data", str(windows[0]), *TREAT, "--scheme", str(bad),
               "--out", str(tmp_path / "g"))
    assert proc.returncode == EXIT_BAD_SCHEME
    assert "bad scheme" in proc.stderr and "direction" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_internal_error_exits_1_with_a_hint(windows, tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("custvalue.pipeline.grade", broken)
    result = runner.invoke(app, ["grade", "--data", str(windows[0]), *TREAT,
                                 "--out", str(tmp_path / "g")])
    assert result.exit_code == EXIT_INTERNAL
    assert "internal error" in result.output and "disk on fire" in result.output
    assert "--debug" in result.output


def test_pins_from_the_command_line(windows, graded, tmp_path):
    g = Grading.load(graded[0])
    worst = g.graded.sort_values("rank").index[-1]
    pins = tmp_path / "pins.csv"
    pd.DataFrame({"customer_id": [worst], "tier": [0], "reason": ["hospital"]}).to_csv(
        pins, index=False)
    result = runner.invoke(app, ["grade", "--data", str(windows[0]), *TREAT, "--pins",
                                 str(pins), "--out", str(tmp_path / "g"), "--quiet"])
    assert result.exit_code == 0, result.output
    row = Grading.load(tmp_path / "g").table.loc[worst]
    assert row["tier"] == 0 and row["pin_reason"] == "hospital" and row["tier_unpinned"] == 3


def test_strata_from_the_command_line(windows, tmp_path):
    result = runner.invoke(app, ["grade", "--data", str(windows[0]), *TREAT, "--strata",
                                 "region", "--out", str(tmp_path / "g"), "--quiet"])
    assert result.exit_code == 0, result.output
    t = Grading.load(tmp_path / "g").graded
    for _, part in t.groupby("stratum"):
        top = custvalue.tiers.tier_sizes(len(part), (0.1, 0.3, 0.5, 0.1))[0]
        assert (part["tier"] == 0).sum() == top


def test_history_keeps_a_snapshot(windows, tmp_path):
    result = runner.invoke(app, ["grade", "--data", str(windows[0]), *TREAT, "--out",
                                 str(tmp_path / "g"), "--history", str(tmp_path / "h"),
                                 "--quiet"])
    assert result.exit_code == 0, result.output
    snaps = custvalue.list_snapshots(tmp_path / "h")
    assert snaps["window_end"].tolist() == ["2024-12"]


# -- scheme -----------------------------------------------------------------------------------
def test_scheme_show_lists_every_indicator_with_weights():
    result = runner.invoke(app, ["scheme", "show"])
    assert result.exit_code == 0, result.output
    scheme = custvalue.Scheme.default()
    for name in scheme.indicator_names:
        assert name in result.output
    assert f"{scheme.dimensions['contribution'].weight:.4f}" in result.output
    # the three-level tree: secondary indicators with their labels, in tree order
    for name in scheme.secondary_names:
        assert name in result.output
    assert "电费缴纳情况" in result.output
    out = result.output
    assert out.index("compliance") < out.index("bill_payment") < out.index("on_time_rate")
    bill = scheme.dimensions["compliance"].secondary["bill_payment"]
    assert f"{bill.weight:.4f}" in out  # weight inside the dimension
    assert f"{scheme.dimensions['compliance'].weight * bill.weight:.4f}" in out  # global


def test_scheme_show_of_a_two_level_file(tmp_path):
    two = custvalue.Scheme.load(Path(__file__).resolve().parents[1] / "data" / "schemes" /
                                "two_level.toml")
    file = two.save(tmp_path / "two.toml")
    result = runner.invoke(app, ["scheme", "show", str(file)])
    assert result.exit_code == 0, result.output
    assert "bill_payment" not in result.output and "days_late" in result.output
    check = runner.invoke(app, ["scheme", "check", str(file)])  # its weights: the judgments'
    assert check.exit_code == 0 and "scheme OK" in check.output, check.output


def test_scheme_check_with_judgments_at_every_level(tmp_path):
    scheme = custvalue.Scheme.from_dict({"dimensions": {
        "a": {"weight": 0.75, "secondary": {
            "g": {"weight": 0.8, "indicators": {"x": {"weight": 2 / 3}, "y": {"weight": 1 / 3}}},
            "h": {"weight": 0.2, "indicators": {"z": {"weight": 1.0}}}}},
        "b": {"weight": 0.25, "indicators": {"u": {"weight": 1.0}}}}})
    file = scheme.save(tmp_path / "tree.toml")
    import tomli_w

    def matrix(items, a, b, value):
        return {"items": items, "judgments": [{"a": a, "b": b, "value": value, "why": "-"}]}

    judgments = {"dimensions": matrix(["a", "b"], "a", "b", 3), "a": matrix(["g", "h"], "g", "h",
                 4), "a.g": matrix(["x", "y"], "x", "y", 2), "b": {"items": ["u"]}}
    jfile = tmp_path / "j.toml"
    jfile.write_bytes(tomli_w.dumps(judgments).encode())
    ok = runner.invoke(app, ["scheme", "check", str(file), "--judgments", str(jfile)])
    assert ok.exit_code == 0 and "scheme OK" in ok.output, ok.output
    assert "a.g" in ok.output  # the matrix inside the secondary indicator is listed
    judgments["a.g"] = matrix(["x", "y"], "x", "y", 3)  # now x should be 0.75 inside g
    jfile.write_bytes(tomli_w.dumps(judgments).encode())
    bad = cli("scheme", "check", str(file), "--judgments", str(jfile))
    assert bad.returncode == EXIT_BAD_SCHEME
    assert "a.g.x" in bad.stderr and "Traceback" not in bad.stderr


def test_scheme_init_writes_a_loadable_default_and_refuses_to_overwrite(tmp_path):
    file = tmp_path / "s.toml"
    assert runner.invoke(app, ["scheme", "init", str(file)]).exit_code == 0
    assert custvalue.Scheme.load(file) == custvalue.Scheme.default()
    again = runner.invoke(app, ["scheme", "init", str(file)])
    assert again.exit_code == EXIT_BAD_INPUT and "--force" in again.output
    assert runner.invoke(app, ["scheme", "init", str(file), "--force"]).exit_code == 0


def test_scheme_check_prints_lambda_max_and_cr(tmp_path):
    file = tmp_path / "s.toml"
    runner.invoke(app, ["scheme", "init", str(file)])
    result = runner.invoke(app, ["scheme", "check", str(file)])
    assert result.exit_code == 0, result.output
    assert "λmax" in result.output and "CR" in result.output
    assert "scheme OK" in result.output
    results = custvalue.scoring.ahp_defaults.ahp_default_weights()
    assert f"{results['compliance'].lambda_max:.4f}" in result.output


def test_scheme_check_rejects_inconsistent_judgments(tmp_path):
    file = tmp_path / "s.toml"
    runner.invoke(app, ["scheme", "init", str(file)])
    judgments = custvalue.scoring.ahp_defaults.default_judgments()
    cooperation = judgments["dimensions"]
    # contribution > compliance (2) and > cooperation (5), but cooperation >> compliance
    for j in cooperation["judgments"]:
        if {j["a"], j["b"]} == {"compliance", "cooperation"}:
            j["a"], j["b"], j["value"] = "cooperation", "compliance", 9
    import tomli_w

    jfile = tmp_path / "j.toml"
    jfile.write_bytes(tomli_w.dumps(judgments).encode())
    proc = cli("scheme", "check", str(file), "--judgments", str(jfile))
    assert proc.returncode == EXIT_BAD_SCHEME
    assert "CR" in proc.stderr and "dimensions" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_scheme_check_of_a_broken_file_exits_3(tmp_path):
    file = tmp_path / "s.toml"
    file.write_text("[tiers]\nquotas = [0.5, 0.6]\n", encoding="utf-8")
    proc = cli("scheme", "check", str(file))
    assert proc.returncode == EXIT_BAD_SCHEME
    assert "tiers" in proc.stderr and "Traceback" not in proc.stderr


# -- validate, compare, report -----------------------------------------------------------------
def test_validate_writes_reports_next_to_the_grading(graded, tmp_path):
    import shutil

    folder = tmp_path / "g"
    shutil.copytree(graded[0], folder)
    result = runner.invoke(app, ["validate", str(folder), "--draws", "50"])
    assert result.exit_code == 0, result.output
    assert "adjusted Rand index" in result.output
    data = json.loads((folder / "validation.json").read_text("utf-8"))
    assert set(data) == {"clustering", "stability", "verdicts"}
    n_graded = int(Grading.load(folder).table["graded"].sum())
    assert data["stability"]["draws"] == 50
    assert data["clustering"]["n_customers"] == data["stability"]["n_customers"] == n_graded
    assert -1 <= data["clustering"]["ari"] <= 1
    assert f"{data['clustering']['ari']:.3f}" in result.output
    probs = pd.read_parquet(folder / "stability.parquet")
    p = probs.loc[probs["graded"], [c for c in probs.columns if c.startswith("p_tier")]]
    assert (p.sum(axis=1).round(9) == 1).all()
    everyone = sorted(Grading.load(folder).table.index)
    assert probs["customer_id"].tolist() == everyone
    assert pd.read_parquet(folder / "clusters.parquet")["customer_id"].tolist() == everyone


def test_validate_of_a_folder_that_is_not_a_grading_exits_2(tmp_path):
    result = runner.invoke(app, ["validate", str(tmp_path)])
    assert result.exit_code == EXIT_BAD_INPUT
    assert "not a saved grading" in result.output


def test_compare_prints_and_saves_the_transitions(graded, tmp_path):
    result = runner.invoke(app, ["compare", str(graded[0]), str(graded[1]), "--out",
                                 str(tmp_path / "c")])
    assert result.exit_code == 0, result.output
    assert "Kendall" in result.output
    tidy = pd.read_csv(tmp_path / "c" / "transitions.csv")
    prev = Grading.load(graded[0]).table
    cur = Grading.load(graded[1]).table
    assert tidy["count"].sum() == len(prev.index.union(cur.index))
    both = prev.index.intersection(cur.index)
    stayed = int((prev.loc[both, "tier"] == cur.loc[both, "tier"]).sum())
    graded_both = (tidy["previous_status"] == "graded") & (tidy["current_status"] == "graded")
    diagonal = tidy[graded_both & (tidy["previous_tier"] == tidy["current_tier"])]["count"].sum()
    assert diagonal == stayed


def test_report_writes_one_self_contained_file(graded, tmp_path):
    target = tmp_path / "r.html"
    result = runner.invoke(app, ["report", str(graded[1]), "--previous", str(graded[0]),
                                 "--draws", "50", "--out", str(target)])
    assert result.exit_code == 0, result.output
    page = target.read_text("utf-8")
    assert page.startswith("<!DOCTYPE html>") or page.lower().startswith("<!doctype html>")
    assert "特级" in page and "data:image" in page
    assert "src=\"http" not in page  # nothing fetched from the network


def test_report_in_english_with_groups_and_complaints(windows, graded, tmp_path):
    """--lang en, --monthly (a data folder), --group-by, --complaints, --no-checks."""
    table = Grading.load(graded[1]).table
    complaints = pd.DataFrame({"complaint_id": ["Q1", "Q2", "Q3"],
                               "customer_id": table.index[:3],
                               "reported_level": ["ordinary", "key", "ordinary"],
                               "social_impact_risk": [False, False, True]})
    complaints.to_csv(tmp_path / "complaints.csv", index=False)
    target = tmp_path / "r.html"
    result = runner.invoke(app, ["report", str(graded[1]), "--lang", "en", "--no-checks",
                                 "--monthly", str(windows[1]), "--group-by", "abc",
                                 "--complaints", str(tmp_path / "complaints.csv"),
                                 "--title", "Board <pack>", "--out", str(target)])
    assert result.exit_code == 0, result.output
    page = target.read_text("utf-8")
    for key in ("findings", "summary", "plans", "services", "groups", "complaints"):
        assert f'<section id="{key}">' in page, key
    for key in ("validation", "movers"):
        assert f'<section id="{key}">' not in page, key
    assert "<title>Board &lt;pack&gt;</title>" in page
    assert "class A (key)" in page and "emergency" in page


def test_report_without_plans_and_services(graded, tmp_path):
    target = tmp_path / "r.html"
    result = runner.invoke(app, ["report", str(graded[1]), "--no-checks", "--no-plans",
                                 "--no-services", "--out", str(target), "--quiet"])
    assert result.exit_code == 0, result.output
    assert result.output == ""
    page = target.read_text("utf-8")
    assert '<section id="plans">' not in page and '<section id="services">' not in page
    assert '<section id="summary">' in page


@pytest.mark.parametrize(("option", "name", "message"), [
    ("--complaints", "nothing.csv", "no such file"),
    ("--complaints", "complaints.txt", "unknown file type"),
    ("--monthly", "empty", "no monthly table"),
])
def test_report_input_errors_exit_2(graded, tmp_path, option, name, message):
    (tmp_path / "complaints.txt").write_text("x", encoding="utf-8")
    (tmp_path / "empty").mkdir()
    result = runner.invoke(app, ["report", str(graded[1]), "--no-checks", "--no-plans",
                                 option, str(tmp_path / name), "--out", str(tmp_path / "r.html")])
    assert result.exit_code == EXIT_BAD_INPUT, result.output
    assert message in result.output


def test_no_checks_gives_the_same_grading(windows, graded, tmp_path):
    result = runner.invoke(app, ["grade", "--data", str(windows[0]), *TREAT, "--no-checks",
                                 "--out", str(tmp_path / "g")])
    assert result.exit_code == 0, result.output
    assert "checks" not in json.loads((tmp_path / "g" / "manifest.json").read_text())["timings"]
    a = (graded[0] / "grades.parquet").read_bytes()
    assert (tmp_path / "g" / "grades.parquet").read_bytes() == a


def test_bad_option_values_exit_2(windows, tmp_path):
    proc = cli("grade", "--data", str(windows[0]), "--duplicates", "lats", "--out",
               str(tmp_path / "g"))
    assert proc.returncode == EXIT_BAD_INPUT
    assert "duplicates" in proc.stderr and "lats" in proc.stderr
    result = runner.invoke(app, ["grade", "--data", str(windows[0]), *TREAT, "--strata",
                                 "nosuch", "--out", str(tmp_path / "g")])
    assert result.exit_code == EXIT_BAD_INPUT and "nosuch" in result.output


# -- validate: verdicts, --strict, --gates ----------------------------------------------------
def _copy(graded, tmp_path):
    import shutil

    folder = tmp_path / "g"
    shutil.copytree(graded[0], folder)
    return folder


def test_validate_prints_a_verdict_per_gate_and_writes_them(graded, tmp_path):
    folder = _copy(graded, tmp_path)
    result = runner.invoke(app, ["validate", str(folder), "--draws", "40", "--strict"])
    data = json.loads((folder / "validation.json").read_text("utf-8"))
    gates = [v["gate"] for v in data["verdicts"]["verdicts"]]
    assert gates == ["min_ari", "max_disagreement", "max_borderline", "max_expected_change",
                     "max_change_10pct"]
    assert "Verdicts:" in result.output
    for v in data["verdicts"]["verdicts"]:
        assert f"{v['status']:<5} {v['gate']}" in result.output
    failed = any(v["status"] == "FAIL" for v in data["verdicts"]["verdicts"])
    assert result.exit_code == (EXIT_GATE_FAILED if failed else 0), result.output
    assert "Verdicts:" in (folder / "validation.txt").read_text("utf-8")


def test_validate_strict_exits_4_on_a_failed_gate_and_0_without_strict(graded, tmp_path):
    folder = _copy(graded, tmp_path)
    tight = tmp_path / "tight.toml"
    tight.write_text("[gates]\nmin_ari = { warn = 1.0, fail = 0.999 }\n", encoding="utf-8")
    proc = cli("validate", str(folder), "--draws", "20", "--gates", str(tight), "--strict",
               "--quiet")
    assert proc.returncode == EXIT_GATE_FAILED
    assert "FAIL  min_ari" in proc.stdout and "--strict" in proc.stderr
    assert "Traceback" not in proc.stderr
    lax = runner.invoke(app, ["validate", str(folder), "--draws", "20", "--gates",
                              str(tight), "--quiet"])
    assert lax.exit_code == 0, lax.output          # FAIL is printed, but no --strict
    assert "FAIL  min_ari" in lax.output


def test_validate_strict_passes_with_loose_gates(graded, tmp_path):
    folder = _copy(graded, tmp_path)
    loose = tmp_path / "loose.toml"
    loose.write_text(
        "min_ari = { warn = 0.0, fail = 0.0 }\nmax_disagreement = { warn = 1.0, fail = 1.0 }\n"
        "max_borderline = { warn = 1.0, fail = 1.0 }\n"
        "max_expected_change = { warn = 1.0, fail = 1.0 }\n"
        "max_change_10pct = { warn = 1.0, fail = 1.0 }\n", encoding="utf-8")
    result = runner.invoke(app, ["validate", str(folder), "--draws", "20", "--gates",
                                 str(loose), "--strict"])
    assert result.exit_code == 0, result.output
    assert "Verdicts: PASS" in result.output


def test_validate_bad_gates_file_exits_3(graded, tmp_path):
    folder = _copy(graded, tmp_path)
    bad = tmp_path / "bad.toml"
    bad.write_text("[gates]\nmax_borderline = { warn = 0.5, fail = 0.1 }\n", encoding="utf-8")
    result = runner.invoke(app, ["validate", str(folder), "--draws", "20", "--gates", str(bad)])
    assert result.exit_code == EXIT_BAD_SCHEME and "warn <= fail" in result.output



# -- issue 17: --version, choices, grades.csv for Excel, history, --label / --overwrite -------
def test_version_prints_the_package_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"custvalue {custvalue.__version__}"
    proc = cli("--version")
    assert proc.returncode == 0 and proc.stdout.strip() == f"custvalue {custvalue.__version__}"


@pytest.mark.parametrize("args", [
    ["validate", "DIR", "--method", "kmean"],
    ["validate", "DIR", "--features", "dims"],
    ["report", "DIR", "--lang", "fr"],
    ["check", "DIR", "--negative-energy", "deny"],
    ["grade", "--data", "DIR", "--unknown-customers", "drop", "--out", "X"],
])
def test_choice_options_are_checked_before_any_work(args, tmp_path):
    args = [str(tmp_path) if a == "DIR" else a for a in args]
    result = runner.invoke(app, args)
    assert result.exit_code == EXIT_BAD_INPUT     # click's usage error
    assert "Invalid value" in result.output and args[-1 if args[-1] != "X" else -3] in \
        result.output.replace("\n", "")


def test_grades_csv_opens_in_excel_on_chinese_windows(graded):
    data = (graded[0] / "grades.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")                  # UTF-8 byte-order mark
    text = data.decode("utf-8-sig")
    assert "特级客户" in text
    csv = pd.read_csv(graded[0] / "grades.csv", encoding="utf-8-sig",
                      dtype={"customer_id": str})
    assert csv.columns[0] == "customer_id"
    table = Grading.load(graded[0]).table
    score = csv.set_index("customer_id")["score"]
    diff = (score - table["score"]).abs().max()
    assert diff <= 5e-7                                     # rounded to 6 decimals
    decimals = score.dropna().astype(str).str.split(".").str[1].str.len()
    assert decimals.max() <= 6


def test_history_lists_snapshots_with_scheme_and_version(windows, graded, tmp_path):
    h = tmp_path / "h"
    for folder, label in ((graded[0], "2021-12"), (graded[1], "2024-12")):
        saved = custvalue.regrade.save_snapshot(folder, h, label)
        assert saved.name == label
    result = runner.invoke(app, ["history", str(h)])
    assert result.exit_code == 0, result.output
    scheme = custvalue.Scheme.default()
    assert "2021-12" in result.output and "2024-12" in result.output
    assert scheme.hash()[:12] in result.output and custvalue.__version__ in result.output
    assert "default" in result.output
    snaps = custvalue.list_snapshots(h)
    assert snaps["scheme_hash"].tolist() == [scheme.hash()] * 2
    assert snaps["package_version"].tolist() == [custvalue.__version__] * 2
    empty = runner.invoke(app, ["history", str(tmp_path)])
    assert empty.exit_code == 0 and "no snapshots" in empty.output
    missing = runner.invoke(app, ["history", str(tmp_path / "nope")])
    assert missing.exit_code == EXIT_BAD_INPUT


def test_snapshot_label_overwrite_and_an_existing_snapshot_exits_2(windows, tmp_path):
    base = ["grade", "--data", str(windows[0]), *TREAT, "--out", str(tmp_path / "g"),
            "--history", str(tmp_path / "h"), "--quiet"]
    first = runner.invoke(app, [*base, "--label", "baseline"])
    assert first.exit_code == 0, first.output
    assert custvalue.list_snapshots(tmp_path / "h")["label"].tolist() == ["baseline"]
    proc = cli(*base, "--label", "baseline")
    assert proc.returncode == EXIT_BAD_INPUT
    assert "exists" in proc.stderr and "--overwrite" in proc.stderr
    assert "internal error" not in proc.stderr and "Traceback" not in proc.stderr
    again = runner.invoke(app, [*base, "--label", "baseline", "--overwrite"])
    assert again.exit_code == 0, again.output
    bad = runner.invoke(app, [*base, "--label", "no/slash"])
    assert bad.exit_code == EXIT_BAD_INPUT and "label" in bad.output
    orphan = runner.invoke(app, ["grade", "--data", str(windows[0]), *TREAT, "--out",
                                 str(tmp_path / "g2"), "--label", "x"])
    assert orphan.exit_code == EXIT_BAD_INPUT and "--history" in orphan.output


# -- local class names -------------------------------------------------------------------------
_ZH = {"large_industrial": "大工业", "general_commercial_industrial": "一般工商业",
       "agricultural": "农业生产", "residential": "居民生活"}


def _chinese_folder(windows, tmp_path) -> Path:
    """The first window with its register written by a Chinese export: GBK, 用电类别 = 大工业 …"""
    folder = tmp_path / "zh"
    folder.mkdir()
    for src in windows[0].iterdir():
        (folder / src.name).write_bytes(src.read_bytes())
    reg = pd.read_csv(windows[0] / "customers.csv", dtype=str, keep_default_na=False)
    reg["customer_class"] = reg["customer_class"].map(_ZH)
    reg.rename(columns={"customer_class": "用电类别"}).to_csv(
        folder / "customers.csv", index=False, encoding="gbk")
    return folder


def test_chinese_class_names_through_a_mapping_grade_as_the_english_register(
        windows, graded, tmp_path):
    folder = _chinese_folder(windows, tmp_path)
    mapping = tmp_path / "mapping.toml"
    values = "\n".join(f'"{zh}" = "{en}"' for en, zh in _ZH.items())
    mapping.write_text('[tables.customers.columns]\n"用电类别" = "customer_class"\n\n'
                       f"[tables.customers.values.customer_class]\n{values}\n",
                       encoding="utf-8")
    target = tmp_path / "g"
    result = runner.invoke(app, ["grade", "--data", str(folder), "--mapping", str(mapping),
                                 *TREAT, "--out", str(target)])
    assert result.exit_code == 0, result.output
    got, want = Grading.load(target).table, Grading.load(graded[0]).table
    pd.testing.assert_frame_equal(got, want)


def test_an_indicator_no_customer_can_be_assessed_on_exits_2_or_warns_loudly(
        windows, tmp_path):
    folder = _chinese_folder(windows, tmp_path)
    reg = pd.read_csv(folder / "customers.csv", dtype=str, encoding="gbk",
                      keep_default_na=False).rename(columns={"用电类别": "customer_class"})
    reg.to_csv(folder / "customers.csv", index=False)  # contract column, local values
    proc = cli("grade", "--data", str(folder), *TREAT, "--no-checks",
               "--out", str(tmp_path / "stop"))
    assert proc.returncode == EXIT_BAD_INPUT, proc.stderr
    assert "pf_compliance" in proc.stderr and "--not-assessable warn" in proc.stderr
    assert not (tmp_path / "stop").exists()
    proc = cli("grade", "--data", str(folder), *TREAT, "--no-checks", "--not-assessable",
               "warn", "--quiet", "--out", str(tmp_path / "warn"))
    assert proc.returncode == 0, proc.stderr
    assert "graded without an indicator" in proc.stderr and "pf_compliance" in proc.stderr
    assert proc.stderr.count("missing for every customer") == 1  # the panel, not twice
    g = Grading.load(tmp_path / "warn")
    assert [f["code"] for f in g.findings if f["severity"] == "warning"
            and f["column"] == "pf_compliance"] == ["indicator_not_assessable"]


def test_report_of_too_few_graded_customers_leaves_the_clustering_out(tmp_path):
    """Three graded customers cannot form the check's four clusters: the report is still
    written (exit 0), without that check, and says so; --quiet keeps it silent."""
    tables = custvalue.samples.generate(4, months=36, seed=3)
    tables = {k: v for k, v in tables.items() if len(v)}
    grading = custvalue.grade(**tables, duplicates="last", negative_energy="allow",
                              not_assessable="warn")
    assert int(grading.table["graded"].sum()) == 3
    grading.save(tmp_path / "g")
    target = tmp_path / "r.html"
    result = runner.invoke(app, ["report", str(tmp_path / "g"), "--draws", "20",
                                 "--out", str(target)])
    assert result.exit_code == 0, result.output
    assert "3 graded customers are too few to form 4 clusters" in result.output
    assert target.read_text("utf-8").count("<section id=") >= 5
    quiet = runner.invoke(app, ["report", str(tmp_path / "g"), "--draws", "20", "--quiet",
                                "--out", str(tmp_path / "q.html")])
    assert quiet.exit_code == 0 and "too few" not in quiet.output
