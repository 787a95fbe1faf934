"""Guessing passwords and making accounts are throttled wherever they happen: the log-in
page, the admin's log-in, the sign-up page and the API, 30 attempts a minute per client
address and per username (THROTTLE_AUTH)."""

import pytest
from django.test import Client

from accounts.models import User
from testkit.personas import PASSWORD

pytestmark = pytest.mark.django_db

RATE = 30  # THROTTLE_AUTH's default, 30/min
REFUSAL = "Too many attempts. Please wait 60 seconds and try again."


def log_in(browser: Client, url: str, username: str, password: str, **meta):
    return browser.post(url, {"username": username, "password": password}, **meta)


def sign_up(browser: Client, username: str, **meta):
    form = {
        "username": username,
        "password1": PASSWORD,
        "password2": "not the same",
        "timezone": "UTC",
        "day_start_hour": "0",
    }
    return browser.post("/signup/", form, **meta)


@pytest.mark.parametrize("url", ["/login/", "/admin/login/"])
def test_the_31st_log_in_from_one_address_is_a_429_page_that_says_how_long_to_wait(
    url, clock, alice, mo
):
    browser = Client()
    answers = [
        log_in(browser, url, f"guess{index}", "wrong-password").status_code for index in range(RATE)
    ]

    # Even the right password: the address has used its attempts.
    refused = log_in(browser, url, "mo", PASSWORD)

    assert answers == [200] * RATE
    assert refused.status_code == 429
    assert refused["Retry-After"] == "60"
    assert REFUSAL in refused.content.decode()
    assert 'name="username"' in refused.content.decode()  # the form, to try again later
    assert "_auth_user_id" not in browser.session
    clock.shift(61)
    assert log_in(browser, url, "mo", PASSWORD).status_code == 302


def test_the_31st_log_in_as_one_username_is_refused_from_any_address(clock, alice):
    answers = [
        log_in(Client(), "/login/", "alice", "wrong", REMOTE_ADDR=f"10.0.0.{index}").status_code
        for index in range(RATE)
    ]

    refused = log_in(Client(), "/login/", "ALICE", PASSWORD, REMOTE_ADDR="10.0.1.1")

    assert answers == [200] * RATE
    assert refused.status_code == 429
    assert REFUSAL in refused.content.decode()
    # Another username from a fresh address is not held back.
    assert log_in(Client(), "/login/", "bob", "wrong", REMOTE_ADDR="10.0.1.2").status_code == 200


@pytest.mark.slow
def test_the_31st_sign_up_from_one_address_is_refused_and_makes_no_account(clock, db):
    browser = Client()
    answers = [sign_up(browser, f"newcomer{index}").status_code for index in range(RATE)]
    form = {
        "username": "dora",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "timezone": "UTC",
        "day_start_hour": "0",
    }

    refused = browser.post("/signup/", form)

    assert answers == [200] * RATE  # each the form again with its error
    assert refused.status_code == 429
    assert REFUSAL in refused.content.decode()
    assert not User.objects.filter(username="dora").exists()


def test_an_address_has_one_bucket_for_the_api_and_the_pages(clock, anon, alice):
    for index in range(RATE // 2):
        anon.post("/api/auth/token", {"username": f"guess{index}", "password": "wrong"})
    for index in range(RATE // 2):
        log_in(Client(), "/login/", f"other{index}", "wrong")

    assert log_in(Client(), "/login/", "alice", PASSWORD).status_code == 429
    assert (
        anon.post("/api/auth/token", {"username": "alice", "password": PASSWORD}).status_code == 429
    )
