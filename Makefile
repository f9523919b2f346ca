# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip

.PHONY: run test test-fast setup lint messages clean

# The venv is rebuilt only when a requirements file changes.
$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@

setup: $(VENV)/.installed
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_units
	$(PY) manage.py seed_demo
	$(PY) manage.py ensure_schedules

run: setup
	@scripts/run-local.sh

test: $(VENV)/.installed
	$(VENV)/bin/pytest

# A quick loop while working (under 2 minutes): no browser, no services or worker
# processes, no slow tests. `make test` (and CI) still runs everything.
test-fast: $(VENV)/.installed
	$(VENV)/bin/pytest -m "not slow and not browser and not services"

# Exactly the "lint and migrations" step of .ci/run; keep the two in step.
lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) manage.py spectacular --validate --fail-on-warn --file /dev/null

# Rebuild the committed .mo files after editing locale/*/LC_MESSAGES/django.po (needs gettext).
messages: $(VENV)/.installed
	$(PY) manage.py makemessages -l en --ignore=.venv --ignore=var --ignore=static --ignore=bench --ignore=tests
	$(PY) manage.py compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) var db.sqlite3 staticfiles
