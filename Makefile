# The two commands a newcomer needs: `make run` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
WEB_PORT ?= 8000
SANDBOX_PORT ?= 8100
# The suite runs against PostgreSQL: pytest-django creates and drops test_<name> (throwaway).
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/portal
TEST_REDIS_URL ?= redis://127.0.0.1:6379/9
PYTEST_ARGS ?=
export WEB_PORT SANDBOX_PORT

.PHONY: install lock run test lint services browser audit prod-check

install: $(STAMP)

# Installs exactly the pinned, hash-checked set in requirements.lock (P47): a file whose hash
# differs from the lock is refused. Re-installs only when the lock changes, so a second
# `make install` is instant. After editing dependencies in pyproject.toml: `make lock`.
$(STAMP): requirements.lock
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is required ($(PYTHON) not found): sudo apt-get install python3.11 python3.11-venv"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements.lock
	@touch $(STAMP)

# Re-resolve the locks from pyproject.toml (pip-tools in a throwaway venv): requirements.lock is
# runtime + the `dev` extra (what `make install` installs); requirements-prod.lock is the runtime
# set only (what a production host installs, see README "Production"), pinned to the same versions.
lock:
	@test -x $(VENV)-lock/bin/pip-compile || { $(PYTHON) -m venv $(VENV)-lock && $(VENV)-lock/bin/pip install --quiet pip-tools; }
	$(VENV)-lock/bin/pip-compile --quiet --generate-hashes --extra dev --strip-extras \
		--no-emit-index-url --no-emit-find-links -o requirements.lock pyproject.toml
	cp requirements.lock requirements-prod.lock
	$(VENV)-lock/bin/pip-compile --quiet --generate-hashes --strip-extras \
		--no-emit-index-url --no-emit-find-links -o requirements-prod.lock pyproject.toml

services:
	@scripts/ensure-services.sh redis postgres

browser:
	@scripts/ensure-chromium.sh
	@scripts/ensure-axe.sh

run: install
	@scripts/run.sh

# The production stack on this machine (gunicorn, DEBUG off, PostgreSQL, a private Redis, workers,
# beat, the sandbox as Telnyx behind a proxy header): signs in with TOTP, places and vets an order,
# fails on any 5xx or traceback (scripts/prod_check.py; about a minute).
prod-check: install services
	$(BIN)/python scripts/prod_check.py

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	PORTAL_TESTING=1 $(BIN)/mypy portal orders compliance notifications

# Known advisories for the pinned set (OSV); says NOT RUN, not PASS, when OSV is unreachable.
audit:
	@$(PYTHON) scripts/audit-deps.py

test: install services browser lint audit
	PORTAL_TESTING=1 DATABASE_URL=$(TEST_DATABASE_URL) $(BIN)/python manage.py makemigrations --check --dry-run
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(BIN)/python -m pytest $(PYTEST_ARGS)
