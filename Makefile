# FocusQuest developer tasks (GNU make). `make help` lists them.
#
# Everything runs from .venv, created on first use. Two stamps: `run`, `services` and
# `manage` need only the runtime requirements (requirements.txt); tests, lint and benchmarks
# also the development ones (requirements-dev.txt). Each set is re-installed whenever its
# requirements file is newer than its stamp.

PYTHON      ?= python3
VENV        := .venv
VENV_PY     := $(VENV)/bin/python
RUNTIME     := $(VENV)/.installed-runtime
DEV         := $(VENV)/.installed-dev
DEVSTACK    := $(VENV_PY) -m devstack
PYTEST_ARGS ?=
ARGS        ?=
# What `system-packages` checks for; the targets that need less set their own.
SYSTEM_PACKAGES ?= chromium wrk

.DEFAULT_GOAL := help
.PHONY: help venv run run-cluster test test-fast lint fmt clean services manage system-packages bench-writepath \
	bench-fanout bench-stream-memory bench-cluster graph

help:
	@echo "make venv      create .venv and install all requirements (when they changed)"
	@echo "make run       embedded PostgreSQL + Redis, migrate, then web/ws/worker/beat (honcho)"
	@echo "make run-cluster  make run with the live store on a local 3+3 cluster, two flush"
	@echo "               workers; fresh each start"
	@echo "make manage ARGS='make_moderator mo'  a manage.py command beside make run (or alone)"
	@echo "make test      pytest against separate embedded servers (PYTEST_ARGS='-k foo -x')"
	@echo "make test-fast the suite without the tests that start servers or a browser, or take"
	@echo "               over a second (marked live, slow; about 70 s)"
	@echo "make services  only the embedded servers; prints DATABASE_URL / REDIS_URL exports"
	@echo "make system-packages  chromium + wrk: apt-get install as root, else the command"
	@echo "make lint      ruff, the import floors (lint-imports), sizes and circles, mypy"
	@echo "make fmt       ruff format + ruff check --fix"
	@echo "make clean     remove .data/ (local databases); keeps .venv"
	@echo "make bench     launch spike, buffered vs direct, + PostgreSQL ceiling (short, < 5 min)"
	@echo "make bench-long  the documented spike (about 15 min); charts into docs/charts"
	@echo "make bench-fanout  websocket push cost per frame, uvicorn vs daphne (about 2 min)"
	@echo "make bench-stream-memory  Redis bytes per pending event, a private redis (< 1 min)"
	@echo "make bench-cluster  one server against a local 3+3 cluster: actions, flushers,"
	@echo "               board lag, push to 1,000 sockets (8-11 min; ARGS='--short')"

venv: $(DEV)

$(VENV_PY):
	$(PYTHON) -m venv $(VENV)

# Order-only on the interpreter: a fresh venv must not look newer than the stamps forever.
$(RUNTIME): requirements.txt | $(VENV_PY)
	$(VENV_PY) -m pip install --disable-pip-version-check -r requirements.txt
	touch $@

# Both files in one install, so pip resolves them together and a development package can
# never quietly move a runtime pin.
$(DEV): $(RUNTIME) requirements-dev.txt
	$(VENV_PY) -m pip install --disable-pip-version-check -r requirements.txt \
		-r requirements-dev.txt
	touch $@

# chromium (browser tests) and wrk (write-path benchmark) come from apt, not pip: installed
# when root, otherwise one line with the command and a failure, before anything else runs.
# The system's python3: it must work before .venv exists (devstack imports only the stdlib).
system-packages:
	@$(PYTHON) -m devstack system-packages $(SYSTEM_PACKAGES)

# `exec` makes the launcher make's direct child, so the SIGTERM that GNU make forwards to its
# children reaches devstack (which then stops everything it started).
run: $(RUNTIME)
	exec $(DEVSTACK) run

# `make run` with the live store on a local cluster of 3 masters + 3 replicas (AOF on,
# cluster-require-full-coverage no, 3 s node timeout; devstack/cluster.py) and the
# Procfile's worker twice; REDIS_URL stays a plain embedded Redis. Empty on every start.
run-cluster: $(RUNTIME)
	exec $(DEVSTACK) run-cluster

# Beside a running `make run`/`make services` it uses their servers (devstack reads the
# URLs they keep in .data/run/services.env); otherwise it starts them for the command only.
manage: $(RUNTIME)
	exec $(DEVSTACK) manage $(ARGS)

test: system-packages $(DEV)
	exec $(DEVSTACK) test $(PYTEST_ARGS)

# Everything but the tests marked `live` (they start gunicorn, Celery, uvicorn, a browser
# or a load generator) and `slow` (over a second each: the sockets' real snapshot
# intervals, exports and flushes of thousands of rows): the rules, the API, the flush, the
# sockets in-process, in about 70 s on 2 cores. `make test` runs all of them.
test-fast: $(DEV)
	exec $(DEVSTACK) test -m "not live and not slow" $(PYTEST_ARGS)

services: $(RUNTIME)
	exec $(DEVSTACK) services

# Without DATABASE_URL/REDIS_URL, perf.writepath starts the embedded servers through
# `python -m devstack services` and stops them when it is done.
bench-writepath: SYSTEM_PACKAGES := wrk
bench-writepath: system-packages $(DEV)
	exec $(VENV_PY) -m perf.writepath

# One websocket server, 1,050 sockets, boards moving: CPU per pushed frame, uvicorn against
# daphne (perf/fanout.py).
bench-fanout: $(DEV)
	exec $(VENV_PY) -m perf.fanout

# Redis memory per pending (unflushed) event: real events into a private redis-server, no
# flush running (perf/stream_memory.py).
bench-stream-memory: $(DEV)
	exec $(VENV_PY) -m perf.stream_memory

# The live store on one valkey-server against a local 3+3 cluster, then the flush with 1, 2
# and 4 flushers, the board feeder's lag and the push to 1,000 sockets on the cluster
# (perf/cluster.py). PostgreSQL must run on this machine (its backends' CPU is read from /proc).
bench-cluster: $(DEV)
	exec $(VENV_PY) -m perf.cluster $(ARGS)

# The launch spike in both write modes, then PostgreSQL's ceiling per mode (perf/,
# docs/benchmarks.md). Without DATABASE_URL/REDIS_URL the embedded servers come from
# `python -m devstack services`.
.PHONY: bench bench-long
bench: $(DEV)
	exec $(VENV_PY) -m perf all --profile short --writers 1,4,16 --batches 1000,10000

bench-long: $(DEV)
	exec $(VENV_PY) -m perf all --profile long --charts docs/charts

# The floors (import-linter's contract in pyproject.toml); the shape: no circle of packages,
# no module over 500 lines, no function over 60 (devstack/shape.py); the types: mypy
# (pyproject.toml). mypy's Django plugin imports the settings (which need these URLs) but
# connects to nothing.
lint: $(DEV)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache
	$(VENV_PY) -m devstack.shape check
	DJANGO_DEBUG=1 DATABASE_URL=postgres://mypy@127.0.0.1:1/mypy REDIS_URL=redis://127.0.0.1:1/0 \
		$(VENV)/bin/mypy .

fmt: $(DEV)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# Which package imports which (devstack/shape.py).
graph: $(DEV)
	@$(VENV_PY) -m devstack.shape graph

clean:
	rm -rf .data
