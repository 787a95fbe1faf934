import pytest

from testkit.personas import PASSWORD

pytestmark = pytest.mark.django_db


def test_the_right_password_gets_the_players_token(anon, alice):
    response = anon.post("/api/auth/token", {"username": "alice", "password": PASSWORD})

    assert response.status_code == 200
    assert response.json() == {"token": alice.auth_token.key}


def test_a_wrong_password_gets_400_and_no_token(anon, alice):
    response = anon.post("/api/auth/token", {"username": "alice", "password": "nope-nope-nope"})

    assert response.status_code == 400
    assert "token" not in response.json()


def test_a_token_authenticates_api_requests(anon, alice):
    token = anon.post("/api/auth/token", {"username": "alice", "password": PASSWORD}).json()[
        "token"
    ]

    anon.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    assert anon.get("/api/me").status_code == 200


def test_a_made_up_token_is_refused(anon, alice):
    anon.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")

    assert anon.get("/api/me").status_code == 401
