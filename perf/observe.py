"""What the servers did during a run, sampled from outside the app.

- PostgreSQL: statements and their WAL (pg_stat_statements, when the server loads it),
  transactions (pg_stat_database), WAL bytes (the insert position), client connections and
  backends waiting on a lock (pg_stat_activity, sampled every `FAST` seconds).
- Redis: commands processed, and the flush lag: the age of the oldest event in the stream.
- CPU time of each process group, from /proc (user + system, children reaped included).

Nothing here imports Django settings: the orchestrator never configures the app.
"""

import contextlib
import os
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import psycopg
import redis

from devstack.proctree import stat
from focusquest.env import database_from_url
from gameplay import keys
from perf.databases import APPLICATION_NAME, one_row, pg_connect

FAST = 0.2
SLOW = 1.0
# Statistics of other backends reach pg_stat_database when they go idle: at once if
# their last report is a second old, else after PostgreSQL's 10 s idle interval.
STATS_SETTLE_SECONDS = 11.0
# The observer's own statements are not the app's work.
OWN_QUERIES = ("pg_stat_", "pg_current_wal", "pg_wal_lsn_diff", "pg_backend_pid")
# The foreign-key checks PostgreSQL runs for each inserted row: its own, not the app's
# (PostgreSQL 18 lists them as top-level).
RI_CHECK = "FOR KEY SHARE OF x"
TICKS = os.sysconf("SC_CLK_TCK")
# Signing up and defining habits: per player, not per action (first: the registration).
SIGN_UP_STATEMENTS = (
    'INSERT INTO "accounts_user"',
    'INSERT INTO "authtoken_token"',
    'INSERT INTO "habits_habit"',
    'SELECT $1 AS "a" FROM "accounts_user" WHERE UPPER(',
)


def has_statements(conn: psycopg.Connection) -> bool:
    try:
        conn.execute("SELECT count(*) FROM pg_stat_statements").fetchone()
        return True
    except psycopg.Error:
        return False


def stream_keys() -> list[str]:
    """Every shard's event stream. The load driver runs without Django's settings, so it
    reads LIVE_SHARDS from the environment as the servers it started do (their default)."""
    return [keys.stream(n) for n in range(int(os.environ.get("LIVE_SHARDS") or 256))]


@dataclass
class PgCounters:
    statements: int | None
    statements_wal: int | None
    by_query: dict[int, tuple[int, int, str]]
    transactions: int
    wal_lsn: str


def pg_counters(
    conn: psycopg.Connection, *, statements: bool, database: str | None = None
) -> PgCounters:
    """Cumulative counters of `database` (default: the one `conn` is connected to)."""
    database = database or conn.info.dbname
    conn.execute("SELECT pg_stat_clear_snapshot()")
    commits, rollbacks = one_row(
        conn.execute(
            "SELECT xact_commit, xact_rollback FROM pg_stat_database WHERE datname = %s",
            [database],
        )
    )
    lsn = one_row(conn.execute("SELECT pg_current_wal_insert_lsn()::text"))[0]
    by_query: dict[int, tuple[int, int, str]] = {}
    if statements:
        # Top-level statements only: what the app sent. Nested ones (the foreign-key
        # checks PostgreSQL runs for each inserted row) are the server's own business.
        rows = conn.execute(
            """SELECT queryid, sum(calls)::bigint, sum(wal_bytes)::bigint, min(query)
               FROM pg_stat_statements
               WHERE dbid = (SELECT oid FROM pg_database WHERE datname = %s) AND toplevel
               GROUP BY queryid""",
            [database],
        ).fetchall()
        for queryid, calls, wal, query in rows:
            if not any(own in query for own in OWN_QUERIES) and RI_CHECK not in query:
                by_query[queryid] = (int(calls), int(wal), query)
    return PgCounters(
        statements=sum(c for c, _, _ in by_query.values()) if statements else None,
        statements_wal=sum(w for _, w, _ in by_query.values()) if statements else None,
        by_query=by_query,
        transactions=commits + rollbacks,
        wal_lsn=lsn,
    )


