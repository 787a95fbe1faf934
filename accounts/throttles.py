"""Throttles for every door that checks a password, makes an account or sends a reset mail:
the API's token, sign-up, password and password-reset endpoints, and the HTML log-in, admin
log-in, sign-up, password reset and settings password forms.

One rate (`THROTTLE_AUTH`, DRF's "auth" scope) and two buckets for each attempt: the
client's address and the account tried (the username named, the signed-in player's own when
they change their password, or the email a reset is asked for). The first stops one client
trying many accounts, the second many clients (a botnet, or a client that changes its
address) trying one, or filling one mailbox with reset mails. The counters are DRF's
`SimpleRateThrottle` history lists in the cache (Redis), so the API and the forms share
them: an address gets 30 attempts a minute wherever it makes them.
"""

import hashlib
import math
from collections.abc import Sequence

from django import forms
from django.http import HttpResponse
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle

SCOPE = "auth"


def client_address(request) -> str:
    """The client's address, for throttles: REMOTE_ADDR, unless `NUM_PROXIES` trusted
    proxies stand in front, in which case the address the outermost of them saw, read from
    X-Forwarded-For (the entries a client wrote itself come before it and are ignored).
    DRF's own rule (`NUM_PROXIES` in REST_FRAMEWORK), so every throttle agrees."""
    return BaseThrottle().get_ident(request)


def _field_sent(request, name: str) -> str | None:
    data = getattr(request, "data", None)  # a DRF request; a Django one has POST only
    if data is None:
        data = request.POST
    value = data.get(name) if hasattr(data, "get") else None
    return value if isinstance(value, str) and value.strip() else None


def attempted_username(request) -> str | None:
    """The username an API request or a form post names; without one, the signed-in
    player's, who gives their password to change it: a guess at alice's password counts
    in alice's bucket, through the log-in or through a session someone left open."""
    username = _field_sent(request, "username")
    if username is not None:
        return username
    user = getattr(request, "user", None)
    return user.get_username() if user is not None and user.is_authenticated else None


def _digest(value: str) -> str:
    # Hashed: the key's length and characters do not depend on what a client sent.
    return hashlib.sha256(value.strip().casefold().encode()).hexdigest()


class AuthAddressThrottle(SimpleRateThrottle):
    """Attempts per client address (the same bucket as ScopedRateThrottle's "auth")."""

    scope = SCOPE

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": client_address(request)}


class AuthUsernameThrottle(SimpleRateThrottle):
    """Attempts per username tried, whatever the address (case does not make a new one)."""

    scope = SCOPE
    cache_format = "throttle_auth-username_%(ident)s"

    def get_cache_key(self, request, view) -> str | None:
        username = attempted_username(request)
        if username is None:
            return None
        return self.cache_format % {"ident": _digest(username)}


class AuthEmailThrottle(SimpleRateThrottle):
    """Reset mails asked for one email address, whatever the client's address: nobody can
    fill a mailbox with them (case does not make a new address)."""

    scope = SCOPE
    cache_format = "throttle_auth-email_%(ident)s"

    def get_cache_key(self, request, view) -> str | None:
        email = _field_sent(request, "email")
        return None if email is None else self.cache_format % {"ident": _digest(email)}


# For the API views: `throttle_classes = AUTH_THROTTLES` (RESET_THROTTLES for the reset).
AUTH_THROTTLES = [AuthAddressThrottle, AuthUsernameThrottle]
RESET_THROTTLES = [AuthAddressThrottle, AuthEmailThrottle]


def throttle_keys_of(*, username: str) -> list[str]:
    """The cache keys of the buckets that name a player (their deletion forgets them)."""
    return [AuthUsernameThrottle.cache_format % {"ident": _digest(username)}]


def attempt_refused_for(
    request, throttles: Sequence[type[BaseThrottle]] = AUTH_THROTTLES
) -> float | None:
    """Count one attempt in every bucket; the seconds to wait if any bucket is full."""
    waits = []
    for throttle in (cls() for cls in throttles):
        # The HTML forms have no DRF view, and these two throttles read only the request;
        # the stubs make the view a required APIView.
        if not throttle.allow_request(request, None):  # type: ignore[arg-type]
            waits.append(throttle.wait() or 1.0)
    return max(waits) if waits else None


def too_many_attempts(seconds: float) -> str:
    wait = max(1, math.ceil(seconds))
    return f"Too many attempts. Please wait {wait} second{'s' if wait != 1 else ''} and try again."


class ThrottledAttempts:
    """A form mixin: every bound submission counts as an attempt, and a throttled one is a
    form error before anything costly runs (no password is hashed, no account made).

    The view answers it with `throttled_response`: the page again with the error, as
    429 with Retry-After. A person reads the error; a script, a proxy or monitoring sees
    the status, which a 200 would hide."""

    throttled_for: float | None = None
    throttles: Sequence[type[BaseThrottle]] = AUTH_THROTTLES

    def clean(self):
        # The form's `request` is the request being answered (a form made without one, to
        # read its fields, is never submitted).
        wait = None if self.request is None else attempt_refused_for(self.request, self.throttles)
        if wait is not None:
            self.throttled_for = wait
            raise forms.ValidationError(too_many_attempts(wait), code="throttled")
        return super().clean()


def throttled_response(response: HttpResponse, form: forms.BaseForm | None) -> HttpResponse:
    """Make the page that shows a throttled form a 429 with Retry-After."""
    wait = getattr(form, "throttled_for", None)
    if wait is not None:
        response.status_code = 429
        response["Retry-After"] = str(max(1, math.ceil(wait)))
    return response


def form_of(response: HttpResponse) -> forms.BaseForm | None:
    """The form a (not yet rendered) TemplateResponse shows, if any."""
    return (getattr(response, "context_data", None) or {}).get("form")
