"""The fair-play queue over flushed history: who is flagged and why, dismissals that
hold until new evidence, and hiding from the queue."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission

from gameplay import keys, live
from habits.models import Habit
from moderation.models import FairPlayDismissal
from moderation.selectors import fairplay_queue
from pipeline import flush
from testkit.actions import check_in, focus_session
from testkit.db import log_messages
from testkit.personas import T0, browser_for, make_player

pytestmark = pytest.mark.django_db

DAY = T0 - timedelta(days=2)  # Saturday 2026-11-21, 09:00 UTC


@pytest.fixture(autouse=True)
def thresholds(settings):
    settings.FAIRPLAY_WINDOW_DAYS = 7
    settings.FAIRPLAY_MAX_FOCUS_MINUTES_PER_DAY = 600
    settings.FAIRPLAY_MAX_LENGTH_STREAK = 2
    settings.FAIRPLAY_BACK_TO_BACK_GAP_MINUTES = 10
    settings.FAIRPLAY_POINTS_PER_HOUR_FACTOR = 8.0
    settings.FAIRPLAY_POINTS_PER_HOUR_FLOOR = 100


def back_to_back(player, *, start, planned, count, gap=timedelta(minutes=5)):
    moment = start
    for _ in range(count):
        focus_session(player, start=moment, planned=planned)
        moment += timedelta(minutes=planned) + gap
    return moment


@pytest.fixture
def history(alice, bob, charlie, clock):
    """alice: three full 180-minute sessions back to back (190 points an hour);
    bob: 680 focus minutes in a day in 170-minute sessions (180 an hour);
    charlie: 30 check-ins in one hour (300 points); four others: one 25-minute session
    (35 an hour), which puts the median at 35 and the limit at 8 x 35 = 280."""
    back_to_back(alice, start=DAY - timedelta(hours=1), planned=180, count=3)
    back_to_back(bob, start=DAY - timedelta(hours=2), planned=170, count=4)
    for index in range(30):
        habit = Habit.objects.create(player=charlie, name=f"h{index}")
        check_in(charlie, habit, now=DAY + timedelta(minutes=index))
    for name in ("dave", "erin", "frank", "grace"):
        focus_session(make_player(name), start=DAY, planned=25)
    flush.flush_pending()


def queue_view(now=T0):
    return {
        item.player.username: {flag.rule: flag.evidence for flag in item.flags}
        for item in fairplay_queue(now=now)
    }


def test_the_queue_flags_exactly_the_implausible_players_with_their_evidence(history):
    assert queue_view() == {
        "alice": {
            "max_length_streak": [
                "3 full 180-minute sessions in a row from 2026-11-21 08:00 to 2026-11-21 17:10 "
                "UTC (more than 2)"
            ]
        },
        "bob": {"focus_per_day": ["2026-11-21: 680 focus minutes in 4 sessions (more than 600)"]},
        "charlie": {
            "points_per_hour": [
                "300 points per hour (300 points in 1 active hour); median 35 across "
                "7 players, limit 280"
            ]
        },
    }


def test_activity_older_than_the_window_is_not_evidence(history):
    assert queue_view(now=T0 + timedelta(days=6)) == {}


def test_mo_sees_the_queue_with_the_evidence_and_the_actions(history, as_mo_admin):
    response = as_mo_admin.get("/admin/moderation/fairplaydismissal/")

    assert response.status_code == 200
    html = response.content.decode()
    assert [item.player.username for item in response.context["queue"]] == [
        "alice",
        "bob",
        "charlie",
    ]
    assert "2026-11-21: 680 focus minutes in 4 sessions (more than 600)" in html
    assert html.count('value="Dismiss"') == 3
    assert html.count('value="Hide from the leaderboards"') == 3


def dismiss(browser, player, rule, seen_through):
    return browser.post(
        "/admin/moderation/fairplaydismissal/dismiss/",
        {"player": player.pk, "rule": rule, "seen_through": seen_through},
        follow=True,
    )


def test_a_dismissed_flag_stays_dismissed_until_new_evidence(
    history, as_mo_admin, mo, alice, clock
):
    (item,) = [i for i in fairplay_queue(now=T0) if i.player == alice]
    seen = item.flags[0].latest_at.isoformat()

    response = dismiss(as_mo_admin, alice, "max_length_streak", seen)

    assert "alice" not in [i.player.username for i in response.context["queue"]]
    assert list(queue_view()) == ["bob", "charlie"]
    dismissal = FairPlayDismissal.objects.get()
    assert (dismissal.player, dismissal.rule, dismissal.dismissed_by) == (
        alice,
        "max_length_streak",
        mo,
    )
    assert log_messages(mo) == [
        'Dismissed the fair-play flag "Back-to-back maximum-length sessions".'
    ]

    # The next day alice plays three more in a row: new evidence.
    back_to_back(alice, start=DAY + timedelta(days=1), planned=180, count=3)
    flush.flush_pending()

    assert queue_view()["alice"]["max_length_streak"] == [
        "3 full 180-minute sessions in a row from 2026-11-21 08:00 to 2026-11-21 17:10 "
        "UTC (more than 2)",
        "3 full 180-minute sessions in a row from 2026-11-22 09:00 to 2026-11-22 18:10 "
        "UTC (more than 2)",
    ]


def test_a_dismissal_of_evidence_that_changed_since_the_page_was_shown_dismisses_nothing(
    history, as_mo_admin, alice
):
    stale = (DAY - timedelta(hours=1)).isoformat()

    response = dismiss(as_mo_admin, alice, "max_length_streak", stale)

    assert [str(m) for m in response.context["messages"]] == [
        "The evidence changed since the queue was shown: review it again."
    ]
    assert FairPlayDismissal.objects.count() == 0
    assert "alice" in queue_view()


def test_a_dismissal_naming_no_rule_or_time_is_refused_with_400(history, as_mo_admin, alice):
    url = "/admin/moderation/fairplaydismissal/dismiss/"
    no_rule = as_mo_admin.post(url, {"player": alice.pk, "rule": "vibes", "seen_through": "x"})
    no_time = as_mo_admin.post(url, {"player": alice.pk, "rule": "focus_per_day"})

    assert (no_rule.status_code, no_time.status_code) == (400, 400)
    assert FairPlayDismissal.objects.count() == 0


def test_hiding_from_the_queue_hides_bob_on_the_boards_and_clears_his_flag(
    history, as_mo_admin, mo, bob, anon
):
    response = as_mo_admin.post(
        "/admin/moderation/fairplaydismissal/hide/", {"player": bob.pk}, follow=True
    )

    assert response.status_code == 200
    assert "bob" not in [i.player.username for i in response.context["queue"]]
    bob.refresh_from_db()
    assert bob.hidden_from_leaderboards is True
    assert live.client().sismember(keys.hidden(keys.shard_of(bob.pk)), bob.pk)
    names = [e["display_name"] for e in anon.get("/api/leaderboard?limit=100").json()["entries"]]
    assert "Bob" not in names and "Alice" in names
    assert log_messages(mo) == ["Hid from the leaderboards."]


def test_alice_cannot_open_the_queue_and_staff_without_permission_get_403(alice, bob):
    assert browser_for(alice).get("/admin/moderation/fairplaydismissal/").status_code == 302
    bob.is_staff = True
    bob.save()
    staff = browser_for(bob)
    assert staff.get("/admin/moderation/fairplaydismissal/").status_code == 403
    assert (
        staff.post("/admin/moderation/fairplaydismissal/hide/", {"player": alice.pk}).status_code
        == 403
    )
    bob.user_permissions.add(Permission.objects.get(codename="view_fairplaydismissal"))
    staff = browser_for(type(bob).objects.get(pk=bob.pk))
    assert staff.get("/admin/moderation/fairplaydismissal/").status_code == 200
    dismissed = staff.post(
        "/admin/moderation/fairplaydismissal/dismiss/",
        {"player": alice.pk, "rule": "focus_per_day", "seen_through": T0.isoformat()},
    )
    assert dismissed.status_code == 403
