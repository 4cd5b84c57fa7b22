"""Benchmark of improvement plans: every 三级 customer's plan against scoring them once.

Run from the repository root::

    .venv/bin/python benchmarks/bench_plans.py --customers 100000
    .venv/bin/python benchmarks/bench_plans.py --customers 1000000

The synthetic grading has the default scheme's raw indicators drawn per column (rates in
[0, 1], heavy-tailed kWh and revenue, counts, about 20 % of the optional indicators
missing), scored with :class:`custvalue.scoring.Scorer` and tiered with
:func:`custvalue.tiers.assign_tiers`, its fitted bounds kept as :func:`custvalue.grade`
keeps them; it is saved and loaded back (``Grading.save`` / ``Grading.load``: the bounds
come from ``bounds.json``).  Building, saving and loading are not timed.  Timed calls, after
a small warm-up, alternating in one process:

* **score once** -- fit the scorer on every customer (the grading's bounds) and score the
  三级 customers with it (``Scorer.fit`` + ``Scorer.transform``);
* **plans** -- :func:`custvalue.analysis.plans.improvement_plans` for every 三级 customer,
  target tier 2, on the loaded grading (stored bounds, checked against the table);
* **plans, refit** (``--refit``) -- the same on the grading without stored bounds (a
  grading saved before schema version 3): the bounds are refitted on the table.

Each is run ``--repeat`` times (default 5); the minimum and the median of the CPU time
(``time.process_time``) and of the wall time are printed, and their ratios.  The machine
is shared, so CPU time is the figure to compare.

The issue's bar: plans take no longer than scoring those customers once.  Results go to
``docs/performance.md`` by hand, with the machine and its load.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from custvalue.analysis.plans import improvement_plans
from custvalue.grading import Grading
from custvalue.scoring import Scheme, Scorer
from custvalue.scoring.bounds import bounds_table
from custvalue.tiers import assign_tiers


def synthetic_grading(n: int, seed: int = 0) -> Grading:
    """A grading of ``n`` synthetic customers under the default scheme (no customer loop)."""
    scheme = Scheme.default()
    rng = np.random.default_rng(seed)
    quality = rng.beta(4, 2, n)  # a latent "good customer" level behind the behaviour
    kwh = rng.lognormal(11, 2, n)
    cols = {
        "kwh_per_year": kwh,
        "revenue_per_year": kwh * rng.uniform(0.5, 0.9, n),
        "avg_price": rng.normal(0.65, 0.08, n),
        "usage_growth": rng.normal(0.03, 0.1, n),
        "electricity_share": rng.uniform(0.2, 1.0, n),
        "substitution_potential": rng.uniform(0.0, 0.5, n),
        "pf_compliance": np.clip(quality + rng.normal(0, 0.15, n), 0, 1),
        "on_time_rate": np.clip(quality + rng.normal(0, 0.1, n), 0, 1),
        "days_late": rng.exponential(10 * (1 - quality) + 0.1),
        "arrears_ratio": np.clip(rng.exponential(0.1 * (1 - quality)), 0, 1),
        "plan_completion": np.clip(quality + rng.normal(0, 0.2, n), 0, 1),
        "violations_per_year": rng.poisson(1.5 * (1 - quality)).astype(float),
        "fault_impact_per_year": rng.poisson(4 * (1 - quality)).astype(float),
        "policy_rate": np.clip(quality + rng.normal(0, 0.2, n), 0, 1),
        "work_cooperation": np.clip(5 * quality + rng.normal(0, 0.5, n), 0, 5),
        "suggestions_per_year": rng.poisson(2 * quality).astype(float),
    }
    ids = pd.Index(np.char.add("C", np.char.zfill(np.arange(n).astype(str), 8)),
                   name="customer_id").astype(str)
    frame = pd.DataFrame(cols, index=ids)
    optional = [c for c in frame.columns if c not in ("kwh_per_year", "revenue_per_year")]
    gaps = rng.random((n, len(optional))) < 0.2
    frame[optional] = frame[optional].mask(gaps)
    scorer = Scorer(scheme).fit(frame)
    table = scorer.transform(frame)
    tiers = assign_tiers(table["score"].where(table["graded"]), scheme.tiers.quotas)
    table["tier"] = tiers["tier"]
    return Grading.from_table(table, scheme, bounds=bounds_table(scorer))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--refit", action="store_true",
                        help="also time plans on the grading without stored bounds")
    args = parser.parse_args()
    print(f"custvalue plans benchmark: {args.customers:,} customers; "
          f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"load {os.getloadavg()[0]:.2f}", flush=True)
    built = synthetic_grading(args.customers, args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        built.save(Path(tmp) / "g")
        grading = Grading.load(Path(tmp) / "g")
    assert grading.bounds is not None
    old = replace(grading, bounds=None)
    scheme = grading.scheme
    raw = grading.table[list(scheme.columns)]
    third = grading.table.index[(grading.table["tier"] == 3).fillna(False).to_numpy(bool)]
    print(f"三级 customers: {len(third):,}")
    small = synthetic_grading(2_000, args.seed + 1)  # warm-up: imports, caches
    improvement_plans(small, target=2)
    Scorer(scheme).fit(small.table[list(scheme.columns)]).transform(
        small.table[list(scheme.columns)])

    calls: dict[str, Any] = {
        "score once (fit + 三级)": lambda: Scorer(scheme).fit(raw).transform(raw.loc[third]),
        "plans (all 三级, target 2)": lambda: improvement_plans(grading, target=2),
    }
    if args.refit:
        calls["plans, refit (no bounds)"] = lambda: improvement_plans(old, target=2)
    cpu: dict[str, list[float]] = {k: [] for k in calls}
    wall: dict[str, list[float]] = {k: [] for k in calls}
    plans = None
    for _ in range(args.repeat):  # alternate the calls, so that load changes hit all alike
        for label, fn in calls.items():
            w, c = time.perf_counter(), time.process_time()
            out = fn()
            wall[label].append(time.perf_counter() - w)
            cpu[label].append(time.process_time() - c)
            if label.startswith("plans ("):
                plans = out
    for label in calls:
        print(f"{label:<28} cpu min {min(cpu[label]):6.2f} s  median "
              f"{statistics.median(cpu[label]):6.2f} s   wall min {min(wall[label]):6.2f} s  "
              f"median {statistics.median(wall[label]):6.2f} s   ({args.repeat} runs)")
    assert plans is not None
    counts = plans.customers["status"].value_counts().to_dict()
    planned = plans.customers[plans.customers["status"] == "planned"]
    print(f"statuses: {counts}; steps: {len(plans.steps):,}; "
          f"all planned reach the cut: {bool(planned['reaches'].all())}")
    base = "score once (fit + 三级)"
    for label in list(calls)[1:]:
        print(f"{label} / score once: CPU min {min(cpu[label]) / min(cpu[base]):.2f}, "
              f"median {statistics.median(cpu[label]) / statistics.median(cpu[base]):.2f}; "
              f"wall min {min(wall[label]) / min(wall[base]):.2f}, median "
              f"{statistics.median(wall[label]) / statistics.median(wall[base]):.2f}")
    print(f"load {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
