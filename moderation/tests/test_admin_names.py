"""The admin speaks FocusQuest: its name, badges by their titles, a flush that found
nothing says so, and every page has an icon."""

from datetime import UTC, datetime

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from pipeline import flush
from testkit.actions import focus_session
from testkit.personas import T0

pytestmark = pytest.mark.django_db


def test_the_admin_is_branded_focusquest_moderation(as_mo_admin):
    html = as_mo_admin.get("/admin/").content.decode()
    login = Client().get("/admin/login/").content.decode()

    assert '<a href="/admin/">FocusQuest moderation</a>' in html
    assert "<title>Players, fair play and the flush | FocusQuest moderation</title>" in html
    assert "Django administration" not in html and "Django administration" not in login


def test_badges_show_by_their_titles_on_the_player_page_and_the_badge_list(
    as_mo_admin, alice, clock
):
    focus_session(alice, start=T0, planned=25)
    flush.flush_pending()

    page = as_mo_admin.get(f"/admin/accounts/user/{alice.pk}/change/").content.decode()
    listing = as_mo_admin.get("/admin/gameplay/badge/").content.decode()

    assert "<td>First focus</td>" in page
    assert "First focus" in listing and ">first_focus<" not in listing


def test_flushing_now_with_nothing_pending_says_so_and_moves_the_last_flush(as_mo_admin):
    before = datetime.now(UTC)
    flushed = as_mo_admin.post("/admin/moderation/pendingevents/", follow=True)

    assert [str(m) for m in flushed.context["messages"]] == [
        "Nothing was pending: the flush wrote nothing."
    ]
    # The real clock (nothing stops it here): the mark is the moment the flush ran.
    assert before <= flushed.context["backlog"]["last_flush_at"] <= datetime.now(UTC)


@pytest.mark.parametrize("url", ["/", "/login/", "/admin/login/"])
def test_every_page_names_the_favicon_that_is_served(db, url):
    html = Client().get(url).content.decode()

    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in html
    assert finders.find("favicon.svg") is not None
