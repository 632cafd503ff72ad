# The two commands a newcomer needs:  make run   and   make test
# Each creates .venv (Python 3.11) and installs the project into it on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test install bench mutate fuzz clean

# The project's own modules compiled once installed, as an installed package has them: otherwise
# the first command of a fresh clone, and its first benchmark, compile them as they run (about
# 0.4 s of CPU for all of them).
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m compileall -q -j 0 forecasting jobs reports
	touch $(STAMP)

install: $(STAMP)

# Full pipeline passes on the shipped synthetic sample (ingest, fit, detect, report), one for
# each month that tells one of its stories: May 2025 (the deadliest month on record),
# July 2025 (the 1 July wave in the west, Kayes), August 2025 (what followed). In month order,
# so each alert's lifecycle (new, ongoing, resolved) is the one a weekly service would have seen.
run: $(STAMP)
	$(BIN)/conflictwatch run --as-of 2025-05
	$(BIN)/conflictwatch run --as-of 2025-07
	$(BIN)/conflictwatch run --as-of 2025-08

# Two worker processes, a test file each at a time: module fixtures (a store loaded with the
# sample, the labelled worlds) are built once per file, and each worker has its own PostgreSQL
# database (tests/conftest.py), so the halves never meet.
test: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

# Debian's chromium for the HTML report's browser test (Playwright drives it; no browser download).
browser:
	command -v chromium >/dev/null 2>&1 || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium)

# The fuzz suite with many more (and fresh) examples than `make test` runs: a few minutes.
fuzz: $(STAMP)
	CONFLICTWATCH_FUZZ=long $(BIN)/python -m pytest -q tests/jobs/test_fuzz.py

# Every benchmark, each timed against a reference in the same run (docs/benchmarks.md); about
# 7 minutes of CPU on two quiet cores by the figures there (the target is under 10).
bench: $(STAMP)
	$(BIN)/python benchmarks/ingest.py --rows 300000
	$(BIN)/python benchmarks/detect.py --skip-quality
	$(BIN)/python benchmarks/backfill.py
	$(BIN)/python benchmarks/backfill.py --history 1997-01 --compare 1
	$(BIN)/python benchmarks/report.py --repeat 3
	$(BIN)/python benchmarks/fit.py --prophet-sample 5
	$(BIN)/python benchmarks/pull.py

# Mutation testing of the core modules, one at a time (docs/developers.md): make mutate [MODULES="outbox pulls"]
MUTATE_STAMP := $(VENV)/.mutate-stamp
$(MUTATE_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,mutate]'
	touch $(MUTATE_STAMP)

mutate: $(MUTATE_STAMP)
	nice -n 10 $(BIN)/python tests/mutation.py $(MODULES)

clean:
	rm -rf $(VENV) conflictwatch.db out .pytest_cache .mutate
