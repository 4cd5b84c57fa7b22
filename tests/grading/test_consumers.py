"""Every consumer of a grading reads it through the one converter (custvalue.grading.convert):
a Grading, its saved folder (Path and str) and, where no scheme is needed, its table give
identical results; where the scheme is needed, a bare table is a typed error."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import custvalue
from custvalue.errors import InputError, SchemeError
from custvalue.grading import Grading, as_grading, grading_scheme, grading_table
from custvalue.present import plots
from custvalue.present.report import render_report


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> tuple[Grading, Path]:
    tables = custvalue.samples.generate(240, months=24, seed=3)
    g = custvalue.grade(**tables, duplicates="last", negative_energy="allow")
    folder = tmp_path_factory.mktemp("grading")
    g.save(folder)
    return g, folder


def _forms(saved: tuple[Grading, Path], table: bool) -> list[Any]:
    g, folder = saved
    return [g, folder, str(folder)] + ([g.table] if table else [])


def _same(results: list[Any], key: Callable[[Any], Any]) -> None:
    first = key(results[0])
    for other in results[1:]:
        value = key(other)
        if isinstance(first, pd.DataFrame):
            pd.testing.assert_frame_equal(first, value)
        elif isinstance(first, pd.Series):
            pd.testing.assert_series_equal(first, value)
        else:
            assert value == first


def test_the_converter_reads_every_form(saved: tuple[Grading, Path]) -> None:
    g, _ = saved
    for form in _forms(saved, table=False):
        assert as_grading(form).table.equals(g.table)
        assert grading_scheme(form) == g.scheme
    assert grading_scheme(g.table) is None
    for form in _forms(saved, table=True):
        pd.testing.assert_frame_equal(grading_table(form), g.table)
    with pytest.raises(InputError, match="bare grading table has no scheme"):
        as_grading(g.table)


@pytest.mark.parametrize("consumer", ["validate_tiers", "tier_stability", "rescore"])
def test_validation_reads_every_form_and_needs_the_scheme(
        saved: tuple[Grading, Path], consumer: str) -> None:
    fn = {
        "validate_tiers": lambda x: custvalue.validate_tiers(x, seed=0).to_dict(),
        "tier_stability": lambda x: custvalue.tier_stability(x, draws=20).customers,
        "rescore": lambda x: custvalue.validation.rescore(x, {"contribution": 0.9}),
    }[consumer]
    _same([fn(x) for x in _forms(saved, table=False)], lambda r: r)
    with pytest.raises(InputError, match="expected a Grading"):
        fn(saved[0].table)


def test_objective_weights_read_every_form(saved: tuple[Grading, Path]) -> None:
    from custvalue.scoring import objective_weights

    g, _ = saved
    got = [objective_weights(x) for x in _forms(saved, table=False)]
    got.append(objective_weights(g.table, g.scheme))
    _same(got, lambda w: w.indicators)
    _same(got, lambda w: w.dimensions)
    with pytest.raises(SchemeError, match="scheme"):
        objective_weights(g.table)


@pytest.mark.parametrize("consumer", ["entitlements", "profile", "top_customers",
                                      "grading_frame"])
def test_table_consumers_read_every_form(saved: tuple[Grading, Path], consumer: str) -> None:
    fn = {
        "entitlements": custvalue.entitlements,
        "profile": custvalue.profile,
        "top_customers": lambda x: custvalue.analysis.profiles.top_customers(x, 0),
        "grading_frame": plots.grading_frame,
    }[consumer]
    results = [fn(x) for x in _forms(saved, table=True)]
    _same(results, lambda r: r)
    assert len(results[0]) > 0


def test_compare_and_plots_read_every_form(saved: tuple[Grading, Path]) -> None:
    comparisons = [custvalue.compare(x, x) for x in _forms(saved, table=True)]
    _same(comparisons, lambda c: c.transitions)
    assert int(np.trace(comparisons[0].transitions.to_numpy()[:4, :4])) > 0
    names = [plots.tier_names(x, lang="en") for x in _forms(saved, table=False)]
    _same(names, lambda n: n)


def test_report_reads_a_grading_and_its_folder_alike(saved: tuple[Grading, Path]) -> None:
    g, folder = saved
    page = render_report(g, embed_font=False, figures=False)
    assert render_report(str(folder), embed_font=False, figures=False) == page
    assert f"方案 {g.scheme.name}" in page  # the scheme came with the folder
