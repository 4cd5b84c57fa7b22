"""Benchmark of custvalue.validation: clustering checks at 1M customers, stability at 100k.

Run from the repository root::

    .venv/bin/python benchmarks/bench_validation.py
    .venv/bin/python benchmarks/bench_validation.py --customers 200000 --methods kmeans

The synthetic grading has the default scheme's 14 normalised indicators drawn from four
overlapping latent segments (about 20 % of the optional indicators missing), scores from
the real aggregation and tiers from :func:`custvalue.tiers.assign_tiers`.  Building it is
not timed.  Each timed call is run once after a small warm-up call (imports, thread pools).
Results go to ``docs/performance.md`` by hand, with the machine and its load.
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

from custvalue.scoring import Scheme, aggregate, build_arrays
from custvalue.tiers import assign_tiers
from custvalue.validation import tier_stability, validate_tiers


@dataclass
class BenchGrading:
    table: pd.DataFrame
    scheme: Any


def synthetic_grading(n: int, seed: int = 0) -> BenchGrading:
    """A grading-like object with ``n`` customers (no loop over customers)."""
    scheme = Scheme.default()
    names = scheme.indicator_names
    rng = np.random.default_rng(seed)
    segment = rng.choice(4, size=n, p=[0.1, 0.3, 0.5, 0.1])
    centre = np.linspace(0.8, 0.25, 4)[segment][:, None]
    x = np.clip(centre + rng.normal(0.0, 0.18, (n, len(names))), 0.0, 1.0)
    optional = np.array([scheme.indicator(i).missing != "ungraded" for i in names])
    x[(rng.random(x.shape) < 0.2) & optional[None, :]] = np.nan
    ids = pd.Index(np.char.add("C", np.char.zfill(np.arange(n).astype(str), 8)),
                   name="customer_id").astype(str)
    norm = pd.DataFrame(x, columns=[f"norm__{i}" for i in names], index=ids)
    score = pd.Series(aggregate(build_arrays(norm, scheme)).score * 100.0, index=ids)
    tiers = assign_tiers(score, scheme.tiers.quotas)
    table = norm.assign(score=score, tier=tiers["tier"], graded=score.notna())
    return BenchGrading(table, scheme)


def timed(label: str, fn: Any) -> Any:
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"{label:<48} {wall:8.2f} s wall  {cpu:8.2f} s CPU", flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000,
                        help="customers for validate_tiers (default 1,000,000)")
    parser.add_argument("--methods", default="kmeans,gmm,ward",
                        help="clustering methods to time (comma-separated)")
    parser.add_argument("--stability-customers", type=int, default=100_000,
                        help="customers for tier_stability (default 100,000)")
    parser.add_argument("--draws", type=int, default=1000, help="draws (default 1000)")
    args = parser.parse_args()

    print(f"python {platform.python_version()}, numpy {np.__version__}, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")

    small = synthetic_grading(5_000, seed=1)
    validate_tiers(small)  # warm-up
    tier_stability(small, draws=10)

    if args.customers:
        g = timed(f"build grading, {args.customers:,} customers (not part of the check)",
                  lambda: synthetic_grading(args.customers))
        for method in filter(None, args.methods.split(",")):
            v = timed(f"validate_tiers method={method}, n={args.customers:,}",
                      lambda m=method: validate_tiers(g, method=m))
            print(f"    ARI {v.ari:.3f}  silhouette {v.silhouette:.3f}  notes: "
                  + "; ".join(v.notes))
        del g

    if args.stability_customers:
        g = synthetic_grading(args.stability_customers, seed=2)
        s = timed(f"tier_stability draws={args.draws:,}, n={args.stability_customers:,}",
                  lambda: tier_stability(g, draws=args.draws))
        print(f"    borderline {s.borderline_share:.1%}  expected change "
              f"{s.expected_change:.1%}  score error {s.max_score_error:.1e}")
    print(f"load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
