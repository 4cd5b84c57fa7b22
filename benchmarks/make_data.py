"""Write benchmark tables as Parquet: N customers × 36 months from ``custvalue.samples``.

The customers are generated in chunks of ``--chunk`` customers with ``samples.generate``
(seed ``seed + chunk number``), renumbered ``C0000001`` … so that ids stay unique, and
appended to one Parquet file per table (``customers.parquet``, ``monthly.parquet`` …).
By default the data is *clean* of duplicated and negative monthly rows (the other mess of
the generator stays: missing months, customers joining and leaving, unpaid and partial
bills), so that the default indicator rules (``duplicates="error"``,
``negative_energy="error"``) apply; ``--messy`` keeps the generator's duplicates and
negative corrections.

``--copies K --source DIR`` writes K renumbered copies of an existing data folder instead
(e.g. 5M = five copies of the 1M set): each table is streamed batch by batch (never held in
memory), copy ``k`` adding ``k × n`` to every customer number, with ids written
``C`` + eight digits; this takes about a minute per million customers where generating
takes seven.

Usage::

    python benchmarks/make_data.py --customers 1000000 --out benchmarks/data/1M --chunk 100000
    python benchmarks/make_data.py --copies 5 --source benchmarks/data/1M --out benchmarks/data/5M
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq

from custvalue.inputs.samples import DEFAULT_RATES, generate

TABLES = ("customers", "monthly", "events", "cooperation", "energy")


def _renumber(frame: pl.DataFrame, offset: int) -> pl.DataFrame:
    number = pl.col("customer_id").str.slice(1).cast(pl.Int64) + offset
    return frame.with_columns(
        (pl.lit("C") + number.cast(pl.String).str.zfill(7)).alias("customer_id"))


def write(n_customers: int, out: Path, *, months: int = 36, seed: int = 0,
          chunk: int = 50_000, messy: bool = False, start: str = "2022-01") -> None:
    out.mkdir(parents=True, exist_ok=True)
    rates = DEFAULT_RATES if messy else replace(DEFAULT_RATES, duplicate_row=0.0,
                                                negative_correction=0.0)
    writers: dict[str, pq.ParquetWriter] = {}
    schemas: dict[str, object] = {}
    t0 = time.perf_counter()
    try:
        for k, first in enumerate(range(0, n_customers, chunk)):
            size = min(chunk, n_customers - first)
            tables = generate(size, months=months, seed=seed + k, start=start, rates=rates)
            for name in TABLES:
                frame = _renumber(pl.from_pandas(tables[name]), first)
                if name == "customers":
                    frame = frame.with_columns(pl.col("closed").cast(pl.Date))
                if name == "events":
                    frame = frame.with_columns(pl.col("affected_customers").cast(pl.Int64))
                arrow = frame.to_arrow(compat_level=pl.CompatLevel.oldest())
                if name not in writers:
                    schemas[name] = arrow.schema
                    writers[name] = pq.ParquetWriter(out / f"{name}.parquet", arrow.schema)
                writers[name].write_table(arrow.cast(schemas[name]))
            print(f"  {first + size:>9,} customers  {time.perf_counter() - t0:7.1f} s",
                  flush=True)
    finally:
        for w in writers.values():
            w.close()


def copies(source: Path, k: int, out: Path, *, batch_rows: int = 1 << 20) -> None:
    """Write ``k`` renumbered copies of the tables in ``source`` to ``out``, streaming."""
    out.mkdir(parents=True, exist_ok=True)
    n = pq.ParquetFile(source / "customers.parquet").metadata.num_rows
    t0 = time.perf_counter()
    for name in TABLES:
        src = pq.ParquetFile(source / f"{name}.parquet")
        schema = src.schema_arrow
        with pq.ParquetWriter(out / f"{name}.parquet", schema) as writer:
            for copy in range(k):
                for batch in src.iter_batches(batch_size=batch_rows):
                    frame = pl.from_arrow(batch)
                    assert isinstance(frame, pl.DataFrame)
                    number = pl.col("customer_id").str.slice(1).cast(pl.Int64) + copy * n
                    frame = frame.with_columns(
                        (pl.lit("C") + number.cast(pl.String).str.zfill(8)).alias("customer_id"))
                    writer.write_table(
                        frame.to_arrow(compat_level=pl.CompatLevel.oldest()).cast(schema))
        print(f"  {name:<12} {k} copies  {time.perf_counter() - t0:7.1f} s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--chunk", type=int, default=50_000)
    parser.add_argument("--messy", action="store_true",
                        help="keep duplicated rows and negative corrections")
    parser.add_argument("--copies", type=int,
                        help="write this many renumbered copies of --source instead")
    parser.add_argument("--source", type=Path, help="data folder to copy (with --copies)")
    args = parser.parse_args()
    if args.copies:
        if args.source is None:
            parser.error("--copies needs --source")
        copies(args.source, args.copies, args.out)
        return
    if args.customers is None:
        parser.error("--customers is required (or --copies with --source)")
    write(args.customers, args.out, months=args.months, seed=args.seed, chunk=args.chunk,
          messy=args.messy)


if __name__ == "__main__":
    main()
