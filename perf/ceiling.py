"""PostgreSQL's ceiling in each write mode, without HTTP.

On one machine the Python web tier runs out of CPU long before PostgreSQL does, so the
spike alone hides what the design is for: past one web server PostgreSQL is the limit
every server shares. Here each mode's apply code is driven directly:

- direct: many concurrent writer processes each record actions through the live store
  with WRITE_MODE=direct, so every action is written in its own transaction by
  `pipeline.flush.apply_in_request`, exactly as a request would; closed loop, stepping the
  number of writers up. Half the actions are completions, which each update the community
  day row (the hot row).
- buffered: events recorded in Redis first, then `pipeline.flush.flush_pending` (the beat
  task's code) drains them at a given batch size; one transaction per batch, the community
  row updated once per batch.

The ceiling of a mode is the highest rate it reached while its latency stayed within
budget: one direct write's p95 under `DIRECT_P95_BUDGET_MS` (a request's write), one
flush batch's p95 under the flush interval (the flush keeps up).

Run by `python -m perf ceiling`, which prepares a database and calls this module in a
process of its own with the app configured (`python -m perf.ceiling`).
"""

import argparse
import json
import multiprocessing as mp
import os
import sys
import threading
import time
import uuid
from datetime import UTC, datetime

DIRECT_P95_BUDGET_MS = 100.0
DEFAULT_WRITERS = (1, 2, 4, 8, 16, 32, 64)
DEFAULT_BATCHES = (100, 1000, 5000, 10000, 20000)
PLAYERS_PER_WRITER = 4
SAMPLE_SECONDS = 0.1


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "perf.settings")
    import django

    django.setup()


def _players(count: int) -> list:
    from django.contrib.auth.hashers import make_password

    from accounts.models import User
    from gameplay import live

    password = make_password(None)
    tag = uuid.uuid4().hex[:6]
    users = User.objects.bulk_create(
        User(username=f"ceil{tag}{i}", display_name=f"Writer {i}", password=password)
        for i in range(count)
    )
    return [
        live.Actor(player_id=u.pk, timezone=u.timezone, day_start_hour=u.day_start_hour)
        for u in users
    ]


def _act(actor, *, complete: bool, session_id: str) -> None:
    """One action through the live store; in direct mode it also writes PostgreSQL."""
    from gameplay import live

    now = datetime.now(UTC)
    if complete:
        outcome = live.session_finish(
            actor=actor, session_id=session_id, action="complete", focused_seconds=0, now=now
        )
    else:
        outcome = live.session_start(
            actor=actor, session_id=session_id, planned_minutes=5, habit_id=None, now=now
        )
    if outcome.status != "ok":
        raise RuntimeError(f"the live store refused an action: {outcome.status}")


def _writer(actors, go, stop_at, results) -> None:
    from django.db import connections

    connections.close_all()  # never share the parent's connection
    latencies = []
    sessions: dict[int, str | None] = {a.player_id: None for a in actors}
    turn = 0
    go.wait()
    while time.time() < stop_at.value:
        actor = actors[turn % len(actors)]
        turn += 1
        running = sessions[actor.player_id]
        started = time.perf_counter()
        if running is None:
            session_id = str(uuid.uuid4())
            _act(actor, complete=False, session_id=session_id)
            sessions[actor.player_id] = session_id
        else:
            _act(actor, complete=True, session_id=running)
            sessions[actor.player_id] = None
        latencies.append(time.perf_counter() - started)
    # Leave no session running: the next step's writers start from a clean state.
    for actor in actors:
        running = sessions[actor.player_id]
        if running is not None:
            _act(actor, complete=True, session_id=running)
    connections.close_all()
    results.put(latencies)


class ActivitySampler(threading.Thread):
    """Backends waiting on a lock, and PostgreSQL's CPU, while a step runs."""

    def __init__(self, postmaster: int | None) -> None:
        super().__init__(daemon=True)
        self.stop_flag = threading.Event()
        self.waiters: list[int] = []
        self.connections: list[int] = []
        self.postmaster = postmaster

    def run(self) -> None:
        from django.db import connections

        with connections["default"].cursor() as cursor:
            while not self.stop_flag.is_set():
                cursor.execute(
                    """SELECT count(*), count(*) FILTER (WHERE wait_event_type = 'Lock')
                       FROM pg_stat_activity
                       WHERE datname = current_database() AND backend_type = 'client backend'
                         AND pid <> pg_backend_pid()"""
                )
                total, waiting = cursor.fetchone()
                self.connections.append(total)
                self.waiters.append(waiting)
                self.stop_flag.wait(SAMPLE_SECONDS)
        connections["default"].close()


