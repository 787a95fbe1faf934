"""The flush writes what the live store recorded, once, with a constant number of
statements per batch."""

import json
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test import override_settings

from gameplay import boards, keys, live, partitions
from gameplay.models import Badge, LedgerEntry
from habits.models import CheckIn, Habit
from leaderboard.models import CommunityActivity, CommunityDay
from pipeline import flush, ledger
from pipeline.consistency import consistency_drift
from sessions_app.models import FocusSession
from testkit.actions import burst, check_in, focus_session
from testkit.personas import T0, make_player

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("live_store")]


def alice_stream(alice) -> str:
    return keys.stream(keys.shard_of(alice.pk))


def test_a_flush_writes_the_ledger_and_every_projection(alice, bob, clock):
    habit = Habit.objects.create(player=alice, name="Read")
    focus_session(alice, start=T0, planned=25)  # 35 points, first_focus
    focus_session(bob, start=T0, planned=50, focused=1830)  # 30 points, first_focus
    check_in(alice, habit, now=T0)  # 10
    check_in(alice, habit, now=T0 + timedelta(days=1))  # 12

    report = flush.flush_pending()

    assert (report.events, report.players) == (6, 2)
    assert LedgerEntry.objects.count() == 6
    alice.refresh_from_db()
    bob.refresh_from_db()
    assert (alice.points, alice.completed_sessions) == (57, 1)
    assert (bob.points, bob.completed_sessions) == (30, 1)
    assert sorted(
        FocusSession.objects.values_list("status", "focused_seconds", "points_awarded")
    ) == [
        ("completed", 1500, 35),
        ("completed", 1830, 30),
    ]
    assert list(CheckIn.objects.values_list("day", "points_awarded", "streak")) == [
        (T0.date(), 10, 1),
        (T0.date() + timedelta(days=1), 12, 2),
    ]
    habit.refresh_from_db()
    assert (habit.check_in_count, habit.longest_streak) == (2, 2)
    assert sorted(Badge.objects.values_list("player__username", "code")) == [
        ("alice", "first_focus"),
        ("bob", "first_focus"),
    ]
    today = CommunityDay.objects.totals(T0.date())
    assert (today["focus_minutes"], today["sessions"], today["active_players"]) == (25 + 30, 2, 2)
    assert CommunityActivity.objects.count() == 3  # alice and bob on T0, alice on T0+1
    assert flush.backlog()["pending"] == 0
    assert consistency_drift(now=T0 + timedelta(days=1)) == []


def test_a_session_started_and_finished_in_different_flushes_is_one_row(alice, clock):
    actor = alice.actor
    session_id = "0c6c5b0a-7f4e-4a36-9a55-2a1c7a0f0e01"
    live.session_start(
        actor=actor, session_id=session_id, planned_minutes=25, habit_id=None, now=T0
    )
    flush.flush_pending()
    assert FocusSession.objects.get().status == "running"

    live.session_finish(
        actor=actor,
        session_id=session_id,
        action="complete",
        focused_seconds=1500,
        now=T0 + timedelta(minutes=25),
    )
    flush.flush_pending()

    session = FocusSession.objects.get()
    assert (session.status, session.focused_seconds, session.points_awarded) == (
        "completed",
        1500,
        35,
    )


def test_a_session_keeps_its_habit_unless_the_habit_is_gone_before_the_flush(alice, clock):
    kept = Habit.objects.create(player=alice, name="Read")
    gone = Habit.objects.create(player=alice, name="Run")
    for n, habit in enumerate((kept, gone, None)):
        moment = T0 + timedelta(hours=n)
        session_id = f"0c6c5b0a-7f4e-4a36-9a55-2a1c7a0f0e1{n}"
        live.session_start(
            actor=alice.actor,
            session_id=session_id,
            planned_minutes=25,
            habit_id=habit.pk if habit else None,
            now=moment,
        )
        live.session_finish(
            actor=alice.actor,
            session_id=session_id,
            action="complete",
            focused_seconds=1500,
            now=moment + timedelta(minutes=25),
        )
    gone.delete()

    flush.flush_pending()

    assert list(FocusSession.objects.order_by("started_at").values_list("habit_id", "status")) == [
        (kept.pk, "completed"),
        (None, "completed"),
        (None, "completed"),
    ]


