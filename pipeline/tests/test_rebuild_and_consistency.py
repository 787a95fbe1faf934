"""rebuild_redis restores every live value PostgreSQL holds; check_consistency finds drift."""

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command

from gameplay import boards, keys, live
from habits.models import Habit
from habits.services import habit_states
from pipeline import flush
from pipeline.consistency import consistency_drift
from pipeline.rebuild import live_state_rebuild
from testkit.actions import check_in, focus_session
from testkit.personas import T0, client_for

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("live_store")]


def everything_live(players, habits):
    snapshots = {
        p.pk: live.player_snapshot(player_id=p.pk, now=T0 + timedelta(days=2)) for p in players
    }
    tops = {
        board: live.leaderboard_top(board=board, limit=100, now=T0 + timedelta(days=2))[0]
        for board in ("all", "week")
    }
    streaks = {
        p.pk: habit_states(player=p, habits=habits[p.pk], now=T0 + timedelta(days=2))
        for p in players
    }
    community = [live.community_today(now=T0 + timedelta(days=d)) for d in (0, 1, 2)]
    return snapshots, tops, streaks, community


def test_rebuild_after_redis_lost_its_data_restores_every_live_value(alice, bob, charlie, clock):
    habits = {
        p.pk: [Habit.objects.create(player=p, name=f"h{p.pk}")] for p in (alice, bob, charlie)
    }
    for day in range(3):
        for player in (alice, bob):
            check_in(player, habits[player.pk][0], now=T0 + timedelta(days=day))
    focus_session(alice, start=T0, planned=120, focused=5400)  # deep_work
    focus_session(charlie, start=T0 + timedelta(days=1), planned=25)
    live.adjust(actor=bob.actor, points=-5, moderator_id=charlie.pk, reason="typo", now=T0)
    boards.player_visibility_set(player_id=charlie.pk, hidden=True, now=T0)
    charlie.hidden_from_leaderboards = True
    charlie.save()
    flush.flush_pending()
    before = everything_live([alice, bob, charlie], habits)

    live.client().flushdb()  # this database only: others may hold another run
    assert live.player_snapshot(player_id=alice.pk).points == 0
    report = live_state_rebuild(now=T0 + timedelta(days=2))

    assert report.players == 3
    assert everything_live([alice, bob, charlie], habits) == before
    assert before[0][alice.pk].points == 90 + 10 + 12 + 14
    assert [code for code, _ in before[0][alice.pk].badges] == ["first_focus", "deep_work"]
    assert consistency_drift(now=T0 + timedelta(days=2)) == []


def test_rebuild_restores_a_running_session_so_it_can_still_be_completed(alice, clock):
    session_id = (
        client_for(alice).post("/api/sessions", {"planned_minutes": 25}, format="json").json()["id"]
    )
    flush.flush_pending()
    live.client().flushdb()  # this database only: others may hold another run

    live_state_rebuild(now=T0)
    clock.shift(timedelta(minutes=25))
    response = client_for(alice).post(
        f"/api/sessions/{session_id}/complete", {"focused_seconds": 1500}
    )

    assert response.json()["points_awarded"] == 35


def test_check_consistency_prints_drift_and_fails(alice, clock, capsys):
    focus_session(alice, start=T0)
    call_command("check_consistency")
    assert "Consistent" in capsys.readouterr().out

    live.client().hincrby(keys.player(alice.pk), "points", 7)

    with pytest.raises(CommandError, match="differences between PostgreSQL and Redis"):
        call_command("check_consistency")
    out = capsys.readouterr().out
    assert f"player {alice.pk}: points (postgres, ledger, redis) = (35, 35, 42)" in out


def test_rebuild_gives_back_every_streak_freeze_and_frozen_day(alice, clock):
    walk = Habit.objects.create(player=alice, name="Walk")
    for n in range(7):  # a 7-day streak earns a freeze
        check_in(alice, walk, now=T0 + timedelta(days=n))
    ninth = T0 + timedelta(days=8)
    live.settle(actor=alice.actor, now=ninth)  # the eighth day ended unchecked: it is spent
    flush.flush_pending()
    before = habit_states(player=alice, habits=[walk], now=ninth)[walk.pk]
    assert (before.current_streak, before.longest_streak) == (7, 7)
    assert before.frozen_days == {alice.actor.day(T0 + timedelta(days=7))}
    assert live.settle(actor=alice.actor, now=ninth).freezes == 0
    assert consistency_drift(now=ninth) == []

    live.client().flushdb()
    live_state_rebuild(now=ninth)

    assert habit_states(player=alice, habits=[walk], now=ninth)[walk.pk] == before
    assert live.settle(actor=alice.actor, now=ninth).freezes == 0
    assert consistency_drift(now=ninth) == []
    # The rebuilt frozen day still refunds its freeze when it is backfilled.
    actor = alice.actor
    backfill = live.check_in(
        actor=actor,
        habit_id=walk.pk,
        day=actor.day(ninth) - timedelta(days=1),
        today=actor.day(ninth),
        now=ninth,
    )
    assert (backfill.data["points_awarded"], backfill.data["current"]) == (20, 8)
    assert backfill.data["freezes"] == 1
    flush.flush_pending()
    assert consistency_drift(now=ninth) == []
