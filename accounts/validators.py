import zoneinfo
from functools import cache

from django.core.exceptions import ValidationError

# Not places: the tz database's aliases for the server's own zone and its placeholder, the
# fixed-offset zones (their signs are inverted) and the old System V and POSIX rule names.
_NOT_PLACES = ("Etc/", "SystemV/", "posix/", "right/")


@cache
def player_timezones() -> tuple[str, ...]:
    """The IANA zones a player may choose: "Region/City" names and UTC, sorted."""
    return tuple(
        sorted(
            name
            for name in zoneinfo.available_timezones()
            if name == "UTC" or ("/" in name and not name.startswith(_NOT_PLACES))
        )
    )


def validate_timezone(value: str) -> None:
    """Accept only IANA place names the server's tz database knows ("Europe/Berlin")."""
    if value not in player_timezones():
        raise ValidationError(f"'{value}' is not a known IANA time zone.", code="invalid_timezone")


NAME_TAKEN = "That name is already shown for another player."


def public_name_taken(name: str, *, player_pk: int | None = None) -> bool:
    """Whether `name` is what the boards already show for another player (their display
    name, or their username when they have none), case-insensitively: one player must
    not pass as another on the boards."""
    from accounts.models import User  # the validators load before the models

    others = User.objects.exclude(pk=player_pk) if player_pk else User.objects.all()
    return (
        others.filter(display_name__iexact=name).exists()
        or others.filter(display_name="", username__iexact=name).exists()
    )