def pg_work(conn: psycopg.Connection, before: PgCounters, after: PgCounters, top: int = 10) -> dict:
    wal = one_row(
        conn.execute(
            "SELECT pg_wal_lsn_diff(%s::pg_lsn, %s::pg_lsn)::bigint",
            [after.wal_lsn, before.wal_lsn],
        )
    )[0]
    # The report's numbers, None without pg_stat_statements.
    work: dict[str, Any] = {
        "statements": None,
        "sign_up_statements": None,
        "statements_wal_bytes": None,
        "transactions": after.transactions - before.transactions,
        "wal_bytes": int(wal),
        "top_statements": [],
    }
    if after.statements is not None and before.statements is not None:
        deltas = []
        for queryid, (calls, wal_bytes, query) in after.by_query.items():
            calls0, wal0, _ = before.by_query.get(queryid, (0, 0, ""))
            if calls > calls0:
                deltas.append((calls - calls0, wal_bytes - wal0, " ".join(query.split())[:140]))
        work["statements"] = sum(d[0] for d in deltas)
        sign_ups = sum(c for c, _, q in deltas if q.startswith(SIGN_UP_STATEMENTS))
        registrations = sum(c for c, _, q in deltas if q.startswith(SIGN_UP_STATEMENTS[0]))
        # player_register is one transaction: its BEGIN and COMMIT are the sign-up's too.
        work["sign_up_statements"] = sign_ups + 2 * registrations
        work["statements_wal_bytes"] = sum(d[1] for d in deltas)
        deltas.sort(key=lambda d: -d[0])
        work["top_statements"] = [
            {"calls": c, "wal_bytes": w, "query": q} for c, w, q in deltas[:top]
        ]
    return work


# --------------------------------------------------------------------------- processes


def app_group(cmdline: str) -> str | None:
    if "gunicorn" in cmdline:
        return "web (gunicorn)"
    if "uvicorn" in cmdline:
        return "ws (uvicorn)"
    if "celery" in cmdline and " worker" in cmdline:
        return "worker (celery)"
    if "celery" in cmdline and " beat" in cmdline:
        return "beat (celery)"
    return None


def cpu_ticks(pid: int, *, reaped: bool = True) -> int:
    """User + system time of the process, and with `reaped` its reaped children's too.

    Between two readings of a whole process tree, `reaped` is exact (a child that exited
    in between moved its time into its parent's). A meter that follows each process
    second by second must leave it out, or a child seen alive would count twice."""
    fields = stat(pid)
    if fields is None:
        return 0
    return sum(int(fields[i]) for i in ((11, 12, 13, 14) if reaped else (11, 12)))


