"""The measured phases of perf.writepath (imported once Django is set up).

Per mode, one gunicorn serves a warm-up, then rounds of the no-op load and the action
load in turn; PostgreSQL's counters are read after each load, once the server is quiet and
every backend has published them (see perf.pgstats). In buffered mode an action load's
window also holds the flush of the backlog it left.
"""

import functools
import os
import sys
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.db import connection

from devstack.proctree import process_tree
from devstack.servers import server_version
from gameplay import live
from gameplay.models import LedgerEntry
from perf import databases, loadgen, pgstats, players, roundtrips, stack, writepath_targets
from perf.databases import base_connect
from perf.observe import postmaster_pid
from perf.report import percentile
from perf.stack import Services
from pipeline import flush
from pipeline.consistency import consistency_drift

WORK_DIR = stack.RESULTS
WORK_MEASURES = ("statements", "commits", "transactions", "rows_written", "wal_bytes")
QUIET_SECONDS = 0.5


def log(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def run(options, services: Services) -> dict:
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    started = writepath_targets.now_iso()
    log("migrating the benchmark database")
    call_command("migrate", verbosity=0)
    _autovacuum_off()
    with base_connect(services.database_url) as stats_connection:
        observer = pgstats.Observer(stats_connection, connection.settings_dict["NAME"])
        report: dict[str, Any] = {
            "started_at": started,
            "cpus": os.cpu_count(),
            "machine": writepath_targets.machine(),
            "config": {
                "players": options.players,
                "connections": options.connections,
                "seconds": options.seconds,
                "rounds": options.rounds,
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
            "redis": {"version": server_version(live.client().info("server"))},
            "modes": {},
        }
        for mode in writepath_targets.MODES:
            report["modes"][mode] = mode_run(mode, options, observer)
        report["flush"] = flush_run(options, observer)
    report["check_in_round_trips"] = roundtrips.check_in_round_trips()
    report["targets"] = writepath_targets.targets(report)
    report["finished_at"] = writepath_targets.now_iso()
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


def _autovacuum_off() -> None:
    """Autovacuum would vacuum and analyse the tables the loads fill at moments of its own
    choosing, and its work (WAL, with data checksums on, for every hint bit it sets) would
    land in whichever window is open then; the benchmark analyses when it makes rows."""
    with connection.cursor() as cursor:
        # Plain tables only (the ledger's months included): a partitioned table holds no
        # rows of its own and takes no storage parameters.
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relkind = 'r' AND relnamespace = "
            "'public'::regnamespace"
        )
        for (table,) in cursor.fetchall():
            cursor.execute(
                f"ALTER TABLE {connection.ops.quote_name(table)} SET (autovacuum_enabled = off)"
            )


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
        "commits": per(work["commits"]),
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


def _tokens_file(name: str, made: list) -> Path:
    path = WORK_DIR / name
    path.write_text("".join(f"{player.token}\n" for player in made))
    return path


def _combined(slices: list[dict]) -> dict:
    """The rounds of one endpoint as one measurement: counts summed, latency
    percentiles the median of the rounds' (wrk's histograms are not exported)."""
    loads = [piece["load"] for piece in slices]
    requests = sum(load["requests"] for load in loads)
    seconds = sum(load["seconds"] for load in loads)
    load = {
        "workload": loads[0]["workload"],
        "connections": loads[0]["connections"],
        "rounds": len(loads),
        "seconds": seconds,
        "requests": requests,
        "errors": sum(load["errors"] for load in loads),
        "error_detail": {
            kind: sum(load["error_detail"][kind] for load in loads)
            for kind in loads[0]["error_detail"]
        },
        "requests_per_second": requests / seconds,
        "generator_cpu_seconds": sum(load["generator_cpu_seconds"] for load in loads),
        "max_ms": max(load["max_ms"] for load in loads),
        "mean_ms": sum(load["mean_ms"] * load["requests"] for load in loads) / requests,
        "rounds_detail": [
            {k: load[k] for k in ("requests_per_second", "p50_ms", "p99_ms")} for load in loads
        ],
    }
    for point in ("p50_ms", "p90_ms", "p99_ms"):
        load[point] = percentile([piece[point] for piece in loads], 50)
    names = slices[0]["cpu_seconds"]
    cpu = {name: sum(piece["cpu_seconds"][name] for piece in slices) for name in names}
    return {
        "load": load,
        "cpu_seconds": {name: round(value, 3) for name, value in cpu.items()},
        "postgres": pgstats.work_sum([piece["postgres"] for piece in slices]),
    }


def mode_run(mode: str, options, observer: pgstats.Observer) -> dict:
    """The no-op and the action in alternating rounds on one server, so that a change in
    what else the machine runs weighs on both alike."""
    log(f"{mode}: {options.players} players, gunicorn with {options.workers} workers")
    ping_file, warmup_file, session_files = _token_files(mode, options)
    seconds = max(1, options.seconds // options.rounds)
    env = {**os.environ, "WRITE_MODE": mode, "PYTHONUNBUFFERED": "1"}
    server_log = WORK_DIR / f"gunicorn-{mode}.log"
    with stack.gunicorn(workers=options.workers, env=env, log=server_log) as (url, master):

        def load(workload: str, seconds: int, tokens: Path) -> loadgen.LoadResult:
            return loadgen.run(
                base_url=url,
                workload=workload,
                tokens_file=tokens,
                connections=options.connections,
                seconds=seconds,
            )

        # Every worker imports its views, opens its connections and loads the scripts
        # before anything is measured, and every measured player's token is in the
        # authentication cache; the warm-up's events are flushed before too.
        log(
            f"{mode}: warm-up, then {options.rounds} rounds of {seconds} s of no-op and "
            f"{seconds} s of action"
        )
        load("ping", options.warmup, ping_file)
        load("session", options.warmup, warmup_file)
        _wait_quiet(master)
        flush.flush_pending(max_seconds=600)
        roots = {
            "gunicorn": master,
            "redis": int(live.client().info("server")["process_id"]),
            "postgres": postmaster_pid(observer.conn),
        }
        ledger_before = LedgerEntry.objects.count()
        loads = []
        for session_file in session_files:
            loads.append(("noop", functools.partial(load, "ping", seconds, ping_file)))
            loads.append(("action", functools.partial(load, "session", seconds, session_file)))
        slices, flushes = _rounds(mode, loads, master=master, roots=roots, observer=observer)
    noop, action = _combined(slices["noop"]), _combined(slices["action"])
    if mode == "buffered":
        action["flush"] = flushes
    action["events_written"] = LedgerEntry.objects.count() - ledger_before
    action["pending_after"] = flush.backlog()["pending"]
    noop["per_request"] = _per(noop["postgres"], noop["load"]["requests"])
    action["per_action"] = _per(action["postgres"], action["events_written"])
    action["per_action_beyond_noop"] = _beyond_noop(action, noop)
    return {"noop": noop, "action": action}


def _token_files(mode: str, options) -> tuple[Path, Path, list[Path]]:
    """The players' tokens for wrk: the no-op's, the action's warm-up's, each round's."""
    players.data_reset()
    made = players.players_make(options.players + options.connections)
    databases.analyze()
    measured = made[: options.players]
    ping_file = _tokens_file(f"tokens-{mode}.txt", measured)
    # The action's warm-up and each round's action load have players of their own, so no
    # round starts with a session an earlier one left running.
    warmup_file = _tokens_file(f"tokens-{mode}-warmup.txt", made[options.players :])
    session_files = [
        _tokens_file(f"tokens-{mode}-{n}.txt", measured[n :: options.rounds])
        for n in range(options.rounds)
    ]
    return ping_file, warmup_file, session_files


def _rounds(
    mode: str, loads: list, *, master: int, roots: dict, observer: pgstats.Observer
) -> tuple[dict[str, list[dict]], dict]:
    """Each (key, load) in turn, with the CPU and PostgreSQL work of its window."""
    slices: dict[str, list[dict]] = {"noop": [], "action": []}
    flushes = {"events": 0, "batches": 0, "shards": 0, "seconds": 0.0}
    before = observer.snapshot()
    for key, load in loads:
        cpu_before = _cpu(roots)
        outcome = load()
        _wait_quiet(master)
        if key == "action" and mode == "buffered":
            # As the beat does every FLUSH_INTERVAL_SECONDS: the action's PostgreSQL work
            # is the flush of what it left pending.
            started = time.perf_counter()
            done = flush.flush_pending(max_seconds=600)
            flushes["seconds"] += time.perf_counter() - started
            flushes["events"] += done.events
            flushes["batches"] += done.batches
            flushes["shards"] += len(done.shards)
        cpu = _cpu_delta(cpu_before, _cpu(roots))
        after = observer.snapshot()
        slices[key].append(
            {
                "load": writepath_targets.load_dict(outcome),
                "cpu_seconds": cpu,
                "postgres": observer.work_between(before, after),
            }
        )
        before = after
    return slices, flushes


def flush_run(options, observer: pgstats.Observer) -> dict:
    log(f"flush: making {options.flush_events:,} pending events")
    players.data_reset()
    # As many players as a launch spike's backlog of this size has: see backlog_plan.
    made = players.players_make(max(1, options.flush_events // players.EVENTS_PER_PLAYER))
    databases.analyze()
    started = time.perf_counter()
    last = players.pending_events_make(
        made,
        events=options.flush_events,
        start=writepath_targets.flush_start(),
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
        "shards": len(report.shards),
        "seconds": seconds,
        "events_per_second": report.events / seconds if seconds else 0.0,
        "make_seconds": make_seconds,
        "cpu_seconds": {"bench_process": round(cpu_bench, 3), "postgres_backend": backend_cpu},
        "drift": len(drift),
        "drift_sample": drift[:5],
        "postgres": work,
        "per_event": _per(work, report.events),
    }
