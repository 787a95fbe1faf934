"""Dependencies that cannot take a request right now answer 503 with Retry-After, never 500.

One list of what "unavailable" means, for the API's error format (focusquest/api.py's
exception handler) and for the pages (`UnavailableMiddleware`): Redis unreachable, timing
out, loading, busy with a script, full under `noeviction` or read-only (a replica); a
cluster slot failing over, or an action no replica acknowledged; PostgreSQL unreachable
or gone away.
"""

import logging

from django.conf import settings
from django.db import InterfaceError as DatabaseInterfaceError
from django.db import OperationalError as DatabaseOperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import OutOfMemoryError, ReadOnlyError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from gameplay.store import LiveStoreUnavailable

logger = logging.getLogger(__name__)

# LiveStoreUnavailable: the live store's own verdict (gameplay/store.py): a cluster slot
# whose master is down or moving, or an action no replica acknowledged in time.
REDIS_UNAVAILABLE = (
    RedisConnectionError,
    RedisTimeoutError,
    OutOfMemoryError,
    ReadOnlyError,
    LiveStoreUnavailable,
)
# The same refusals met inside a Lua script arrive as a plain ResponseError ("Error running
# script ...: -OOM command not allowed ..."), and BUSY (a script past its time limit) has
# no class. A script is refused before its first write, so nothing was half-written.
REDIS_REFUSALS = ("-OOM ", "OOM command not allowed", "READONLY", "BUSY", "LOADING", "MASTERDOWN")
POSTGRES_UNAVAILABLE = (DatabaseOperationalError, DatabaseInterfaceError)


def unavailable_dependency(exc: BaseException) -> str | None:
    """ "redis" or "postgres" when `exc` says that dependency cannot serve now, else None."""
    if isinstance(exc, REDIS_UNAVAILABLE):
        return "redis"
    if isinstance(exc, ResponseError) and any(word in str(exc) for word in REDIS_REFUSALS):
        return "redis"
    if isinstance(exc, POSTGRES_UNAVAILABLE):
        return "postgres"
    return None


UNAVAILABLE_DETAIL = "The game is catching its breath; nothing was recorded. Try again shortly."


def retry_after_seconds() -> int:
    return settings.REDIS_RETRY_AFTER_SECONDS


class UnavailableMiddleware:
    """Turns an unavailable dependency into 503 + Retry-After: a page, or JSON under /api/
    where it was raised outside DRF's views (their own handler answers the rest). Nothing
    was half-written: the live store's scripts are atomic, PostgreSQL's writes transactions."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        dependency = unavailable_dependency(exc)
        if dependency is None:
            return None
        logger.warning("%s unavailable during %s: %s", dependency, request.path, exc)
        if request.path.startswith("/api/"):
            response: HttpResponse = JsonResponse({"detail": UNAVAILABLE_DETAIL}, status=503)
        else:
            response = HttpResponse(
                render_to_string("503.html", {"retry_after": retry_after_seconds()}),
                status=503,
            )
        response["Retry-After"] = str(retry_after_seconds())
        return response
