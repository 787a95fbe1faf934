"""`python -m perf`: the launch spike in both write modes, and PostgreSQL's ceiling.

    python -m perf spike --profile short        both modes, report and charts
    python -m perf spike --profile long --charts docs/charts
    python -m perf ceiling                      PostgreSQL's ceiling per mode only
    python -m perf all --profile long ...       the spike, then the ceiling

Servers: `python -m devstack services` (embedded PostgreSQL with pg_stat_statements,
embedded Redis) unless DATABASE_URL and REDIS_URL are both set; then those are used, the
run makes its own databases beside the named one and EMPTIES the named Redis database.
Results go to .data/perf/spike/<time>-<profile>/ (report.json, report.md, charts, app logs).
"""

import argparse
import json
import subprocess
import sys
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import redis

from perf import report as reports
from perf import stack as stacks
from perf.databases import database_beside
from perf.profiles import PROFILES, parse_mix, profile_named

MODES = ("buffered", "direct")


def log(message: str) -> None:
    print(f"perf: {message}", file=sys.stderr, flush=True)


def _tuning(pairs: list[str]) -> dict[str, str]:
    tuning = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep:
            raise SystemExit(f"--set wants NAME=VALUE, got {pair!r}")
        tuning[name] = value
    return tuning


def run_spike(options, services: stacks.Services, template: str, out: Path) -> dict:
    from perf.spike import run_mode  # numpy and friends only when a spike runs

    profile = profile_named(
        options.profile,
        players=options.players,
        hold_seconds=options.duration,
        ramp_seconds=options.ramp,
        think_seconds=options.think,
        web_concurrency=options.web_concurrency,
        spectators=options.spectators,
        mix=parse_mix(options.mix) if options.mix else None,
    )
    results = {}
    for mode in options.modes.split(","):
        if mode not in MODES:
            raise SystemExit(f"unknown mode {mode!r}; one of {', '.join(MODES)}")
        results[mode] = run_mode(
            services,
            mode=mode,
            profile=profile,
            template=template,
            out_dir=out,
            tuning=_tuning(options.set or []),
            log=log,
        )
        r = results[mode]
        log(
            f"{mode}: {r['actions_per_second']:,.0f} actions/s, {r['errors']} errors, "
            f"consistency {'pass' if r['consistency']['check_consistency'] else 'FAIL'}"
        )
    return {"profile": asdict(profile), "modes": results}


def run_ceiling(options, services: stacks.Services, template: str, out: Path) -> dict:
    url = database_beside(
        services.database_url, f"{stacks.DATABASE_SUFFIX}_ceiling", template=template
    )
    client = redis.Redis.from_url(services.redis_url)
    client.flushdb()
    client.close()
    env = stacks.app_env(database_url=url, redis_url=services.redis_url)
    target = out / "ceiling.json"
    log("measuring PostgreSQL's ceiling in each mode (no HTTP)")
    args = [sys.executable, "-m", "perf.ceiling", "--json", str(target)]
    if options.writers:
        args += ["--writers", options.writers]
    if options.batches:
        args += ["--batches", options.batches]
    done = subprocess.run(args, cwd=stacks.ROOT, env=env)
    if done.returncode != 0:
        raise RuntimeError(f"the ceiling measurement failed ({done.returncode})")
    return json.loads(target.read_text())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m perf",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("command", choices=["spike", "ceiling", "all"])
    parser.add_argument("--profile", default="short", choices=sorted(PROFILES))
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--players", type=int, help="players in the spike")
    parser.add_argument("--duration", type=float, help="seconds at full load after the ramp")
    parser.add_argument("--ramp", type=float, help="seconds from quiet to every player on")
    parser.add_argument("--think", type=float, help="mean pause between a player's steps (s)")
    parser.add_argument("--spectators", type=int, help="anonymous websockets (landing page)")
    parser.add_argument(
        "--mix", help="step weights, e.g. session=35,check_in=12,me=23,leaderboard=20,community=10"
    )
    parser.add_argument("--web-concurrency", type=int, help="gunicorn workers")
    parser.add_argument(
        "--set",
        action="append",
        metavar="NAME=VALUE",
        help="extra environment for the app processes (tuning), repeatable",
    )
    parser.add_argument("--writers", help="ceiling: writer counts, e.g. 1,2,4,8")
    parser.add_argument("--batches", help="ceiling: flush batch sizes, e.g. 1000,10000")
    parser.add_argument("--out", type=Path, help="results folder")
    parser.add_argument("--charts", type=Path, help="write the charts here (e.g. docs/charts)")
    options = parser.parse_args(argv)

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = options.out or stacks.RESULTS / "spike" / f"{stamp}-{options.profile}"
    out.mkdir(parents=True, exist_ok=True)
    machine = reports.machine()
    started = time.monotonic()
    with stacks.services(log, redis_db=stacks.REDIS_DB["spike"]) as services:
        log(f"servers: {'embedded (devstack services)' if services.embedded else 'as given'}")
        template = stacks.database_template(services, log)
        spike = ceiling = None
        if options.command in ("spike", "all"):
            spike = run_spike(options, services, template, out)
        if options.command in ("ceiling", "all"):
            ceiling = run_ceiling(options, services, template, out)
    results = {"machine": machine, "spike": spike, "ceiling": ceiling}
    (out / "report.json").write_text(json.dumps(results, indent=1, default=str))
    text = reports.write(out, machine, spike, ceiling, options.charts, options.profile)
    print(text)
    log(f"done in {time.monotonic() - started:.0f} s; results in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
