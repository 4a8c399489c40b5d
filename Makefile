# Bildungsatlas: `make run` serves the portal, `make test` runs the whole suite.
# Both set everything up first: virtual environment, packages, embedded PostgreSQL, data.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export DEBUG ?= true

.PHONY: run test setup venv node browser tools data lint check-migrations bench clean-db

# The daily jobs run at start and then every night beside the server (see README).
run: setup
	$(BIN)/python manage.py daily_jobs --loop & \
	trap 'kill $$! 2>/dev/null' EXIT INT TERM; \
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: browser tools setup node
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

# The browser tests drive Debian's Chromium; they fail without it, they never skip. As root
# with apt-get (a CI container) it is installed here; otherwise make stops and names the command.
CHROMIUM := /usr/bin/chromium

browser:
	@if [ ! -x $(CHROMIUM) ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Chromium for the browser tests (apt-get install chromium) ..."; \
	    apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null || exit 1; \
	  fi; \
	  if [ ! -x $(CHROMIUM) ]; then \
	    echo "The browser tests need Chromium at $(CHROMIUM). Install it with:" >&2; \
	    echo "" >&2; \
	    echo "    sudo apt-get install chromium" >&2; \
	    echo "" >&2; \
	    exit 1; \
	  fi; \
	fi

# The load benchmark's tests run wrk (manage.py benchmark_load); they fail without it, they
# never skip. Installed like Chromium: as root with apt-get here, otherwise make names the command.
WRK := /usr/bin/wrk

tools:
	@if [ ! -x $(WRK) ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing wrk for the load benchmark (apt-get install wrk) ..."; \
	    apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null || exit 1; \
	  fi; \
	  if [ ! -x $(WRK) ]; then \
	    echo "The load benchmark and its tests need wrk at $(WRK). Install it with:" >&2; \
	    echo "" >&2; \
	    echo "    sudo apt-get install wrk" >&2; \
	    echo "" >&2; \
	    exit 1; \
	  fi; \
	fi

# Idempotent: migrating and loading twice changes nothing.
data: venv
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py load_reference
	$(BIN)/python manage.py load_demo

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
