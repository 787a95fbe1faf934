"""Table-driven tests of the habit rules that fit real lives: schedules, rest days,
vacations, weekly targets, streak freezes and the player's local day and week. Every
expected number is worked out by hand from the product contract, never read off the code.

Pure functions only: no database, no Redis, no clock. The tables that a live-store script
also answers are module constants (REST_DAYS, STORIES, ...): the differential tests in
test_rules_schedules_differential.py play the same rows through the Lua scripts.

A *story* is a player's actions in time order, each with what it answers: a check-in its
points (0 for a repeat), the habit's current and longest streaks and the freezes held
after it; a read (which settles the days that ended, as every action does first) the
freezes held. ``play`` is the rules' answer to a story: the rule functions composed the
way the contract says, day by day.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple

import pytest

from gameplay import rules


def d(month: int, day: int, year: int = 2026) -> date:
    return date(year, month, day)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0):
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def span(first: date, last: date) -> set[date]:
    """Every day from ``first`` to ``last``, both included."""
    return {first + timedelta(days=n) for n in range((last - first).days + 1)}


DAILY = rules.Schedule()
WEEKEND_OFF = rules.Schedule(rest_days=frozenset({6, 7}))  # Saturday and Sunday
THREE_A_WEEK = rules.Schedule(kind=rules.WEEKLY, target=3)
TWICE_A_WEEK = rules.Schedule(kind=rules.WEEKLY, target=2)
ONCE_A_WEEK = rules.Schedule(kind=rules.WEEKLY, target=1)
SIX_A_WEEK = rules.Schedule(kind=rules.WEEKLY, target=6)

# March 2026: Monday the 2nd, 9th, 16th, 23rd and 30th start the weeks used below.
W1, W2, W3, W4 = d(3, 2), d(3, 9), d(3, 16), d(3, 23)


def week(monday: date, *weekdays: int) -> set[date]:
    """The days of the week of ``monday`` with these ISO weekdays (Monday = 1)."""
    return {monday + timedelta(days=n - 1) for n in weekdays}


# --- Schedules --------------------------------------------------------------------------------

SCHEDULE_REFUSALS = [
    ("daily", [], 0, None),
    ("daily", [6, 7], 0, None),
    ("daily", [1, 2, 3, 4, 5, 6], 0, None),
    ("daily", [1, 2, 3, 4, 5, 6, 7], 0, "at most 6 rest days"),
    ("daily", [6, 6], 0, "once"),
    ("daily", [0], 0, "ISO weekdays"),
    ("daily", [8], 0, "ISO weekdays"),
    ("daily", [], 3, "no weekly target"),
    ("weekly", [], 1, None),
    ("weekly", [], 6, None),
    ("weekly", [], 0, "1 to 6"),
    ("weekly", [], 7, "1 to 6"),
    ("weekly", [6], 3, "Only a daily habit has rest days"),
    ("monthly", [], 0, "'daily' or 'weekly'"),
]


@pytest.mark.parametrize(("kind", "rest_days", "target", "refused_because"), SCHEDULE_REFUSALS)
def test_a_schedule_is_daily_with_up_to_six_rest_days_or_one_to_six_times_a_week(
    kind: str, rest_days: list[int], target: int, refused_because: str | None
) -> None:
    refusal = rules.schedule_refusal(kind, rest_days, target)
    if refused_because is None:
        assert refusal is None
        rules.Schedule(kind=kind, rest_days=frozenset(rest_days), target=target)
    else:
        assert refusal is not None
        assert refused_because in refusal
        if len(set(rest_days)) == len(rest_days):  # a frozenset cannot hold a repeat
            with pytest.raises(ValueError, match=refused_because):
                rules.Schedule(kind=kind, rest_days=frozenset(rest_days), target=target)


def test_the_default_schedule_is_daily_without_rest_days() -> None:
    assert rules.Schedule() == rules.Schedule(kind="daily", rest_days=frozenset(), target=0)
    assert not rules.Schedule().weekly
    assert THREE_A_WEEK.weekly


# --- Skip days ----------------------------------------------------------------------------------

SKIP_DAYS = [
    # (schedule, vacations, frozen, day, skip)
    (DAILY, [], [], d(3, 7), False),
    (WEEKEND_OFF, [], [], d(3, 6), False),  # a Friday
    (WEEKEND_OFF, [], [], d(3, 7), True),  # a Saturday
    (WEEKEND_OFF, [], [], d(3, 8), True),  # a Sunday
    (WEEKEND_OFF, [], [], d(3, 9), False),  # a Monday
    (DAILY, [(d(3, 6), d(3, 10))], [], d(3, 5), False),
    (DAILY, [(d(3, 6), d(3, 10))], [], d(3, 6), True),  # a vacation's first day
    (DAILY, [(d(3, 6), d(3, 10))], [], d(3, 8), True),
    (DAILY, [(d(3, 6), d(3, 10))], [], d(3, 10), True),  # and its last
    (DAILY, [(d(3, 6), d(3, 10))], [], d(3, 11), False),
    (DAILY, [(d(3, 2), d(3, 3)), (d(3, 12), d(3, 12))], [], d(3, 12), True),
    (DAILY, [], [d(3, 4)], d(3, 4), True),  # a frozen day
    (DAILY, [], [d(3, 4)], d(3, 5), False),
]


@pytest.mark.parametrize(("schedule", "vacations", "frozen", "day", "skip"), SKIP_DAYS)
def test_a_skip_day_is_a_rest_day_a_vacation_day_or_a_frozen_day(
    schedule: rules.Schedule,
    vacations: list[tuple[date, date]],
    frozen: list[date],
    day: date,
    skip: bool,
) -> None:
    assert rules.skip_days(schedule=schedule, vacations=vacations, frozen=frozen)(day) is skip


# --- Rest days ----------------------------------------------------------------------------------

# (rest days, checked days, the day asked, streak_at it, the points of its check-in: None
# when it is not checked). March 2026: Thursday the 5th, Friday 6th, Saturday 7th, Sunday
# 8th, Monday 9th.
REST_DAYS = [
    # Friday and Monday over a weekend off: 2, and Monday's check-in earns 12.
    ({6, 7}, {d(3, 6), d(3, 9)}, d(3, 9), 2, 12),
    ({6, 7}, {d(3, 5), d(3, 6), d(3, 9), d(3, 10)}, d(3, 10), 4, 16),
    # An unchecked rest day neither breaks nor extends the streak.
    ({6, 7}, {d(3, 5), d(3, 6)}, d(3, 7), 2, None),
    ({6, 7}, {d(3, 5), d(3, 6)}, d(3, 8), 2, None),
    ({6, 7}, {d(3, 5), d(3, 6)}, d(3, 9), 0, None),  # Monday is expected: unchecked, 0
    # A checked rest day counts like any checked day.
    ({6, 7}, {d(3, 6), d(3, 7)}, d(3, 7), 2, 12),
    ({6, 7}, {d(3, 6), d(3, 7), d(3, 9)}, d(3, 9), 3, 14),
    ({6, 7}, {d(3, 6), d(3, 7), d(3, 8), d(3, 9)}, d(3, 9), 4, 16),
    # A missed expected day still breaks it.
    ({6, 7}, {d(3, 5), d(3, 9)}, d(3, 9), 1, 10),
    # Rest days before the first check-in count for nothing.
    ({6, 7}, {d(3, 9)}, d(3, 9), 1, 10),
    ({6, 7}, span(d(3, 2), d(3, 6)) | {d(3, 9)}, d(3, 9), 6, 20),
    ({3}, {d(3, 10), d(3, 12)}, d(3, 12), 2, 12),  # a Wednesday off
    ({1, 2, 3, 4, 5, 6}, {d(3, 8), d(3, 15)}, d(3, 15), 2, 12),  # Sundays only
    ({1, 2, 3, 4, 5, 6}, {d(3, 1), d(3, 15)}, d(3, 15), 1, 10),  # Sunday the 8th missed
    # Without rest days a habit behaves exactly as before.
    (set(), {d(3, 6), d(3, 9)}, d(3, 9), 1, 10),
    (set(), {d(3, 6), d(3, 7), d(3, 8), d(3, 9)}, d(3, 9), 4, 16),
]


@pytest.mark.parametrize(("rest", "days", "day", "streak", "points"), REST_DAYS)
def test_rest_days_neither_break_nor_extend_a_streak_unless_checked(
    rest: set[int], days: set[date], day: date, streak: int, points: int | None
) -> None:
    skip = rules.skip_days(schedule=rules.Schedule(rest_days=frozenset(rest)))
    assert rules.streak_at(days, day, skip=skip) == streak
    if points is not None:
        assert rules.checkin_points(rules.streak_at(days, day, skip=skip)) == points


# (rest days, checked days, today, current streak)
REST_DAY_CURRENT = [
    ({6, 7}, {d(3, 5), d(3, 6)}, d(3, 7), 2),  # Saturday: Friday's run
    ({6, 7}, {d(3, 5), d(3, 6)}, d(3, 8), 2),  # Sunday: yesterday is a rest day
    ({6, 7}, {d(3, 5), d(3, 6)}, d(3, 9), 2),  # Monday, not checked yet
    ({6, 7}, {d(3, 5), d(3, 6)}, d(3, 10), 0),  # Monday missed
    ({6, 7}, {d(3, 6), d(3, 9)}, d(3, 9), 2),
    ({6, 7}, {d(3, 6), d(3, 9)}, d(3, 10), 2),
    (set(), {d(3, 5), d(3, 6)}, d(3, 8), 0),
]


@pytest.mark.parametrize(("rest", "days", "today", "current"), REST_DAY_CURRENT)
def test_the_current_streak_over_rest_days(
    rest: set[int], days: set[date], today: date, current: int
) -> None:
    skip = rules.skip_days(schedule=rules.Schedule(rest_days=frozenset(rest)))
    assert rules.current_streak(days, today=today, skip=skip) == current


REST_DAY_LONGEST = [
    ({6, 7}, span(d(3, 2), d(3, 6)) | span(d(3, 9), d(3, 11)), 8),
    ({6, 7}, span(d(3, 2), d(3, 6)) | {d(3, 10), d(3, 11)}, 5),  # Monday the 9th missed
    ({6, 7}, span(d(3, 2), d(3, 8)), 7),  # a checked weekend counts
    (set(), {d(3, 6), d(3, 9)}, 1),
]


@pytest.mark.parametrize(("rest", "days", "longest"), REST_DAY_LONGEST)
def test_the_longest_streak_over_rest_days(rest: set[int], days: set[date], longest: int) -> None:
    skip = rules.skip_days(schedule=rules.Schedule(rest_days=frozenset(rest)))
    assert rules.longest_streak(days, skip=skip) == longest


# --- Vacations (daily habits) -------------------------------------------------------------------

# (rest days, vacations, checked days, the day asked, streak_at it, the points of its
# check-in). Friday 6 to Tuesday 10 March crosses the week boundary of Monday the 9th.
VACATIONS = [
    (set(), [(d(3, 6), d(3, 10))], {d(3, 5), d(3, 11)}, d(3, 11), 2, 12),
    (set(), [(d(3, 6), d(3, 10))], {d(3, 4), d(3, 5), d(3, 11), d(3, 12)}, d(3, 12), 4, 16),
    (set(), [(d(3, 6), d(3, 10))], {d(3, 5)}, d(3, 8), 1, None),
    (set(), [(d(3, 6), d(3, 10))], {d(3, 5)}, d(3, 10), 1, None),
    (set(), [(d(3, 6), d(3, 10))], {d(3, 5)}, d(3, 11), 0, None),  # the day after: expected
    (set(), [(d(3, 6), d(3, 10))], {d(3, 5), d(3, 12)}, d(3, 12), 1, 10),
    (set(), [(d(3, 6), d(3, 10))], {d(3, 11)}, d(3, 11), 1, 10),  # before the first check-in
    # Two vacations back to back.
    (set(), [(d(3, 5), d(3, 8)), (d(3, 9), d(3, 10))], {d(3, 4), d(3, 11)}, d(3, 11), 2, 12),
    # A week's working days on vacation for a habit off at weekends: Friday to Monday.
    ({6, 7}, [(d(3, 9), d(3, 13))], {d(3, 6), d(3, 16)}, d(3, 16), 2, 12),
]


@pytest.mark.parametrize(("rest", "vacations", "days", "day", "streak", "points"), VACATIONS)
def test_vacation_days_neither_break_nor_extend_a_streak(
    rest: set[int],
    vacations: list[tuple[date, date]],
    days: set[date],
    day: date,
    streak: int,
    points: int | None,
) -> None:
    schedule = rules.Schedule(rest_days=frozenset(rest))
    skip = rules.skip_days(schedule=schedule, vacations=vacations)
    assert rules.streak_at(days, day, skip=skip) == streak
    if points is not None:
        assert rules.checkin_points(rules.streak_at(days, day, skip=skip)) == points


# --- The player's week --------------------------------------------------------------------------

WEEK_OF = [
    (d(3, 9), d(3, 9)),  # a Monday is its own week's start
    (d(3, 8), d(3, 2)),  # a Sunday ends the week before
    (d(3, 15), d(3, 9)),
    (d(1, 1), d(12, 29, 2025)),  # across a year end
    (d(1, 3, 2027), d(12, 28)),
    (d(2, 29, 2028), d(2, 28, 2028)),
    (d(3, 5, 2028), d(2, 28, 2028)),  # a leap day inside the week
]


@pytest.mark.parametrize(("day", "monday"), WEEK_OF)
def test_a_players_week_runs_monday_to_sunday_of_their_days(day: date, monday: date) -> None:
    assert rules.week_of(day) == monday


WEEK_MET = [
    (week(W1, 1, 2), W1, 3, False),
    (week(W1, 1, 2, 7), W1, 3, True),
    (week(W1, 1, 2, 3, 4, 5, 6, 7), W1, 3, True),
    (week(W1, 1, 2) | week(W2, 1), W1, 3, False),  # another week's day is not this week's
    (week(W1, 7), W1, 1, True),
    (week(W1, 1, 2, 3, 4, 5), W1, 6, False),
]


@pytest.mark.parametrize(("days", "monday", "target", "met"), WEEK_MET)
def test_a_week_is_met_with_at_least_target_check_ins(
    days: set[date], monday: date, target: int, met: bool
) -> None:
    assert rules.week_met(days, monday, target=target) is met


# (checked days, the week asked, target, vacations, week_streak_at it)
WEEK_STREAK_AT = [
    (week(W1, 1, 2, 3), W1, 3, [], 1),
    (week(W1, 1, 2), W1, 3, [], 0),
    (week(W1, 1, 2, 3) | week(W2, 1, 2, 3) | week(W3, 1, 2, 3), W3, 3, [], 3),
    (week(W1, 1, 2, 3) | week(W2, 1, 2, 3) | week(W3, 1, 2, 3), W2, 3, [], 2),
    (week(W1, 1, 2, 3) | week(W2, 1, 2) | week(W3, 1, 2, 3), W3, 3, [], 1),  # W2 unmet
    (week(W1, 1, 2, 3) | week(W2, 1, 2), W2, 3, [], 0),
    # A week wholly on vacation is skipped: neither breaks nor extends.
    (week(W1, 1, 2, 3) | week(W3, 1, 2, 3), W3, 3, [(W2, d(3, 15))], 2),
    (week(W1, 1, 2, 3), W2, 3, [(W2, d(3, 15))], 1),
    # A vacation crossing the week boundary (Thursday the 5th to Sunday the 15th).
    (week(W1, 1, 2, 3) | week(W3, 1, 2, 3), W3, 3, [(d(3, 5), d(3, 15))], 2),
    # Two weeks wholly on vacation.
    (week(W1, 1, 2, 3) | week(W4, 1, 2, 3), W4, 3, [(W2, d(3, 22))], 2),
    # A week only partly on vacation still needs its target.
    (week(W1, 1, 2, 3) | week(W3, 1, 2, 3), W3, 3, [(W2, d(3, 14))], 1),
    (
        week(W1, 1, 2, 3) | week(W2, 1, 2) | week(W3, 3, 4, 5),
        W3,
        3,
        [(d(3, 11), d(3, 17))],
        1,
    ),
    # A vacation before the first check-in counts for nothing.
    (week(W2, 1, 2, 3), W2, 3, [(W1, d(3, 8))], 1),
    (week(W1, 7) | week(W2, 1), W2, 1, [], 2),
    (week(W1, 1, 2, 3, 4, 5, 6), W1, 6, [], 1),
    (week(W1, 1, 2, 3, 4, 5), W1, 6, [], 0),
    (set(), W1, 3, [], 0),
]


@pytest.mark.parametrize(("days", "monday", "target", "vacations", "streak"), WEEK_STREAK_AT)
def test_the_week_streak_counts_met_weeks_and_skips_weeks_wholly_on_vacation(
    days: set[date], monday: date, target: int, vacations: list[tuple[date, date]], streak: int
) -> None:
    on_vacation = rules.skip_days(vacations=vacations)
    assert rules.week_streak_at(days, monday, target=target, on_vacation=on_vacation) == streak


WEEK_BONUS = [
    (3, 1, 15),
    (3, 2, 18),
    (3, 3, 21),
    (3, 5, 27),
    (3, 6, 30),
    (3, 7, 30),
    (3, 50, 30),
    (1, 1, 5),
    (1, 6, 10),
    (6, 1, 30),
    (6, 6, 60),
    (6, 9, 60),
]


@pytest.mark.parametrize(("target", "week_streak", "bonus"), WEEK_BONUS)
def test_the_week_bonus_is_target_times_five_plus_the_capped_week_streak(
    target: int, week_streak: int, bonus: int
) -> None:
    assert rules.week_bonus(target=target, week_streak=week_streak) == bonus


def test_the_week_bonus_needs_a_week_streak_of_at_least_one() -> None:
    with pytest.raises(ValueError):
        rules.week_bonus(target=3, week_streak=0)


# (checked days, holding the day checked in, the day, target, vacations, points)
WEEKLY_CHECKIN_POINTS = [
    (week(W1, 1), W1, 3, [], 10),
    (week(W1, 1, 2), d(3, 3), 3, [], 10),
    (week(W1, 1, 2, 3), d(3, 4), 3, [], 25),  # the third meets the week: 10 + 3 * 5
    (week(W1, 1, 2, 3, 4), d(3, 5), 3, [], 10),  # the fourth earns 10
    (week(W1, 1, 2, 3) | week(W2, 1, 2, 3), d(3, 11), 3, [], 28),
    (week(W1, 1, 2, 3) | week(W2, 1, 2, 3) | week(W3, 1, 2, 3), d(3, 18), 3, [], 31),
    # A backfill on Monday of Sunday meets last week: last week's streak, 2.
    (week(W1, 1, 2, 3) | week(W2, 4, 5, 7) | week(W3, 1), d(3, 15), 3, [], 28),
    (week(W1, 1, 2, 3) | week(W3, 1, 2, 3), d(3, 18), 3, [(W2, d(3, 15))], 28),
    (week(W1, 1, 2, 3) | week(W3, 1, 2, 3), d(3, 18), 3, [(W2, d(3, 14))], 25),
    (week(W1, 1, 2, 3, 4, 5, 6), d(3, 7), 6, [], 40),
    (week(W1, 1, 2, 3, 4, 5, 6, 7), d(3, 8), 6, [], 10),
    (set.union(*(week(W1 + timedelta(weeks=n), 1) for n in range(6))), d(4, 6), 1, [], 20),
    (set.union(*(week(W1 + timedelta(weeks=n), 1) for n in range(5))), d(3, 30), 1, [], 19),
]


@pytest.mark.parametrize(("days", "day", "target", "vacations", "points"), WEEKLY_CHECKIN_POINTS)
def test_a_weekly_check_in_earns_ten_and_the_week_bonus_when_it_meets_its_week(
    days: set[date], day: date, target: int, vacations: list[tuple[date, date]], points: int
) -> None:
    on_vacation = rules.skip_days(vacations=vacations)
    assert rules.weekly_checkin_points(days, day, target=target, on_vacation=on_vacation) == points


WEEKLY_CURRENT = [
    # (checked days, today, target, vacations, current)
    (week(W1, 1, 2), d(3, 4), 3, [], 0),
    (week(W1, 1, 2, 3), d(3, 4), 3, [], 1),
    (week(W1, 1, 2, 3), d(3, 9), 3, [], 1),  # last week's, this week not met yet
    (week(W1, 1, 2, 3) | week(W2, 1), d(3, 15), 3, [], 1),
    (week(W1, 1, 2, 3) | week(W2, 1), d(3, 16), 3, [], 0),  # last week unmet
    (week(W1, 1, 2, 3), d(3, 16), 3, [(W2, d(3, 15))], 1),  # last week on vacation
    (week(W1, 1, 2, 3) | week(W2, 1, 2, 3), d(3, 11), 3, [], 2),
    (week(W1, 1, 2, 3) | week(W2, 1, 2, 4), d(3, 11), 3, [], 1),  # after today: ignored
]


@pytest.mark.parametrize(("days", "today", "target", "vacations", "current"), WEEKLY_CURRENT)
def test_a_weekly_current_streak_is_this_weeks_when_met_else_last_weeks(
    days: set[date], today: date, target: int, vacations: list[tuple[date, date]], current: int
) -> None:
    on_vacation = rules.skip_days(vacations=vacations)
    assert (
        rules.weekly_current_streak(days, today=today, target=target, on_vacation=on_vacation)
        == current
    )


WEEKLY_LONGEST = [
    (set(), 3, [], 0),
    (week(W1, 1, 2), 3, [], 0),
    (week(W1, 1, 2, 3) | week(W2, 1, 2, 3) | week(W4, 1, 2, 3), 3, [], 2),
    (week(W1, 1, 2, 3) | week(W2, 1, 2, 3) | week(W4, 1, 2, 3), 3, [(W3, d(3, 29))], 3),
]


@pytest.mark.parametrize(("days", "target", "vacations", "longest"), WEEKLY_LONGEST)
def test_a_weekly_longest_streak_is_the_longest_run_of_met_weeks(
    days: set[date], target: int, vacations: list[tuple[date, date]], longest: int
) -> None:
    on_vacation = rules.skip_days(vacations=vacations)
    assert rules.weekly_longest_streak(days, target=target, on_vacation=on_vacation) == longest


# --- Freezes ------------------------------------------------------------------------------------

FREEZE_EARNED = [
    (7, 0, True),
    (7, 1, True),
    (7, 2, False),  # a player holds at most 2
    (14, 1, True),
    (14, 2, False),
    (21, 0, True),
    (28, 1, True),
    (1, 0, False),
    (6, 0, False),
    (8, 0, False),
    (13, 1, False),
]


@pytest.mark.parametrize(("streak", "held", "earned"), FREEZE_EARNED)
def test_a_freeze_is_earned_at_each_multiple_of_seven_below_two_held(
    streak: int, held: int, earned: bool
) -> None:
    assert rules.freeze_earned(streak=streak, held=held) is earned


def habit(
    habit_id: int,
    days: set[date],
    *,
    rest: Iterable[int] = (),
    vacations: Iterable[tuple[date, date]] = (),
    frozen: Iterable[date] = (),
) -> rules.DailyHabit:
    schedule = rules.Schedule(rest_days=frozenset(rest))
    skip = rules.skip_days(schedule=schedule, vacations=list(vacations), frozen=set(frozen))
    return rules.DailyHabit(habit_id, frozenset(days), skip)


# Sunday 8 March ends; (habits, held, the habits a freeze is spent on, in order).
MISSED = d(3, 8)
FREEZES_SPENT = [
    ([habit(1, span(d(3, 1), d(3, 7)))], 1, [1]),
    ([habit(1, span(d(3, 1), d(3, 7)))], 0, []),  # none held
    ([habit(1, span(d(3, 1), d(3, 8)))], 1, []),  # checked
    ([habit(1, span(d(3, 1), d(3, 7)), rest=[7])], 1, []),  # a rest day
    ([habit(1, span(d(3, 1), d(3, 7)), vacations=[(d(3, 8), d(3, 9))])], 1, []),
    ([habit(1, span(d(3, 1), d(3, 7)), frozen=[MISSED])], 1, []),  # already frozen
    ([habit(1, span(d(3, 1), d(3, 6)))], 1, []),  # streak_at(d - 1) = 0
    ([habit(1, set())], 1, []),  # never checked
    ([habit(1, span(d(3, 1), d(3, 6)), rest=[6])], 1, [1]),  # alive over a rest day
    ([habit(1, span(d(3, 1), d(3, 6)), frozen=[d(3, 7)])], 1, [1]),  # over a frozen day
    ([habit(1, {d(3, 6)}, vacations=[(d(3, 7), d(3, 7))])], 1, [1]),  # over a vacation
    # Several habits missing the day: the longest streak_at(d - 1) first ...
    ([habit(3, span(d(3, 1), d(3, 7))), habit(5, span(d(3, 2), d(3, 7)))], 1, [3]),
    ([habit(3, span(d(3, 6), d(3, 7))), habit(5, span(d(3, 5), d(3, 7)))], 1, [5]),
    ([habit(3, span(d(3, 1), d(3, 7))), habit(5, span(d(3, 2), d(3, 7)))], 2, [3, 5]),
    # ... then the lowest habit id (as a number: 9 before 10).
    ([habit(10, span(d(3, 6), d(3, 7))), habit(9, span(d(3, 6), d(3, 7)))], 1, [9]),
    ([habit(10, span(d(3, 6), d(3, 7))), habit(9, span(d(3, 6), d(3, 7)))], 2, [9, 10]),
    (
        [
            habit(1, {d(3, 7)}),
            habit(2, span(d(3, 5), d(3, 7))),
            habit(3, span(d(3, 6), d(3, 7))),
        ],
        2,
        [2, 3],
    ),
    ([habit(3, span(d(3, 1), d(3, 7))), habit(5, span(d(3, 2), d(3, 7)))], 0, []),
]


@pytest.mark.parametrize(("habits", "held", "spent"), FREEZES_SPENT)
def test_a_missed_expected_day_spends_a_freeze_on_the_longest_streak_first(
    habits: list[rules.DailyHabit], held: int, spent: list[int]
) -> None:
    assert rules.freezes_spent(habits, MISSED, held=held) == spent


# --- The player's day and week, across zones and DST changes ----------------------------------

KIRITIMATI = "Pacific/Kiritimati"  # UTC+14 all year
PAGO_PAGO = "Pacific/Pago_Pago"  # UTC-11 all year
NEW_YORK = "America/New_York"  # 2026: EDT from 8 March 07:00 UTC to 1 November 06:00 UTC

# (zone, day start hour, moment, the player's day, the Monday of their week)
LOCAL_DAY_AND_WEEK = [
    (KIRITIMATI, 4, utc(2026, 3, 7, 14, 0), d(3, 8), W1),  # Sunday 04:00 local
    (KIRITIMATI, 4, utc(2026, 3, 8, 10, 0), d(3, 8), W1),  # Monday 00:00 local: Sunday
    (KIRITIMATI, 4, utc(2026, 3, 8, 13, 59, 59), d(3, 8), W1),
    (KIRITIMATI, 4, utc(2026, 3, 8, 14, 0), d(3, 9), W2),  # a UTC Sunday, a local Monday
    (KIRITIMATI, 0, utc(2026, 3, 8, 10, 0), d(3, 9), W2),
    (KIRITIMATI, 0, utc(2026, 3, 8, 9, 59, 59), d(3, 8), W1),
    (PAGO_PAGO, 4, utc(2026, 3, 9, 14, 59, 59), d(3, 8), W1),  # Monday 03:59:59 local
    (PAGO_PAGO, 4, utc(2026, 3, 9, 15, 0), d(3, 9), W2),
    (PAGO_PAGO, 4, utc(2026, 3, 10, 10, 0), d(3, 9), W2),  # a UTC Tuesday, a local Monday
    (PAGO_PAGO, 4, utc(2026, 3, 16, 14, 0), d(3, 15), W2),  # a UTC Monday, a local Sunday
    (PAGO_PAGO, 0, utc(2026, 3, 9, 10, 59, 59), d(3, 8), W1),
    (PAGO_PAGO, 0, utc(2026, 3, 9, 11, 0), d(3, 9), W2),
    # New York springs forward on Sunday 8 March: Saturday is 23 hours long.
    (NEW_YORK, 4, utc(2026, 3, 7, 8, 59, 59), d(3, 6), W1),  # 03:59:59 EST
    (NEW_YORK, 4, utc(2026, 3, 7, 9, 0), d(3, 7), W1),  # 04:00 EST
    (NEW_YORK, 4, utc(2026, 3, 8, 7, 30), d(3, 7), W1),  # 03:30 EDT
    (NEW_YORK, 4, utc(2026, 3, 8, 7, 59, 59), d(3, 7), W1),
    (NEW_YORK, 4, utc(2026, 3, 8, 8, 0), d(3, 8), W1),  # 04:00 EDT
    (NEW_YORK, 4, utc(2026, 3, 9, 7, 59, 59), d(3, 8), W1),  # Monday 03:59:59 EDT
    (NEW_YORK, 4, utc(2026, 3, 9, 8, 0), d(3, 9), W2),
    # It falls back on Sunday 1 November: Saturday 31 October is 25 hours long.
    (NEW_YORK, 4, utc(2026, 10, 31, 7, 59, 59), d(10, 30), d(10, 26)),  # 03:59:59 EDT
    (NEW_YORK, 4, utc(2026, 10, 31, 8, 0), d(10, 31), d(10, 26)),  # 04:00 EDT
    (NEW_YORK, 4, utc(2026, 11, 1, 5, 30), d(10, 31), d(10, 26)),  # the first 01:30 (EDT)
    (NEW_YORK, 4, utc(2026, 11, 1, 6, 30), d(10, 31), d(10, 26)),  # the second (EST)
    (NEW_YORK, 4, utc(2026, 11, 1, 8, 59, 59), d(10, 31), d(10, 26)),  # 03:59:59 EST
    (NEW_YORK, 4, utc(2026, 11, 1, 9, 0), d(11, 1), d(10, 26)),  # 04:00 EST
    (NEW_YORK, 4, utc(2026, 11, 2, 8, 59, 59), d(11, 1), d(10, 26)),
    (NEW_YORK, 4, utc(2026, 11, 2, 9, 0), d(11, 2), d(11, 2)),
]


@pytest.mark.parametrize(("zone", "start", "moment", "day", "monday"), LOCAL_DAY_AND_WEEK)
def test_the_players_day_and_week_at_a_utc_moment(
    zone: str, start: int, moment: datetime, day: date, monday: date
) -> None:
    local_day = rules.player_day(moment, timezone=zone, day_start_hour=start)
    assert local_day == day
    assert rules.week_of(local_day) == monday


# --- Stories: the rules day by day --------------------------------------------------------------


@dataclass(frozen=True)
class CheckIn:
    """A check-in of ``day`` on the player's ``today`` (the day itself unless a backfill),
    at the UTC moment ``at`` (noon UTC of ``today`` unless given)."""

    habit: int
    day: date
    today: date | None = None
    at: datetime | None = None

    @property
    def on(self) -> date:
        return self.today or self.day


@dataclass(frozen=True)
class Read:
    """A read of the player's habits on their ``today``: it settles the days that ended."""

    today: date
    at: datetime | None = None

    @property
    def on(self) -> date:
        return self.today


