"""A new player's first minutes: sign up, focus, check in, and watch the card change."""

import re

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from gameplay import live
from testkit.actions import backdate_running_session

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]


def test_a_new_player_signs_up_focuses_checks_in_and_sees_points_level_and_badges(
    page: Page, stack
):
    # The page's clock is Playwright's, so the 90 minutes can pass in an instant.
    page.clock.install()
    page.goto("/signup/")
    page.fill("#id_username", "alice")
    page.fill("#id_display_name", "Alice")
    page.fill("#id_password1", "a-long-enough-passphrase")
    page.fill("#id_password2", "a-long-enough-passphrase")
    page.get_by_role("button", name="Sign up").click()
    expect(page).to_have_url(f"{stack.http}/dashboard/")
    alice = User.objects.get(username="alice")

    card = page.locator("#player-card")
    expect(card.get_by_test_id("points")).to_have_text("0")
    expect(card.get_by_test_id("level")).to_have_text("1")
    expect(card.locator("[data-badge=first_focus]")).to_have_class(re.compile("locked"))
    expect(page.locator("#live-state")).to_have_attribute("data-state", "live")

    page.get_by_label("90 min").check()
    page.get_by_role("button", name="Start focusing").click()
    expect(page.locator("#timer")).to_have_attribute("data-state", "running")
    backdate_running_session(alice, minutes=90)
    page.clock.fast_forward(90 * 60 * 1000)

    # The timer completes by itself at zero: 90 minutes + the full-session bonus of 10.
    expect(page.locator("#timer-status")).to_have_text(
        "Session complete: 90 focused minutes, +100 points."
    )
    expect(card.get_by_test_id("points")).to_have_text("100")
    expect(card.get_by_test_id("level")).to_have_text("2")
    expect(card.get_by_test_id("level-progress")).to_have_text("0 / 200")
    expect(card.locator("[data-badge=first_focus]")).to_have_class(re.compile("earned"))
    expect(card.locator("[data-badge=deep_work]")).to_have_class(re.compile("earned"))
    expect(card.locator("[data-badge=focus_10]")).to_have_class(re.compile("locked"))
    toasts = page.locator("#toasts")
    expect(toasts).to_contain_text("Badge earned: First focus!")
    expect(toasts).to_contain_text("Badge earned: Deep work!")
    expect(toasts).to_contain_text("Level up! You reached level 2.")

    habits = page.locator("#habits")
    habits.get_by_label("New habit").fill("Read 20 pages")
    habits.get_by_role("button", name="Add").click()
    habit = habits.locator(".habit", has_text="Read 20 pages")
    expect(habit.get_by_test_id("streak")).to_contain_text("0-day streak")

    habit.get_by_role("button", name="Check in “Read 20 pages” for today").click()
    expect(habit.get_by_text("✓ Done today")).to_be_visible()
    expect(habit.get_by_test_id("streak")).to_contain_text("1-day streak")
    expect(page.locator("#habits-status")).to_have_text(
        "Checked in “Read 20 pages” for today: +10 points, 1-day streak."
    )
    expect(card.get_by_test_id("points")).to_have_text("110")

    # Yesterday's backfill is scored by its own streak (1 day): another 10.
    habit.get_by_role("button", name="Yesterday too").click()
    expect(habit.get_by_test_id("streak")).to_contain_text("2-day streak")
    expect(habit.get_by_test_id("streak")).to_contain_text("best 2")
    expect(habit.get_by_role("button", name="Yesterday too")).to_have_count(0)
    expect(card.get_by_test_id("points")).to_have_text("120")
    expect(card.get_by_test_id("level-progress")).to_have_text("20 / 200")
    expect(card.get_by_test_id("weekly-points")).to_have_text("120")
    expect(card.get_by_test_id("rank-all")).to_have_text("#1")

    assert live.player_snapshot(player_id=alice.pk).points == 120
