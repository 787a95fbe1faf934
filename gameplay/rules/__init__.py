"""FocusQuest game rules as pure functions.

Nothing here does I/O, imports Django or reads the clock: every moment is passed in as an
aware ``datetime`` and every player day as a ``date``. The numbers are the product contract;
the views, the database layer and the live store (a Redis Lua script) all apply these rules,
so anything they need to share is exposed as plain data (``BADGE_RULES``,
``checkin_points_table()``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from math import isqrt
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# The habit rules have a module of their own; every rule is read as `rules.<name>`.
from gameplay.rules.habits import (
    CHECKIN_BASE_POINTS,
    DAILY,
    FREEZE_EVERY,
    FREEZES_MAX,
    REST_DAYS_MAX,
    WEEK_BONUS_BASE,
    WEEK_BONUS_CAP,
    WEEKLY,
    WEEKLY_TARGET_MAX,
    WEEKLY_TARGET_MIN,
    DailyHabit,
    Schedule,
    SkipDay,
    current_streak,
    freeze_earned,
    freezes_spent,
    longest_streak,
    schedule_refusal,
    skip_days,
    streak_at,
    week_bonus,
    week_met,
    week_of,
    week_streak_at,
    weekly_checkin_points,
    weekly_current_streak,
    weekly_longest_streak,
)
from gameplay.rules.vacations import (
    VACATION_DAYS_PER_YEAR,
    VACATION_ENDED,
    VACATION_MAX_DAYS,
    VACATION_OVER,
    VACATION_REMOVED,
    VacationRefusal,
    vacation_cut,
    vacation_days_in_year,
    vacation_refusal,
    vacation_years,
)

K = TypeVar("K")

# --- Focus sessions -------------------------------------------------------------------------

PLANNED_MINUTES_MIN = 5
PLANNED_MINUTES_MAX = 180
COMPLETION_GRACE_SECONDS = 5
SESSION_WINDOW = timedelta(hours=24)
FULL_SESSION_BONUS = 10
DEEP_WORK_SECONDS = 5400
# A completion with fewer focused seconds is a short session: it earns its minutes' points
# and nothing else (no completed-session count, no session badge, no community session).
SHORT_SESSION_SECONDS = 300

# --- Habit check-ins ------------------------------------------------------------------------

CHECKIN_STREAK_STEP_POINTS = 2
CHECKIN_STREAK_BONUS_CAP = 5  # bonus steps stop growing after this many extra days

# --- Levels ---------------------------------------------------------------------------------

LEVEL_POINTS_FACTOR = 50  # level L is reached at LEVEL_POINTS_FACTOR * L * (L - 1) points


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got naive {value!r}")


def _require_planned_minutes(planned_minutes: int) -> None:
    if not PLANNED_MINUTES_MIN <= planned_minutes <= PLANNED_MINUTES_MAX:
        raise ValueError(
            f"planned_minutes must be {PLANNED_MINUTES_MIN}..{PLANNED_MINUTES_MAX}, "
            f"got {planned_minutes}"
        )


def session_expired(*, started_at: datetime, now: datetime) -> bool:
    """Whether a running session is too old to be completed or abandoned.

    A session may be closed while ``now - started_at <= SESSION_WINDOW`` (exactly 24 hours is
    still allowed); it is expired strictly after that. Raises ValueError for naive datetimes.
    """
    _require_aware(started_at, "started_at")
    _require_aware(now, "now")
    return now - started_at > SESSION_WINDOW


def focus_completion_refusal(
    *, planned_minutes: int, focused_seconds: int, started_at: datetime, now: datetime
) -> str | None:
    """Why a completion report must be refused, or None when it is acceptable.

    Accepted when the session is not expired (see ``session_expired``),
    ``0 <= focused_seconds <= planned_minutes * 60`` and ``focused_seconds`` is at most the
    time since the server recorded the start plus ``COMPLETION_GRACE_SECONDS``. Checks run in
    that order and the first violated limit is reported. ``started_at`` is the server's
    record, never the client's. Raises ValueError for naive datetimes or a
    ``planned_minutes`` outside ``PLANNED_MINUTES_MIN..PLANNED_MINUTES_MAX`` (such a session
    cannot have been started).
    """
    _require_planned_minutes(planned_minutes)
    if session_expired(started_at=started_at, now=now):
        return "The session started more than 24 hours ago and can no longer be completed."
    if focused_seconds < 0:
        return "Focused seconds cannot be negative."
    planned_seconds = planned_minutes * 60
    if focused_seconds > planned_seconds:
        return (
            f"Focused seconds ({focused_seconds}) exceed the planned length "
            f"of {planned_minutes} minutes ({planned_seconds} s)."
        )
    # timedelta arithmetic keeps microseconds exact; float seconds could misjudge the boundary.
    allowed = now - started_at + timedelta(seconds=COMPLETION_GRACE_SECONDS)
    if timedelta(seconds=focused_seconds) > allowed:
        return (
            f"Focused seconds ({focused_seconds}) exceed the time since the start "
            f"plus {COMPLETION_GRACE_SECONDS} s."
        )
    return None


def focus_points(*, planned_minutes: int, focused_seconds: int) -> int:
    """Points for an accepted completion.

    ``focused_seconds // 60`` plus ``FULL_SESSION_BONUS`` when the full planned length was
    focused (``focused_seconds >= planned_minutes * 60``). An abandoned session earns 0 and
    never reaches this function. Raises ValueError for inputs
    ``focus_completion_refusal`` would refuse on their own (negative seconds, more than
    planned, planned length out of range).
    """
    _require_planned_minutes(planned_minutes)
    planned_seconds = planned_minutes * 60
    if not 0 <= focused_seconds <= planned_seconds:
        raise ValueError(f"focused_seconds must be 0..{planned_seconds}, got {focused_seconds}")
    bonus = FULL_SESSION_BONUS if focused_seconds >= planned_seconds else 0
    return focused_seconds // 60 + bonus


def is_short_session(focused_seconds: int) -> bool:
    """Whether a completion is a *short* session (fewer than ``SHORT_SESSION_SECONDS``
    focused): it earns ``focus_points`` but counts as a completed session nowhere, so
    badges and counters cannot be farmed with empty sessions."""
    return focused_seconds < SHORT_SESSION_SECONDS


# --- Player's day ---------------------------------------------------------------------------


def player_day(moment: datetime, *, timezone: str, day_start_hour: int) -> date:
    """The player's day that ``moment`` falls in.

    The wall-clock local time in the IANA ``timezone`` decides: the day is the local date if
    the local hour is at least ``day_start_hour`` (0..23), otherwise the previous date. So
    with a 04:00 start, 02:30 local still counts as the previous day. Wall-clock hours are
    used on DST days too, so a day may be 23 or 25 hours long. Raises ValueError for a naive
    ``moment``, an unknown timezone or a ``day_start_hour`` outside 0..23.
    """
    _require_aware(moment, "moment")
    if not 0 <= day_start_hour <= 23:
        raise ValueError(f"day_start_hour must be 0..23, got {day_start_hour}")
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown timezone {timezone!r}") from exc
    local = moment.astimezone(zone)
    if local.hour >= day_start_hour:
        return local.date()
    return local.date() - timedelta(days=1)


# --- Habits held and created -----------------------------------------------------------------

HABITS_MAX_HELD = 50
HABITS_MAX_CREATED_PER_DAY = 20


def habit_creation_refusal(*, held: int, created_today: int) -> str | None:
    """Why a player may not create another habit now, or None when they may.

    ``held`` counts the player's habits not deleted; ``created_today`` every habit created
    on the player's current local day, deleted ones included: creating, checking and
    deleting habits in a loop must not mint points without bound.
    """
    if held >= HABITS_MAX_HELD:
        return f"You already have {HABITS_MAX_HELD} habits; delete one to add another."
    if created_today >= HABITS_MAX_CREATED_PER_DAY:
        return (
            f"You have created {HABITS_MAX_CREATED_PER_DAY} habits today, the most in one day; "
            "try again tomorrow."
        )
    return None


# --- Habit check-ins and streaks ------------------------------------------------------------


def checkin_day_refusal(day: date, *, today: date) -> str | None:
    """Why a check-in for ``day`` must be refused, or None when it is allowed.

    Only the player's ``today`` and the day before it (a backfill) may be checked in.
    """
    if day == today or day == today - timedelta(days=1):
        return None
    if day > today:
        return "You cannot check in for a future day."
    return "You can only check in for today or yesterday."


def checkin_points(streak: int) -> int:
    """Points for a check-in that brings the habit's streak to ``streak`` (>= 1).

    ``10 + 2 * min(streak - 1, 5)``: 10, 12, 14, 16, 18, 20, then 20 forever. The streak is
    the one at the checked day (``streak_at``), so a backfill is scored by its own run.
    Raises ValueError for a streak below 1.
    """
    if streak < 1:
        raise ValueError(f"streak must be at least 1, got {streak}")
    steps = min(streak - 1, CHECKIN_STREAK_BONUS_CAP)
    return CHECKIN_BASE_POINTS + CHECKIN_STREAK_STEP_POINTS * steps


def checkin_points_table() -> list[int]:
    """``[checkin_points(1), ..., checkin_points(cap + 1)]``, i.e. ``[10, 12, 14, 16, 18, 20]``.

    For the live store: the points for streak ``s`` are ``table[min(s, len(table)) - 1]``.
    """
    return [checkin_points(s) for s in range(1, CHECKIN_STREAK_BONUS_CAP + 2)]


# --- Levels ---------------------------------------------------------------------------------


def level_threshold(level: int) -> int:
    """Total points at which ``level`` is reached: ``50 * L * (L - 1)``.

    Level 1 at 0, 2 at 100, 3 at 300, 4 at 600, 5 at 1000. Raises ValueError below level 1.
    """
    if level < 1:
        raise ValueError(f"level must be at least 1, got {level}")
    return LEVEL_POINTS_FACTOR * level * (level - 1)


def level_for(points: int) -> int:
    """The highest level whose threshold is at most ``points``; 1 for negative totals."""
    if points < 0:
        return 1
    # L*(L-1) is an integer, so L*(L-1) <= points/50 iff L*(L-1) <= points//50; solving the
    # quadratic with an integer square root avoids float rounding at exact thresholds.
    quotient = points // LEVEL_POINTS_FACTOR
    return (1 + isqrt(1 + 4 * quotient)) // 2


def next_level_at(points: int) -> int:
    """Total points at which the level after ``level_for(points)`` is reached."""
    return level_threshold(level_for(points) + 1)


# --- Badges ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class BadgeRule:
    """A badge as data, so the live store can be handed the same thresholds.

    A badge is earned when its ``measure`` reaches ``threshold``. It is awarded once per
    player and is worth no points.
    """

    code: str
    measure: str
    threshold: int
    title: str
    description: str


MEASURE_COMPLETED_SESSIONS = "completed_sessions"  # number of completed sessions of the player
MEASURE_SESSION_FOCUSED_SECONDS = "session_focused_seconds"  # of one completed session
MEASURE_STREAK = "streak"  # a streak any one of the player's habits has reached
MEASURE_TOTAL_POINTS = "total_points"  # the player's total points

BADGE_MEASURES: tuple[str, ...] = (
    MEASURE_COMPLETED_SESSIONS,
    MEASURE_SESSION_FOCUSED_SECONDS,
    MEASURE_STREAK,
    MEASURE_TOTAL_POINTS,
)

BADGE_RULES: tuple[BadgeRule, ...] = (
    BadgeRule(
        "first_focus",
        MEASURE_COMPLETED_SESSIONS,
        1,
        "First focus",
        "Complete your first focus session.",
    ),
    BadgeRule(
        "focus_10",
        MEASURE_COMPLETED_SESSIONS,
        10,
        "Ten sessions",
        "Complete ten focus sessions.",
    ),
    BadgeRule(
        "deep_work",
        MEASURE_SESSION_FOCUSED_SECONDS,
        DEEP_WORK_SECONDS,
        "Deep work",
        "Complete a focus session with at least 90 focused minutes.",
    ),
    BadgeRule(
        "streak_7",
        MEASURE_STREAK,
        7,
        "Week streak",
        "Keep a habit streak going for 7 days.",
    ),
    BadgeRule(
        "streak_30",
        MEASURE_STREAK,
        30,
        "Month streak",
        "Keep a habit streak going for 30 days.",
    ),
    BadgeRule(
        "points_1000",
        MEASURE_TOTAL_POINTS,
        1000,
        "Thousand points",
        "Earn 1000 total points.",
    ),
)

BADGE_CODES: tuple[str, ...] = tuple(rule.code for rule in BADGE_RULES)


def badges_earned(measures: Mapping[str, int]) -> set[str]:
    """Codes of every badge whose measure is present in ``measures`` and >= its threshold.

    Absent measures earn nothing, so callers pass only what they just measured (e.g. the
    focused seconds of the session just completed). Already-held badges are included too;
    awarding once per player is the caller's job. Raises ValueError for a measure name no
    badge uses, so a typo cannot silently withhold a badge.
    """
    unknown = set(measures) - set(BADGE_MEASURES)
    if unknown:
        raise ValueError(f"unknown badge measures: {sorted(unknown)}")
    return {
        rule.code
        for rule in BADGE_RULES
        if rule.measure in measures and measures[rule.measure] >= rule.threshold
    }


# --- Leaderboard ----------------------------------------------------------------------------


def competition_rank(points: int, others: Iterable[int]) -> int:
    """Competition rank of ``points``: 1 + the number of ``others`` with strictly more points.

    ``others`` are the visible players' totals; including the player's own total is harmless.
    """
    return 1 + sum(1 for other in others if other > points)


def competition_ranks(scores: Sequence[tuple[K, int]]) -> list[tuple[K, int, int]]:
    """``(key, points, rank)`` for every score, by points descending; ties keep input order.

    Ties share a rank and the next rank skips: [300, 200, 200, 100] -> 1, 2, 2, 4.
    """
    ordered = sorted(scores, key=lambda item: -item[1])
    ranked: list[tuple[K, int, int]] = []
    for position, (key, points) in enumerate(ordered, start=1):
        rank = ranked[-1][2] if ranked and ranked[-1][1] == points else position
        ranked.append((key, points, rank))
    return ranked


# --- Weeks and community days (UTC for everyone) --------------------------------------------


def week_id(moment: datetime) -> str:
    """ISO week of the UTC moment, e.g. ``"2026-W48"`` (the ISO year, not the calendar year)."""
    _require_aware(moment, "moment")
    iso_year, iso_week, _ = moment.astimezone(UTC).date().isocalendar()
    return f"{iso_year}-W{iso_week:02d}"


def week_start(moment: datetime) -> datetime:
    """Monday 00:00 UTC of the ISO week containing ``moment`` (aware, in UTC)."""
    _require_aware(moment, "moment")
    day = moment.astimezone(UTC).date()
    monday = day - timedelta(days=day.weekday())
    return datetime.combine(monday, time(0), tzinfo=UTC)


def community_day(moment: datetime) -> date:
    """The UTC date of ``moment``: the community's shared day."""
    _require_aware(moment, "moment")
    return moment.astimezone(UTC).date()
