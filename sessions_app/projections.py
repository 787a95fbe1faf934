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
    # The habit is looked up for each session's newest event only, after DISTINCT ON, and
    # only when it names one (most sessions have none): joining every event of the batch
    # to the habits before the sort doubled the statement's cost (a hash of every habit
    # and a sort of wider rows).
    cursor.execute(
        f"""INSERT INTO sessions_app_focussession
                (id, player_id, habit_id, planned_minutes, started_at, ended_at, status,
                 focused_seconds, points_awarded, answer)
            SELECT f.session_id, f.player_id,
                   CASE WHEN f.session_habit <> '' THEN
                       (SELECT h.id FROM habits_habit h
                        WHERE h.id = f.session_habit::bigint AND h.player_id = f.player_id)
                   END,
                   f.planned,
                   to_timestamp(f.started::float8 / 1000000),
                   to_timestamp(f.ended::float8 / 1000000),
                   f.status,
                   CASE WHEN f.status = 'running' THEN NULL ELSE f.focused END,
                   f.points, f.answer
            FROM (
                SELECT DISTINCT ON (b.session_id)
                       b.session_id, b.player_id, b.session_habit, b.planned, b.started,
                       b.ended, b.status, b.focused, b.points, b.answer
                FROM {batch} b
                WHERE b.kind IN {SESSION_KINDS}
                ORDER BY b.session_id, b.occurred_at DESC, b.seq DESC
            ) f
            ON CONFLICT (id) DO UPDATE
               SET status = EXCLUDED.status,
                   ended_at = EXCLUDED.ended_at,
                   focused_seconds = EXCLUDED.focused_seconds,
                   points_awarded = EXCLUDED.points_awarded,
                   answer = EXCLUDED.answer
             WHERE sessions_app_focussession.status = 'running'"""
    )
