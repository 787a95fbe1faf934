"""The measured phases of bench.writepath (imported once Django is set up).

Per mode, one gunicorn serves a warm-up, then the no-op load, then the action load;
PostgreSQL's counters are read around each load once every backend has published them
(see bench.pgstats). The action's window ends after the server has stopped and, in
buffered mode, after the flush of the backlog the load left.
"""

import os
import time

from django.conf import settings
from django.core.management import call_command
from django.db import connection

from bench import loadgen, pgstats, players, stack, writepath
from gameplay import flush, live
from gameplay.maintenance import consistency_drift
from gameplay.models import LedgerEntry
from loadtest.observe import process_tree
from loadtest.stack import Services

WORK_DIR = stack.ROOT / ".data" / "bench"
WORK_MEASURES = ("statements", "transactions", "rows_written", "wal_bytes")


def run(options, services: Services) -> dict:
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    started = writepath.now_iso()
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


def _backend_pids() -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT pid FROM pg_stat_activity
               WHERE datname = current_database() AND pid <> pg_backend_pid()"""
        )
        return [pid for (pid,) in cursor.fetchall()]


def _cpu(gunicorn_pids: list[int], redis_pid: int, pg_pids: list[int]) -> dict:
    return {
        "gunicorn": stack.cpu_seconds(gunicorn_pids),
        "redis": stack.cpu_seconds([redis_pid]),
        "postgres_backends": stack.cpu_seconds(pg_pids),
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
        "transactions": per(work["transactions"]),
        "rows_written": per(rows),
        "wal_bytes": per(work["wal_bytes"]),
    }


def _beyond_noop(action: dict, noop_per_request: dict, requests: int, events: int) -> dict:
    """The action's work less what its requests would have cost as no-ops (token lookup,
    connection check): what the action itself makes PostgreSQL do."""
    beyond = {"count": events}
    for measure in WORK_MEASURES:
        total, baseline = action[measure], noop_per_request[measure]
        if total is None or baseline is None or not events:
            beyond[measure] = None
        else:
            beyond[measure] = max(0.0, (total * events - baseline * requests) / events)
    return beyond


def mode_run(mode: str, options, observer: pgstats.Observer) -> dict:
    players.data_reset()
    made = players.players_make(options.players + options.connections)
    # The warm-up has players of its own, so the measured load starts with no session
    # running for anyone.
    tokens_file = WORK_DIR / f"tokens-{mode}.txt"
    tokens_file.write_text("".join(f"{p.token}\n" for p in made[: options.players]))
    warmup_file = WORK_DIR / f"tokens-{mode}-warmup.txt"
    warmup_file.write_text("".join(f"{p.token}\n" for p in made[options.players :]))
    env = {**os.environ, "WRITE_MODE": mode, "PYTHONUNBUFFERED": "1"}
    log = WORK_DIR / f"gunicorn-{mode}.log"
    result: dict = {}
    with stack.gunicorn(workers=options.workers, env=env, log=log) as (url, master):

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
        load("ping", options.warmup, warmup_file)
        load("session", options.warmup, warmup_file)
        flush.flush_pending(max_seconds=600)
        gunicorn_pids = process_tree(master)
        redis_pid = int(live.client().info("server")["process_id"])
        pg_pids = _backend_pids()
        ledger_before = LedgerEntry.objects.count()

        windows = {}
        snapshot = observer.snapshot()
        for key, workload in (("noop", "ping"), ("action", "session")):
            cpu_before = _cpu(gunicorn_pids, redis_pid, pg_pids)
            outcome = load(workload, options.seconds, tokens_file)
            result[key] = {
                "load": writepath.load_dict(outcome),
                "cpu_seconds": _cpu_delta(cpu_before, _cpu(gunicorn_pids, redis_pid, pg_pids)),
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
    action["per_action_beyond_noop"] = _beyond_noop(
        action["per_action"],
        noop["per_request"],
        # Every action request served wrote one event, counted or not by wrk (at its
        # deadline it stops counting the requests still in flight).
        max(action["load"]["requests"], action["events_written"]),
        action["events_written"],
    )
    return result


def flush_run(options, observer: pgstats.Observer) -> dict:
    players.data_reset()
    made = players.players_make(options.players)
    started = time.perf_counter()
    last = players.pending_events_make(
        made,
        events=options.flush_events,
        start=writepath.flush_start(options.flush_events, options.players),
    )
    make_seconds = time.perf_counter() - started
    pending = flush.backlog()["pending"]
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
