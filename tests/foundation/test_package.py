"""The package's front door: every public name resolves, and importing it stays light."""

from __future__ import annotations

import subprocess
import sys

import pytest

import custvalue


def test_every_public_name_resolves():
    missing = [name for name in custvalue.__all__ if not hasattr(custvalue, name)]
    assert missing == []
    assert set(custvalue.__all__) <= set(dir(custvalue))


def test_unknown_names_are_attribute_errors():
    with pytest.raises(AttributeError, match="no attribute 'grades'"):
        custvalue.grades  # noqa: B018


def test_import_does_not_load_the_heavy_stages():
    code = ("import sys, custvalue, custvalue.cli; "
            "print(sorted(m for m in ('polars', 'sklearn', 'scipy', 'matplotlib', 'pandas') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"
