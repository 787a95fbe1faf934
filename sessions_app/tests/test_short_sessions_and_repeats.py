"""Short sessions count nowhere but their points; a repeated completion answers the first
answer byte for byte, from the live store, after the flush and after a rebuild."""

from datetime import timedelta

import pytest

from accounts.models import User
from gameplay import boards, keys, live
from gameplay.models import LedgerEntry
from leaderboard.models import CommunityDay
from pipeline import flush
from pipeline.consistency import consistency_drift
from pipeline.rebuild import live_state_rebuild
from sessions_app.models import FocusSession
from testkit.personas import T0

pytestmark = pytest.mark.django_db


def start(client, planned=5):
    return client.post("/api/sessions", {"planned_minutes": planned}, format="json").json()["id"]


def complete(client, session_id, focused):
    return client.post(
        f"/api/sessions/{session_id}/complete", {"focused_seconds": focused}, format="json"
    )


def short_session(client, clock, focused: int):
    session_id = start(client)
    clock.shift(timedelta(seconds=focused))
    return complete(client, session_id, focused)


def test_a_completion_under_300_seconds_earns_its_points_and_nothing_else(as_alice, clock):
    response = short_session(as_alice, clock, 299)

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "completed"
    assert body["points_awarded"] == 4
    assert body["new_badges"] == []
    me = as_alice.get("/api/me").json()
    assert me["points"] == 4 and me["badges"] == []
    community = as_alice.get("/api/community").json()
    assert (community["sessions"], community["focus_minutes"]) == (0, 4)


def test_ten_empty_sessions_earn_no_badge_and_no_community_session(alice, as_alice, clock):
    for _ in range(10):
        assert short_session(as_alice, clock, 0).json()["points_awarded"] == 0

    assert live.player_snapshot(player_id=alice.pk).badges == []
    assert live.player_snapshot(player_id=alice.pk).completed_sessions == 0
    assert live.community_today(now=T0).sessions == 0
    # The next real session is the player's first.
    session_id = start(as_alice)
    clock.shift(timedelta(minutes=5))
    assert complete(as_alice, session_id, 300).json()["new_badges"] == ["first_focus"]


def test_a_short_session_reaches_postgres_as_points_only(alice, as_alice, clock):
    short_session(as_alice, clock, 240)
    session_id = start(as_alice)
    clock.shift(timedelta(minutes=5))
    complete(as_alice, session_id, 300)

    flush.flush_pending()

    alice = User.objects.get(pk=alice.pk)
    assert (alice.points, alice.completed_sessions) == (4 + 15, 1)
    kinds = sorted(
        LedgerEntry.objects.exclude(kind="session_started").values_list("kind", flat=True)
    )
    assert kinds == ["session_completed", "session_short"]
    day = CommunityDay.objects.totals(T0.date())
    assert (day["sessions"], day["focus_minutes"], day["active_players"]) == (1, 4 + 5, 1)
    stats = as_alice.get("/api/stats?days=1").json()["days"][0]
    assert (stats["sessions"], stats["focus_minutes"], stats["points"]) == (1, 9, 19)
    assert FocusSession.objects.filter(status="completed").count() == 2
    assert consistency_drift(now=T0 + timedelta(minutes=10)) == []


def test_300_focused_seconds_is_a_completed_session(as_alice, clock):
    session_id = start(as_alice)
    clock.shift(timedelta(seconds=300))

    body = complete(as_alice, session_id, 300).json()

    assert (body["points_awarded"], body["new_badges"]) == (15, ["first_focus"])
    assert as_alice.get("/api/community").json()["sessions"] == 1


def test_a_repeat_after_the_live_answer_expired_is_the_first_answer(alice, as_alice, clock):
    session_id = start(as_alice, planned=25)
    clock.shift(timedelta(minutes=25))
    first = complete(as_alice, session_id, 1500)
    # Points earned after it must not leak into the repeated answer.
    live.adjust(
        actor=live.Actor(alice.pk, alice.timezone, alice.day_start_hour),
        points=7,
        moderator_id=alice.pk,
        reason="later",
        now=T0 + timedelta(minutes=26),
    )
    flush.flush_pending()
    live.client().delete(keys.session_result(alice.pk, session_id))

    repeat = complete(as_alice, session_id, 1500)

    assert repeat.status_code == 200
    assert repeat.content == first.content
    assert repeat.json()["new_badges"] == ["first_focus"]
    assert repeat.json()["totals"]["points"] == 35


def test_a_repeat_after_losing_redis_and_a_rebuild_is_the_first_answer(alice, as_alice, clock):
    session_id = start(as_alice, planned=25)
    clock.shift(timedelta(minutes=25))
    first = complete(as_alice, session_id, 1500)
    flush.flush_pending()

    live.client().flushdb()  # this database only: others may hold another run
    live_state_rebuild(now=T0 + timedelta(minutes=25))
    repeat = complete(as_alice, session_id, 1500)

    assert repeat.content == first.content
    assert live.player_snapshot(player_id=alice.pk).points == 35


def test_a_player_with_only_a_short_session_is_back_on_the_board_after_a_rebuild(
    alice, as_alice, clock
):
    short_session(as_alice, clock, 120)
    boards.feed()  # onto the global board, as the running pusher does within 0.2 s
    before = as_alice.get("/api/leaderboard").json()
    flush.flush_pending()

    live.client().flushdb()  # this database only: others may hold another run
    live_state_rebuild(now=T0 + timedelta(minutes=3))

    after = as_alice.get("/api/leaderboard").json()
    assert before["entries"] == after["entries"]
    assert after["entries"] == [
        {"rank": 1, "user_id": alice.pk, "display_name": "Alice", "points": 2}
    ]
    assert consistency_drift(now=T0 + timedelta(minutes=3)) == []
