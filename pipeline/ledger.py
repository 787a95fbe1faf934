"""The flush's insert of a batch into the ledger, whose unique event id is the door a
replayed event cannot pass: two forms of one statement, and how to tell the refusal of an
event the ledger has."""

from django.db import IntegrityError
from psycopg.errors import UniqueViolation

from gameplay.models import LedgerEntry
from pipeline.batch import BATCH_TABLE

# The ledger insert of a batch none of whose events the ledger holds, which is every batch
# but a replay: a plain INSERT, which checks the key as it writes each row's index entry.
# ON CONFLICT looks each row up in the key's index first and confirms each insertion with a
# WAL record of its own: about 40 % of the insert's cost. An event the ledger holds makes
# PostgreSQL refuse this insert (unique_violation); the flush (pipeline/flush.py) then
# rolls the batch back and writes it again with INSERT. No ORDER BY: the batch is in stream
# order, which is the ids' order, so the inserts land at the right edge of the key's index.
INSERT_UNSEEN = f"""INSERT INTO gameplay_ledgerentry
            (occurred_at, player_id, event_id, points, day, focus_seconds, kind, reason,
             moderator_id, payload)
        SELECT occurred_at, player_id, event_id, points, day, focus_seconds, kind,
               coalesce(reason, ''),
               -- An adjustment by a moderator deleted since is signed by nobody; the one
               -- found stays until COMMIT (the ledger has no foreign key of them).
               CASE WHEN moderator IS NOT NULL THEN
                   (SELECT id FROM accounts_user WHERE id = moderator FOR KEY SHARE)
               END,
               rest
        FROM {BATCH_TABLE}"""

# The ledger insert of a batch that may hold events the ledger has, and the pruning of the
# batch to the events it took. The conflict target is the table's primary key, (event_id,
# occurred_at): the ledger is partitioned by occurred_at, and a key of a partitioned table
# must hold its partition key. It is the same door as the event id alone: `occurred_at`
# comes from the event's own `ts`, so a replayed event (the same JSON) brings the same
# pair, and its time-ordered id is made from that moment.
# The pruning runs only when there is something to prune (the ledger took fewer events than
# the batch holds: a replay, a repeat within the batch); a one-time test skips it otherwise.
INSERT = f"""WITH new AS (
        {INSERT_UNSEEN}
        ON CONFLICT (event_id, occurred_at) DO NOTHING
        RETURNING event_id
    )
    DELETE FROM {BATCH_TABLE}
    WHERE (SELECT count(*) FROM new) < (SELECT count(*) FROM {BATCH_TABLE})
      AND seq NOT IN (
        SELECT min(b.seq) FROM {BATCH_TABLE} b JOIN new USING (event_id) GROUP BY event_id)"""


def refused_as_seen(error: IntegrityError) -> bool:
    """Whether PostgreSQL refused INSERT_UNSEEN because the ledger (one of its partitions)
    holds one of the batch's events."""
    cause = error.__cause__
    table = getattr(getattr(cause, "diag", None), "table_name", None) or ""
    return isinstance(cause, UniqueViolation) and table.startswith(LedgerEntry._meta.db_table)
