"""PostgreSQL work between two moments: statements, transactions, rows, WAL bytes.

Statements come from pg_stat_statements where the server has it loaded and the base
database has the extension (the embedded server of `make bench-writepath` has both);
otherwise only what PostgreSQL offers without it is reported: transactions and rows from
pg_stat_database, WAL bytes from the WAL insert position. That position is the whole
server's, so on a shared server other databases' writes count too.

The statistics are read over a connection to another database than the benchmark's, so
that reading them adds no statement or transaction to what is measured.
"""

import time
from dataclasses import dataclass, field
from typing import Any

import psycopg
from django.db import connection

from perf.databases import one_row

# A backend publishes its counters to pg_stat_database when it goes idle, at most once a
# second, and otherwise after idle timeouts of 10 s (seen here: up to 21 s); one that
# exits publishes them as it goes. So the benchmark database's backends are ended before
# each reading: the server's reconnect on their next request (Django checks a kept
# connection before using it), this process's on its next query.
EXIT_TIMEOUT_SECONDS = 60.0
# Statements pg_stat_statements lists at the top level that the app did not send: the
# foreign-key checks PostgreSQL runs at COMMIT (constraints are deferred), and the
# set-up Django sends on each new connection (the benchmark's reconnects, see above).
NOT_SENT = {
    "foreign_key_checks": ("FOR KEY SHARE OF x",),
    "connection_setup": ("SELECT set_config(",),
}


@dataclass
class Snapshot:
    wal_lsn: str
    xact_commit: int
    xact_rollback: int
    tup_inserted: int
    tup_updated: int
    tup_deleted: int
    # (queryid, query text) -> (calls, WAL bytes, execution ms); empty without
    # pg_stat_statements
    statements: dict[tuple[int, str], tuple[int, int, float]] = field(default_factory=dict)


