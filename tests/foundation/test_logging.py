"""The library logs (to the ``custvalue`` logger tree) and never prints."""

from __future__ import annotations

import ast
import logging
import re
from pathlib import Path

import custvalue

SRC = Path(custvalue.__file__).resolve().parent


def test_no_print_outside_the_command_line():
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        if path.name == "cli.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id == "print"):
                offenders.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert offenders == []


def test_the_package_logger_has_a_null_handler_and_modules_log_below_it():
    handlers = logging.getLogger("custvalue").handlers
    assert any(isinstance(h, logging.NullHandler) for h in handlers)
    for path in sorted(SRC.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        for name in re.findall(r"logging\.getLogger\(([^)]*)\)", text):
            assert name == "__name__", f"{path.name} logs to {name}, not its module logger"


def test_grade_logs_each_stage_with_its_time(caplog):
    tables = custvalue.samples.generate(60, months=24, seed=3)
    with caplog.at_level(logging.DEBUG, logger="custvalue"):
        g = custvalue.grade(**tables, duplicates="last", negative_energy="allow")
    records = [r for r in caplog.records if r.name == "custvalue.pipeline"]
    took = {}
    for r in records:
        m = re.fullmatch(r"grade: stage (\w+) took ([0-9.]+) s", r.getMessage())
        if m:
            assert r.levelno == logging.INFO
            took[m.group(1)] = float(m.group(2))
    assert list(took) == ["checks", "indicators", "scoring", "tiers"]
    assert took == g.manifest.timings  # the logged times are the manifest's
    started = [r.getMessage() for r in records if r.levelno == logging.DEBUG]
    assert started == [f"grade: stage {s} started" for s in took]
    done = records[-1].getMessage()
    assert done.startswith(f"grade: {len(g.table)} customers, {int(g.table['graded'].sum())} "
                           "graded")
    assert any(r.name == "custvalue.inputs.checks" for r in caplog.records)
    assert any(r.name == "custvalue.indicators.engine" for r in caplog.records)
