"""Stop signals: recorded once, forwarded to the current child, acted on at checkpoints."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from types import FrameType

from devstack import log


class Interrupted(Exception):
    """Raised at a checkpoint after SIGINT/SIGTERM/SIGHUP arrived."""


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
