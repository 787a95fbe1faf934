"""The processes below this one, read from /proc: finding, reaping and stopping them.

The launcher is a child subreaper, so whatever its children leave behind is re-parented to
it; these are the tools that keep nothing running, and no zombie, after it. The benchmarks
use the same table to add up a process tree's CPU time.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from devstack import log

SWEEP_GRACE = 10.0
PR_SET_CHILD_SUBREAPER = 36


@dataclass(frozen=True)
class ProcInfo:
    pid: int
    ppid: int
    state: str


def stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (the state first), or None
    once the process is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name is in parentheses and may itself contain spaces or ')'.
    return raw[raw.rfind(")") + 2 :].split()


def proc_table() -> dict[int, ProcInfo]:
    table: dict[int, ProcInfo] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        fields = stat(int(entry))
        if fields is not None:  # else it exited while we were looking
            table[int(entry)] = ProcInfo(pid=int(entry), ppid=int(fields[1]), state=fields[0])
    return table


def process_tree(root: int) -> list[int]:
    """root and all its descendants, zombies included (their CPU time is still there)."""
    children: dict[int, list[int]] = {}
    for info in proc_table().values():
        children.setdefault(info.ppid, []).append(info.pid)
    found, stack = [], [root]
    while stack:
        pid = stack.pop()
        found.append(pid)
        stack.extend(children.get(pid, []))
    return found


def alive(pid: int) -> bool:
    """True if pid exists and is not a zombie."""
    fields = stat(pid)
    return fields is not None and fields[0] not in ("Z", "X")


def cmdline(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    return raw.replace(b"\0", b" ").decode(errors="replace")


def reap(pid: int) -> None:
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
    for info in proc_table().values():
        if info.ppid == me and info.state == "Z" and info.pid not in keep:
            reap(info.pid)


def descendants(root: int, exclude: Iterable[int] = ()) -> list[int]:
    """Live descendants of `root`, skipping `exclude` and everything below them."""
    excluded = set(exclude)
    table = proc_table()
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
    signal_all(pids, signal.SIGTERM)
    deadline = time.monotonic() + SWEEP_GRACE
    while time.monotonic() < deadline and any(alive(pid) for pid in pids):
        reap_adopted_zombies(keep)
        time.sleep(0.1)
    remaining = [pid for pid in pids if alive(pid)]
    if remaining:
        log(f"killing {len(remaining)} process(es) that ignored SIGTERM: {_describe(remaining)}")
        signal_all(remaining, signal.SIGKILL)
        for pid in remaining:
            wait_gone(pid, 5)
    reap_adopted_zombies(keep)


def _describe(pids: Sequence[int]) -> str:
    parts = [f"{pid} ({cmdline(pid)[:60].strip() or '?'})" for pid in pids[:8]]
    return ", ".join(parts) + (" ..." if len(pids) > 8 else "")


def signal_all(pids: Iterable[int], sig: int) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)


def wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while alive(pid):
        if time.monotonic() > deadline:
            return False
        reap(pid)
        time.sleep(0.1)
    reap(pid)
    return True
