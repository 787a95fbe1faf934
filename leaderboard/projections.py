"""The flush's projection into the community day counters: one upsert per batch for the
rows that a naive design would update on every action, a row per (day, live-store shard)
so that the flushers of different shards never write the same row."""

from django.conf import settings

from gameplay.events import EventKind, sql_in

# A short session makes its player active and adds its minutes, but is no session.
ACTIVE_KINDS = sql_in(EventKind.SESSION_COMPLETED, EventKind.SESSION_SHORT, EventKind.CHECK_IN)


def apply_batch(cursor, batch: str) -> None:
    # gameplay.keys.shard_of in SQL: a flushed batch comes from one shard's stream, but a
    # batch written another way (WRITE_MODE=direct, a test) is split the same.
    shard = f"(player_id % {int(settings.LIVE_SHARDS)})"
    cursor.execute(
        f"""WITH newly_active AS (
                INSERT INTO leaderboard_communityactivity (day, player_id)
                SELECT DISTINCT cday, player_id FROM {batch} WHERE kind IN {ACTIVE_KINDS}
                ON CONFLICT (day, player_id) DO NOTHING
                RETURNING day, player_id
            ),
            active AS (
                SELECT day, {shard} AS shard, count(*) AS n FROM newly_active GROUP BY 1, 2
            ),
            totals AS (
                SELECT cday AS day, {shard} AS shard,
                       sum(focus_seconds / 60) AS focus_minutes,
                       count(*) FILTER (WHERE kind = '{EventKind.SESSION_COMPLETED}') AS sessions
                FROM {batch} WHERE kind IN {ACTIVE_KINDS} GROUP BY 1, 2
            )
            INSERT INTO leaderboard_communityday
                (day, shard, focus_minutes, sessions, active_players)
            SELECT t.day, t.shard, t.focus_minutes, t.sessions, coalesce(a.n, 0)
            FROM totals t LEFT JOIN active a USING (day, shard)
            ON CONFLICT (day, shard) DO UPDATE
               SET focus_minutes = leaderboard_communityday.focus_minutes
                                   + EXCLUDED.focus_minutes,
                   sessions = leaderboard_communityday.sessions + EXCLUDED.sessions,
                   active_players = leaderboard_communityday.active_players
                                    + EXCLUDED.active_players"""
    )
