"""The flush's projection of check-ins into check-in rows and habit counters."""

from gameplay.events import EventKind


def apply_batch(cursor, batch: str) -> None:
    cursor.execute(
        f"""WITH checked AS (
                INSERT INTO habits_checkin
                    (habit_id, player_id, day, points_awarded, streak, checked_at, event_id)
                SELECT (c.habit)::bigint, b.player_id, c.day, b.points, c.streak,
                       b.occurred_at, b.event_id
                FROM {batch} b
                CROSS JOIN LATERAL jsonb_to_record(b.payload->'check_in')
                    AS c(habit text, day date, streak integer, longest integer)
                WHERE b.kind = '{EventKind.CHECK_IN}'
                ON CONFLICT (habit_id, day) DO NOTHING
                RETURNING habit_id
            ),
            counted AS (SELECT habit_id, count(*) AS n FROM checked GROUP BY habit_id),
            longest AS (
                SELECT (c.habit)::bigint AS habit_id, max(c.longest) AS longest
                FROM {batch} b
                CROSS JOIN LATERAL jsonb_to_record(b.payload->'check_in')
                    AS c(habit text, longest integer)
                WHERE b.kind = '{EventKind.CHECK_IN}'
                GROUP BY 1
            )
            UPDATE habits_habit h
            SET check_in_count = h.check_in_count + coalesce(counted.n, 0),
                longest_streak = GREATEST(h.longest_streak, l.longest)
            FROM longest l LEFT JOIN counted USING (habit_id)
            WHERE h.id = l.habit_id"""
    )
