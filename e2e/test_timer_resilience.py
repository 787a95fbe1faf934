"""The focus timer runs in the browser: it survives reloads, and its completion survives
a failing network or server until the server accepts it, exactly once."""

import re
import time

import pytest
from playwright.sync_api import Page, Route, expect

from gameplay import keys, live
from gameplay.models import LedgerEntry
from testkit.actions import backdate_running_session, wait_for_flush
from testkit.personas import log_in, make_player

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

OUTBOX = "fq:outbox:{}"


@pytest.fixture
def alice(db):
    return make_player("alice", display_name="Alice")


@pytest.fixture
def alices_dashboard(page: Page, alice, stack) -> Page:
    log_in(page.context, alice, stack)
    page.clock.install()
    page.goto("/dashboard/")
    expect(page.locator("#live-state")).to_have_attribute("data-state", "live")
    return page


def outbox(page: Page, player) -> list:
    return page.evaluate(f"JSON.parse(localStorage.getItem('{OUTBOX.format(player.pk)}') || '[]')")


def seconds_left(page: Page) -> int:
    minutes, seconds = page.locator("#timer-left").inner_text().split(":")
    return int(minutes) * 60 + int(seconds)


def wait_until(page: Page, condition, timeout: float = 15) -> None:
    # Route handlers run while Playwright waits, so wait in Playwright, not in time.sleep.
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        page.wait_for_timeout(100)


def completions_in_ledger(player) -> list[int]:
    wait_for_flush()
    return list(
        LedgerEntry.objects.filter(
            player=player, kind=LedgerEntry.Kind.SESSION_COMPLETED
        ).values_list("points", flat=True)
    )


def test_a_completion_answered_503_is_kept_and_accepted_exactly_once_after_recovery(
    alices_dashboard: Page, alice
):
    page = alices_dashboard
    server_down = True
    refused, let_through = [], []

    def complete_endpoint(route: Route) -> None:
        if server_down:
            refused.append(route.request.post_data_json)
            route.fulfill(status=503, headers={"Retry-After": "1"}, json={"detail": "Busy."})
        else:
            let_through.append(route.request.post_data_json)
            route.continue_()

    page.route(re.compile(r".*/api/sessions/[^/]+/complete$"), complete_endpoint)
    page.get_by_role("button", name="Start focusing").click()
    expect(page.locator("#timer")).to_have_attribute("data-state", "running")
    backdate_running_session(alice, minutes=25)
    page.clock.fast_forward(25 * 60 * 1000)

    outbox_notice = page.locator("#timer-outbox")
    expect(outbox_notice).to_contain_text("1 completed session waiting for the server")
    [kept] = outbox(page, alice)
    assert kept["kind"] == "complete" and kept["body"] == {"focused_seconds": 1500}
    assert live.player_snapshot(player_id=alice.pk).points == 0

    # Still kept across a reload, and the session it finished is not picked up again.
    page.reload()
    expect(outbox_notice).to_contain_text("1 completed session waiting for the server")
    expect(page.locator("#timer")).to_have_attribute("data-state", "idle")
    tried = len(refused)
    wait_until(page, lambda: len(refused) >= tried + 2)  # the reloaded page keeps trying
    assert all(body == {"focused_seconds": 1500} for body in refused)
    assert live.player_snapshot(player_id=alice.pk).points == 0

    server_down = False
    expect(page.locator("#timer-status")).to_have_text(
        "Session complete: 25 focused minutes, +35 points.", timeout=15000
    )
    expect(outbox_notice).to_be_hidden()
    assert outbox(page, alice) == []
    expect(page.locator("#player-card").get_by_test_id("points")).to_have_text("35")

    page.wait_for_timeout(3000)  # nothing more is sent once it was accepted
    assert let_through == [{"focused_seconds": 1500}]
    assert live.player_snapshot(player_id=alice.pk).points == 35
    assert completions_in_ledger(alice) == [35]


def test_a_completion_made_offline_is_sent_when_the_browser_is_back_online(
    alices_dashboard: Page, alice
):
    page = alices_dashboard
    page.get_by_label("Custom", exact=True).check()
    page.get_by_label(re.compile("^Custom length in minutes")).fill("5")
    page.get_by_role("button", name="Start focusing").click()
    expect(page.locator("#timer")).to_have_attribute("data-state", "running")
    backdate_running_session(alice, minutes=5)

    page.context.set_offline(True)
    page.clock.fast_forward(5 * 60 * 1000)
    expect(page.locator("#timer-outbox")).to_contain_text("1 completed session waiting")
    assert live.player_snapshot(player_id=alice.pk).points == 0

    page.context.set_offline(False)
    expect(page.locator("#timer-status")).to_have_text(
        "Session complete: 5 focused minutes, +15 points.", timeout=15000
    )
    assert outbox(page, alice) == []
    assert completions_in_ledger(alice) == [15]


def test_the_timer_survives_a_reload_while_running_and_while_paused(page: Page, alice, stack):
    # Real time here: the reload must not depend on the test's clock.
    log_in(page.context, alice, stack)
    page.goto("/dashboard/")
    page.get_by_label("50 min").check()
    page.get_by_role("button", name="Start focusing").click()
    timer = page.locator("#timer")
    expect(timer).to_have_attribute("data-state", "running")
    expect(page.get_by_role("button", name="Pause")).to_be_focused()
    page.wait_for_function("document.getElementById('timer-left').textContent <= '49:57'")

    page.reload()
    expect(timer).to_have_attribute("data-state", "running")
    assert 49 * 60 + 40 <= seconds_left(page) <= 49 * 60 + 57

    page.get_by_role("button", name="Pause").click()
    expect(timer).to_have_attribute("data-state", "paused")
    paused_at = seconds_left(page)
    page.reload()
    expect(timer).to_have_attribute("data-state", "paused")
    page.wait_for_timeout(1500)
    assert seconds_left(page) == paused_at

    page.get_by_role("button", name="Resume").click()
    expect(timer).to_have_attribute("data-state", "running")
    page.wait_for_function(
        "left => document.getElementById('timer-left').textContent < left",
        arg=f"{paused_at // 60:02d}:{paused_at % 60:02d}",
    )

    page.get_by_role("button", name="Abandon").click()
    expect(page.locator("#timer-status")).to_have_text("Session abandoned. No points this time.")
    expect(timer).to_have_attribute("data-state", "idle")
    assert not live.client().exists(keys.running_session(alice.pk))
    assert live.player_snapshot(player_id=alice.pk).points == 0
