# Parley — the two commands that matter: `make up` (run the fleet) and `make test` (run the tests).
# Everything they need is installed by the targets below; nothing has to be set up by hand.

SHELL := /bin/bash
UV_VERSION := 0.13.9
UV := $(shell command -v uv 2>/dev/null || echo .venv-uv/bin/uv)
PYTHON := .venv/bin/python
PYTEST_ARGS ?=

.PHONY: help install infra infra-down tools up down test test-unit check clean bench frontend frontend-deps

help:
	@echo "make up          infra, then all six services; prints their URLs (Ctrl-C stops)"
	@echo "make test        infra, then the whole test suite"
	@echo "make check       lint, format check, types and unit tests: under 2 min, no infrastructure"
	@echo "make infra       start RabbitMQ, Redis and a MongoDB-wire server (idempotent)"
	@echo "make infra-down  stop what 'make infra' started"
	@echo "make down        stop a fleet started by 'make up' in another terminal"
	@echo "make frontend    rebuild the widget and console bundles from frontend/src (after editing them)"
	@echo "make bench       benchmarks, ~10 min (BENCH_ARGS=--full for full sizes; see bench/README.md)"

# uv installs the workspace from uv.lock; it is bootstrapped into a venv of its own when the
# machine has none, so no system Python is modified.
.venv-uv/bin/uv:
	python3 -m venv .venv-uv
	.venv-uv/bin/pip install --quiet uv==$(UV_VERSION)

# Bytecode is compiled at install: this machine's environment sets PYTHONDONTWRITEBYTECODE, so
# without it every process compiles every module it imports from source, every time it starts:
# 2.7-3.4 s of CPU per service start instead of 1.2 s, six services per fleet, dozens of fleets
# per test run. A source edited later only falls back to compiling that module in memory.
install: $(if $(findstring .venv-uv,$(UV)),.venv-uv/bin/uv)
	$(UV) sync --frozen --all-packages --compile-bytecode
	$(PYTHON) -m compileall -q -j 0 -x 'bench/results/' libs services tools bench >/dev/null

infra:
	bash deploy/infra/up.sh

# The browser code's node tools (esbuild, eslint, prettier, tsc; axe-core for the browser tests),
# exactly as frontend/package-lock.json pins them. node and npm come from the machine; the
# tools script installs Debian's when they are missing. The stamp is npm's own record of the
# install, so `npm ci` runs again only when the lock file changes.
FRONTEND_DEPS := frontend/node_modules/.package-lock.json
$(FRONTEND_DEPS): frontend/package-lock.json
	@command -v npm >/dev/null 2>&1 || bash deploy/infra/tools.sh node npm
	cd frontend && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

frontend-deps: $(FRONTEND_DEPS)

# The served bundles (services/gateway/parley_gateway/bundles/) are committed, so `make up` and
# the images need no node; after editing frontend/src, rebuild them (`make check` fails until then).
frontend: frontend-deps
	$(PYTHON) -m tools.js_protocol
	cd frontend && node build.mjs

infra-down:
	bash deploy/infra/down.sh

# Offline validators the deploy tests use: docker-compose, promtool, kustomize; and the TCP
# fault proxy of the chaos tests (toxiproxy-server).
tools:
	bash deploy/infra/tools.sh
	bash deploy/tools/kustomize.sh
	bash deploy/tools/toxiproxy.sh

up: install infra
	$(PYTHON) -m parley_fleet

down:
	@if [ -f .infra/logs/fleet/fleet.pid ]; then kill -TERM "$$(cat .infra/logs/fleet/fleet.pid)" && echo "fleet stopping"; \
	else echo "no fleet running (.infra/logs/fleet/fleet.pid not found)"; fi

# The tiers run as two pytest processes side by side (tests/run_tiers.py); one tier alone:
# .venv/bin/python -m pytest tests/<tier>.
test: install infra tools frontend-deps
	$(PYTHON) -m tests.run_tiers $(PYTEST_ARGS)

# Benchmarks on a fleet of their own (bench/README.md); never part of `make test`.
BENCH_ARGS ?=
bench: install infra
	$(PYTHON) -m bench $(BENCH_ARGS)

test-unit: install
	$(PYTHON) -m pytest -m unit $(PYTEST_ARGS)

# The fast rails, run by .ci/run before `make test` and by pre-commit: ruff's lint and format
# check over the whole tree, mypy --strict over libs/ and services/ (pyproject.toml), and the unit
# tier. The unit tier runs with every server URL pointing at a closed port, so a "unit" test that
# quietly needs RabbitMQ, Redis or MongoDB fails here instead of passing on a developer's machine.
# Every step runs even after one fails, so one run shows every kind of finding; the last line says
# which failed.
NO_INFRA := PARLEY_AMQP_URL=amqp://guest:guest@127.0.0.1:9/ PARLEY_AMQP_MANAGEMENT_URL=http://127.0.0.1:9/ \
	PARLEY_REDIS_URL=redis://127.0.0.1:9/0 PARLEY_MONGO_URL=mongodb://127.0.0.1:9/
check: install frontend-deps
	@failed=""; \
	echo "check: ruff check"; .venv/bin/ruff check . || failed="$$failed lint"; \
	echo "check: ruff format --check"; .venv/bin/ruff format --check . || failed="$$failed format"; \
	echo "check: mypy"; .venv/bin/mypy || failed="$$failed types"; \
	echo "check: pytest -m unit"; $(NO_INFRA) $(PYTHON) -m pytest -m unit -q $(PYTEST_ARGS) || failed="$$failed unit"; \
	echo "check: frontend eslint + prettier"; (cd frontend && npm run -s lint) || failed="$$failed js-lint"; \
	echo "check: frontend tsc --checkJs"; (cd frontend && npm run -s typecheck) || failed="$$failed js-types"; \
	echo "check: frontend unit tests"; (cd frontend && npm run -s test) || failed="$$failed js-unit"; \
	echo "check: frontend bundles current"; (cd frontend && npm run -s build:check) || failed="$$failed js-bundles"; \
	if [ -n "$$failed" ]; then echo "check: FAILED:$$failed"; exit 1; fi; echo "check: all passed"

clean:
	rm -rf .venv .venv-uv .artifacts .pytest_cache frontend/node_modules
