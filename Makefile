# FocusQuest developer tasks (GNU make). `make help` lists them.
#
# Everything runs from .venv; `make venv` (a prerequisite of the other targets) creates it
# and re-installs the requirements whenever a requirements file is newer than the stamp.

PYTHON      ?= python3
VENV        := .venv
VENV_PY     := $(VENV)/bin/python
STAMP       := $(VENV)/.installed
REQUIREMENTS := $(wildcard requirements.txt requirements-dev.txt)
DEVSTACK    := $(VENV_PY) scripts/devstack.py
PYTEST_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help venv run test lint fmt clean services bench-writepath bench-fanout

help:
	@echo "make venv      create .venv and install requirements (when they changed)"
	@echo "make run       embedded PostgreSQL + Redis, migrate, then web/ws/worker/beat (honcho)"
	@echo "make test      pytest against separate embedded servers (PYTEST_ARGS='-k foo -x')"
	@echo "make services  only the embedded servers; prints DATABASE_URL / REDIS_URL exports"
	@echo "make lint      ruff check + ruff format --check"
	@echo "make fmt       ruff format + ruff check --fix"
	@echo "make clean     remove .data/ (local databases); keeps .venv"
	@echo "make bench     launch spike, buffered vs direct, + PostgreSQL ceiling (short, < 5 min)"
	@echo "make bench-long  the documented spike (about 15 min); charts into docs/charts"
	@echo "make bench-fanout  websocket push cost per frame, uvicorn vs daphne (about 2 min)"

venv: $(STAMP)

$(VENV_PY):
	$(PYTHON) -m venv $(VENV)

# Order-only on the interpreter: a fresh venv must not look newer than the stamp forever.
$(STAMP): $(REQUIREMENTS) | $(VENV_PY)
	$(VENV_PY) -m pip install --disable-pip-version-check $(addprefix -r ,$(REQUIREMENTS))
	touch $@

# `exec` makes the launcher make's direct child, so the SIGTERM that GNU make forwards to its
# children reaches devstack.py (which then stops everything it started).
run: venv
	exec $(DEVSTACK) run

test: venv
	exec $(DEVSTACK) test $(PYTEST_ARGS)

services: venv
	exec $(DEVSTACK) services

# Without DATABASE_URL/REDIS_URL, bench.writepath starts the embedded servers through
# scripts/devstack.py (services) and stops them when it is done.
bench-writepath: venv
	exec $(VENV_PY) -m bench.writepath

# One websocket server, 1,050 sockets, boards moving: CPU per pushed frame, uvicorn against
# daphne (bench/fanout.py).
bench-fanout: venv
	exec $(VENV_PY) -m bench.fanout

# The launch spike in both write modes, then PostgreSQL's ceiling per mode (loadtest/,
# docs/benchmarks.md). Without DATABASE_URL/REDIS_URL the embedded servers come from
# scripts/devstack.py services.
.PHONY: bench bench-long
bench: venv
	exec $(VENV_PY) -m loadtest all --profile short --writers 1,4,16 --batches 1000,10000

bench-long: venv
	exec $(VENV_PY) -m loadtest all --profile long --charts docs/charts

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

fmt: venv
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf .data
