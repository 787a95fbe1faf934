"""The servers and processes a benchmark run owns.

PostgreSQL and Redis come from loadtest.stack (`scripts/devstack.py services` when
DATABASE_URL/REDIS_URL are not given); the app server here is gunicorn alone, as the
Procfile runs it, since the write path is all this benchmark measures.
"""

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg

from devstack.processes import free_port, http_ok, process
from focusquest.env import database_from_url
from loadtest import stack as loadtest_stack
from loadtest.observe import TICKS, cpu_ticks, pg_connect

ROOT = Path(__file__).resolve().parent.parent
# `make run` keeps the developer's live state in database 0 of the embedded Redis, and
# the launch-spike load test uses 14.
EMBEDDED_REDIS_DB = 15
BENCH_DATABASE_SUFFIX = "_writepath"


@contextlib.contextmanager
def services() -> Iterator[loadtest_stack.Services]:
    """DATABASE_URL/REDIS_URL as given, or the embedded servers (waiting for another
    launcher that uses them, such as `make run`, to finish)."""
    given_redis = bool(os.environ.get("REDIS_URL"))
    with loadtest_stack.services(lambda message: print(message, file=sys.stderr)) as found:
        if found.embedded and not given_redis:
            redis_url = loadtest_stack.redis_url_with_db(found.redis_url, EMBEDDED_REDIS_DB)
            found = loadtest_stack.Services(found.database_url, redis_url, embedded=True)
        yield found


def bench_database_make(url: str) -> str:
    """A fresh database beside the one `url` names; returns its URL. The given database
    may hold someone's data (`make run` keeps the developer's there), and the benchmark
    empties its tables between phases."""
    name = database_from_url(url)["NAME"] + BENCH_DATABASE_SUFFIX
    return loadtest_stack.database_fresh(url, name)


bench_database_drop = loadtest_stack.database_drop


def base_connect(url: str) -> psycopg.Connection:
    """A connection to the database `url` names, or to `postgres` if that one does not
    exist: somewhere to read the server's statistics from."""
    try:
        return pg_connect(url)
    except psycopg.OperationalError:
        return pg_connect(url, dbname="postgres")


# --------------------------------------------------------------------------- processes


@contextlib.contextmanager
def gunicorn(*, workers: int, env: dict[str, str], log: Path) -> Iterator[tuple[str, int]]:
    """gunicorn with sync workers, as the Procfile runs it; yields (base URL, master pid)."""
    port = free_port()
    args = [
        str(Path(sys.executable).parent / "gunicorn"),
        "focusquest.wsgi:application",
        *("--bind", f"127.0.0.1:{port}"),
        *("--workers", str(workers)),
        # A backlog this deep never refuses the benchmark's connections.
        *("--backlog", "2048"),
        *("--log-level", "warning"),
    ]
    url = f"http://127.0.0.1:{port}"
    ready = lambda: http_ok(f"{url}/healthz")  # noqa: E731
    with process(args, env=env, ready=ready, log=log) as proc:
        yield url, proc.pid


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of the processes (those still alive)."""
    return sum(cpu_ticks(pid) for pid in pids) / TICKS
