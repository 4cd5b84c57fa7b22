"""`custvalue check` and `custvalue sample` through typer's runner and as a subprocess."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from custvalue.cli import EXIT_BAD_INPUT, app

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "samples" / "2022-2024"
runner = CliRunner()


def test_check_sample_with_treatments_passes():
    result = runner.invoke(app, ["check", str(SAMPLE), "--duplicates", "last",
                                 "--negative-energy", "allow"])
    assert result.exit_code == 0, result.output
    assert "[warning] monthly.period" in result.output
    assert "rows excluded from grading" in result.output
    assert "large_industrial" in result.output


def test_check_sample_strictly_exits_2_without_traceback():
    proc = subprocess.run(
        [sys.executable, "-m", "custvalue", "check", str(SAMPLE), "--strict"],
        capture_output=True, text=True, check=False,
    )
    assert proc.returncode == EXIT_BAD_INPUT
    assert "table 'monthly', column 'period'" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_check_missing_register(tmp_path):
    result = runner.invoke(app, ["check", str(tmp_path)])
    assert result.exit_code == EXIT_BAD_INPUT
    assert "no customers table" in result.output


def test_sample_writes_windows(tmp_path):
    result = runner.invoke(app, ["sample", "--customers", "30", "--months", "12",
                                 "--windows", "2", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    first = pd.read_csv(tmp_path / "window1" / "monthly.csv")
    second = pd.read_csv(tmp_path / "window2" / "monthly.csv")
    assert first["period"].max() < second["period"].min()
