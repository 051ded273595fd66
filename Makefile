# WakeDock — the README's commands. `make run` serves, `make test` runs every check and test.
SHELL  := /bin/bash
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.DEFAULT_GOAL := help
.PHONY: help install run serve test test-fast check lint format pytest bench lock clean

include web/web.mk

help:
	@echo "make run      install (first time), migrate and serve on http://127.0.0.1:8000"
	@echo "make test     install, then lint, type-check and run the whole test suite"
	@echo "make install  create $(VENV) and install WakeDock with its pinned dependencies"
	@echo "make test-fast  the edit loop: SQLite only, no browser, fuzz, Redis or server processes"
	@echo "make check    ruff + mypy + import-linter (the layer rule) only"
	@echo "make bench    run the benchmarks (results in bench/RESULTS.md)"
	@echo "make web      build the web UI (Node.js 20+); make client regenerates its API client"

$(STAMP): pyproject.toml requirements.lock
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) not found: install Python 3.11+"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c requirements.lock -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

run: install web-if-node
	$(BIN)/wakedock serve

serve: run

check: install
	$(BIN)/ruff format --check src tests
	$(BIN)/ruff check src tests
	$(BIN)/mypy
	$(BIN)/lint-imports --no-logo

lint: check

format: install
	$(BIN)/ruff format src tests
	$(BIN)/ruff check --fix src tests

# The browser tests drive the built UI, so the UI is built (and unit-tested) first. The suite
# runs under coverage.py (settings in pyproject.toml): the report lists the modules least covered
# first and ends with the total, which must stay above fail_under. pytest's summary line is
# repeated last, so the run still ends with it.
pytest: install web web-test
	rm -f .coverage .coverage.* .pytest-output.log
	set -o pipefail; $(BIN)/coverage run -m pytest | tee .pytest-output.log
	$(BIN)/coverage combine --quiet
	$(BIN)/coverage report
	@tail -n 1 .pytest-output.log

# The edit loop: every test on SQLite, without the browser, fuzz, Redis and server-process tests
# (the markers in pyproject.toml); stops at the first failure. `make test` runs everything.
test-fast: install
	$(BIN)/pytest -x -q -m "not postgres and not redis and not slow and not fuzz" --ignore=tests/web

test: check pytest

# The PostgreSQL targets (bench/postgres.py) run when WAKEDOCK_BENCH_POSTGRES_URL is set; by
# default, on a local wakedock_bench_pg database (created here) when PostgreSQL answers.
BENCH_PG_URL := postgresql+asyncpg://postgres@127.0.0.1:5432/wakedock_bench_pg

bench: install
	@if [ -z "$$WAKEDOCK_BENCH_POSTGRES_URL" ] && pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then \
		psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'wakedock_bench_pg'" | grep -q 1 \
			|| psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE wakedock_bench_pg"; \
		export WAKEDOCK_BENCH_POSTGRES_URL='$(BENCH_PG_URL)'; \
	fi; $(BIN)/python -m bench.run

# Refresh requirements.lock from the current environment after changing pyproject.toml.
lock: install
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^-e ' > requirements.lock

clean:
	rm -rf $(VENV) .coverage .coverage.* .pytest-output.log .pytest_cache .mypy_cache .ruff_cache .import_linter_cache .grimp_cache $(WEB)/node_modules src/wakedock/web/dist