def backend_cpu() -> tuple[int, int]:
    """The PostgreSQL backend of this process's Django connection: its pid and its CPU
    ticks so far (the server must run on this machine)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    return pid, cpu_ticks(pid, reaped=False)


class CpuMeter:
    """CPU seconds of named process groups since the meter started."""

    def __init__(self, groups: Callable[[], dict[str, list[int]]]) -> None:
        self.groups = groups
        self.last: dict[int, int] = {}
        self.totals: dict[str, float] = defaultdict(float)
        self.sample(baseline=True)

    def sample(self, *, baseline: bool = False) -> dict[str, float]:
        """Adds what each group used since the last sample; returns those increments."""
        step: dict[str, float] = defaultdict(float)
        for group, pids in self.groups().items():
            for pid in pids:
                ticks = cpu_ticks(pid, reaped=False)
                before = self.last.get(pid, ticks if baseline else 0)
                self.last[pid] = ticks
                step[group] += max(0, ticks - before) / TICKS
        for group, seconds in step.items():
            self.totals[group] += seconds
        return step


# --------------------------------------------------------------------------- the observer


@dataclass
class Samples:
    connections: list[tuple[float, int]] = field(default_factory=list)
    lock_waiters: list[tuple[float, int]] = field(default_factory=list)
    flush_lag: list[tuple[float, float, int]] = field(default_factory=list)
    redis_commands: list[tuple[float, int]] = field(default_factory=list)
    cpu: list[tuple[float, dict[str, float]]] = field(default_factory=list)


class Observer:
    """Samples PostgreSQL, Redis and CPU in a thread, from `start()` until `stop()`."""

    def __init__(
        self,
        *,
        database_url: str,
        redis_url: str,
        groups: Callable[[], dict[str, list[int]]],
        clock: Callable[[], float],
        statements: bool = False,
        marks: dict[str, float] | None = None,
        sample_url: str | None = None,
    ) -> None:
        self.database_url = database_url
        self.database = database_from_url(database_url)["NAME"]
        # Sampling from a connection to the run's own database would add its transactions
        # (five a second) to the app's: the samples are taken from the database beside it
        # that `sample_url` names, looking at the run's database by name.
        self.sample_url = sample_url or database_url
        self.redis = redis.Redis.from_url(redis_url)
        self.groups = groups
        self.clock = clock
        self.samples = Samples()
        self.cpu: CpuMeter | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="observer", daemon=True)
        self.failure: BaseException | None = None
        # PostgreSQL's counters at given moments (e.g. the hold phase's start and end).
        self.statements = statements
        self.marks = dict(marks or {})
        self.marked: dict[str, PgCounters] = {}

    def start(self) -> None:
        self.cpu = CpuMeter(self.groups)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)
        self.cpu_sample()

    def cpu_sample(self) -> None:
        assert self.cpu is not None
        self.samples.cpu.append((self.clock(), self.cpu.sample()))

    def _run(self) -> None:
        try:
            try:
                conn = pg_connect(self.sample_url)
            except psycopg.OperationalError:
                conn = pg_connect(self.database_url)
            statements = self.statements and has_statements(conn)
            with conn:
                next_slow = 0.0
                while not self._stop.is_set():
                    now = self.clock()
                    self._activity(conn, now)
                    for name, at in self.marks.items():
                        if now >= at and name not in self.marked:
                            self.marked[name] = pg_counters(
                                conn, statements=statements, database=self.database
                            )
                    if now >= next_slow:
                        next_slow = now + SLOW
                        self._slow(now)
                    self._stop.wait(FAST)
        except BaseException as exc:  # reported with the results, never silently
            self.failure = exc

    def _activity(self, conn: psycopg.Connection, now: float) -> None:
        total, waiting = one_row(
            conn.execute(
                """SELECT count(*), count(*) FILTER (WHERE wait_event_type = 'Lock')
                   FROM pg_stat_activity
                   WHERE datname = %s AND backend_type = 'client backend'
                     AND application_name <> %s""",
                [self.database, APPLICATION_NAME],
            )
        )
        self.samples.connections.append((now, total))
        self.samples.lock_waiters.append((now, waiting))

    def _slow(self, now: float) -> None:
        info = self.redis.info("stats")
        self.samples.redis_commands.append((now, int(info["total_commands_processed"])))
        pipe = self.redis.pipeline(transaction=False)
        for stream in stream_keys():
            pipe.xlen(stream)
            pipe.xrange(stream, count=1)
        replies = pipe.execute()
        length = sum(replies[0::2])
        oldest = [int(first[0][0].split(b"-")[0]) for first in replies[1::2] if first]
        age = max(0.0, time.time() - min(oldest) / 1000) if oldest else 0.0
        self.samples.flush_lag.append((now, age, length))
        self.cpu_sample()

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.redis.close()


def redis_pid(client: redis.Redis) -> int | None:
    with contextlib.suppress(Exception):
        return int(client.info("server")["process_id"])
    return None


def postmaster_pid(conn: psycopg.Connection) -> int | None:
    backend = one_row(conn.execute("SELECT pg_backend_pid()"))[0]
    fields = stat(backend)
    return int(fields[1]) if fields else None