Step = CheckIn | Read


class Answer(NamedTuple):
    """What a step answers: a check-in its points, the habit's current and longest streak
    and the freezes then held; a read only the freezes held."""

    points: int | None
    current: int | None
    longest: int | None
    held: int


def held(n: int) -> Answer:
    return Answer(None, None, None, n)


Play = tuple[Step, Answer]
FreezeEvent = tuple[str, int, date, int]  # (type, habit, day, delta)


@dataclass(frozen=True)
class Story:
    name: str
    habits: Mapping[int, rules.Schedule]
    plays: tuple[Play, ...]
    events: tuple[FreezeEvent, ...] = ()  # the freeze events, in the order they happen
    frozen: frozenset[tuple[int, date]] = frozenset()  # (habit, day) frozen at the end
    vacations: tuple[tuple[date, date], ...] = ()
    zone: str = "UTC"
    day_start: int = 0

    @property
    def steps(self) -> list[Step]:
        return [step for step, _ in self.plays]

    @property
    def answers(self) -> list[Answer]:
        return [answer for _, answer in self.plays]


@dataclass
class Played:
    """What a story answered, step by step, and the freezes' trace."""

    answers: list[Answer] = field(default_factory=list)
    events: list[FreezeEvent] = field(default_factory=list)
    frozen: set[tuple[int, date]] = field(default_factory=set)


