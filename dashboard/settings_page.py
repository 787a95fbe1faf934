"""The settings page (/settings/): the profile, the password and the vacations card, each
section its own template under dashboard/templates/dashboard/settings/.

The profile and the password are htmx partials like the dashboard's cards, checked by the
API's own serializers (accounts.api) and written by the same services as PATCH /api/me and
POST /api/auth/password: one set of rules. What the page adds is the page's alone: the
email field, and the new password typed twice."""

import math

from django.contrib.auth import password_validation
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST
from rest_framework import serializers

from accounts.api import PasswordChangeInput, ProfileUpdate
from accounts.models import User
from accounts.passwords import password_change
from accounts.player import player_of
from accounts.services import player_update
from accounts.throttles import attempt_refused_for, too_many_attempts
from accounts.validators import player_timezones
from common import clock
from dashboard.partials import partial_login_required
from dashboard.vacations import vacations_context

PROFILE_FIELDS = ("display_name", "email", "timezone", "day_start_hour")
PASSWORD_FIELDS = ("old_password", "new_password", "new_password_again")
PASSWORD_CHANGED = (
    "Password changed. Every other browser and app logged in to your account is logged out."
)


class ProfileInput(ProfileUpdate):
    """PATCH /api/me's fields and rules, and the email a reset link is sent to."""

    email = serializers.EmailField(required=False, allow_blank=True)


class PasswordInput(PasswordChangeInput):
    """POST /api/auth/password's fields and rules, and the new password typed again."""

    new_password_again = serializers.CharField(trim_whitespace=False, write_only=True)

    def validate(self, attrs: dict) -> dict:
        if attrs["new_password"] != attrs.pop("new_password_again"):
            raise serializers.ValidationError({"new_password_again": ["The passwords differ."]})
        return attrs


def _errors(serializer: serializers.Serializer, fields: tuple[str, ...]) -> dict[str, str]:
    """The first message for each field; a field the form does not have, under "form"."""
    errors: dict[str, str] = {}
    for field, messages in serializer.errors.items():
        errors.setdefault(field if field in fields else "form", str(messages[0]))
    return errors


def profile_context(
    *, player: User, sent: dict | None = None, errors: dict | None = None, message: str = ""
) -> dict:
    """The profile form: the player's values, or what they sent when it was refused."""
    values = {field: getattr(player, field) for field in PROFILE_FIELDS}
    if sent is not None:
        values.update({field: sent[field] for field in PROFILE_FIELDS if field in sent})
    return {
        "profile": values,
        "profile_errors": errors or {},
        "profile_message": message,
        "timezones": player_timezones(),
        "hours": [(hour, f"{hour:02d}:00") for hour in range(24)],
    }


def password_context(*, errors: dict | None = None, message: str = "") -> dict:
    return {
        "password_errors": errors or {},
        "password_message": message,
        "password_rules": password_validation.password_validators_help_texts(),
    }


def page_context(player: User) -> dict:
    return {
        **profile_context(player=player),
        **password_context(),
        **vacations_context(player=player, now=clock.now()),
    }


@login_required
def settings_page(request: HttpRequest) -> HttpResponse:
    return render(request, "dashboard/settings.html", page_context(player_of(request)))


def _partial(request: HttpRequest, template: str, context: dict, status: int) -> HttpResponse:
    return render(
        request, f"dashboard/settings/{template}", {**context, "partial": True}, status=status
    )


@require_POST
@partial_login_required
def profile_save(request: HttpRequest) -> HttpResponse:
    player = player_of(request)
    sent = request.POST.dict()
    form = ProfileInput(data=sent, context={"player": player})
    if not form.is_valid():
        errors = _errors(form, PROFILE_FIELDS)
        context = profile_context(player=player, sent=sent, errors=errors)
        return _partial(request, "_profile.html", context, 400)
    player = player_update(player=player, **form.validated_data)
    return _partial(request, "_profile.html", profile_context(player=player, message="Saved."), 200)


@require_POST
@partial_login_required
def password_save(request: HttpRequest) -> HttpResponse:
    # Counted before the old password is checked, in the buckets logging in counts in.
    wait = attempt_refused_for(request)
    if wait is not None:
        response = _partial(
            request,
            "_password.html",
            password_context(errors={"form": too_many_attempts(wait)}),
            429,
        )
        response["Retry-After"] = str(max(1, math.ceil(wait)))
        return response
    player = player_of(request)
    form = PasswordInput(data=request.POST.dict(), context={"player": player})
    if not form.is_valid():
        errors = _errors(form, PASSWORD_FIELDS)
        return _partial(request, "_password.html", password_context(errors=errors), 400)
    password_change(
        player=player, new_password=form.validated_data["new_password"], browser=request
    )
    return _partial(request, "_password.html", password_context(message=PASSWORD_CHANGED), 200)
