"""Habit check-ins through the API: days, streaks and points, with the clock stopped."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from testkit.db import no_writes
from testkit.personas import client_for, make_player

pytestmark = pytest.mark.django_db


def new_habit(client, name="Stretch"):
    return client.post("/api/habits", {"name": name}, format="json").json()["id"]


def check_in(client, habit_id, day=None):
    body = {} if day is None else {"date": day}
    return client.post(f"/api/habits/{habit_id}/check-ins", body, format="json")


def test_a_first_check_in_earns_10_points_and_starts_a_streak(as_alice, clock):
    habit_id = new_habit(as_alice)

    response = check_in(as_alice, habit_id)

    assert response.status_code == 201
    # alice lives in Europe/Berlin: 09:00 UTC is 10:00 there, the same date.
    assert response.json() == {
        "date": "2026-11-23",
        "points_awarded": 10,
        "streak": {"current": 1, "longest": 1},
        "new_badges": [],
    }
    habit = as_alice.get(f"/api/habits/{habit_id}").json()
    assert (habit["current_streak"], habit["longest_streak"], habit["checked_today"]) == (
        1,
        1,
        True,
    )


def test_a_repeat_check_in_answers_200_and_awards_nothing(as_alice, clock):
    habit_id = new_habit(as_alice)
    check_in(as_alice, habit_id)

    response = check_in(as_alice, habit_id)

    assert response.status_code == 200
    assert response.json()["points_awarded"] == 0
    assert response.json()["streak"] == {"current": 1, "longest": 1}
    assert as_alice.get("/api/me").json()["points"] == 10


def test_daily_check_ins_earn_10_12_14_16_18_20_20(as_alice, clock):
    habit_id = new_habit(as_alice)
    earned = []
    for _ in range(7):
        earned.append(check_in(as_alice, habit_id).json()["points_awarded"])
        clock.shift(timedelta(days=1))

    assert earned == [10, 12, 14, 16, 18, 20, 20]
    assert as_alice.get("/api/me").json()["points"] == 110


def test_a_missed_day_restarts_the_streak(as_alice, clock):
    habit_id = new_habit(as_alice)
    check_in(as_alice, habit_id)
    clock.shift(timedelta(days=1))
    check_in(as_alice, habit_id)
    clock.shift(timedelta(days=2))

    response = check_in(as_alice, habit_id).json()

    assert response["points_awarded"] == 10
    assert response["streak"] == {"current": 1, "longest": 2}


def test_backfilling_yesterday_joins_the_runs_on_either_side(as_alice, clock):
    habit_id = new_habit(as_alice)
    check_in(as_alice, habit_id)  # Monday
    clock.shift(timedelta(days=2))
    check_in(as_alice, habit_id)  # Wednesday: a new run of 1

    response = check_in(as_alice, habit_id, day="2026-11-24")  # Tuesday, backfilled

    assert response.status_code == 201
    # streak_at(Tuesday) = 2 (Monday, Tuesday): 12 points; the run is now 3 days.
    assert response.json()["points_awarded"] == 12
    assert response.json()["streak"] == {"current": 3, "longest": 3}


@pytest.mark.parametrize("day", ["2026-11-21", "2026-11-24", "2025-11-23"])
def test_a_day_other_than_today_or_yesterday_is_refused(as_alice, clock, day):
    habit_id = new_habit(as_alice)

    response = check_in(as_alice, habit_id, day=day)

    assert response.status_code == 400
    assert "date" in response.json()
    assert as_alice.get("/api/me").json()["points"] == 0


@pytest.mark.parametrize("day", ["yesterday", "2026-13-01", "23/11/2026"])
def test_a_malformed_date_is_refused(as_alice, clock, day):
    response = check_in(as_alice, new_habit(as_alice), day=day)

    assert response.status_code == 400


def test_current_streak_runs_to_yesterday_until_today_is_checked(as_alice, clock):
    habit_id = new_habit(as_alice)
    check_in(as_alice, habit_id)
    clock.shift(timedelta(days=1))

    assert as_alice.get(f"/api/habits/{habit_id}").json()["current_streak"] == 1
    clock.shift(timedelta(days=1))
    assert as_alice.get(f"/api/habits/{habit_id}").json()["current_streak"] == 0


@pytest.mark.parametrize(
    ("moment", "day_start_hour", "expected_day"),
    [
        (datetime(2026, 11, 23, 1, 30, tzinfo=UTC), 4, "2026-11-22"),  # 02:30 Berlin, before 04:00
        (datetime(2026, 11, 23, 3, 0, tzinfo=UTC), 4, "2026-11-23"),  # 04:00 Berlin
        (datetime(2026, 11, 22, 23, 30, tzinfo=UTC), 0, "2026-11-23"),  # 00:30 Berlin
    ],
)
def test_the_players_day_follows_their_time_zone_and_day_start(
    db, moment, day_start_hour, expected_day
):
    player = make_player("dana", timezone="Europe/Berlin", day_start_hour=day_start_hour)
    client = client_for(player)
    with time_machine.travel(moment, tick=False):
        habit_id = new_habit(client)
        response = check_in(client, habit_id)

    assert response.json()["date"] == expected_day


def test_a_check_in_across_the_spring_dst_change_counts_the_right_day(db):
    # New York springs forward on 2026-03-08: 02:00 EST becomes 03:00 EDT.
    player = make_player("erin", timezone="America/New_York", day_start_hour=3)
    client = client_for(player)
    with time_machine.travel(datetime(2026, 3, 8, 6, 59, tzinfo=UTC), tick=False):  # 01:59 EST
        habit_id = new_habit(client)
        before = check_in(client, habit_id).json()
    with time_machine.travel(datetime(2026, 3, 8, 7, 0, tzinfo=UTC), tick=False):  # 03:00 EDT
        after = check_in(client, habit_id).json()

    assert (before["date"], after["date"]) == ("2026-03-07", "2026-03-08")
    assert (before["points_awarded"], after["points_awarded"]) == (10, 12)


def test_check_ins_write_nothing_to_postgres(as_alice, clock):
    habit_id = new_habit(as_alice)

    with CaptureQueriesContext(connection) as queries:
        check_in(as_alice, habit_id)
        check_in(as_alice, habit_id)
        check_in(as_alice, habit_id, day=str(date(2026, 11, 22)))

    assert no_writes(queries.captured_queries) == []
