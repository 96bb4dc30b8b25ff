# Maitre: the two commands for a fresh machine are `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed
SCENARIO ?= scenarios/sample-medium.json
PYTEST_ARGS ?=
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_ARGS ?=
# 1 (the default): `make lint` also checks `ruff format`; FORMAT_CHECK=0 skips it.
FORMAT_CHECK ?= 1

.PHONY: install demo test test-fast run lint migrate bench engine-sets clean up db-change-plan

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

migrate: $(STAMP)
	$(PY) manage.py migrate --noinput -v0

demo: migrate
	$(PY) manage.py demo $(SCENARIO) --port $(PORT) $(DEMO_ARGS)

test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

# Everything but the tests marked slow (system, browser, worker processes, multi-process races, > ~3 s).
test-fast: $(STAMP)
	$(PY) -m pytest -m "not slow" $(PYTEST_ARGS)

run: migrate
	$(PY) manage.py runserver $(HOST):$(PORT)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
ifeq ($(FORMAT_CHECK),1)
	$(VENV)/bin/ruff format --check .
endif
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) manage.py check

# The Procfile's topology on Postgres + Redis (honcho): web (gunicorn + uvicorn workers), worker, scheduler.
# Every process writes its metrics under var/metrics; the web's /metrics adds them up.
UP_PORT ?= 8000
UP_METRICS ?= $(CURDIR)/var/metrics
up: $(STAMP)
	@test -n "$$DATABASE_URL" -a -n "$$REDIS_URL" || { echo "make up runs on Postgres + Redis: set DATABASE_URL and REDIS_URL"; exit 2; }
	$(PY) manage.py migrate --noinput -v0
	rm -rf "$(UP_METRICS)" && mkdir -p "$(UP_METRICS)"
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" PROMETHEUS_MULTIPROC_DIR="$(UP_METRICS)" \
	  $(VENV)/bin/honcho start -f Procfile -p $(UP_PORT)

# The DB change plan's dry run: artifacts/db-diff.txt (see docs/operations/db-change-plan.md).
db-change-plan: $(STAMP)
	$(PY) manage.py db_change_plan

bench: $(STAMP)
	$(PY) manage.py bench_engine scenarios/sample-small.json scenarios/sample-medium.json scenarios/sample-large.json

# Issue 15's generated tuning and test days (not committed; docs/benchmarks/engine.md), about 3 minutes.
engine-sets: $(STAMP)
	bench/engine_sets.sh var/engine-sets $(PY)

clean:
	rm -rf var .pytest_cache .hypothesis