def play(story: Story) -> Played:
    """The rules' answer to a story. Before each step every day that ended since the last
    one is settled (``freezes_spent``); a check-in of a frozen day gives its freeze back
    (up to the most a player holds), is scored by its schedule's rule and may earn one."""
    days: dict[int, set[date]] = {h: set() for h in story.habits}
    frozen: dict[int, set[date]] = {h: set() for h in story.habits}
    vacations = list(story.vacations)
    played = Played()
    holding = 0
    settled: date | None = None  # the last day settled

    def skip(habit_id: int) -> rules.SkipDay:
        schedule = story.habits[habit_id]
        return rules.skip_days(schedule=schedule, vacations=vacations, frozen=frozen[habit_id])

    for step in story.steps:
        day = step.on if settled is None else settled + timedelta(days=1)
        while day < step.on:
            daily = [
                rules.DailyHabit(h, frozenset(days[h]), skip(h))
                for h, schedule in story.habits.items()
                if not schedule.weekly
            ]
            for habit_id in rules.freezes_spent(daily, day, held=holding):
                holding -= 1
                frozen[habit_id].add(day)
                played.events.append(("freeze_spent", habit_id, day, -1))
            day += timedelta(days=1)
        yesterday = step.on - timedelta(days=1)
        settled = yesterday if settled is None else max(settled, yesterday)
        if isinstance(step, Read):
            played.answers.append(held(holding))
            continue
        schedule, checked = story.habits[step.habit], days[step.habit]
        points = 0
        if step.day not in checked:
            checked.add(step.day)
            if step.day in frozen[step.habit]:
                frozen[step.habit].discard(step.day)
                delta = 1 if holding < rules.FREEZES_MAX else 0
                holding += delta
                played.events.append(("freeze_refunded", step.habit, step.day, delta))
            if schedule.weekly:
                points = rules.weekly_checkin_points(
                    checked, step.day, target=schedule.target, on_vacation=skip(step.habit)
                )
            else:
                streak = rules.streak_at(checked, step.day, skip=skip(step.habit))
                points = rules.checkin_points(streak)
                if rules.freeze_earned(streak=streak, held=holding):
                    holding += 1
                    played.events.append(("freeze_earned", step.habit, step.day, 1))
        if schedule.weekly:
            target, on_vacation = schedule.target, skip(step.habit)
            current = rules.weekly_current_streak(
                checked, today=step.on, target=target, on_vacation=on_vacation
            )
            longest = rules.weekly_longest_streak(checked, target=target, on_vacation=on_vacation)
        else:
            current = rules.current_streak(checked, today=step.on, skip=skip(step.habit))
            longest = rules.longest_streak(checked, skip=skip(step.habit))
        played.answers.append(Answer(points, current, longest, holding))
    played.frozen = {(h, day) for h, frozen_days in frozen.items() for day in frozen_days}
    return played


