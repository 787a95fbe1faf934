"""The write-path benchmark (`make bench-writepath`, issue #3).

One run measures, for WRITE_MODE=buffered and then WRITE_MODE=direct, on the same
gunicorn (same workers) and the same load generator and concurrency:

* requests/s and p50/p99 latency of the gamified action (a focus session started, then
  completed: every request is one action and writes one event) next to the
  authenticated no-op `GET /api/ping`;
* PostgreSQL work per action: statements (pg_stat_statements), transactions, rows and
  WAL bytes. In buffered mode the backlog each action round left is flushed inside the
  measurement, so the flush that writes those actions is counted too.

Then the flush throughput: 100,000 pending events made through the live-store scripts,
and `pipeline.flush.flush_pending()` timed on them.

Absolute figures are noisy on a small shared machine; the ratios are the headline.
Raw numbers go to .data/perf/writepath.json.

    python -m perf.writepath [--quick] [--seconds N] [--connections N] ...

Without DATABASE_URL/REDIS_URL it starts embedded servers with devstack. It
works in a database of its own beside the one DATABASE_URL names (`<name>_writepath`,
made afresh and dropped at the end) and empties the Redis database it uses: REDIS_URL's,
or database 15 of the embedded server.
"""

import argparse
import json
import os
import sys
from pathlib import Path

from perf import databases, loadgen, report, stack
from perf.report import number
from perf.writepath_targets import MODES

OUTPUT = stack.RESULTS / "writepath.json"
FULL = {
    "players": 1000,
    "connections": 16,
    "seconds": 15,
    "rounds": 3,
    "warmup": 3,
    "flush_events": 100_000,
}
QUICK = {
    "players": 40,
    "connections": 4,
    "seconds": 2,
    "rounds": 2,
    "warmup": 1,
    "flush_events": 1_000,
}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m perf.writepath", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a tiny run (smoke test)")
    parser.add_argument("--players", type=int)
    parser.add_argument("--connections", type=int, help="wrk connections (= threads)")
    parser.add_argument("--seconds", type=int, help="measured seconds of each endpoint")
    parser.add_argument("--rounds", type=int, help="no-op/action alternations the seconds span")
    parser.add_argument("--warmup", type=int, help="seconds of unmeasured load first")
    parser.add_argument("--flush-events", type=int)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    options = parser.parse_args(argv)
    for name, value in (QUICK if options.quick else FULL).items():
        if getattr(options, name) is None:
            setattr(options, name, value)
    return options


def main(argv: list[str] | None = None) -> int:
    options = parse_args(argv)
    loadgen.wrk_binary()  # fail before starting anything
    with stack.services(_stderr, redis_db=stack.REDIS_DB["writepath"]) as services:
        # A database of its own: the given one may hold someone's data (`make run` keeps the
        # developer's there), and the benchmark empties its tables between phases.
        bench_url = databases.database_beside(services.database_url, "_writepath")
        os.environ.update(
            DATABASE_URL=bench_url,
            REDIS_URL=services.redis_url,
            DJANGO_SETTINGS_MODULE="focusquest.settings",
            # Measured as production runs: DEBUG off (no query log kept per request).
            DJANGO_DEBUG="0",
            DJANGO_SECRET_KEY="bench-writepath-only-not-a-secret",
            # Plain HTTP on loopback, as behind the TLS proxy: no redirect to https.
            SECURE_SSL_REDIRECT="0",
            LOG_LEVEL="WARNING",
        )
        try:
            import django

            django.setup()
            from perf import phases

            found = phases.run(options, services)
        finally:
            from django.db import connections

            connections.close_all()
            databases.database_drop(bench_url)
    options.output.parent.mkdir(parents=True, exist_ok=True)
    options.output.write_text(json.dumps(found, indent=2, default=str) + "\n")
    print(render(found))
    print(f"\nraw numbers: {options.output}")
    return 0


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- report


