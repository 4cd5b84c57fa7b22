"""Benchmark of custvalue.validation.uncertainty: 1,000 runs over 100k customers.

Run from the repository root::

    .venv/bin/python benchmarks/bench_uncertainty.py
    .venv/bin/python benchmarks/bench_uncertainty.py --customers 20000 --draws 500

The synthetic grading has the default scheme's raw indicator columns (log-normal volumes,
rates in [0, 1], Poisson counts; about 20 % of the optional indicators missing), scored
with :func:`custvalue.scoring.score` and tiered by :func:`custvalue.tiers.assign_tiers`.
Building it is not timed.  The timed call is :func:`uncertainty` with the default choices
(normalisation, aggregation, missing values, winsorising) and Dirichlet weights: five
factors, so ``n = draws // 7`` rows per Saltelli sample.  Results go to
``docs/performance.md`` by hand, with the machine and its load.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from custvalue.scoring import Scheme, score
from custvalue.tiers import assign_tiers
from custvalue.validation import uncertainty


@dataclass
class BenchGrading:
    table: pd.DataFrame
    scheme: Any


def synthetic_grading(n: int, seed: int = 0) -> BenchGrading:
    """A grading-like object with ``n`` customers and raw indicators (no loop over them)."""
    scheme = Scheme.default()
    rng = np.random.default_rng(seed)
    ids = pd.Index(np.char.add("C", np.char.zfill(np.arange(n).astype(str), 8)),
                   name="customer_id").astype(str)
    raw = {}
    for _, name, ind in scheme.iter_indicators():  # a loop over indicators
        col = ind.column
        if name in ("total_kwh", "revenue"):
            x = rng.lognormal(11.0, 1.5, n)
        elif name.endswith("_per_year") or name == "days_late":
            x = rng.poisson(0.5, n).astype(float)
        elif name == "usage_growth":
            x = rng.normal(0.03, 0.1, n)
        else:
            x = rng.beta(5, 2, n)
        if ind.missing != "ungraded":
            x[rng.random(n) < 0.2] = np.nan
        raw[col] = x
    frame = pd.DataFrame(raw, index=ids)
    table = score(frame, scheme)
    tiers = assign_tiers(table["score"].where(table["graded"]), scheme.tiers.quotas)
    table["tier"] = tiers["tier"]
    return BenchGrading(table, scheme)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--draws", type=int, default=1000)
    args = parser.parse_args()
    g = synthetic_grading(args.customers)
    uncertainty(synthetic_grading(2000, seed=1), draws=70)  # warm-up
    wall, cpu = time.perf_counter(), time.process_time()
    u = uncertainty(g, draws=args.draws)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"load {os.getloadavg()[0]:.2f}")
    print(f"uncertainty: {u.n_runs:,} runs ({u.n_base} per sample, {len(u.factors)} factors) "
          f"over {len(u.customers):,} graded customers: {wall:.1f} s wall, {cpu:.1f} s CPU")
    print(u.to_text())


if __name__ == "__main__":
    main()