# Building stories: check-ins of consecutive days, each on its own day, with what each answers.

RUN_POINTS = (10, 12, 14, 16, 18, 20)  # the points of the first six days of a run, then 20


def run_points(first_streak: int, n: int) -> tuple[int, ...]:
    """The points of n daily check-ins whose streaks are first_streak, first_streak + 1, ..."""
    return tuple(RUN_POINTS[min(s, 6) - 1] for s in range(first_streak, first_streak + n))


def checks(
    habit_id: int,
    first: date,
    last: date,
    *,
    held: Iterable[int],
    streak: int = 1,
    rest: Iterable[int] = (),
    at: Callable[[date], datetime] | None = None,
) -> tuple[Play, ...]:
    """A daily habit checked from ``first`` to ``last`` (its ``rest`` weekdays skipped),
    each day on its own day (at the moment ``at`` gives, else noon UTC), and what each
    check-in answers: the first one's streak is ``streak``, each next one's 1 more, the
    longest streak the same, the freezes held after each one ``held``."""
    dates = sorted(day for day in span(first, last) if day.isoweekday() not in set(rest))
    streaks = range(streak, streak + len(dates))
    return tuple(
        (CheckIn(habit_id, day, at=at(day) if at else None), Answer(points, s, s, h))
        for day, points, s, h in zip(
            dates, run_points(streak, len(dates)), streaks, held, strict=True
        )
    )


