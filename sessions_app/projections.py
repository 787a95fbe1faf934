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
            SELECT DISTINCT ON (s.id)
                   s.id, b.player_id, h.id, s.planned,
                   to_timestamp(s.started / 1e6),
                   CASE WHEN s.ended IS NULL THEN NULL ELSE to_timestamp(s.ended / 1e6) END,
                   s.status,
                   CASE WHEN s.status = 'running' THEN NULL ELSE s.focused END,
                   b.points, s.answer
            FROM {batch} b
            CROSS JOIN LATERAL jsonb_to_record(b.payload->'session') AS s(
                id uuid, started bigint, ended bigint, planned integer, habit text,
                status text, focused integer, answer jsonb)
            LEFT JOIN habits_habit h
                   ON h.id = nullif(s.habit, '')::bigint AND h.player_id = b.player_id
            WHERE b.kind IN {SESSION_KINDS}
            ORDER BY s.id, b.occurred_at DESC, b.seq DESC
            ON CONFLICT (id) DO UPDATE
               SET status = EXCLUDED.status,
                   ended_at = EXCLUDED.ended_at,
                   focused_seconds = EXCLUDED.focused_seconds,
                   points_awarded = EXCLUDED.points_awarded,
                   answer = EXCLUDED.answer
             WHERE sessions_app_focussession.status = 'running'"""
    )
