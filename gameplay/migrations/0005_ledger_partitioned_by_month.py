"""The ledger becomes a table partitioned by month of `occurred_at`, with a leaner row.

Django cannot create a partitioned table, so the table is made here in SQL, and Django's
state is moved alongside it (SeparateDatabaseAndState): the model over the table is the
same `LedgerEntry`. What changes:

- no `id`: the event id is the row's identity. A key of a partitioned table must hold the
  partition key, so the primary key is (event_id, occurred_at); that is as unique as the
  event id alone, because an event's `occurred_at` comes from the event itself (its `ts`,
  the moment its time-ordered id is also made from): a replayed event brings the same
  pair, so the flush's ON CONFLICT (event_id, occurred_at) still refuses it;
- no `recorded_at` (nothing read it) and no index on (player, occurred_at): (player, day)
  serves the player's lookups;
- `payload` keeps only what the event says beyond the columns and the rows other tables
  keep of it, NULL when nothing is left (LEDGER_ELIDED in pipeline/flush.py names those
  fields; the copy below uses the same list);
- one partition per UTC month (`gameplay_ledgerentry_yYYYYmMM`), made ahead by
  `gameplay_ledger_ensure_partition(month)`, which the flush calls each day for this month
  and the next (gameplay.partitions), and a DEFAULT partition, so that an event of a month
  nobody foresaw is still written; making its month's partition later moves its rows.

Existing rows are copied into the partitions of their months.
"""

from django.db import migrations, models

PARTITION_FUNCTION = r"""
CREATE FUNCTION gameplay_ledger_ensure_partition(month date) RETURNS text
LANGUAGE plpgsql AS $fn$
DECLARE
    first date := date_trunc('month', month)::date;
    lo timestamptz := first::timestamp AT TIME ZONE 'UTC';
    hi timestamptz := (first + interval '1 month')::timestamp AT TIME ZONE 'UTC';
    part text := 'gameplay_ledgerentry_' || to_char(first, '"y"YYYY"m"MM');
BEGIN
    IF to_regclass(part) IS NOT NULL THEN
        RETURN part;  -- the daily call's usual answer: no lock taken
    END IF;
    -- Making a partition locks the parent anyway; taking that lock first serialises two
    -- callers, so the second finds the partition made instead of failing on it.
    LOCK TABLE gameplay_ledgerentry IN ACCESS EXCLUSIVE MODE;
    IF to_regclass(part) IS NOT NULL THEN
        RETURN part;
    END IF;
    IF EXISTS (SELECT 1 FROM gameplay_ledgerentry_default
               WHERE occurred_at >= lo AND occurred_at < hi) THEN
        -- The default partition holds rows of this month: a partition beside it would
        -- contradict them, so they move into the new one.
        ALTER TABLE gameplay_ledgerentry DETACH PARTITION gameplay_ledgerentry_default;
        EXECUTE format('CREATE TABLE %I PARTITION OF gameplay_ledgerentry '
                       'FOR VALUES FROM (%L) TO (%L)', part, lo, hi);
        INSERT INTO gameplay_ledgerentry SELECT * FROM gameplay_ledgerentry_default
            WHERE occurred_at >= lo AND occurred_at < hi;
        DELETE FROM gameplay_ledgerentry_default WHERE occurred_at >= lo AND occurred_at < hi;
        ALTER TABLE gameplay_ledgerentry
            ATTACH PARTITION gameplay_ledgerentry_default DEFAULT;
    ELSE
        EXECUTE format('CREATE TABLE %I PARTITION OF gameplay_ledgerentry '
                       'FOR VALUES FROM (%L) TO (%L)', part, lo, hi);
    END IF;
    RETURN part;
END
$fn$;
"""

# Column order is storage order: the 8-byte columns first, then 4-byte ones, then the
# variable-length ones, so the row carries no alignment padding.
PARTITIONED = r"""
ALTER TABLE gameplay_ledgerentry
    DROP CONSTRAINT gameplay_ledgerentry_pkey,
    DROP CONSTRAINT gameplay_ledgerentry_event_id_key;
DROP INDEX gameplay_le_player__13551d_idx, gameplay_le_player__fd03a0_idx,
           ledger_moderator_idx, ledger_occurred_brin;
ALTER TABLE gameplay_ledgerentry RENAME TO gameplay_ledgerentry_unpartitioned;

CREATE TABLE gameplay_ledgerentry (
    occurred_at timestamptz NOT NULL,
    player_id bigint NOT NULL,
    event_id uuid NOT NULL,
    points integer NOT NULL,
    day date NOT NULL,
    focus_seconds integer NOT NULL
        CONSTRAINT gameplay_ledgerentry_focus_seconds_check CHECK (focus_seconds >= 0),
    kind varchar(20) NOT NULL,
    reason text NOT NULL,
    moderator_id bigint,
    payload jsonb
) PARTITION BY RANGE (occurred_at);
CREATE TABLE gameplay_ledgerentry_default PARTITION OF gameplay_ledgerentry DEFAULT;

SELECT gameplay_ledger_ensure_partition(month) FROM (
    SELECT DISTINCT date_trunc('month', occurred_at AT TIME ZONE 'UTC')::date AS month
    FROM gameplay_ledgerentry_unpartitioned
    UNION SELECT date_trunc('month', now() AT TIME ZONE 'UTC')::date
    UNION SELECT (date_trunc('month', now() AT TIME ZONE 'UTC') + interval '1 month')::date
) months;

INSERT INTO gameplay_ledgerentry
    (occurred_at, player_id, event_id, points, day, focus_seconds, kind, reason,
     moderator_id, payload)
SELECT occurred_at, player_id, event_id, points, day, focus_seconds, kind, reason,
       moderator_id,
       nullif(payload - ARRAY['id', 'type', 'player', 'ts', 'day', 'cday', 'week', 'points',
                              'focus_seconds', 'moderator', 'reason', 'badges', 'session',
                              'check_in'], '{}')
FROM gameplay_ledgerentry_unpartitioned;
DROP TABLE gameplay_ledgerentry_unpartitioned;

-- On the parent: PostgreSQL makes each index on every partition, present and future.
ALTER TABLE gameplay_ledgerentry
    ADD CONSTRAINT gameplay_ledgerentry_pkey PRIMARY KEY (event_id, occurred_at),
    ADD CONSTRAINT gameplay_ledgerentry_player_id_1a9323b0_fk_accounts_user_id
        FOREIGN KEY (player_id) REFERENCES accounts_user (id) DEFERRABLE INITIALLY DEFERRED,
    ADD CONSTRAINT gameplay_ledgerentry_moderator_id_9bb394e4_fk_accounts_user_id
        FOREIGN KEY (moderator_id) REFERENCES accounts_user (id) DEFERRABLE INITIALLY DEFERRED;
CREATE INDEX gameplay_le_player__fd03a0_idx ON gameplay_ledgerentry (player_id, day);
CREATE INDEX ledger_moderator_idx ON gameplay_ledgerentry (moderator_id)
    WHERE moderator_id IS NOT NULL;
CREATE INDEX ledger_occurred_brin ON gameplay_ledgerentry USING brin (occurred_at);
"""