def _pg_cpu(postmaster: int | None) -> float:
    from devstack.proctree import process_tree
    from perf.observe import TICKS, cpu_ticks

    if postmaster is None:
        return 0.0
    # Each writer's backend exits with it: its time is found in the postmaster's.
    return sum(cpu_ticks(pid) for pid in process_tree(postmaster)) / TICKS


def _pg_work() -> tuple[int | None, int, str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT xact_commit + xact_rollback FROM pg_stat_database "
            "WHERE datname = current_database()"
        )
        transactions = cursor.fetchone()[0]
        cursor.execute("SELECT pg_current_wal_insert_lsn()::text")
        lsn = cursor.fetchone()[0]
        statements = None
        try:
            cursor.execute(
                "SELECT sum(calls)::bigint FROM pg_stat_statements "
                "WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) "
                "AND toplevel AND query NOT LIKE '%pg_stat_%' "
                "AND query NOT LIKE '%pg_current_wal%' AND query NOT LIKE '%FOR KEY SHARE OF x%'"
            )
            statements = int(cursor.fetchone()[0] or 0)
        except Exception:  # pg_stat_statements is not loaded: statements unknown
            statements = None
    return statements, transactions, lsn


def _wal_diff(after: str, before: str) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_wal_lsn_diff(%s::pg_lsn, %s::pg_lsn)::bigint", [after, before])
        return int(cursor.fetchone()[0])


def _postmaster() -> int | None:
    from django.db import connection

    from devstack.proctree import stat

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        fields = stat(cursor.fetchone()[0])
    return int(fields[1]) if fields else None


def _percentile(values: list[float], point: float) -> float:
    from perf.report import percentile

    return percentile(values, point) or 0.0


class PostgresWork:
    """What PostgreSQL did while the block ran: its CPU, lock waiters (sampled), and the
    statements, transactions and WAL bytes of the run's database, per action."""

    def __init__(self, postmaster: int | None) -> None:
        self.postmaster = postmaster

    def __enter__(self) -> "PostgresWork":
        self.before = _pg_work()
        self.cpu = _pg_cpu(self.postmaster)
        self.sampler = ActivitySampler(self.postmaster)
        self.sampler.start()
        return self

    def __exit__(self, *exc) -> None:
        self.sampler.stop_flag.set()
        self.sampler.join(5)
        self.cpu = _pg_cpu(self.postmaster) - self.cpu
        time.sleep(1.2)  # statistics of the last transactions
        self.after = _pg_work()

    def per_action(self, actions: int) -> dict:
        (statements0, transactions0, lsn0), (statements1, transactions1, lsn1) = (
            self.before,
            self.after,
        )
        waiters = self.sampler.waiters
        actions = max(actions, 1)
        return {
            "avg_lock_waiters": sum(waiters) / max(len(waiters), 1),
            "peak_lock_waiters": max(waiters, default=0),
            "postgres_cpu_ms_per_action": self.cpu * 1000 / actions,
            "statements_per_action": None
            if statements0 is None or statements1 is None
            else (statements1 - statements0) / actions,
            "transactions_per_action": (transactions1 - transactions0) / actions,
            "wal_bytes_per_action": _wal_diff(lsn1, lsn0) / actions,
        }


def direct_steps(writers: list[int], seconds: float, log) -> list[dict]:
    from django.conf import settings
    from django.db import connections

    settings.WRITE_MODE = "direct"
    actors = _players(max(writers) * PLAYERS_PER_WRITER)
    postmaster = _postmaster()
    steps = []
    ctx = mp.get_context("fork")
    for count in writers:
        connections.close_all()
        go, results = ctx.Event(), ctx.Queue()
        stop_at = ctx.Value("d", 0.0)
        procs = [
            ctx.Process(
                target=_writer,
                args=(actors[i::count], go, stop_at, results),
            )
            for i in range(count)
        ]
        for proc in procs:
            proc.start()
        time.sleep(0.5)
        with PostgresWork(postmaster) as work:
            began = time.time()
            stop_at.value = began + seconds
            go.set()
            latencies: list[float] = []
            for _ in procs:
                latencies += results.get(timeout=seconds + 120)
            elapsed = time.time() - began
            for proc in procs:
                proc.join(30)
        actions = len(latencies)
        step = {
            "writers": count,
            "actions": actions,
            "seconds": elapsed,
            "actions_per_second": actions / elapsed,
            "p50_ms": _percentile(latencies, 50) * 1000,
            "p95_ms": _percentile(latencies, 95) * 1000,
            "p99_ms": _percentile(latencies, 99) * 1000,
            **work.per_action(actions),
        }
        log(
            f"direct, {count} writers: {step['actions_per_second']:,.0f} actions/s, "
            f"p95 {step['p95_ms']:.1f} ms, lock waiters {step['avg_lock_waiters']:.1f}"
        )
        steps.append(step)
    settings.WRITE_MODE = "buffered"
    return steps


