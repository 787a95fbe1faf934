import pytest

from accounts.models import User

pytestmark = pytest.mark.django_db


def test_me_answers_401_without_credentials(anon):
    assert anon.get("/api/me").status_code == 401


def test_a_new_player_reads_their_profile_with_zero_live_values(as_alice, alice):
    body = as_alice.get("/api/me").json()

    assert body == {
        "id": alice.pk,
        "username": "alice",
        "display_name": "Alice",
        "timezone": "Europe/Berlin",
        "day_start_hour": 0,
        "points": 0,
        "level": 1,
        "next_level_at": 100,
        "weekly_points": 0,
        "rank": {"all": 1, "week": 1},
        "badges": [],
        "freezes": {"held": 0, "max": 2},
    }


def test_a_player_updates_their_profile(as_alice, alice):
    response = as_alice.patch(
        "/api/me",
        {"display_name": "Alice L.", "timezone": "Asia/Kolkata", "day_start_hour": 5},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["display_name"] == "Alice L."
    alice.refresh_from_db()
    assert (alice.display_name, alice.timezone, alice.day_start_hour) == (
        "Alice L.",
        "Asia/Kolkata",
        5,
    )


@pytest.mark.parametrize(
    "change", [{"timezone": "Nowhere/Special"}, {"day_start_hour": 24}, {"display_name": "x" * 61}]
)
def test_a_bad_profile_update_is_refused_and_changes_nothing(as_alice, alice, change):
    response = as_alice.patch("/api/me", change, format="json")

    assert response.status_code == 400
    assert User.objects.get(pk=alice.pk).timezone == "Europe/Berlin"
    assert User.objects.get(pk=alice.pk).display_name == "Alice"
