"""The settings page moves Alice's days: a habit checked today shows unchecked once her
time zone is one where today is already tomorrow.

The stack runs on the real clock, so the two zones are 24 hours apart at every moment:
American Samoa (UTC-11) and Samoa (UTC+13), the same clock time a day apart."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from habits.services import habit_create
from testkit.personas import log_in, make_player

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

HERE, TOMORROW_ALREADY = "Pacific/Pago_Pago", "Pacific/Apia"


def test_a_habit_checked_today_is_unchecked_after_moving_to_where_it_is_tomorrow(page: Page, stack):
    alice = make_player("alice", display_name="Alice", timezone=HERE)
    habit_create(player=alice, name="Read", now=datetime.now(UTC))
    log_in(page.context, alice, stack)
    page.goto("/dashboard/")
    read = page.locator(".habit", has_text="Read")
    read.get_by_role("button", name="Check in “Read” for today").click()
    expect(read.get_by_text("✓ Done today")).to_be_visible()
    checked = datetime.now(ZoneInfo(HERE)).date()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    zone = page.get_by_label("Time zone")
    expect(zone).to_have_value(HERE)
    zone.fill(TOMORROW_ALREADY)
    page.get_by_role("button", name="Save profile").click()
    expect(page.locator("#profile-status")).to_have_text("Saved.")
    assert User.objects.get(pk=alice.pk).timezone == TOMORROW_ALREADY

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    read = page.locator(".habit", has_text="Read")
    expect(read.get_by_role("button", name="Check in “Read” for today")).to_be_visible()
    expect(read.get_by_text("✓ Done today")).to_have_count(0)
    # Yesterday, in Samoa, is the day she checked in American Samoa.
    expect(read.locator(f'.day[data-date="{checked:%Y-%m-%d}"]')).to_have_attribute(
        "data-mark", "done"
    )
