# Portal Musyawarah. The README's two commands are scripts/run.sh and scripts/test.sh;
# these targets are shortcuts to them and to the developer chores.
SHELL := /bin/bash
VENV := .venv

.PHONY: run setup test test-sqlite lint typecheck layers check format translations bench screenshots

run:
	./scripts/run.sh

setup:
	./scripts/setup.sh

test:
	./scripts/test.sh

test-sqlite:
	env -u TEST_DATABASE_URL $(VENV)/bin/pytest -q

lint:
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# mypy on portal/ (settings in pyproject.toml's [tool.mypy]).
typecheck:
	$(VENV)/bin/mypy

# The layers: import-linter's contracts in pyproject.toml's [tool.importlinter].
layers:
	$(VENV)/bin/lint-imports --no-cache

# The static checks that scripts/test.sh (and so CI) runs before the tests.
check: lint typecheck layers

format:
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Extract the source strings and merge them into the English catalog (then translate it).
translations:
	$(VENV)/bin/pybabel extract --no-location -F babel.cfg -k _l -k lazy_gettext -o portal/translations/messages.pot .
	$(VENV)/bin/pybabel update -i portal/translations/messages.pot -d portal/translations -l en
	$(VENV)/bin/pybabel compile -d portal/translations

bench:
	$(VENV)/bin/python bench/regions_import.py

screenshots:
	$(VENV)/bin/python scripts/screenshots.py docs/screenshots
