"""Output folders: written whole or not at all, locked, checked on load, refused where they
would clobber; spreadsheet-safe grades.csv; labels printed as text."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import custvalue
from custvalue import errors
from custvalue.cli import app
from custvalue.grading import Grading
from custvalue.grading.folder import CHECKSUMS_FILE, _Lock, write_folder

runner = CliRunner()
TREAT = ["--duplicates", "last", "--negative-energy", "allow", "--quiet"]


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("data")
    custvalue.samples.write_tables(custvalue.samples.generate(80, months=24, seed=5), base)
    return base


@pytest.fixture()
def graded(data, tmp_path) -> Path:
    out = tmp_path / "g"
    result = runner.invoke(app, ["grade", "--data", str(data), "--out", str(out), *TREAT])
    assert result.exit_code == 0, result.output
    return out


def test_every_file_is_in_the_checksums(graded):
    sums = json.loads((graded / CHECKSUMS_FILE).read_text())
    on_disk = {p.name for p in graded.iterdir()} - {CHECKSUMS_FILE}
    assert set(sums) == on_disk >= {"grades.parquet", "grades.csv", "manifest.json"}


@pytest.mark.parametrize("damage", ["flip_tier", "truncate", "delete", "swap_scheme"])
def test_a_damaged_grading_is_exit_2_naming_the_file(graded, damage, tmp_path):
    if damage == "flip_tier":
        g = pd.read_parquet(graded / "grades.parquet")
        g.loc[0, "tier"] = 0 if g.loc[0, "tier"] != 0 else 1
        g.to_parquet(graded / "grades.parquet")
        name = "grades.parquet"
    elif damage == "truncate":
        data = (graded / "grades.parquet").read_bytes()
        (graded / "grades.parquet").write_bytes(data[: len(data) // 2])
        name = "grades.parquet"
    elif damage == "delete":
        (graded / "summary.txt").unlink()
        name = "summary.txt"
    else:
        scheme = json.loads((graded / "scheme.json").read_text())
        scheme["name"] = "other"
        (graded / "scheme.json").write_text(json.dumps(scheme))
        name = "scheme.json"
    with pytest.raises(errors.InputError, match="not a valid grading") as info:
        Grading.load(graded)
    assert info.value.column == name
    for command in (["report", str(graded), "--no-checks", "--out", str(tmp_path / "r.html")],
                    ["compare", str(graded), str(graded), "--out", str(tmp_path / "c")]):
        result = runner.invoke(app, command)
        assert result.exit_code == 2, result.output
        assert "not a valid grading" in result.output and name in result.output


def test_stale_files_are_removed_and_foreign_folders_refused(data, graded, tmp_path):
    (graded / "old_validation.txt").write_text("from an earlier run")
    again = runner.invoke(app, ["grade", "--data", str(data), "--out", str(graded), *TREAT])
    assert again.exit_code == 0, again.output
    assert not (graded / "old_validation.txt").exists()
    Grading.load(graded)

    foreign = tmp_path / "documents"
    foreign.mkdir()
    (foreign / "thesis.docx").write_text("precious")
    refused = runner.invoke(app, ["grade", "--data", str(data), "--out", str(foreign), *TREAT])
    assert refused.exit_code == 2 and "not empty" in refused.output
    assert (foreign / "thesis.docx").read_text() == "precious"
    forced = runner.invoke(app, ["grade", "--data", str(data), "--out", str(foreign), *TREAT,
                                 "--force"])
    assert forced.exit_code == 0, forced.output
    root = runner.invoke(app, ["grade", "--data", str(data), "--out", "/", *TREAT, "--force"])
    assert root.exit_code == 2 and "root" in root.output


def test_a_second_writer_is_kept_out(tmp_path):
    target = tmp_path / "out"
    with _Lock(target):
        # the lock holds this (live) pid: another process would be refused; simulate one
        lock = tmp_path / ".out.lock"
        lock.write_text(str(os.getppid()))
        with pytest.raises(errors.InputError, match="another custvalue run"):
            write_folder(target, {"a": b"x"})
        lock.write_text(str(os.getpid()))
    lock.write_text("999999")  # a dead writer's lock is taken over
    write_folder(target, {"a": b"x"})
    assert not lock.exists()


def test_grades_csv_is_spreadsheet_safe_unless_raw(data, tmp_path):
    reg = pd.read_csv(data / "customers.csv", dtype=str)
    reg.loc[0, "industry"] = '=HYPERLINK("http://x","click")'
    reg.loc[1, "region"] = "@SUM(A1)"
    folder = tmp_path / "evil"
    custvalue.samples.write_tables({**{n: pd.read_csv(data / f"{n}.csv", dtype=str)
                                       for n in ("monthly", "events", "cooperation", "energy")},
                                    "customers": reg}, folder)
    out = tmp_path / "g"
    assert runner.invoke(app, ["grade", "--data", str(folder), "--out", str(out), *TREAT]
                         ).exit_code == 0
    text = (out / "grades.csv").read_text()
    assert "'=HYPERLINK" in text and "'@SUM(A1)" in text
    assert ",=HYPERLINK" not in text and ",-" not in text.split("\n")[0]
    raw = runner.invoke(app, ["grade", "--data", str(folder), "--out", str(out), *TREAT,
                              "--raw-csv"])
    assert raw.exit_code == 0 and '"=HYPERLINK(' in (out / "grades.csv").read_text()


def test_scheme_labels_are_printed_as_text(tmp_path):
    toml = custvalue.Scheme.default().to_toml().replace('zh = "用电量"',
                                                         'zh = "[bold]用电[/]量"', 1)
    assert "[bold]" in toml
    path = tmp_path / "s.toml"
    path.write_text(toml, encoding="utf-8")
    result = runner.invoke(app, ["scheme", "show", str(path)])
    assert result.exit_code == 0, result.output
    assert "[bold]用电[/]量" in result.output


def test_killing_grade_leaves_the_old_or_the_new_grading(data, graded):
    """SIGKILL `custvalue grade` at random moments over an existing grading: the folder
    always loads, and is the old grading or the new one, never a mix or a half."""
    old = Grading.load(graded)
    rng = random.Random(14)
    cmd = [sys.executable, "-m", "custvalue", "grade", "--data", str(data), "--out",
           str(graded), "--duplicates", "sum", "--negative-energy", "allow", "--quiet"]
    env = {**os.environ, "PYTHONPATH": str(Path(custvalue.__file__).parents[1])}
    start = time.perf_counter()
    full = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    assert full.returncode == 0, full.stderr
    new = Grading.load(graded)
    assert not new.table.equals(old.table) or new.manifest != old.manifest
    took = time.perf_counter() - start
    states = set()
    for _ in range(6):
        proc = subprocess.Popen([*cmd[:-5], "--duplicates", rng.choice(["sum", "last"]),
                                 "--negative-energy", "allow", "--quiet"], env=env)
        time.sleep(rng.uniform(0.3, took * 1.1))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        loaded = Grading.load(graded)  # never raises: complete old or new
        states.add(loaded.manifest.options["duplicates"])
        assert len(loaded.table) == len(old.table)
    assert states <= {"sum", "last"}
    leftovers = [p.name for p in graded.parent.iterdir() if p.name.startswith(".g.")]
    runner.invoke(app, ["grade", "--data", str(data), "--out", str(graded), *TREAT])
    assert not [p for p in graded.parent.iterdir() if p.name.startswith(".g.tmp")], leftovers
