"""mo hides players from the boards and deactivates accounts; both take effect at once."""

import pytest
from django.contrib.admin.models import LogEntry
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.test import Client, override_settings
from redis.exceptions import RedisError

from accounts.models import User
from accounts.services import moderator_make
from gameplay import boards, keys, live
from gameplay.tests.servers import redis_server
from moderation.services import player_active_set, player_visibility_set
from pipeline import flush
from testkit.actions import focus_session
from testkit.db import log_messages
from testkit.personas import PASSWORD, T0, client_for

pytestmark = pytest.mark.django_db


def board(client, name="all"):
    body = client.get(f"/api/leaderboard?board={name}").json()
    return [(e["display_name"], e["points"], e["rank"]) for e in body["entries"]]


def test_hiding_alice_takes_her_off_both_boards_at_once_and_she_keeps_her_points(
    as_mo_admin, mo, alice, bob, anon, as_alice, clock, capsys
):
    focus_session(alice, start=T0, planned=25)
    focus_session(bob, start=T0, planned=5)
    # The awards reach the global boards from the shards' streams (the running pusher
    # feeds within 0.2 s); a hide or show moves them itself, at once.
    boards.feed()

    response = as_mo_admin.post(f"/admin/accounts/user/{alice.pk}/visibility/", {"hidden": "1"})

    assert response.status_code == 302
    assert board(anon) == [("Bob", 15, 1)]
    assert board(anon, "week") == [("Bob", 15, 1)]
    me = as_alice.get("/api/me").json()
    assert (me["points"], me["rank"]) == (35, {"all": None, "week": None})
    assert User.objects.get(pk=alice.pk).hidden_from_leaderboards is True
    assert live.client().sismember(keys.hidden(keys.shard_of(alice.pk)), alice.pk)

    as_mo_admin.post(f"/admin/accounts/user/{alice.pk}/visibility/", {"hidden": "0"})

    assert board(anon) == [("Alice", 35, 1), ("Bob", 15, 2)]
    assert board(anon, "week") == [("Alice", 35, 1), ("Bob", 15, 2)]
    assert User.objects.get(pk=alice.pk).hidden_from_leaderboards is False
    flush.flush_pending()
    call_command("check_consistency")
    assert "Consistent" in capsys.readouterr().out
    assert log_messages(mo) == ["Hid from the leaderboards.", "Showed on the leaderboards."]


def test_awards_while_hidden_keep_alice_off_the_board_and_count_when_she_returns(
    mo, alice, bob, anon, clock
):
    focus_session(bob, start=T0, planned=5)
    player_visibility_set(moderator=mo, player=alice, hidden=True, now=T0)

    focus_session(alice, start=T0, planned=25)
    # Her award, fed while she is hidden, keeps her off; bob's puts him on.
    boards.feed()

    assert board(anon) == [("Bob", 15, 1)]
    player_visibility_set(moderator=mo, player=alice, hidden=False, now=T0)
    assert board(anon) == [("Alice", 35, 1), ("Bob", 15, 2)]


def test_hiding_twice_changes_and_logs_once(mo, alice, clock):
    assert player_visibility_set(moderator=mo, player=alice, hidden=True, now=T0) is True
    assert player_visibility_set(moderator=mo, player=alice, hidden=True, now=T0) is False

    assert log_messages(mo) == ["Hid from the leaderboards."]
    assert live.client().sismember(keys.hidden(keys.shard_of(alice.pk)), alice.pk)


def test_when_redis_refuses_a_hide_the_postgres_flag_rolls_back(mo, alice, tmp_path, clock):
    with redis_server(tmp_path / "redis") as server, override_settings(CACHES=server.caches()):
        server.kill()
        with pytest.raises(RedisError):
            player_visibility_set(moderator=mo, player=alice, hidden=True, now=T0)

    assert User.objects.get(pk=alice.pk).hidden_from_leaderboards is False
    assert LogEntry.objects.count() == 0
    assert not live.client().sismember(keys.hidden(keys.shard_of(alice.pk)), alice.pk)


def test_hide_and_active_buttons_refuse_anything_but_0_or_1_and_get(as_mo_admin, alice):
    for action, name in (("visibility", "hidden"), ("active", "active")):
        url = f"/admin/accounts/user/{alice.pk}/{action}/"
        assert as_mo_admin.post(url, {name: "yes"}).status_code == 400
        assert as_mo_admin.get(url).status_code == 405
    alice.refresh_from_db()
    assert (alice.hidden_from_leaderboards, alice.is_active) == (False, True)
    assert LogEntry.objects.count() == 0


def test_deactivating_alice_stops_her_token_and_browser_session_at_once(as_mo_admin, mo, alice):
    token = client_for(alice)
    browser = Client()
    assert browser.login(username="alice", password=PASSWORD)
    assert token.get("/api/me").status_code == 200
    assert browser.get("/api/me").status_code == 200

    response = as_mo_admin.post(f"/admin/accounts/user/{alice.pk}/active/", {"active": "0"})

    assert response.status_code == 302
    assert token.get("/api/me").status_code == 401
    assert browser.get("/api/me").status_code == 401
    dashboard = browser.get("/dashboard/")
    assert (dashboard.status_code, dashboard["Location"]) == (302, "/login/?next=/dashboard/")
    assert Client().login(username="alice", password=PASSWORD) is False

    as_mo_admin.post(f"/admin/accounts/user/{alice.pk}/active/", {"active": "1"})

    assert token.get("/api/me").status_code == 200
    assert browser.get("/api/me").status_code == 200
    assert log_messages(mo) == ["Deactivated the account.", "Reactivated the account."]


def test_mo_cannot_deactivate_himself_or_another_moderator(mo, bob):
    moderator_make(player=bob)
    for player in (mo, bob):
        with pytest.raises(PermissionDenied):
            player_active_set(moderator=mo, player=player, active=False)
    assert User.objects.filter(is_active=False).count() == 0
