"""The flush's projection of vacation events into vacation rows (one statement).

Only the batch's new events reach here (the ledger's unique event id is the door), so a
replayed batch projects nothing. Within a batch the events of one vacation are folded
first, so that no row is named twice: a removed vacation is deleted (and one added and
removed in the same batch never written); every other is upserted with the earliest last
day its events say, since a vacation only ever ends earlier (`vacation_ended`), whatever
order two batches commit in.
"""

from gameplay.events import EventKind, sql_in

VACATION_KINDS = sql_in(
    EventKind.VACATION_ADDED, EventKind.VACATION_ENDED, EventKind.VACATION_REMOVED
)


def apply_batch(cursor, batch: str) -> None:
    cursor.execute(
        f"""WITH events AS (
                SELECT b.kind, b.player_id, b.occurred_at, b.vacation_id AS id,
                       b.vacation_start AS start, b.vacation_end AS "end"
                FROM {batch} b
                WHERE b.kind IN {VACATION_KINDS}
            ),
            removed AS (
                SELECT DISTINCT id FROM events WHERE kind = '{EventKind.VACATION_REMOVED}'
            ),
            kept AS (
                INSERT INTO vacations_vacation (id, player_id, start, "end", created_at)
                SELECT id, min(player_id), min(start), min("end"), min(occurred_at)
                FROM events WHERE id NOT IN (SELECT id FROM removed)
                GROUP BY id
                ON CONFLICT (id) DO UPDATE
                   SET "end" = LEAST(vacations_vacation."end", EXCLUDED."end"),
                       created_at = LEAST(vacations_vacation.created_at, EXCLUDED.created_at)
                RETURNING id
            )
            DELETE FROM vacations_vacation WHERE id IN (SELECT id FROM removed)"""
    )
