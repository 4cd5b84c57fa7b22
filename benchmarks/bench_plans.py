"""Benchmark of improvement plans: every 三级 customer's plan against scoring them once.

Run from the repository root::

    .venv/bin/python benchmarks/bench_plans.py --customers 100000
    .venv/bin/python benchmarks/bench_plans.py --customers 1000000

The synthetic grading has the default scheme's raw indicators drawn per column (rates in
[0, 1], heavy-tailed kWh and revenue, counts, about 20 % of the optional indicators
missing), scored with :class:`custvalue.scoring.Scorer` and tiered with
:func:`custvalue.tiers.assign_tiers`; building it is not timed.  Two timed calls, after a small
warm-up:

* **score once** -- fit the scorer on every customer (the grading's bounds) and score the
  三级 customers with it (``Scorer.fit`` + ``Scorer.transform``);
* **plans** -- :func:`custvalue.analysis.plans.improvement_plans` for every 三级 customer,
  target tier 2 (which also refits the bounds on the grading table and checks them).

Each is run three times and the best wall and CPU times are reported (the machine is shared).

The issue's bar: plans take no longer than scoring those customers once.  Results go to
``docs/performance.md`` by hand, with the machine and its load.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from typing import Any

import numpy as np
import pandas as pd

from custvalue.analysis.plans import improvement_plans
from custvalue.grading import Grading
from custvalue.scoring import Scheme, Scorer
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
    table = Scorer(scheme).fit_transform(frame)
    tiers = assign_tiers(table["score"].where(table["graded"]), scheme.tiers.quotas)
    table["tier"] = tiers["tier"]
    return Grading.from_table(table, scheme)


def timed(label: str, fn: Any, repeat: int = 3) -> tuple[Any, float]:
    """Run ``fn`` ``repeat`` times; print and return the best wall and CPU time."""
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        out = fn()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    print(f"{label:<28} wall {min(walls):8.2f} s   cpu {min(cpus):8.2f} s   "
          f"(best of {repeat})", flush=True)
    return out, min(walls)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(f"custvalue plans benchmark: {args.customers:,} customers; "
          f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"load {os.getloadavg()[0]:.2f}")
    grading = synthetic_grading(args.customers, args.seed)
    scheme = grading.scheme
    raw = grading.table[list(scheme.columns)]
    third = grading.table.index[(grading.table["tier"] == 3).fillna(False).to_numpy(bool)]
    print(f"三级 customers: {len(third):,}")
    small = synthetic_grading(2_000, args.seed + 1)  # warm-up: imports, caches
    improvement_plans(small, target=2)
    Scorer(scheme).fit(small.table[list(scheme.columns)]).transform(
        small.table[list(scheme.columns)])

    _, t_score = timed("score once (fit + 三级)",
                       lambda: Scorer(scheme).fit(raw).transform(raw.loc[third]))
    plans, t_plans = timed("plans (all 三级, target 2)",
                           lambda: improvement_plans(grading, target=2))
    counts = plans.customers["status"].value_counts().to_dict()
    planned = plans.customers[plans.customers["status"] == "planned"]
    print(f"statuses: {counts}; steps: {len(plans.steps):,}; "
          f"all planned reach the cut: {bool(planned['reaches'].all())}")
    print(f"plans / score once: {t_plans / t_score:.2f}")


if __name__ == "__main__":
    main()
