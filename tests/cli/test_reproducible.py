"""Two processes, one result: ``custvalue grade`` run twice in fresh interpreters with a
different hash seed and different thread counts (OpenMP, OpenBLAS, polars) writes the same
bytes to ``grades.parquet`` and ``grades.csv``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import custvalue.inputs.samples as samples

SRC = Path(__file__).resolve().parents[2] / "src"


def _grade(data: Path, out: Path, hash_seed: str, threads: str) -> None:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed, "OMP_NUM_THREADS": threads,
           "OPENBLAS_NUM_THREADS": threads, "MKL_NUM_THREADS": threads,
           "POLARS_MAX_THREADS": threads,
           "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
    subprocess.run([sys.executable, "-m", "custvalue", "grade", "--data", str(data),
                    "--duplicates", "last", "--negative-energy", "allow", "--out", str(out),
                    "--quiet"], env=env, check=True, capture_output=True, text=True)


def test_two_processes_write_identical_grades(tmp_path):
    data = tmp_path / "data"
    samples.write_tables(samples.generate(150, months=24, seed=3), data)
    _grade(data, tmp_path / "a", hash_seed="1", threads="1")
    _grade(data, tmp_path / "b", hash_seed="4242", threads="2")
    for name in ("grades.parquet", "grades.csv"):
        a = (tmp_path / "a" / name).read_bytes()
        b = (tmp_path / "b" / name).read_bytes()
        assert len(a) > 1000, name
        assert a == b, name
