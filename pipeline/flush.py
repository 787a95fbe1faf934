"""The flush: pending events from the shards' Redis streams into PostgreSQL, exactly once.

A run visits the shards whose stream holds entries and claims each with a PostgreSQL
advisory lock of its own (`pg_try_advisory_lock`; a shard another flusher holds is
skipped), so N flushers on N machines write different shards in parallel; the shards share
no row (a player lives in one shard, the community day has a row per shard), so they
cannot deadlock. On the shards it claimed it first feeds the global boards
(gameplay/boards.py), then reads batches through each shard's consumer group (first
reclaiming what a dead flusher left pending), a batch spanning the claimed shards, and
writes each batch in ONE transaction: copies the batch into a temporary
table, inserts it into the ledger, and lets each app project only the newly inserted events
into its own tables with set-based statements. The ledger's unique event id is the door: a
batch is first inserted as events the ledger has never seen (no conflict check a row), and
one that holds an event the ledger has (a replay) is refused whole, rolled back and written
again past what the ledger has (pipeline/ledger.py). The events are acknowledged in Redis
only after COMMIT. A crash before COMMIT leaves them pending; a crash after it makes their
replay a no-op. The number of statements is the same for a batch of 1 and of 10,000 events.

The events of a player deleted while they waited are dropped, set-based, before the ledger
sees them (pipeline/dropped.py), and counted in the report. When PostgreSQL refuses a batch
(a constraint, data it cannot take), the batch is split in halves, each its own
transaction, until the refused events stand alone; those go to the dead-letter stream with
the error, and every other event commits, exactly once. PostgreSQL being unreachable is not
a refusal: the batch stays pending, whole, for the next run.
"""

import contextlib
import json
import logging
import os
import random
import signal
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import cast

from django.conf import settings
from django.db import (
    DatabaseError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    connection,
    transaction,
)
from django.utils.module_loading import import_string
from redis.exceptions import RedisError

from common import clock
from gameplay import boards, deletion, keys, live, partitions, store
from pipeline import batch, claims, dead_letters, ledger
from pipeline.batch import BATCH_TABLE
from pipeline.dropped import Dropped, drop_playerless

logger = logging.getLogger(__name__)

Projection = Callable[[object, str], None]


@cache
def _load_projections(paths: tuple[str, ...]) -> tuple[Projection, ...]:
    return tuple(import_string(path) for path in paths)


def projections() -> tuple[Projection, ...]:
    """Each app projects the batch into its own tables; the pipeline only calls them, in
    the order of settings.FLUSH_PROJECTIONS (imported once per list)."""
    return _load_projections(tuple(settings.FLUSH_PROJECTIONS))


@dataclass
class FlushReport:
    events: int = 0
    batches: int = 0
    player_ids: set[int] = field(default_factory=set)
    # Shards flushed, and shards skipped because another flusher held them.
    shards: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    # Events of players deleted while they waited: not written, taken off their streams.
    dropped: int = 0

    @property
    def players(self) -> int:
        return len(self.player_ids)


@dataclass
class Written:
    """What a batch (or part of one) did: new events, the players they moved, events dropped."""

    new_events: int = 0
    players: list[int] = field(default_factory=list)
    dropped: int = 0

    def __add__(self, other: "Written") -> "Written":
        players = sorted({*self.players, *other.players})
        return Written(self.new_events + other.new_events, players, self.dropped + other.dropped)


def _failpoint(step: str) -> None:
    """Fault tests name a step in FLUSH_FAILPOINT to kill the flusher exactly there."""
    if step == settings.FLUSH_FAILPOINT:
        logger.warning("failpoint %s: killing the flusher", step)
        os.kill(os.getpid(), signal.SIGKILL)


def _decode(fields: dict) -> bytes:
    """The event's JSON as the live-store script wrote it (pipeline/batch.py decodes it
    once, for the batch's typed columns)."""
    return fields[b"e"]


def _read_batch(
    shard: int, consumer: str, count: int, reclaim_idle_ms: int
) -> list[live.PendingEntry]:
    return _read(shard, consumer, count, reclaim_idle_ms)[0]


