import pytest

from habits.models import Habit

pytestmark = pytest.mark.django_db


def create(client, name="Read 20 pages"):
    return client.post("/api/habits", {"name": name}, format="json")


def test_a_player_creates_and_lists_their_habits(as_alice):
    response = create(as_alice)

    assert response.status_code == 201
    habit = response.json()
    assert habit["name"] == "Read 20 pages"
    assert (habit["current_streak"], habit["longest_streak"], habit["checked_today"]) == (
        0,
        0,
        False,
    )
    assert [h["id"] for h in as_alice.get("/api/habits").json()] == [habit["id"]]


@pytest.mark.parametrize("name", ["", "x" * 81])
def test_a_habit_name_must_be_1_to_80_characters(as_alice, name):
    response = create(as_alice, name)

    assert response.status_code == 400
    assert Habit.objects.count() == 0


def test_an_80_character_name_is_accepted(as_alice):
    assert create(as_alice, "x" * 80).status_code == 201


def test_a_player_renames_a_habit(as_alice):
    habit_id = create(as_alice).json()["id"]

    response = as_alice.patch(f"/api/habits/{habit_id}", {"name": "Read 30 pages"}, format="json")

    assert response.status_code == 200
    assert as_alice.get(f"/api/habits/{habit_id}").json()["name"] == "Read 30 pages"


def test_a_deleted_habit_is_gone_from_the_api(as_alice):
    habit_id = create(as_alice).json()["id"]

    assert as_alice.delete(f"/api/habits/{habit_id}").status_code == 204
    assert as_alice.get(f"/api/habits/{habit_id}").status_code == 404
    assert as_alice.get("/api/habits").json() == []


def test_habits_answer_401_without_credentials(anon):
    assert anon.get("/api/habits").status_code == 401
    assert anon.post("/api/habits", {"name": "x"}).status_code == 401


def test_charlie_does_not_see_alices_habits_in_his_list(as_alice, as_charlie):
    create(as_alice)

    assert as_charlie.get("/api/habits").json() == []


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("get", "", None),
        ("patch", "", {"name": "mine now"}),
        ("delete", "", None),
        ("post", "/check-ins", {}),
        ("get", "/check-ins", None),
    ],
)
def test_charlie_gets_404_on_alices_habit_and_changes_nothing(
    as_alice, as_charlie, method, suffix, body
):
    habit_id = create(as_alice).json()["id"]

    response = getattr(as_charlie, method)(f"/api/habits/{habit_id}{suffix}", body, format="json")

    assert response.status_code == 404
    habit = Habit.objects.get(pk=habit_id)
    assert (habit.name, habit.deleted_at) == ("Read 20 pages", None)
    assert as_alice.get(f"/api/habits/{habit_id}").json()["checked_today"] is False
