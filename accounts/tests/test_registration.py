import pytest
from rest_framework.authtoken.models import Token

from accounts.models import User

pytestmark = pytest.mark.django_db

GOOD = {"username": "alice", "password": "correct-horse-battery-staple"}


def test_registering_returns_the_new_player_and_a_working_token(anon):
    response = anon.post(
        "/api/auth/register",
        {**GOOD, "display_name": "Alice", "timezone": "Europe/Berlin", "day_start_hour": 4},
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    player = User.objects.get(username="alice")
    assert body == {"id": player.pk, "username": "alice", "token": player.auth_token.key}
    assert (player.display_name, player.timezone, player.day_start_hour) == (
        "Alice",
        "Europe/Berlin",
        4,
    )
    anon.credentials(HTTP_AUTHORIZATION=f"Token {body['token']}")
    assert anon.get("/api/me").json()["username"] == "alice"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"day_start_hour": 24}, "day_start_hour"),
        ({"day_start_hour": -1}, "day_start_hour"),
        ({"password": "short"}, "password"),
        ({"password": "12345678901"}, "password"),
        ({"username": ""}, "username"),
        ({"email": "not-an-email"}, "email"),
    ],
)
def test_registration_refuses_bad_input_and_writes_nothing(anon, change, field):
    response = anon.post("/api/auth/register", {**GOOD, **change}, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert User.objects.count() == 0
    assert Token.objects.count() == 0


def test_registration_refuses_a_taken_username_whatever_its_case(anon):
    assert anon.post("/api/auth/register", GOOD, format="json").status_code == 201

    response = anon.post("/api/auth/register", {**GOOD, "username": "ALICE"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"username": ["That username is taken."]}
    assert User.objects.count() == 1
