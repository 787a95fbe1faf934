"""The flush: pending events from the Redis stream into PostgreSQL, exactly once.

One run reads a batch through the consumer group (first reclaiming what a dead flusher
left pending), then in ONE transaction copies the batch into a temporary table, inserts
it into the ledger (whose unique event id makes a replay insert nothing), and lets each
app project only the newly inserted events into its own tables with set-based
statements. The events are acknowledged in Redis only after COMMIT. A crash before
COMMIT leaves them pending; a crash after it makes their replay a no-op. The number of
statements is the same for a batch of 1 and of 10,000 events.
"""

import json
import logging
import os
import signal
import socket
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.conf import settings
from django.db import connection, transaction
from redis.exceptions import ResponseError

from accounts import projections as accounts_projections
from gameplay import keys, live
from gameplay import projections as gameplay_projections
from habits import projections as habits_projections
from leaderboard import projections as leaderboard_projections
from sessions_app import projections as sessions_projections

logger = logging.getLogger(__name__)

BATCH_TABLE = "fq_events"
# Each app projects the batch into its own tables; the pipeline only calls them.
PROJECTIONS = (
    accounts_projections.apply_batch,
    sessions_projections.apply_batch,
    habits_projections.apply_batch,
    gameplay_projections.apply_batch,
    leaderboard_projections.apply_batch,
)
# Serialises flushers (beat, the command, a second worker): two batches never interleave
# their row locks, so they cannot deadlock. Released by COMMIT or by a dying connection.
FLUSH_ADVISORY_LOCK = 0x46510001


@dataclass
class FlushReport:
    events: int = 0
    batches: int = 0
    player_ids: set[int] = field(default_factory=set)

    @property
    def players(self) -> int:
        return len(self.player_ids)


def _failpoint(step: str) -> None:
    """Fault tests name a step in FLUSH_FAILPOINT to kill the flusher exactly there."""
    if step == settings.FLUSH_FAILPOINT:
        logger.warning("failpoint %s: killing the flusher", step)
        os.kill(os.getpid(), signal.SIGKILL)


def ensure_group() -> None:
    try:
        live.client().xgroup_create(keys.STREAM, keys.FLUSH_GROUP, id="0", mkstream=True)
    except ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise


def _decode(fields: dict) -> dict:
    return json.loads(fields[b"e"])


def _read_batch(consumer: str, count: int, reclaim_idle_ms: int) -> list[tuple[bytes, dict | None]]:
    r = live.client()
    # What a dead (or slow) flusher left pending comes first, then new events.
    _cursor, claimed, *_ = r.xautoclaim(
        keys.STREAM, keys.FLUSH_GROUP, consumer, reclaim_idle_ms, start_id="0-0", count=count
    )
    if claimed:
        return claimed
    response = r.xreadgroup(keys.FLUSH_GROUP, consumer, {keys.STREAM: ">"}, count=count)
    return response[0][1] if response else []


def _row(seq: int, event: dict) -> tuple:
    return (
        seq,
        event["id"],
        event["type"],
        int(event["player"]),
        int(event.get("points", 0)),
        live.from_micros(event["ts"]),
        event["day"],
        event["cday"],
        int(event.get("focus_seconds", 0)),
        json.dumps({**event, "badges": live._list(event.get("badges"))}),
    )


