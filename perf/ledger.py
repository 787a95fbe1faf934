"""What one flushed event costs PostgreSQL, with the ledger as it was and as it is.

    python -m perf.ledger                      2 rounds of 50,000 events a side
    python -m perf.ledger --events 20000 --rounds 1

Two sides, each in a database of its own beside the one DATABASE_URL names, made afresh:

- before: the ledger of migration 0004 (a plain table with a bigint id, a unique uuid4
  event id, the whole event in a jsonb payload, six indexes), the flush's ledger insert
  of that time (`BASELINE_LEDGER_INSERT`, kept here verbatim) and the rest of the flush's
  statements as they were when issue #10 measured its baseline (perf/ledger_baseline.py:
  the batch copied as jsonb, the projections reading it);
- after: the ledger as the migrations make it now (partitioned by month, UUIDv7 event ids,
  a lean row, no per-row foreign-key check of the player) and the flush as it is (the
  events decoded once and copied as typed columns, pipeline/batch.py).

Everything else is the same code: the live-store scripts record the events (each player
checks in once and completes full sessions on one day, as a launch spike leaves them),
then `pipeline.flush.flush_batch` writes them in batches of `--batch`. The measure is the
CPU time of the one PostgreSQL backend that runs the flush (its /proc stat, so the server
must be on this machine), per event; the sides alternate round by round, so a change in
the machine's load falls on both. Also reported: the ledger's bytes per event (table and
indexes) and WAL bytes per event (the server's insert position: other databases' writes
on a shared server count too). REDIS_URL's database is emptied before each round.

Each side runs in a process of its own (`--side`), configured by its DATABASE_URL.
"""

import argparse
import functools
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from unittest import mock

SIDES = ("before", "after")
# The schema of the before side: the ledger of migration 0004, and the projections' tables
# as issue #10 found them (with their foreign keys of the player).
BASELINE_MIGRATIONS = {
    "accounts": "0005",
    "gameplay": "0004",
    "habits": "0004",
    "leaderboard": "0003",
    "sessions_app": "0002",
}
PLAYERS = 2_000
SESSIONS_PER_PLAYER = 5

# The ledger insert of migration 0004's table, as pipeline/flush.py ran it until then.
BASELINE_LEDGER_INSERT = """WITH new AS (
        INSERT INTO gameplay_ledgerentry
            (event_id, player_id, kind, points, occurred_at, day, focus_seconds,
             moderator_id, reason, payload)
        SELECT event_id, player_id, kind, points, occurred_at, day::date,
               focus_seconds, (payload->>'moderator')::bigint,
               coalesce(payload->>'reason', ''),
               payload || jsonb_build_object('badges', badges)
        FROM fq_events ORDER BY seq
        ON CONFLICT (event_id) DO NOTHING
        RETURNING event_id
    )
    DELETE FROM fq_events
    WHERE seq NOT IN (
        SELECT min(b.seq) FROM fq_events b JOIN new USING (event_id) GROUP BY event_id)"""


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "perf.settings")
    import django

    django.setup()


@contextmanager
def _as_before():
    """The flush and the live store as they were at issue #10's baseline: the ledger insert
    of migration 0004, the baseline's other statements, random v4 event ids."""
    from perf import ledger_baseline
    from pipeline import flush

    baseline = functools.partial(ledger_baseline.apply_batch, BASELINE_LEDGER_INSERT)
    with (
        mock.patch.object(flush, "apply_batch", baseline),
        mock.patch("gameplay.eventids.time_ordered_uuid", lambda _micros: uuid.uuid4()),
        mock.patch("gameplay.partitions.ensure_ledger_partitions_daily", lambda _now: None),
    ):
        yield


def _migrate(side: str) -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if side == "before":
        for app, migration in BASELINE_MIGRATIONS.items():
            call_command("migrate", app, migration, verbosity=0)


def _players(count: int) -> list:
    from accounts.models import User
    from gameplay import live
    from habits.models import Habit
    from perf import databases

    tag = uuid.uuid4().hex[:6]
    users = User.objects.bulk_create(
        User(username=f"ledger{tag}{i}", password="!") for i in range(count)
    )
    habits = Habit.objects.bulk_create(Habit(player=u, name="h") for u in users)
    databases.analyze()
    return [
        (live.Actor(player_id=u.pk, timezone=u.timezone, day_start_hour=u.day_start_hour), h.pk)
        for u, h in zip(users, habits, strict=True)
    ]


def _record(players: list, events: int, start: datetime) -> int:
    """About `events` events in the stream: a check-in, then full sessions, round robin."""
    from gameplay import eventids, live

    made = 0
    for round_ in range(SESSIONS_PER_PLAYER * 10):
        for actor, habit in players:
            now = start + timedelta(minutes=30 * round_)
            if round_ == 0:
                day = actor.day(now)
                live.check_in(actor=actor, habit_id=habit, day=day, today=day, now=now)
                made += 1
            else:
                sid = eventids.session_id(live.micros(now))
                live.session_start(
                    actor=actor, session_id=sid, planned_minutes=25, habit_id=None, now=now
                )
                live.session_finish(
                    actor=actor,
                    session_id=sid,
                    action="complete",
                    focused_seconds=1500,
                    now=now + timedelta(minutes=25),
                )
                made += 2
            if made >= events:
                return made
    return made


def _wal_lsn() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_insert_lsn()::text")
        return cursor.fetchone()[0]


