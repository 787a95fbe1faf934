"""The leaderboard and the community counters move in other players' browsers, live."""

import time
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from testkit.actions import backdate_running_session, complete_session
from testkit.personas import log_in, make_player

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]


def test_a_second_browser_sees_the_first_players_points_within_two_seconds_without_reloading(
    browser, stack
):
    alice = make_player("alice", display_name="Alice")
    bob = make_player("bob", display_name="Bob")
    bob_context = browser.new_context(base_url=stack.http)
    log_in(bob_context, bob, stack)
    bob_page = bob_context.new_page()
    bob_page.goto("/dashboard/")
    expect(bob_page.locator("#live-state")).to_have_attribute("data-state", "live")
    expect(bob_page.locator("#board-all")).to_contain_text("No points yet")
    bob_page.evaluate("window.sameDocument = true")  # gone if the page reloads

    alice_context = browser.new_context(base_url=stack.http)
    log_in(alice_context, alice, stack)
    alice_page = alice_context.new_page()
    alice_page.clock.install()
    alice_page.goto("/dashboard/")
    alice_page.get_by_role("button", name="Start focusing").click()
    expect(alice_page.locator("#timer")).to_have_attribute("data-state", "running")
    backdate_running_session(alice, minutes=25)
    with alice_page.expect_response("**/complete") as completion:
        alice_page.clock.fast_forward(25 * 60 * 1000)
    assert completion.value.status == 200
    accepted_at = time.monotonic()

    alice_on_bobs_board = bob_page.locator("#board-all li", has_text="Alice")
    expect(alice_on_bobs_board).to_contain_text("35 pts", timeout=2000)
    assert time.monotonic() - accepted_at < 2
    expect(alice_on_bobs_board).to_contain_text("#1")
    community = bob_page.locator("#community")
    expect(community.locator("[data-field=focus_minutes]")).to_have_text("25", timeout=2000)
    expect(community.locator("[data-field=sessions]")).to_have_text("1")
    expect(community.locator("[data-field=active_players]")).to_have_text("1")
    assert bob_page.evaluate("window.sameDocument") is True

    # The weekly tab, reached with the keyboard, has moved too.
    bob_page.get_by_role("tab", name="All time").focus()
    bob_page.keyboard.press("ArrowRight")
    week_tab = bob_page.get_by_role("tab", name="This week")
    expect(week_tab).to_be_focused()
    expect(week_tab).to_have_attribute("aria-selected", "true")
    expect(bob_page.locator("#panel-all")).to_be_hidden()
    expect(bob_page.locator("#board-week li", has_text="Alice")).to_contain_text("35 pts")

    # Alice's own page shows her rank from her news.
    expect(alice_page.locator("#me-all")).to_have_text("Your rank: #1 with 35 points")


def test_the_landing_page_counts_everyones_focus_live(page, stack):
    alice = make_player("alice", display_name="Alice")
    page.goto("/")
    counters = page.locator("#community")
    expect(counters.locator("[data-field=focus_minutes]")).to_have_text("0")
    expect(page.locator("#live-state")).to_have_attribute("data-state", "live")
    page.evaluate("window.sameDocument = true")

    complete_session(alice, minutes=50, now=datetime.now(UTC))
    expect(counters.locator("[data-field=focus_minutes]")).to_have_text("50", timeout=2000)
    expect(counters.locator("[data-field=sessions]")).to_have_text("1")
    expect(counters.locator("[data-field=active_players]")).to_have_text("1")
    assert page.evaluate("window.sameDocument") is True
