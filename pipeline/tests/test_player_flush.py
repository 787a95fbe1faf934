"""Flushing one player's shard in a request (pipeline.player_flush): everything the player
was answered reaches PostgreSQL, a flusher holding the shard is waited for, a dead
flusher's pending batch is taken over at once, and other shards are left to the beat."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from gameplay import boards, keys, live
from gameplay.models import LedgerEntry
from habits.models import Habit
from pipeline import flush
from pipeline.consistency import consistency_drift
from pipeline.player_flush import ShardBusy, flush_player
from testkit.actions import check_in, focus_session
from testkit.personas import make_player

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("live_store")]

START = datetime.now(UTC) - timedelta(days=30)


@pytest.fixture
def two_shards(settings):
    """alice and bob in shards of their own (consecutive ids over 4 shards), each with a
    few actions answered and not flushed."""
    settings.LIVE_SHARDS = 4
    alice, bob = make_player("alice"), make_player("bob")
    assert keys.shard_of(alice.pk) != keys.shard_of(bob.pk)
    for player in (alice, bob):
        habit = Habit.objects.create(player=player, name="Read")
        for day in range(3):
            check_in(player, habit, now=START + timedelta(days=day))
        focus_session(player, start=START + timedelta(days=3))
    return alice, bob


def events_of(player) -> int:
    return LedgerEntry.objects.filter(player=player).count()


class OtherFlusher(threading.Thread):
    """Another flusher's hold on a shard (its advisory lock, on a connection of its own)
    until `release` is set."""

    def __init__(self, shard: int) -> None:
        super().__init__(daemon=True)
        self.shard = shard
        self.holding = threading.Event()
        self.release = threading.Event()

    def run(self) -> None:
        try:
            with flush.shard_claimed(self.shard) as held:
                assert held
                self.holding.set()
                self.release.wait(30)
        finally:
            connection.close()


def test_every_answered_action_of_the_player_is_written_and_other_shards_wait(two_shards):
    alice, bob = two_shards

    written = flush_player(alice.pk)

    assert written == events_of(alice) == 5  # three check-ins, a session's start and end
    assert events_of(bob) == 0  # bob's shard is the beat's to flush
    flush.flush_pending()
    assert consistency_drift() == []


def test_a_shard_with_an_empty_stream_costs_no_lock(two_shards):
    alice, _bob = two_shards
    flush_player(alice.pk)
    flush.flush_pending()  # and trims the streams

    assert flush_player(alice.pk) == 0


def test_a_flusher_holding_the_shard_is_waited_for(two_shards):
    alice, _bob = two_shards
    other = OtherFlusher(keys.shard_of(alice.pk))
    other.start()
    assert other.holding.wait(10)
    threading.Timer(0.3, other.release.set).start()

    written = flush_player(alice.pk, wait_seconds=10)

    other.join(10)
    assert written == events_of(alice) == 5


def test_a_flusher_holding_the_shard_too_long_is_shard_busy_and_nothing_is_lost(two_shards):
    alice, _bob = two_shards
    other = OtherFlusher(keys.shard_of(alice.pk))
    other.start()
    assert other.holding.wait(10)
    try:
        with pytest.raises(ShardBusy):
            flush_player(alice.pk, wait_seconds=0.2)
    finally:
        other.release.set()
        other.join(10)

    assert events_of(alice) == 0
    assert flush_player(alice.pk) == 5


def test_a_dead_flushers_pending_batch_is_taken_over_at_once(two_shards):
    alice, _bob = two_shards
    stream = keys.stream(keys.shard_of(alice.pk))
    boards.ensure_groups([keys.shard_of(alice.pk)])
    # A flusher read the batch and died before its COMMIT: the entries are pending for it.
    live.client().xreadgroup(keys.FLUSH_GROUP, "dead-flusher", {stream: ">"}, count=100)

    assert flush_player(alice.pk) == 5
    assert not live.client().xpending_range(stream, keys.FLUSH_GROUP, min="-", max="+", count=10)
