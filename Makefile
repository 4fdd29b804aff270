# Boardroom developer commands. The first run installs everything (Python venv, npm packages,
# the system packages the browser tests and PDF rendering need); later runs only re-install
# when requirements*.txt or package-lock.json change.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
# Extra pytest arguments, e.g. `make test PYTEST_ARGS="-k policy -x"`.
PYTEST_ARGS ?=

PY_STAMP := $(VENV)/.installed-requirements
NPM_STAMP := node_modules/.installed-lock
NPM_INPUTS := package.json $(wildcard package-lock.json)

# The embedded run: nothing from the developer's shell may switch a service on.
EMBEDDED := env -u DATABASE_URL -u REDIS_URL -u S3_ENDPOINT_URL -u S3_BUCKET -u S3_ACCESS_KEY_ID \
	-u S3_SECRET_ACCESS_KEY -u S3_REGION -u S3_PREFIX -u BOARDROOM_TASKS

.PHONY: help setup system-deps run test test-services lint bench bench-quick mutate clean

help:
	@echo "make run            install what is missing, migrate, load the demo data, serve on http://$(HOST):$(PORT)/"
	@echo "make test           the whole test suite, embedded (SQLite, in-memory channel layer, files on disk)"
	@echo "make test-services  the same suite on PostgreSQL, Redis and an S3 API (moto's S3 server)"
	@echo "make lint           eslint and the JS unit tests, ruff, mypy, bandit, pip-audit, make bench-quick"
	@echo "make bench          run every bench (python -m bench.<name>) and print its figures"
	@echo "make bench-quick    every bench's short run: fails on a crash, prints an unmet target"
	@echo "make mutate         mutation run over the access rules (slow, not in CI); writes docs/mutation.md"
	@echo "make clean          remove the venv, node_modules and caches (keeps var/, your local data)"

$(PY):
	$(PYTHON) -m venv $(VENV)

$(PY_STAMP): requirements.txt requirements-dev.txt | $(PY)
	@echo "Installing Python requirements into $(VENV) ..."
	bash scripts/pip-install.sh $(VENV) requirements-dev.txt
	@touch $@

$(NPM_STAMP): $(NPM_INPUTS)
	@echo "Installing front-end packages (htmx, PDF.js) into node_modules ..."
	@# The optional dependency of pdfjs-dist (a canvas for Node) is never used: PDF.js runs in the browser.
	if [ -f package-lock.json ]; then npm ci --omit=optional --no-audit --no-fund; \
	else npm install --omit=optional --no-audit --no-fund; fi
	@touch $@

system-deps:
	@bash scripts/system-deps.sh

setup: system-deps $(PY_STAMP) $(NPM_STAMP)

run: setup
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@# Tasks (upload checks, pack builds) run after the request in a background thread, as a
	@# worker runs them in production: a page never waits for a pack build.
	BOARDROOM_DEBUG=1 BOARDROOM_TASKS=$${BOARDROOM_TASKS:-thread} $(PY) manage.py runserver $(HOST):$(PORT)

test: setup
	$(EMBEDDED) $(VENV)/bin/pytest $(PYTEST_ARGS)

test-services: setup
	VENV=$(VENV) bash scripts/test-services.sh $(PYTEST_ARGS)

lint: $(PY_STAMP) $(NPM_STAMP)
	npx --no-install eslint static/js tests/js eslint.config.mjs
	node --test tests/js/
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .
	$(VENV)/bin/bandit -q -c pyproject.toml -r boardroom meetings documents
	VENV=$(VENV) bash scripts/audit-deps.sh
	$(MAKE) --no-print-directory bench-quick

# Each bench runs as a module (python -m bench.<name>) from the repository root, so no file in
# bench/ can shadow an app. The runner exits non-zero when a bench crashes; an unmet target is
# printed in its BENCH line. Pass BENCH_ARGS="pack search" to run only some.
BENCH_ARGS ?=

bench: setup
	$(PY) -m bench $(BENCH_ARGS)

bench-quick: setup
	$(PY) -m bench --quick $(BENCH_ARGS)

# Breaks each access rule in turn, in a copy of the tree, and runs the tests that guard it
# (docs/mutation.md). Too slow for CI; run it after changing the policy or a selector.
mutate: setup
	$(EMBEDDED) $(PY) scripts/mutate.py --report docs/mutation.md

clean:
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache staticfiles
	find . -path ./var -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
