"""A player's exports and imports are throttled (`THROTTLE_ACCOUNT_DATA`, DRF's
"account_data" scope, 30 an hour): each flushes the player's shard and reads or writes
their whole history, and no rule bounds repeating one. The settings page's forms count in
the same bucket (`refused_for`)."""

from rest_framework.throttling import UserRateThrottle


class AccountDataThrottle(UserRateThrottle):
    scope = "account_data"


def refused_for(request) -> float | None:
    """Count one export or import of the request's player; the seconds to wait when the
    bucket is full. For the pages, which have no DRF view (the throttle reads the request)."""
    throttle = AccountDataThrottle()
    if throttle.allow_request(request, None):  # type: ignore[arg-type]
        return None
    return throttle.wait() or 1.0
