"""Deactivation through a real server: mo presses the button in the admin, and alice's
token and browser session stop working on the very next request (gunicorn, real HTTP)."""

import re

import httpx
import pytest

from accounts.services import moderator_make
from gameplay.tests.servers import gunicorn
from testkit.personas import PASSWORD, make_player

pytestmark = [pytest.mark.live]


def csrf_token(html: str) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert found is not None, "no CSRF token on the page"
    return found.group(1)


def logged_in(url: str, login_path: str, username: str) -> httpx.Client:
    """A browser-like client that logged in through the form, CSRF and all."""
    browser = httpx.Client(base_url=url, timeout=10)
    form = browser.get(login_path)
    token = csrf_token(form.text)
    done = browser.post(
        login_path,
        data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token},
    )
    assert done.status_code == 302, done.text[:500]
    assert "sessionid" in browser.cookies
    return browser


def press_active(browser: httpx.Client, player_id: int, active: str) -> httpx.Response:
    """The player page's Deactivate / Reactivate button."""
    html = browser.get(f"/admin/accounts/user/{player_id}/change/").text
    token = csrf_token(html)
    return browser.post(
        f"/admin/accounts/user/{player_id}/active/",
        data={"active": active, "csrfmiddlewaretoken": token},
    )


def test_deactivation_in_the_admin_stops_alices_token_and_session_on_the_next_request(
    transactional_db, settings
):
    # The server hashes passwords with the project's hashers, not the tests' fast one.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    alice = make_player("alice", display_name="Alice")
    moderator_make(player=make_player("mo", display_name="Mo"))

    with gunicorn(workers=1) as url:
        token = httpx.Client(
            base_url=url, headers={"Authorization": f"Token {alice.auth_token.key}"}, timeout=10
        )
        browser = logged_in(url, "/login/", "alice")
        mo = logged_in(url, "/admin/login/", "mo")
        assert (token.get("/api/me").status_code, browser.get("/api/me").status_code) == (200, 200)

        assert press_active(mo, alice.pk, "0").status_code == 302

        assert token.get("/api/me").status_code == 401
        assert browser.get("/api/me").status_code == 401
        assert browser.get("/dashboard/").headers["location"] == "/login/?next=/dashboard/"

        assert press_active(mo, alice.pk, "1").status_code == 302

        assert (token.get("/api/me").status_code, browser.get("/api/me").status_code) == (200, 200)