def _ledger_bytes() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        # A partitioned table's bytes are its partitions' (pg_partition_tree lists none
        # for a plain table).
        cursor.execute(
            """SELECT coalesce(
                   (SELECT sum(pg_total_relation_size(relid))::bigint
                    FROM pg_partition_tree('gameplay_ledgerentry') WHERE isleaf),
                   pg_total_relation_size('gameplay_ledgerentry'))"""
        )
        return int(cursor.fetchone()[0] or 0)


def _flush_all(batch: int) -> tuple[int, float, float, int]:
    """Flush everything pending; (events, backend CPU s, wall s, WAL bytes)."""
    from django.db import connection

    from perf.observe import TICKS, backend_cpu, cpu_ticks

    pid, ticks = backend_cpu()
    lsn = _wal_lsn()
    began = time.perf_counter()
    written = 0
    with connection.execute_wrapper(_timed):
        written = _drain(batch)
    wall = time.perf_counter() - began
    cpu = (cpu_ticks(pid, reaped=False) - ticks) / TICKS
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), %s)", [lsn])
        wal = int(cursor.fetchone()[0])
    return written, cpu, wall, wal


STATEMENT_SECONDS: dict[str, float] = {}


def _timed(execute, sql, params, many, context):
    """Each statement's wall time, by its first words (the flush's are CPU-bound)."""
    began = time.perf_counter()
    try:
        return execute(sql, params, many, context)
    finally:
        name = " ".join(sql.split()[:4])[:60]
        STATEMENT_SECONDS[name] = STATEMENT_SECONDS.get(name, 0.0) + time.perf_counter() - began


def _drain(batch: int) -> int:
    from pipeline import flush

    # The flush as beat runs it: every shard with pending events, in batches.
    return flush.flush_pending(batch_size=batch, max_seconds=3600).events


def run_side(side: str, events: int, batch: int, players: int) -> dict:
    """One round of one side, in this process (its DATABASE_URL is the side's database)."""
    _setup()
    from gameplay import live

    live.client().flushdb()  # the benchmark's own Redis database, named by REDIS_URL
    _migrate(side)
    actors = _players(players)
    start = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
    if side == "after":
        # The events' month has its partition, as the daily call makes it in production.
        from gameplay import partitions

        partitions.ensure_ledger_partitions(start)
    with _as_before() if side == "before" else _no_change():
        made = _record(actors, events, start)
        written, cpu, wall, wal = _flush_all(batch)
    return {
        "side": side,
        "events": made,
        "written": written,
        "pg_cpu_ms_per_event": cpu * 1000 / max(written, 1),
        "events_per_second": written / wall,
        "wal_bytes_per_event": wal / max(written, 1),
        "ledger_bytes_per_event": _ledger_bytes() / max(written, 1),
        "statement_ms_per_event": {
            name: seconds * 1000 / max(written, 1) for name, seconds in STATEMENT_SECONDS.items()
        },
    }


@contextmanager
def _no_change():
    yield


def side_process(side: str, *, events: int, batch: int, players: int, env: dict) -> dict:
    """One round of one side in a process of its own, on `env`'s DATABASE_URL (a database
    it migrates to the side's schema) and REDIS_URL (whose database it empties)."""
    args = [sys.executable, "-m", "perf.ledger", "--side", side]
    args += ["--events", str(events), "--batch", str(batch), "--players", str(players)]
    out = subprocess.run(args, env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(out.splitlines()[-1])


def _report(results: list[dict]) -> str:
    def median(side: str, key: str) -> float:
        return statistics.median(r[key] for r in results if r["side"] == side)

    lines = [
        "side    events  PG CPU ms/event  events/s  WAL B/event  ledger B/event",
        *(
            f"{r['side']:<7} {r['written']:>6}  {r['pg_cpu_ms_per_event']:>15.4f}  "
            f"{r['events_per_second']:>8,.0f}  {r['wal_bytes_per_event']:>11,.0f}  "
            f"{r['ledger_bytes_per_event']:>14,.0f}"
            for r in results
        ),
    ]
    for key in ("pg_cpu_ms_per_event", "wal_bytes_per_event", "ledger_bytes_per_event"):
        before, after = median("before", key), median("after", key)
        ratio = f"{after / before:.2f}x" if before else "no ratio (nothing measured before)"
        lines.append(f"median {key}: before {before:.4f}, after {after:.4f}: {ratio}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m perf.ledger")
    parser.add_argument("--events", type=int, default=50_000, help="per side and round")
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--players", type=int, default=PLAYERS)
    parser.add_argument("--side", choices=SIDES, help="(internal) run one side here")
    parser.add_argument("--json", help="where to write the rounds' figures")
    options = parser.parse_args(argv)
    if options.side:
        print(json.dumps(run_side(options.side, options.events, options.batch, options.players)))
        return 0
    if not (os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL")):
        raise SystemExit("python -m perf.ledger needs DATABASE_URL and REDIS_URL")
    from perf.databases import database_beside, database_drop

    results = []
    for round_ in range(options.rounds):
        for side in SIDES if round_ % 2 == 0 else SIDES[::-1]:
            url = database_beside(os.environ["DATABASE_URL"], f"_ledger_{side}")
            try:
                sizes = {"events": options.events, "batch": options.batch}
                env = {**os.environ, "DATABASE_URL": url}
                results.append(side_process(side, **sizes, players=options.players, env=env))
            finally:
                database_drop(url)
            print(f"ledger: round {round_ + 1}, {side}: done", file=sys.stderr, flush=True)
    print(_report(results))
    if options.json:
        with open(options.json, "w") as out:
            json.dump(results, out, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
