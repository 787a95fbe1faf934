"""POST /api/auth/password: a new password and a new token, and every other credential of
the player stops working at once; a refusal (400, 401) changes nothing at all."""

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import BrowserSession, User
from testkit.personas import PASSWORD, browser_for, client_for

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-new-and-longer-passphrase"
RATE = 30  # THROTTLE_AUTH's default, 30/min


def change(client, old: str = PASSWORD, new: str = NEW_PASSWORD, **extra):
    return client.post(
        "/api/auth/password", {"old_password": old, "new_password": new, **extra}, format="json"
    )


def logs_in(password: str) -> bool:
    answer = APIClient().post(
        "/api/auth/token", {"username": "alice", "password": password}, format="json"
    )
    return answer.status_code == 200


def logged_in(browser: Client) -> bool:
    return browser.get("/dashboard/").status_code == 200


def test_alice_changes_her_password_and_only_the_new_token_works(alice):
    as_alice = client_for(alice)
    assert as_alice.get("/api/me").status_code == 200  # the old token is cached now

    response = change(as_alice)

    assert response.status_code == 200
    new_key = response.json()["token"]
    assert new_key != alice.auth_token.key
    assert as_alice.get("/api/me").status_code == 401
    as_new = APIClient()
    as_new.credentials(HTTP_AUTHORIZATION=f"Token {new_key}")
    assert as_new.get("/api/me").json()["username"] == "alice"
    assert list(Token.objects.filter(user=alice).values_list("key", flat=True)) == [new_key]
    assert logs_in(NEW_PASSWORD)
    assert not logs_in(PASSWORD)


def test_a_change_with_the_token_logs_out_every_browser(alice, bob):
    laptop, phone, bobs = browser_for(alice), browser_for(alice), browser_for(bob)

    assert change(client_for(alice)).status_code == 200

    assert not logged_in(laptop)
    assert not logged_in(phone)
    assert logged_in(bobs)
    assert not BrowserSession.objects.filter(player_id=alice.pk).exists()


def test_a_change_from_a_browser_keeps_that_browser_logged_in_and_no_other(alice):
    laptop, phone = browser_for(alice), browser_for(alice)
    key_before = laptop.session.session_key

    response = laptop.post(
        "/api/auth/password",
        {"old_password": PASSWORD, "new_password": NEW_PASSWORD},
        content_type="application/json",
    )

    assert response.status_code == 200
    assert logged_in(laptop)
    assert laptop.session.session_key != key_before  # rotated with the new password
    assert not logged_in(phone)
    assert client_for(alice).get("/api/me").status_code == 401  # the old token too
    assert list(BrowserSession.objects.filter(player_id=alice.pk).values_list("pk", flat=True)) == [
        laptop.session.session_key
    ]


@pytest.fixture
def before(alice):
    """Alice's password hash, token and browser session, to show a refusal left them."""
    browser = browser_for(alice)

    def state():
        return (
            User.objects.get(pk=alice.pk).password,
            list(Token.objects.filter(user=alice).values_list("key", flat=True)),
            list(BrowserSession.objects.filter(player_id=alice.pk).values_list("pk", flat=True)),
            logged_in(browser),
        )

    return state


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        (
            {"old_password": "not-it", "new_password": NEW_PASSWORD},
            "old_password",
            "Your old password was entered incorrectly. Please enter it again.",
        ),
        (
            {"old_password": PASSWORD, "new_password": "short"},
            "new_password",
            "This password is too short. It must contain at least 8 characters.",
        ),
        (
            {"old_password": PASSWORD, "new_password": "password123"},
            "new_password",
            "This password is too common.",
        ),
        (
            {"old_password": PASSWORD, "new_password": "48151623429"},
            "new_password",
            "This password is entirely numeric.",
        ),
        (
            {"old_password": PASSWORD, "new_password": "alice2026"},
            "new_password",
            "The password is too similar to the username.",
        ),
        ({"new_password": NEW_PASSWORD}, "old_password", "This field is required."),
        ({"old_password": PASSWORD}, "new_password", "This field is required."),
        (
            {"old_password": PASSWORD, "new_password": NEW_PASSWORD, "token": "mine"},
            "token",
            "Unknown field.",
        ),
    ],
    ids=["wrong-old", "short", "common", "numeric", "like-username", "no-old", "no-new", "unknown"],
)
def test_a_refused_change_is_a_400_naming_the_field_and_changes_nothing(
    alice, before, body, field, message
):
    as_alice = client_for(alice)
    was = before()

    response = as_alice.post("/api/auth/password", body, format="json")

    assert response.status_code == 400
    assert message in response.json()[field]
    assert before() == was
    assert as_alice.get("/api/me").status_code == 200


def test_a_wrong_old_password_and_a_weak_new_one_are_both_named(alice):
    response = change(client_for(alice), old="not-it", new="short")

    assert response.status_code == 400
    assert set(response.json()) == {"old_password", "new_password"}


def test_changing_the_password_needs_credentials(alice, anon, before):
    was = before()

    assert change(anon).status_code == 401
    assert before() == was


def test_the_31st_attempt_a_minute_is_429_and_counts_with_alices_log_ins(alice, clock, before):
    # Guesses at alice's password through the log-in fill the bucket a change counts in.
    for index in range(RATE):
        APIClient(REMOTE_ADDR=f"10.0.0.{index}").post(
            "/api/auth/token", {"username": "alice", "password": "guess"}, format="json"
        )
    was = before()

    refused = change(client_for(alice))

    assert refused.status_code == 429
    assert refused["Retry-After"] == "60"
    assert before() == was
    clock.shift(61)
    assert change(client_for(alice)).status_code == 200


def test_the_31st_change_from_one_address_is_429(alice, bob, clock):
    as_bob = client_for(bob)
    answers = [change(as_bob, old="guess").status_code for _ in range(RATE)]

    assert answers == [400] * RATE
    assert change(client_for(alice)).status_code == 429  # the same address (the test client's)
