# CoopCare. `make run` to try it, `make test` to test it. Nothing else is needed.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000
# Login limits must be counted in one place for all workers. `make run` uses Redis when
# one answers on 127.0.0.1:6379 (database 0) and then starts 2 workers; without Redis it
# counts in memory and starts 1 worker with 4 threads, so the limits still hold.
ifeq ($(origin RATELIMIT_STORAGE_URI),undefined)
RATELIMIT_STORAGE_URI := $(shell $(PYTHON) -c "import socket; socket.create_connection(('127.0.0.1', 6379), 0.5); print('redis://127.0.0.1:6379/0')" 2>/dev/null)
endif
ifeq ($(strip $(RATELIMIT_STORAGE_URI)),)
WORKERS ?= 1
else
WORKERS ?= 2
endif
export RATELIMIT_STORAGE_URI
export FLASK_APP := wsgi.py

.PHONY: run serve install install-test test test-fast bench bench-load lint typecheck geo-cache clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

## run: install, migrate, seed demo data if empty, serve on http://$(HOST):$(PORT)
run: install
	$(BIN)/python -m marketplace.geo build
	$(BIN)/flask db upgrade
	$(BIN)/flask vocabulary sync
	$(BIN)/flask seed-demo --if-empty
	@echo "CoopCare is at http://$(HOST):$(PORT)/ (Ctrl+C to stop)"
	@echo "Rate limits: $(or $(RATELIMIT_STORAGE_URI),memory://) with $(WORKERS) worker(s)"
	$(BIN)/gunicorn --bind $(HOST):$(PORT) --workers $(WORKERS) --threads 4 --access-logfile - wsgi:app

# The suite runs on pytest-xdist workers, one per CPU core (at most TEST_MAX_WORKERS), each
# with its own database, servers and folders (tests/parallel.py). TEST_WORKERS=0: one process.
TEST_WORKERS ?= auto
TEST_MAX_WORKERS ?= 4
XDIST := -n $(TEST_WORKERS) $(if $(filter 0,$(TEST_WORKERS)),,--maxprocesses=$(TEST_MAX_WORKERS) --dist loadgroup)

## test: install test tools and run the whole suite (browser tests too, when Chromium is here)
test: install-test
	$(BIN)/python -m pytest $(XDIST) --cov --cov-branch --cov-report=term:skip-covered $(PYTEST_ARGS)

test-fast: install-test
	$(BIN)/python -m pytest $(XDIST) -m "not e2e" -q $(PYTEST_ARGS)

## bench: performance figures (geocoder, matching engine)
bench: install-test
	$(BIN)/python benchmarks/geo.py
	$(BIN)/python benchmarks/matching.py $(BENCH_ARGS)
	$(BIN)/python benchmarks/catalog.py  # needs PostgreSQL (BENCH_DATABASE_URL)

## bench-load: the web tier against hello world under gunicorn (PostgreSQL, wrk)
bench-load: install-test
	@command -v wrk >/dev/null || apt-get install -y wrk
	$(BIN)/python benchmarks/load.py $(BENCH_ARGS)  # BENCH_DATABASE_URL: a scratch database

lint: install-test
	$(BIN)/ruff check marketplace matching payments tests benchmarks
	$(BIN)/ruff format --check marketplace matching payments tests benchmarks

typecheck: install-test
	$(BIN)/mypy --strict matching payments

geo-cache: install
	$(BIN)/python -m marketplace.geo build

clean:
	rm -rf $(VENV) .pytest_cache .coverage htmlcov