def ledger_inserts(callable_):
    """The ledger inserts `callable_` sent, "unseen" (plain) or "skipping" (ON CONFLICT),
    and what it returned."""
    sent = []

    def record(execute, sql, params, many, context):
        if sql == ledger.INSERT_UNSEEN:
            sent.append("unseen")
        elif sql == ledger.INSERT:
            sent.append("skipping")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        result = callable_()
    return sent, result


def test_a_batch_the_ledger_has_none_of_is_inserted_without_a_conflict_check(alice, clock):
    focus_session(alice, start=T0)

    sent, _report = ledger_inserts(flush.flush_pending)

    assert sent == ["unseen"]
    assert LedgerEntry.objects.count() == 2


def test_a_batch_holding_events_the_ledger_has_is_written_again_past_them(alice, bob, clock):
    focus_session(alice, start=T0)  # 35 points
    # The flusher that wrote alice's events died before acknowledging them: they are in
    # the ledger and still pending on the stream.
    seen = [flush._decode(fields) for _, fields in live.client().xrange(alice_stream(alice))]
    with transaction.atomic():
        flush.apply_events(seen)
    focus_session(bob, start=T0, planned=50, focused=1830)  # 30 points, the same batch

    sent, report = ledger_inserts(flush.flush_pending)

    assert sent == ["unseen", "skipping"]
    assert (report.events, report.batches) == (2, 1)
    alice.refresh_from_db()
    bob.refresh_from_db()
    assert (alice.points, alice.completed_sessions) == (35, 1)
    assert (bob.points, bob.completed_sessions) == (30, 1)
    assert LedgerEntry.objects.count() == 4
    assert FocusSession.objects.count() == 2
    assert flush.backlog()["pending"] == 0
    assert consistency_drift(now=T0) == []


def test_replaying_a_flushed_batch_changes_nothing(alice, clock):
    focus_session(alice, start=T0)
    events = [flush._decode(fields) for _, fields in live.client().xrange(alice_stream(alice))]
    flush.flush_pending()

    with connection.cursor():
        new_events, players = flush.apply_events(events)

    assert (new_events, players) == (0, [])
    alice.refresh_from_db()
    assert alice.points == 35
    assert LedgerEntry.objects.count() == 2
    assert CommunityDay.objects.totals(T0.date())["sessions"] == 1


def test_an_event_twice_in_one_batch_is_written_once(alice, clock):
    focus_session(alice, start=T0)
    started, completed = [
        flush._decode(fields) for _, fields in live.client().xrange(alice_stream(alice))
    ]

    new_events, players = flush.apply_events([started, completed, completed, started])

    assert (new_events, players) == (2, [alice.pk])
    alice.refresh_from_db()
    assert (alice.points, alice.completed_sessions) == (35, 1)
    assert LedgerEntry.objects.count() == 2
    assert FocusSession.objects.get().status == "completed"
    assert CommunityDay.objects.totals(T0.date())["sessions"] == 1


def test_the_ledger_keeps_each_event_as_the_live_store_wrote_it(alice, clock):
    focus_session(alice, start=T0)
    written = {
        event["id"]: event
        for event in (
            json.loads(fields[b"e"]) for _, fields in live.client().xrange(alice_stream(alice))
        )
    }

    flush.flush_pending()

    entries = LedgerEntry.objects.order_by("occurred_at")
    assert [entry.kind for entry in entries] == ["session_started", "session_completed"]
    for entry in entries:
        event = written[str(entry.event_id)]
        assert live.micros(entry.occurred_at) == int(event["ts"])
        assert entry.day.isoformat() == event["day"]
        assert entry.points == event["points"]
        assert entry.focus_seconds == event.get("focus_seconds", 0)
        # Everything else the event says is held elsewhere (batch.LEDGER_ELIDED): the
        # session's row, the badge's row, gameplay.rules for the days.
        assert entry.payload is None
    assert Badge.objects.get().event_id == entries[1].event_id
    assert FocusSession.objects.get().started_at == entries[0].occurred_at
    assert FocusSession.objects.get().ended_at == entries[1].occurred_at


