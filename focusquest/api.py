"""One error format for the API: DRF's usual bodies, plus 503 when Redis is unreachable."""

import logging

from django.conf import settings
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)


class LiveStoreUnavailable(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The game is catching its breath; nothing was recorded. Try again shortly."
    default_code = "live_store_unavailable"


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, RedisConnectionError | RedisTimeoutError):
        logger.warning("Redis unavailable during %s: %s", context.get("view"), exc)
        exc = LiveStoreUnavailable()
    response = drf_exception_handler(exc, context)
    if isinstance(exc, LiveStoreUnavailable) and response is not None:
        response["Retry-After"] = str(settings.REDIS_RETRY_AFTER_SECONDS)
    return response


class PingApi(APIView):
    """An authenticated no-op: the same server, auth and framework as a gamified action,
    minus the action. Benchmarks measure the action endpoints against it."""

    def get(self, request: Request) -> Response:
        return Response({"pong": True})
