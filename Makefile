# Bildungsatlas: `make run` serves the portal, `make test` runs the whole suite.
# Both set everything up first: virtual environment, packages, embedded PostgreSQL, data.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export DEBUG ?= true

.PHONY: run test setup venv node data lint check-migrations bench clean-db

# The daily jobs run at start and then every night beside the server (see README).
run: setup
	$(BIN)/python manage.py daily_jobs --loop & \
	trap 'kill $$! 2>/dev/null' EXIT INT TERM; \
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: setup node
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/pytest -n 2 --dist loadgroup

setup: venv data

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

node: node_modules/.installed

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts
	touch $@

# Idempotent: migrating and loading twice changes nothing.
data: venv
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py load_reference
	$(BIN)/python manage.py load_demo

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
