"""The flush drops the events of players who no longer exist (accounts.deletion).

A deleted player's events may still wait on their shard's stream when their rows go, or
come from a request that was in flight: their ledger row would name no player. So, before
the ledger insert, one statement deletes from the batch every event whose player is not in
`accounts_user` (an anti-join, whatever the batch's size), locks the rows of the players
it keeps until COMMIT (so that their ledger rows cannot outlive them: the ledger has no
foreign key of its player, since migration gameplay 0008, and this is its check), and
answers where each stood in the batch and what it added to the live
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
    # The players found are locked (FOR KEY SHARE, what a foreign key's check takes) until
    # COMMIT, so that none is deleted under the batch: a deletion waits for the flush, and
    # one that went first is waited for here, and its player then found gone.
    cursor.execute(
        f"""WITH present AS MATERIALIZED (
                SELECT u.id FROM accounts_user u
                WHERE u.id IN (SELECT player_id FROM {batch})
                FOR KEY SHARE OF u
            ),
            gone AS (
                DELETE FROM {batch} b
                WHERE NOT EXISTS (SELECT 1 FROM present p WHERE p.id = b.player_id)
                RETURNING b.seq, b.cday, b.kind, b.focus_seconds
            )
            SELECT seq, cday,
                   CASE WHEN kind IN {ACTIVE_KINDS} THEN focus_seconds / 60 ELSE 0 END,
                   (kind = '{EventKind.SESSION_COMPLETED}')::int
            FROM gone ORDER BY 1"""
    )
    return [Dropped(int(i), str(day), int(m), int(s)) for i, day, m, s in cursor.fetchall()]
