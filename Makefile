# The two commands a newcomer needs:   make run   and   make test
# Everything else here is what those two call.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# Links in e-mails sent by `make run` point at the port it serves, unless SITE_URL is set.
SITE_URL ?= http://127.0.0.1:$(PORT)

.PHONY: run test test-fast setup test-setup lint check bench help lock cluster-proof

help:
	@echo "make run    set up, migrate, load demo data and serve on http://127.0.0.1:$(PORT)/"
	@echo "make test   set up and run the whole test suite"
	@echo "make test-fast  the suite without the slow volume/fault tests and the browser tests"
	@echo "make lint   ruff, import contracts, migrations check, deploy check"
	@echo "make lock   compile pyproject.toml's ranges into requirements.lock (exact, hashed)"
	@echo "make cluster-proof  nginx, 2 web nodes, 2 workers, beat: 300 signatures/s for 3 minutes, cut 4 times"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip uv

# Exact versions, with hashes, from requirements.lock: a fresh clone runs what the tests and
# the benchmark figures ran with. pyproject.toml keeps the ranges (for those who embed the
# apps); `make lock` compiles them into the lock file again after a change.
# Compiled to bytecode once here: every process of a test run (pytest and its xdist workers,
# the celery and manage.py processes tests start) would otherwise compile Django and the rest
# from source at each start where PYTHONDONTWRITEBYTECODE is set.
$(VENV)/.installed: pyproject.toml requirements.lock | $(BIN)/python
	$(BIN)/uv pip sync --quiet --compile-bytecode --python $(BIN)/python --require-hashes requirements.lock
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python --no-deps -e .
	touch $@

setup: $(VENV)/.installed

lock: | $(BIN)/python
	$(BIN)/uv pip compile --quiet --python-version 3.11 --extra dev --generate-hashes \
		--output-file requirements.lock pyproject.toml

run: setup
	$(BIN)/python manage.py migrate --noinput
	SITE_URL='$(SITE_URL)' $(BIN)/python manage.py seed_demo
	SITE_URL='$(SITE_URL)' $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# Browser tests need Debian's chromium and axe-core from npm; .ci/test-setup installs what it can.
test-setup: setup
	@bash .ci/test-setup

# In parallel (pytest-xdist): TEST_WORKERS processes, each with its own test database, cache
# prefix, Celery queues and ports (the rules: tests/conftest.py). The tests wait on SMTP,
# workers, browsers and beats much of the time, hence more processes than cores (3 is not yet
# compared with 2 and 4 on a quiet machine). Tests marked
# `serial` run one after another on a single worker (--dist loadgroup). TEST_WORKERS=0: all in
# one process, as before.
TEST_WORKERS ?= 3
XDIST = -n $(TEST_WORKERS) --dist loadgroup

# The test run keeps the bytecode of the project, of the test modules (as pytest rewrites their
# asserts) and of the plugins' packages (git-ignored __pycache__), even where the environment
# sets PYTHONDONTWRITEBYTECODE: a start of pytest took 20 s of CPU without it, 9 s with it.
test test-fast: export PYTHONDONTWRITEBYTECODE :=

test: test-setup
	$(BIN)/python -m pytest $(XDIST) $(PYTEST_ARGS)

# A few minutes: everything but the volume and fault tests (marked slow) and the browser tests.
test-fast: test-setup
	$(BIN)/python -m pytest $(XDIST) -m "not slow and not browser" $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/python manage.py makemigrations --check --dry-run
	DEBUG=0 SECRET_KEY=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(64))') \
		ALLOWED_HOSTS=idei.example.org $(BIN)/python manage.py check --deploy --fail-level WARNING

bench: setup
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# The reference deployment (deploy/) on this machine, cut while it works: about 6 minutes, 2
# cores, too long for CI's run; bench/README.md has its figures. Needs DATABASE_URL (a PostgreSQL
# server: it makes and drops a database of its own), nginx, redis-server and openssl.
# CLUSTER_ARGS="--rate 100 --seconds 90" for a shorter run.
cluster-proof: setup
	$(BIN)/python bench/cluster.py $(CLUSTER_ARGS)