def _read(
    shard: int, consumer: str, count: int, reclaim_idle_ms: int
) -> tuple[list[live.PendingEntry], bool]:
    """A batch of the shard's entries, and whether they were its last: new entries, fewer
    than asked (what was pending or reclaimed may leave more behind it)."""
    r = live.client()
    stream = keys.stream(shard)
    # This process's own batch that failed (PostgreSQL was down) comes first: its name is
    # stable, so it retries at once instead of waiting for the reclaim timeout.
    own = cast(
        live.StreamRead, r.xreadgroup(keys.FLUSH_GROUP, consumer, {stream: "0"}, count=count)
    )
    if own and own[0][1]:
        return own[0][1], False
    # Then what a dead (or slow) flusher left pending, then new events.
    _cursor, claimed, *_ = r.xautoclaim(
        stream, keys.FLUSH_GROUP, consumer, reclaim_idle_ms, start_id="0-0", count=count
    )
    if claimed:
        return claimed, False
    response = cast(
        live.StreamRead, r.xreadgroup(keys.FLUSH_GROUP, consumer, {stream: ">"}, count=count)
    )
    entries = response[0][1] if response else []
    return entries, len(entries) < count


def apply_events(events: Iterable[bytes]) -> tuple[int, list[int]]:
    """Write events (their JSON, as the stream holds it) to PostgreSQL inside the
    caller's transaction; returns (new events, ids of the players moved). Events already
    in the ledger are skipped, and so is a repeat of an event within the batch, so a
    replay changes nothing; so are the events of players who no longer exist."""
    new_events, players, _dropped = apply_batch(events)
    return new_events, players


def apply_batch(
    events: Iterable[bytes], *, unseen: bool = False
) -> tuple[int, list[int], list[Dropped]]:
    """`apply_events`, which also answers the events it dropped for want of their player.
    `unseen`: the caller knows none of the events is in the ledger, or rolls back when
    PostgreSQL finds one (pipeline/ledger.py)."""
    partitions.ensure_ledger_partitions_daily(clock.now())
    with connection.cursor() as cursor:
        # COMMIT empties the table; inside an enclosing transaction (a test, or two
        # flushes in one request) an earlier batch may still be there.
        batch.copy_batch(cursor, events)
        dropped = drop_playerless(cursor, BATCH_TABLE)
        # Keep only the events the ledger did not have (the first copy of each): every
        # projection reads this table.
        cursor.execute(ledger.INSERT_UNSEEN if unseen else ledger.INSERT)
        cursor.execute(
            f"SELECT count(*), coalesce(array_agg(DISTINCT player_id), '{{}}') FROM {BATCH_TABLE}"
        )
        new_events, players = cursor.fetchone()
        for project in projections():
            project(cursor, BATCH_TABLE)
    return new_events, players, dropped


# A stream entry with the shard it came from: a batch may hold several shards' entries.
Message = tuple[int, bytes, dict | None]


def _acknowledge(messages: list[Message]) -> None:
    """XACK, then trim each stream past what both groups finished (the board feeder
    normally read these events long before), as plain commands, not one MULTI: Redis allows
    both at maxmemory under noeviction (they free memory), where a MULTI holding a SET is
    refused whole and the stream would never shrink. Both are idempotent, so a repeat
    after a crash is harmless."""
    by_shard: dict[int, list[bytes]] = {}
    for shard, message_id, _ in messages:
        by_shard.setdefault(shard, []).append(message_id)
    # A batch may span shards on several masters: one pipeline a master.
    pipes = store.NodePipelines()
    for shard, ids in by_shard.items():
        pipe = pipes.on(keys.stream(shard))
        pipe.xack(keys.stream(shard), keys.FLUSH_GROUP, *ids)
        boards.trim(pipe, shard)
    pipes.execute()


def mark_flushed(now: datetime | None = None) -> None:
    """When the flush last ran (found work or not), for /healthz and the admin. Best
    effort: a full Redis refuses the SET, and the mark is only information."""
    try:
        live.client().set(keys.LAST_FLUSH, live.micros(now or datetime.now(UTC)))
    except RedisError as exc:
        logger.warning("could not record the flush time: %s", exc)


def _write(events: list[bytes], *, unseen: bool) -> tuple[int, list[int], list[Dropped]]:
    with transaction.atomic():
        written = apply_batch(events, unseen=unseen)
        _failpoint("inside_transaction")
    return written


def _commit(messages: list[Message]) -> Written:
    """Write the messages' events in ONE transaction, then acknowledge them (and take
    those dropped for want of their player off their streams)."""
    # An entry deleted after it was delivered comes back empty: nothing to write.
    present = [message for message in messages if message[2]]
    events = [_decode(m[2] or {}) for m in present]
    try:
        new_events, players, gone = _write(events, unseen=True)
    except IntegrityError as error:
        if not ledger.refused_as_seen(error):
            raise
        # A replay (or a repeat within the batch): written again, past what the ledger has.
        new_events, players, gone = _write(events, unseen=False)
    _failpoint("after_commit")
    # The dropped are taken off their streams (and what they counted live), not just acked.
    dropped = [(present[d.index], d) for d in gone]
    taken = {id(message) for message, _ in dropped}
    _acknowledge([message for message in messages if id(message) not in taken])
    if dropped:
        deletion.events_drop([d.on_stream(m[0], m[1].decode()) for m, d in dropped])
        logger.info("dropped %s events of deleted players", len(dropped))
    return Written(new_events, players, len(dropped))


