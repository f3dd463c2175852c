# Quick start: `make run` and `make test` on a fresh machine; each creates .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint format fuzz clean bench bench-quick console-screenshot multinode

$(BIN)/deconflict: pyproject.toml
	@sh scripts/prerequisites.sh venv
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --editable '.[dev]'
	touch $@

# The At Tanf story through the real API, then that line served on 127.0.0.1:8000 until Ctrl-C.
run: $(BIN)/deconflict
	$(BIN)/deconflict demo --keep . --serve

lint: $(BIN)/deconflict
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

test: prerequisites lint
	$(BIN)/python -m pytest -q

# Every pair of shape kinds against the oracle, 2,000 examples a pair (the suite runs 100).
FUZZ_EXAMPLES ?= 2000
fuzz: $(BIN)/deconflict
	DECONFLICT_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest -q tests/geo/test_every_pair.py tests/geo/test_sketch.py

format: $(BIN)/deconflict
	$(BIN)/ruff format src tests
	$(BIN)/ruff check --fix src tests

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis

# Every benchmark, the concurrency test's 1,000 rounds on each store and three runs of the fan-out
# to 1,000 consoles under write load among them; the figures are printed and written to
# docs/BENCHMARKS.md.
bench: $(BIN)/deconflict
	$(BIN)/python -m pip install --quiet --editable '.[dev,bench]'
	$(BIN)/python -m benchmarks.run

bench-quick: $(BIN)/deconflict
	$(BIN)/python -m pip install --quiet --editable '.[dev,bench]'
	$(BIN)/python -m benchmarks.run --quick

# Conflicting pairs sent to three API nodes at once, 1,000 rounds on each store (the suite runs
# 100): three node processes on one PostgreSQL database, three uvicorn workers over one SQLite
# file; each pair told once, nothing lost, the record checks. Prints rounds, requests, seconds
# and requests/s on each store.
MULTINODE_ROUNDS ?= 1000
multinode: prerequisites $(BIN)/deconflict
	DECONFLICT_MULTINODE_ROUNDS=$(MULTINODE_ROUNDS) $(BIN)/python -m pytest -q -s tests/multinode/test_concurrent_writes.py

# Retake docs/console.png (the README's picture) and docs/console-phone.png from the browser
# tests of the At Tanf story.
console-screenshot: prerequisites $(BIN)/deconflict
	DECONFLICT_CONSOLE_SCREENSHOT=1 $(BIN)/python -m pytest -q tests/e2e/test_console_flow.py -k objected
	DECONFLICT_CONSOLE_SCREENSHOT=1 $(BIN)/python -m pytest -q "tests/e2e/test_console_screens.py::test_every_screen_fits_its_width_keeps_every_control_in_reach_and_passes_axe[phone-en]"

# What the tests need from the machine (Debian's chromium, PostgreSQL's server binaries):
# installed with apt-get when make runs as root, else the command to run is printed.
.PHONY: prerequisites
prerequisites:
	@sh scripts/prerequisites.sh test
