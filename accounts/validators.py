import zoneinfo

from django.core.exceptions import ValidationError


def validate_timezone(value: str) -> None:
    """Accept only IANA zone names the server's tz database knows ("Europe/Berlin")."""
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"'{value}' is not a known IANA time zone.", code="invalid_timezone")
