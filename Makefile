# Bail Fund Ledger. `make run` and `make test` work on a machine with only Python 3.11.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# Development environment: DEBUG on, SQLite under var/, tasks in-process. Production sets
# its own variables (see .env.example) and never uses these targets.
DEV_ENV := DEBUG=$${DEBUG:-1}
PYTEST_ARGS ?=

.PHONY: run prod test lint format migrations-check venv dev-deps clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

venv: $(VENV)/.runtime
dev-deps: $(VENV)/.dev

run: $(VENV)/.runtime
	$(DEV_ENV) $(BIN)/python manage.py migrate --noinput
	$(DEV_ENV) $(BIN)/python manage.py seed_demo
	$(DEV_ENV) HOST=$(HOST) PORT=$(PORT) $(BIN)/python scripts/run_dev.py

# Production, on a server or locally: the Procfile's web, worker and beat under honcho,
# configured only by the environment (and a .env file, if there is one: see .env.example
# and docs/operating.md). Refuses to start while `check --deploy` finds a problem;
# DEPLOY_CHECK_LEVEL=ERROR lets a local trial over plain HTTP start with warnings.
DEPLOY_CHECK_LEVEL ?= WARNING
HONCHO := PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho

# Migrations run as the tables' owner (DATABASE_OWNER_URL), which then grants the site's
# own role (DATABASE_URL) only what it needs; the second check proves that role can
# neither rewrite nor truncate the books.
prod: $(VENV)/.runtime
	$(HONCHO) run python manage.py check --deploy --fail-level $(DEPLOY_CHECK_LEVEL)
	$(HONCHO) run python manage.py migrate --database owner --noinput
	$(HONCHO) run python manage.py check --deploy --database default --fail-level $(DEPLOY_CHECK_LEVEL)
	$(HONCHO) run python manage.py collectstatic --noinput
	$(HONCHO) start --no-prefix --no-colour --port $(PORT)

test: $(VENV)/.dev
	$(DEV_ENV) $(BIN)/pytest $(PYTEST_ARGS)

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrations-check: $(VENV)/.dev
	$(DEV_ENV) $(BIN)/python manage.py makemigrations --check --dry-run

clean:
	rm -rf $(VENV) var/db.sqlite3*
