"""Habits on the dashboard: add, rename and delete them, with the keyboard alone."""

from datetime import UTC, datetime

import pytest
from playwright.sync_api import Page, expect

from habits.models import Habit
from testkit.personas import log_in, make_player

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]


def test_alice_adds_renames_and_deletes_a_habit_with_the_keyboard(page: Page, stack):
    alice = make_player("alice", display_name="Alice")
    log_in(page.context, alice, stack)
    page.goto("/dashboard/")
    habits = page.locator("#habits")
    expect(habits).to_contain_text("No habits yet")

    habits.get_by_label("New habit").focus()
    page.keyboard.type("Meditate")
    page.keyboard.press("Enter")
    habit = habits.locator(".habit", has_text="Meditate")
    expect(habit).to_be_visible()
    expect(page.locator("#habits-status")).to_have_text("Added “Meditate”.")

    # A name of blanks is refused by the server (400) and the reason shown beside it.
    habits.get_by_label("New habit").fill("   ")
    page.keyboard.press("Enter")
    expect(habits.get_by_role("alert")).to_have_text("This field is required.")
    expect(habits.get_by_label("New habit")).to_have_attribute("aria-invalid", "true")

    habit.locator("summary").focus()
    page.keyboard.press("Enter")  # opens the <details>
    name = habit.get_by_label("Name")
    name.fill("Meditate 10 minutes")
    name.press("Enter")
    expect(page.locator("#habits-status")).to_have_text(
        "Renamed “Meditate” to “Meditate 10 minutes”."
    )
    assert Habit.objects.get(player=alice).name == "Meditate 10 minutes"

    habit = habits.locator(".habit", has_text="Meditate 10 minutes")
    habit.locator("summary").click()
    page.once("dialog", lambda dialog: dialog.accept())
    habit.get_by_role("button", name="Delete habit").focus()
    pressed = datetime.now(UTC)
    page.keyboard.press("Enter")
    expect(habits.locator(".habit")).to_have_count(0)
    expect(page.locator("#habits-status")).to_have_text(
        "Deleted “Meditate 10 minutes”; its points stay."
    )
    # The focus is not lost with the button that held it.
    expect(page.locator("#habits-title")).to_be_focused()
    # The stack runs on the real clock: deleted between the key press and now.
    deleted_at = Habit.objects.get(player=alice).deleted_at
    assert deleted_at is not None and pressed <= deleted_at <= datetime.now(UTC)
