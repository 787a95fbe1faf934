"""The servers one launcher uses: the URLs it was given, or the embedded servers it
started; the environment its children get.

Mode `run-cluster` adds a local 3+3 Valkey cluster for the live store (LIVE_REDIS_URL,
every node as a seed, and LIVE_REDIS_CLUSTER=true); the plain Redis stays for REDIS_URL
(the broker, the channel layer, the cache and the locks take no cluster). Everything of that mode is
fresh on each start: the cluster cannot keep its data (devstack/cluster.py), so its
PostgreSQL and Redis do not either, and the three always agree.
"""

from __future__ import annotations

import os
import shlex
import shutil
from dataclasses import dataclass
from pathlib import Path

from devstack import DevstackError, log, procfile
from devstack.cluster import LocalCluster
from devstack.layout import DataLock, Layout
from devstack.servers import (
    LIBPQ_TARGET_VARS,
    EmbeddedPostgres,
    EmbeddedRedis,
    embedded_database_url,
)
from devstack.signals import Signals


@dataclass(frozen=True)
class Endpoint:
    host: str
    port: int
    ws_port: int

    @classmethod
    def from_env(cls) -> Endpoint:
        host = os.environ.get("HOST") or "127.0.0.1"
        port = _port_from_env("PORT", 8000)
        return cls(host=host, port=port, ws_port=_port_from_env("WS_PORT", port + 1))

    def url(self, scheme: str, port: int) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{host}:{port}/"

    def probe_host(self) -> str:
        # A wildcard bind is reachable on loopback.
        return {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(self.host, self.host)


def _port_from_env(name: str, default: int) -> int:
    raw = os.environ.get(name) or str(default)
    try:
        port = int(raw)
    except ValueError:
        raise DevstackError(f"{name} must be a port number, got {raw!r}") from None
    if not 0 < port < 65536:
        raise DevstackError(f"{name} must be between 1 and 65535, got {port}")
    return port


class Stack:
    """The servers one invocation started (none if DATABASE_URL/REDIS_URL were given)."""

    def __init__(self, mode: str, signals: Signals) -> None:
        self.layout = Layout.for_mode(mode)
        self.signals = signals
        self.postgres: EmbeddedPostgres | None = None
        self.redis: EmbeddedRedis | None = None
        self.cluster: LocalCluster | None = None
        self.lock: DataLock | None = None
        self.database_url = os.environ.get("DATABASE_URL", "")
        self.redis_url = os.environ.get("REDIS_URL", "")
        self.published = False

    @property
    def started_anything(self) -> bool:
        return self.postgres is not None or self.redis is not None

    @property
    def with_cluster(self) -> bool:
        return self.layout.mode == "run-cluster"

    def server_pids(self) -> list[int]:
        pids = []
        if self.redis is not None and self.redis.proc is not None:
            pids.append(self.redis.proc.pid)
        if self.postgres is not None and self.postgres.pid is not None:
            pids.append(self.postgres.pid)
        if self.cluster is not None:
            pids.extend(node.pid for node in self.cluster.nodes if node.pid is not None)
        return pids

    def acquire_lock(self) -> None:
        """One launcher per mode, even with external servers: the data dir also holds the
        beat schedule and honcho's pidfile."""
        if self.lock is None:
            self.layout.data.mkdir(parents=True, exist_ok=True)
            lock = DataLock(self.layout.lock)
            # Two test runs can simply queue; a second `run`/`services` would wait forever.
            lock.acquire(wait=self.layout.mode == "test", signals=self.signals)
            self.lock = lock
            # Left by a launcher that was killed: its URLs would send `manage` nowhere.
            self.layout.services_env.unlink(missing_ok=True)

    def publish(self) -> None:
        """Write the URLs to `services.env` for `manage`, readable by this user only.

        Only under the lock, and removed before the lock is released: a file there while
        the lock is held always belongs to the holder."""
        path = self.layout.services_env
        partial = path.with_name(path.name + ".partial")
        partial.unlink(missing_ok=True)
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(
                f"# The servers of devstack pid {os.getpid()}; removed when it stops.\n"
                f"export DATABASE_URL={shlex.quote(self.database_url)}\n"
                f"export REDIS_URL={shlex.quote(self.redis_url)}\n"
            )
        os.replace(partial, path)
        self.published = True

    def ensure(self) -> None:
        self.acquire_lock()
        if self.with_cluster:
            self._start_cluster()
        if self.database_url:
            log("DATABASE_URL is set: using it, not starting postgres")
        if self.redis_url:
            log("REDIS_URL is set: using it, not starting valkey-server")
        if self.database_url and self.redis_url:
            return
        self._prepare_socket_dir()
        if not self.redis_url:
            fresh = self.layout.mode in ("test", "run-cluster")
            self.redis = EmbeddedRedis(self.layout, fresh=fresh)
            self.redis.start()
            self.redis_url = self.redis.url
            self.signals.check()
        if not self.database_url:
            if self.with_cluster:
                shutil.rmtree(self.layout.pgdata, ignore_errors=True)
            self.postgres = EmbeddedPostgres(self.layout)
            self.postgres.start()
            self.database_url = self.postgres.url
            self.signals.check()

    def _start_cluster(self) -> None:
        """3 masters + 3 replicas under the mode's data dir; kept here before it starts,
        so that stop() stops a cluster that failed half-way too."""
        self.cluster = LocalCluster(self.layout.data / "cluster")
        log("starting a local cluster of 3 masters + 3 replicas for the live store")
        self.cluster.start()
        for node in self.cluster.nodes:
            log(f"  {node}; log {node.log}")
        self.signals.check()

    def _prepare_socket_dir(self) -> None:
        base = self.layout.redis_socket.parent
        base.mkdir(parents=True, exist_ok=True)
        # The short fallback lives in /tmp, where anyone could have created it first.
        for directory in (base, *base.parents):
            if directory == self.layout.data or directory == Path("/tmp"):
                break
            if directory.stat().st_uid != os.geteuid():
                raise DevstackError(f"{directory} belongs to another user; remove it first")

    def stop(self) -> None:
        # Reverse order of start; each stop is safe to call after a partial start.
        if self.postgres is not None:
            try:
                self.postgres.stop()
            except Exception as exc:  # keep going: redis must still be stopped
                log(f"error while stopping postgres: {exc}")
        if self.redis is not None:
            self.redis.stop()
        if self.cluster is not None:
            self.cluster.stop_all()
        if self.published:
            self.layout.services_env.unlink(missing_ok=True)
            self.published = False
        if self.lock is not None:
            self.lock.release()

    def child_env(self, endpoint: Endpoint) -> dict[str, str]:
        env = dict(os.environ)
        # Also when `manage` uses the embedded server of a running `run`.
        if self.postgres is not None or self.database_url == embedded_database_url(self.layout):
            for name in LIBPQ_TARGET_VARS:
                env.pop(name, None)
        env.update(
            procfile.variables(
                host=endpoint.host,
                port=endpoint.port,
                ws_port=endpoint.ws_port,
                beat_schedule=self.layout.beat_schedule,
            ),
            DATABASE_URL=self.database_url,
            REDIS_URL=self.redis_url,
            PATH=str(procfile.BIN) + os.pathsep + env.get("PATH", ""),
            PYTHONUNBUFFERED="1",
        )
        if self.cluster is not None:
            env["LIVE_REDIS_URL"] = self.cluster.seed_urls
            env["LIVE_REDIS_CLUSTER"] = "true"
        # The settings default to production (DEBUG off); a local run and the tests are
        # development unless the caller says otherwise.
        env.setdefault("DJANGO_DEBUG", "1")
        return env


def read_published(path: Path) -> dict[str, str]:
    """The `export NAME=value` lines of a `services.env`; {} if there is none."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        return {}
    return dict(found for line in text.splitlines() if (found := export_line(line)))


def export_line(line: str) -> tuple[str, str] | None:
    """(NAME, value) of an `export NAME=value` line as `services` prints them, else None."""
    words = shlex.split(line, comments=True)
    if len(words) == 2 and words[0] == "export" and "=" in words[1]:
        name, _, value = words[1].partition("=")
        return name, value
    return None
