"""Throttles for every door that checks a password or makes an account: the API's token and
sign-up endpoints, and the HTML log-in, admin log-in and sign-up forms.

One rate (`THROTTLE_AUTH`, DRF's "auth" scope) and two buckets for each attempt: the
client's address and the username tried. The first stops one client trying many
usernames, the second many clients (a botnet, or a client that changes its address) trying
one. The counters are DRF's `SimpleRateThrottle` history lists in the cache (Redis), so the
API and the forms share them: an address gets 30 attempts a minute wherever it makes them.
"""

import hashlib
import math

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


def attempted_username(request) -> str | None:
    """The username an API request or a form post names, if it names one."""
    data = getattr(request, "data", None)  # a DRF request; a Django one has POST only
    if data is None:
        data = request.POST
    username = data.get("username") if hasattr(data, "get") else None
    return username if isinstance(username, str) and username.strip() else None


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
        # Hashed: the key's length and characters do not depend on what a client sent.
        return self.cache_format % {
            "ident": hashlib.sha256(username.strip().casefold().encode()).hexdigest()
        }


class PasswordCheckThrottle(SimpleRateThrottle):
    """The password checks of a signed-in player (confirming an account's deletion), per
    player: a stolen token or session must not be a way to try passwords without end."""

    scope = SCOPE
    cache_format = "throttle_auth-player_%(ident)s"

    def get_cache_key(self, request, view) -> str | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        return self.cache_format % {"ident": user.pk}


# For the API views: `throttle_classes = AUTH_THROTTLES`.
AUTH_THROTTLES = [AuthAddressThrottle, AuthUsernameThrottle]
# For a signed-in player's password check: per address and per player.
PASSWORD_CHECK_THROTTLES = [AuthAddressThrottle, PasswordCheckThrottle]


def throttle_keys_of(*, player_id: int, username: str) -> list[str]:
    """The cache keys of the buckets that name a player (their deletion forgets them)."""
    return [
        AuthUsernameThrottle.cache_format
        % {"ident": hashlib.sha256(username.strip().casefold().encode()).hexdigest()},
        PasswordCheckThrottle.cache_format % {"ident": player_id},
    ]


def attempt_refused_for(request, throttles: list | None = None) -> float | None:
    """Count one attempt in every bucket; the seconds to wait if any bucket is full."""
    waits = []
    for throttle in (cls() for cls in throttles or AUTH_THROTTLES):
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

    def clean(self):
        # The form's `request` is the request being answered (a form made without one, to
        # read its fields, is never submitted).
        wait = None if self.request is None else attempt_refused_for(self.request)
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
