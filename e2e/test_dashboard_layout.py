"""The dashboard with a few weeks of history, at desktop and at phone width.

It also takes the screenshots in docs/screenshots (run with UPDATE_SCREENSHOTS=1 to
replace them there; otherwise they go to the test's temporary folder).
"""

import os
import re
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from sessions_app.services import focus_session_start
from testkit.actions import complete_session, seed_history, wait_for_flush
from testkit.personas import log_in, make_player

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.fixture
def alice_with_history():
    now = datetime.now(UTC)
    alice = make_player("alice", display_name="Alice")
    seed_history(alice, days=27, now=now, habits=("Read 20 pages", "Stretch", "No phone before 9"))
    others = [("bob", "Bob", 90), ("charlie", "Charlie", 50), ("mo", "Mo", 25)]
    others += [("priya", "Priya", 180), ("jonas", "Jonas", 120), ("keiko", "Keiko", 75)]
    for username, name, minutes in others:
        complete_session(make_player(username, display_name=name), minutes=minutes, now=now)
    # A session running for 12 minutes, which the page picks up from the server.
    focus_session_start(
        player=alice, planned_minutes=50, habit_id=None, now=now - timedelta(minutes=12)
    )
    wait_for_flush()
    return alice


@pytest.mark.parametrize("name", VIEWPORTS)
def test_the_dashboard_fits_the_screen_without_sideways_scrolling(
    name, alice_with_history, browser, stack, tmp_path
):
    viewport = VIEWPORTS[name]
    context = browser.new_context(base_url=stack.http, viewport=viewport)
    log_in(context, alice_with_history, stack)
    page = context.new_page()
    page.goto("/dashboard/")

    expect(page.locator("#live-state")).to_have_attribute("data-state", "live")
    expect(page.locator("#timer")).to_have_attribute("data-state", "running")
    # Picked up 12 minutes into its 50: some 38 minutes left.
    expect(page.locator("#timer-left")).to_have_text(re.compile(r"^3[78]:\d\d$"))
    expect(page.locator("#board-all li")).to_have_count(7)
    expect(page.locator("#habits .habit")).to_have_count(3)
    expect(page.locator("#heatmap .cell")).to_have_count(84)
    page.wait_for_function("() => window.Chart && Chart.getChart('focus-chart')")
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    for card in page.locator(".dashboard .card").all():
        box = card.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]

    page.wait_for_timeout(500)  # the chart's entry animation
    shot = tmp_path / f"dashboard-{name}.png"
    page.screenshot(path=shot, full_page=True)
    if os.environ.get("UPDATE_SCREENSHOTS"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, SCREENSHOTS / shot.name)
    context.close()
