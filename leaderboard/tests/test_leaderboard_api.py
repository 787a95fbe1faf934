"""The live boards and community counters."""

from datetime import timedelta

import pytest

from gameplay import boards, live
from gameplay.live import Actor
from testkit.personas import T0, client_for, make_player

pytestmark = pytest.mark.django_db


def award(player, points, now=T0):
    live.adjust(
        actor=Actor(player.pk, player.timezone, player.day_start_hour),
        points=points,
        moderator_id=player.pk,
        reason="test",
        now=now,
    )
    # The global boards take the award from the shard's stream: the running pusher feeds
    # them within 0.2 s; here the test does it at once.
    boards.feed()


def board(client, **params):
    return client.get("/api/leaderboard", params).json()


def test_ranks_are_competition_ranks_with_ties(anon, clock):
    players = {name: make_player(name) for name in ("ann", "ben", "cat", "dan")}
    for name, points in {"ann": 300, "ben": 200, "cat": 200, "dan": 100}.items():
        award(players[name], points)

    body = board(anon)

    # Players who tie share the rank; their order within it is not part of the contract.
    rows = sorted((e["rank"], e["display_name"], e["points"]) for e in body["entries"])
    assert [(name, points, rank) for rank, name, points in rows] == [
        ("ann", 300, 1),
        ("ben", 200, 2),
        ("cat", 200, 2),
        ("dan", 100, 4),
    ]
    assert body["me"] is None
    me = board(client_for(players["dan"]))["me"]
    assert me == {"rank": 4, "points": 100}


def test_the_limit_caps_the_entries(anon, clock):
    for index in range(12):
        award(make_player(f"p{index}"), 10 * (index + 1))

    assert len(board(anon)["entries"]) == 10
    assert len(board(anon, limit=3)["entries"]) == 3
    assert anon.get("/api/leaderboard", {"limit": 101}).status_code == 400
    assert anon.get("/api/leaderboard", {"board": "month"}).status_code == 400


def test_the_week_board_counts_only_this_iso_week(as_alice, alice, bob, clock):
    award(alice, 100, now=T0 - timedelta(days=1))  # Sunday: last week
    award(alice, 30)
    award(bob, 50)

    week = board(as_alice, board="week")

    assert [(e["display_name"], e["points"], e["rank"]) for e in week["entries"]] == [
        ("Bob", 50, 1),
        ("Alice", 30, 2),
    ]
    assert week["me"] == {"rank": 2, "points": 30}
    me = as_alice.get("/api/me").json()
    assert (me["points"], me["weekly_points"], me["rank"]) == (130, 30, {"all": 1, "week": 2})


def test_a_hidden_player_is_off_the_boards_without_rank_but_keeps_points(
    as_alice, alice, bob, clock
):
    award(alice, 100)
    award(bob, 50)

    boards.player_visibility_set(player_id=alice.pk, hidden=True, now=T0)

    assert [e["display_name"] for e in board(as_alice)["entries"]] == ["Bob"]
    assert board(as_alice)["me"] is None
    me = as_alice.get("/api/me").json()
    assert (me["points"], me["rank"]) == (100, {"all": None, "week": None})
    assert client_for(bob).get("/api/me").json()["rank"] == {"all": 1, "week": 1}

    boards.player_visibility_set(player_id=alice.pk, hidden=False, now=T0)

    assert [(e["display_name"], e["points"]) for e in board(as_alice)["entries"]] == [
        ("Alice", 100),
        ("Bob", 50),
    ]


def test_community_counts_todays_focus_sessions_and_active_players(anon, as_alice, as_bob, clock):
    for client, minutes in ((as_alice, 25), (as_bob, 50), (as_alice, 5)):
        session_id = client.post(
            "/api/sessions", {"planned_minutes": minutes}, format="json"
        ).json()["id"]
        clock.shift(timedelta(minutes=minutes))
        client.post(f"/api/sessions/{session_id}/complete", {"focused_seconds": minutes * 60 - 30})

    assert anon.get("/api/community").json() == {
        "date": "2026-11-23",
        "focus_minutes": 24 + 49 + 4,
        # The 5-minute one (270 focused seconds) is short: its minutes count, not the session.
        "sessions": 2,
        "active_players": 2,
    }