def apply_events(events: Iterable[dict]) -> tuple[int, list[int]]:
    """Write events to PostgreSQL inside the caller's transaction; returns (new events,
    ids of the players moved). Events already in the ledger are skipped, so a replay
    changes nothing."""
    unique: dict[str, dict] = {}
    for event in events:
        unique.setdefault(event["id"], event)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""CREATE TEMPORARY TABLE IF NOT EXISTS {BATCH_TABLE} (
                    seq integer, event_id uuid, kind text, player_id bigint, points integer,
                    occurred_at timestamptz, day date, cday date, focus_seconds integer,
                    payload jsonb
                ) ON COMMIT DELETE ROWS"""
        )
        # COMMIT empties the table; inside an enclosing transaction (a test, or two
        # flushes in one request) an earlier batch may still be there.
        cursor.execute(f"DELETE FROM {BATCH_TABLE}")
        with cursor.cursor.copy(
            f"COPY {BATCH_TABLE} (seq, event_id, kind, player_id, points, occurred_at, day, "
            "cday, focus_seconds, payload) FROM STDIN"
        ) as copy:
            for seq, event in enumerate(unique.values()):
                copy.write_row(_row(seq, event))
        # Keep only the events the ledger did not have: every projection reads this table.
        cursor.execute(
            f"""WITH new AS (
                    INSERT INTO gameplay_ledgerentry
                        (event_id, player_id, kind, points, occurred_at, day, focus_seconds,
                         moderator_id, reason, payload)
                    SELECT event_id, player_id, kind, points, occurred_at, day, focus_seconds,
                           (payload->>'moderator')::bigint, coalesce(payload->>'reason', ''),
                           payload
                    FROM {BATCH_TABLE} ORDER BY seq
                    ON CONFLICT (event_id) DO NOTHING
                    RETURNING event_id
                )
                DELETE FROM {BATCH_TABLE} b
                WHERE NOT EXISTS (SELECT 1 FROM new WHERE new.event_id = b.event_id)"""
        )
        cursor.execute(
            f"SELECT count(*), coalesce(array_agg(DISTINCT player_id), '{{}}') FROM {BATCH_TABLE}"
        )
        new_events, players = cursor.fetchone()
        for project in PROJECTIONS:
            project(cursor, BATCH_TABLE)
    return new_events, players


def flush_batch(*, consumer: str, count: int, reclaim_idle_ms: int) -> tuple[int, int, list[int]]:
    """Flush one batch; returns (messages handled, new events, ids of players moved)."""
    messages = _read_batch(consumer, count, reclaim_idle_ms)
    if not messages:
        return 0, 0, []
    ids = [message_id for message_id, _ in messages]
    # An entry deleted after it was delivered comes back empty: nothing to write.
    events = [_decode(fields) for _, fields in messages if fields]
    _failpoint("before_transaction")
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [FLUSH_ADVISORY_LOCK])
        new_events, players = apply_events(events)
        _failpoint("inside_transaction")
    _failpoint("after_commit")
    pipe = live.client().pipeline(transaction=True)
    pipe.xack(keys.STREAM, keys.FLUSH_GROUP, *ids)
    pipe.xdel(keys.STREAM, *ids)
    pipe.set(keys.LAST_FLUSH, live.micros(datetime.now(UTC)))
    pipe.execute()
    return len(messages), new_events, players


def flush_pending(
    *,
    batch_size: int | None = None,
    reclaim_idle_seconds: float | None = None,
    max_seconds: float = 60.0,
) -> FlushReport:
    """Flush batches until nothing is pending (or `max_seconds` passed)."""
    ensure_group()
    count = batch_size or settings.FLUSH_BATCH_SIZE
    idle = (
        settings.FLUSH_RECLAIM_IDLE_SECONDS
        if reclaim_idle_seconds is None
        else reclaim_idle_seconds
    )
    consumer = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    report = FlushReport()
    deadline = time.monotonic() + max_seconds
    while time.monotonic() < deadline:
        handled, new_events, players = flush_batch(
            consumer=consumer, count=count, reclaim_idle_ms=int(idle * 1000)
        )
        if not handled:
            break
        report.batches += 1
        report.events += new_events
        report.player_ids.update(players)
    if report.events:
        logger.info(
            "flushed %s events for %s players in %s batches",
            report.events,
            report.players,
            report.batches,
        )
    return report


def apply_in_request(*, stream_id: str, event_json: str) -> None:
    """WRITE_MODE=direct: the naive design, one event written in its own request.

    The event is in the stream already, so a failure here loses nothing (the flush writes
    it later); after COMMIT it is deleted from the stream, and were the flush to read it
    first, the ledger would make that replay a no-op.
    """
    with transaction.atomic():
        apply_events([json.loads(event_json)])
    live.client().xdel(keys.STREAM, stream_id)


def backlog() -> dict:
    """Events not yet flushed and the age of the oldest, for /healthz and the admin."""
    r = live.client()
    length = r.xlen(keys.STREAM)
    oldest_age = None
    if length:
        first = r.xrange(keys.STREAM, count=1)
        if first:
            millis = int(first[0][0].split(b"-")[0])
            oldest_age = max(0.0, time.time() - millis / 1000)
    last = r.get(keys.LAST_FLUSH)
    return {
        "pending": length,
        "oldest_age_seconds": oldest_age,
        "last_flush_at": live.from_micros(last) if last else None,
    }
