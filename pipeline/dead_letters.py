"""Dead letters: the events PostgreSQL refused, which the flush set aside (with the error)
so that the rest of their batch could commit. An operator lists them, puts them back on
the stream once the cause is fixed, or discards them with a reason
(`manage.py dead_letters`)."""

import json
from datetime import datetime
from typing import cast

from django.db import transaction

from gameplay import keys, live
from gameplay.models import DiscardedEvent


def listed(*, count: int = 100) -> list[dict]:
    """The oldest dead-lettered events: stream id, original id, error, event JSON."""
    return [
        {
            "id": entry_id.decode(),
            "original_id": fields[b"id"].decode(),
            "error": fields[b"error"].decode(),
            "event": fields[b"e"].decode(),
        }
        for entry_id, fields in cast(
            list[live.StreamEntry], live.client().xrange(keys.DEAD_LETTERS, count=count)
        )
    ]


def retry(*, letters: list[dict]) -> None:
    """Put dead-lettered events back on the stream (each keeps its event id, so one
    already in the ledger is a no-op), removing them from the dead letters in the same
    MULTI."""
    pipe = live.client().pipeline(transaction=True)
    for letter in letters:
        pipe.xadd(keys.STREAM, {"e": letter["event"]})
        pipe.xdel(keys.DEAD_LETTERS, letter["id"])
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
    live.client().xdel(keys.DEAD_LETTERS, *[letter["id"] for letter in letters])
