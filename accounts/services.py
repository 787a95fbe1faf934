"""Writes for players: registration, profile changes, logging out, deletion."""

import logging
from datetime import datetime

from django.contrib.auth import logout
from django.contrib.auth.models import Group
from django.db import DatabaseError, transaction
from redis.exceptions import RedisError
from rest_framework.authtoken.models import Token

from accounts import deletion
from accounts.authentication import token_cache_remember
from accounts.models import User
from common import clock
from common.refusals import Invalid
from gameplay import live

logger = logging.getLogger(__name__)

MODERATORS_GROUP = "moderators"


@transaction.atomic
def player_register(
    *,
    username: str,
    password: str | None,
    email: str = "",
    display_name: str = "",
    timezone: str = "UTC",
    day_start_hour: int = 0,
) -> tuple[User, Token]:
    """A new player and their token; `password=None` gives an unusable password (the
    account cannot log in until one is set)."""
    player = User.objects.create_user(
        username=username,
        password=password,
        email=email,
        display_name=display_name,
        timezone=timezone,
        day_start_hour=day_start_hour,
    )
    token = Token.objects.create(user=player)
    # Only once the player exists: a rolled-back sign-up must leave no usable token.
    transaction.on_commit(lambda: token_cache_remember(token))
    # Last, inside the transaction: if Redis refuses, the sign-up rolls back whole.
    live.player_name_set(player_id=player.pk, name=player.public_name)
    return player, token


@transaction.atomic
def player_update(
    *,
    player: User,
    display_name: str | None = None,
    timezone: str | None = None,
    day_start_hour: int | None = None,
    email: str | None = None,
) -> User:
    """Change what is given of the profile. The next request, token or session, sees it:
    its local day (`User.actor`), the boards' name, the cached token user (dropped on
    save, accounts.signals)."""
    changed = []
    for field, value in (
        ("display_name", display_name),
        ("timezone", timezone),
        ("day_start_hour", day_start_hour),
        ("email", email),
    ):
        if value is not None and getattr(player, field) != value:
            setattr(player, field, value)
            changed.append(field)
    if changed:
        player.full_clean(exclude=["password", "username"])
        player.save(update_fields=changed)
        if "display_name" in changed:
            live.player_name_set(player_id=player.pk, name=player.public_name)
    return player


def player_logout(*, request) -> None:
    """End the request's own credential: a token is deleted (its cache entry and open
    sockets go with it, accounts.signals); a browser session is flushed."""
    if isinstance(request.auth, Token):
        Token.objects.filter(key=request.auth.key).delete()
    else:
        logout(request._request if hasattr(request, "_request") else request)


PASSWORD_NOT_YOURS = "That is not your password: nothing was deleted."


def player_delete(*, player: User, password: str, now: datetime | None = None) -> None:
    """Delete the player and everything of theirs, once they confirm with their password
    (`DELETE /api/me`, the settings page's button). A wrong one refuses (400 `password`)
    with nothing touched. At once: their token and sessions stop working, their sockets
    close, they leave every board and their live keys go; then their rows. Should Redis or
    PostgreSQL fail after their credentials stopped, the flush's beat task finishes it
    (accounts/deletion.py)."""
    if not player.check_password(password):
        raise Invalid(PASSWORD_NOT_YOURS, field="password")
    now = now or clock.now()
    deletion.player_close(player_id=player.pk, now=now)
    try:
        deletion.player_erase(player_id=player.pk, now=now)
    except (RedisError, DatabaseError) as exc:
        # Closed already, so nothing of theirs can be used: the rest follows, retried.
        logger.warning("player %s's deletion will be finished by the flush: %s", player.pk, exc)


def moderator_make(*, player: User) -> User:
    """Staff in the moderators group, never a superuser: exactly what moderators need."""
    group = Group.objects.get(name=MODERATORS_GROUP)
    player.is_staff = True
    player.is_superuser = False
    player.save(update_fields=["is_staff", "is_superuser"])
    player.groups.set([group])
    player.user_permissions.clear()
    return player
