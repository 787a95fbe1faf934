"""The load generator: wrk (C, epoll), driven by the Lua scripts in perf/wrk/.

Every run uses one connection per wrk thread (`-t N -c N`), so the session script can
pair each start with its complete on the same connection, and the no-op and the action
are driven identically. wrk's own CPU time is measured so the report can show that the
generator was not what limited the server.
"""

import json
import resource
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parent / "wrk"
WORKLOADS = {"ping": SCRIPTS / "ping.lua", "session": SCRIPTS / "session.lua"}
RESULT_MARK = "WRK_RESULT "


class LoadGeneratorMissing(RuntimeError):
    pass


def wrk_binary() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise LoadGeneratorMissing(
            "wrk is not installed; on Debian/Ubuntu: apt-get install -y wrk "
            "(macOS: brew install wrk)"
        )
    return found


def wrk_version() -> str:
    result = subprocess.run([wrk_binary(), "--version"], capture_output=True, text=True)
    return (result.stdout + result.stderr).splitlines()[0].strip()


@dataclass(frozen=True)
class LoadResult:
    workload: str
    connections: int
    seconds: float
    requests: int
    errors: int
    error_detail: dict
    requests_per_second: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float
    generator_cpu_seconds: float


def run(
    *, base_url: str, workload: str, tokens_file: Path, connections: int, seconds: int
) -> LoadResult:
    args = [
        wrk_binary(),
        *("-t", str(connections), "-c", str(connections)),
        *("-d", f"{seconds}s", "--timeout", "10s"),
        *("-s", str(WORKLOADS[workload])),
        base_url,
        "--",
        str(tokens_file),
        str(connections),
    ]
    usage_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    completed = subprocess.run(args, capture_output=True, text=True, timeout=seconds + 60)
    usage_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    lines = [line for line in completed.stdout.splitlines() if line.startswith(RESULT_MARK)]
    if completed.returncode != 0 or not lines:
        raise RuntimeError(
            f"wrk failed ({completed.returncode}): {completed.stdout}\n{completed.stderr}"
        )
    data = json.loads(lines[-1].removeprefix(RESULT_MARK))
    errors = data["errors"]
    failed = errors["status"] + errors["read"] + errors["write"] + errors["timeout"]
    seconds_run = data["duration_us"] / 1e6
    latency = data["latency_us"]
    return LoadResult(
        workload=workload,
        connections=connections,
        seconds=seconds_run,
        requests=data["requests"],
        errors=failed,
        error_detail=errors,
        requests_per_second=data["requests"] / seconds_run,
        p50_ms=latency["p50"] / 1000,
        p90_ms=latency["p90"] / 1000,
        p99_ms=latency["p99"] / 1000,
        mean_ms=latency["mean"] / 1000,
        max_ms=latency["max"] / 1000,
        generator_cpu_seconds=(usage_after.ru_utime + usage_after.ru_stime)
        - (usage_before.ru_utime + usage_before.ru_stime),
    )
