"""The flushed tables have no foreign key of the player in the database (issue #10); the
flush's drop of deleted players' events locks the players it keeps instead, until COMMIT,
so that no deletion commits under a batch that writes their rows."""

import psycopg
import pytest
from django.db import connection, transaction

from gameplay.models import LedgerEntry
from pipeline import batch, flush
from pipeline.dropped import drop_playerless
from testkit.actions import focus_session, pending_events
from testkit.personas import T0

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("live_store")]


def other_connection() -> psycopg.Connection:
    s = connection.settings_dict
    return psycopg.connect(
        dbname=s["NAME"],
        user=s["USER"] or None,
        password=s["PASSWORD"] or None,
        host=s["HOST"] or None,
        port=s["PORT"] or None,
        autocommit=True,
    )


def try_deletion_lock(player_id: int) -> bool:
    """Whether another session could take the lock a DELETE of the player takes, now."""
    with other_connection() as other:
        other.execute("SET lock_timeout = '200ms'")
        try:
            with other.transaction():
                other.execute("SELECT 1 FROM accounts_user WHERE id = %s FOR UPDATE", [player_id])
        except psycopg.errors.LockNotAvailable:
            return False
    return True


def test_the_drop_locks_the_players_it_keeps_until_commit(alice, clock) -> None:
    focus_session(alice, start=T0)

    with transaction.atomic(), connection.cursor() as cursor:
        batch.copy_batch(cursor, pending_events())
        assert drop_playerless(cursor, batch.BATCH_TABLE) == []
        # Before the ledger or any projection wrote a row: a deletion would wait.
        assert not try_deletion_lock(alice.pk)

    assert try_deletion_lock(alice.pk)


def test_a_batch_holds_its_players_until_commit(alice, clock) -> None:
    focus_session(alice, start=T0)

    with transaction.atomic():
        new_events, _players = flush.apply_events(pending_events())
        assert new_events == 2
        assert not try_deletion_lock(alice.pk)

    assert try_deletion_lock(alice.pk)
    assert LedgerEntry.objects.filter(player=alice).count() == 2
