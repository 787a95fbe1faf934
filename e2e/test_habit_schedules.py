"""A habit with a schedule, chosen in the dashboard's form and shown in its row."""

import pytest
from playwright.sync_api import Page, expect

from gameplay import rules
from habits.models import Habit
from testkit.personas import log_in, make_player

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]


def test_alice_adds_a_habit_three_times_a_week_and_checks_it_in(page: Page, stack):
    alice = make_player("alice", display_name="Alice")
    log_in(page.context, alice, stack)
    page.goto("/dashboard/")
    habits = page.locator("#habits")
    expect(habits.get_by_test_id("freezes")).to_contain_text("❄ 0/2 freezes")

    habits.get_by_label("New habit").fill("Run")
    # Weekly hides the rest days and shows the target instead.
    rest_days = habits.get_by_role("group", name="Rest days")
    expect(rest_days).to_be_visible()
    habits.get_by_label("Some days a week").check()
    expect(rest_days).to_be_hidden()
    habits.get_by_label("Times a week").select_option("3")
    habits.get_by_role("button", name="Add", exact=True).click()

    run = habits.locator(".habit", has_text="Run")
    expect(run.get_by_test_id("schedule")).to_have_text("3× a week")
    expect(run.get_by_test_id("week-progress")).to_have_text("0/3 this week")
    expect(run.get_by_test_id("streak")).to_contain_text("0-week streak")
    assert Habit.objects.get(player=alice).schedule == rules.Schedule(kind="weekly", target=3)

    run.get_by_role("button", name="Check in “Run” for today").click()
    expect(run.get_by_test_id("week-progress")).to_have_text("1/3 this week")
    expect(page.locator("#habits-status")).to_have_text(
        "Checked in “Run” for today: +10 points, 1/3 this week."
    )
    expect(run.locator('.day[data-mark="done"]')).to_have_count(1)
