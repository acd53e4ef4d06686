# Parley — the two commands that matter: `make up` (run the fleet) and `make test` (run the tests).
# Everything they need is installed by the targets below; nothing has to be set up by hand.

SHELL := /bin/bash
UV_VERSION := 0.13.9
UV := $(shell command -v uv 2>/dev/null || echo .venv-uv/bin/uv)
PYTHON := .venv/bin/python
PYTEST_ARGS ?=

.PHONY: help install infra infra-down tools up down test test-unit lint clean bench

help:
	@echo "make up          infra, then all six services; prints their URLs (Ctrl-C stops)"
	@echo "make test        infra, then the whole test suite"
	@echo "make infra       start RabbitMQ, Redis and a MongoDB-wire server (idempotent)"
	@echo "make infra-down  stop what 'make infra' started"
	@echo "make down        stop a fleet started by 'make up' in another terminal"
	@echo "make bench       benchmarks, ~10 min (BENCH_ARGS=--full for full sizes; see bench/README.md)"

# uv installs the workspace from uv.lock; it is bootstrapped into a venv of its own when the
# machine has none, so no system Python is modified.
.venv-uv/bin/uv:
	python3 -m venv .venv-uv
	.venv-uv/bin/pip install --quiet uv==$(UV_VERSION)

install: $(if $(findstring .venv-uv,$(UV)),.venv-uv/bin/uv)
	$(UV) sync --frozen --all-packages

infra:
	bash deploy/infra/up.sh

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
test: install infra tools
	$(PYTHON) -m tests.run_tiers $(PYTEST_ARGS)

# Benchmarks on a fleet of their own (bench/README.md); never part of `make test`.
BENCH_ARGS ?=
bench: install infra
	$(PYTHON) -m bench $(BENCH_ARGS)

test-unit: install
	$(PYTHON) -m pytest -m unit $(PYTEST_ARGS)

clean:
	rm -rf .venv .venv-uv .artifacts .pytest_cache
