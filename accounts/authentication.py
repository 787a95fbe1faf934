"""Token authentication that reads PostgreSQL once per token, not once per request.

Every API request of a player authenticates. DRF's TokenAuthentication reads the token and
its user from PostgreSQL each time: measured in the launch spike, that read (plus the
connection health check before it) was nearly every statement PostgreSQL received in
buffered mode, where the gamified actions themselves write only Redis. Here the user a
token names is kept in the cache (Redis) for `AUTH_CACHE_SECONDS`; any save of the user
and any change of its token drops the entry (`accounts.signals`), so a deactivation, a new
display name or time zone applies on the very next request.

What the cache holds is no secret: the key is a digest of the token (whoever reads Redis
learns no token) and the value a small JSON record of the fields requests use (no password
hash, and no pickle, so whoever writes Redis cannot run code in the web processes). The
user is rebuilt as a Django instance with only those fields loaded: reading any other
field loads it from PostgreSQL, and saving it saves only the loaded fields.

A miss is never cached (a bad or inactive token reads PostgreSQL every time, as before).
"""

import hashlib

from django.conf import settings
from django.core.cache import cache
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

from accounts.models import User
from common.cached import cache_write_best_effort, instance_from_fields

# What a request of a player reads of them: its identity, the local day, permissions.
CACHED_USER_FIELDS = (
    "id",
    "username",
    "display_name",
    "timezone",
    "day_start_hour",
    "is_active",
    "is_staff",
    "is_superuser",
)


def token_digest(key: str) -> str:
    """What Redis sees of a token, in cache keys and socket group names: never the token."""
    return hashlib.sha256(key.encode()).hexdigest()


def token_cache_key(key: str) -> str:
    return "auth:token:" + token_digest(key)


def token_group(key: str) -> str:
    """The sockets opened with one token: they close when it is deleted (logout, a new
    password)."""
    return "token." + token_digest(key)[:32]


def session_group(key: str) -> str:
    """The sockets opened with one browser session: they close when it ends (a new
    password ends the player's other sessions)."""
    return "session." + token_digest(key)[:32]


def player_group(player_id: int) -> str:
    """The sockets of a player (whatever they authenticated with): their personal news, and
    they close when the account does (deactivated, deleted)."""
    return f"player.{player_id}"


def _record(user: User) -> dict:
    return {field: getattr(user, field) for field in CACHED_USER_FIELDS}


def _from_record(key: str, record: dict) -> tuple[User, Token]:
    user = instance_from_fields(User, record)
    token = Token.from_db("default", ["key", "user_id"], [key, user.pk])
    token.user = user
    return user, token


class CachedTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key: str):
        cache_key = token_cache_key(key)
        record = cache.get(cache_key)
        if record is None:
            user, token = super().authenticate_credentials(key)  # refuses bad or inactive
            with cache_write_best_effort():
                cache.set(cache_key, _record(user), settings.AUTH_CACHE_SECONDS)
            return user, token
        user, token = _from_record(key, record)
        if not user.is_active:  # never cached as such; kept as a second guard
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        return user, token


def token_cache_remember(token: Token) -> None:
    """Cache a new player's token (after COMMIT): even their first request reads nothing.
    Best effort: a refused cache write must not fail the committed sign-up."""
    with cache_write_best_effort():
        cache.set(token_cache_key(token.key), _record(token.user), settings.AUTH_CACHE_SECONDS)


def token_cache_forget(*, keys: list[str]) -> None:
    cache.delete_many([token_cache_key(key) for key in keys])
