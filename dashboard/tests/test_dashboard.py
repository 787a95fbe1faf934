"""The dashboard page and its htmx partials (the player card, the habits list)."""

import json
from datetime import date, timedelta

import pytest
from django.test import Client

from gameplay import boards
from habits.models import Habit
from habits.services import habit_check_in, habit_create
from sessions_app.services import focus_session_complete, focus_session_start
from testkit.personas import T0

pytestmark = pytest.mark.django_db


def browser_of(player) -> Client:
    client = Client()
    client.force_login(player)
    return client


@pytest.fixture
def alices_read(alice):
    return habit_create(player=alice, name="Read")


def test_the_dashboard_shows_alices_live_progress_board_and_running_session(alice, bob, clock):
    started = focus_session_start(
        player=bob, planned_minutes=25, habit_id=None, now=T0 - timedelta(minutes=25)
    )
    focus_session_complete(player=bob, session_id=started.id, focused_seconds=1500, now=T0)
    running = focus_session_start(
        player=alice, planned_minutes=50, habit_id=None, now=T0 - timedelta(minutes=12)
    )
    boards.feed()  # bob's award onto the global board, as the running pusher does

    response = browser_of(alice).get("/dashboard/")

    assert response.status_code == 200
    assert response.context["points"] == 0
    assert response.context["level_span"] == 100
    assert [b["code"] for b in response.context["badges"]] == [
        "first_focus",
        "focus_10",
        "deep_work",
        "streak_7",
        "streak_30",
        "points_1000",
    ]
    data = response.context["page_data"]
    assert data["playerId"] == alice.pk
    assert data["earnedBadges"] == []
    assert data["badgeTitles"]["deep_work"] == "Deep work"
    assert data["boards"]["all"]["entries"] == [
        {"rank": 1, "user_id": bob.pk, "display_name": "Bob", "points": 35}
    ]
    assert data["running"] == {
        "id": running.id,
        "started_at": (T0 - timedelta(minutes=12)).isoformat(),
        "elapsed_seconds": 720.0,
        "planned_minutes": 50,
    }
    assert response.context["community"]["focus_minutes"] == 25
    assert 'id="dashboard-data"' in response.content.decode()


def test_the_player_card_shows_points_level_progress_and_earned_badges(alice, clock):
    started = focus_session_start(
        player=alice, planned_minutes=90, habit_id=None, now=T0 - timedelta(minutes=90)
    )
    focus_session_complete(player=alice, session_id=started.id, focused_seconds=5400, now=T0)

    response = browser_of(alice).get("/dashboard/player")

    assert response.status_code == 200
    card = response.context
    assert (card["points"], card["level"], card["level_points"], card["level_span"]) == (
        100,
        2,
        0,
        200,
    )
    assert [b["code"] for b in card["badges"] if b["earned"]] == ["first_focus", "deep_work"]
    assert 'data-testid="points">100<' in response.content.decode()


