"""POST /api/auth/logout ends the credential it came with, at once."""

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from testkit.personas import PASSWORD, client_for

pytestmark = pytest.mark.django_db


def test_logging_out_revokes_the_token_on_the_next_request(alice):
    as_alice = client_for(alice)
    assert as_alice.get("/api/me").status_code == 200  # the token is cached now

    response = as_alice.post("/api/auth/logout")

    assert response.status_code == 204
    assert as_alice.get("/api/me").status_code == 401
    assert not Token.objects.filter(user=alice).exists()
    fresh = APIClient().post(
        "/api/auth/token", {"username": "alice", "password": PASSWORD}, format="json"
    )
    assert fresh.status_code == 200
    assert fresh.json()["token"] != alice.auth_token.key


def test_logging_out_of_a_browser_session_ends_only_that_session(alice):
    browser, other_browser = Client(), Client()
    browser.force_login(alice)
    other_browser.force_login(alice)

    assert (
        browser.post("/api/auth/logout", "{}", content_type="application/json").status_code == 204
    )

    assert browser.get("/api/me").status_code == 401
    assert other_browser.get("/api/me").status_code == 200
    assert client_for(alice).get("/api/me").status_code == 200  # the token is not touched


def test_logout_needs_credentials_and_takes_no_body(alice, anon):
    assert anon.post("/api/auth/logout").status_code == 401
    refused = client_for(alice).post("/api/auth/logout", {"everything": True}, format="json")
    assert refused.status_code == 400
    assert Token.objects.filter(user=alice).exists()
