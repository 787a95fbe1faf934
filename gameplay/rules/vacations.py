"""Vacation rules: which vacations a player may add, and what taking one back does.
Pure functions like the rest of gameplay.rules, which exports every name here. (A freeze
spent on a day a new vacation covers comes back, up to FREEZES_MAX, gameplay.rules.habits.)"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

VACATION_MAX_DAYS = 30
VACATION_DAYS_PER_YEAR = 60  # per calendar year, a vacation over New Year counting in each
# What taking a vacation back does (`vacation_cut`).
VACATION_REMOVED = "removed"  # it had not begun, or begins today: nothing of it remains
VACATION_ENDED = "ended"  # under way: it ends yesterday, the days lived stay
VACATION_OVER = "over"  # it ended before today: its days are history, nothing changes


@dataclass(frozen=True)
class VacationRefusal:
    """Why a vacation cannot be added: ``message`` for the player, ``field`` the input it
    is about (None: the request as a whole); ``overlap``: it overlaps another (a 409)."""

    message: str
    field: str | None = None
    overlap: bool = False


def vacation_days_in_year(first: date, last: date, year: int) -> int:
    """How many of the days ``first..last`` (both included) lie in the calendar ``year``."""
    low, high = max(first, date(year, 1, 1)), min(last, date(year, 12, 31))
    return max(0, (high - low).days + 1)


def vacation_years(start: date, end: date) -> list[tuple[date, date]]:
    """The calendar years the days ``start..end`` touch, as (1 January, 31 December)."""
    return [(date(y, 1, 1), date(y, 12, 31)) for y in range(start.year, end.year + 1)]


def vacation_refusal(
    start: date, end: date, *, today: date, others: Iterable[tuple[date, date]] = ()
) -> VacationRefusal | None:
    """Why the vacation ``start..end`` (local days, both included) must be refused beside
    the player's ``others`` (first, last), or None: it starts yesterday at the earliest,
    ends on or after its start, lasts at most 30 days, overlaps none of the others, and
    leaves at most 60 vacation days in each calendar year it touches. First broken first."""
    if start < today - timedelta(days=1):
        return VacationRefusal("A vacation starts yesterday at the earliest.", "start")
    if end < start:
        return VacationRefusal("A vacation ends on or after its first day.", "end")
    if (end - start).days + 1 > VACATION_MAX_DAYS:
        return VacationRefusal(f"A vacation lasts at most {VACATION_MAX_DAYS} days.", "end")
    spans = sorted(others)
    for first, last in spans:
        if first <= end and start <= last:
            message = f"It overlaps your vacation from {first} to {last}."
            return VacationRefusal(message, overlap=True)
    for jan1, _ in vacation_years(start, end):
        taken = sum(vacation_days_in_year(first, last, jan1.year) for first, last in spans)
        if taken + vacation_days_in_year(start, end, jan1.year) > VACATION_DAYS_PER_YEAR:
            return VacationRefusal(
                f"At most {VACATION_DAYS_PER_YEAR} vacation days in {jan1.year}: "
                f"{taken} are taken already."
            )
    return None


def vacation_cut(start: date, end: date, *, today: date) -> tuple[str, date | None]:
    """What taking the vacation ``start..end`` back on ``today`` does, and its new last day:
    (VACATION_REMOVED, None) before it begins and on its first day; (VACATION_ENDED,
    yesterday) while it is under way; (VACATION_OVER, None) once it has ended."""
    if start >= today:
        return VACATION_REMOVED, None
    if end >= today:
        return VACATION_ENDED, today - timedelta(days=1)
    return VACATION_OVER, None