# Back to 0004's plain table. The elided fields are not restored: the payload becomes the
# columns as an event's base fields, with what the lean row kept.
UNPARTITIONED = r"""
ALTER TABLE gameplay_ledgerentry RENAME TO gameplay_ledgerentry_partitioned;
ALTER TABLE gameplay_ledgerentry_partitioned
    DROP CONSTRAINT gameplay_ledgerentry_pkey,
    DROP CONSTRAINT gameplay_ledgerentry_player_id_1a9323b0_fk_accounts_user_id,
    DROP CONSTRAINT gameplay_ledgerentry_moderator_id_9bb394e4_fk_accounts_user_id;
DROP INDEX gameplay_le_player__fd03a0_idx, ledger_moderator_idx, ledger_occurred_brin;
CREATE TABLE gameplay_ledgerentry (
    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    event_id uuid NOT NULL CONSTRAINT gameplay_ledgerentry_event_id_key UNIQUE,
    kind varchar(20) NOT NULL,
    points integer NOT NULL,
    occurred_at timestamptz NOT NULL,
    day date NOT NULL,
    focus_seconds integer NOT NULL
        CONSTRAINT gameplay_ledgerentry_focus_seconds_check CHECK (focus_seconds >= 0),
    reason text NOT NULL,
    payload jsonb NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT statement_timestamp(),
    moderator_id bigint,
    player_id bigint NOT NULL
);
INSERT INTO gameplay_ledgerentry
    (event_id, kind, points, occurred_at, day, focus_seconds, reason, payload,
     moderator_id, player_id)
SELECT event_id, kind, points, occurred_at, day, focus_seconds, reason,
       coalesce(payload, '{}') || jsonb_build_object(
           'id', event_id, 'type', kind, 'player', player_id, 'points', points,
           'day', day, 'ts', (extract(epoch FROM occurred_at) * 1000000)::bigint::text),
       moderator_id, player_id
FROM gameplay_ledgerentry_partitioned ORDER BY occurred_at, event_id;
DROP TABLE gameplay_ledgerentry_partitioned;
DROP FUNCTION gameplay_ledger_ensure_partition(date);
CREATE INDEX gameplay_le_player__13551d_idx ON gameplay_ledgerentry (player_id, occurred_at);
CREATE INDEX gameplay_le_player__fd03a0_idx ON gameplay_ledgerentry (player_id, day);
CREATE INDEX ledger_moderator_idx ON gameplay_ledgerentry (moderator_id)
    WHERE moderator_id IS NOT NULL;
CREATE INDEX ledger_occurred_brin ON gameplay_ledgerentry USING brin (occurred_at);
-- Last: deferred checks of the copied rows would otherwise forbid the indexes above.
ALTER TABLE gameplay_ledgerentry
    ADD CONSTRAINT gameplay_ledgerentry_player_id_1a9323b0_fk_accounts_user_id
        FOREIGN KEY (player_id) REFERENCES accounts_user (id) DEFERRABLE INITIALLY DEFERRED,
    ADD CONSTRAINT gameplay_ledgerentry_moderator_id_9bb394e4_fk_accounts_user_id
        FOREIGN KEY (moderator_id) REFERENCES accounts_user (id) DEFERRABLE INITIALLY DEFERRED;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("gameplay", "0004_discarded_events"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    PARTITION_FUNCTION + PARTITIONED, reverse_sql=UNPARTITIONED, elidable=False
                ),
            ],
            state_operations=[
                migrations.AlterModelOptions(
                    name="ledgerentry",
                    options={
                        "ordering": ["-occurred_at", "-event_id"],
                        "verbose_name": "ledger entry",
                        "verbose_name_plural": "ledger",
                    },
                ),
                migrations.RemoveIndex(
                    model_name="ledgerentry",
                    name="gameplay_le_player__13551d_idx",
                ),
                migrations.RemoveField(model_name="ledgerentry", name="id"),
                migrations.RemoveField(model_name="ledgerentry", name="recorded_at"),
                migrations.AlterField(
                    model_name="ledgerentry",
                    name="event_id",
                    field=models.UUIDField(primary_key=True, serialize=False),
                ),
                migrations.AlterField(
                    model_name="ledgerentry",
                    name="payload",
                    field=models.JSONField(blank=True, null=True),
                ),
            ],
        ),
    ]
