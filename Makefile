# The two commands a newcomer runs: `make run` and `make test` (see README.md).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000

.PHONY: run test lint test-sqlite test-mongodb test-postgresql test-sdk docs clean bench

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.run-deps: requirements.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-deps: requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.run-deps

# The embedded default is a development server: DEBUG on unless the caller says otherwise.
# prepare_embedded records the URL served here for links other commands print (unless
# AUTHSVC_PUBLIC_URL is set), starts the embedded Redis (unless REDIS_URL is set) and migrates.
# The mail worker runs beside the server on the same embedded Redis and stops with it.
run: $(VENV)/.run-deps
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(PY) manage.py prepare_embedded --port $(PORT)
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(PY) manage.py mail_worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(PY) manage.py runserver 127.0.0.1:$(PORT)

# The linters first (ruff; import-linter keeps the apps' one-way layers), then the suite on
# every store: SQLite, MongoDB (SecantusDB unless MONGODB_URI) and PostgreSQL (a cluster the
# tests start with the machine's PostgreSQL unless POSTGRES_URL). The Python SDK's tests
# (clients/python/tests, in pytest.ini's testpaths) run in the SQLite pass only: they test the SDK
# against a live server, not the store; the example backend's test (tests/examples) runs on all three.
# The three passes run side by side (tests/passes.py: each line prefixed with its store, a summary
# at the end); AUTHSVC_TEST_STORES=sqlite,postgresql picks some.
test: lint
	$(PY) -m tests.passes $(PYTEST_ARGS)

lint: $(VENV)/.dev-deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

test-sqlite: $(VENV)/.dev-deps
	AUTHSVC_TEST_STORE=sqlite $(PY) -m pytest $(PYTEST_ARGS)

test-mongodb: $(VENV)/.dev-deps
	AUTHSVC_TEST_STORE=mongodb $(PY) -m pytest $(PYTEST_ARGS)

test-postgresql: $(VENV)/.dev-deps
	AUTHSVC_TEST_STORE=postgresql $(PY) -m pytest $(PYTEST_ARGS)

# The SDK's own suite and the example backend alone (what `make test` runs of them in its SQLite pass).
test-sdk: $(VENV)/.dev-deps
	AUTHSVC_TEST_STORE=sqlite $(PY) -m pytest clients/python/tests tests/examples $(PYTEST_ARGS)

$(VENV)/.bench-deps: bench/requirements.txt $(VENV)/.dev-deps
	$(PY) -m pip install --quiet -r bench/requirements.txt
	touch $@

# Benchmarks (bench/README.md): ~35 minutes on 2 cores (figures 1-7 ~15), BENCH_QUICK=1 ~20 minutes; writes bench/results/latest.*.
# Figure 7 drives the server with wrk, a Debian package: installed here when missing (as root).
bench: $(VENV)/.bench-deps
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk) || echo "wrk is missing (apt-get install wrk): figure 7 will say so"
	$(PY) bench/run.py

# Renders docs/er-diagram.png from the Mermaid source in docs/architecture.md (needs npm and Chromium).
docs: $(VENV)/.run-deps
	npm ci --prefix docs --silent
	$(PY) docs/render_diagrams.py

clean:
	rm -rf $(VENV) var
