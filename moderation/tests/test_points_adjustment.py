"""mo adjusts points: an event on the normal path, with a reason, in the admin log."""

import pytest
from django.contrib.admin.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command

from accounts.services import moderator_make
from gameplay import boards, live
from gameplay.models import LedgerEntry
from moderation.services import player_points_adjust
from pipeline import flush
from testkit.actions import focus_session
from testkit.db import log_messages
from testkit.personas import T0, client_for

pytestmark = pytest.mark.django_db


def board(client, name="all"):
    # The global boards take awards from the shards' streams: the running pusher feeds
    # them within 0.2 s; here the test does it before it reads.
    boards.feed()
    body = client.get(f"/api/leaderboard?board={name}").json()
    return [(e["display_name"], e["points"], e["rank"]) for e in body["entries"]]


def test_mos_adjustment_reaches_alices_me_and_the_boards_and_the_ledger_after_a_flush(
    as_mo_admin, mo, alice, bob, as_alice, anon, clock, capsys
):
    focus_session(bob, start=T0, planned=25)  # bob: 35 points
    focus_session(alice, start=T0, planned=5)  # alice: 15 points

    response = as_mo_admin.post(
        f"/admin/accounts/user/{alice.pk}/adjust/",
        {"points": "25", "reason": "Timer bug on 23 Nov lost her session"},
    )

    assert response.status_code == 302
    assert response["Location"] == f"/admin/accounts/user/{alice.pk}/change/"
    boards.feed()  # the ranks are read from the global boards
    me = as_alice.get("/api/me").json()
    assert (me["points"], me["weekly_points"], me["rank"]) == (40, 40, {"all": 1, "week": 1})
    assert board(anon) == [("Alice", 40, 1), ("Bob", 35, 2)]
    assert board(anon, "week") == [("Alice", 40, 1), ("Bob", 35, 2)]
    assert not LedgerEntry.objects.filter(kind=LedgerEntry.Kind.ADJUSTMENT).exists()

    flush.flush_pending()

    entry = LedgerEntry.objects.get(kind=LedgerEntry.Kind.ADJUSTMENT)
    assert (entry.player, entry.points, entry.moderator, entry.reason) == (
        alice,
        25,
        mo,
        "Timer bug on 23 Nov lost her session",
    )
    alice.refresh_from_db()
    assert alice.points == 40
    call_command("check_consistency")
    assert "Consistent" in capsys.readouterr().out
    assert log_messages(mo) == ["Adjusted points by +25: Timer bug on 23 Nov lost her session"]


def test_a_negative_adjustment_takes_points_away_on_the_boards(mo, alice, bob, anon, clock):
    focus_session(alice, start=T0, planned=25)
    focus_session(bob, start=T0, planned=5)

    outcome = player_points_adjust(moderator=mo, player=alice, points=-30, reason="Farmed", now=T0)

    assert outcome.totals == {"points": 5, "weekly": 5}
    assert board(anon) == [("Bob", 15, 1), ("Alice", 5, 2)]
    assert client_for(alice).get("/api/me").json()["points"] == 5


@pytest.mark.parametrize(
    ("points", "reason", "field"),
    [
        (0, "nothing to change", "points"),
        (25, "", "reason"),
        (25, "   \n ", "reason"),
        (100_001, "too generous", "points"),
        (-100_001, "too harsh", "points"),
        (True, "a boolean is not a number", "points"),
        (2.5, "half points", "points"),
        (25, "x" * 501, "reason"),
    ],
)
def test_an_adjustment_without_points_or_reason_is_refused_and_writes_nothing(
    mo, alice, clock, points, reason, field
):
    with pytest.raises(ValidationError) as refused:
        player_points_adjust(moderator=mo, player=alice, points=points, reason=reason, now=T0)

    assert list(refused.value.message_dict) == [field]
    assert flush.backlog()["pending"] == 0
    assert live.player_snapshot(player_id=alice.pk).points == 0
    assert LogEntry.objects.count() == 0


def test_the_adjust_form_refuses_a_blank_reason_with_400_and_writes_nothing(
    as_mo_admin, alice, clock
):
    response = as_mo_admin.post(
        f"/admin/accounts/user/{alice.pk}/adjust/", {"points": "25", "reason": "  "}
    )
    zero = as_mo_admin.post(
        f"/admin/accounts/user/{alice.pk}/adjust/", {"points": "0", "reason": "x"}
    )

    assert (response.status_code, zero.status_code) == (400, 400)
    assert response.context["form"].errors == {"reason": ["This field is required."]}
    assert zero.context["form"].errors == {"points": ["Give a number of points other than 0."]}
    assert flush.backlog()["pending"] == 0
    assert LogEntry.objects.count() == 0


def test_the_adjust_form_shows_the_live_total(as_mo_admin, alice, clock):
    focus_session(alice, start=T0, planned=5)

    response = as_mo_admin.get(f"/admin/accounts/user/{alice.pk}/adjust/")

    assert response.status_code == 200
    assert response.context["live_points"] == 15
    assert b'<strong id="live-points">15</strong>' in response.content


def test_mo_cannot_adjust_his_own_points_nor_another_moderators(mo, bob, clock):
    moderator_make(player=bob)

    with pytest.raises(PermissionDenied):
        player_points_adjust(moderator=mo, player=mo, points=100, reason="me", now=T0)
    with pytest.raises(PermissionDenied):
        player_points_adjust(moderator=mo, player=bob, points=100, reason="friend", now=T0)
    assert flush.backlog()["pending"] == 0
    assert LogEntry.objects.count() == 0


def test_the_adjust_page_answers_403_for_a_staff_account_and_404_for_nobody(as_mo_admin, bob):
    moderator_make(player=bob)

    assert as_mo_admin.get(f"/admin/accounts/user/{bob.pk}/adjust/").status_code == 403
    assert as_mo_admin.get("/admin/accounts/user/999999/adjust/").status_code == 404
