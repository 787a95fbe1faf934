"""A flusher's claim on live-store shards: one PostgreSQL session advisory lock a shard
(`pg_try_advisory_lock`: a shard another flusher holds is skipped, never waited for), taken
for many shards in one statement and released the same way, or by a dying connection. One
flusher a shard at a time (beat, the command, more workers); a player's deletion waits for
the same lock (gameplay/shardlock.py).

A batch that spans a hundred shards used to take and release their locks one statement
each: two round trips a shard, which cost PostgreSQL's backend as much CPU as the events of
a small shard. Now a batch takes the shards it expects to fill it at once (pipeline/flush.py),
and gives back at once those that gave it nothing.
"""

import contextlib
from collections.abc import Iterator

from django.db import DatabaseError, connection

from gameplay import shardlock

# The shards held, in the order asked (ORDINALITY): a flusher reads them in its own order.
TAKE = """SELECT shard FROM unnest(%s::integer[]) WITH ORDINALITY AS asked (shard, place)
          WHERE pg_try_advisory_lock(%s, shard) ORDER BY place"""
RELEASE = """SELECT count(*) FILTER (WHERE pg_advisory_unlock(%s, shard))
             FROM unnest(%s::integer[]) shard"""


class Claim:
    """The shards this flusher holds, until `claimed()`'s block ends (or sooner, `release`)."""

    def __init__(self) -> None:
        self.held: list[int] = []

    def take(self, shards: list[int]) -> list[int]:
        """Those of `shards` this flusher now holds, in their order; the others are
        another flusher's."""
        if not shards:
            return []
        with connection.cursor() as cursor:
            cursor.execute(TAKE, [shards, shardlock.SHARD_LOCK_CLASS])
            taken = [row[0] for row in cursor.fetchall()]
        self.held += taken
        return taken

    def release(self, shards: list[int]) -> None:
        """Give back those of `shards` held. A connection that broke meanwhile took its
        session locks with it: nothing is left to release then."""
        going = [shard for shard in shards if shard in self.held]
        if not going:
            return
        self.held = [shard for shard in self.held if shard not in going]
        with contextlib.suppress(DatabaseError), connection.cursor() as cursor:
            cursor.execute(RELEASE, [shardlock.SHARD_LOCK_CLASS, going])


@contextlib.contextmanager
def claimed() -> Iterator[Claim]:
    """A claim whose shards are released when the block ends, however it ends."""
    claim = Claim()
    try:
        yield claim
    finally:
        claim.release(list(claim.held))
