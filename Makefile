# One command sets everything up and runs the app; one sets everything up and runs the tests.
# Without DATABASE_URL / REDIS_URL, both start an embedded PostgreSQL and Redis (see README).

-include .env
export

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
EMBEDDED := $(BIN)/python -m clinic.lib.embedded --
PYTEST_ARGS ?=

.PHONY: run test lint format migrations-check check check-deploy install browser demo bench seed-scale clean-data

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

## make run: the app on http://127.0.0.1:8000 with a Celery worker and beat (Ctrl-C stops all).
run: export DEBUG ?= 1
run: $(STAMP)
	$(EMBEDDED) sh -c '$(BIN)/python manage.py migrate --noinput && \
		$(BIN)/python manage.py seed_demo && \
		echo "The clinic app is at http://127.0.0.1:8000 (Ctrl-C stops it)" && \
		PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start -f Procfile'

## make test: the whole suite (unit, integration, browser) against real PostgreSQL and Redis.
test: export SECRET_KEY ?= test-only-secret-key-not-for-production
test: $(STAMP) browser
	$(EMBEDDED) sh -c '$(BIN)/python manage.py collectstatic --noinput -v0 && \
		$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)'

## Debian's Chromium drives the browser tests; Playwright cannot download a browser here.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "Installing Debian's chromium for the browser tests"; \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium; \
		else sudo apt-get update -qq && sudo apt-get install -y -qq chromium; fi; }

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

migrations-check: export SECRET_KEY ?= migrations-check-key
migrations-check: $(STAMP)
	$(EMBEDDED) $(BIN)/python manage.py makemigrations --check --dry-run

check: export SECRET_KEY ?= check-key
check: $(STAMP)
	$(EMBEDDED) $(BIN)/python manage.py check

## The production settings pass Django's deployment checks (DEBUG off, HTTPS, cookies, HSTS).
check-deploy: $(STAMP)
	env -u DEBUG SECRET_KEY="$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
		ALLOWED_HOSTS=clinic.example.org $(EMBEDDED) $(BIN)/python manage.py check --deploy --fail-level WARNING

## make seed-scale: a clinic of PATIENTS patients (default 50,000) for the benchmark.
PATIENTS ?= 50000
SEED ?= 7
seed-scale: export SECRET_KEY ?= seed-scale-key
seed-scale: $(STAMP)
	$(EMBEDDED) sh -c '$(BIN)/python manage.py migrate --noinput -v0 && \
		$(BIN)/python manage.py seed_scale --patients $(PATIENTS) --seed $(SEED)'

## make bench: every page's p50/p95/p99, requests/s and queries next to the floor (clinic/scale/bench.py).
BENCH_ARGS ?=
bench: $(STAMP)
	$(EMBEDDED) sh -c 'SECRET_KEY=$${SECRET_KEY:-collectstatic-only} $(BIN)/python manage.py collectstatic --noinput -v0 && \
		$(BIN)/python -m clinic.scale.bench $(BENCH_ARGS)'

clean-data:
	rm -rf .data
