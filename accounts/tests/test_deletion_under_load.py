"""A player deleted while their events wait for the flush, while a flusher runs, while their
own requests are still coming, or with a step failing half-way: the flush drops their events
and succeeds, check_consistency passes, and nothing of them remains."""

import io
import json
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import cast

import pytest
from django.core.management import call_command
from django.db import OperationalError, connection
from redis.exceptions import ConnectionError as RedisConnectionError
from rest_framework.test import APIClient

from accounts import deletion as account_deletion
from accounts.models import User
from accounts.services import moderator_make, player_delete
from gameplay import boards, deletion, keys, live, store
from gameplay.models import LedgerEntry
from habits.models import Habit
from moderation.services import player_points_adjust
from pipeline import dead_letters, flush
from pipeline.consistency import consistency_drift
from pipeline.rebuild import live_state_rebuild
from pipeline.tasks import flush_events
from testkit.actions import burst, check_in, focus_session
from testkit.personas import PASSWORD, client_for, make_player
from testkit.traces import Trace, distinct_player, traces_of

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("live_store")]

# Far enough back that a burst's hours and days all lie before this week.
START = datetime.now(UTC) - timedelta(days=400)


@pytest.fixture
def crowd():
    """dora (with an id nothing else comes near) among bob and charlie, each with a habit."""
    dora, trace = distinct_player("dora-deletes-7q", display_name="Dora Q7", email="dq7@x.test")
    players = [dora, make_player("bob"), make_player("charlie")]
    habits = {p.pk: Habit.objects.create(player=p, name="Stretch") for p in players}
    return dora, trace, players, habits


def settled(trace: Trace) -> list[str]:
    """Flush what waits (the feeder fed first), feed, flush again so that the streams are
    trimmed and the boards' tombstones swept; then every trace of the player left."""
    flush.flush_pending(reclaim_idle_seconds=0)
    boards.feed(reclaim_idle_ms=0)
    flush.flush_pending(reclaim_idle_seconds=0)
    return traces_of(trace).found


def waiting_of(player_id: int) -> int:
    """The player's events on their shard's stream."""
    entries = cast(
        list[live.StreamEntry], live.client().xrange(keys.stream(keys.shard_of(player_id)))
    )
    return len([1 for _id, fields in entries if json.loads(fields[b"e"])["player"] == player_id])


def on_global_boards(player_id: int) -> bool:
    return live.client().zscore(keys.BOARD_ALL, player_id) is not None


@pytest.mark.slow
def test_deleted_with_events_waiting_the_next_flush_drops_them_and_succeeds(crowd):
    dora, trace, players, habits = crowd
    made = burst(players, habits, start=START, events=300)
    boards.feed()  # on the global boards...
    for hour in range(20):
        focus_session(dora, start=START + timedelta(days=300, hours=hour))
    assert on_global_boards(dora.pk)
    waiting, dora_events = flush.backlog()["pending"], waiting_of(dora.pk)
    assert waiting == made + 20 * 2
    others = {p.pk: live.player_snapshot(player_id=p.pk).points for p in players[1:]}

    player_delete(player=dora, password=PASSWORD)
    # ...and off them at once; the feeder reading her awards late puts nobody back.
    assert not on_global_boards(dora.pk)
    boards.feed()
    assert not on_global_boards(dora.pk)
    report = flush.flush_pending(reclaim_idle_seconds=0)

    assert (report.events, report.dropped) == (waiting - dora_events, dora_events)
    assert dead_letters.listed() == []
    assert consistency_drift() == []
    assert settled(trace) == []
    assert {p.pk: User.objects.get(pk=p.pk).points for p in players[1:]} == others
    assert not LedgerEntry.objects.filter(player_id=dora.pk).exists()


def test_a_rebuild_after_a_deletion_brings_nothing_of_the_player_back(crowd):
    dora, trace, players, habits = crowd
    burst(players, habits, start=START, events=120)
    flush.flush_pending()
    burst(players, habits, start=START + timedelta(days=100), events=60)
    player_delete(player=dora, password=PASSWORD)

    live_state_rebuild()

    assert consistency_drift() == []
    assert settled(trace) == []
    assert not on_global_boards(dora.pk)


def test_flush_counters_says_how_many_events_of_deleted_players_it_dropped(crowd):
    dora, _trace, _players, _habits = crowd
    focus_session(dora, start=START)
    player_delete(player=dora, password=PASSWORD)
    out = io.StringIO()

    call_command("flush_counters", stdout=out)

    assert out.getvalue().splitlines() == [
        "Flushed 0 events for 0 players.",
        "Dropped 2 events of deleted players.",
    ]