def by_day(*groups: tuple[Play, ...]) -> tuple[Play, ...]:
    """Several habits' plays merged in time order; on one day, in the order given."""
    merged = [play_ for group in groups for play_ in group]
    return tuple(sorted(merged, key=lambda item: item[0].on))


def zeros_then(n_zero: int, *rest: int) -> tuple[int, ...]:
    return (0,) * n_zero + rest


HABIT_A, HABIT_B = 1, 2

WEEKLY_STORIES = [
    Story(
        "weekly: the third check-in meets the week, the fourth earns 10",
        {7: THREE_A_WEEK},
        (
            (CheckIn(7, d(3, 2)), Answer(10, 0, 0, 0)),
            (CheckIn(7, d(3, 3)), Answer(10, 0, 0, 0)),
            (CheckIn(7, d(3, 4)), Answer(25, 1, 1, 0)),
            (CheckIn(7, d(3, 5)), Answer(10, 1, 1, 0)),
        ),
    ),
    Story(
        "weekly: three met weeks in a row, 25, 28, 31",
        {7: THREE_A_WEEK},
        (
            (CheckIn(7, d(3, 2)), Answer(10, 0, 0, 0)),
            (CheckIn(7, d(3, 3)), Answer(10, 0, 0, 0)),
            (CheckIn(7, d(3, 4)), Answer(25, 1, 1, 0)),
            (CheckIn(7, d(3, 9)), Answer(10, 1, 1, 0)),
            (CheckIn(7, d(3, 10)), Answer(10, 1, 1, 0)),
            (CheckIn(7, d(3, 11)), Answer(28, 2, 2, 0)),
            (CheckIn(7, d(3, 16)), Answer(10, 2, 2, 0)),
            (CheckIn(7, d(3, 17)), Answer(10, 2, 2, 0)),
            (CheckIn(7, d(3, 18)), Answer(31, 3, 3, 0)),
        ),
    ),
    Story(
        "weekly: once a week, the bonus stops growing after six met weeks",
        {7: ONCE_A_WEEK},
        tuple(
            (CheckIn(7, W1 + timedelta(weeks=n)), Answer(points, n + 1, n + 1, 0))
            for n, points in enumerate((15, 16, 17, 18, 19, 20, 20))
        ),
    ),
    Story(
        "weekly: six a week, the sixth earns 10 + 6 * 5",
        {7: SIX_A_WEEK},
        tuple(
            (CheckIn(7, W1 + timedelta(days=n)), Answer(points, met, met, 0))
            for n, (points, met) in enumerate([(10, 0)] * 5 + [(40, 1), (10, 1)])
        ),
    ),
    Story(
        "weekly: a backfill on Monday of Sunday meets last week with last week's streak",
        {7: THREE_A_WEEK},
        (
            (CheckIn(7, d(3, 2)), Answer(10, 0, 0, 0)),
            (CheckIn(7, d(3, 3)), Answer(10, 0, 0, 0)),
            (CheckIn(7, d(3, 4)), Answer(25, 1, 1, 0)),
            (CheckIn(7, d(3, 12)), Answer(10, 1, 1, 0)),
            (CheckIn(7, d(3, 13)), Answer(10, 1, 1, 0)),
            (CheckIn(7, d(3, 15), today=d(3, 16)), Answer(28, 2, 2, 0)),
            (CheckIn(7, d(3, 16)), Answer(10, 2, 2, 0)),
        ),
    ),
    Story(
        "weekly: a backfill that meets last week after an unmet week earns 25",
        {7: THREE_A_WEEK},
        (
            (CheckIn(7, d(3, 2)), Answer(10, 0, 0, 0)),
            (CheckIn(7, d(3, 13)), Answer(10, 0, 0, 0)),
            (CheckIn(7, d(3, 14)), Answer(10, 0, 0, 0)),
            (CheckIn(7, d(3, 15), today=d(3, 16)), Answer(25, 1, 1, 0)),
        ),
    ),
    Story(
        "weekly: a week wholly on vacation neither breaks nor extends",
        {7: THREE_A_WEEK},
        (
            (CheckIn(7, d(3, 2)), Answer(10, 0, 0, 0)),
            (CheckIn(7, d(3, 3)), Answer(10, 0, 0, 0)),
            (CheckIn(7, d(3, 4)), Answer(25, 1, 1, 0)),
            (CheckIn(7, d(3, 16)), Answer(10, 1, 1, 0)),
            (CheckIn(7, d(3, 17)), Answer(10, 1, 1, 0)),
            (CheckIn(7, d(3, 18)), Answer(28, 2, 2, 0)),
        ),
        vacations=((W2, d(3, 15)),),
    ),
    Story(
        "weekly: a vacation across both boundaries of a week it covers wholly",
        {7: THREE_A_WEEK},
        (
            (CheckIn(7, d(3, 2)), Answer(10, 0, 0, 0)),
            (CheckIn(7, d(3, 3)), Answer(10, 0, 0, 0)),
            (CheckIn(7, d(3, 4)), Answer(25, 1, 1, 0)),
            (CheckIn(7, d(3, 18)), Answer(10, 1, 1, 0)),
            (CheckIn(7, d(3, 19)), Answer(10, 1, 1, 0)),
            (CheckIn(7, d(3, 20)), Answer(28, 2, 2, 0)),
        ),
        vacations=((d(3, 5), d(3, 17)),),
    ),
    Story(
        "weekly: a week only partly on vacation still needs its target",
        {7: THREE_A_WEEK},
        (
            (CheckIn(7, d(3, 2)), Answer(10, 0, 0, 0)),
            (CheckIn(7, d(3, 3)), Answer(10, 0, 0, 0)),
            (CheckIn(7, d(3, 4)), Answer(25, 1, 1, 0)),
            (CheckIn(7, d(3, 9)), Answer(10, 1, 1, 0)),
            (CheckIn(7, d(3, 10)), Answer(10, 1, 1, 0)),
            (CheckIn(7, d(3, 18)), Answer(10, 0, 1, 0)),
            (CheckIn(7, d(3, 19)), Answer(10, 0, 1, 0)),
            (CheckIn(7, d(3, 20)), Answer(25, 1, 1, 0)),
        ),
        vacations=((d(3, 11), d(3, 17)),),
    ),
]

