# make run: set up .venv if needed, run the workflow on the demo cohort, write results/report.html.
# make test: set up .venv if needed, run the test suite (make test-fast: unit tests only).
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed-stamp
CORES ?= all
PYTHON ?= python3
export PATH := $(BIN):$(PATH)

.PHONY: run test test-fast lint clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

run: $(STAMP)
	snakemake --cores $(CORES)
	snakemake --report results/report.html

# Two workers: the end-to-end runs leave a core idle most of the time (tests/conftest.py orders the modules).
PYTEST_WORKERS := -n 2 --dist loadscope --no-loadscope-reorder

test: $(STAMP)
	pytest $(PYTEST_WORKERS)

test-fast: $(STAMP)
	pytest $(PYTEST_WORKERS) -m "not workflow and not slow"

lint: $(STAMP)
	ruff check .
	snakemake --lint

clean:
	rm -rf results .snakemake
