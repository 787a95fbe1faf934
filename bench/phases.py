"""The measured phases of bench.writepath (imported once Django is set up).

Per mode, one gunicorn serves a warm-up, then the no-op load, then the action load;
PostgreSQL's counters are read around each load once every backend has published them
(see bench.pgstats). The action's window ends after the server has stopped and, in
buffered mode, after the flush of the backlog the load left.
"""

import os
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.db import connection

from bench import loadgen, pgstats, players, stack, writepath
from gameplay import flush, live
from gameplay.maintenance import consistency_drift
from gameplay.models import LedgerEntry
from loadtest.observe import postmaster_pid, process_tree
from loadtest.stack import Services

WORK_DIR = stack.ROOT / ".data" / "bench"
WORK_MEASURES = ("statements", "transactions", "rows_written", "wal_bytes")
QUIET_SECONDS = 0.5


def log(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def run(options, services: Services) -> dict:
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    started = writepath.now_iso()
    log("migrating the benchmark database")
    call_command("migrate", verbosity=0)
    with stack.base_connect(services.database_url) as stats_connection:
        observer = pgstats.Observer(stats_connection, connection.settings_dict["NAME"])
        report = {
            "started_at": started,
            "cpus": os.cpu_count(),
            "machine": writepath.machine(),
            "config": {
                "players": options.players,
                "connections": options.connections,
                "seconds": options.seconds,
                "warmup": options.warmup,
                "workers": options.workers,
                "flush_events": options.flush_events,
                "flush_batch_size": settings.FLUSH_BATCH_SIZE,
                "embedded_servers": services.embedded,
            },
            "postgres": {
                "version": _one("SHOW server_version"),
                "statements_source": "pg_stat_statements"
                if observer.with_statements
                else "n/a: pg_stat_statements is not loaded (or not created in the "
                "database DATABASE_URL names); transactions, rows and WAL only",
                "wal_note": "WAL bytes are the server's WAL insert position: on a shared "
                "server other databases' writes count too",
            },
            "redis": {"version": live.client().info("server")["redis_version"]},
            "modes": {},
        }
        for mode in writepath.MODES:
            report["modes"][mode] = mode_run(mode, options, observer)
        report["flush"] = flush_run(options, observer)
    report["targets"] = writepath.targets(report)
    report["finished_at"] = writepath.now_iso()
    return report


def _one(sql: str):
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


def _wait_quiet(pid: int, timeout: float = 60.0) -> None:
    """Until the server has used no CPU for a while: wrk stops at its deadline, but the
    requests it left queued are still served, and must land before the next reading."""
    deadline = time.monotonic() + timeout
    last = stack.cpu_seconds(process_tree(pid))
    while time.monotonic() < deadline:
        time.sleep(QUIET_SECONDS)
        now = stack.cpu_seconds(process_tree(pid))
        if now == last:
            return
        last = now
    raise TimeoutError("the server did not go quiet after the load")


def _analyze() -> None:
    """Planner statistics for the fresh rows, as a database in service has them (and no
    autovacuum analysing them during a measurement)."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _cpu(roots: dict[str, int]) -> dict:
    """CPU seconds so far of each process tree (the processes alive now, and the
    children they have reaped)."""
    return {
        name: stack.cpu_seconds(process_tree(pid))
        for name, pid in roots.items()
        if pid is not None  # a server on another machine
    }


def _cpu_delta(before: dict, after: dict) -> dict:
    return {name: round(after[name] - before[name], 3) for name in after}


def _per(work: dict, count: int) -> dict:
    def per(value):
        return None if value is None or not count else value / count

    rows = work["rows_inserted"] + work["rows_updated"] + work["rows_deleted"]
    return {
        "count": count,
        "statements": per(work["statements"]),
        # Less the benchmark's own: the servers reconnect after each reading of the
        # counters, and each new connection's set-up is a transaction.
        "transactions": per(work["transactions"] - (work["connection_setup"] or 0)),
        "rows_written": per(rows),
        "wal_bytes": per(work["wal_bytes"]),
    }


def _beyond_noop(action: dict, noop: dict) -> dict:
    """What the action itself makes PostgreSQL do: its work less what its requests cost
    as no-ops (the token lookup and connection check of every authenticated request),
    statements query by query."""
    events = action["events_written"]
    # Every action request served wrote one event, counted or not by wrk (at its
    # deadline it stops counting the requests still in flight).
    served = max(action["load"]["requests"], events)
    beyond = {"count": events}
    for measure in WORK_MEASURES:
        total, baseline = action["per_action"][measure], noop["per_request"][measure]
        if total is None or baseline is None or not events:
            beyond[measure] = None
        else:
            beyond[measure] = max(0.0, (total * events - baseline * served) / events)
    own = pgstats.statements_beyond(
        action["postgres"],
        noop["postgres"],
        served=served,
        baseline_served=noop["load"]["requests"],
    )
    beyond["statements"] = None if own is None or not events else own / events
    return beyond


def mode_run(mode: str, options, observer: pgstats.Observer) -> dict:
    log(f"{mode}: {options.players} players, gunicorn with {options.workers} workers")
    players.data_reset()
    made = players.players_make(options.players + options.connections)
    _analyze()
    # The warm-up has players of its own, so the measured load starts with no session
    # running for anyone.
    tokens_file = WORK_DIR / f"tokens-{mode}.txt"
    tokens_file.write_text("".join(f"{p.token}\n" for p in made[: options.players]))
    warmup_file = WORK_DIR / f"tokens-{mode}-warmup.txt"
    warmup_file.write_text("".join(f"{p.token}\n" for p in made[options.players :]))
    env = {**os.environ, "WRITE_MODE": mode, "PYTHONUNBUFFERED": "1"}
    server_log = WORK_DIR / f"gunicorn-{mode}.log"
    result: dict = {}
    with stack.gunicorn(workers=options.workers, env=env, log=server_log) as (url, master):

        def load(workload: str, seconds: int, tokens) -> loadgen.LoadResult:
            return loadgen.run(
                base_url=url,
                workload=workload,
                tokens_file=tokens,
                connections=options.connections,
                seconds=seconds,
            )

        # Every worker imports its views, opens its connections and loads the scripts
        # before anything is measured; the warm-up's events are flushed before too.
        log(f"{mode}: warm-up, then no-op and action loads of {options.seconds} s each")
        load("ping", options.warmup, warmup_file)
        load("session", options.warmup, warmup_file)
        _wait_quiet(master)
        flush.flush_pending(max_seconds=600)
        roots = {
            "gunicorn": master,
            "redis": int(live.client().info("server")["process_id"]),
            "postgres": postmaster_pid(observer.conn),
        }
        ledger_before = LedgerEntry.objects.count()

        windows = {}
        snapshot = observer.snapshot()
        for key, workload in (("noop", "ping"), ("action", "session")):
            cpu_before = _cpu(roots)
            outcome = load(workload, options.seconds, tokens_file)
            _wait_quiet(master)
            result[key] = {
                "load": writepath.load_dict(outcome),
                "cpu_seconds": _cpu_delta(cpu_before, _cpu(roots)),
            }
            windows[key] = snapshot
            if key == "noop":
                snapshot = observer.snapshot()
                result[key]["postgres"] = observer.work_between(windows[key], snapshot)
    flush_seconds = None
    if mode == "buffered":
        started = time.perf_counter()
        report = flush.flush_pending(max_seconds=600)
        flush_seconds = time.perf_counter() - started
        result["action"]["flush"] = {
            "events": report.events,
            "batches": report.batches,
            "seconds": flush_seconds,
        }
    after = observer.snapshot()
    action = result["action"]
    action["postgres"] = observer.work_between(windows["action"], after)
    action["events_written"] = LedgerEntry.objects.count() - ledger_before
    action["pending_after"] = flush.backlog()["pending"]

    noop = result["noop"]
    noop["per_request"] = _per(noop["postgres"], noop["load"]["requests"])
    action["per_action"] = _per(action["postgres"], action["events_written"])
    action["per_action_beyond_noop"] = _beyond_noop(action, noop)
    return result


def flush_run(options, observer: pgstats.Observer) -> dict:
    log(f"flush: making {options.flush_events:,} pending events")
    players.data_reset()
    # As many players as a launch spike's backlog of this size has: see backlog_plan.
    made = players.players_make(max(1, options.flush_events // players.EVENTS_PER_PLAYER))
    _analyze()
    started = time.perf_counter()
    last = players.pending_events_make(
        made,
        events=options.flush_events,
        start=writepath.flush_start(),
        processes=os.cpu_count() or 1,
    )
    make_seconds = time.perf_counter() - started
    pending = flush.backlog()["pending"]
    log(f"flush: flushing {pending:,} pending events")
    before = observer.snapshot()
    cpu_before = time.process_time()
    started = time.perf_counter()
    report = flush.flush_pending(max_seconds=3600)
    seconds = time.perf_counter() - started
    cpu_bench = time.process_time() - cpu_before
    backend_cpu = stack.cpu_seconds([connection.connection.info.backend_pid])
    after = observer.snapshot()
    work = observer.work_between(before, after)
    drift = consistency_drift(now=last)
    return {
        "pending": pending,
        "events": report.events,
        "batches": report.batches,
        "seconds": seconds,
        "events_per_second": report.events / seconds if seconds else 0.0,
        "make_seconds": make_seconds,
        "cpu_seconds": {"bench_process": round(cpu_bench, 3), "postgres_backend": backend_cpu},
        "drift": len(drift),
        "drift_sample": drift[:5],
        "postgres": work,
        "per_event": _per(work, report.events),
    }
