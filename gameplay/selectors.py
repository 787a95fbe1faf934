"""Reads of the flushed history (they may trail the live values by one flush)."""

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, F, Q, Sum

from gameplay.models import LedgerEntry


def player_stats(*, player_id: int, today: date, days: int) -> list[dict]:
    """Per local day, oldest first: focus minutes, completed sessions, check-ins, points,
    and the freezes spent on it (its habits' missed days they kept; a backfill of the day
    gives its freeze back, so that freeze no longer counts)."""
    first = today - timedelta(days=days - 1)
    rows = (
        LedgerEntry.objects.filter(player_id=player_id, day__gte=first, day__lte=today)
        .values("day")
        .annotate(
            # Whole minutes per session (integer division), as the points count them.
            focus_minutes=Sum(F("focus_seconds") / 60),
            sessions=Count("pk", filter=Q(kind=LedgerEntry.Kind.SESSION_COMPLETED)),
            check_ins=Count("pk", filter=Q(kind=LedgerEntry.Kind.CHECK_IN)),
            points=Sum("points"),
            frozen=Count("pk", filter=Q(kind=LedgerEntry.Kind.FREEZE_SPENT))
            - Count("pk", filter=Q(kind=LedgerEntry.Kind.FREEZE_REFUNDED)),
        )
    )
    by_day = {row["day"]: row for row in rows}
    result = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        # A day with no entries reads as zeros.
        row: Mapping[str, Any] = by_day.get(day, {})
        result.append(
            {
                "date": day,
                "focus_minutes": row.get("focus_minutes", 0) or 0,
                "sessions": row.get("sessions", 0),
                "check_ins": row.get("check_ins", 0),
                "points": row.get("points", 0) or 0,
                "frozen": row.get("frozen", 0),
            }
        )
    return result