FREEZE_STORIES = [
    Story(
        "freezes: earned at 7 and 14, a third is not earned at 21",
        {HABIT_A: DAILY},
        checks(HABIT_A, d(3, 1), d(3, 21), held=zeros_then(6, *[1] * 7, *[2] * 8)),
        events=(
            ("freeze_earned", HABIT_A, d(3, 7), 1),
            ("freeze_earned", HABIT_A, d(3, 14), 1),
        ),
    ),
    Story(
        "freezes: a missed day is settled by the first read after it ends",
        {HABIT_A: DAILY},
        (
            *checks(HABIT_A, d(3, 1), d(3, 7), held=zeros_then(6, 1)),
            (Read(d(3, 8)), held(1)),  # Sunday the 8th has not ended
            (Read(d(3, 9)), held(0)),
            (CheckIn(HABIT_A, d(3, 9)), Answer(20, 8, 8, 0)),
        ),
        events=(
            ("freeze_earned", HABIT_A, d(3, 7), 1),
            ("freeze_spent", HABIT_A, d(3, 8), -1),
        ),
        frozen=frozenset({(HABIT_A, d(3, 8))}),
    ),
    Story(
        "freezes: a missed day is settled by the first action after it ends",
        {HABIT_A: DAILY},
        (
            *checks(HABIT_A, d(3, 1), d(3, 7), held=zeros_then(6, 1)),
            (CheckIn(HABIT_A, d(3, 9)), Answer(20, 8, 8, 0)),
        ),
        events=(
            ("freeze_earned", HABIT_A, d(3, 7), 1),
            ("freeze_spent", HABIT_A, d(3, 8), -1),
        ),
        frozen=frozenset({(HABIT_A, d(3, 8))}),
    ),
    Story(
        "freezes: not spent on rest days",
        {HABIT_A: WEEKEND_OFF},
        (
            # Monday 23 February to Friday 6 March: the 7th check-in, Tuesday 3 March, earns.
            *checks(HABIT_A, d(2, 23), d(3, 6), rest=(6, 7), held=zeros_then(6, 1, 1, 1, 1)),
            (Read(d(3, 9)), held(1)),
            (CheckIn(HABIT_A, d(3, 9)), Answer(20, 11, 11, 1)),
        ),
        events=(("freeze_earned", HABIT_A, d(3, 3), 1),),
    ),
    Story(
        "freezes: spent on the expected day after rest days, the streak they kept",
        {HABIT_A: WEEKEND_OFF},
        (
            *checks(HABIT_A, d(2, 23), d(3, 6), rest=(6, 7), held=zeros_then(6, 1, 1, 1, 1)),
            (Read(d(3, 9)), held(1)),
            (Read(d(3, 10)), held(0)),  # Monday the 9th was expected
            (CheckIn(HABIT_A, d(3, 10)), Answer(20, 11, 11, 0)),
        ),
        events=(
            ("freeze_earned", HABIT_A, d(3, 3), 1),
            ("freeze_spent", HABIT_A, d(3, 9), -1),
        ),
        frozen=frozenset({(HABIT_A, d(3, 9))}),
    ),
    Story(
        "freezes: a weekly habit's missed days spend none",
        {HABIT_A: DAILY, 7: THREE_A_WEEK},
        (
            *by_day(
                checks(HABIT_A, d(3, 1), d(3, 9), held=zeros_then(6, 1, 1, 1)),
                (
                    (CheckIn(7, d(3, 2)), Answer(10, 0, 0, 0)),
                    (CheckIn(7, d(3, 3)), Answer(10, 0, 0, 0)),
                ),
            ),
            (Read(d(3, 10)), held(1)),
        ),
        events=(("freeze_earned", HABIT_A, d(3, 7), 1),),
    ),
    Story(
        "freezes: not spent on vacation days (Sunday to Monday, across a week boundary)",
        {HABIT_A: DAILY},
        (
            *checks(HABIT_A, d(3, 1), d(3, 7), held=zeros_then(6, 1)),
            (Read(d(3, 10)), held(1)),
            (CheckIn(HABIT_A, d(3, 10)), Answer(20, 8, 8, 1)),
        ),
        events=(("freeze_earned", HABIT_A, d(3, 7), 1),),
        vacations=((d(3, 8), d(3, 9)),),
    ),
    Story(
        "freezes: not spent when streak_at(d - 1) is 0",
        {HABIT_A: DAILY, HABIT_B: DAILY},
        (
            *checks(HABIT_A, d(3, 1), d(3, 5), held=zeros_then(5)),
            # B is checked on the 5th only: the 6th ends while no freeze is held.
            (CheckIn(HABIT_B, d(3, 5)), Answer(10, 1, 1, 0)),
            *checks(HABIT_A, d(3, 6), d(3, 8), streak=6, held=(0, 1, 1)),
            # The 7th ends unchecked with a freeze held, but B's streak at the 6th is 0.
            (Read(d(3, 9)), held(1)),
        ),
        events=(("freeze_earned", HABIT_A, d(3, 7), 1),),
    ),
    Story(
        "freezes: two habits miss a day with one freeze, the longer streak keeps it",
        {9: DAILY, 7: DAILY, 4: DAILY},
        (
            *by_day(
                checks(9, d(3, 1), d(3, 8), held=zeros_then(6, 1, 1)),
                checks(7, d(3, 5), d(3, 7), held=(0, 0, 1)),
                checks(4, d(3, 6), d(3, 7), held=(0, 1)),
            ),
            (Read(d(3, 9)), held(0)),
            (CheckIn(4, d(3, 9)), Answer(10, 1, 2, 0)),
            (CheckIn(7, d(3, 9)), Answer(16, 4, 4, 0)),
        ),
        events=(("freeze_earned", 9, d(3, 7), 1), ("freeze_spent", 7, d(3, 8), -1)),
        frozen=frozenset({(7, d(3, 8))}),
    ),
    Story(
        "freezes: two equal streaks miss a day with one freeze, habit 9 before 10",
        {1: DAILY, 10: DAILY, 9: DAILY},
        (
            *by_day(
                checks(1, d(3, 1), d(3, 8), held=zeros_then(6, 1, 1)),
                checks(10, d(3, 6), d(3, 7), held=(0, 1)),
                checks(9, d(3, 6), d(3, 7), held=(0, 1)),
            ),
            (Read(d(3, 9)), held(0)),
            (CheckIn(9, d(3, 9)), Answer(14, 3, 3, 0)),
            (CheckIn(10, d(3, 9)), Answer(10, 1, 2, 0)),
        ),
        events=(("freeze_earned", 1, d(3, 7), 1), ("freeze_spent", 9, d(3, 8), -1)),
        frozen=frozenset({(9, d(3, 8))}),
    ),
    Story(
        "freezes: two held, three habits miss a day, the two longest keep theirs",
        {1: DAILY, 2: DAILY, 3: DAILY, 4: DAILY},
        (
            *by_day(
                checks(1, d(3, 1), d(3, 15), held=zeros_then(6, *[1] * 7, 2, 2)),
                checks(2, d(3, 12), d(3, 14), held=(1, 1, 2)),
                checks(3, d(3, 13), d(3, 14), held=(1, 2)),
                checks(4, d(3, 14), d(3, 14), held=(2,)),
            ),
            (Read(d(3, 16)), held(0)),
            (CheckIn(2, d(3, 16)), Answer(16, 4, 4, 0)),
            (CheckIn(4, d(3, 16)), Answer(10, 1, 1, 0)),
        ),
        events=(
            ("freeze_earned", 1, d(3, 7), 1),
            ("freeze_earned", 1, d(3, 14), 1),
            ("freeze_spent", 2, d(3, 15), -1),
            ("freeze_spent", 3, d(3, 15), -1),
        ),
        frozen=frozenset({(2, d(3, 15)), (3, d(3, 15))}),
    ),
    Story(
        "freezes: a backfill of a frozen day refunds it and scores by its own streak",
        {HABIT_A: DAILY, HABIT_B: DAILY},
        (
            *by_day(
                checks(HABIT_A, d(3, 1), d(3, 8), held=zeros_then(6, 1, 1)),
                checks(HABIT_B, d(3, 5), d(3, 7), held=(0, 0, 1)),
            ),
            (Read(d(3, 9)), held(0)),
            (CheckIn(HABIT_B, d(3, 8), today=d(3, 9)), Answer(16, 4, 4, 1)),
            (CheckIn(HABIT_B, d(3, 9)), Answer(18, 5, 5, 1)),
        ),
        events=(
            ("freeze_earned", HABIT_A, d(3, 7), 1),
            ("freeze_spent", HABIT_B, d(3, 8), -1),
            ("freeze_refunded", HABIT_B, d(3, 8), 1),
        ),
    ),
    Story(
        "freezes: a backfill as the first action spends and refunds in one go",
        {HABIT_A: DAILY},
        (
            *checks(HABIT_A, d(3, 1), d(3, 7), held=zeros_then(6, 1)),
            (CheckIn(HABIT_A, d(3, 8), today=d(3, 9)), Answer(20, 8, 8, 1)),
            (CheckIn(HABIT_A, d(3, 9)), Answer(20, 9, 9, 1)),
        ),
        events=(
            ("freeze_earned", HABIT_A, d(3, 7), 1),
            ("freeze_spent", HABIT_A, d(3, 8), -1),
            ("freeze_refunded", HABIT_A, d(3, 8), 1),
        ),
    ),
    Story(
        "freezes: today checked first, then the frozen yesterday",
        {HABIT_A: DAILY},
        (
            *checks(HABIT_A, d(3, 1), d(3, 7), held=zeros_then(6, 1)),
            (CheckIn(HABIT_A, d(3, 9)), Answer(20, 8, 8, 0)),
            (CheckIn(HABIT_A, d(3, 8), today=d(3, 9)), Answer(20, 9, 9, 1)),
        ),
        events=(
            ("freeze_earned", HABIT_A, d(3, 7), 1),
            ("freeze_spent", HABIT_A, d(3, 8), -1),
            ("freeze_refunded", HABIT_A, d(3, 8), 1),
        ),
    ),
    Story(
        "freezes: a refund is capped at 2 held",
        {HABIT_A: DAILY, HABIT_B: DAILY},
        (
            *by_day(
                checks(HABIT_A, d(3, 1), d(3, 21), held=zeros_then(6, *[1] * 7, *[2] * 8)),
                checks(HABIT_B, d(3, 16), d(3, 19), held=(2, 2, 2, 2)),
            ),
            (CheckIn(HABIT_B, d(3, 20), today=d(3, 21)), Answer(18, 5, 5, 2)),
            (CheckIn(HABIT_B, d(3, 21)), Answer(20, 6, 6, 2)),
        ),
        events=(
            ("freeze_earned", HABIT_A, d(3, 7), 1),
            ("freeze_earned", HABIT_A, d(3, 14), 1),
            ("freeze_spent", HABIT_B, d(3, 20), -1),
            ("freeze_earned", HABIT_A, d(3, 21), 1),
            ("freeze_refunded", HABIT_B, d(3, 20), 0),
        ),
    ),
    Story(
        "freezes: a backfilled frozen day whose streak reaches 7 refunds and earns",
        {HABIT_A: DAILY, HABIT_B: DAILY},
        (
            *by_day(
                checks(HABIT_B, d(2, 23), d(3, 7), held=zeros_then(6, *[1] * 7)),
                checks(HABIT_A, d(3, 1), d(3, 6), held=(1,) * 6),
            ),
            (CheckIn(HABIT_A, d(3, 7), today=d(3, 8)), Answer(20, 7, 7, 2)),
            (CheckIn(HABIT_B, d(3, 8)), Answer(20, 14, 14, 2)),
            (CheckIn(HABIT_A, d(3, 8)), Answer(20, 8, 8, 2)),
        ),
        events=(
            ("freeze_earned", HABIT_B, d(3, 1), 1),
            ("freeze_spent", HABIT_A, d(3, 7), -1),
            ("freeze_refunded", HABIT_A, d(3, 7), 1),
            ("freeze_earned", HABIT_A, d(3, 7), 1),
        ),
    ),
]


