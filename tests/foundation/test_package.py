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


def test_old_module_paths_still_work_with_a_deprecation_warning() -> None:
    import importlib
    import sys
    import warnings

    import custvalue
    from custvalue.inputs import checks

    for old, new in [("custvalue.checks", checks), ("custvalue.samples", custvalue.samples)]:
        sys.modules.pop(old, None)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            module = importlib.import_module(old)
        assert any(issubclass(w.category, DeprecationWarning) for w in caught), old
        names = getattr(new, "__all__", [n for n in vars(new) if not n.startswith("_")])
        assert names and all(getattr(module, name) is getattr(new, name) for name in names)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        from custvalue.scoring.scheme import ahp_default_weights
    assert any(issubclass(w.category, DeprecationWarning) for w in caught)
    from custvalue.scoring.ahp_defaults import ahp_default_weights as new_home
    assert ahp_default_weights is new_home
    from custvalue.grading import Grading
    assert custvalue.Grading is Grading
