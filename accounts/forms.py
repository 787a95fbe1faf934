from django import forms
from django.contrib.auth.forms import UserCreationForm

from accounts.models import User
from accounts.validators import player_timezones


def _timezone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in player_timezones()]


class SignupForm(UserCreationForm):
    # The sign-up page preselects the browser's own zone (static/js/signup.js).
    timezone = forms.ChoiceField(choices=_timezone_choices, initial="UTC")
    day_start_hour = forms.IntegerField(
        min_value=0, max_value=23, initial=0, help_text="When your day starts (0 = midnight)."
    )

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "display_name", "email", "timezone", "day_start_hour")
