"""The flush's projection of a batch into players' flushed totals and freezes held
(one statement)."""

from gameplay.events import EventKind


def apply_batch(cursor, batch: str) -> None:
    cursor.execute(
        f"""UPDATE accounts_user u
            SET points = u.points + d.points,
                completed_sessions = u.completed_sessions + d.sessions,
                freezes = u.freezes + d.freezes
            FROM (
                SELECT player_id, sum(points) AS points,
                       count(*) FILTER (WHERE kind = '{EventKind.SESSION_COMPLETED}') AS sessions,
                       coalesce(sum(freeze_delta), 0) AS freezes
                FROM {batch} GROUP BY player_id
            ) d
            WHERE u.id = d.player_id"""
    )
