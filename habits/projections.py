"""The flush's projection of check-ins into check-in rows and habit counters, and of
spent and refunded freezes into frozen days."""

from gameplay.events import EventKind


def apply_batch(cursor, batch: str) -> None:
    cursor.execute(
        f"""WITH checked AS (
                INSERT INTO habits_checkin
                    (habit_id, player_id, day, points_awarded, streak, checked_at, event_id)
                SELECT b.check_in_habit, b.player_id, b.check_in_day, b.points, b.streak,
                       b.occurred_at, b.event_id
                FROM {batch} b
                WHERE b.kind = '{EventKind.CHECK_IN}'
                ON CONFLICT (habit_id, day) DO NOTHING
                RETURNING habit_id
            ),
            counted AS (SELECT habit_id, count(*) AS n FROM checked GROUP BY habit_id),
            longest AS (
                SELECT b.check_in_habit AS habit_id, max(b.longest) AS longest
                FROM {batch} b
                WHERE b.kind = '{EventKind.CHECK_IN}'
                GROUP BY 1
            )
            UPDATE habits_habit h
            SET check_in_count = h.check_in_count + coalesce(counted.n, 0),
                longest_streak = GREATEST(h.longest_streak, l.longest)
            FROM longest l LEFT JOIN counted USING (habit_id)
            WHERE h.id = l.habit_id"""
    )

    # A day refunded in the batch loses its row; one spent and refunded within the batch
    # never gets one (after a refund the day is checked, so it is never spent again).
    cursor.execute(
        f"""WITH refunded AS (
                SELECT b.freeze_habit AS habit_id, b.freeze_day AS day
                FROM {batch} b
                WHERE b.kind = '{EventKind.FREEZE_REFUNDED}'
            ),
            removed AS (
                DELETE FROM habits_frozenday z USING refunded r
                WHERE z.habit_id = r.habit_id AND z.day = r.day
            )
            INSERT INTO habits_frozenday (habit_id, player_id, day, event_id)
            SELECT b.freeze_habit, b.player_id, b.freeze_day, b.event_id
            FROM {batch} b
            WHERE b.kind = '{EventKind.FREEZE_SPENT}'
              AND NOT EXISTS (
                SELECT 1 FROM refunded r
                WHERE r.habit_id = b.freeze_habit AND r.day = b.freeze_day)
            ON CONFLICT (habit_id, day) DO NOTHING"""
    )
