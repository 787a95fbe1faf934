"""The servers a load run starts: PostgreSQL and Redis, then the whole app stack.

PostgreSQL and Redis come from `python -m devstack services` (embedded servers, with
pg_stat_statements loaded) unless DATABASE_URL and REDIS_URL are both given. The run gets
its own fresh databases beside the named one and its own Redis database, and the app runs
exactly as the Procfile says (web, ws, worker, beat), under honcho, as `make run` does.
"""

import contextlib
import os
import secrets
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import psycopg
import redis

from devstack.processes import free_port, http_ok, port_open
from focusquest.env import database_from_url
from loadtest.observe import app_group, pg_connect, postmaster_pid, process_tree, redis_pid

ROOT = Path(__file__).resolve().parent.parent
PROCFILE = ROOT / "Procfile"
# `make run` keeps the developer's live state in Redis database 0 and `make bench-writepath`
# uses 15: the spike takes 14 of the embedded server.
EMBEDDED_REDIS_DB = 14
DATABASE_SUFFIX = "_spike"
SERVICES_WAIT = 600
STOP_TIMEOUT = 30
READY_TIMEOUT = 120
LOAD_SETTINGS = "loadtest.settings"


@dataclass(frozen=True)
class Services:
    database_url: str
    redis_url: str
    embedded: bool


def _read_exports(proc: subprocess.Popen) -> dict[str, str]:
    exports: dict[str, str] = {}
    assert proc.stdout is not None
    for line in proc.stdout:
        words = shlex.split(line)
        if len(words) == 2 and words[0] == "export" and "=" in words[1]:
            name, value = words[1].split("=", 1)
            exports[name] = value
        if {"DATABASE_URL", "REDIS_URL"} <= exports.keys():
            return exports
    raise RuntimeError(f"devstack services exited with {proc.wait()}")


@contextlib.contextmanager
def services(log) -> Iterator[Services]:
    """DATABASE_URL/REDIS_URL as given, or the embedded servers of `python -m devstack services`.

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
        url = redis_url or redis_url_with_db(exports["REDIS_URL"], EMBEDDED_REDIS_DB)
        yield Services(database_url or exports["DATABASE_URL"], url, embedded=True)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(90)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def redis_url_with_db(url: str, db: int) -> str:
    parts = urlsplit(url)
    if parts.scheme == "unix":
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        query["db"] = str(db)
        # urlunsplit would drop the empty authority ("unix:/path"), which redis-py refuses.
        return f"unix://{parts.path}?{urlencode(query)}"
    return urlunsplit(parts._replace(path=f"/{db}"))


def database_url_named(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def database_fresh(url: str, name: str, *, template: str | None = None) -> str:
    """A new, empty database `name` beside the one `url` names (dropped first)."""
    try:
        admin = pg_connect(url)
    except psycopg.OperationalError:
        admin = pg_connect(url, dbname="postgres")  # the named one need not exist yet
    with admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        suffix = f' TEMPLATE "{template}"' if template else ""
        admin.execute(f'CREATE DATABASE "{name}"{suffix}')
        with contextlib.suppress(psycopg.Error), pg_connect(database_url_named(url, name)) as fresh:
            fresh.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
    return database_url_named(url, name)


def database_template(services: Services, log) -> str:
    """A migrated database that each run's database is copied from (one migrate)."""
    base = database_from_url(services.database_url)["NAME"]
    name = f"{base}{DATABASE_SUFFIX}_template"
    url = database_fresh(services.database_url, name)
    log("migrating a fresh database")
    done = manage(app_env(database_url=url, redis_url=services.redis_url), "migrate", "--noinput")
    if done.returncode != 0:
        raise RuntimeError(f"migrate failed:\n{done.stdout}\n{done.stderr}")
    return name


def database_drop(url: str) -> None:
    name = database_from_url(url)["NAME"]
    with pg_connect(url, dbname="postgres") as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


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
            group = app_group(_cmdline(pid))
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


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


@contextlib.contextmanager
def app_stack(env: dict[str, str], *, log_path: Path) -> Iterator[RunningStack]:
    """web, ws, worker and beat from the Procfile under honcho, until the block ends."""
    port, ws_port = free_port(), free_port()
    env = dict(
        env,
        HOST="127.0.0.1",
        PORT=str(port),
        DEVSTACK_PORT=str(port),
        WS_PORT=str(ws_port),
        BEAT_SCHEDULE_FILE=str(log_path.with_suffix(".beat-schedule")),
    )
    args = [sys.executable, "-m", "honcho", "start", "-f", str(PROCFILE), "-e", os.devnull]
    with open(log_path, "wb") as out:
        honcho = subprocess.Popen(
            args,
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
            if app_group(_cmdline(pid)):
                os.kill(pid, signal.SIGKILL)
