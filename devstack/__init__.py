"""The local launcher (`python -m devstack`, what the make targets run) and the pieces of it
that the tests and benchmarks share: the embedded servers, the Procfile's command lines,
and starting and stopping processes.

Standard library only: `make system-packages` runs it with the system's python3 before
.venv exists, and the launcher prepares the environment the app reads before the app is
importable. See __main__.py for the process model.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_ROOT = REPO_ROOT / ".data"


class DevstackError(Exception):
    """A failure that is reported as one line, without a traceback."""


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
