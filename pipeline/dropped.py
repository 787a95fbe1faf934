"""The flush drops the events of players who no longer exist (accounts.deletion).

A deleted player's events may still wait on their shard's stream when their rows go, or
come from a request that was in flight: their ledger row would name no player, and the
batch would fail or be dead-lettered. So, before the ledger insert, one statement deletes
from the batch every event whose player is not in `accounts_user` (an anti-join, whatever
the batch's size) and answers where each stood in the batch and what it added to the live
community counters of its day. After COMMIT those entries are not acknowledged with the
others: `gameplay.deletion.events_drop` acknowledges and deletes them from the stream and
takes what they added off the shard's live community counters, in one script on its slot,
once per entry, so the live sums stay equal to PostgreSQL's, which never counted them.
"""

from dataclasses import dataclass

from gameplay.deletion import DroppedEvent
from gameplay.events import EventKind
from leaderboard.projections import ACTIVE_KINDS


@dataclass(frozen=True)
class Dropped:
    """An event of the batch dropped for want of its player: its place in the batch (0 is
    the first event copied) and what it added to the community's day (as the community
    projection would count it: leaderboard/projections.py)."""

    index: int
    community_day: str
    focus_minutes: int
    sessions: int

    def on_stream(self, shard: int, stream_id: str) -> DroppedEvent:
        return DroppedEvent(shard, stream_id, self.community_day, self.focus_minutes, self.sessions)


def drop_playerless(cursor, batch: str) -> list[Dropped]:
    """Delete the batch's events whose player does not exist; what was dropped, in order."""
    cursor.execute(
        f"""WITH first AS (SELECT min(seq) AS seq FROM {batch}),
            gone AS (
                DELETE FROM {batch} b
                WHERE NOT EXISTS (SELECT 1 FROM accounts_user u WHERE u.id = b.player_id)
                RETURNING b.seq, b.cday, b.kind, b.focus_seconds
            )
            SELECT gone.seq - first.seq, gone.cday,
                   CASE WHEN gone.kind IN {ACTIVE_KINDS} THEN gone.focus_seconds / 60 ELSE 0 END,
                   (gone.kind = '{EventKind.SESSION_COMPLETED}')::int
            FROM gone, first ORDER BY 1"""
    )
    return [Dropped(int(i), str(day), int(m), int(s)) for i, day, m, s in cursor.fetchall()]
