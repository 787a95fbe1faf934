"""The flush in the admin: backlog, age of the oldest pending event, last flush, and a
button that flushes now, for staff with the permission only."""

import time

import pytest
from django.contrib.auth.models import Permission

from common import clock
from gameplay import keys, live
from gameplay.models import LedgerEntry
from pipeline import flush
from testkit.db import log_messages
from testkit.personas import browser_for

pytestmark = pytest.mark.django_db
URL = "/admin/moderation/pendingevents/"


def test_mo_sees_the_backlog_and_flushes_it_now(as_mo_admin, mo, alice, bob):
    for player, points in ((alice, 5), (bob, 7), (alice, 1)):
        live.adjust(
            actor=player.actor, points=points, moderator_id=mo.pk, reason="r", now=clock.now()
        )
    time.sleep(0.2)

    page = as_mo_admin.get(URL)

    assert page.status_code == 200
    backlog = page.context["backlog"]
    assert backlog["pending"] == 3
    assert 0.2 <= backlog["oldest_age_seconds"] < 30
    assert backlog["last_flush_at"] is None
    html = page.content.decode()
    assert '<td id="pending">3</td>' in html and "never" in html
    assert '<td id="dead-letters">0</td>' in html
    assert 'value="Flush now"' in html

    before = clock.now()
    flushed = as_mo_admin.post(URL, follow=True)

    assert [str(m) for m in flushed.context["messages"]] == ["Flushed 3 events for 2 players."]
    assert flushed.context["backlog"]["pending"] == 0
    # The real clock (the events' ages need it): the mark is the moment the flush ran.
    assert before <= flushed.context["backlog"]["last_flush_at"] <= clock.now()
    assert LedgerEntry.objects.count() == 3
    assert log_messages(mo) == ["Flushed 3 events for 2 players."]


def test_staff_who_may_only_look_see_no_button_and_cannot_flush(alice, bob, mo):
    live.adjust(actor=alice.actor, points=5, moderator_id=mo.pk, reason="r", now=clock.now())
    bob.is_staff = True
    bob.save()
    bob.user_permissions.add(Permission.objects.get(codename="view_pendingevents"))
    staff = browser_for(bob)

    page = staff.get(URL)

    assert page.status_code == 200
    assert 'value="Flush now"' not in page.content.decode()
    assert staff.post(URL).status_code == 403
    assert flush.backlog()["pending"] == 1
    assert LedgerEntry.objects.count() == 0


def test_alice_cannot_see_the_flush_page(alice):
    response = browser_for(alice).get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_the_flush_page_has_no_object_pages_behind_it(as_mo_admin):
    # The model has no table: an object URL must not reach a query.
    assert as_mo_admin.get(f"{URL}1/change/").status_code == 404
    assert as_mo_admin.get(f"{URL}add/").status_code == 404


def test_the_flush_page_shows_dead_letters(as_mo_admin):
    live.client().xadd(keys.dead_letters(3), {"e": "{}", "id": "1-0", "error": "refused"})

    page = as_mo_admin.get(URL)

    assert page.context["backlog"]["dead_letters"] == 1
    assert "manage.py dead_letters" in page.content.decode()
