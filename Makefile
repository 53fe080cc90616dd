# Two commands: `make run` (the whole product on the embedded default) and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
HOST ?= 127.0.0.1
# Local runs: DEBUG on, so a secret key is generated under var/ and static files
# are served from the source folders. Production sets its own environment.
export DEBUG ?= true

.PHONY: run test test-suite lint check migrate seed install install-dev messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed-runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@ $(VENV)/.installed-runtime

install: $(VENV)/.installed-runtime
install-dev: $(VENV)/.installed-dev

migrate: install
	$(BIN)/python manage.py migrate --no-input

seed: migrate
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py scan_reminders

# honcho hands each process a PORT of its own (worker 8100, beat 8200): SITE_PORT keeps the
# web's, so links in e-mails (SITE_URL, unless set) point at this server (portal/env.py).
run: seed
	@echo ""
	@echo "  AI governance portal: http://$(HOST):$(PORT)/"
	@echo "  Demo logins (user / password):"
	@echo "    requester / demo-requester-2026   (marketing requester)"
	@echo "    sales     / demo-sales-2026       (sales requester)"
	@echo "    reviewer  / demo-reviewer-2026    (IT reviewer)"
	@echo "    executive / demo-executive-2026   (executive)"
	@echo "    admin     / demo-admin-2026       (governance admin, Django admin)"
	@echo "  Ctrl-C stops web, worker and beat."
	@echo ""
	PATH="$(CURDIR)/$(BIN):$$PATH" PORT=$(PORT) HOST=$(HOST) SITE_PORT=$(PORT) $(BIN)/honcho start --no-prefix -f Procfile

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

check: install-dev
	$(BIN)/python manage.py check
	$(BIN)/python manage.py makemigrations --check --dry-run

test: lint check test-suite

# The pytest suite alone (.ci/run's second database run, after `make test` ran lint and checks).
test-suite: install-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Refresh translation catalogues (needs GNU gettext) and compile them (committed).
messages: install-dev
	$(BIN)/python manage.py makemessages -l ja --no-obsolete --ignore=.venv --ignore=var --ignore=tests --ignore=test-artifacts
	$(BIN)/python manage.py compilemessages --ignore=.venv

clean:
	rm -rf var
