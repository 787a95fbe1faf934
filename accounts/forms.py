import zoneinfo

from django import forms
from django.contrib.auth.forms import UserCreationForm

from accounts.models import User


def _timezone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(zoneinfo.available_timezones())]


class SignupForm(UserCreationForm):
    timezone = forms.ChoiceField(choices=_timezone_choices, initial="UTC")
    day_start_hour = forms.IntegerField(
        min_value=0, max_value=23, initial=0, help_text="When your day starts (0 = midnight)."
    )

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "display_name", "email", "timezone", "day_start_hour")
