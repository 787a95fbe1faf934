"""The flush shard by shard: a shard another flusher holds is skipped, flushers running at
once write different shards, and every event reaches PostgreSQL once."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from gameplay import keys
from gameplay.models import LedgerEntry
from habits.models import Habit
from leaderboard.models import CommunityDay
from pipeline import flush
from pipeline.consistency import consistency_drift
from testkit.actions import burst
from testkit.personas import make_player

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("live_store")]

# Far enough back that the burst's days (it checks in over weeks) are all in the past.
START = datetime.now(UTC) - timedelta(days=90)


@pytest.fixture
def spread(settings):
    """Eight players over four shards (two each: their ids are consecutive) and the
    events they made."""
    settings.LIVE_SHARDS = 4
    players = [make_player(f"p{i}") for i in range(8)]
    habits = {p.pk: Habit.objects.create(player=p, name="h") for p in players}
    made = burst(players, habits, start=START, events=400)
    assert len({keys.shard_of(p.pk) for p in players}) == 4
    return players, made


class OtherFlusher(threading.Thread):
    """Another flusher's hold on a shard: its advisory lock, on its own connection, until
    `release` is set."""

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


def test_a_shard_another_flusher_holds_is_skipped_and_flushed_once_it_is_free(spread):
    players, made = spread
    held_shard = keys.shard_of(players[0].pk)
    other = OtherFlusher(held_shard)
    other.start()
    assert other.holding.wait(10)

    first = flush.flush_pending(reclaim_idle_seconds=0)
    other.release.set()
    other.join(10)

    assert first.skipped == [held_shard]
    assert sorted(first.shards) == sorted(set(range(4)) - {held_shard})
    in_held = sum(
        1
        for e in LedgerEntry.objects.values_list("player_id", flat=True)
        if keys.shard_of(e) == held_shard
    )
    assert in_held == 0
    assert flush.backlog()["pending"] > 0  # the held shard's events wait

    second = flush.flush_pending(reclaim_idle_seconds=0)

    assert (second.shards, second.skipped) == ([held_shard], [])
    assert first.events + second.events == made == LedgerEntry.objects.count()
    assert flush.backlog()["pending"] == 0
    assert consistency_drift() == []


def test_two_flushers_at_once_write_every_event_once(spread):
    _players, made = spread
    start = threading.Barrier(2)
    reports: list[flush.FlushReport] = []
    errors: list[BaseException] = []

    def flusher() -> None:
        try:
            start.wait(10)
            reports.append(flush.flush_pending(reclaim_idle_seconds=0, batch_size=20))
        except BaseException as error:  # re-raised below, in the test's thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=flusher) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    # Both wrote events: they ran at once (one after the other, the second finds nothing).
    assert len(reports) == 2 and all(report.events > 0 for report in reports)
    assert sum(report.events for report in reports) == made == LedgerEntry.objects.count()
    # Every shard was flushed by one of them; a shard one held, the other skipped.
    assert {s for report in reports for s in report.shards} == set(range(4))
    assert flush.backlog()["pending"] == 0
    # The community day is a row per (day, shard), so the two never wrote the same row.
    assert set(CommunityDay.objects.values_list("shard", flat=True)) == {0, 1, 2, 3}
    assert consistency_drift() == []
