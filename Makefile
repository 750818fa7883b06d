# The two set-up commands of the README. Each creates .venv and installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo demo-live test lint bench clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e ".[test,bench]"
	touch $(STAMP)

demo: $(STAMP)  ## 50 orders end to end on SQLite, then a summary
	$(BIN)/shipflow demo --headless --orders 50

demo-live: $(STAMP)  ## the same, then keep serving with a trickle of new orders
	$(BIN)/shipflow demo

test: $(STAMP)  ## the whole suite (PostgreSQL on 127.0.0.1:5432 for the postgres half)
	$(BIN)/python -m pytest -q

bench: $(STAMP)  ## every benchmark, one JSON line each (about 35 minutes)
	$(BIN)/python bench/flash_intake.py
	$(BIN)/python bench/flash_intake.py --postgres
	$(BIN)/python bench/engine_throughput.py --orders 2000
	for w in 1 2 4; do $(BIN)/python bench/engine_throughput.py --orders 2000 --postgres --workers $$w; done
	$(BIN)/python bench/status_lag.py
	for p in standard plus; do $(BIN)/python bench/drain.py --plan $$p; done
	$(BIN)/python bench/chaos.py --check
	$(BIN)/python bench/chaos.py --sqlite --orders 300 --kills 10 --window 90 --waves 15 --check

lint: $(STAMP)  ## ruff, mypy --strict on src/, and the layer contracts (import-linter)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
