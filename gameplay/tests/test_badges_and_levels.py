"""Every badge and the level boundaries, earned through the real endpoints."""

from datetime import timedelta

import pytest
from django.utils import timezone

from gameplay import live
from gameplay.live import Actor
from testkit.personas import T0

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("live_store")]


def focus(client, clock, *, planned=25, focused=None):
    session_id = client.post("/api/sessions", {"planned_minutes": planned}, format="json").json()[
        "id"
    ]
    clock.shift(timedelta(minutes=planned))
    body = {"focused_seconds": planned * 60 if focused is None else focused}
    return client.post(f"/api/sessions/{session_id}/complete", body, format="json").json()


def badges(client):
    return [b["code"] for b in client.get("/api/me").json()["badges"]]


def test_the_first_completed_session_earns_first_focus(as_alice, clock):
    assert focus(as_alice, clock)["new_badges"] == ["first_focus"]
    assert badges(as_alice) == ["first_focus"]
    assert as_alice.get("/api/me").json()["badges"][0]["awarded_at"] == "2026-11-23T09:25:00Z"


def test_an_abandoned_session_earns_no_badge(as_alice, clock):
    session_id = as_alice.post("/api/sessions", {"planned_minutes": 25}, format="json").json()["id"]
    as_alice.post(f"/api/sessions/{session_id}/abandon")

    assert badges(as_alice) == []


def test_the_tenth_completed_session_earns_focus_10(as_alice, clock):
    earned = [focus(as_alice, clock, planned=5)["new_badges"] for _ in range(10)]

    assert earned[0] == ["first_focus"]
    assert earned[1:9] == [[]] * 8
    assert earned[9] == ["focus_10"]


@pytest.mark.parametrize(("focused", "earned"), [(5399, []), (5400, ["deep_work"])])
def test_deep_work_needs_90_focused_minutes_in_one_session(as_alice, clock, focused, earned):
    result = focus(as_alice, clock, planned=120, focused=focused)

    assert result["new_badges"] == ["first_focus", *earned]


def test_a_seven_day_streak_earns_streak_7_on_the_seventh_day(as_alice, clock):
    habit_id = as_alice.post("/api/habits", {"name": "Walk"}, format="json").json()["id"]
    earned = []
    for _ in range(7):
        earned.append(as_alice.post(f"/api/habits/{habit_id}/check-ins").json()["new_badges"])
        clock.shift(timedelta(days=1))

    assert earned == [[], [], [], [], [], [], ["streak_7"]]


def test_a_thirty_day_streak_earns_streak_30_once(as_alice, clock):
    habit_id = as_alice.post("/api/habits", {"name": "Walk"}, format="json").json()["id"]
    earned = {}
    for day in range(1, 32):
        codes = as_alice.post(f"/api/habits/{habit_id}/check-ins").json()["new_badges"]
        if codes:
            earned[day] = codes
        clock.shift(timedelta(days=1))

    # 10+12+14+16+18 + 26*20 = 590 points: no points_1000 yet.
    assert earned == {7: ["streak_7"], 30: ["streak_30"]}
    assert as_alice.get("/api/me").json()["points"] == 590


@pytest.mark.parametrize(
    ("points", "level", "next_level_at"),
    [
        (99, 1, 100),
        (100, 2, 300),
        (299, 2, 300),
        (300, 3, 600),
        (600, 4, 1000),
        (999, 4, 1000),
        (1000, 5, 1500),
    ],
)
def test_levels_follow_50_l_l_minus_1(as_alice, alice, points, level, next_level_at):
    live.adjust(
        actor=Actor(alice.pk, alice.timezone, alice.day_start_hour),
        points=points,
        moderator_id=alice.pk,
        reason="test",
        now=T0,
    )

    me = as_alice.get("/api/me").json()

    assert (me["points"], me["level"], me["next_level_at"]) == (points, level, next_level_at)


def test_reaching_1000_points_earns_points_1000(as_alice, alice, clock):
    live.adjust(
        actor=Actor(alice.pk, alice.timezone, alice.day_start_hour),
        points=990,
        moderator_id=alice.pk,
        reason="test",
        now=timezone.now(),
    )

    result = focus(as_alice, clock, planned=5, focused=5 * 60)  # 5 + 10 bonus

    assert result["totals"] == {"points": 1005, "level": 5, "weekly_points": 1005}
    assert result["new_badges"] == ["first_focus", "points_1000"]
