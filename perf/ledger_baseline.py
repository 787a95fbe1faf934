"""The flush's statements as they were at issue #10's baseline, for `perf.ledger`'s "before"
side: the batch copied as jsonb with generated columns, the deleted players' events dropped,
the ledger insert of migration 0004 (`perf.ledger.BASELINE_LEDGER_INSERT`), and each app's
projection, all verbatim from pipeline/flush.py, pipeline/dropped.py and the apps'
projections.py of that time (commit b3d45c8). The flush's code runs them in its place
(`apply_batch`), so the before side measures the flush of then, not today's statements over
the old ledger.
"""

from collections.abc import Iterable

from django.conf import settings
from django.db import connection

from gameplay.events import EventKind, sql_in
from leaderboard.projections import ACTIVE_KINDS
from pipeline.dropped import Dropped

BATCH_TABLE = "fq_events"

BATCH_TABLE_DDL = f"""CREATE TEMPORARY TABLE IF NOT EXISTS {BATCH_TABLE} (
    seq bigint GENERATED ALWAYS AS IDENTITY,
    payload jsonb NOT NULL,
    event_id uuid GENERATED ALWAYS AS ((payload->>'id')::uuid) STORED,
    kind text GENERATED ALWAYS AS (payload->>'type') STORED,
    player_id bigint GENERATED ALWAYS AS ((payload->>'player')::bigint) STORED,
    points integer GENERATED ALWAYS AS (coalesce((payload->>'points')::integer, 0)) STORED,
    occurred_at timestamptz
        GENERATED ALWAYS AS (to_timestamp((payload->>'ts')::bigint / 1000000.0)) STORED,
    day text GENERATED ALWAYS AS (payload->>'day') STORED,
    cday text GENERATED ALWAYS AS (payload->>'cday') STORED,
    focus_seconds integer
        GENERATED ALWAYS AS (coalesce((payload->>'focus_seconds')::integer, 0)) STORED,
    badges jsonb GENERATED ALWAYS AS (
        CASE WHEN jsonb_typeof(payload->'badges') = 'array' THEN payload->'badges'
             ELSE '[]'::jsonb END) STORED
) ON COMMIT DELETE ROWS"""


def _copy_text(events: Iterable[bytes]) -> bytes:
    # COPY's text format: one row per line, a backslash escapes. JSON has no raw line
    # breaks or tabs (they are escaped with a backslash), so doubling every backslash
    # is all the escaping one JSON column needs.
    return b"\n".join(events).replace(b"\\", b"\\\\")


SESSION_KINDS = sql_in(
    EventKind.SESSION_STARTED,
    EventKind.SESSION_COMPLETED,
    EventKind.SESSION_SHORT,
    EventKind.SESSION_ABANDONED,
)


VACATION_KINDS = sql_in(
    EventKind.VACATION_ADDED, EventKind.VACATION_ENDED, EventKind.VACATION_REMOVED
)


def _drop_playerless(cursor, batch: str) -> list[Dropped]:
    """Delete the batch's events whose player does not exist; what was dropped, in order."""
    cursor.execute(
        f"""WITH first AS (SELECT min(seq) AS seq FROM {batch}),
            gone AS (
                DELETE FROM {batch} b
                WHERE NOT EXISTS (SELECT 1 FROM accounts_user u WHERE u.id = b.player_id)
                RETURNING b.seq, b.cday, b.kind, b.focus_seconds
            )
            SELECT gone.seq - first.seq, gone.cday,
                   CASE WHEN gone.kind IN {ACTIVE_KINDS} THEN gone.focus_seconds / 60 ELSE 0 END,
                   (gone.kind = '{EventKind.SESSION_COMPLETED}')::int
            FROM gone, first ORDER BY 1"""
    )
    return [Dropped(int(i), str(day), int(m), int(s)) for i, day, m, s in cursor.fetchall()]


def _accounts(cursor, batch: str) -> None:
    cursor.execute(
        f"""UPDATE accounts_user u
            SET points = u.points + d.points,
                completed_sessions = u.completed_sessions + d.sessions,
                freezes = u.freezes + d.freezes
            FROM (
                SELECT player_id, sum(points) AS points,
                       count(*) FILTER (WHERE kind = '{EventKind.SESSION_COMPLETED}') AS sessions,
                       coalesce(sum((payload->'freeze'->>'delta')::integer), 0) AS freezes
                FROM {batch} GROUP BY player_id
            ) d
            WHERE u.id = d.player_id"""
    )


