# CryptoCity Pay. `make run` starts everything on embedded defaults; `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck pytest bench setup system-deps devnet-deps clean

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

typecheck: $(STAMP)
	$(VENV)/bin/mypy settlement gateway

pytest: $(STAMP)
	$(PY) -m pytest

test: setup lint typecheck pytest

bench: setup
	$(PY) -m tests.bench.run_all

clean:
	-$(PY) -m gateway devnet down
	-$(PY) -m gateway db stop
	rm -rf .data
