"""Browser sessions know their player (accounts/browser_sessions.py), so that a new password
ends the player's other sessions without decoding everyone's."""

import pytest
from django.test import Client

from accounts.browser_sessions import player_sessions_end
from accounts.models import BrowserSession
from testkit.personas import browser_for

pytestmark = pytest.mark.django_db


def test_a_logged_in_session_is_labelled_with_its_player_and_an_anonymous_one_is_not(alice):
    browser = browser_for(alice)
    visitor = Client().session  # an anonymous browser's session, with something in it
    visitor["seen"] = True
    visitor.save()

    rows = dict(BrowserSession.objects.values_list("session_key", "player_id"))

    assert rows[browser.session.session_key] == alice.pk
    assert rows[visitor.session_key] is None


def test_ending_a_players_sessions_keeps_the_one_named_and_everyone_elses(alice, bob):
    laptop, phone, tablet, bobs = (browser_for(player) for player in (alice, alice, alice, bob))

    ended = player_sessions_end(player_id=alice.pk, keep=laptop.session.session_key)

    assert ended == 2
    answers = [browser.get("/dashboard/").status_code for browser in (laptop, phone, tablet, bobs)]
    assert answers == [200, 302, 302, 200]
