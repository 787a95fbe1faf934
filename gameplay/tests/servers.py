"""Real servers that a test owns: a private valkey-server (to kill it, or to restart it
from its AOF) and the project's processes (gunicorn, uvicorn, a Celery worker) on the test
databases."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import redis
from django.conf import settings
from django.db import connection

from devstack import procfile
from devstack.processes import free_port, http_ok, process
from devstack.servers import redis_start
from gameplay import keys

ROOT = Path(settings.BASE_DIR)


@dataclass
class RedisServer:
    directory: Path
    process: subprocess.Popen | None = None

    @property
    def socket_path(self) -> Path:
        return self.directory / "redis.sock"

    @property
    def url(self) -> str:
        return f"unix://{self.socket_path}?db=0"

    def start(self) -> None:
        self.process = redis_start(self.socket_path, self.directory, timeout=10)

    def kill(self) -> None:
        """kill -9: no shutdown, no final fsync; only what the AOF already holds survives."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def caches(self) -> dict:
        """CACHES that point the app (the cache and the live store) at this server, failing
        fast."""
        cache = {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": self.url,
            "OPTIONS": {
                "SOCKET_CONNECT_TIMEOUT": 0.5,
                "SOCKET_TIMEOUT": 0.5,
                # django-stubs types CACHES from Django's defaults: OPTIONS is ours, a dict.
                "SERIALIZER": cast(dict, settings.CACHES["default"]["OPTIONS"])["SERIALIZER"],
            },
        }
        return {"default": cache, "live": cache}


@contextlib.contextmanager
def redis_server(directory: Path) -> Iterator[RedisServer]:
    directory.mkdir(parents=True, exist_ok=True)
    server = RedisServer(directory)
    server.start()
    try:
        yield server
    finally:
        server.kill()


def test_database_url() -> str:
    """DATABASE_URL of the database pytest-django made, for processes the tests start."""
    db = connection.settings_dict
    host = db["HOST"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    if host.startswith("/"):
        return f"postgres://{auth}@/{db['NAME']}?host={host}"
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{auth}@{host}{port}/{db['NAME']}"


def project_env(**overrides: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=test_database_url(),
        REDIS_URL=settings.REDIS_URL,
        DJANGO_SETTINGS_MODULE="focusquest.settings",
        PYTHONUNBUFFERED="1",
    )
    if settings.LIVE_REDIS_CLUSTER:
        # The test's live store is the cluster (testkit.cluster): so is the processes'.
        env.update(LIVE_REDIS_CLUSTER="true", LIVE_REDIS_URL=settings.LIVE_REDIS_URL)
    env.update(overrides)
    return env


def manage(
    *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env or project_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@contextlib.contextmanager
def gunicorn(*, workers: int = 2, log: Path | None = None, **env_overrides: str):
    """The Procfile's web process on a free port; yields its base URL. Its output goes to
    `log`, if given."""
    port = free_port()
    web = procfile.command("web", HOST="127.0.0.1", PORT=port, WEB_CONCURRENCY=workers)
    args = [*web, "--log-level", "warning"]
    url = f"http://127.0.0.1:{port}"
    with process(
        args, env=project_env(**env_overrides), ready=lambda: http_ok(f"{url}/healthz"), log=log
    ):
        yield url


@dataclass
class WebsocketServer:
    url: str  # ws://host:port
    process: subprocess.Popen


@contextlib.contextmanager
def websocket_server(*, log: Path | None = None, **env_overrides: str) -> Iterator[WebsocketServer]:
    """The Procfile's websocket server (uvicorn, whose pusher starts with it) on a free
    port; yields its ws:// base URL and its process."""
    port = free_port()
    args = procfile.command("ws", HOST="127.0.0.1", PORT=port, WS_PORT=port)
    # The ASGI app answers HTTP too, so /healthz tells when it is up.
    with process(
        args,
        env=project_env(**env_overrides),
        ready=lambda: http_ok(f"http://127.0.0.1:{port}/healthz"),
        log=log,
    ) as proc:
        yield WebsocketServer(f"ws://127.0.0.1:{port}", proc)


@contextlib.contextmanager
def board_feeder(*, log: Path | None = None, **env_overrides: str) -> Iterator[subprocess.Popen]:
    """The Procfile's board feeder (leaderboard/feeder.py); ready once its heartbeat
    stands, which it sets once it hears the news channels."""
    locks = redis.Redis.from_url(settings.REDIS_URL)
    locks.delete(keys.BOARD_FEEDER)  # a feeder killed by an earlier test may have left one
    ready = lambda: bool(locks.exists(keys.BOARD_FEEDER))  # noqa: E731
    try:
        with process(
            procfile.command("feeder"), env=project_env(**env_overrides), ready=ready, log=log
        ) as proc:
            yield proc
    finally:
        locks.delete(keys.BOARD_FEEDER)
        locks.close()


@contextlib.contextmanager
def celery_worker(
    *, beat_schedule: Path | None = None, log: Path | None = None, **env_overrides: str
):
    """The Procfile's worker in one process (solo pool), with beat inside it if asked; its
    output goes to `log`, if given."""
    args = [*procfile.command("worker"), "--pool", "solo", "--loglevel", "warning"]
    if beat_schedule is not None:
        args += ["--beat", "--schedule", str(beat_schedule)]
    with process(args, env=project_env(**env_overrides), log=log) as proc:
        yield proc


class PostgresLink:
    """A TCP link in front of the test database that a test can cut and restore: to the
    processes behind it, PostgreSQL is down (connections refused, open ones reset) and
    back, while the test itself keeps its own connection."""

    def __init__(self) -> None:
        db = connection.settings_dict
        self.upstream = (
            ("unix", f"{db['HOST']}/.s.PGSQL.{db['PORT'] or 5432}")
            if db["HOST"].startswith("/")
            else ("tcp", (db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432)))
        )
        self.port = free_port()
        self.listener: socket.socket | None = None
        self.open: list[socket.socket] = []
        self.lock = threading.Lock()

    @property
    def database_url(self) -> str:
        db = connection.settings_dict
        auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
        return f"postgres://{auth}@127.0.0.1:{self.port}/{db['NAME']}"

    def up(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", self.port), reuse_port=False)
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def down(self) -> None:
        with self.lock:
            if self.listener is not None:
                # shutdown() wakes the accept() blocked in the other thread (close() alone
                # would leave the port accepting until it returned).
                with contextlib.suppress(OSError):
                    self.listener.shutdown(socket.SHUT_RDWR)
                self.listener.close()
                self.listener = None
            for sock in self.open:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self.open.clear()

    def _connect_upstream(self) -> socket.socket:
        kind, address = self.upstream
        family = socket.AF_UNIX if kind == "unix" else socket.AF_INET
        upstream = socket.socket(family, socket.SOCK_STREAM)
        upstream.connect(address)
        return upstream

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # the link was cut
            upstream = self._connect_upstream()
            with self.lock:
                self.open += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, target: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                target.sendall(data)
        with contextlib.suppress(OSError):
            target.shutdown(socket.SHUT_WR)


@contextlib.contextmanager
def postgres_link() -> Iterator[PostgresLink]:
    link = PostgresLink()
    link.up()
    try:
        yield link
    finally:
        link.down()
