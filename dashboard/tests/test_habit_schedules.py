"""The habits card with schedules: choosing one when adding a habit, each habit's schedule,
streak unit and week, its last days (rest days, freezes, misses) and the freezes held.

The assertions read the text a player sees (the partial's HTML without its tags)."""

import re
from datetime import timedelta

import pytest

from gameplay import rules
from habits.models import Habit
from habits.services import habit_check_in, habit_create
from testkit.personas import T0, browser_for

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


def words(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", "", html).split())


def text_of(response) -> str:
    """The page's words with the tags gone and the spaces collapsed."""
    return words(response.content.decode())


def head_of(response, habit) -> str:
    """What one habit's row says of it: name, schedule, streak, week."""
    found = re.search(
        rf'data-habit="{habit.pk}">\s*<div class="habit-head">(.*?)</div>',
        response.content.decode(),
        re.S,
    )
    assert found, f"no row of {habit}"
    return words(found[1])


def day_of(response, iso: str) -> tuple[str, str]:
    """How the habit strip shows one day: its mark, and the words a screen reader hears."""
    found = re.search(
        rf'<li class="day" data-mark="(\w+)" data-date="{iso}".*?'
        r'<span class="visually-hidden">(.*?)</span>',
        response.content.decode(),
        re.S,
    )
    assert found, f"no {iso} in the strip"
    return found[1], found[2]


def check_in_days(player, habit, *, first, days: int) -> None:
    """Check-ins through the service on `days` days running from `first` (a moment)."""
    for n in range(days):
        habit_check_in(player=player, habit=habit, day=None, now=first + n * DAY)


# --- Each habit's schedule, streak and days -------------------------------------------------


def test_a_habit_resting_at_weekends_keeps_its_streak_over_them(alice, clock):
    read = habit_create(
        player=alice, name="Read", schedule=rules.Schedule(rest_days=frozenset({6, 7})), now=T0
    )
    check_in_days(alice, read, first=T0, days=5)  # Monday to Friday
    clock.move_to(T0 + 7 * DAY)  # the next Monday, not checked in yet

    response = browser_for(alice).get("/dashboard/habits")

    assert head_of(response, read) == "Read Daily · rests Sat, Sun 5-day streak · best 5"
    assert day_of(response, "2026-11-27") == ("done", "Fri 27 Nov: checked in")
    assert day_of(response, "2026-11-28") == ("rest", "Sat 28 Nov: rest day")
    assert day_of(response, "2026-11-29") == ("rest", "Sun 29 Nov: rest day")
    assert day_of(response, "2026-11-30") == ("open", "Mon 30 Nov: today, not checked in yet")


def test_a_weekly_habit_shows_its_week_and_the_check_in_that_meets_it(alice, clock):
    run = habit_create(
        player=alice, name="Run", schedule=rules.Schedule(kind="weekly", target=3), now=T0
    )
    habit_check_in(player=alice, habit=run, day=None, now=T0)  # Monday
    habit_check_in(player=alice, habit=run, day=None, now=T0 + 2 * DAY)  # Wednesday
    clock.move_to(T0 + 3 * DAY)
    browser = browser_for(alice)

    before = browser.get("/dashboard/habits")
    met = browser.post(f"/dashboard/habits/{run.pk}/check-in", {"day": "today"})

    assert head_of(before, run) == "Run 3× a week 2/3 this week 0-week streak · best 0"
    # Tuesday is no missed day: a weekly habit expects no single day.
    assert day_of(before, "2026-11-24") == ("unchecked", "Tue 24 Nov: no check-in")
    assert head_of(met, run) == "Run 3× a week 3/3 this week ✓ 1-week streak · best 1"
    # 10 for the check-in and 3 × 5 for meeting the week.
    assert "Checked in “Run” for today: +25 points, 3/3 this week." in text_of(met)


def test_a_missed_day_spends_the_freeze_a_week_earned_and_the_strip_shows_it(alice, clock):
    read = habit_create(player=alice, name="Read", now=T0)
    check_in_days(alice, read, first=T0, days=7)  # Monday to Sunday: a freeze earned
    browser = browser_for(alice)
    clock.move_to(T0 + 6 * DAY)
    earned = browser.get("/dashboard/habits")
    clock.move_to(T0 + 8 * DAY)  # Monday 30 November missed; Tuesday's first read

    spent = browser.get("/dashboard/habits")

    assert "❄ 1/2 freezes" in text_of(earned)
    assert "❄ 0/2 freezes" in text_of(spent)
    assert head_of(spent, read) == "Read Daily 7-day streak · best 7"
    assert day_of(spent, "2026-11-30") == (
        "frozen",
        "Mon 30 Nov: missed, and a freeze kept the streak",
    )
    assert 'title="Mon 30 Nov: missed, and a freeze kept the streak"' in spent.content.decode()
    # Backfilling the frozen day is still offered: it gives the freeze back.
    assert f'id="backfill-{read.pk}"' in spent.content.decode()


def test_a_day_missed_without_a_freeze_reads_as_missed(alice, clock):
    read = habit_create(player=alice, name="Read", now=T0)
    check_in_days(alice, read, first=T0, days=2)
    clock.move_to(T0 + 3 * DAY)

    response = browser_for(alice).get("/dashboard/habits")

    assert day_of(response, "2026-11-25") == ("missed", "Wed 25 Nov: missed")
    assert head_of(response, read) == "Read Daily 0-day streak · best 2"
    # The days before the habit existed say nothing.
    assert '<li class="day" data-mark="before" aria-hidden="true"></li>' in (
        response.content.decode()
    )


def test_the_dashboard_page_shows_the_freezes_held(alice, clock):
    page = browser_for(alice).get("/dashboard/")

    assert "❄ 0/2 freezes" in text_of(page)
    assert "Every 7-day streak of a daily habit earns one" in text_of(page)


# --- Choosing a schedule ------------------------------------------------------------------


def test_alice_adds_a_daily_habit_that_rests_at_weekends(alice, clock):
    response = browser_for(alice).post(
        "/dashboard/habits", {"name": "Read", "kind": "daily", "rest_days": ["6", "7"]}
    )

    assert response.status_code == 201
    habit = Habit.objects.get(player=alice)
    assert habit.schedule == rules.Schedule(rest_days=frozenset({6, 7}))
    assert head_of(response, habit) == "Read Daily · rests Sat, Sun 0-day streak · best 0"


def test_alice_adds_a_habit_three_times_a_week(alice, clock):
    response = browser_for(alice).post(
        "/dashboard/habits", {"name": "Run", "kind": "weekly", "target": "3"}
    )

    assert response.status_code == 201
    habit = Habit.objects.get(player=alice)
    assert habit.schedule == rules.Schedule(kind="weekly", target=3)
    assert head_of(response, habit) == "Run 3× a week 0/3 this week 0-week streak · best 0"


def test_the_fields_of_the_kind_not_chosen_are_left_out(alice, clock):
    # The page hides them, but a box ticked before switching is still sent.
    weekly = browser_for(alice).post(
        "/dashboard/habits", {"name": "Run", "kind": "weekly", "target": "2", "rest_days": "6"}
    )
    daily = browser_for(alice).post(
        "/dashboard/habits", {"name": "Read", "kind": "daily", "target": "4"}
    )

    assert (weekly.status_code, daily.status_code) == (201, 201)
    assert [h.schedule for h in Habit.objects.filter(player=alice)] == [
        rules.Schedule(kind="weekly", target=2),
        rules.Schedule(),
    ]


@pytest.mark.parametrize(
    ("sent", "error"),
    [
        (
            {"kind": "daily", "rest_days": [str(d) for d in range(1, 8)]},
            "A daily habit has at most 6 rest days.",
        ),
        ({"kind": "daily", "rest_days": ["6", "6"]}, "Each rest day may be named once."),
        ({"kind": "weekly", "target": "7"}, "A weekly target is 1 to 6 times a week."),
        ({"kind": "weekly"}, "A weekly target is 1 to 6 times a week."),
    ],
)
def test_a_schedule_the_rules_refuse_is_shown_beside_the_form_and_nothing_is_written(
    alice, clock, sent, error
):
    response = browser_for(alice).post("/dashboard/habits", {"name": "Read", **sent})

    assert response.status_code == 400
    html = response.content.decode()
    assert f'<p class="error" id="habit-schedule-error" role="alert">{error}</p>' in html
    # The form keeps what Alice chose, so she corrects it rather than starting again.
    assert 'value="Read"' in html
    assert f'value="{sent["kind"]}" checked' in html
    assert not Habit.objects.filter(player=alice).exists()
