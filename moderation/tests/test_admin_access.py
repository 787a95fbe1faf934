"""Who gets what in the admin: mo moderates players and nothing more; alice gets nothing;
the ledger is read-only for everyone, superusers included."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client

from accounts.models import User
from accounts.services import moderator_make
from gameplay import boards, live
from gameplay.models import Badge, LedgerEntry
from moderation.player_admin import PlayerAdmin
from moderation.services import player_visibility_set
from pipeline import flush
from testkit.actions import focus_session
from testkit.personas import PASSWORD, T0, browser_for, client_for, make_player

pytestmark = pytest.mark.django_db


def names(response) -> list[str]:
    return [player.username for player in response.context["cl"].result_list]


def profile_form(player: User, **changes) -> dict:
    """What the change form posts for a player, with changes."""
    data = {
        "username": player.username,
        "first_name": player.first_name,
        "last_name": player.last_name,
        "email": player.email,
        "display_name": player.display_name,
        "timezone": player.timezone,
        "day_start_hour": str(player.day_start_hour),
    }
    data.update(changes)
    return data


def test_alice_a_player_has_no_admin_access(alice):
    browser = browser_for(alice)

    for url in ("/admin/", "/admin/accounts/user/", f"/admin/accounts/user/{alice.pk}/change/"):
        response = browser.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")
    login = Client().post("/admin/login/", {"username": "alice", "password": PASSWORD})
    assert login.status_code == 200  # the form again, with its error
    assert "_auth_user_id" not in login.wsgi_request.session


def test_mo_searches_players_by_username_display_name_and_email(as_mo_admin, db):
    User.objects.create_user("alice", email="alice@example.com", display_name="Wonder")
    User.objects.create_user("bob", email="bob@mail.test", display_name="Builder")
    User.objects.create_user("charlie", email="c@example.com", display_name="Chuck")

    def search(term):
        return sorted(names(as_mo_admin.get("/admin/accounts/user/", {"q": term})))

    assert search("ali") == ["alice"]
    assert search("builder") == ["bob"]
    assert search("example.com") == ["alice", "charlie"]


def test_mo_filters_players_by_hidden_active_joined_and_points(as_mo_admin, mo, db):
    for username, points, hidden, active, joined in (
        ("alice", 0, False, True, T0),
        ("bob", 150, True, True, T0 - timedelta(days=40)),
        ("charlie", 12_000, False, False, T0),
        ("dave", -20, False, True, T0),
    ):
        User.objects.create_user(
            username, hidden_from_leaderboards=hidden, is_active=active, date_joined=joined
        )
        User.objects.filter(username=username).update(points=points)

    def listed(**params):
        return sorted(names(as_mo_admin.get("/admin/accounts/user/", params)))

    assert listed(hidden_from_leaderboards__exact="1") == ["bob"]
    assert listed(is_active__exact="0") == ["charlie"]
    assert listed(points="100-999") == ["bob"]
    assert listed(points="10000+") == ["charlie"]
    assert listed(points="negative") == ["dave"]
    assert listed(points="0", is_staff__exact="0") == ["alice"]
    assert listed(date_joined__lt=(T0 - timedelta(days=30)).isoformat()) == ["bob"]
    assert listed(date_joined__gte=T0.isoformat(), is_staff__exact="0") == [
        "alice",
        "charlie",
        "dave",
    ]


def test_mo_cannot_make_anyone_superuser_staff_or_change_their_groups(as_mo_admin, alice):
    moderators = Group.objects.get(name="moderators")
    permission = Permission.objects.get(codename="change_ledgerentry")

    response = as_mo_admin.post(
        f"/admin/accounts/user/{alice.pk}/change/",
        profile_form(
            alice,
            display_name="Alice A.",
            is_superuser="on",
            is_staff="on",
            groups=[moderators.pk],
            user_permissions=[permission.pk],
            points="99999",
            completed_sessions="500",
            hidden_from_leaderboards="on",
            is_active="",
        ),
    )

    assert response.status_code == 302
    alice = User.objects.get(pk=alice.pk)
    assert alice.display_name == "Alice A."  # the profile is his to correct
    assert (alice.is_superuser, alice.is_staff) == (False, False)
    assert list(alice.groups.all()) == []
    assert list(alice.user_permissions.all()) == []
    assert (alice.points, alice.completed_sessions) == (0, 0)
    assert (alice.hidden_from_leaderboards, alice.is_active) == (False, True)


def test_a_display_name_corrected_in_the_admin_is_the_one_on_the_live_board(
    as_mo_admin, alice, anon, clock
):
    focus_session(alice, start=T0, planned=5)
    boards.feed()  # onto the global board, as the running pusher does within 0.2 s

    as_mo_admin.post(
        f"/admin/accounts/user/{alice.pk}/change/", profile_form(alice, display_name="A. Player")
    )

    entries = anon.get("/api/leaderboard").json()["entries"]
    assert [(e["display_name"], e["points"]) for e in entries] == [("A. Player", 15)]


def test_mo_cannot_open_groups_permissions_or_anyones_password(as_mo_admin, alice):
    moderators = Group.objects.get(name="moderators")

    assert as_mo_admin.get("/admin/auth/group/").status_code == 403
    assert as_mo_admin.get(f"/admin/auth/group/{moderators.pk}/change/").status_code == 403
    assert (
        as_mo_admin.post(
            f"/admin/auth/group/{moderators.pk}/change/", {"name": "moderators", "permissions": []}
        ).status_code
        == 403
    )
    assert as_mo_admin.get("/admin/auth/permission/").status_code == 404  # not in the admin
    password_url = f"/admin/accounts/user/{alice.pk}/password/"
    assert as_mo_admin.get(password_url).status_code == 403
    posted = as_mo_admin.post(password_url, {"password1": "x-new-Pass-123", "password2": "x"})
    assert posted.status_code == 403
    assert User.objects.get(pk=alice.pk).check_password(PASSWORD)
    assert as_mo_admin.get("/admin/accounts/user/add/").status_code == 403
    assert as_mo_admin.post(f"/admin/accounts/user/{alice.pk}/delete/").status_code == 403
    assert Group.objects.get(pk=moderators.pk).permissions.count() == 12


def test_mo_cannot_change_another_moderators_account(as_mo_admin, bob):
    moderator_make(player=bob)

    response = as_mo_admin.post(
        f"/admin/accounts/user/{bob.pk}/change/", profile_form(bob, email="mine@evil.test")
    )

    assert response.status_code == 403
    assert User.objects.get(pk=bob.pk).email == ""
    page = as_mo_admin.get(f"/admin/accounts/user/{bob.pk}/change/")
    assert page.status_code == 200  # he may look
    assert page.context["moderation"]["can_moderate"] is False


@pytest.fixture
def ledger_entry(mo, alice, clock) -> LedgerEntry:
    live.adjust(actor=alice.actor, points=5, moderator_id=mo.pk, reason="r", now=T0)
    flush.flush_pending()
    return LedgerEntry.objects.get()


@pytest.mark.parametrize("who", ["mo", "root"])
def test_nobody_edits_or_deletes_the_ledger_in_the_admin_superusers_included(
    request, who, ledger_entry
):
    browser = browser_for(request.getfixturevalue(who))
    base = "/admin/gameplay/ledgerentry/"

    assert browser.get(base).status_code == 200
    page = browser.get(f"{base}{ledger_entry.pk}/change/")
    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    assert b'name="_save"' not in page.content
    changed = browser.post(f"{base}{ledger_entry.pk}/change/", {"points": "5000", "reason": "x"})
    assert changed.status_code == 403
    assert browser.get(f"{base}add/").status_code == 403
    assert browser.post(f"{base}{ledger_entry.pk}/delete/", {"post": "yes"}).status_code == 403
    bulk = browser.post(base, {"action": "delete_selected", "_selected_action": [ledger_entry.pk]})
    assert bulk.status_code == 200  # no such action: the list again
    assert list(LedgerEntry.objects.values_list("points", "reason")) == [(5, "r")]


@pytest.mark.parametrize("who", ["mo", "root"])
def test_nobody_edits_badges_in_the_admin_they_follow_the_live_store(request, who, alice, clock):
    focus_session(alice, start=T0, planned=5)
    flush.flush_pending()
    badge = Badge.objects.get()
    browser = browser_for(request.getfixturevalue(who))

    assert browser.post(f"/admin/gameplay/badge/{badge.pk}/change/", {}).status_code == 403
    assert (
        browser.post(f"/admin/gameplay/badge/{badge.pk}/delete/", {"post": "y"}).status_code == 403
    )
    assert Badge.objects.filter(pk=badge.pk).exists()


def test_saving_the_profile_keeps_the_points_a_flush_wrote_meanwhile(
    as_mo_admin, mo, alice, monkeypatch, clock
):
    live.adjust(actor=alice.actor, points=40, moderator_id=mo.pk, reason="r", now=T0)
    original = PlayerAdmin.get_form

    def then_a_flush(self, request, obj=None, **kwargs):
        # The admin read alice before it builds her form: the flush lands between that
        # read and the admin's write.
        form = original(self, request, obj, **kwargs)
        if request.method == "POST":
            flush.flush_pending()
        return form

    monkeypatch.setattr(PlayerAdmin, "get_form", then_a_flush)

    response = as_mo_admin.post(
        f"/admin/accounts/user/{alice.pk}/change/", profile_form(alice, email="a@example.com")
    )

    assert response.status_code == 302
    alice = User.objects.get(pk=alice.pk)
    assert (alice.email, alice.points) == ("a@example.com", 40)


def test_mo_finds_players_the_ledger_the_queue_and_the_flush_on_the_admin_index(as_mo_admin):
    index = as_mo_admin.get("/admin/")

    models = {
        model["admin_url"]
        for app in index.context["app_list"]
        for model in app["models"]
        if model["admin_url"]
    }
    assert {
        "/admin/accounts/user/",
        "/admin/gameplay/ledgerentry/",
        "/admin/moderation/fairplaydismissal/",
        "/admin/moderation/pendingevents/",
    } <= models
    assert "/admin/auth/group/" not in models
    assert "/admin/admin/logentry/" not in models  # the whole log is for superusers


def test_a_superuser_reads_every_moderator_action_in_the_admin_log_and_cannot_edit_it(
    root, mo, alice, clock
):
    player_visibility_set(moderator=mo, player=alice, hidden=True, now=T0)
    browser = browser_for(root)

    listing = browser.get("/admin/admin/logentry/")

    assert listing.status_code == 200
    (entry,) = listing.context["cl"].result_list
    assert (entry.user, entry.object_repr, entry.get_change_message()) == (
        mo,
        "alice",
        "Hid from the leaderboards.",
    )
    assert browser.post(f"/admin/admin/logentry/{entry.pk}/change/", {}).status_code == 403
    assert (
        browser.post(f"/admin/admin/logentry/{entry.pk}/delete/", {"post": "y"}).status_code == 403
    )


def test_a_player_who_has_played_cannot_be_deleted_in_the_admin_so_no_event_is_stranded(alice, bob):
    root = User.objects.create_superuser("root", "root@example.com", "pw-root-123")
    browser = Client()
    browser.force_login(root)
    client_for(alice).post("/api/sessions", {"planned_minutes": 25}, format="json")  # pending
    never = make_player("never")

    refused = browser.post(f"/admin/accounts/user/{alice.pk}/delete/", {"post": "yes"})
    allowed = browser.post(f"/admin/accounts/user/{never.pk}/delete/", {"post": "yes"})

    assert refused.status_code == 403
    assert User.objects.filter(pk=alice.pk).exists()
    assert allowed.status_code == 302
    assert not User.objects.filter(pk=never.pk).exists()
    changelist = browser.get("/admin/accounts/user/")
    assert "delete_selected" not in changelist.content.decode()
