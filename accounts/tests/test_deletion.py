"""DELETE /api/me {password}: refused with nothing deleted, or the player gone at once (token,
sessions, boards, live keys) and then wholly (every table and every Redis key searched),
the username free again."""

from datetime import timedelta

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import User
from accounts.services import PASSWORD_NOT_YOURS
from gameplay import deletion, keys, live, store
from pipeline import flush
from testkit.actions import focus_session
from testkit.personas import PASSWORD, T0, client_for
from testkit.traces import distinct_player

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("live_store")]


def delete_me(client: APIClient, body: object = None):
    return client.delete("/api/me", body, format="json")


def standing(player: User) -> dict:
    """What a refused deletion must leave as it was."""
    return {
        "row": User.objects.filter(pk=player.pk, is_active=True).exists(),
        "me": client_for(player).get("/api/me").status_code,
        "points": live.player_snapshot(player_id=player.pk).points,
        "on_board": live.client().zscore(keys.BOARD_ALL, player.pk) is not None,
    }


def on_boards(player_id: int) -> list[str]:
    listed = []
    for board in ("all", "week"):
        entries = APIClient().get(f"/api/leaderboard?board={board}&limit=100").json()["entries"]
        listed += [board for entry in entries if entry["user_id"] == player_id]
    return listed


@pytest.fixture
def played(alice, clock):
    focus_session(alice, start=T0 - timedelta(hours=1))
    flush.flush_pending()
    return alice


def test_a_wrong_or_missing_password_or_an_unknown_field_is_400_and_deletes_nothing(played):
    as_alice = client_for(played)
    before = standing(played)
    assert before == {"row": True, "me": 200, "points": 35, "on_board": True}

    wrong = delete_me(as_alice, {"password": "not-it"})
    missing = delete_me(as_alice, {})
    no_body = delete_me(as_alice)
    unknown = delete_me(as_alice, {"password": PASSWORD, "and_bob": True})
    not_an_object = delete_me(as_alice, [PASSWORD])

    assert (wrong.status_code, wrong.json()) == (400, {"password": [PASSWORD_NOT_YOURS]})
    assert (missing.status_code, missing.json()) == (400, {"password": ["This field is required."]})
    assert (no_body.status_code, list(no_body.json())) == (400, ["password"])
    assert (unknown.status_code, unknown.json()) == (400, {"and_bob": ["Unknown field."]})
    assert not_an_object.status_code == 400
    assert standing(played) == before


def test_without_credentials_it_is_401(anon, played):
    response = delete_me(anon, {"password": PASSWORD})

    assert response.status_code == 401
    assert standing(played)["row"]


def test_charlie_can_never_delete_alice_his_delete_deletes_only_himself(played, charlie):
    as_charlie = client_for(charlie)
    alice_before = standing(played)
    # alice's password (the personas share one) is not the question: a new one for him.
    charlie.set_password("charlies-own-passphrase")
    charlie.save()

    assert delete_me(as_charlie, {"password": PASSWORD}).status_code == 400
    assert standing(played) == alice_before
    assert delete_me(as_charlie, {"password": "charlies-own-passphrase"}).status_code == 204
    assert standing(played) == alice_before
    assert not User.objects.filter(pk=charlie.pk).exists()
    assert User.objects.filter(pk=played.pk).exists()
    # His token is gone with him: nothing more can be asked in his name.
    assert delete_me(as_charlie, {"password": PASSWORD}).status_code == 401
    assert standing(played) == alice_before


def test_a_wrong_password_is_throttled_like_a_log_in(played):
    as_alice = client_for(played)
    rate = 30  # THROTTLE_AUTH's default, 30/min

    answers = [delete_me(as_alice, {"password": f"guess-{n}"}).status_code for n in range(rate)]

    assert answers == [400] * rate
    assert delete_me(as_alice, {"password": PASSWORD}).status_code == 429
    assert standing(played)["row"]


@pytest.fixture
def dora(db, clock):
    player, trace = distinct_player("dora-deletes-7q", display_name="Dora Q7", email="dq7@x.test")
    return player, trace


def test_at_once_the_token_the_session_and_the_boards_and_the_name_is_free(dora, bob, clock):
    player, _trace = dora
    focus_session(player, start=T0 - timedelta(hours=1))
    focus_session(bob, start=T0 - timedelta(hours=2), planned=5)
    flush.flush_pending()
    token = client_for(player)
    browser = Client()
    browser.force_login(player)
    assert browser.get("/api/me").status_code == 200
    assert on_boards(player.pk) == ["all", "week"]

    assert delete_me(token, {"password": PASSWORD}).status_code == 204

    assert token.get("/api/me").status_code == 401
    assert browser.get("/api/me").status_code == 401
    assert browser.get("/dashboard/").status_code == 302  # to the log-in page
    assert on_boards(player.pk) == []
    assert [e["user_id"] for e in APIClient().get("/api/leaderboard").json()["entries"]] == [bob.pk]
    assert not live.client().exists(keys.badges(player.pk), keys.running_session(player.pk))
    again = APIClient().post(
        "/api/auth/register",
        {"username": "dora-deletes-7q", "password": PASSWORD, "display_name": "Dora Q7"},
        format="json",
    )
    assert again.status_code == 201
    assert again.json()["id"] != player.pk


def test_a_browser_session_deletes_its_own_account_and_is_logged_out(dora, clock):
    player, _trace = dora
    browser = Client(enforce_csrf_checks=False)
    browser.force_login(player)

    response = browser.delete("/api/me", {"password": PASSWORD}, content_type="application/json")

    assert response.status_code == 204
    assert "sessionid" not in browser.cookies or not browser.cookies["sessionid"].value
    assert not User.objects.filter(pk=player.pk).exists()


def test_a_request_in_flight_when_its_player_was_deleted_records_nothing(dora, clock):
    player, _trace = dora
    actor = player.actor
    assert delete_me(client_for(player), {"password": PASSWORD}).status_code == 204
    pending = flush.backlog()["pending"]

    # The check-in script of a request that authenticated before the deletion.
    with pytest.raises(store.PlayerDeleted):
        live.check_in(actor=actor, habit_id=1, day=T0.date(), today=T0.date(), now=T0)

    assert flush.backlog()["pending"] == pending
    own = store.scan_slot(f"{keys.player_keys_prefix(player.pk)}*", keys.player(player.pk))
    assert own == [keys.player(player.pk).encode()]  # the tombstone only


def test_the_api_answers_401_for_a_request_caught_in_its_players_deletion(dora, clock):
    player, _trace = dora
    token = client_for(player)
    assert token.get("/api/me").status_code == 200  # its token is cached now
    # Its shard purged, its token not yet gone: a request authenticated in between.
    deletion.shard_purge(player_id=player.pk, now=T0)

    response = token.get("/api/me")

    assert (response.status_code, response.json()) == (
        401,
        {"detail": "This account has been deleted."},
    )
