"""A player holds at most 50 habits and creates at most 20 in one local day, deleted
habits included: the create, check in, delete loop cannot mint points without bound."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client

from gameplay import live
from habits.models import Habit
from moderation import fairplay
from moderation.selectors import fairplay_flags
from pipeline import flush
from testkit.personas import T0, client_for, make_player

pytestmark = pytest.mark.django_db


def create(client, name="Read"):
    return client.post("/api/habits", {"name": name}, format="json")


def check_in(client, habit_id, day=None):
    body = {"date": day.isoformat()} if day else {}
    return client.post(f"/api/habits/{habit_id}/check-ins", body, format="json")


def test_the_21st_habit_created_in_one_local_day_is_refused_and_writes_nothing(as_alice, clock):
    for n in range(20):
        habit_id = create(as_alice, f"h{n}").json()["id"]
        assert as_alice.delete(f"/api/habits/{habit_id}").status_code == 204

    response = create(as_alice, "one more")

    assert response.status_code == 400
    assert "20 habits today" in str(response.json())
    assert Habit.objects.count() == 20
    assert Habit.objects.active().count() == 0


def test_a_player_holds_at_most_50_habits(alice, as_alice, clock):
    for day in range(3):
        for n in range(20 if day < 2 else 10):
            assert create(as_alice, f"d{day}h{n}").status_code == 201
        clock.shift(timedelta(days=1))

    response = create(as_alice, "the 51st")

    assert response.status_code == 400
    assert "already have 50 habits" in str(response.json())
    assert Habit.objects.filter(player=alice).count() == 50
    # Deleting one makes room again.
    as_alice.delete(f"/api/habits/{Habit.objects.filter(player=alice).first().pk}")
    assert create(as_alice, "the 51st").status_code == 201


def test_the_creation_limit_follows_the_players_local_day_and_day_start(db):
    # Berlin in winter is UTC+1; with a 04:00 day start the local day turns at 03:00 UTC.
    night_owl = make_player("owl", timezone="Europe/Berlin", day_start_hour=4)
    client = client_for(night_owl)

    with time_machine.travel(datetime(2026, 11, 24, 2, 0, tzinfo=UTC), tick=False) as clock:
        for n in range(20):
            assert create(client, f"h{n}").status_code == 201
        clock.move_to(datetime(2026, 11, 24, 2, 59, 59, tzinfo=UTC))
        assert create(client).status_code == 400
        clock.move_to(datetime(2026, 11, 24, 3, 0, tzinfo=UTC))
        assert create(client).status_code == 201


def test_the_farming_loop_is_bounded_by_the_daily_creation_limit(alice, as_alice, clock):
    today = T0.date()  # T0 is 10:00 in Berlin
    made = 0
    for _ in range(25):
        response = create(as_alice)
        if response.status_code != 201:
            assert response.status_code == 400
            continue
        habit_id = response.json()["id"]
        assert (
            check_in(as_alice, habit_id, today - timedelta(days=1)).json()["points_awarded"] == 10
        )
        assert check_in(as_alice, habit_id).json()["points_awarded"] == 12
        as_alice.delete(f"/api/habits/{habit_id}")
        made += 1

    assert made == 20
    assert live.player_snapshot(player_id=alice.pk).points == 20 * 22


def test_the_fair_play_queue_sees_habit_churn(alice, bob, as_alice, clock):
    for _ in range(6):
        habit_id = create(as_alice).json()["id"]
        check_in(as_alice, habit_id)
        as_alice.delete(f"/api/habits/{habit_id}")
    # Five deletions are within the limit.
    as_bob = client_for(bob)
    for _ in range(5):
        as_bob.delete(f"/api/habits/{create(as_bob).json()['id']}")
    flush.flush_pending()

    flags = [f for f in fairplay_flags(now=T0) if f.rule == fairplay.RULE_HABIT_CHURN]

    assert [f.player_id for f in flags] == [alice.pk]
    assert flags[0].evidence == [
        "6 habits deleted (more than 5), 6 of them within a day of creation; "
        "their check-ins earned 60 points"
    ]
    assert flags[0].latest_at == T0


def test_the_dashboard_form_says_why_the_21st_habit_is_refused(alice, clock):
    browser = Client()
    browser.force_login(alice)
    for n in range(20):
        assert browser.post("/dashboard/habits", {"name": f"h{n}"}).status_code == 201

    response = browser.post("/dashboard/habits", {"name": "one more"})

    assert response.status_code == 400
    assert "You have created 20 habits today" in response.content.decode()
    assert Habit.objects.filter(player=alice).count() == 20
