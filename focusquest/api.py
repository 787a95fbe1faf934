"""The API's shared layer: one error format (DRF's usual bodies, 503 when Redis is
unreachable) and the schema. The input serializers' bases are common/inputs.py; the body
parser and the pagination sit in focusquest/parsers.py and focusquest/pagination.py: DRF
imports them while it defines its views, which this module imports."""

import logging
from http import HTTPStatus

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import (
    APIException,
    AuthenticationFailed,
    NotFound,
    ParseError,
    UnsupportedMediaType,
)
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView, set_rollback
from rest_framework.views import exception_handler as drf_exception_handler

from common.inputs import StrictInput
from common.refusals import Refusal
from focusquest.unavailable import UNAVAILABLE_DETAIL, retry_after_seconds, unavailable_dependency
from gameplay.store import PlayerDeleted

logger = logging.getLogger(__name__)


class LiveStoreUnavailable(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = UNAVAILABLE_DETAIL
    default_code = "live_store_unavailable"


def refusal_response(refusal: Refusal) -> Response:
    """A service's refusal in DRF's usual bodies: 400 `{field: [message]}`, otherwise
    `{"detail": message}` and what the client needs to recover (a 409's running id)."""
    set_rollback()  # as DRF does for its own exceptions: a refusal writes nothing
    if refusal.status == HTTPStatus.BAD_REQUEST:
        return Response({refusal.field: [refusal.message]}, status=refusal.status)
    return Response({"detail": refusal.message, **refusal.extra}, status=refusal.status)


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, PlayerDeleted):
        # A request in flight while its player was deleted: its credentials are gone now.
        exc = AuthenticationFailed("This account has been deleted.")
    # The same list of "cannot serve now" as the pages' (focusquest/unavailable.py).
    dependency = unavailable_dependency(exc)
    if dependency is not None:
        logger.warning("%s unavailable during %s: %s", dependency, context.get("view"), exc)
        exc = LiveStoreUnavailable()
    if isinstance(exc, Refusal):
        return refusal_response(exc)
    if isinstance(exc, UnsupportedMediaType):
        # A body that is not JSON is malformed input like any other: 400, DRF's message.
        exc = ParseError(f"{exc.detail} Send JSON (Content-Type: application/json).")
    response = drf_exception_handler(exc, context)
    if isinstance(exc, LiveStoreUnavailable) and response is not None:
        response["Retry-After"] = str(retry_after_seconds())
    return response


# -- the schema -------------------------------------------------------------------------

# Components the schema class refers to; `schema_additions` puts them in the schema.
ERROR_COMPONENTS = {
    "ErrorDetail": {
        "type": "object",
        "properties": {"detail": {"type": "string"}},
        "required": ["detail"],
    },
    # DRF's 400 bodies: {"field": ["message", ...]} per field, or {"detail": "..."} when
    # the body could not be read; a nested object's field (a habit's schedule) answers
    # its own errors as an object of the same shape.
    "ValidationErrors": {
        "type": "object",
        "minProperties": 1,
        "additionalProperties": {
            "oneOf": [
                {"type": "string"},
                {"type": "array", "items": {"type": "string"}},
                {"type": "object", "minProperties": 1},
            ]
        },
    },
}
ERROR_DETAIL = {"$ref": "#/components/schemas/ErrorDetail"}
VALIDATION_ERRORS = {"$ref": "#/components/schemas/ValidationErrors"}
RETRY_AFTER = {
    "Retry-After": {"schema": {"type": "integer"}, "description": "seconds to wait"},
}


