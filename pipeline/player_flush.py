"""One player's pending events into PostgreSQL now, for a request that must read all they
were answered (the export, the import): the flush of their shard, run in the request.

A player lives in one shard, so flushing that shard up to its newest entry at the start
writes every event of every action the player was answered before: an answered action's
event is in the stream (the same script appended it) at or before that entry. The shard is
claimed with the flush's own advisory lock; when another flusher holds it (the beat's
flush, mid-batch), this waits for it, then flushes what is left, since that flusher may
have read its batch before the request began. Holding the lock, no other flusher works the
shard, so events another consumer left pending belong to a dead or failed flush and are
reclaimed at once. Exactly once still rests on the ledger's key, as for every flush.
"""

import time
from typing import cast

from django.conf import settings

from gameplay import boards, keys, live
from pipeline import flush

# How often a request that waits for the shard's lock tries it again.
LOCK_POLL_SECONDS = 0.05


class ShardBusy(Exception):
    """Another flusher held the shard for longer than the request could wait."""


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _id(stream_id: bytes | str) -> tuple[int, int]:
    millis, _, sequence = _text(stream_id).partition("-")
    return int(millis), int(sequence or 0)


def _newest(shard: int) -> bytes | None:
    newest = cast(list, live.client().xrevrange(keys.stream(shard), count=1))
    return newest[0][0] if newest else None


def _reached(shard: int, target: bytes) -> bool:
    """Whether the flushers' group has been handed every entry up to `target` and holds
    none of them unacknowledged: then each is in PostgreSQL (or a dead letter)."""
    stream = keys.stream(shard)
    r = live.client()
    groups = cast(list[dict], r.xinfo_groups(stream))
    delivered = next(
        (g["last-delivered-id"] for g in groups if _text(g["name"]) == keys.FLUSH_GROUP),
        b"0-0",
    )
    if _id(delivered) < _id(target):
        return False
    pending = r.xpending_range(stream, keys.FLUSH_GROUP, min="-", max=target, count=1)
    return not pending


def _flush_held(shard: int, target: bytes) -> int:
    written = 0
    consumer = flush.consumer_name()
    while not _reached(shard, target):
        handled, new_events, _players = flush.flush_batch(
            shard=shard, consumer=consumer, count=settings.FLUSH_BATCH_SIZE, reclaim_idle_ms=0
        )
        written += new_events
        if not handled:
            break
    return written


def flush_player(player_id: int, *, wait_seconds: float = 10.0) -> int:
    """Flush the player's shard up to its newest entry now; returns the events written.
    Raises ShardBusy when another flusher held the shard for `wait_seconds`."""
    shard = keys.shard_of(player_id)
    target = _newest(shard)
    if target is None:
        return 0  # an empty stream: nothing of anyone's waits
    boards.ensure_groups([shard])
    deadline = time.monotonic() + wait_seconds
    while True:
        with flush.shard_claimed(shard) as held:
            if held:
                return _flush_held(shard, target)
        if time.monotonic() >= deadline:
            raise ShardBusy(f"shard {shard} stayed claimed by another flusher")
        time.sleep(LOCK_POLL_SECONDS)
