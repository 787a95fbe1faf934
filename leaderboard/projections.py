"""The flush's projection into the community day counters: one upsert per batch for the
row that a naive design would update on every action."""

from gameplay.events import EventKind, sql_in

# A short session makes its player active and adds its minutes, but is no session.
ACTIVE_KINDS = sql_in(EventKind.SESSION_COMPLETED, EventKind.SESSION_SHORT, EventKind.CHECK_IN)


def apply_batch(cursor, batch: str) -> None:
    cursor.execute(
        f"""WITH newly_active AS (
                INSERT INTO leaderboard_communityactivity (day, player_id)
                SELECT DISTINCT cday::date, player_id FROM {batch} WHERE kind IN {ACTIVE_KINDS}
                ON CONFLICT (day, player_id) DO NOTHING
                RETURNING day
            ),
            active AS (SELECT day, count(*) AS n FROM newly_active GROUP BY day),
            totals AS (
                SELECT cday::date AS day,
                       sum(focus_seconds / 60) AS focus_minutes,
                       count(*) FILTER (WHERE kind = '{EventKind.SESSION_COMPLETED}') AS sessions
                FROM {batch} WHERE kind IN {ACTIVE_KINDS} GROUP BY 1
            )
            INSERT INTO leaderboard_communityday (day, focus_minutes, sessions, active_players)
            SELECT t.day, t.focus_minutes, t.sessions, coalesce(a.n, 0)
            FROM totals t LEFT JOIN active a USING (day)
            ON CONFLICT (day) DO UPDATE
               SET focus_minutes = leaderboard_communityday.focus_minutes
                                   + EXCLUDED.focus_minutes,
                   sessions = leaderboard_communityday.sessions + EXCLUDED.sessions,
                   active_players = leaderboard_communityday.active_players
                                    + EXCLUDED.active_players"""
    )