class FocusQuestSchema(AutoSchema):
    """Every operation documents the refusals it can give: 400 for input it reads, 401
    when it reads credentials (a bad token is refused on public reads too), 403 for a
    cookie-authenticated write without its CSRF token, 404 for a path that names an object
    or a page, 429 when throttled, 503 (with Retry-After) when Redis cannot answer."""

    def _reads_input(self) -> bool:
        if self.method in ("POST", "PUT", "PATCH", "DELETE"):
            return True
        return (self.method == "GET" and bool(self._get_paginator())) or any(
            not isinstance(parameter, OpenApiParameter) or parameter.location == "query"
            for parameter in self.get_override_parameters()
        )

    def _map_serializer(self, serializer, direction, bypass_extensions=False):
        schema = super()._map_serializer(serializer, direction, bypass_extensions)
        if isinstance(serializer, StrictInput) or (
            isinstance(serializer, type) and issubclass(serializer, StrictInput)
        ):
            schema["additionalProperties"] = False  # unknown fields are refused
        return schema

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses

        def add(code: str, description: str, schema: dict, headers: dict | None = None):
            if code not in responses:
                body: dict[str, object] = {"description": description}
                if headers:
                    body["headers"] = headers
                body["content"] = {"application/json": {"schema": schema}}
                responses[code] = body

        if self._reads_input():
            add("400", "Malformed or out-of-range input; nothing was written.", VALIDATION_ERRORS)
        if self.view.get_authenticators():
            permissions = self.view.get_permissions()
            needed = any(isinstance(permission, IsAuthenticated) for permission in permissions)
            add("401", "No valid credentials." if needed else "An invalid token.", ERROR_DETAIL)
            if needed and self.method != "GET":
                add("403", "A session cookie without its CSRF token.", ERROR_DETAIL)
        if "{" in self.path or (self.method == "GET" and self._get_paginator()):
            add("404", "Not found (another player's object answers the same).", ERROR_DETAIL)
        if self.view.get_throttles():
            add("429", "Throttled.", ERROR_DETAIL, RETRY_AFTER)
        add("503", "Redis cannot answer; nothing was written.", ERROR_DETAIL, RETRY_AFTER)
        return responses


def health_schema() -> dict:
    """The body of /healthz, 200 or 503."""
    backlog = {
        "type": "object",
        "nullable": True,
        "properties": {
            "pending_events": {"type": "integer"},
            "oldest_age_seconds": {"type": "number", "nullable": True},
        },
        "required": ["pending_events", "oldest_age_seconds"],
    }
    # One entry per live-store node: one on a single server, every node of a cluster.
    live_node = {
        "type": "object",
        "properties": {
            "address": {"type": "string"},
            # None: a single server that does not answer (its role is unknown).
            "role": {"type": "string", "enum": ["master", "replica", None], "nullable": True},
            "master": {"type": "string", "nullable": True},
            "master_link_status": {"type": "string", "nullable": True},
            "reachable": {"type": "boolean"},
            "slots": {"type": "integer", "nullable": True},
        },
        "required": ["address", "role", "master", "master_link_status", "reachable", "slots"],
    }
    health = {
        "type": "object",
        "properties": {
            "status": {"type": "string", "enum": ["ok", "unavailable"]},
            "postgres": {"type": "string"},
            "redis": {"type": "string"},
            "backlog": backlog,
            "last_flush_at": {"type": "string", "format": "date-time", "nullable": True},
            # Events PostgreSQL refused, waiting as dead letters; None: Redis is down.
            "dead_letters": {"type": "integer", "nullable": True},
            # Whether a board feeder process keeps its heartbeat; None: the plain Redis
            # does not answer.
            "board_feeder": {"type": "boolean", "nullable": True},
            "live_store": {"type": "array", "items": live_node},
            "problems": {"type": "array", "items": {"type": "string"}},
        },
        "required": [
            "status",
            "postgres",
            "redis",
            "backlog",
            "last_flush_at",
            "dead_letters",
            "board_feeder",
            "live_store",
            "problems",
        ],
    }
    return health


def schema_additions(result, generator, request, public):
    """The error components, and /healthz: a plain Django view (no DRF on the monitor's
    path), described here."""
    schemas = result["components"].setdefault("schemas", {})
    schemas.update(ERROR_COMPONENTS)
    schemas["Health"] = health_schema()
    ref = {"$ref": "#/components/schemas/Health"}
    result["paths"]["/healthz"] = {
        "get": {
            "operationId": "healthz",
            "description": "Is each dependency up, and how far behind is the flush.",
            "tags": ["healthz"],
            "security": [{}],
            "responses": {
                "200": {"description": "", "content": {"application/json": {"schema": ref}}},
                "503": {
                    "description": "A dependency is down or the flush is behind.",
                    "headers": RETRY_AFTER,
                    "content": {"application/json": {"schema": ref}},
                },
            },
        }
    }
    return result


class PingApi(APIView):
    """An authenticated no-op: the same server, auth and framework as a gamified action,
    minus the action. Benchmarks measure the action endpoints against it."""

    @extend_schema(responses={200: inline_serializer("Pong", {"pong": serializers.BooleanField()})})
    def get(self, request: Request) -> Response:
        return Response({"pong": True})


class ApiNotFound(APIView):
    """Any other path under /api/: a JSON 404 like the API's own, not Django's HTML page
    (the path converters refuse /api/habits/-1 or /api/sessions/x/complete before a view)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    schema = None

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        raise NotFound()  # before any method's handler: every method answers 404
