"""The flush's projection of session events into focus sessions (one statement).

Every session event carries the whole session, so the newest event of each session in
the batch is its row; a row already closed is never reopened, whatever order two
flushers commit in.
"""

from gameplay.events import EventKind, sql_in

SESSION_KINDS = sql_in(
    EventKind.SESSION_STARTED,
    EventKind.SESSION_COMPLETED,
    EventKind.SESSION_SHORT,
    EventKind.SESSION_ABANDONED,
)


def apply_batch(cursor, batch: str) -> None:
    cursor.execute(
        f"""INSERT INTO sessions_app_focussession
                (id, player_id, habit_id, planned_minutes, started_at, ended_at, status,
                 focused_seconds, points_awarded, answer)
            SELECT DISTINCT ON (b.session_id)
                   b.session_id, b.player_id, h.id, b.planned,
                   to_timestamp(b.started::float8 / 1000000),
                   to_timestamp(b.ended::float8 / 1000000),
                   b.status,
                   CASE WHEN b.status = 'running' THEN NULL ELSE b.focused END,
                   b.points, b.answer
            FROM {batch} b
            LEFT JOIN habits_habit h
                   ON h.id = nullif(b.session_habit, '')::bigint AND h.player_id = b.player_id
            WHERE b.kind IN {SESSION_KINDS}
            ORDER BY b.session_id, b.occurred_at DESC, b.seq DESC
            ON CONFLICT (id) DO UPDATE
               SET status = EXCLUDED.status,
                   ended_at = EXCLUDED.ended_at,
                   focused_seconds = EXCLUDED.focused_seconds,
                   points_awarded = EXCLUDED.points_awarded,
                   answer = EXCLUDED.answer
             WHERE sessions_app_focussession.status = 'running'"""
    )