def moments_story(
    name: str, zone: str, moments: list[tuple[datetime, date, Answer, Answer]]
) -> Story:
    """A daily habit (1) and a twice-a-week habit (2) both checked in at each UTC moment,
    for the player's day there (a repeat when that day is already checked)."""
    plays: list[Play] = []
    for at, today, daily, weekly in moments:
        plays.append((CheckIn(1, today, at=at), daily))
        plays.append((CheckIn(2, today, at=at), weekly))
    return Story(name, {1: DAILY, 2: TWICE_A_WEEK}, tuple(plays), zone=zone, day_start=4)


def missed_local_day_story(name: str, zone: str, noon_utc: int, before: datetime) -> Story:
    """A daily habit checked at local noon (``noon_utc`` o'clock UTC, on the day before
    when past 24) of 1..7 March, then Sunday the 8th missed: a read one second before the
    8th ends locally spends nothing, the next second's read spends the freeze on the 8th."""
    after = before + timedelta(seconds=1)

    def at(day: date) -> datetime:
        return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(hours=noon_utc)

    return Story(
        name,
        {1: DAILY},
        (
            *checks(1, d(3, 1), d(3, 7), held=zeros_then(6, 1), at=at),
            (Read(d(3, 8), at=before), held(1)),
            (Read(d(3, 9), at=after), held(0)),
            (CheckIn(1, d(3, 9), at=after), Answer(20, 8, 8, 0)),
        ),
        events=(("freeze_earned", 1, d(3, 7), 1), ("freeze_spent", 1, d(3, 8), -1)),
        frozen=frozenset({(1, d(3, 8))}),
        zone=zone,
        day_start=4,
    )


