"""The player page shows mo the live values beside the flushed ones and the whole
history; the list's actions hide, show, deactivate and reactivate many players."""

from datetime import timedelta

import pytest

from accounts.models import User
from accounts.services import moderator_make
from gameplay import keys, live
from habits.models import Habit
from pipeline import flush
from testkit.actions import check_in, focus_session
from testkit.db import log_messages
from testkit.personas import T0

pytestmark = pytest.mark.django_db


def values(response) -> dict[str, tuple]:
    return {v.label: (v.live, v.flushed) for v in response.context["moderation"]["overview"].values}


def hidden_players() -> set:
    """Every shard's hidden set, together."""
    r = live.client()
    return {member for n in keys.shards() for member in r.smembers(keys.hidden(n))}


def test_alices_page_shows_live_values_beside_flushed_ones_and_her_whole_history(
    as_mo_admin, mo, alice, clock
):
    tea = Habit.objects.create(player=alice, name="Tea")
    focus_session(alice, start=T0, planned=25)  # 35 points, first_focus
    check_in(alice, tea, now=T0 + timedelta(hours=1))  # 10 points
    flush.flush_pending()
    # Not flushed yet: live only.
    live.adjust(actor=alice.actor, points=7, moderator_id=mo.pk, reason="bonus", now=T0)

    response = as_mo_admin.get(f"/admin/accounts/user/{alice.pk}/change/")

    assert response.status_code == 200
    assert values(response) == {
        "Points": (52, 45),
        "Completed sessions": (1, 1),
        "Level": (1, 1),
        "Hidden from leaderboards": (False, False),
        "Badges": ("first_focus", "first_focus"),
    }
    page = response.context["moderation"]
    assert [b.code for b in page["overview"].badges] == ["first_focus"]
    assert [(s.planned_minutes, s.status, s.points_awarded) for s in page["sessions"]] == [
        (25, "completed", 35)
    ]
    assert [(c.habit.name, c.points_awarded) for c in page["check_ins"]] == [("Tea", 10)]
    assert [(e.kind, e.points) for e in page["ledger"]] == [
        ("check_in", 10),
        ("session_completed", 35),
        ("session_started", 0),
    ]
    assert page["can_moderate"] is True
    html = response.content.decode()
    assert '<td class="live">52</td>' in html and '<td class="flushed">45</td>' in html
    for button in ("Adjust points", "Hide from the leaderboards", "Deactivate the account"):
        assert button in html


def test_the_ledger_on_the_page_is_paginated_50_at_a_time_newest_first(
    as_mo_admin, mo, alice, clock
):
    for index in range(120):
        live.adjust(
            actor=alice.actor,
            points=index + 1,
            moderator_id=mo.pk,
            reason=f"r{index}",
            now=T0 + timedelta(seconds=index),
        )
    flush.flush_pending()

    first = as_mo_admin.get(f"/admin/accounts/user/{alice.pk}/change/")
    last = as_mo_admin.get(f"/admin/accounts/user/{alice.pk}/change/?ledger_page=3")

    assert first.context["moderation"]["ledger"].paginator.count == 120
    assert [e.points for e in first.context["moderation"]["ledger"]] == list(range(120, 70, -1))
    assert [e.points for e in last.context["moderation"]["ledger"]] == list(range(20, 0, -1))
    assert "page 3 of 3" in last.content.decode()


def test_mo_hides_and_deactivates_many_players_with_the_list_actions(
    as_mo_admin, mo, alice, bob, charlie, clock
):
    def act(action, *players):
        return as_mo_admin.post(
            "/admin/accounts/user/",
            {"action": action, "_selected_action": [p.pk for p in players], "index": "0"},
        )

    assert act("hide_on_boards", alice, bob).status_code == 302
    assert hidden_players() == {
        str(alice.pk).encode(),
        str(bob.pk).encode(),
    }
    assert set(User.objects.filter(hidden_from_leaderboards=True)) == {alice, bob}

    act("show_on_boards", bob)
    act("deactivate", alice, charlie)

    assert hidden_players() == {str(alice.pk).encode()}
    assert set(User.objects.filter(is_active=False)) == {alice, charlie}
    act("reactivate", charlie)
    assert set(User.objects.filter(is_active=False)) == {alice}
    assert sorted(log_messages(mo)) == sorted(
        [
            "Hid from the leaderboards.",
            "Hid from the leaderboards.",
            "Showed on the leaderboards.",
            "Deactivated the account.",
            "Deactivated the account.",
            "Reactivated the account.",
        ]
    )


def test_the_list_actions_leave_staff_and_mo_himself_alone(as_mo_admin, mo, alice, bob):
    moderator_make(player=bob)

    response = as_mo_admin.post(
        "/admin/accounts/user/",
        {"action": "deactivate", "_selected_action": [alice.pk, bob.pk, mo.pk], "index": "0"},
        follow=True,
    )

    assert set(User.objects.filter(is_active=False)) == {alice}
    shown = [str(m) for m in response.context["messages"]]
    assert shown == ["1 players deactivated.", "Left alone (staff or yourself): bob, mo."]
