"""The servers a benchmark starts: PostgreSQL and Redis, then the app's processes.

PostgreSQL and Redis come from `python -m devstack services` (embedded servers, with
pg_stat_statements loaded) unless DATABASE_URL and REDIS_URL are both given. Each run gets
its own fresh databases beside the named one (`perf.databases`) and its own Redis
database. The app runs exactly as the Procfile says: the whole of it under honcho, as
`make run` does (`app_stack`), or one of its processes alone (`gunicorn`).
"""

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import redis

from devstack import procfile
from devstack.processes import free_port, http_ok, port_open, process
from devstack.proctree import cmdline, process_tree
from devstack.stack import export_line
from focusquest.env import database_from_url
from perf.databases import database_beside, pg_connect, redis_url_with_db
from perf.observe import TICKS, app_group, cpu_ticks, postmaster_pid, redis_pid

ROOT = Path(__file__).resolve().parent.parent
# Where every benchmark writes its results and its servers' logs.
RESULTS = ROOT / ".data" / "perf"
# The embedded Redis's databases: `make run` keeps the developer's live state in 0, and
# each benchmark has one of its own, which it empties.
REDIS_DB = {"spike": 14, "fanout": 13, "writepath": 15, "cluster": 12}
DATABASE_SUFFIX = "_spike"
SERVICES_WAIT = 600
STOP_TIMEOUT = 30
READY_TIMEOUT = 120
LOAD_SETTINGS = "perf.settings"


@dataclass(frozen=True)
class Services:
    database_url: str
    redis_url: str
    embedded: bool


def _read_exports(proc: subprocess.Popen) -> dict[str, str]:
    exports: dict[str, str] = {}
    assert proc.stdout is not None
    for line in proc.stdout:
        if found := export_line(line):
            exports[found[0]] = found[1]
        if {"DATABASE_URL", "REDIS_URL"} <= exports.keys():
            return exports
    raise RuntimeError(f"devstack services exited with {proc.wait()}")


@contextlib.contextmanager
def services(log, *, redis_db: int) -> Iterator[Services]:
    """DATABASE_URL/REDIS_URL as given, or the embedded servers of `python -m devstack
    services` (then Redis database `redis_db`).

    Only one launcher may use the embedded data folder at a time (`make run`, another
    benchmark): then this waits for it, up to SERVICES_WAIT seconds.
    """
    database_url = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL", "")
    if database_url and redis_url:
        yield Services(database_url, redis_url, embedded=False)
        return
    deadline = time.monotonic() + SERVICES_WAIT
    while True:
        # Its own process group: a terminal Ctrl-C reaches us only, and we stop it last.
        proc = subprocess.Popen(
            [sys.executable, "-m", "devstack", "services"],
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            process_group=0,
        )
        try:
            exports = _read_exports(proc)
            break
        except RuntimeError:
            error = proc.stderr.read() if proc.stderr else ""
            if "already using" not in error or time.monotonic() > deadline:
                raise RuntimeError(f"devstack services failed:\n{error}") from None
            log("the embedded servers are in use by another launcher; waiting for it")
            time.sleep(10)
    try:
        url = redis_url or redis_url_with_db(exports["REDIS_URL"], redis_db)
        yield Services(database_url or exports["DATABASE_URL"], url, embedded=True)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(90)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def database_template(services: Services, log) -> str:
    """A migrated database that each run's database is copied from (one migrate)."""
    url = database_beside(services.database_url, f"{DATABASE_SUFFIX}_template")
    name = database_from_url(url)["NAME"]
    log("migrating a fresh database")
    done = manage(app_env(database_url=url, redis_url=services.redis_url), "migrate", "--noinput")
    if done.returncode != 0:
        raise RuntimeError(f"migrate failed:\n{done.stdout}\n{done.stderr}")
    return name