def repeat(current: int, longest: int) -> Answer:
    return Answer(0, current, longest, 0)


ZONE_STORIES = [
    moments_story(
        "zones: Kiritimati (UTC+14), a UTC Sunday afternoon is a local Monday",
        KIRITIMATI,
        [
            (utc(2026, 3, 7, 14, 0), d(3, 8), Answer(10, 1, 1, 0), Answer(10, 0, 0, 0)),
            (utc(2026, 3, 8, 13, 59, 59), d(3, 8), repeat(1, 1), repeat(0, 0)),
            # The next local week: the twice-a-week habit's second check-in is not its 2nd.
            (utc(2026, 3, 8, 14, 0), d(3, 9), Answer(12, 2, 2, 0), Answer(10, 0, 0, 0)),
            (utc(2026, 3, 9, 13, 0), d(3, 9), repeat(2, 2), repeat(0, 0)),
            (utc(2026, 3, 9, 14, 0), d(3, 10), Answer(14, 3, 3, 0), Answer(20, 1, 1, 0)),
        ],
    ),
    moments_story(
        "zones: Pago Pago (UTC-11), a UTC Monday morning is a local Sunday",
        PAGO_PAGO,
        [
            (utc(2026, 3, 9, 14, 59, 59), d(3, 8), Answer(10, 1, 1, 0), Answer(10, 0, 0, 0)),
            # Both moments lie in the UTC week of the 9th; the player's weeks differ.
            (utc(2026, 3, 9, 15, 0), d(3, 9), Answer(12, 2, 2, 0), Answer(10, 0, 0, 0)),
            (utc(2026, 3, 10, 10, 0), d(3, 9), repeat(2, 2), repeat(0, 0)),
            (utc(2026, 3, 10, 15, 0), d(3, 10), Answer(14, 3, 3, 0), Answer(20, 1, 1, 0)),
        ],
    ),
    moments_story(
        "zones: New York springs forward, a 23-hour Saturday",
        NEW_YORK,
        [
            (utc(2026, 3, 7, 9, 0), d(3, 7), Answer(10, 1, 1, 0), Answer(10, 0, 0, 0)),
            (utc(2026, 3, 8, 7, 30), d(3, 7), repeat(1, 1), repeat(0, 0)),
            (utc(2026, 3, 8, 8, 0), d(3, 8), Answer(12, 2, 2, 0), Answer(20, 1, 1, 0)),
            (utc(2026, 3, 9, 7, 59, 59), d(3, 8), repeat(2, 2), repeat(1, 1)),
            (utc(2026, 3, 9, 8, 0), d(3, 9), Answer(14, 3, 3, 0), Answer(10, 1, 1, 0)),
        ],
    ),
    moments_story(
        "zones: New York falls back, a 25-hour Saturday",
        NEW_YORK,
        [
            (utc(2026, 10, 31, 8, 0), d(10, 31), Answer(10, 1, 1, 0), Answer(10, 0, 0, 0)),
            (utc(2026, 11, 1, 6, 30), d(10, 31), repeat(1, 1), repeat(0, 0)),
            (utc(2026, 11, 1, 8, 59, 59), d(10, 31), repeat(1, 1), repeat(0, 0)),
            (utc(2026, 11, 1, 9, 0), d(11, 1), Answer(12, 2, 2, 0), Answer(20, 1, 1, 0)),
            (utc(2026, 11, 2, 8, 59, 59), d(11, 1), repeat(2, 2), repeat(1, 1)),
            (utc(2026, 11, 2, 9, 0), d(11, 2), Answer(14, 3, 3, 0), Answer(10, 1, 1, 0)),
        ],
    ),
    missed_local_day_story(
        "zones: Kiritimati settles a missed day at its local end, on a UTC Sunday",
        KIRITIMATI,
        -2,  # local noon is 22:00 UTC the day before
        utc(2026, 3, 8, 13, 59, 59),
    ),
    missed_local_day_story(
        "zones: Pago Pago settles a missed day at its local end, on a UTC Monday afternoon",
        PAGO_PAGO,
        23,
        utc(2026, 3, 9, 14, 59, 59),
    ),
    missed_local_day_story(
        "zones: New York settles the DST Sunday at 04:00 EDT on Monday",
        NEW_YORK,
        17,  # local noon is 17:00 UTC in EST, 16:00 in EDT: either is the same day
        utc(2026, 3, 9, 7, 59, 59),
    ),
]


# (the first of seven days checked in a row; the seventh, whose check-in earns a freeze;
# the day after, missed, on which the next day's read spends it). The freeze events carry
# these days as ISO dates, which habits.lua writes with a date conversion of its own.
FREEZE_EVENT_DAYS = [
    (d(1, 25), "2026-01-31", "2026-02-01"),  # a month end
    (d(4, 24), "2026-04-30", "2026-05-01"),  # a 30-day month's end
    (d(2, 22), "2026-02-28", "2026-03-01"),  # February of a common year
    (d(2, 23, 2028), "2028-02-29", "2028-03-01"),  # a leap day earns
    (d(2, 22, 2028), "2028-02-28", "2028-02-29"),  # a leap day is frozen
    (d(12, 25), "2026-12-31", "2027-01-01"),  # a year end
    (d(12, 24), "2026-12-30", "2026-12-31"),
    (d(2, 22, 2100), "2100-02-28", "2100-03-01"),  # 2100 is not a leap year
    (d(2, 23, 2000), "2000-02-29", "2000-03-01"),  # 2000 is
    (d(12, 25, 1999), "1999-12-31", "2000-01-01"),
]


def freeze_days_story(first: date, earned: str, spent: str) -> Story:
    earned_day, spent_day = date.fromisoformat(earned), date.fromisoformat(spent)
    return Story(
        f"freeze days: earned {earned}, spent {spent}",
        {HABIT_A: DAILY},
        (
            *checks(HABIT_A, first, first + timedelta(days=6), held=zeros_then(6, 1)),
            (Read(spent_day + timedelta(days=1)), held(0)),
        ),
        events=(
            ("freeze_earned", HABIT_A, earned_day, 1),
            ("freeze_spent", HABIT_A, spent_day, -1),
        ),
        frozen=frozenset({(HABIT_A, spent_day)}),
    )


# A refund's day through a leap day as well.
LEAP_DAY_REFUND = Story(
    "freeze days: a frozen leap day backfilled",
    {HABIT_A: DAILY},
    (
        *checks(HABIT_A, d(2, 22, 2028), d(2, 28, 2028), held=zeros_then(6, 1)),
        (Read(d(3, 1, 2028)), held(0)),
        (CheckIn(HABIT_A, d(2, 29, 2028), today=d(3, 1, 2028)), Answer(20, 8, 8, 1)),
    ),
    events=(
        ("freeze_earned", HABIT_A, d(2, 28, 2028), 1),
        ("freeze_spent", HABIT_A, d(2, 29, 2028), -1),
        ("freeze_refunded", HABIT_A, d(2, 29, 2028), 1),
    ),
)

STORIES = [
    *WEEKLY_STORIES,
    *FREEZE_STORIES,
    *ZONE_STORIES,
    *(freeze_days_story(*row) for row in FREEZE_EVENT_DAYS),
    LEAP_DAY_REFUND,
]


def test_every_story_is_a_sequence_of_days_that_never_goes_back() -> None:
    for story in STORIES:
        ons = [step.on for step in story.steps]
        assert ons == sorted(ons), story.name
        for step in story.steps:
            if isinstance(step, CheckIn):
                # Only today or yesterday may be checked in.
                assert rules.checkin_day_refusal(step.day, today=step.on) is None, story.name


@pytest.mark.parametrize("story", STORIES, ids=[story.name for story in STORIES])
def test_a_story_answers_what_the_rules_say_step_by_step(story: Story) -> None:
    for step in story.steps:
        if step.at is not None:
            local_day = rules.player_day(
                step.at, timezone=story.zone, day_start_hour=story.day_start
            )
            assert local_day == step.on
    played = play(story)

    assert played.answers == story.answers
    assert played.events == list(story.events)
    assert played.frozen == set(story.frozen)
