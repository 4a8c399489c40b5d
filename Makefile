# Bildungsatlas: `make run` serves the portal, `make test` runs the whole suite, `make serve`
# serves it in production. They set everything up first: virtual environment, packages,
# embedded PostgreSQL (unless DATABASE_URL names a server), data.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export DEBUG ?= true

.PHONY: run serve test setup venv node browser tools redis data lint check-migrations bench clean-db

# The daily jobs run at start and then every night beside the server, and a worker runs the
# background jobs (imports) queued in the database (see README).
run: setup
	$(BIN)/python manage.py daily_jobs --loop & jobs=$$!; \
	PGAPPNAME=bildungsatlas-worker $(BIN)/python manage.py db_worker --interval 1 & worker=$$!; \
	trap 'kill $$jobs $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# Production on one machine (README "Running in production"): DEBUG off, the database migrated
# and the reference data loaded (never the demo data), the static files collected; then gunicorn
# with deploy/gunicorn.conf.py on 127.0.0.1:$(PORT) and beside it the job worker and the
# scheduler, as deploy/systemd runs them. Ctrl-C stops all three. Without SECRET_KEY it uses the
# key kept in the data directory (made on first use; atlas/serving.py); ALLOWED_HOSTS defaults
# to this machine's own names. Readiness counts the workers by their PGAPPNAME (atlas/health.py).
serve: export DEBUG := false
serve: export ALLOWED_HOSTS ?= localhost,127.0.0.1,[::1]
serve: venv
	key=$$($(BIN)/python -m atlas.serving secret-key) || exit 1; export SECRET_KEY="$$key"; \
	$(BIN)/python manage.py migrate --no-input && \
	$(BIN)/python manage.py load_reference && \
	$(BIN)/python manage.py collectstatic --no-input -v 0 || exit 1; \
	PGAPPNAME=bildungsatlas-scheduler $(BIN)/python manage.py daily_jobs --loop & jobs=$$!; \
	PGAPPNAME=bildungsatlas-worker $(BIN)/python manage.py db_worker & worker=$$!; \
	trap 'kill $$jobs $$worker 2>/dev/null' EXIT INT TERM; \
	PGAPPNAME=bildungsatlas-web PORT=$(PORT) $(BIN)/gunicorn -c deploy/gunicorn.conf.py

test: browser tools redis setup node
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

# Tools from Debian the tests need: they fail without them, they never skip. As root with
# apt-get (a CI container) a missing one is installed here; otherwise make stops and names the
# command. $(call debian_tool,PATH,PACKAGE,WHAT NEEDS IT)
define debian_tool
	@if [ ! -x $(1) ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing $(2) (apt-get install $(2)) ..."; \
	    apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(2) >/dev/null || exit 1; \
	  fi; \
	  if [ ! -x $(1) ]; then \
	    echo "$(3) need $(2) at $(1). Install it with:" >&2; \
	    echo "" >&2; \
	    echo "    sudo apt-get install $(2)" >&2; \
	    echo "" >&2; \
	    exit 1; \
	  fi; \
	fi
endef

CHROMIUM := /usr/bin/chromium
WRK := /usr/bin/wrk
NGINX := /usr/sbin/nginx
OPENSSL := /usr/bin/openssl

# The browser tests drive Debian's Chromium.
browser:
	$(call debian_tool,$(CHROMIUM),chromium,The browser tests)

# The load benchmark (manage.py benchmark_load) and its tests run wrk; the tests of deploy/ run
# the nginx site (nginx -t, then in front of gunicorn) with a certificate made by openssl.
tools:
	$(call debian_tool,$(WRK),wrk,The load benchmark and its tests)
	$(call debian_tool,$(NGINX),nginx,The tests of the nginx site in deploy/)
	$(call debian_tool,$(OPENSSL),openssl,The tests of the nginx site in deploy/)

# The shared-state tests start their own Redis server (tests/atlas/test_shared_state.py).
REDIS := /usr/bin/redis-server
redis:
	$(call debian_tool,$(REDIS),redis-server,The shared-state tests)

# Idempotent: migrating and loading twice changes nothing. The demo is loaded only into the
# embedded database, and only while it is empty or holds nothing but demo and synthetic data;
# otherwise (and always with DATABASE_URL set) one line says why and nothing is written
# (README "Demo data and accounts"). migrate creates the cache table too.
data: venv
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py load_reference
	$(BIN)/python manage.py load_demo --if-demo-only

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
