"""A flush's claim on its shards: the shards a batch should fill it with are locked in one
statement and unlocked in one, those that gave the batch nothing are given back before it
is written, and a shard another flusher holds is left to it."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from gameplay import boards, shardlock
from gameplay.models import LedgerEntry
from habits.models import Habit
from pipeline import claims, flush
from pipeline.tests.test_shard_flush import OtherFlusher
from testkit.actions import burst
from testkit.personas import make_player

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("live_store")]

START = datetime.now(UTC) - timedelta(days=90)

# The shards this backend held while each batch was written (note_held_shards, a
# projection the tests add).
HELD_DURING_BATCHES: list[list[int]] = []


def held_shards() -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT objid::integer FROM pg_locks
               WHERE locktype = 'advisory' AND classid = %s AND objsubid = 2
                 AND pid = pg_backend_pid() AND granted
               ORDER BY 1""",
            [shardlock.SHARD_LOCK_CLASS],
        )
        return [row[0] for row in cursor.fetchall()]


def note_held_shards(cursor, batch: str) -> None:
    HELD_DURING_BATCHES.append(held_shards())


@pytest.fixture
def four_shards(settings):
    """Eight players over four shards (two each: their ids are consecutive) and the events
    they made: 50 a player (17 sessions of two events, 16 check-ins), 100 a shard."""
    settings.LIVE_SHARDS = 4
    players = [make_player(f"p{i}") for i in range(8)]
    habits = {p.pk: Habit.objects.create(player=p, name="h") for p in players}
    made = burst(players, habits, start=START, events=400)
    assert boards.stream_lengths() == {0: 100, 1: 100, 2: 100, 3: 100}
    return players, made


@pytest.fixture
def noted(settings):
    HELD_DURING_BATCHES.clear()
    settings.FLUSH_PROJECTIONS = [*settings.FLUSH_PROJECTIONS, f"{__name__}.note_held_shards"]
    return HELD_DURING_BATCHES


def lock_statements(run) -> list[str]:
    sent: list[str] = []

    def note(execute, sql, params, many, context):
        if "pg_try_advisory_lock(" in sql:
            sent.append("take")
        elif "pg_advisory_unlock(" in sql:
            sent.append("release")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(note):
        run()
    return sent


def test_a_batch_over_four_shards_locks_them_in_one_statement_and_unlocks_in_one(
    four_shards, noted
):
    _players, made = four_shards
    report = None

    def run():
        nonlocal report
        report = flush.flush_pending(reclaim_idle_seconds=0)

    assert lock_statements(run) == ["take", "release"]
    assert report.batches == 1 and report.events == made == LedgerEntry.objects.count()
    assert noted == [[0, 1, 2, 3]]  # all four held while the batch was written
    assert held_shards() == []  # and none after


def test_shards_that_give_a_full_batch_nothing_are_given_back_before_it_is_written(
    four_shards, noted
):
    _players, made = four_shards
    # 100 entries a shard, batches of 150: each batch is full (but the last) from two
    # shards at most, one whole and half of another, or the halves left of two.
    report = flush.flush_pending(reclaim_idle_seconds=0, batch_size=150)

    assert report.events == made == LedgerEntry.objects.count()
    assert report.batches == 3
    for held in noted:  # never more than the two shards a batch of 150 can span
        assert 1 <= len(held) <= 2, noted
    # Every shard was held for at least one batch, and each batch's shards are its own.
    assert {shard for held in noted for shard in held} == {0, 1, 2, 3}
    assert held_shards() == []


def test_a_claim_takes_the_free_shards_in_the_order_asked_and_leaves_a_held_one():
    other = OtherFlusher(2)
    other.start()
    assert other.holding.wait(10)
    try:
        with claims.claimed() as claim:
            assert claim.take([3, 2, 0]) == [3, 0]
            assert claim.take([1]) == [1]
            assert held_shards() == [0, 1, 3]
            claim.release([0, 2])  # 2 is not this claim's: left to the other flusher
            assert held_shards() == [1, 3]
        assert held_shards() == []
    finally:
        other.release.set()
        other.join(10)
