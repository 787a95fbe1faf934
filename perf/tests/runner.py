"""Running a benchmark as its users do, from its smoke test."""

import os
import subprocess
import sys

from perf.stack import ROOT


def run_bench(module: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """`python -m <module> <args>` in the repository, with the tests' environment (so the
    benchmark uses, and empties, the tests' databases); fails the test on a non-zero exit."""
    completed = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed
