"""FocusQuest game rules as pure functions.

Nothing here does I/O, imports Django or reads the clock: every moment is passed in as an
aware ``datetime`` and every player day as a ``date``. The numbers are the product contract;
the views, the database layer and the live store (a Redis Lua script) all apply these rules,
so anything they need to share is exposed as plain data (``BADGE_RULES``,
``checkin_points_table()``).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from math import isqrt
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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

CHECKIN_BASE_POINTS = 10
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


# A habit's *skip days*: its rest days, the player's vacation days and the days a freeze was
# spent on for it. A checked skip day counts like any other; an unchecked one neither breaks
# nor extends a streak. `SkipDay` answers whether a day is one.
SkipDay = Callable[[date], bool]


def _never(_day: date) -> bool:
    return False


def streak_at(days: Collection[date], day: date, *, skip: SkipDay | None = None) -> int:
    """The streak at ``day``: 1 + ``streak_at(day - 1)`` when ``day`` is checked;
    ``streak_at(day - 1)`` when it is an unchecked skip day; 0 otherwise, and 0 before the
    habit's first check-in. Without skip days: consecutive checked days ending at ``day``."""
    checked = frozenset(days)
    if not checked:
        return 0
    skip = skip or _never
    first = min(checked)
    streak = 0
    while day >= first:
        if day in checked:
            streak += 1
        elif not skip(day):
            break
        day -= timedelta(days=1)
    return streak


def current_streak(days: Collection[date], *, today: date, skip: SkipDay | None = None) -> int:
    """The streak still alive on ``today``.

    The run ending today; when today is not checked yet, the run ending yesterday (the player
    can still extend it); otherwise 0. Checked days after ``today`` are ignored.
    """
    checked = frozenset(d for d in days if d <= today)
    if today in checked:
        return streak_at(checked, today, skip=skip)
    return streak_at(checked, today - timedelta(days=1), skip=skip)


def longest_streak(days: Collection[date], *, skip: SkipDay | None = None) -> int:
    """The longest streak ever: the largest ``streak_at`` over the checked days; 0 for none."""
    skip = skip or _never
    longest = run = 0
    previous: date | None = None
    for day in sorted(frozenset(days)):
        gap = (previous + timedelta(days=1), day) if previous else None
        # The run goes on when every day between two checked days is a skip day.
        if gap and all(skip(gap[0] + timedelta(days=n)) for n in range((gap[1] - gap[0]).days)):
            run += 1
        else:
            run = 1
        longest = max(longest, run)
        previous = day
    return longest


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


# --- Schedules: daily with rest days, or N times a week ------------------------------------

DAILY = "daily"
WEEKLY = "weekly"
REST_DAYS_MAX = 6  # a daily habit with seven rest days would never be expected
WEEKLY_TARGET_MIN = 1
WEEKLY_TARGET_MAX = 6  # seven times a week is a daily habit
WEEK_BONUS_BASE = 5
WEEK_BONUS_CAP = 5  # the week bonus stops growing after this many extra met weeks


@dataclass(frozen=True)
class Schedule:
    """When a habit is expected: ``daily`` except its ``rest_days`` (ISO weekdays, Monday
    is 1), or ``weekly``: ``target`` check-ins in each of the player's weeks (Monday to
    Sunday of their local days). Fixed when the habit is created."""

    kind: str = DAILY
    rest_days: frozenset[int] = frozenset()
    target: int = 0

    def __post_init__(self) -> None:
        refusal = schedule_refusal(self.kind, sorted(self.rest_days), self.target)
        if refusal:
            raise ValueError(refusal)

    @property
    def weekly(self) -> bool:
        return self.kind == WEEKLY

    def is_rest_day(self, day: date) -> bool:
        return day.isoweekday() in self.rest_days


def schedule_refusal(kind: str, rest_days: Sequence[int], target: int) -> str | None:
    """Why a schedule is not one the rules allow, or None. ``rest_days`` as given (a repeat
    is refused) and only for daily habits; ``target`` 1..6 and only for weekly ones."""
    if kind == DAILY:
        if target:
            return "A daily habit has no weekly target."
        if len(set(rest_days)) != len(rest_days):
            return "Each rest day may be named once."
        if any(not 1 <= d <= 7 for d in rest_days):
            return "Rest days are ISO weekdays, 1 (Monday) to 7 (Sunday)."
        if len(rest_days) > REST_DAYS_MAX:
            return f"A daily habit has at most {REST_DAYS_MAX} rest days."
        return None
    if kind == WEEKLY:
        if rest_days:
            return "Only a daily habit has rest days."
        if not WEEKLY_TARGET_MIN <= target <= WEEKLY_TARGET_MAX:
            return f"A weekly target is {WEEKLY_TARGET_MIN} to {WEEKLY_TARGET_MAX} times a week."
        return None
    return f"A schedule is {DAILY!r} or {WEEKLY!r}."


def skip_days(
    *,
    schedule: Schedule = Schedule(),
    vacations: Iterable[tuple[date, date]] = (),
    frozen: Collection[date] = (),
) -> SkipDay:
    """A habit's skip days: its rest days, the days of the player's vacations (first and
    last day included) and the days a freeze was spent on for it."""
    spans = tuple(vacations)
    frozen_days = frozenset(frozen)

    def skip(day: date) -> bool:
        return (
            schedule.is_rest_day(day)
            or day in frozen_days
            or any(first <= day <= last for first, last in spans)
        )

    return skip


def week_of(day: date) -> date:
    """The Monday of the player's week that holds their local ``day``."""
    return day - timedelta(days=day.weekday())


def _in_week(days: frozenset[date], monday: date) -> int:
    return sum(1 for n in range(7) if monday + timedelta(days=n) in days)


def week_met(days: Collection[date], monday: date, *, target: int) -> bool:
    """Whether the week starting ``monday`` holds at least ``target`` check-ins."""
    return _in_week(frozenset(days), monday) >= target


def week_streak_at(
    days: Collection[date], monday: date, *, target: int, on_vacation: SkipDay | None = None
) -> int:
    """Consecutive met weeks ending at the week of ``monday``: 1 + the week before's when it
    is met; the week before's when it lies wholly in vacations; 0 otherwise, and 0 before the
    habit's first check-in."""
    checked = frozenset(days)
    if not checked:
        return 0
    on_vacation = on_vacation or _never
    first = week_of(min(checked))
    streak = 0
    while monday >= first:
        if _in_week(checked, monday) >= target:
            streak += 1
        elif not all(on_vacation(monday + timedelta(days=n)) for n in range(7)):
            break
        monday -= timedelta(days=7)
    return streak


def weekly_current_streak(
    days: Collection[date], *, today: date, target: int, on_vacation: SkipDay | None = None
) -> int:
    """``week_streak_at(this week)`` when this week is met, else ``week_streak_at(last week)``."""
    this_week = week_of(today)
    checked = frozenset(d for d in days if d <= today)
    if week_met(checked, this_week, target=target):
        return week_streak_at(checked, this_week, target=target, on_vacation=on_vacation)
    return week_streak_at(
        checked, this_week - timedelta(days=7), target=target, on_vacation=on_vacation
    )


def weekly_longest_streak(
    days: Collection[date], *, target: int, on_vacation: SkipDay | None = None
) -> int:
    """The longest run of met weeks ever, in weeks."""
    checked = frozenset(days)
    weeks = sorted({week_of(d) for d in checked})
    return max(
        (week_streak_at(checked, w, target=target, on_vacation=on_vacation) for w in weeks),
        default=0,
    )


def week_bonus(*, target: int, week_streak: int) -> int:
    """What the check-in that meets its week earns on top of its 10 points:
    ``target * (5 + min(week_streak - 1, 5))``, ``week_streak`` being that week's
    ``week_streak_at`` once it is met. Raises ValueError below a streak of 1."""
    if week_streak < 1:
        raise ValueError(f"week_streak must be at least 1, got {week_streak}")
    return target * (WEEK_BONUS_BASE + min(week_streak - 1, WEEK_BONUS_CAP))


def weekly_checkin_points(
    days: Collection[date], day: date, *, target: int, on_vacation: SkipDay | None = None
) -> int:
    """Points of a weekly habit's check-in of ``day``, ``days`` holding it: 10, plus the
    week bonus when it is the target-th check-in of its week (a backfill included)."""
    checked = frozenset(days)
    monday = week_of(day)
    if _in_week(checked, monday) != target:
        return CHECKIN_BASE_POINTS
    streak = week_streak_at(checked, monday, target=target, on_vacation=on_vacation)
    return CHECKIN_BASE_POINTS + week_bonus(target=target, week_streak=streak)


# --- Streak freezes ---------------------------------------------------------------------------

FREEZES_MAX = 2
FREEZE_EVERY = 7  # a daily streak earns one at each multiple of this many days


def freeze_earned(*, streak: int, held: int) -> bool:
    """Whether a daily habit's check-in that makes its ``streak_at`` equal ``streak`` earns
    a freeze: at each multiple of 7, while the player holds fewer than 2."""
    return streak > 0 and streak % FREEZE_EVERY == 0 and held < FREEZES_MAX


@dataclass(frozen=True)
class DailyHabit:
    """What deciding a missed day needs of one daily habit: its checked days and its skip
    days (rest days, vacations, the days already frozen for it)."""

    id: int
    days: frozenset[date]
    skip: SkipDay


def freezes_spent(habits: Sequence[DailyHabit], day: date, *, held: int) -> list[int]:
    """The habits a freeze is spent on when the player's ``day`` ends, holding ``held``.

    A habit is at stake when ``day`` is expected (not a skip day), unchecked, and
    ``streak_at(day - 1)`` is at least 1. The longest ``streak_at(day - 1)`` is served
    first, then the lowest habit id, while freezes last.
    """
    at_stake = []
    for habit in habits:
        if day in habit.days or habit.skip(day):
            continue
        streak = streak_at(habit.days, day - timedelta(days=1), skip=habit.skip)
        if streak >= 1:
            at_stake.append((-streak, habit.id))
    return [habit_id for _, habit_id in sorted(at_stake)[: max(held, 0)]]


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
