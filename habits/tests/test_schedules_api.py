"""Schedules through the API: chosen at creation, fixed after, scored by their own rules,
every malformed schedule refused with nothing written. The clock is stopped at T0, Monday
2026-11-23 09:00 UTC (10:00 for alice, in Europe/Berlin)."""

from datetime import timedelta

import pytest

from gameplay import keys, live
from habits.models import Habit

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("live_store")]


def create(client, schedule=None, name="Run"):
    body = {"name": name} if schedule is None else {"name": name, "schedule": schedule}
    return client.post("/api/habits", body, format="json")


def check_in(client, habit_id, day=None):
    body = {} if day is None else {"date": day}
    return client.post(f"/api/habits/{habit_id}/check-ins", body, format="json")


def test_a_habit_is_daily_without_rest_days_unless_it_says_otherwise(as_alice):
    habit = create(as_alice).json()

    assert habit["schedule"] == {"kind": "daily", "rest_days": []}
    assert habit["streak_unit"] == "days"
    assert "this_week" not in habit


def test_a_weekly_habit_says_its_target_and_this_weeks_progress(as_alice):
    habit = create(as_alice, {"kind": "weekly", "target": 3}).json()

    assert habit["schedule"] == {"kind": "weekly", "target": 3}
    assert habit["streak_unit"] == "weeks"
    assert habit["this_week"] == {"done": 0, "target": 3}
    assert Habit.objects.get().weekly_target == 3


def test_a_daily_habit_keeps_its_rest_days_in_weekday_order(as_alice):
    habit = create(as_alice, {"kind": "daily", "rest_days": [7, 6]}).json()

    assert habit["schedule"] == {"kind": "daily", "rest_days": [6, 7]}
    assert Habit.objects.get().rest_days == [6, 7]


@pytest.mark.parametrize(
    ("schedule", "reason"),
    [
        ({"kind": "monthly"}, "kind"),
        ({"kind": "weekly"}, "1 to 6"),
        ({"kind": "weekly", "target": 0}, "1 to 6"),
        ({"kind": "weekly", "target": 7}, "1 to 6"),
        ({"kind": "weekly", "target": 3, "rest_days": [6]}, "Only a daily habit"),
        ({"kind": "daily", "target": 3}, "no weekly target"),
        ({"kind": "daily", "rest_days": [0]}, "rest_days"),
        ({"kind": "daily", "rest_days": [8]}, "rest_days"),
        ({"kind": "daily", "rest_days": [6, 6]}, "once"),
        ({"kind": "daily", "rest_days": [1, 2, 3, 4, 5, 6, 7]}, "at most 6"),
        ({"kind": "daily", "rest_days": "6,7"}, "rest_days"),
        ({"kind": "daily", "colour": "red"}, "colour"),
        ("weekly", "schedule"),
        ([], "schedule"),
    ],
)
def test_every_malformed_schedule_is_refused_and_nothing_is_created(as_alice, schedule, reason):
    response = create(as_alice, schedule)

    assert response.status_code == 400
    assert reason in str(response.json())
    assert Habit.objects.count() == 0


def test_a_schedule_is_fixed_once_the_habit_exists(as_alice):
    habit_id = create(as_alice, {"kind": "weekly", "target": 2}).json()["id"]

    response = as_alice.patch(
        f"/api/habits/{habit_id}", {"schedule": {"kind": "daily"}, "name": "Jog"}, format="json"
    )

    assert response.status_code == 400
    assert "create a new habit" in response.json()["schedule"][0]
    habit = Habit.objects.get()
    assert (habit.name, habit.kind, habit.weekly_target) == ("Run", "weekly", 2)


def test_a_weekly_habit_earns_its_bonus_on_the_check_in_that_meets_the_week(as_alice, clock):
    habit_id = create(as_alice, {"kind": "weekly", "target": 3}).json()["id"]

    earned = []
    for _ in range(4):  # Monday to Thursday
        earned.append(check_in(as_alice, habit_id).json()["points_awarded"])
        clock.shift(timedelta(days=1))

    # 10 each; the third also earns target * (5 + min(week streak 1 - 1, 5)) = 15.
    assert earned == [10, 10, 25, 10]
    habit = as_alice.get(f"/api/habits/{habit_id}").json()
    assert habit["this_week"] == {"done": 4, "target": 3}
    assert (habit["current_streak"], habit["longest_streak"]) == (1, 1)
    assert as_alice.get("/api/me").json()["points"] == 55


def test_a_rest_day_neither_breaks_nor_extends_a_daily_streak(as_alice, clock):
    habit_id = create(as_alice, {"kind": "daily", "rest_days": [6, 7]}).json()["id"]
    clock.shift(timedelta(days=4))  # Friday
    assert check_in(as_alice, habit_id).json()["points_awarded"] == 10
    clock.shift(timedelta(days=3))  # Monday: the weekend rested

    monday = check_in(as_alice, habit_id).json()

    assert (monday["points_awarded"], monday["streak"]) == (12, {"current": 2, "longest": 2})


def test_seven_days_running_earn_a_freeze_that_api_me_shows(as_alice, clock):
    habit_id = create(as_alice).json()["id"]
    assert as_alice.get("/api/me").json()["freezes"] == {"held": 0, "max": 2}
    for _ in range(7):
        check_in(as_alice, habit_id)
        clock.shift(timedelta(days=1))

    assert as_alice.get("/api/me").json()["freezes"] == {"held": 1, "max": 2}
    clock.shift(timedelta(days=1))  # the eighth day ended unchecked: the freeze is spent
    assert as_alice.get("/api/me").json()["freezes"] == {"held": 0, "max": 2}
    habit = as_alice.get(f"/api/habits/{habit_id}").json()
    assert habit["current_streak"] == 7


def test_a_deleted_habit_leaves_the_roster_no_freeze_is_spent_on(as_alice, alice):
    habit_id = create(as_alice).json()["id"]
    check_in(as_alice, habit_id)
    assert live.client().hexists(keys.roster(alice.pk), str(habit_id))

    assert as_alice.delete(f"/api/habits/{habit_id}").status_code == 204

    assert not live.client().hexists(keys.roster(alice.pk), str(habit_id))
