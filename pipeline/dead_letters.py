"""Dead letters: the events PostgreSQL refused, which the flush set aside (with the error)
so that the rest of their batch could commit. An operator lists them, puts them back on
the stream once the cause is fixed, or discards them with a reason
(`manage.py dead_letters`)."""

import json
import logging
from collections import defaultdict
from datetime import datetime
from typing import cast

from django.db import DatabaseError, transaction

from gameplay import keys, live
from gameplay.models import DiscardedEvent

logger = logging.getLogger(__name__)


def set_aside(message: tuple[int, bytes, dict | None], error: DatabaseError) -> None:
    """The flush's refused event (shard, stream id, fields) onto its shard's dead letters,
    with its error, and off the flush's pending entries: both or neither."""
    shard, message_id, fields = message
    logger.error("event %s refused by PostgreSQL, dead-lettered: %s", message_id, error)
    # One MULTI (one slot: the shard's): the event is in the dead-letter stream or still
    # pending, never neither. The trim deletes it from the stream once the board feeder
    # has read it too.
    pipe = live.client().pipeline(transaction=True)
    pipe.xadd(
        keys.dead_letters(shard),
        {"e": (fields or {b"e": b"{}"})[b"e"], "id": message_id, "error": str(error)[:2000]},
    )
    pipe.xack(keys.stream(shard), keys.FLUSH_GROUP, message_id)
    pipe.execute()


def _letter_id(shard: int, entry_id: bytes) -> str:
    # Unique across the shards' dead-letter streams; what `manage.py dead_letters` shows.
    return f"{shard}/{entry_id.decode()}"


def listed(*, count: int = 100) -> list[dict]:
    """The oldest dead-lettered events of every shard (up to `count` a shard, one pipelined
    round trip): id, shard, stream id, original id, error, event JSON."""
    pipe = live.client().pipeline(transaction=False)
    for shard in keys.shards():
        pipe.xrange(keys.dead_letters(shard), count=count)
    letters = []
    for shard, entries in zip(keys.shards(), pipe.execute(), strict=True):
        for entry_id, fields in cast(list[live.StreamEntry], entries):
            letters.append(
                {
                    "id": _letter_id(shard, entry_id),
                    "shard": shard,
                    "entry_id": entry_id.decode(),
                    "original_id": fields[b"id"].decode(),
                    "error": fields[b"error"].decode(),
                    "event": fields[b"e"].decode(),
                }
            )
    return letters


def _by_shard(letters: list[dict]) -> dict[int, list[dict]]:
    shards: dict[int, list[dict]] = defaultdict(list)
    for letter in letters:
        shards[letter["shard"]].append(letter)
    return shards


def retry(*, letters: list[dict]) -> None:
    """Put dead-lettered events back on their shard's stream (each keeps its event id, so
    one already in the ledger is a no-op), removing them from the dead letters in the same
    MULTI: one a shard, whose keys share its slot."""
    for shard, chosen in _by_shard(letters).items():
        pipe = live.client().pipeline(transaction=True)
        for letter in chosen:
            pipe.xadd(keys.stream(shard), {"e": letter["event"]})
            pipe.xdel(keys.dead_letters(shard), letter["entry_id"])
        pipe.execute()


def discard(*, letters: list[dict], reason: str, by: str, now: datetime) -> None:
    """Drop dead-lettered events for good, each recorded (what, why, who, when) first."""
    with transaction.atomic():
        for letter in letters:
            payload = json.loads(letter["event"])
            DiscardedEvent.objects.create(
                event_id=payload.get("id"),
                payload=payload,
                error=letter["error"],
                reason=reason,
                discarded_by=by,
                discarded_at=now,
            )
    for shard, chosen in _by_shard(letters).items():
        live.client().xdel(keys.dead_letters(shard), *[letter["entry_id"] for letter in chosen])