@pytest.mark.slow
def test_with_a_flusher_running_and_her_requests_still_coming_nothing_of_her_remains(crowd):
    dora, trace, players, habits = crowd
    stop, refused, errors, reports = threading.Event(), [], [], []

    def flusher() -> None:
        try:
            while not stop.is_set():
                reports.append(flush.flush_pending(max_seconds=1))
        except Exception as exc:  # the test fails on it below
            errors.append(exc)
        finally:
            connection.close()

    def her_requests() -> None:
        # Actions of requests that authenticated before the deletion, still arriving.
        moment = START + timedelta(days=300)
        while not stop.is_set():
            moment += timedelta(hours=1)
            try:
                focus_session(dora, start=moment, planned=5)
                check_in(dora, habits[dora.pk], now=moment)
            except store.PlayerDeleted:
                refused.append(moment)
            time.sleep(0.002)

    threads = [threading.Thread(target=flusher), threading.Thread(target=her_requests)]
    for thread in threads:
        thread.start()
    try:
        burst(players, habits, start=START, events=600)
        player_delete(player=dora, password=PASSWORD)
        time.sleep(0.5)
        burst(players[1:], habits, start=START + timedelta(days=250), events=100)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)

    assert errors == []
    assert refused  # her requests after the purge recorded nothing
    assert sum(report.events for report in reports) > 0  # the flusher wrote meanwhile
    assert settled(trace) == []
    assert flush.backlog()["pending"] == 0
    assert dead_letters.listed() == []
    assert consistency_drift() == []
    assert not User.objects.filter(pk=dora.pk).exists()


def test_a_deletion_stopped_half_way_is_finished_by_the_beat_task(crowd, monkeypatch):
    dora, trace, players, habits = crowd
    burst(players, habits, start=START, events=60)
    flush.flush_pending()
    boards.feed()
    real_forget = deletion.boards_forget

    def redis_down(**kwargs):
        raise RedisConnectionError("the live store went away")

    monkeypatch.setattr(deletion, "boards_forget", redis_down)
    player_delete(player=dora, password=PASSWORD)

    # Closed: no credential of hers works, and she cannot log in again...
    assert client_for(dora).get("/api/me").status_code == 401
    login = {"username": dora.username, "password": PASSWORD}
    assert APIClient().post("/api/auth/token", login, format="json").status_code == 400
    # ...but the global boards and her rows wait for the rest.
    assert on_global_boards(dora.pk)
    assert User.objects.filter(pk=dora.pk, deletion_requested_at__isnull=False).exists()

    monkeypatch.setattr(deletion, "boards_forget", real_forget)
    flush_events()  # the flush's beat task

    assert not on_global_boards(dora.pk)
    assert settled(trace) == []
    assert consistency_drift() == []


def test_postgres_failing_at_the_rows_leaves_a_closed_account_that_is_finished_later(
    crowd, monkeypatch
):
    dora, trace, players, habits = crowd
    burst(players, habits, start=START, events=60)

    def postgres_down(player_id):
        raise OperationalError("PostgreSQL went away")

    monkeypatch.setattr(account_deletion, "_rows_delete", postgres_down)
    player_delete(player=dora, password=PASSWORD)
    assert client_for(dora).get("/api/me").status_code == 401
    assert not on_global_boards(dora.pk)  # the live store's part is done

    monkeypatch.undo()
    assert account_deletion.deletions_resume() == 1

    assert settled(trace) == []
    assert consistency_drift() == []


def test_a_moderator_deleting_their_account_leaves_their_adjustment_signed_by_nobody(crowd):
    _dora, _trace, players, _habits = crowd
    bob = players[1]
    mo = moderator_make(player=make_player("mo"))
    player_points_adjust(moderator=mo, player=bob, points=42, reason="found bug", now=START)

    player_delete(player=mo, password=PASSWORD)
    flush.flush_pending(reclaim_idle_seconds=0)

    adjustment = LedgerEntry.objects.get(player=bob, kind=LedgerEntry.Kind.ADJUSTMENT)
    assert (adjustment.points, adjustment.reason, adjustment.moderator_id) == (
        42,
        "found bug",
        None,
    )
    assert User.objects.get(pk=bob.pk).points == 42
    assert dead_letters.listed() == []
    assert consistency_drift() == []
