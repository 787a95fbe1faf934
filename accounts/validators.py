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
