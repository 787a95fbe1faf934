"""Token authentication reads PostgreSQL once per token, and follows every change of the
player: deactivation, profile changes and a deleted token apply on the next request."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.services import player_update
from testkit.personas import client_for

pytestmark = pytest.mark.django_db


def queries_of(client, path: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as captured:
        status = client.get(path).status_code
    return status, len(captured.captured_queries)


def test_alices_second_request_reads_nothing_from_postgres(alice):
    as_alice = client_for(alice)

    assert queries_of(as_alice, "/api/me") == (200, 1)
    assert queries_of(as_alice, "/api/me") == (200, 0)
    assert queries_of(as_alice, "/api/leaderboard") == (200, 0)


def test_deactivating_alice_refuses_her_cached_token_on_the_next_request(alice):
    as_alice = client_for(alice)
    assert as_alice.get("/api/me").status_code == 200

    alice.is_active = False
    alice.save(update_fields=["is_active"])

    assert as_alice.get("/api/me").status_code == 401
    alice.is_active = True
    alice.save(update_fields=["is_active"])
    assert as_alice.get("/api/me").status_code == 200


def test_alices_new_display_name_shows_on_the_next_request(alice):
    as_alice = client_for(alice)
    assert as_alice.get("/api/me").json()["display_name"] == "Alice"

    player_update(player=alice, display_name="Alice the Focused")

    assert as_alice.get("/api/me").json()["display_name"] == "Alice the Focused"


def test_a_deleted_token_stops_working_although_it_was_cached(alice):
    as_alice = client_for(alice)
    assert as_alice.get("/api/me").status_code == 200

    alice.auth_token.delete()

    assert as_alice.get("/api/me").status_code == 401


def test_a_wrong_token_is_refused_every_time_and_never_cached(alice):
    stranger = client_for(None)
    stranger.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)

    assert queries_of(stranger, "/api/me") == (401, 1)
    assert queries_of(stranger, "/api/me") == (401, 1)


def test_bob_cannot_ride_alices_cached_entry(alice, bob):
    assert client_for(alice).get("/api/me").json()["username"] == "alice"

    assert client_for(bob).get("/api/me").json()["username"] == "bob"


def test_a_new_players_first_request_reads_nothing_once_the_sign_up_committed(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        answer = client_for(None).post(
            "/api/auth/register",
            {"username": "dana", "password": "correct-horse-battery-staple"},
            format="json",
        )
    dana = client_for(None)
    dana.credentials(HTTP_AUTHORIZATION=f"Token {answer.json()['token']}")

    assert queries_of(dana, "/api/me") == (200, 0)


def test_a_sign_up_that_rolls_back_leaves_no_usable_token(django_capture_on_commit_callbacks):
    from django.db import transaction

    from accounts.services import player_register

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                _player, token = player_register(username="erin", password="x" * 20)
                raise RuntimeError("Redis went away half-way")
        except RuntimeError:
            pass
    erin = client_for(None)
    erin.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")

    assert callbacks == []
    assert erin.get("/api/me").status_code == 401


def test_no_redis_key_holds_a_token_and_no_value_a_password_hash_or_a_pickle(alice):
    from gameplay import live

    as_alice = client_for(alice)
    habit_id = as_alice.post("/api/habits", {"name": "Read"}, format="json").json()["id"]
    as_alice.post(f"/api/habits/{habit_id}/check-ins", {}, format="json")
    assert as_alice.get("/api/me").status_code == 200
    redis = live.client()
    token = alice.auth_token.key
    stored_hash = type(alice).objects.get(pk=alice.pk).password

    cache_keys = [key for key in redis.scan_iter("fq:cache:*")]
    assert len(cache_keys) >= 2  # the token's user and the habit
    for key in redis.scan_iter("*"):
        assert token.encode() not in key
        if redis.type(key) == b"string":
            value = redis.get(key)
            assert token.encode() not in value
            assert stored_hash.encode() not in value
            assert not value.startswith(b"\x80")  # pickle's protocol marker


def test_a_cached_user_saves_only_what_it_loaded(alice):
    from accounts.authentication import CachedTokenAuthentication

    key = alice.auth_token.key
    CachedTokenAuthentication().authenticate_credentials(key)  # fills the cache
    cached_user, token = CachedTokenAuthentication().authenticate_credentials(key)
    assert cached_user.get_deferred_fields() >= {"password", "email"}

    cached_user.display_name = "Alice Again"
    cached_user.save()

    alice.refresh_from_db()
    assert alice.display_name == "Alice Again"
    assert alice.check_password("correct-horse-battery-staple")
    assert token.key == key and token.user_id == alice.pk
