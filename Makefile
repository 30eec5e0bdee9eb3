# aligned: two commands on a fresh machine with Python 3.11 — `make demo` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test install bench spark-check screenshot clean

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "make: $(PYTHON) not found; install Python 3.11 or run make PYTHON=/path/to/python3.11"; exit 2; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/aligned demo

test: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider

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
	rm -rf data/*.duckdb data/*.wal data/dbt_target data/dbt_logs reports
