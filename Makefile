# CryptoCity Pay. `make run` starts everything on embedded defaults; `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Import contracts `make lint` enforces (pyproject.toml [tool.importlinter]).
IMPORT_CONTRACTS ?= pyproject.toml

.PHONY: run test test-fast lint typecheck pytest bench chaos setup system-deps \
	devnet-deps clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

system-deps:
	bash deploy/setup-system.sh

devnet-deps:
	bash deploy/devnet/install.sh

setup: system-deps $(STAMP) devnet-deps

run: setup
	$(PY) -m gateway run

lint: $(STAMP)
	$(VENV)/bin/ruff check gateway settlement tests
	$(VENV)/bin/lint-imports --no-cache --no-logo $(IMPORT_CONTRACTS)

typecheck: $(STAMP)
	$(VENV)/bin/mypy settlement gateway

pytest: $(STAMP)
	$(PY) -m pytest

test: setup lint typecheck pytest

# The sub-minute lane: everything but the tests marked slow (real nodes, browser, subprocesses).
test-fast: $(STAMP)
	$(PY) -m pytest -m "not slow"

bench: setup
	$(PY) -m tests.bench.run_all

# The chaos run (tests/chaos): CHAOS_INVOICES invoices (500 here; `make test` runs 50) paid on
# the devnets while gateway processes are SIGKILLed and BNB Chain reorgs; prints the counts.
CHAOS_INVOICES ?= 500
chaos: setup
	CHAOS_INVOICES=$(CHAOS_INVOICES) $(PY) -m tests.chaos.run

clean:
	-$(PY) -m gateway devnet down
	-$(PY) -m gateway db stop
	rm -rf .data
