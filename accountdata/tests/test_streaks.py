"""The import's one-pass streaks are the rules' own: each checked day's streak_at (daily,
over rest days, vacations and frozen days) and week_streak_at (weekly, over weeks wholly on
vacation), on random histories."""

import random
from datetime import date, timedelta

import pytest

from accountdata.streaks import day_streaks
from gameplay import rules

START = date(2026, 1, 5)  # a Monday


def history(seed: int) -> tuple[set[date], list[tuple[date, date]], set[date], frozenset[int]]:
    rng = random.Random(seed)
    span = rng.randint(1, 120)
    days = {START + timedelta(days=n) for n in range(span) if rng.random() < 0.6}
    vacations = []
    for _ in range(rng.randint(0, 3)):
        first = START + timedelta(days=rng.randint(0, span))
        vacations.append((first, first + timedelta(days=rng.randint(0, 12))))
    frozen = {START + timedelta(days=n) for n in range(span) if rng.random() < 0.05} - days
    rest = frozenset(rng.sample(range(1, 8), rng.randint(0, 3)))
    return days, vacations, frozen, rest


@pytest.mark.parametrize("seed", range(200))
def test_daily_streaks_are_streak_at_of_each_day(seed):
    days, vacations, frozen, rest = history(seed)
    schedule = rules.Schedule(rest_days=rest)
    skip = rules.skip_days(schedule=schedule, vacations=vacations, frozen=frozen)

    streaks = day_streaks(days, schedule, vacations=vacations, frozen=frozen)

    assert streaks == {day: rules.streak_at(days, day, skip=skip) for day in days}
    assert max(streaks.values(), default=0) == rules.longest_streak(days, skip=skip)


@pytest.mark.parametrize("seed", range(200))
def test_weekly_streaks_are_week_streak_at_of_each_days_week(seed):
    days, vacations, _frozen, _rest = history(seed)
    target = 1 + seed % 6
    schedule = rules.Schedule(kind=rules.WEEKLY, target=target)
    on_vacation = rules.skip_days(vacations=vacations)

    streaks = day_streaks(days, schedule, vacations=vacations)

    assert streaks == {
        day: rules.week_streak_at(days, rules.week_of(day), target=target, on_vacation=on_vacation)
        for day in days
    }
    assert max(streaks.values(), default=0) == rules.weekly_longest_streak(
        days, target=target, on_vacation=on_vacation
    )
