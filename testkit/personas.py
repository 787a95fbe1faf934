"""The personas (alice, bob, charlie and mo), made through the services, the clock the
tests start from, and the clients a persona uses: the API with its token, the admin with
its session, a browser context with its session cookie."""

from datetime import UTC, datetime
from typing import Protocol

from django.test import Client
from rest_framework.test import APIClient

from accounts.models import User
from accounts.services import moderator_make, player_register

PASSWORD = "correct-horse-battery-staple"

# A Monday morning, so that a test's week does not roll over under it.
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def make_player(username: str, **profile) -> User:
    player, _token = player_register(username=username, password=PASSWORD, **profile)
    return player


def make_alice() -> User:
    return make_player("alice", display_name="Alice", timezone="Europe/Berlin")


def make_bob() -> User:
    return make_player("bob", display_name="Bob", timezone="America/New_York")


def make_charlie() -> User:
    return make_player("charlie", display_name="Charlie")


def make_mo() -> User:
    return moderator_make(player=make_player("mo", display_name="Mo"))


def client_for(player: User | None) -> APIClient:
    client = APIClient()
    if player is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Token {player.auth_token.key}")
    return client


def browser_for(user: User) -> Client:
    """A Django test client logged in as `user` (a session, as the admin needs)."""
    browser = Client()
    browser.force_login(user)
    return browser


class Site(Protocol):
    http: str  # the base URL the pages are served from


def log_in(context, player: User, stack: Site) -> None:
    """Gives a browser context the player's session cookie (as logging in would)."""
    cookie = browser_for(player).cookies["sessionid"]
    context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": stack.http}])
