"""The Procfile, the one place each process's command line is written.

`make run` starts the Procfile as it is, under honcho (`honcho_args`); the tests and the
benchmarks that start one of its processes on their own take the same line from
`command`, so that what they measure or test is what `make run` runs. Each line reads
`export PORT=...; exec PROGRAM ARGS`: `command` has /bin/sh (the shell honcho runs the
line with) expand it with the given variables, the Procfile's defaults for the others,
and print the words `exec` would run instead of running them. Callers append their own
flags (for the programs here, a repeated flag's last value wins).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from devstack import REPO_ROOT

PROCFILE = REPO_ROOT / "Procfile"
# honcho's own pattern for an entry.
ENTRY = re.compile(r"^([A-Za-z0-9_-]+):\s*(.+)$")
EXEC = "; exec "
BIN = Path(sys.executable).parent  # not resolved: keep the venv's bin dir


def entries(path: Path = PROCFILE) -> dict[str, str]:
    """Process name -> its shell line, in file order."""
    found = {}
    for line in path.read_text().splitlines():
        match = ENTRY.match(line)
        if match:
            found[match[1]] = match[2]
    return found


def command(name: str, path: Path = PROCFILE, **variables: str | int) -> list[str]:
    """The argv the Procfile's line `name` runs with these variables set (nothing else of
    this process's environment), its program looked up in the venv first."""
    line = entries(path)[name]
    prelude, found, program = line.partition(EXEC)
    if not found:
        raise ValueError(f"Procfile entry {name!r} does not end in `{EXEC.strip()} PROGRAM`")
    search = str(BIN) + os.pathsep + os.environ.get("PATH", os.defpath)
    env = {"PATH": search, **{key: str(value) for key, value in variables.items()}}
    script = f"{prelude}; printf '%s\\0' {program}"
    printed = subprocess.run(
        ["/bin/sh", "-c", script], env=env, capture_output=True, check=True
    ).stdout
    argv = printed.decode().split("\0")[:-1]
    argv[0] = shutil.which(argv[0], path=search) or argv[0]
    return argv


def variables(*, host: str, port: int, ws_port: int, beat_schedule: Path) -> dict[str, str]:
    """What the Procfile's lines read from the environment under honcho."""
    return {
        "HOST": host,
        "PORT": str(port),
        "WS_PORT": str(ws_port),
        # honcho overwrites PORT per process; the Procfile restores it from here.
        "DEVSTACK_PORT": str(port),
        "BEAT_SCHEDULE_FILE": str(beat_schedule),
    }


def honcho_args(path: Path = PROCFILE, concurrency: dict[str, int] | None = None) -> list[str]:
    """Every process of the Procfile under honcho, `concurrency` of those it names (honcho
    names them `worker.1`, `worker.2`, ... in HONCHO_PROCESS_NAME). `-e /dev/null`: the
    caller owns the environment; a .env must not override the DATABASE_URL/PORT it gives
    (and honcho takes PORT from .env otherwise)."""
    args = [sys.executable, "-m", "honcho", "start", "-f", str(path), "-e", os.devnull]
    if concurrency:
        args += ["-c", ",".join(f"{name}={count}" for name, count in concurrency.items())]
    return args
