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

.PHONY: install run test lint services browser

install: $(STAMP)

# Re-installs only when pyproject.toml changes, so a second `make install` is instant.
$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is required ($(PYTHON) not found): sudo apt-get install python3.11 python3.11-venv"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

services:
	@scripts/ensure-services.sh redis postgres

browser:
	@scripts/ensure-chromium.sh

run: install
	@scripts/run.sh

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	PORTAL_TESTING=1 $(BIN)/mypy portal orders compliance

test: install services browser lint
	PORTAL_TESTING=1 DATABASE_URL=$(TEST_DATABASE_URL) $(BIN)/python manage.py makemigrations --check --dry-run
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(BIN)/python -m pytest $(PYTEST_ARGS)
