# custvalue — two commands on a fresh machine:  make demo   and   make test
# Each creates .venv on first use and installs only when pyproject.toml changed
# (stamp files keyed on it), so a second run does not reinstall.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
RUNTIME_STAMP := $(VENV)/.installed-runtime
DEV_STAMP     := $(VENV)/.installed-dev
OUT    := out/demo

.PHONY: demo test lint typecheck docs bench report-check samples mutation clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "custvalue needs Python >= 3.11"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUNTIME_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(RUNTIME_STAMP)

# The sample data has duplicated months and negative corrections on purpose: the demo says
# how to treat them (keep the last row, allow corrections); the default is to stop.
TREAT := --duplicates last --negative-energy allow

demo: $(RUNTIME_STAMP)
	$(BIN)/custvalue grade --data data/samples/2022-2024 $(TREAT) --out $(OUT)/2022-2024
	$(BIN)/custvalue grade --data data/samples/2025-2027 $(TREAT) --out $(OUT)/2025-2027 --quiet
	$(BIN)/custvalue compare $(OUT)/2022-2024 $(OUT)/2025-2027 --out $(OUT)/compare
	$(BIN)/custvalue report $(OUT)/2025-2027 --previous $(OUT)/2022-2024 --draws 200 \
	    --monthly data/samples/2025-2027 --complaints data/samples/complaints.example.csv \
	    --out $(OUT)/report.html
	@echo "demo written to $(OUT): grades, comparison of the two windows, report.html"

# pytest runs under scripts/postgres.sh run: it installs Debian's postgresql when missing,
# starts a throw-away server for tests/database/test_postgres.py (CUSTVALUE_TEST_POSTGRES_URI)
# and stops it after pytest, also when tests fail or the run is interrupted.
test: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m mypy
	scripts/postgres.sh run $(BIN)/python -m pytest -q -p no:cacheprovider -n 2 --dist loadfile --durations=20
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

docs: $(DEV_STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

lint: $(DEV_STAMP)
	$(BIN)/ruff check .

# Static types of the package (settings in pyproject.toml [tool.mypy]; also run by `make test`).
typecheck: $(DEV_STAMP)
	$(BIN)/python -m mypy

# Benchmarks at 100k customers (minutes; docs/performance.md has the 1M and 5M commands).
bench: $(DEV_STAMP)
	test -f benchmarks/data/100k/monthly.parquet || \
	    $(BIN)/python benchmarks/make_data.py --customers 100000 --out benchmarks/data/100k
	$(BIN)/python benchmarks/bench_indicators.py check benchmarks/data/100k
	$(BIN)/python benchmarks/bench_indicators.py suite benchmarks/data/100k \
	    --methods custvalue duckdb_sql --repeat 3
	$(BIN)/python benchmarks/bench_grade.py benchmarks/data/100k
	$(BIN)/python benchmarks/bench_validation.py

# Render the reports in headless Chromium, check each page (every section, no sideways
# overflow) and screenshot it: a generated sample with every input, in both languages, and
# the demo's report.  Installs Debian's chromium when missing (needs root and the mirrors).
report-check: demo
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)
	$(BIN)/python scripts/report_check.py --out $(OUT)/report-check
	$(BIN)/python scripts/report_check.py --html $(OUT)/report.html

# Sampled mutation pass over the core modules (CPU-heavy, tens of minutes; not part of
# `make test`).  docs/testing.md has the last figure; MUTANTS/SEED pick the sample.
MUTANTS ?= 120
SEED    ?= 12
mutation: $(DEV_STAMP)
	nice -n 10 $(BIN)/python scripts/mutation.py --mutants $(MUTANTS) --seed $(SEED) \
	    --out out/mutation

samples: $(RUNTIME_STAMP)
	$(BIN)/python -m custvalue.inputs.samples data/samples

clean:
	rm -rf $(VENV) out site .pytest_cache .ruff_cache .hypothesis
