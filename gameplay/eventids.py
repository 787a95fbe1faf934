"""Event ids that sort by time: UUIDv7 (RFC 9562) made from the action's own moment.

The ledger's unique index is on the event id. Random (version 4) ids send every insert to a
random leaf of that index, so a batch of 10,000 events dirties thousands of leaf pages; ids
that grow with time land at the index's right edge, a few pages per batch. The time in the
id is the event's own `ts` (its `occurred_at`), which is also the ledger's partition key: an
id says which month's partition holds its event.

Python 3.11 has no `uuid.uuid7`, hence this function. Layout (RFC 9562, section 5.7):

    48 bits  unix milliseconds of the moment
     4 bits  version (7)
    12 bits  the sub-millisecond part of the moment, in 1/4096 ms (section 6.2, method 3),
             so ids of one millisecond still sort by microsecond
     2 bits  variant (0b10)
    62 bits  random, from the operating system's generator: two events of the same
             microsecond (other players, other processes) differ here
"""

import secrets
import uuid

_VERSION = 0x7
_VARIANT = 0b10


def time_ordered_uuid(micros: int) -> uuid.UUID:
    """A UUIDv7 for a moment given in epoch microseconds (gameplay.live.micros)."""
    millis, sub_milli = divmod(micros, 1000)
    fraction = sub_milli * 4096 // 1000  # 0..4095, monotonic in the microsecond
    value = (
        (millis & ((1 << 48) - 1)) << 80
        | _VERSION << 76
        | fraction << 64
        | _VARIANT << 62
        | secrets.randbits(62)
    )
    return uuid.UUID(int=value)


def micros_of(event_id: uuid.UUID) -> int:
    """The moment (epoch microseconds) a `time_ordered_uuid` was made for: exact, since
    4,096 steps per millisecond are finer than its 1,000 microseconds."""
    millis = event_id.int >> 80
    fraction = (event_id.int >> 64) & 0xFFF
    return millis * 1000 + (fraction * 1000 + 4095) // 4096


def session_id(micros: int) -> str:
    """A new focus session's id, for a session started at `micros`: a UUIDv7 of its start,
    like the events' ids, so that the sessions' rows land at the right edge of their key's
    index; its 62 random bits make it as unguessable as it needs to be (every use of it
    checks its player)."""
    return str(time_ordered_uuid(micros))
