"""A player deletes their account on the settings page and leaves the live leaderboard in
another player's browser within 2 seconds, without a reload."""

import time
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from accounts.models import User
from testkit.actions import complete_session, wait_for_flush
from testkit.personas import PASSWORD, log_in, make_player

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]


def test_a_deleted_account_leaves_another_browsers_live_board_within_two_seconds(
    browser, stack, settings
):
    # The servers check the password with the project's hashers, not the tests' fast one.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    alice = make_player("alice", display_name="Alice")
    bob = make_player("bob", display_name="Bob")
    complete_session(alice, minutes=50, now=datetime.now(UTC))
    complete_session(bob, minutes=25, now=datetime.now(UTC))
    wait_for_flush()

    bob_context = browser.new_context(base_url=stack.http)
    log_in(bob_context, bob, stack)
    bob_page = bob_context.new_page()
    bob_page.goto("/dashboard/")
    expect(bob_page.locator("#live-state")).to_have_attribute("data-state", "live")
    board = bob_page.locator("#board-all")
    expect(board.locator("li", has_text="Alice")).to_contain_text("#1")
    bob_page.evaluate("window.sameDocument = true")  # gone if the page reloads

    alice_context = browser.new_context(base_url=stack.http)
    log_in(alice_context, alice, stack)
    alice_page = alice_context.new_page()
    alice_page.goto("/settings/")
    section = alice_page.locator("#delete-account")
    section.get_by_label("Your password, to confirm").fill("not my password")
    section.get_by_role("button", name="Delete my account").click()
    # Refused in place (htmx): the same page, the error beside the field.
    expect(section.get_by_role("alert")).to_contain_text("nothing was deleted")
    assert alice_page.url.endswith("/settings/")
    expect(board.locator("li", has_text="Alice")).to_be_visible()

    section.get_by_label("Your password, to confirm").fill(PASSWORD)
    with alice_page.expect_navigation(url="**/"):
        section.get_by_role("button", name="Delete my account").click()
    deleted_at = time.monotonic()

    expect(board.locator("li", has_text="Alice")).to_have_count(0, timeout=2000)
    assert time.monotonic() - deleted_at < 2
    expect(board.locator("li", has_text="Bob")).to_contain_text("#1")
    assert bob_page.evaluate("window.sameDocument") is True
    # Alice is on the landing page, logged out, told what happened; her name is free.
    expect(alice_page.get_by_role("status").first).to_contain_text("have been deleted")
    expect(alice_page.get_by_role("navigation").get_by_role("link", name="Log in")).to_be_visible()
    assert not User.objects.filter(username="alice").exists()
