"""The commands the tests and benchmarks need that no wheel provides, from apt."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from collections.abc import Iterable, Sequence

from devstack import DevstackError, log

# Commands the tests and benchmarks run that no wheel provides, each from the Debian package
# of the same name: chromium for the browser tests (Playwright cannot download its own
# browsers here), wrk for the write-path benchmark and its smoke test.
SYSTEM_PACKAGES = ("chromium", "wrk")


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