def app_env(*, database_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    """The environment every app process of a load run gets."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        DJANGO_SETTINGS_MODULE=LOAD_SETTINGS,
        # Production-like: DEBUG would keep every query of a request in memory.
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(40),
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        # Plain HTTP on loopback, as behind the TLS proxy: no redirect to https.
        SECURE_SSL_REDIRECT="0",
        # Every simulated player comes from 127.0.0.1: the per-IP limits would refuse
        # the crowd that a real launch spreads over many addresses.
        THROTTLE_AUTH="1000000/min",
        THROTTLE_ANON="1000000/min",
        THROTTLE_USER="1000000/min",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
        PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""),
    )
    env.update(extra)
    return env


def manage(env: dict[str, str], *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@dataclass
class RunningStack:
    http_url: str
    ws_url: str
    honcho: subprocess.Popen
    postgres_pid: int | None
    redis_pid: int | None

    def groups(self) -> dict[str, list[int]]:
        """Process groups for CPU accounting: the app's, the servers', the generator."""
        found: dict[str, list[int]] = {}
        placed: set[int] = set()
        for pid in process_tree(self.honcho.pid):
            group = app_group(cmdline(pid))
            if group and pid not in placed:
                # With its children: uvicorn's workers are spawned interpreters whose
                # command line does not name it.
                family = [p for p in process_tree(pid) if p not in placed]
                placed.update(family)
                found.setdefault(group, []).extend(family)
        if self.postgres_pid:
            found["postgres"] = process_tree(self.postgres_pid)
        if self.redis_pid:
            found["redis"] = [self.redis_pid]
        found["load generator"] = [os.getpid()]
        return found


@contextlib.contextmanager
def app_stack(env: dict[str, str], *, log_path: Path) -> Iterator[RunningStack]:
    """web, ws, worker and beat from the Procfile under honcho, until the block ends."""
    port, ws_port = free_port(), free_port()
    beat = log_path.with_suffix(".beat-schedule")
    variables = procfile.variables(host="127.0.0.1", port=port, ws_port=ws_port, beat_schedule=beat)
    env = {**env, **variables}
    with open(log_path, "wb") as out:
        honcho = subprocess.Popen(
            procfile.honcho_args(),
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=out,
            process_group=0,
        )
        try:
            http_url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + READY_TIMEOUT
            while not (http_ok(f"{http_url}/healthz") and port_open(ws_port)):
                if honcho.poll() is not None:
                    raise RuntimeError(
                        f"the app stack exited with {honcho.returncode}; see {log_path}"
                    )
                if time.monotonic() > deadline:
                    raise TimeoutError(f"the app stack did not answer; see {log_path}")
                time.sleep(0.3)
            with pg_connect(env["DATABASE_URL"]) as conn:
                pg_pid = postmaster_pid(conn)
            client = redis.Redis.from_url(env["REDIS_URL"])
            try:
                r_pid = redis_pid(client)
            finally:
                client.close()
            yield RunningStack(
                http_url=http_url,
                ws_url=f"ws://127.0.0.1:{ws_port}/ws/leaderboard/",
                honcho=honcho,
                postgres_pid=pg_pid,
                redis_pid=r_pid,
            )
        finally:
            _stop(honcho)


def _stop(honcho: subprocess.Popen) -> None:
    tree = process_tree(honcho.pid)
    if honcho.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(honcho.pid, signal.SIGTERM)  # honcho stops each process group in turn
    try:
        honcho.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        honcho.kill()
        honcho.wait()
    for pid in tree[1:]:  # whatever honcho could not stop (its processes, never others)
        with contextlib.suppress(ProcessLookupError):
            if app_group(cmdline(pid)):
                os.kill(pid, signal.SIGKILL)


@contextlib.contextmanager
def gunicorn(*, workers: int, env: dict[str, str], log: Path) -> Iterator[tuple[str, int]]:
    """The Procfile's web process alone, on a free port; yields (base URL, master pid)."""
    port = free_port()
    web = procfile.command("web", HOST="127.0.0.1", PORT=port, WEB_CONCURRENCY=workers)
    # A backlog this deep never refuses the benchmark's connections.
    args = [*web, "--backlog", "2048", "--log-level", "warning"]
    url = f"http://127.0.0.1:{port}"
    ready = lambda: http_ok(f"{url}/healthz")  # noqa: E731
    with process(args, env=env, ready=ready, log=log) as proc:
        yield url, proc.pid


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of the processes (those still alive)."""
    return sum(cpu_ticks(pid) for pid in pids) / TICKS