def _sessions(cursor, batch: str) -> None:
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


def _habits(cursor, batch: str) -> None:
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

    # A day refunded in the batch loses its row; one spent and refunded within the batch
    # never gets one (after a refund the day is checked, so it is never spent again).
    cursor.execute(
        f"""WITH refunded AS (
                SELECT (f.habit)::bigint AS habit_id, f.day
                FROM {batch} b
                CROSS JOIN LATERAL jsonb_to_record(b.payload->'freeze') AS f(habit text, day date)
                WHERE b.kind = '{EventKind.FREEZE_REFUNDED}'
            ),
            removed AS (
                DELETE FROM habits_frozenday z USING refunded r
                WHERE z.habit_id = r.habit_id AND z.day = r.day
            )
            INSERT INTO habits_frozenday (habit_id, player_id, day, event_id)
            SELECT (f.habit)::bigint, b.player_id, f.day, b.event_id
            FROM {batch} b
            CROSS JOIN LATERAL jsonb_to_record(b.payload->'freeze') AS f(habit text, day date)
            WHERE b.kind = '{EventKind.FREEZE_SPENT}'
              AND NOT EXISTS (
                SELECT 1 FROM refunded r WHERE r.habit_id = (f.habit)::bigint AND r.day = f.day)
            ON CONFLICT (habit_id, day) DO NOTHING"""
    )


def _vacations(cursor, batch: str) -> None:
    cursor.execute(
        f"""WITH events AS (
                SELECT b.kind, b.player_id, b.occurred_at, v.id, v.start, v."end"
                FROM {batch} b
                CROSS JOIN LATERAL jsonb_to_record(b.payload->'vacation')
                    AS v(id uuid, start date, "end" date)
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


def _badges(cursor, batch: str) -> None:
    cursor.execute(
        f"""INSERT INTO gameplay_badge (player_id, code, awarded_at, event_id)
            SELECT b.player_id, code, b.occurred_at, b.event_id
            FROM {batch} b
            CROSS JOIN LATERAL jsonb_array_elements_text(b.badges) AS code
            ON CONFLICT (player_id, code) DO NOTHING"""
    )


def _community(cursor, batch: str) -> None:
    # gameplay.keys.shard_of in SQL: a flushed batch comes from one shard's stream, but a
    # batch written another way (WRITE_MODE=direct, a test) is split the same.
    shard = f"(player_id % {int(settings.LIVE_SHARDS)})"
    cursor.execute(
        f"""WITH newly_active AS (
                INSERT INTO leaderboard_communityactivity (day, player_id)
                SELECT DISTINCT cday::date, player_id FROM {batch} WHERE kind IN {ACTIVE_KINDS}
                ON CONFLICT (day, player_id) DO NOTHING
                RETURNING day, player_id
            ),
            active AS (
                SELECT day, {shard} AS shard, count(*) AS n FROM newly_active GROUP BY 1, 2
            ),
            totals AS (
                SELECT cday::date AS day, {shard} AS shard,
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


PROJECTIONS = (_accounts, _sessions, _habits, _vacations, _badges, _community)


def apply_batch(
    ledger_insert: str, events, *, unseen: bool = False
) -> tuple[int, list[int], list[Dropped]]:
    """pipeline.flush.apply_batch as it was, with `ledger_insert` as its ledger insert.
    `unseen` is today's flush's (pipeline/ledger.py): the baseline's insert skipped the
    events the ledger had, whatever the batch."""
    with connection.cursor() as cursor:
        cursor.execute(BATCH_TABLE_DDL)
        cursor.execute(f"DELETE FROM {BATCH_TABLE}")
        with cursor.cursor.copy(f"COPY {BATCH_TABLE} (payload) FROM STDIN") as copy:
            copy.write(_copy_text(events))
        dropped = _drop_playerless(cursor, BATCH_TABLE)
        cursor.execute(ledger_insert)
        cursor.execute(
            f"SELECT count(*), coalesce(array_agg(DISTINCT player_id), '{{}}') FROM {BATCH_TABLE}"
        )
        new_events, players = cursor.fetchone()
        for project in PROJECTIONS:
            project(cursor, BATCH_TABLE)
    return new_events, players, dropped
