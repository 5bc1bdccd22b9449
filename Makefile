# Portal Musyawarah. The two commands of the README:
#   make run    install everything, migrate, seed the demo, serve at http://127.0.0.1:5000
#   make test   install everything (with Chromium), run the whole suite on SQLite and PostgreSQL
SHELL := /bin/bash
VENV := .venv
FLASK := $(VENV)/bin/flask --app portal
PYTEST := $(VENV)/bin/pytest
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: run setup serve test test-sqlite test-postgres lint format translations bench

run: setup
	$(FLASK) db upgrade
	$(FLASK) demo seed
	$(MAKE) --no-print-directory serve

serve:
	$(FLASK) run --host 127.0.0.1 --port 5000

setup:
	./scripts/setup.sh

test:
	./scripts/setup.sh --test
	$(MAKE) --no-print-directory test-sqlite
	@if [ -n "$$TEST_DATABASE_URL" ] || pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then \
	  $(MAKE) --no-print-directory test-postgres; \
	else echo "PostgreSQL is not reachable at 127.0.0.1:5432: PostgreSQL run skipped"; exit 1; fi

test-sqlite:
	@echo "==> Test suite on SQLite"
	env -u TEST_DATABASE_URL $(PYTEST) -q

test-postgres:
	@echo "==> Test suite on PostgreSQL"
	TEST_DATABASE_URL=$${TEST_DATABASE_URL:-$(PG_URL)} $(PYTEST) -q

lint:
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format:
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Extract the source strings and merge them into the English catalog (then translate it).
translations:
	$(VENV)/bin/pybabel extract --no-location -F babel.cfg -k _l -k lazy_gettext -o portal/translations/messages.pot .
	$(VENV)/bin/pybabel update --no-location -i portal/translations/messages.pot -d portal/translations -l en
	$(VENV)/bin/pybabel compile -d portal/translations

bench:
	$(VENV)/bin/python bench/regions_import.py