def test_a_check_in_answers_the_list_and_announces_the_award(alice, alices_read, clock):
    response = browser_of(alice).post(
        f"/dashboard/habits/{alices_read.pk}/check-in", {"day": "today"}, HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 201
    assert json.loads(response["HX-Trigger"]) == {
        "fq-progress": {"points_awarded": 10, "new_badges": [], "points": 10, "level": 1}
    }
    [row] = response.context["habit_rows"]
    assert (row["state"].current_streak, row["state"].checked_today) == (1, True)
    assert row["yesterday_checked"] is False
    assert "Checked in “Read” for today: +10 points, 1-day streak." in response.content.decode()


def test_yesterdays_backfill_joins_todays_streak(alice, alices_read, clock):
    browser = browser_of(alice)
    browser.post(f"/dashboard/habits/{alices_read.pk}/check-in", {"day": "today"})

    response = browser.post(f"/dashboard/habits/{alices_read.pk}/check-in", {"day": "yesterday"})

    assert response.status_code == 201
    [row] = response.context["habit_rows"]
    assert (row["state"].current_streak, row["state"].longest_streak) == (2, 2)
    assert row["yesterday_checked"] is True


def test_a_repeated_check_in_answers_200_and_awards_nothing(alice, alices_read, clock):
    habit_check_in(player=alice, habit=alices_read, day=None, now=T0)

    response = browser_of(alice).post(f"/dashboard/habits/{alices_read.pk}/check-in")

    assert response.status_code == 200
    assert json.loads(response["HX-Trigger"])["fq-progress"]["points_awarded"] == 0


def test_a_check_in_for_another_day_is_refused_with_400(alice, alices_read, clock):
    response = browser_of(alice).post(
        f"/dashboard/habits/{alices_read.pk}/check-in", {"day": "2026-11-20"}
    )

    assert response.status_code == 400
    assert response.context["habit_rows"][0]["error"] == "Check in for today or yesterday."
    assert "HX-Trigger" not in response


def test_alice_adds_renames_and_deletes_a_habit(alice, clock):
    browser = browser_of(alice)

    created = browser.post("/dashboard/habits", {"name": "  Stretch  "})
    habit = Habit.objects.get(player=alice)
    renamed = browser.post(f"/dashboard/habits/{habit.pk}/rename", {"name": "Stretch 5 min"})
    deleted = browser.post(f"/dashboard/habits/{habit.pk}/delete")

    assert created.status_code == 201
    assert habit.name == "Stretch"
    assert renamed.status_code == 200
    assert "Renamed “Stretch” to “Stretch 5 min”." in renamed.content.decode()
    assert deleted.status_code == 200
    assert deleted.context["habit_rows"] == []
    assert Habit.objects.get(pk=habit.pk).deleted_at == T0


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("", "This field is required."),
        ("   ", "This field is required."),
        ("x" * 81, "Ensure this value has at most 80 characters (it has 81)."),
    ],
)
def test_a_bad_habit_name_is_refused_with_400_and_nothing_is_written(
    alice, alices_read, name, error
):
    browser = browser_of(alice)

    added = browser.post("/dashboard/habits", {"name": name})
    renamed = browser.post(f"/dashboard/habits/{alices_read.pk}/rename", {"name": name})

    assert (added.status_code, renamed.status_code) == (400, 400)
    assert added.context["habit_new_error"] == error
    assert renamed.context["habit_rows"][0]["error"] == error
    assert list(Habit.objects.filter(player=alice).values_list("name", flat=True)) == ["Read"]


def test_charlie_can_neither_see_nor_change_alices_habit(alice, charlie, alices_read, clock):
    browser = browser_of(charlie)

    answers = [
        browser.post(f"/dashboard/habits/{alices_read.pk}/check-in").status_code,
        browser.post(f"/dashboard/habits/{alices_read.pk}/rename", {"name": "Mine"}).status_code,
        browser.post(f"/dashboard/habits/{alices_read.pk}/delete").status_code,
    ]

    assert answers == [404, 404, 404]
    assert browser.get("/dashboard/habits").context["habit_rows"] == []
    alices_read.refresh_from_db()
    assert (alices_read.name, alices_read.deleted_at) == ("Read", None)
    days = habit_check_in(player=alice, habit=alices_read, day=None, now=T0)
    assert days.points_awarded == 10  # charlie's check-in did not take alice's day


def test_a_partial_without_a_session_sends_htmx_to_the_login_page(db):
    htmx = Client().get("/dashboard/player", HTTP_HX_REQUEST="true")
    plain = Client().get("/dashboard/player")

    assert htmx.status_code == 204
    assert htmx["HX-Redirect"] == "/login/?next=/dashboard/"
    assert plain.status_code == 302
    assert plain["Location"].startswith("/login/")


def test_the_landing_page_shows_todays_community_counters(alice, clock):
    habit_check_in(player=alice, habit=habit_create(player=alice, name="Read"), day=None, now=T0)

    response = Client().get("/")

    assert response.status_code == 200
    assert response.context["community"] == {
        "date": date(2026, 11, 23),
        "focus_minutes": 0,
        "sessions": 0,
        "active_players": 1,
    }
