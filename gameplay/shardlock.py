"""The PostgreSQL advisory lock of a live-store shard.

A flusher holds it while it writes a batch of the shard's events (`pg_try_advisory_lock`,
pipeline/flush.py: a shard another flusher holds is skipped). The deletion of one of the
shard's players waits for it and holds it while the player's rows go (accounts/deletion.py),
so that no batch writes rows of that player in between, and a deletion and a flush never
lock the player's row and the shard's community rows in opposite orders.
"""

from django.db import connection

SHARD_LOCK_CLASS = 0x4651


def shard_lock_until_commit(shard: int) -> None:
    """Wait for the shard's lock and hold it until the caller's transaction ends."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [SHARD_LOCK_CLASS, shard])