def _work_rows(found: dict, key: str) -> list[str]:
    rows = []
    for mode in MODES:
        per = found["modes"][mode]["action"][key]
        rows.append(
            f"  {mode:9} {number(per['statements'], 4):>11} {number(per['commits'], 4):>8} "
            f"{number(per['transactions'], 4):>13} {number(per['rows_written'], 2):>13} "
            f"{number(per['wal_bytes'], 0):>10}"
        )
    return rows


def render(found: dict) -> str:
    config = found["config"]
    lines = [
        f"Write path: gunicorn {config['workers']} sync workers; {found['machine']['generator']}"
        f", {config['connections']} connections (1 per thread); per endpoint {config['seconds']}"
        f" s in {config['rounds']} rounds alternating no-op and action, after "
        f"{config['warmup']} s of warm-up; {config['players']} players",
        f"PostgreSQL {found['postgres']['version']}, {found['redis']['version']}; "
        f"statements: {found['postgres']['statements_source']}",
        "",
        *_load_lines(found),
        *_work_lines(found),
    ]
    flush = found["flush"]
    lines += [
        "",
        f"Flush: {flush['events']:,} pending events in {flush['seconds']:.2f} s = "
        f"{flush['events_per_second']:,.0f} events/s ({flush['batches']} batches; events made "
        f"in {flush['make_seconds']:.1f} s; consistency drift afterwards: {flush['drift']})",
        "",
        "Redis round trips of one check-in (the service call): "
        + ", ".join(f"{kind} {n}" for kind, n in found["check_in_round_trips"].items()),
        "",
        "Targets",
        "",
        report.targets_table(found["targets"]),
    ]
    return "\n".join(lines)


def _load_lines(found: dict) -> list[str]:
    header = (
        f"  {'mode':9} {'endpoint':19} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'errors':>6} {'wrk':>5} | {'CPU ms per request: gunicorn':>28} {'redis':>6} {'pg':>6}"
    )
    lines = [header, "  " + "-" * (len(header) - 2)]
    for mode in MODES:
        for label, key in (("no-op GET /api/ping", "noop"), ("action (session)", "action")):
            load = found["modes"][mode][key]["load"]
            cpu = found["modes"][mode][key]["cpu_seconds"]
            generator_share = load["generator_cpu_seconds"] / load["seconds"] / found["cpus"]
            per_request = {
                name: number(1000 * cpu[name] / load["requests"], 2) if name in cpu else "n/a"
                for name in ("gunicorn", "redis", "postgres")
            }
            lines.append(
                f"  {mode:9} {label:19} {number(load['requests_per_second'], 0):>7} "
                f"{number(load['p50_ms'], 1):>7} {number(load['p99_ms'], 1):>7} "
                f"{load['errors']:>6} {generator_share:>5.0%} | {per_request['gunicorn']:>28} "
                f"{per_request['redis']:>6} {per_request['postgres']:>6}"
            )
    lines.append(
        "  (wrk: the load generator's share of the machine's CPUs; pg: every PostgreSQL "
        "process, with the writes: the request's in direct mode, the flushes' in buffered)"
    )
    return lines


def _work_lines(found: dict) -> list[str]:
    header = (
        f"  {'mode':9} {'statements':>11} {'COMMITs':>8} {'transactions':>13} "
        f"{'rows written':>13} {'WAL bytes':>10}"
    )
    lines = []
    for title, key in (
        ("PostgreSQL per action, all of it", "per_action"),
        (
            "PostgreSQL per action beyond a no-op request (the action's own work)",
            "per_action_beyond_noop",
        ),
    ):
        lines += ["", title, header, "  " + "-" * (len(header) - 2), *_work_rows(found, key)]
    lines.append(
        "  (buffered: the flush of the load's backlog is counted in; COMMITs: transactions "
        "that wrote, transactions: all, reads included)"
    )
    return lines


if __name__ == "__main__":
    sys.exit(main())
