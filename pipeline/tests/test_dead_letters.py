"""An event PostgreSQL refuses cannot jam its batch: the flush isolates it as a dead
letter, every other event commits exactly once, and an operator retries or discards it."""

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from gameplay import keys, live
from gameplay.models import DiscardedEvent, LedgerEntry
from gameplay.tests.servers import manage
from habits.models import Habit
from pipeline import dead_letters, flush
from pipeline.consistency import consistency_drift
from testkit.actions import burst, check_in, focus_session
from testkit.personas import make_player

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("live_store")]

START = datetime.now(UTC) - timedelta(days=150)


@pytest.fixture
def poisoned():
    """1,000 good events and, in the middle of them, a check-in of a habit whose row was
    deleted behind the app's back while it waited (its check-in row would name a habit that
    is gone). A deleted player's events are not refused: the flush drops them
    (accounts/tests/test_deletion_under_load.py)."""
    players = [make_player(f"player{i}") for i in range(10)]
    habits = {p.pk: Habit.objects.create(player=p, name="Stretch") for p in players}
    made = burst(players, habits, start=START, events=500)
    ghost = make_player("ghost")
    ghost_habit = Habit.objects.create(player=ghost, name="Haunt")
    check_in(ghost, ghost_habit, now=START)
    # Far enough on that no check-in repeats a day of the first burst.
    made += burst(players, habits, start=START + timedelta(days=75), events=1000 - made)
    assert flush.backlog()["pending"] == made + 1
    ghost_ids = (ghost.pk, ghost_habit.pk)
    Habit.objects.filter(pk=ghost_habit.pk).delete()
    return players, made, ghost_ids


@pytest.mark.slow
def test_one_refused_event_among_1000_is_a_dead_letter_and_the_999_others_commit(poisoned, client):
    players, made, _ghost = poisoned
    assert made == 1000

    report = flush.flush_pending(reclaim_idle_seconds=0)

    assert report.events == 1000
    assert LedgerEntry.objects.count() == 1000
    assert flush.backlog()["pending"] == 0
    letters = dead_letters.listed()
    assert len(letters) == 1
    assert "foreign key" in letters[0]["error"]
    assert all(
        User.objects.get(pk=p.pk).points == live.player_snapshot(player_id=p.pk).points
        for p in players
    )
    # Nothing more on a second flush: the 1,000 are in exactly once.
    assert flush.flush_pending(reclaim_idle_seconds=0).events == 0
    health = client.get("/healthz")
    assert health.status_code == 503
    assert health.json()["dead_letters"] == 1
    assert health.json()["problems"] == [
        "1 events PostgreSQL refused wait as dead letters (manage.py dead_letters)"
    ]
    check = manage("check_consistency")
    assert check.returncode == 1
    assert "1 events PostgreSQL refused are not in it" in check.stdout


@pytest.mark.parametrize(
    "field, value, error",
    [
        # Refused as the batch's rows are made (pipeline/batch.py).
        ("points", "ten", "'ten' is not an integer"),
        # Refused by PostgreSQL in the COPY: the driver's error, made Django's.
        ("reason", "a\x00b", 'invalid byte sequence for encoding "UTF8": 0x00'),
    ],
)
def test_an_event_holding_a_value_its_column_cannot_take_is_a_dead_letter(field, value, error):
    """It does not jam its shard: the flush isolates it, and the others commit."""
    alice = make_player("alice")
    focus_session(alice, start=START)  # 2 events, 35 points
    stream = keys.stream(keys.shard_of(alice.pk))
    _id, fields = live.client().xrange(stream)[-1]
    garbled = {**json.loads(fields[b"e"]), "id": str(uuid.uuid4()), field: value}
    live.client().xadd(stream, {"e": json.dumps(garbled)})

    report = flush.flush_pending(reclaim_idle_seconds=0)

    assert report.events == 2
    assert User.objects.get(pk=alice.pk).points == 35
    letters = dead_letters.listed()
    assert len(letters) == 1
    assert error in letters[0]["error"]
    assert flush.backlog()["pending"] == 0


@pytest.mark.slow
def test_a_batch_without_refusals_pays_for_no_isolation(poisoned):
    flush.flush_pending(reclaim_idle_seconds=0)  # sets the refused one aside
    players, _made, _ghost = poisoned
    burst(players, {p.pk: Habit.objects.get(player=p) for p in players}, start=START, events=200)

    with CaptureQueriesContext(connection) as clean:
        report = flush.flush_pending(reclaim_idle_seconds=0)

    # One transaction a shard flushed (its players' events are one batch): the table,
    # COPY, the ledger, the count, the projections.
    assert len(report.shards) == len({keys.shard_of(p.pk) for p in players})
    assert len([q for q in clean.captured_queries if "fq_events" in q["sql"]]) <= 12 * len(
        report.shards
    )


@pytest.mark.slow
def test_a_retried_dead_letter_flushes_once_after_its_cause_is_fixed(poisoned, client):
    _players, _made, (ghost_id, ghost_habit_id) = poisoned
    flush.flush_pending(reclaim_idle_seconds=0)
    # The cause fixed: the habit exists again.
    Habit.objects.create(id=ghost_habit_id, player_id=ghost_id, name="Haunt")

    call_command("dead_letters", "retry", "--all")
    flush.flush_pending(reclaim_idle_seconds=0)
    call_command("dead_letters", "retry", "--all")  # nothing left to retry twice
    flush.flush_pending(reclaim_idle_seconds=0)

    assert LedgerEntry.objects.count() == 1001
    assert LedgerEntry.objects.filter(player_id=ghost_id).count() == 1
    assert User.objects.get(pk=ghost_id).points == 10
    assert dead_letters.listed() == []
    assert consistency_drift() == []
    assert client.get("/healthz").status_code == 200


@pytest.mark.slow
def test_a_discarded_dead_letter_is_recorded_with_its_reason(poisoned):
    flush.flush_pending(reclaim_idle_seconds=0)
    letter = dead_letters.listed()[0]

    call_command("dead_letters", "discard", letter["id"], "--reason", "habit deleted")

    assert dead_letters.listed() == []
    discarded = DiscardedEvent.objects.get()
    assert (discarded.reason, discarded.error) == ("habit deleted", letter["error"])
    assert discarded.payload["type"] == "check_in"
    assert str(discarded.event_id) == discarded.payload["id"]