def _commit_isolating(messages: list[Message]) -> Written:
    """Commit the messages; where PostgreSQL refuses them, halve until the refused
    events stand alone and dead-letter those. log2(batch) extra transactions for each
    refused event, none at all when nothing is refused."""
    try:
        return _commit(messages)
    except (OperationalError, InterfaceError):
        raise  # PostgreSQL unreachable: the whole batch stays pending for the next run
    except DatabaseError as error:
        if len(messages) == 1:
            dead_letters.set_aside(messages[0], error)
            return Written()
    half = len(messages) // 2
    return _commit_isolating(messages[:half]) + _commit_isolating(messages[half:])


def flush_batch(
    *, shard: int = 0, consumer: str, count: int, reclaim_idle_ms: int
) -> tuple[int, int, list[int]]:
    """Flush one batch of one shard the caller holds (`shard_claimed`); returns (messages
    handled, new events, ids of players moved). The benchmarks time it batch by batch."""
    messages = [(shard, i, f) for i, f in _read_batch(shard, consumer, count, reclaim_idle_ms)]
    if not messages:
        return 0, 0, []
    _failpoint("before_transaction")
    written = _commit_isolating(messages)
    return len(messages), written.new_events, written.players


def consumer_name() -> str:
    """The same name for every flush of one process (a worker process flushes every few
    seconds: a fresh name each time left a consumer behind per flush)."""
    return boards.consumer_name()


@contextlib.contextmanager
def shard_claimed(shard: int) -> Iterator[bool]:
    """Whether this flusher holds the shard (a PostgreSQL session advisory lock), for the
    block; False when another flusher holds it."""
    with claims.claimed() as claim:
        yield bool(claim.take([shard]))


@dataclass
class _Run:
    """One flush run's reading state: where it stands in each shard."""

    consumer: str
    count: int
    reclaim_idle_ms: int
    deadline: float
    report: FlushReport
    # The entries each shard's stream held when the run began, less those taken since:
    # how many shards a batch claims at once.
    lengths: dict[int, int] = field(default_factory=dict)
    drained: set[int] = field(default_factory=set)  # nothing more for this run
    prepared: set[int] = field(default_factory=set)  # groups made, boards fed


def _take(run: _Run, shard: int, wanted: int) -> list[Message]:
    if shard not in run.prepared:
        boards.ensure_groups([shard])
        # The global boards first: a stream is trimmed only past what the feeder read, and
        # with no websocket process (whose pusher feeds) they catch up here.
        boards.feed(shards=[shard], consumer=run.consumer, reclaim_idle_ms=run.reclaim_idle_ms)
        run.prepared.add(shard)
    entries, last = _read(shard, run.consumer, wanted, run.reclaim_idle_ms)
    # Its last entries, or none: this run need not claim the shard again to find it empty
    # (a lock and an unlock more a shard, which cost PostgreSQL as much as a dozen events).
    # An event appended since is the next run's, as one appended just after this run is.
    if last or not entries:
        run.drained.add(shard)
    run.lengths[shard] = run.lengths.get(shard, 0) - len(entries)
    return [(shard, message_id, fields) for message_id, fields in entries]


def _enough(order: list[int], lengths: dict[int, int], wanted: int) -> list[int]:
    """The first shards of `order` whose streams hold `wanted` entries between them."""
    chunk, held = [], 0
    for shard in order:
        chunk.append(shard)
        held += max(lengths.get(shard, 1), 1)
        if held >= wanted:
            break
    return chunk


def _fill(run: _Run, candidates: list[int], claim: claims.Claim) -> list[Message]:
    """A batch of up to `count` entries, claiming shards (one advisory lock each, held for
    the batch) only until it is full: under load one shard fills a batch and N flushers
    write N shards in parallel; when few events wait, one batch spans many shards. The
    shards that should fill the batch are claimed in one statement; those that gave it
    nothing are given back at once, for another flusher."""
    messages: list[Message] = []
    start = random.randrange(len(candidates))  # flushers starting at once spread out
    order = candidates[start:] + candidates[:start]
    idle: list[int] = []
    while order and len(messages) < run.count:
        chunk = _enough(order, run.lengths, run.count - len(messages))
        order = order[len(chunk) :]
        held = claim.take(chunk)
        for shard in (shard for shard in chunk if shard not in held):
            run.report.skipped.append(shard)
            run.drained.add(shard)  # another flusher has it
        for shard in held:
            wanted = run.count - len(messages)
            taken = _take(run, shard, wanted) if wanted > 0 else []
            if not taken:
                idle.append(shard)
            elif shard not in run.report.shards:
                run.report.shards.append(shard)
            messages += taken
    claim.release(idle)
    return messages


