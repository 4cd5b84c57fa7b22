"""Options: each input treatment has one home (CheckOptions), grade() takes typed arguments."""

from __future__ import annotations

import inspect
import warnings

import pandas as pd
import pytest

from custvalue import errors
from custvalue.indicators import IndicatorParams, compute_indicators, input_treatments
from custvalue.inputs.checks import CheckOptions, OptionOverrides, check_tables
from custvalue.inputs.samples import generate
from custvalue.pipeline import grade

TREATMENTS = {"duplicates", "negative_energy", "unknown_customers", "not_assessable",
              "customer_classes"}


@pytest.fixture(scope="module")
def tables():
    return generate(80, months=24, seed=13)


def test_the_treatments_live_in_check_options_only():
    assert set(CheckOptions.model_fields) >= TREATMENTS
    assert not TREATMENTS & set(IndicatorParams.model_fields)
    assert not TREATMENTS & set(IndicatorParams().model_dump())


@pytest.mark.parametrize("func", [grade, check_tables, compute_indicators])
def test_public_fronts_take_typed_arguments(func):
    params = inspect.signature(func).parameters
    typed = {n: str(p.annotation) for n, p in params.items()}
    catch_alls = [n for n, p in params.items() if p.kind is p.VAR_KEYWORD]
    if func is compute_indicators:
        assert catch_alls == []
    else:  # the treatments as keyword shortcuts, typed by a TypedDict
        assert catch_alls == ["overrides"]
        assert typed["overrides"] == "Unpack[OptionOverrides]"
    checked = ("window", "params", "options", "overrides")
    assert all("Any" not in typed[n] for n in checked if n in typed), typed
    assert set(OptionOverrides.__annotations__) == TREATMENTS


def test_shortcuts_and_options_are_one_path(tables):
    shortcut = grade(**tables, duplicates="last", negative_energy="allow")
    via_options = grade(**tables, options=CheckOptions(duplicates="last",
                                                       negative_energy="allow"))
    pd.testing.assert_frame_equal(shortcut.table, via_options.table)
    assert shortcut.manifest.options == via_options.manifest.options
    assert shortcut.manifest.options["duplicates"] == "last"
    # a shortcut overrides the options object; None leaves it as it is
    over = CheckOptions.resolve(CheckOptions(duplicates="sum"), duplicates="last",
                                negative_energy=None)
    assert (over.duplicates, over.negative_energy) == ("last", "error")


def test_a_bad_shortcut_is_a_typed_error(tables):
    with pytest.raises(errors.InvalidValueError, match="duplicates"):
        grade(**tables, duplicates="lats")  # type: ignore[typeddict-item]
    with pytest.raises(errors.InvalidValueError, match="unknown option"):
        grade(**tables, duplicate="last")  # type: ignore[misc]


def test_deprecated_indicator_params_spelling_warns_and_still_applies(tables):
    treat = CheckOptions(duplicates="sum", negative_energy="allow")
    expected = compute_indicators(**tables, options=treat)
    with pytest.warns(DeprecationWarning, match="deprecated"):
        legacy = IndicatorParams(duplicates="sum", negative_energy="allow")
    assert "duplicates" not in legacy.model_dump()
    pd.testing.assert_frame_equal(compute_indicators(**tables, params=legacy), expected)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the new spelling does not warn
        pd.testing.assert_frame_equal(compute_indicators(**tables, options=treat), expected)
    assert input_treatments(None, legacy) == treat
    assert input_treatments(treat, legacy) == treat
    with pytest.raises(errors.InvalidValueError, match="name the duplicates treatment once"):
        input_treatments(CheckOptions(duplicates="last"), legacy)
    with pytest.raises(errors.DuplicateRowsError):
        compute_indicators(**tables, options=CheckOptions(negative_energy="allow"))
