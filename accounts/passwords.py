"""Writes for passwords: a change, a reset asked for by email, and what both end: every
other credential of the player (their token and browser sessions)."""

from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.forms import PasswordResetForm
from django.db import transaction
from django.http import HttpRequest
from rest_framework.authtoken.models import Token

from accounts.authentication import token_cache_remember
from accounts.browser_sessions import player_sessions_end
from accounts.models import User
from accounts.tasks import password_reset_mail


def player_credentials_end(*, player: User, keep_session: str | None = None) -> None:
    """Delete the player's token (its cache entry and open sockets go with it,
    accounts.signals) and every browser session of theirs but `keep_session`."""
    Token.objects.filter(user_id=player.pk).delete()
    player_sessions_end(player_id=player.pk, keep=keep_session)


@transaction.atomic
def password_change(
    *, player: User, new_password: str, browser: HttpRequest | None = None
) -> tuple[User, Token]:
    """Set a new password (checked by the caller: the old one and Django's validators,
    accounts.api.PasswordChangeInput) and answer the player's new token: every other
    token and browser session stops working. `browser` is the request of the browser
    session the change was made from: it stays logged in, under a new session key."""
    player = User.objects.select_for_update().get(pk=player.pk)  # one change at a time
    player.set_password(new_password)
    player.save(update_fields=["password"])  # drops the cached token user (accounts.signals)
    keep = browser.session.session_key if browser is not None else None
    player_credentials_end(player=player, keep_session=keep)
    token = Token.objects.create(user=player)
    transaction.on_commit(lambda: token_cache_remember(token))
    if browser is not None:
        update_session_auth_hash(browser, player)  # the new password's hash, a new key
    return player, token


def password_reset_request(*, email: str, domain: str, use_https: bool) -> None:
    """Mail a one-time link to the reset page to each active account with this email and a
    password (Django's rules, PasswordResetForm.get_users), if there is any.

    The request does the same work whether or not there is one: one query, one task
    queued (with no players it sends nothing). The mail goes from the worker, so how long
    a mail server takes never shows in the answer, which is the same 202 either way."""
    player_ids = [player.pk for player in PasswordResetForm().get_users(email)]
    transaction.on_commit(
        lambda: password_reset_mail.delay(player_ids=player_ids, domain=domain, use_https=use_https)
    )
