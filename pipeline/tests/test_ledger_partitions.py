"""The ledger is partitioned by month: events land in their month's partition, an event of
a month nobody made a partition for lands in the default one (and moves when its month is
made), the migration keeps the rows it finds, and Django's state matches the table."""

import io
import json
import uuid
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from gameplay import eventids, partitions
from gameplay.models import LedgerEntry
from pipeline import flush
from pipeline.consistency import consistency_drift
from testkit.actions import focus_session, pending_events
from testkit.personas import T0

pytestmark = pytest.mark.django_db


def partition_of_each_event() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT event_id::text, tableoid::regclass::text FROM gameplay_ledgerentry")
        return dict(cursor.fetchall())


def partitions_made() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
               WHERE i.inhparent = 'gameplay_ledgerentry'::regclass"""
        )
        return {name for (name,) in cursor.fetchall()}


def test_the_flush_makes_this_months_and_next_months_partitions(alice, clock, monkeypatch) -> None:
    later = T0 + timedelta(days=130)  # April 2027: no partition for it or May yet
    monkeypatch.setattr(partitions, "_made_on", None)  # no flush of this process made them
    assert {"gameplay_ledgerentry_y2027m04", "gameplay_ledgerentry_y2027m05"}.isdisjoint(
        partitions_made()
    )
    clock.move_to(later)
    focus_session(alice, start=later)

    flush.flush_pending()  # its first batch of the day makes them, before the ledger insert

    assert {"gameplay_ledgerentry_y2027m04", "gameplay_ledgerentry_y2027m05"} <= partitions_made()
    assert set(partition_of_each_event().values()) == {"gameplay_ledgerentry_y2027m04"}


def test_the_months_ahead_and_the_default_partition(clock) -> None:
    assert partitions.ensure_ledger_partitions(T0) == [
        "gameplay_ledgerentry_y2026m11",
        "gameplay_ledgerentry_y2026m12",
    ]
    assert partitions.months_ahead(T0 + timedelta(days=40))[1].isoformat() == "2027-02-01"
    assert {"gameplay_ledgerentry_y2026m11", "gameplay_ledgerentry_default"} <= partitions_made()


def test_events_of_two_months_land_in_two_partitions(alice, clock) -> None:
    partitions.ensure_ledger_partitions(T0)
    focus_session(alice, start=T0)
    focus_session(alice, start=T0 + timedelta(days=10))  # 3 December

    flush.flush_pending()

    assert sorted(partition_of_each_event().values()) == [
        "gameplay_ledgerentry_y2026m11",
        "gameplay_ledgerentry_y2026m11",
        "gameplay_ledgerentry_y2026m12",
        "gameplay_ledgerentry_y2026m12",
    ]
    # A player's reads span the partitions.
    assert LedgerEntry.objects.filter(player=alice).count() == 4
    assert consistency_drift(now=T0 + timedelta(days=10, hours=1)) == []


@pytest.mark.parametrize("years", [-30, 30])
def test_an_event_of_a_month_without_a_partition_lands_in_the_default_one(
    alice, clock, years
) -> None:
    far = T0 + timedelta(days=365 * years)
    focus_session(alice, start=far)

    flush.flush_pending()

    assert set(partition_of_each_event().values()) == {"gameplay_ledgerentry_default"}
    # Making its month later moves its rows there: nothing lost, nothing twice.
    made = partitions.ensure_ledger_partitions(far)[0]
    assert set(partition_of_each_event().values()) == {made}
    assert LedgerEntry.objects.count() == 2


def test_a_replayed_event_is_refused_by_the_key_whatever_its_partition(alice, clock) -> None:
    focus_session(alice, start=T0)
    events = pending_events()

    first = flush.apply_events(events)
    again = flush.apply_events(events + events)

    assert (first[0], again[0]) == (2, 0)
    assert LedgerEntry.objects.count() == 2


def test_the_ledger_keeps_in_payload_only_what_nothing_else_holds(alice, clock) -> None:
    focus_session(alice, start=T0)
    event = json.loads(pending_events()[0])
    event["id"] = str(eventids.time_ordered_uuid(int(event["ts"]) + 1))
    event["note"] = "a field the contract does not know yet"

    flush.apply_events([json.dumps(event).encode()])

    assert LedgerEntry.objects.get(event_id=event["id"]).payload == {"note": event["note"]}


def test_django_state_matches_the_models() -> None:
    out = io.StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)  # SystemExit if not
    assert "No changes detected" in out.getvalue()


BEFORE = [("gameplay", "0004_discarded_events")]


@pytest.mark.django_db(transaction=True)
def test_the_migration_moves_existing_rows_into_their_months(alice) -> None:
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes("gameplay")
    executor.migrate(BEFORE)
    rows = [
        (uuid.uuid4(), "2025-03-05 10:00+00", "check_in", 10, {"id": "x", "cday": "2025-03-05"}),
        (uuid.uuid4(), "2026-11-23 09:00+00", "session_short", 3, {"badges": [], "extra": 1}),
    ]
    with connection.cursor() as cursor:
        for event_id, at, kind, points, payload in rows:
            cursor.execute(
                """INSERT INTO gameplay_ledgerentry (event_id, kind, points, occurred_at, day,
                       focus_seconds, reason, payload, player_id)
                   VALUES (%s, %s, %s, %s, %s::timestamptz::date, 0, '', %s, %s)""",
                [event_id, kind, points, at, at, json.dumps(payload), alice.pk],
            )
    try:
        MigrationExecutor(connection).migrate(latest)
        kept = LedgerEntry.objects.order_by("occurred_at").values_list(
            "event_id", "kind", "points", "payload"
        )
        assert list(kept) == [
            (rows[0][0], "check_in", 10, None),
            (rows[1][0], "session_short", 3, {"extra": 1}),
        ]
        assert sorted(partition_of_each_event().values()) == [
            "gameplay_ledgerentry_y2025m03",
            "gameplay_ledgerentry_y2026m11",
        ]
    finally:
        MigrationExecutor(connection).migrate(latest)
