"""Token authentication that reads PostgreSQL once per token, not once per request.

Every API request of a player authenticates. DRF's TokenAuthentication reads the token and
its user from PostgreSQL each time: measured in the launch spike, that read (plus the
connection health check before it) was nearly every statement PostgreSQL received in
buffered mode, where the gamified actions themselves write only Redis. Here the user a
token names is kept in the cache (Redis) for `AUTH_CACHE_SECONDS`; any save of the user
and any change of its token drops the entry (`accounts.signals`), so a deactivation, a new
display name or time zone applies on the very next request.

A miss is never cached (a bad or inactive token reads PostgreSQL every time, as before).
"""

from django.conf import settings
from django.core.cache import cache
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication


def token_cache_key(key: str) -> str:
    return f"auth:token:{key}"


class CachedTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key: str):
        cache_key = token_cache_key(key)
        token = cache.get(cache_key)
        if token is None:
            user, token = super().authenticate_credentials(key)  # refuses bad or inactive
            cache.set(cache_key, token, settings.AUTH_CACHE_SECONDS)
            return user, token
        if not token.user.is_active:  # never cached as such; kept as a second guard
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        return token.user, token


def token_cache_remember(token) -> None:
    """Cache a new player's token (after COMMIT): even their first request reads nothing."""
    cache.set(token_cache_key(token.key), token, settings.AUTH_CACHE_SECONDS)


def token_cache_forget(*, keys: list[str]) -> None:
    cache.delete_many([token_cache_key(key) for key in keys])
