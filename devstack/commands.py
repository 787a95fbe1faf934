"""The launcher's commands: run (and run-cluster), test, services, manage and cluster."""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

from devstack import DATA_ROOT, REPO_ROOT, DevstackError, log, procfile, say
from devstack.cluster import local_cluster
from devstack.layout import DataLock
from devstack.processes import port_open
from devstack.proctree import (
    alive,
    cmdline,
    descendants,
    reap_adopted_zombies,
    signal_all,
    sweep_descendants,
    terminate_pids,
    wait_gone,
)
from devstack.signals import Signals
from devstack.stack import Endpoint, Stack, read_published

# honcho gives its processes 5 s after SIGTERM before SIGKILL; allow for that and more.
HONCHO_STOP_TIMEOUT = 10.0

# How to run management commands beside `run` / `services` (printed by both).
MANAGE_HINT = 'make manage ARGS="createsuperuser" (any manage.py command)'


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
                raise DevstackError("valkey-server exited unexpectedly")
            if stack.postgres is not None and stack.postgres.pid and not alive(stack.postgres.pid):
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
            join_or_start(stack)
        env = stack.child_env(Endpoint.from_env())
        rc = run_foreground([sys.executable, "manage.py", *manage_args], env, signals, "manage.py")
        return 128 - rc if rc < 0 else rc
    finally:
        sweep_descendants(stack.server_pids(), "after manage.py")
        stack.stop()


def cmd_cluster(signals: Signals) -> int:
    """A local 3+3 cluster under .data/cluster until Ctrl-C; its seed URLs on stdout (every
    node, comma-separated, as LIVE_REDIS_URL takes them). Fresh on every start (see
    devstack/cluster.py)."""
    path = DATA_ROOT / "cluster"
    path.mkdir(parents=True, exist_ok=True)
    lock = DataLock(path / "devstack.lock")
    lock.acquire(wait=False, signals=signals)
    try:
        with local_cluster(path) as cluster:
            for node in cluster.nodes:
                slots = ", ".join(f"{low}-{high}" for low, high in node.slots) or "none"
                log(f"{node}: slots {slots}; log {node.log}")
            say(cluster.seed_urls)
            log("cluster_state:ok on every node; press Ctrl-C to stop it")
            exited: set[int] = set()
            while signals.received is None:
                for node in cluster.nodes:
                    if not node.alive() and node.port not in exited:
                        exited.add(node.port)  # the others carry on: that is a cluster
                        log(f"{node} exited; see {node.log}")
                time.sleep(0.5)
        return signals.exit_code()
    finally:
        lock.release()


def join_or_start(stack: Stack) -> None:
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


def cmd_run(signals: Signals, *, cluster: bool = False) -> int:
    """`run`; with `cluster`, `run-cluster`: the live store on a local 3+3 cluster and two
    flush workers (the Procfile's worker twice), everything else as `run`."""
    endpoint = Endpoint.from_env()
    path = Path(os.environ.get("DEVSTACK_PROCFILE") or procfile.PROCFILE).resolve()
    stack = Stack("run-cluster" if cluster else "run", signals)
    honcho_pidfile = stack.layout.data / "honcho.pid"
    honcho: subprocess.Popen[bytes] | None = None
    relay: OutputRelay | None = None
    try:
        stack.acquire_lock()
        _stop_stale_honcho(honcho_pidfile)
        for port in (endpoint.port, endpoint.ws_port):
            if port_open(port, host=endpoint.probe_host(), timeout=0.5):
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

        args = procfile.honcho_args(path, concurrency={"worker": 2} if cluster else None)
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
            log("valkey-server exited unexpectedly; stopping the app")
            return 1
        if not announced:
            probe = endpoint.probe_host()
            ports = (endpoint.port, endpoint.ws_port)
            if all(port_open(port, host=probe, timeout=0.5) for port in ports):
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
    if alive(pid) and "honcho start" in cmdline(pid):
        log(f"found honcho left running by an earlier run (pid {pid}); stopping it")
        # Collect the tree first: if honcho dies (e.g. on EPIPE, its old stdout reader is
        # gone) its processes are re-parented and could no longer be found through it.
        tree = descendants(pid)
        signal_all([pid], signal.SIGTERM)  # honcho stops its processes in order
        wait_gone(pid, HONCHO_STOP_TIMEOUT)
        leftovers = [p for p in [pid, *tree] if alive(p)]
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
    signal_all([*tree, honcho.pid], signal.SIGKILL)
    honcho.wait()
