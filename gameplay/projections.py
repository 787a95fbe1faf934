"""The flush's projection of awarded badges into badge rows (one statement)."""


def apply_batch(cursor, batch: str) -> None:
    cursor.execute(
        f"""INSERT INTO gameplay_badge (player_id, code, awarded_at, event_id)
            SELECT b.player_id, code, b.occurred_at, b.event_id
            FROM {batch} b
            CROSS JOIN LATERAL jsonb_array_elements_text(b.badges) AS code
            WHERE b.badges IS NOT NULL
            ON CONFLICT (player_id, code) DO NOTHING"""
    )
