"""Habit rules: streaks over skip days (rest days, vacations, frozen days), schedules,
weekly targets and streak freezes. Pure functions like the rest of gameplay.rules, which
exports every name here."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

CHECKIN_BASE_POINTS = 10

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
