# The two commands: `make demo` and `make test`. See README.md.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test test-sqlite test-dates test-postgres bench faults load lint layers format install clean schema

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

$(VENV)/.installed-bench: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e ".[bench]"
	touch $@

install: $(VENV)/.installed

# The demo is served as a newcomer should see it: DEBUG off (the platform's own 404/500 pages, static files by
# whitenoise), certificates' QR codes pointing at the address it serves on, a secret kept in .demo-secret.
DEMO_ENV = DEBUG=0 SECURE_COOKIES=0 SITE_URL=http://$(HOST):$(PORT) ALLOWED_HOSTS=$(HOST),127.0.0.1,localhost \
	SECRET_KEY="$$(cat .demo-secret)"

.demo-secret: | $(BIN)/python
	$(BIN)/python -c "import secrets; print(secrets.token_urlsafe(50))" > $@

demo: $(VENV)/.installed .demo-secret
	$(DEMO_ENV) $(BIN)/python manage.py migrate --no-input
	$(DEMO_ENV) $(BIN)/python manage.py demo
	$(DEMO_ENV) $(BIN)/python manage.py collectstatic --no-input --verbosity 0
	@echo "Serving on http://$(HOST):$(PORT)/  (Ctrl+C stops)"
	$(DEMO_ENV) $(BIN)/python manage.py runserver --noreload $(HOST):$(PORT)

# The whole suite on SQLite, the date-sensitive tests again at hard dates (scripts/test_dates.py), then the
# whole suite on a real PostgreSQL (a throwaway cluster, or DATABASE_URL).
test: $(VENV)/.installed-test
	$(MAKE) --no-print-directory layers
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-dates
	$(MAKE) --no-print-directory test-postgres

test-sqlite: $(VENV)/.installed-test
	env -u DATABASE_URL $(BIN)/python scripts/run_pytest.py $(PYTEST_ARGS)

test-dates: $(VENV)/.installed-test
	env -u DATABASE_URL $(BIN)/python scripts/test_dates.py $(PYTEST_ARGS)

test-postgres: $(VENV)/.installed-test
	$(BIN)/python scripts/with_postgres.py $(BIN)/python scripts/run_pytest.py $(PYTEST_ARGS)

# Benchmarks on a throwaway PostgreSQL (BENCH_* variables size them; see README), into bench/results/.
bench: $(VENV)/.installed-bench
	$(BIN)/python scripts/with_postgres.py $(BIN)/python -m bench.run

# Crash fault injection (bench/faults.py): a durable throwaway PostgreSQL of its own, gunicorn and the task worker
# SIGKILLed at random while clients drive FAULTS_LIFECYCLES lifecycles of each state machine through the API,
# then the invariants by queries (manage.py check_invariants); a few minutes with this small count (the bench's
# section 12 runs 300). Results in bench/results/<date>-faults.md; exit 1 on any violation.
FAULTS_LIFECYCLES ?= 24
faults: $(VENV)/.installed
	FAULTS_LIFECYCLES=$(FAULTS_LIFECYCLES) $(BIN)/python -m bench.faults

# Pages under load (bench/load.py): the demo world scaled up (LOAD_APPLICATIONS, LOAD_ENTERPRISES) on a durable
# throwaway PostgreSQL of its own, gunicorn and the task worker on 127.0.0.1, LOAD_USERS virtual users of every
# role (locust) for LOAD_SECONDS, then the same users on a trivial view; results in
# bench/results/<date>-load.md (the bench's section 13). About half an hour with the defaults, most of it the demo.
load: $(VENV)/.installed-bench
	$(BIN)/python -m bench.load

# The committed OpenAPI schema of /api/v1/ (a test fails when it is out of date).
schema: $(VENV)/.installed
	$(BIN)/python manage.py spectacular --lang en --validate --fail-on-warn --file docs/api/openapi.yaml

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(MAKE) --no-print-directory layers

# The import contracts of pyproject.toml: the layers of docs/architecture.md.
layers: $(VENV)/.installed-test
	$(BIN)/lint-imports

format: $(VENV)/.installed-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) staticfiles test-artifacts .pytest_cache .demo-secret