def _tidy(shards: list[int]) -> None:
    pipes = store.NodePipelines()
    for shard in shards:
        boards.trim(pipes.on(keys.stream(shard)), shard)
    pipes.execute()
    # A consumer with nothing pending loses nothing by going; an active one comes back on
    # its next read.
    for shard in shards:
        boards.forget_idle_consumers(shard=shard, idle_seconds=settings.FLUSH_RECLAIM_IDLE_SECONDS)
    # Deleted players whose streams hold nothing of theirs any more leave the feeder's list.
    deletion.tombstones_sweep()


def flush_pending(
    *,
    batch_size: int | None = None,
    reclaim_idle_seconds: float | None = None,
    max_seconds: float = 60.0,
) -> FlushReport:
    """Flush every shard with entries that no other flusher holds, batch by batch, until
    nothing is pending there (or `max_seconds` passed). A batch is one transaction,
    however many shards it spans, so a flush of events spread over many shards costs
    PostgreSQL what one shard's would."""
    idle = (
        settings.FLUSH_RECLAIM_IDLE_SECONDS
        if reclaim_idle_seconds is None
        else reclaim_idle_seconds
    )
    run = _Run(
        consumer=consumer_name(),
        count=batch_size or settings.FLUSH_BATCH_SIZE,
        reclaim_idle_ms=int(idle * 1000),
        deadline=time.monotonic() + max_seconds,
        report=FlushReport(),
    )
    run.lengths = boards.stream_lengths()
    candidates = list(run.lengths)
    while time.monotonic() < run.deadline:
        candidates = [shard for shard in candidates if shard not in run.drained]
        if not candidates:
            break
        with claims.claimed() as claim:
            messages = _fill(run, candidates, claim)
            if not messages:
                continue  # every shard tried came back drained or held
            _failpoint("before_transaction")
            written = _commit_isolating(messages)
        run.report.batches += 1
        run.report.events += written.new_events
        run.report.player_ids.update(written.players)
        run.report.dropped += written.dropped
    _tidy(run.report.shards)
    mark_flushed()
    report = run.report
    if report.events or report.dropped:
        logger.info(
            "flushed %s events for %s players in %s batches (%s dropped: players deleted)",
            report.events,
            report.players,
            report.batches,
            report.dropped,
        )
    return report


def apply_in_request(*, stream: str, stream_id: str, event_json: str) -> None:
    """WRITE_MODE=direct: the naive design, one event written in its own request.

    The event is in the stream already, so a failure here loses nothing (the flush writes
    it later); after COMMIT the request feeds the global boards from it as well and deletes
    it from the stream, and were the flush (or the feeder) to read it first, the ledger
    (and the versions) would make that replay a no-op.
    """
    with transaction.atomic():
        _new, _players, dropped = apply_batch([event_json.encode()])
    if dropped:  # its player was deleted meanwhile
        shard = keys.shard_of(json.loads(event_json)["player"])
        deletion.events_drop([dropped[0].on_stream(shard, stream_id)])
        return
    update = boards.update_of(json.loads(event_json))
    if update is not None:
        boards.board_updates_apply([update])
    live.client().xdel(stream, stream_id)


def backlog() -> dict:
    """Events not yet flushed and the age of the oldest, summed over the shards in one
    pipelined round trip, for /healthz and the admin."""
    pipe = live.client().pipeline(transaction=False)
    for shard in keys.shards():
        pipe.xlen(keys.stream(shard))
        pipe.xrange(keys.stream(shard), count=1)
        pipe.xlen(keys.dead_letters(shard))
    pipe.get(keys.LAST_FLUSH)
    *replies, last = pipe.execute()
    oldest_millis = [int(first[0][0].split(b"-")[0]) for first in replies[1::3] if first]
    oldest_age = max(0.0, time.time() - min(oldest_millis) / 1000) if oldest_millis else None
    return {
        "dead_letters": sum(replies[2::3]),
        "pending": sum(replies[0::3]),
        "oldest_age_seconds": oldest_age,
        "last_flush_at": live.from_micros(last) if last else None,
    }