def _record_buffered(actors, events: int) -> None:
    """`events` events in the stream, through the live store (no PostgreSQL)."""
    sessions: dict[int, str | None] = {a.player_id: None for a in actors}
    made = 0
    while made < events:
        for actor in actors:
            running = sessions[actor.player_id]
            if running is None:
                session_id = str(uuid.uuid4())
                sessions[actor.player_id] = session_id
                _act(actor, complete=False, session_id=session_id)
            else:
                _act(actor, complete=True, session_id=running)
                sessions[actor.player_id] = None
            made += 1
            if made >= events:
                break
    for actor in actors:  # no session left running
        running = sessions[actor.player_id]
        if running is not None:
            _act(actor, complete=True, session_id=running)


def buffered_steps(batches: list[int], events_per_step: int, log) -> list[dict]:
    from django.conf import settings

    from gameplay import boards
    from pipeline import flush

    settings.WRITE_MODE = "buffered"
    # One live-store shard: the batch sizes stepped through are batches of one stream.
    settings.LIVE_SHARDS = 1
    actors = _players(2000)
    postmaster = _postmaster()
    steps = []
    for batch in batches:
        events = max(events_per_step, 3 * batch)
        _record_buffered(actors, events)
        times: list[float] = []
        boards.ensure_groups([0])
        consumer = f"ceiling-{uuid.uuid4().hex[:6]}"
        with PostgresWork(postmaster) as work:
            began = time.perf_counter()
            written = 0
            while True:
                t0 = time.perf_counter()
                handled, new_events, _players_moved = flush.flush_batch(
                    shard=0, consumer=consumer, count=batch, reclaim_idle_ms=60_000
                )
                if not handled:
                    break
                times.append(time.perf_counter() - t0)
                written += new_events
            elapsed = time.perf_counter() - began
        step = {
            "batch_size": batch,
            "actions": written,
            "batches": len(times),
            "seconds": elapsed,
            "actions_per_second": written / elapsed,
            "p50_batch_ms": _percentile(times, 50) * 1000,
            "p95_batch_ms": _percentile(times, 95) * 1000,
            **work.per_action(written),
        }
        log(
            f"buffered, batches of {batch}: {step['actions_per_second']:,.0f} actions/s, "
            f"p95 batch {step['p95_batch_ms']:.0f} ms"
        )
        steps.append(step)
    return steps


def summarize(direct: list[dict], buffered: list[dict], flush_interval: float) -> dict:
    direct_ok = [s for s in direct if s["p95_ms"] <= DIRECT_P95_BUDGET_MS]
    buffered_ok = [s for s in buffered if s["p95_batch_ms"] <= flush_interval * 1000]
    d = max((s["actions_per_second"] for s in direct_ok), default=None)
    b = max((s["actions_per_second"] for s in buffered_ok), default=None)
    return {
        "direct": {"steps": direct, "ceiling": d, "budget": f"p95 ≤ {DIRECT_P95_BUDGET_MS:g} ms"},
        "buffered": {
            "steps": buffered,
            "ceiling": b,
            "budget": f"p95 batch ≤ {flush_interval:g} s (the flush interval)",
        },
        "ratio": None if not d or not b else b / d,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m perf.ceiling")
    parser.add_argument("--writers", default=",".join(map(str, DEFAULT_WRITERS)))
    parser.add_argument("--batches", default=",".join(map(str, DEFAULT_BATCHES)))
    parser.add_argument("--seconds", type=float, default=6.0, help="per direct step")
    parser.add_argument("--events", type=int, default=20000, help="per buffered step (at least)")
    parser.add_argument("--json", required=True, help="where to write the results")
    options = parser.parse_args(argv)
    _setup()
    from django.conf import settings

    def log(message: str) -> None:
        print(f"ceiling: {message}", file=sys.stderr, flush=True)

    writers = [int(w) for w in options.writers.split(",") if w]
    batches = [int(b) for b in options.batches.split(",") if b]
    direct = direct_steps(writers, options.seconds, log)
    buffered = buffered_steps(batches, options.events, log)
    result = summarize(direct, buffered, settings.FLUSH_INTERVAL_SECONDS)
    with open(options.json, "w") as out:
        json.dump(result, out, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
