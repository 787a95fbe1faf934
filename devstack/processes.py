"""Starting and stopping the project's own processes: for the tests that run real
servers (gunicorn, uvicorn, Celery), the benchmarks and the launcher.

Standard library only, so any of them can import it before Django is set up.
"""

import contextlib
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
READY_TIMEOUT = 60
STOP_TIMEOUT = 20


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def port_open(port: int, *, host: str = "127.0.0.1", timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


@contextlib.contextmanager
def process(
    args: list[str],
    *,
    env: dict[str, str],
    ready: Callable[[], bool] | None = None,
    log: Path | None = None,
) -> Iterator[subprocess.Popen]:
    """A process, in a session of its own, for the length of the block: once `ready()`
    answers true (within a minute), then stopped with its children (SIGTERM, then
    SIGKILL after 20 s). Its output goes to `log`, or nowhere."""
    where = f" (log: {log})" if log else ""
    with contextlib.ExitStack() as stack:
        out = stack.enter_context(open(log, "wb")) if log else subprocess.DEVNULL
        proc = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            deadline = time.monotonic() + READY_TIMEOUT
            while ready is not None and not ready():
                if proc.poll() is not None:
                    raise RuntimeError(f"{args[0]} exited with {proc.returncode}{where}")
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{args} did not become ready{where}")
                time.sleep(0.1)
            yield proc
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
