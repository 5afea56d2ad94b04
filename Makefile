# The two commands of the README: `make run` and `make test`. Both set up .venv on first use.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.requirements-installed

.PHONY: run demo test test-sqlite lint format worker bench

$(STAMP): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $(STAMP)

run: $(STAMP)  ## serve StockGuard on http://127.0.0.1:5000 (SQLite, in-process jobs)
	$(PY) app.py

demo: $(STAMP)  ## the demo: sandbox stores and ad platforms, simulate page at /demo
	$(PY) app.py --demo

test: $(STAMP)  ## lint, then the whole suite on PostgreSQL + Redis + RQ workers
	$(PY) -m ruff check .
	$(PY) -m pytest

test-sqlite: $(STAMP)  ## the suite on SQLite (tests that need PostgreSQL or Redis skip)
	STOCKGUARD_TEST_DB=sqlite $(PY) -m pytest

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: $(STAMP)
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

worker: $(STAMP)  ## an RQ worker (needs REDIS_URL and the production environment)
	$(PY) app.py worker