class Observer:
    """Reads the benchmark database's statistics from a connection to another one."""

    def __init__(self, conn: psycopg.Connection, database: str) -> None:
        self.conn = conn
        self.database = database
        self.with_statements = self._statements_available()

    def _statements_available(self) -> bool:
        # Statements the app sends (top level), not the ones they run inside PostgreSQL
        # (foreign-key checks, with pg_stat_statements.track = all); PostgreSQL 14+.
        try:
            self.conn.execute("SELECT count(*) FROM pg_stat_statements WHERE toplevel")
            return True
        except psycopg.Error:
            return False

    def _client_backends(self) -> list[int]:
        rows = self.conn.execute(
            """SELECT pid FROM pg_stat_activity
               WHERE datname = %s AND backend_type = 'client backend'""",
            [self.database],
        ).fetchall()
        return [pid for (pid,) in rows]

    def _wait_gone(self, pids: set[int]) -> None:
        deadline = time.monotonic() + EXIT_TIMEOUT_SECONDS
        while pids & set(self._client_backends()):
            if time.monotonic() > deadline:
                raise TimeoutError(f"backends {pids} of {self.database} did not exit")
            time.sleep(0.05)

    def snapshot(self) -> Snapshot:
        """The counters once every backend of the benchmark database has published them
        (see above)."""
        connection.close()
        backends = set(self._client_backends())
        self.conn.execute(
            "SELECT pg_terminate_backend(pid) FROM unnest(%s::integer[]) AS pid", [list(backends)]
        )
        self._wait_gone(backends)
        self.conn.execute("SELECT pg_stat_clear_snapshot()")
        lsn, commits, rollbacks, inserted, updated, deleted = one_row(
            self.conn.execute(
                """SELECT pg_current_wal_insert_lsn()::text, xact_commit, xact_rollback,
                          tup_inserted, tup_updated, tup_deleted
                   FROM pg_stat_database WHERE datname = %s""",
                [self.database],
            )
        )
        statements = {}
        if self.with_statements:
            rows = self.conn.execute(
                """SELECT s.queryid, s.query, s.calls, s.wal_bytes, s.total_exec_time
                   FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
                   WHERE d.datname = %s AND s.toplevel""",
                [self.database],
            ).fetchall()
            for queryid, query, calls, wal_bytes, ms in rows:
                statements[(queryid, query)] = (int(calls), int(wal_bytes), float(ms))
        return Snapshot(lsn, commits, rollbacks, inserted, updated, deleted, statements)

    def work_between(self, before: Snapshot, after: Snapshot, *, top: int = 12) -> dict:
        """What PostgreSQL did between two snapshots, as plain numbers for the report."""
        diff = "SELECT pg_wal_lsn_diff(%s::pg_lsn, %s::pg_lsn)"
        (wal_bytes,) = one_row(self.conn.execute(diff, [after.wal_lsn, before.wal_lsn]))
        # The report's numbers, None where pg_stat_statements is missing.
        work: dict[str, Any] = {
            "transactions": after.xact_commit - before.xact_commit,
            "rollbacks": after.xact_rollback - before.xact_rollback,
            "rows_inserted": after.tup_inserted - before.tup_inserted,
            "rows_updated": after.tup_updated - before.tup_updated,
            "rows_deleted": after.tup_deleted - before.tup_deleted,
            "wal_bytes": int(wal_bytes),
            "statements": None,
            "commits": None,
            "foreign_key_checks": None,
            "connection_setup": None,
            "by_query": {},
            "statements_wal_bytes": None,
            "statements_ms": None,
            "top_statements": [],
        }
        if not self.with_statements:
            return work
        deltas = []  # (calls, WAL bytes, ms, queryid, query)
        for (queryid, query), (calls, wal, ms) in after.statements.items():
            calls_before, wal_before, ms_before = before.statements.get(
                (queryid, query), (0, 0, 0.0)
            )
            if calls > calls_before:
                deltas.append(
                    (calls - calls_before, wal - wal_before, ms - ms_before, queryid, query)
                )

        def not_sent(query: str, kind: str | None = None) -> bool:
            kinds = [kind] if kind else list(NOT_SENT)
            return any(mark in query for name in kinds for mark in NOT_SENT[name])

        for kind in NOT_SENT:
            work[kind] = sum(d[0] for d in deltas if not_sent(d[4], kind))
        sent = [d for d in deltas if not not_sent(d[4])]
        work["statements"] = sum(d[0] for d in sent)
        # Transactions that wrote: Django's atomic blocks end with COMMIT; the
        # autocommit reads of every request (token lookup, connection check) do not.
        work["commits"] = sum(d[0] for d in sent if d[4].strip().upper() == "COMMIT")
        work["by_query"] = {str(d[3]): d[0] for d in sent}
        work["statements_wal_bytes"] = sum(d[1] for d in deltas)
        work["statements_ms"] = round(sum(d[2] for d in deltas), 1)
        deltas.sort(key=lambda d: -d[2])
        work["top_statements"] = [
            {
                "calls": calls,
                "ms": round(ms, 1),
                "wal_bytes": wal,
                "query": " ".join(query.split())[:160],
            }
            for calls, wal, ms, _, query in deltas[:top]
        ]
        return work


def statements_beyond(work: dict, baseline: dict, *, served: int, baseline_served: int):
    """The statements in `work` beyond what its `served` requests would have sent at the
    rate, query by query, that `baseline` sent them per request."""
    if work["statements"] is None or baseline["statements"] is None or not baseline_served:
        return None
    return sum(
        max(0.0, calls - baseline["by_query"].get(queryid, 0) / baseline_served * served)
        for queryid, calls in work["by_query"].items()
    )


SUMMED = (
    "transactions",
    "rollbacks",
    "rows_inserted",
    "rows_updated",
    "rows_deleted",
    "wal_bytes",
    "statements",
    "commits",
    "foreign_key_checks",
    "connection_setup",
    "statements_wal_bytes",
    "statements_ms",
)


def work_sum(works: list[dict], *, top: int = 12) -> dict:
    """The work of several windows as one."""
    total: dict = {}
    for key in SUMMED:
        values = [work[key] for work in works]
        total[key] = None if any(value is None for value in values) else sum(values)
    by_query: dict[str, int] = {}
    statements: dict[str, dict] = {}
    for work in works:
        for queryid, calls in work["by_query"].items():
            by_query[queryid] = by_query.get(queryid, 0) + calls
        for row in work["top_statements"]:
            empty = {**row, "calls": 0, "ms": 0.0, "wal_bytes": 0}
            seen = statements.setdefault(row["query"], empty)
            for name in ("calls", "ms", "wal_bytes"):
                seen[name] += row[name]
    total["by_query"] = by_query
    total["top_statements"] = sorted(statements.values(), key=lambda row: -row["ms"])[:top]
    return total
