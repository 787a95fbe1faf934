from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, UserCreationForm

from accounts.models import User
from accounts.passwords import password_reset_request
from accounts.selectors import NAME_TAKEN, public_name_taken
from accounts.throttles import RESET_THROTTLES, ThrottledAttempts
from accounts.validators import player_timezones


def _timezone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in player_timezones()]


class LoginForm(ThrottledAttempts, AuthenticationForm):
    """The log-in page's form, throttled per address and per username."""


class AdminLoginForm(ThrottledAttempts, AdminAuthenticationForm):
    """The admin's log-in form, throttled like the log-in page."""


class PasswordResetRequestForm(ThrottledAttempts, PasswordResetForm):
    """The "Forgot your password?" page's form: throttled like sign-up, per address and
    per email, and handed to the same service as POST /api/auth/password-reset."""

    throttles = RESET_THROTTLES

    def __init__(self, *args, request=None, **kwargs):
        self.request = request
        super().__init__(*args, **kwargs)

    def save(self, *, request, use_https: bool = False, **unused) -> None:  # type: ignore[override]
        password_reset_request(
            email=self.cleaned_data["email"], domain=request.get_host(), use_https=use_https
        )


class SignupForm(ThrottledAttempts, UserCreationForm):
    # The sign-up page preselects the browser's own zone (static/js/signup.js).
    timezone = forms.ChoiceField(choices=_timezone_choices, initial="UTC")
    day_start_hour = forms.IntegerField(
        min_value=0, max_value=23, initial=0, help_text="When your day starts (0 = midnight)."
    )

    def __init__(self, *args, request=None, **kwargs):
        self.request = request
        super().__init__(*args, **kwargs)

    def clean_display_name(self) -> str:
        name = self.cleaned_data.get("display_name", "")
        if name and public_name_taken(name):
            raise forms.ValidationError(NAME_TAKEN)
        return name

    def clean(self) -> dict:
        cleaned = super().clean()
        username = cleaned.get("username")
        if username and not cleaned.get("display_name") and public_name_taken(username):
            self.add_error("username", NAME_TAKEN)
        return cleaned

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "display_name", "email", "timezone", "day_start_hour")
