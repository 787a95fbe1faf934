"""Where each mode (`run`, `test`) keeps its servers' files, and the lock that gives one
launcher at a time a data folder."""

from __future__ import annotations

import fcntl
import hashlib
import os
import time
from dataclasses import dataclass
from pathlib import Path

from devstack import DATA_ROOT, REPO_ROOT, DevstackError, log
from devstack.signals import Interrupted, Signals

PG_SOCKET_NAME = ".s.PGSQL.5432"  # libpq's default port, hence the default socket file name
# AF_UNIX paths are limited to 108 bytes on Linux; keep a margin.
MAX_SOCKET_PATH = 100


@dataclass(frozen=True)
class Layout:
    """Where one mode (`run` or `test`) keeps its servers' files."""

    mode: str
    data: Path
    pgdata: Path
    pg_socket_dir: Path
    redis_dir: Path
    redis_socket: Path
    redis_pidfile: Path
    redis_log: Path
    beat_schedule: Path
    lock: Path
    services_env: Path

    @classmethod
    def for_mode(cls, mode: str) -> Layout:
        data = DATA_ROOT / mode
        sockets = data
        longest = max(len(str(data / "pgsocket" / PG_SOCKET_NAME)), len(str(data / "redis.sock")))
        if longest >= MAX_SOCKET_PATH:
            # A deep checkout would overflow sun_path: keep the sockets in a short directory
            # that is still unique per checkout.
            digest = hashlib.sha256(str(REPO_ROOT).encode()).hexdigest()[:12]
            sockets = Path("/tmp") / f"focusquest-{digest}" / mode
        return cls(
            mode=mode,
            data=data,
            pgdata=data / "postgres",
            pg_socket_dir=sockets / "pgsocket",
            redis_dir=data / "redis",
            redis_socket=sockets / "redis.sock",
            redis_pidfile=data / "redis.pid",
            redis_log=data / "redis.log",
            beat_schedule=data / "celerybeat-schedule",
            lock=data / "devstack.lock",
            services_env=data / "services.env",
        )


class DataLock:
    """Exclusive flock on the data dir: one launcher per `.data/<mode>` at a time.

    The fd is close-on-exec, so servers we start do not inherit (and keep) the lock.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self, *, wait: bool, signals: Signals) -> None:
        """Take the lock; if it is held, wait for it (tests) or fail (long-running modes)."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        waiting = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = self._holder(fd)
                if not wait:
                    os.close(fd)
                    raise DevstackError(
                        f"another devstack (pid {holder}) is already using {self.path.parent}; "
                        "stop it first (or point DATABASE_URL/REDIS_URL elsewhere)"
                    ) from None
                if not waiting:
                    log(f"waiting for devstack pid {holder} to finish with {self.path.parent}")
                    waiting = True
            try:
                signals.check()
            except Interrupted:
                os.close(fd)
                raise
            time.sleep(0.5)
        self._claim(fd)

    def try_acquire(self) -> bool:
        """Take the lock if it is free; False (and nothing held) if a launcher has it."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._claim(fd)
        return True

    def holder(self) -> str:
        """The pid the current holder wrote, for messages."""
        try:
            return self.path.read_text().strip() or "?"
        except OSError:
            return "?"

    def _claim(self, fd: int) -> None:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    @staticmethod
    def _holder(fd: int) -> str:
        return os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
