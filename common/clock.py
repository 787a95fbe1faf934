"""The one place that reads the clock; rules and services take `now` as an argument."""

from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC)
