"""What a service raises when the rules refuse an action, and the HTTP answer it maps to.

Services raise these and know nothing of HTTP; the API's exception handler
(focusquest/api.py) turns every one into DRF's usual bodies in one place, and the pages
catch them to show the message beside the form. A refusal writes nothing: services raise
before the one live-store call, or the script itself refused.
"""

from http import HTTPStatus


class Refusal(Exception):
    """A refused action. `field` names the input it is about (the 400 body's key; without
    one, `non_field_errors`); `extra` is added to a 409's body (what the client needs to
    recover, e.g. the running session's id)."""

    status = HTTPStatus.BAD_REQUEST
    default_field = "non_field_errors"

    def __init__(self, message: str, *, field: str | None = None, **extra: object) -> None:
        super().__init__(message)
        self.message = message
        self.field = field or self.default_field
        self.extra = extra


class Invalid(Refusal):
    """Input the rules refuse: 400, `{field: [message]}`."""


class Missing(Refusal):
    """No such object for this player (another player's answers the same): 404."""

    status = HTTPStatus.NOT_FOUND


class Conflict(Refusal):
    """The object is not in a state that allows the action: 409, `{"detail": message}`."""

    status = HTTPStatus.CONFLICT
