"""Changes of vacations are throttled per player (`THROTTLE_VACATIONS`, DRF's "vacations"
scope): no game rule bounds them, and adding and removing one in a loop would write
events to the ledger without end. Reading them is not throttled."""

from rest_framework.permissions import SAFE_METHODS
from rest_framework.throttling import BaseThrottle, UserRateThrottle


class VacationChangeThrottle(UserRateThrottle):
    """Per player (per address when anonymous, which the API refuses anyway); the pages'
    forms count in the same bucket (`change_refused_for`)."""

    scope = "vacations"


class ThrottledChanges:
    """An APIView mixin: its writes are throttled, its reads are not (and the schema lists
    429 for the writes only)."""

    def get_throttles(self) -> list[BaseThrottle]:
        request = getattr(self, "request", None)
        if request is None or request.method in SAFE_METHODS:
            return []
        return [VacationChangeThrottle()]


def change_refused_for(request) -> float | None:
    """Count one change of the request's player; the seconds to wait if the bucket is full.
    For the pages, which have no DRF view (the throttle reads only the request)."""
    throttle = VacationChangeThrottle()
    if throttle.allow_request(request, None):  # type: ignore[arg-type]
        return None
    return throttle.wait() or 1.0