def count_statements(callable_):
    statements = []

    def record(execute, sql, params, many, context):
        verb = sql.split()[0].upper()
        # The test's own transaction turns the flush's BEGIN/COMMIT into savepoints.
        if verb not in ("SAVEPOINT", "RELEASE"):
            statements.append(verb)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        callable_()
    return statements


@pytest.mark.slow
@pytest.mark.parametrize("events", [100, 10_000])
def test_a_flush_batch_sends_the_same_statements_for_100_or_10000_events(clock, events, settings):
    # One shard, so that every event is in the one batch measured.
    settings.LIVE_SHARDS = 1
    players = [make_player(f"p{i}") for i in range(50)]
    habits = {p.pk: Habit.objects.create(player=p, name="h") for p in players}
    made = burst(players, habits, start=T0, events=events)
    assert flush.backlog()["pending"] == made

    boards.ensure_groups([0])
    # Partitions are made once per process per day, not per batch: before counting.
    partitions.ensure_ledger_partitions_daily(T0)
    statements = count_statements(
        lambda: flush.flush_batch(shard=0, consumer="t", count=20_000, reclaim_idle_ms=0)
    )

    # 1 CREATE TEMPORARY TABLE IF NOT EXISTS, 1 DELETE of leftovers, (the COPY is one
    # more, on the raw cursor), 1 drop of deleted players' events, 1 ledger insert (plain:
    # the ledger has none of the events), 1
    # count, 7 projection statements (the habits' two: check-ins, frozen days). The shard's
    # advisory lock is taken once per shard, around its batches (flush_pending).
    assert statements == [
        "CREATE",
        "DELETE",
        "WITH",
        "INSERT",
        "SELECT",
        "UPDATE",
        "INSERT",
        "WITH",
        "WITH",
        "WITH",
        "INSERT",
        "WITH",
    ]
    assert LedgerEntry.objects.count() == made


@override_settings(WRITE_MODE="direct")
def test_direct_mode_writes_each_event_in_its_request_and_leaves_nothing_pending(
    as_alice, alice, clock
):
    session_id = as_alice.post("/api/sessions", {"planned_minutes": 25}, format="json").json()["id"]
    clock.shift(timedelta(minutes=25))
    as_alice.post(f"/api/sessions/{session_id}/complete", {"focused_seconds": 1500})

    alice.refresh_from_db()
    assert alice.points == 35
    assert list(FocusSession.objects.values_list("status", flat=True)) == ["completed"]
    assert flush.backlog()["pending"] == 0
    assert flush.flush_pending().events == 0
    assert consistency_drift(now=T0 + timedelta(minutes=25)) == []


def test_consumers_stay_bounded_however_many_flushes_run(alice, settings):
    settings.FLUSH_RECLAIM_IDLE_SECONDS = 0
    habit = Habit.objects.create(player=alice, name="Tea")
    boards.ensure_groups([keys.shard_of(alice.pk)])
    # What an exited worker leaves behind: a consumer with nothing pending.
    live.client().xgroup_createconsumer(alice_stream(alice), keys.FLUSH_GROUP, "gone-1234")
    for day in range(4):
        check_in(alice, habit, now=T0 + timedelta(days=day))
        assert flush.flush_pending().events == 1

    consumers = live.client().xinfo_consumers(alice_stream(alice), keys.FLUSH_GROUP)
    # Reclaiming after 0 s, each flush forgets every consumer with nothing pending, its own
    # included: none is left, however many ran.
    assert [c["name"].decode() for c in consumers] == []
